//! `breakglass watch`: notify a webhook, Slack, Teams or email of every sign-in of, and
//! every change to, the emergency identities.

use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::identities::EmergencyIdentities;
use jiff::SignedDuration;
use tokio::time::Instant;
use zeroize::Zeroizing;

use crate::context::CommandHelper;
use crate::error::{CommandError, config_error, usage_error};
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::{AuthMethod, OperatorArgs, Session};
use crate::ui::Ui;
use breakglass_ops::provision::Workspace;
use breakglass_ops::watch::cursor::{WatchState, default_state_path, ensure_parent};
use breakglass_ops::watch::email::{
    EmailSettings, EmailSink, Security, parse_address, parse_smtp_url, read_ca, read_password,
};
use breakglass_ops::watch::severity_name;
use breakglass_ops::watch::sinks::{Delivery, Sink, parse_url};
use breakglass_ops::watch::watcher::{PollReport, Watcher};

/// Watches the sign-in and audit logs and sends a notification for every event of the
/// emergency identities an alert rule would raise.
///
/// Polls Microsoft Graph: the emergency users' sign-ins (v1.0 /auditLogs/signIns), the
/// emergency app's sign-ins (beta /auditLogs/signIns, service principal sign-ins), and
/// directory audits that change the emergency objects (credentials, owners, roles, the
/// exclusion group, the users' passwords and methods). Each event goes to every receiver
/// given: `--webhook` (JSON signed with HMAC-SHA256, the secret from
/// BREAKGLASS_WEBHOOK_SECRET or `--webhook-secret-file`), `--slack`, `--teams`, and email
/// (`--email-to`, `--email-from`, `--smtp`).
///
/// Each receiver has its own queue and its own cursors, and the receivers deliver at the
/// same time: one that hangs or fails delays no other. Delivery is at least once per
/// receiver: the Graph record id is the event id, each receiver's 2xx (an SMTP server's
/// acceptance of the message) is recorded in the state file at once, and a receiver's
/// cursor for a log only moves past events it confirmed; each poll reads `--overlap`
/// further back for late records, and events a receiver confirmed are not sent to it
/// again. Receivers that fail (5xx, 408, 429, SMTP 4xx, timeouts) are retried with
/// backoff; `--run-timeout` bounds the whole run (each poll), after which what was not
/// confirmed is sent at the next one.
///
/// With `--once`, polls once and exits (for cron or a systemd timer), printing per receiver
/// what was delivered, what failed and why: exit 0 when every receiver got every event, 6
/// when one did not. See docs/watch.md.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// A generic webhook: https, or http to a loopback address.
    #[arg(
        long,
        value_name = "URL",
        env = "BREAKGLASS_WEBHOOK_URL",
        hide_env_values = true
    )]
    pub webhook: Option<String>,

    /// A file whose first line is the webhook's HMAC secret (instead of
    /// BREAKGLASS_WEBHOOK_SECRET).
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,

    /// A Slack incoming webhook URL (or BREAKGLASS_SLACK_WEBHOOK_URL, which keeps it out of
    /// the process list).
    #[arg(
        long,
        value_name = "URL",
        env = "BREAKGLASS_SLACK_WEBHOOK_URL",
        hide_env_values = true
    )]
    pub slack: Option<String>,

    /// A Microsoft Teams incoming webhook URL (or BREAKGLASS_TEAMS_WEBHOOK_URL).
    #[arg(
        long,
        value_name = "URL",
        env = "BREAKGLASS_TEAMS_WEBHOOK_URL",
        hide_env_values = true
    )]
    pub teams: Option<String>,

    /// Email: --email-to, --email-from, --smtp and the SMTP sign-in (boxed: the flags are
    /// many and `Command` keeps its variants small).
    #[command(flatten)]
    pub email: Box<EmailArgs>,

    /// The state file: cursors and recently delivered event ids [default:
    /// $XDG_STATE_HOME/breakglass/watch.json].
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Time between polls (5s to 1d).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub poll_interval: String,

    /// How far before the cursor each poll reads again, for sign-ins that reach the log
    /// late; also how far back the first poll reads (1m to 30d).
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub overlap: String,

    /// Poll once, deliver, and exit.
    #[arg(long)]
    pub once: bool,

    /// How long a receiver may take to answer one request (1s to 5m).
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub timeout: String,

    /// Retries per delivery after the first attempt, with backoff from 0.5 s.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,

    /// The bound on one run (with --once: from the start to the summary; otherwise each
    /// poll): receivers that have not confirmed by then are reported and get their events
    /// at the next run (10s to 1h, at least --timeout).
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_RUN_TIMEOUT)]
    pub run_timeout: String,

    /// The emergency identities, as `breakglass monitor identities --out FILE` writes them
    /// (default: read from the tenant at every poll).
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,

    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// The email receiver's flags.
#[derive(Debug, clap::Args)]
pub struct EmailArgs {
    /// Send each event by email to this address (repeat for more; BREAKGLASS_EMAIL_TO takes
    /// a comma-separated list). Needs --email-from and --smtp.
    #[arg(
        long,
        value_name = "ADDR",
        env = "BREAKGLASS_EMAIL_TO",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub email_to: Vec<String>,

    /// The sender of the emails, an address the SMTP server lets you send as.
    #[arg(
        long,
        value_name = "ADDR",
        env = "BREAKGLASS_EMAIL_FROM",
        hide_env_values = true
    )]
    pub email_from: Option<String>,

    /// The SMTP server: smtp://HOST[:587] (STARTTLS, required) or smtps://HOST[:465] (TLS);
    /// without TLS only to a loopback address, smtp://127.0.0.1[:25].
    #[arg(
        long,
        value_name = "URL",
        env = "BREAKGLASS_SMTP_URL",
        hide_env_values = true
    )]
    pub smtp: Option<String>,

    /// The SMTP user name; the password comes from BREAKGLASS_SMTP_PASSWORD or
    /// --smtp-password-file, never from the command line.
    #[arg(
        long,
        value_name = "NAME",
        env = "BREAKGLASS_SMTP_USER",
        hide_env_values = true
    )]
    pub smtp_user: Option<String>,

    /// A file whose first line is the SMTP password (instead of BREAKGLASS_SMTP_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub smtp_password_file: Option<PathBuf>,

    /// PEM certificates of a CA to trust for the SMTP server, in addition to the system's
    /// (a private relay).
    #[arg(long, value_name = "FILE")]
    pub smtp_ca: Option<PathBuf>,
}

/// `--run-timeout`'s default: with the default `--timeout` and `--retries` a hanging
/// receiver takes about a minute per event, and the systemd unit of docs/watch.md allows
/// the run (sign-in included) TimeoutStartSec=5min; see the figures there.
const DEFAULT_RUN_TIMEOUT: &str = "2m";

const DURATION_FORMS: &str = "write it as seconds, minutes, hours or days: 30s, 15m, 1h, 1d";

/// Parses `90`, `90s`, `15m`, `1h`, `1d`.
fn parse_duration(flag: &str, text: &str) -> Result<Duration, CommandError> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number.parse().map_err(|_| {
        usage_error(format!("{flag} {text} is not a duration")).hinted(DURATION_FORMS)
    })?;
    let unit_seconds: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(
                usage_error(format!("{flag} {text} has an unknown unit")).hinted(DURATION_FORMS)
            );
        }
    };
    let seconds = value.checked_mul(unit_seconds).ok_or_else(|| {
        usage_error(format!("{flag} {text} is too long to be a duration")).hinted(DURATION_FORMS)
    })?;
    Ok(Duration::from_secs(seconds))
}

/// `90s`, `15m`, `2h`, `30d`: the largest unit that divides the duration.
fn show_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0 => "0s".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A duration flag, refused outside the range where it makes sense (zero included).
fn duration_within(
    flag: &str,
    text: &str,
    range: std::ops::RangeInclusive<Duration>,
    why: &str,
) -> Result<Duration, CommandError> {
    let value = parse_duration(flag, text)?;
    let (min, max) = (show_duration(*range.start()), show_duration(*range.end()));
    let wrong = if value < *range.start() {
        format!("shorter than {min}")
    } else if value > *range.end() {
        format!("longer than {max}")
    } else {
        return Ok(value);
    };
    Err(usage_error(format!("{flag} {} is {wrong}", text.trim()))
        .hinted(format!("give {flag} between {min} and {max}: {why}")))
}

/// The durations of a run, checked together.
struct Timing {
    poll_interval: Duration,
    overlap: SignedDuration,
    timeout: Duration,
    run_timeout: Duration,
}

impl Timing {
    fn from_args(args: &WatchArgs) -> Result<Timing, CommandError> {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let poll_interval = duration_within(
            "--poll-interval",
            &args.poll_interval,
            Duration::from_secs(5)..=minutes(24 * 60),
            "Graph throttles busy pollers, sign-ins reach the log minutes late anyway, and a day is the longest a sign-in should wait to be reported",
        )?;
        let overlap = duration_within(
            "--overlap",
            &args.overlap,
            minutes(1)..=minutes(30 * 24 * 60),
            "sign-in records reach the log minutes late, and Graph keeps them 30 days",
        )?;
        let timeout = duration_within(
            "--timeout",
            &args.timeout,
            Duration::from_secs(1)..=minutes(5),
            "how long one request to a receiver may take; --run-timeout bounds the whole run",
        )?;
        let run_timeout = duration_within(
            "--run-timeout",
            &args.run_timeout,
            Duration::from_secs(10)..=minutes(60),
            "the bound on one run; keep it inside the service's TimeoutStartSec",
        )?;
        if run_timeout < timeout {
            return Err(usage_error(format!(
                "--run-timeout {} is shorter than --timeout {}",
                args.run_timeout.trim(),
                args.timeout.trim()
            ))
            .hinted("a receiver would never get its whole --timeout; raise --run-timeout or lower --timeout"));
        }
        Ok(Timing {
            poll_interval,
            overlap: SignedDuration::try_from(overlap)
                .map_err(|_| usage_error("--overlap is too long").hinted(DURATION_FORMS))?,
            timeout,
            run_timeout,
        })
    }
}

fn webhook_secret(args: &WatchArgs) -> Result<Zeroizing<Vec<u8>>, CommandError> {
    let secret = match &args.webhook_secret_file {
        Some(path) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                config_error(format!("cannot read {}: {e}", path.display()))
                    .hinted("--webhook-secret-file names a file whose first line is the secret")
            })?);
            Zeroizing::new(
                text.lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .as_bytes()
                    .to_vec(),
            )
        }
        None => Zeroizing::new(
            std::env::var("BREAKGLASS_WEBHOOK_SECRET")
                .unwrap_or_default()
                .trim()
                .as_bytes()
                .to_vec(),
        ),
    };
    if secret.len() < 16 {
        return Err(config_error(
            "the webhook secret is missing or shorter than 16 characters",
        )
        .hinted("set BREAKGLASS_WEBHOOK_SECRET, or pass --webhook-secret-file FILE")
        .hinted("e.g. `openssl rand -hex 32`; the receiver checks X-Breakglass-Signature with it"));
    }
    Ok(secret)
}

/// The email receiver, when `--email-to`, `--email-from` and `--smtp` are given; the
/// SMTP flags without them are a usage error.
fn email_sink(args: &EmailArgs, timeout: Duration) -> Result<Option<Sink>, CommandError> {
    let wanted = !args.email_to.is_empty() || args.email_from.is_some() || args.smtp.is_some();
    if !wanted {
        for (given, flag) in [
            (args.smtp_user.is_some(), "--smtp-user"),
            (args.smtp_password_file.is_some(), "--smtp-password-file"),
            (args.smtp_ca.is_some(), "--smtp-ca"),
        ] {
            if given {
                return Err(usage_error(format!("{flag} needs --smtp"))
                    .hinted("email needs --email-to ADDR, --email-from ADDR and --smtp URL"));
            }
        }
        return Ok(None);
    }
    let missing: Vec<&str> = [
        (args.email_to.is_empty(), "--email-to"),
        (args.email_from.is_none(), "--email-from"),
        (args.smtp.is_none(), "--smtp"),
    ]
    .into_iter()
    .filter_map(|(missing, flag)| missing.then_some(flag))
    .collect();
    if !missing.is_empty() {
        return Err(usage_error(format!("email also needs {}", missing.join(" and ")))
            .hinted("email needs --email-to ADDR, --email-from ADDR and --smtp URL (or BREAKGLASS_EMAIL_TO, BREAKGLASS_EMAIL_FROM, BREAKGLASS_SMTP_URL)"));
    }
    let server = parse_smtp_url(args.smtp.as_deref().unwrap_or_default())?;
    let from = parse_address(
        "--email-from",
        args.email_from.as_deref().unwrap_or_default(),
    )?;
    let to = args
        .email_to
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| parse_address("--email-to", a))
        .collect::<Result<Vec<_>, _>>()?;
    if to.is_empty() {
        return Err(usage_error("--email-to names no address"));
    }
    let user = args
        .smtp_user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if user.is_none() && args.smtp_password_file.is_some() {
        return Err(usage_error("--smtp-password-file needs --smtp-user")
            .hinted("the password is only sent with a user name"));
    }
    // Without a user name no AUTH is sent, so a password in the environment is not read.
    let password = match user {
        Some(_) => read_password(args.smtp_password_file.as_deref())?,
        None => None,
    };
    if args.smtp_ca.is_some() && server.security == Security::Plain {
        return Err(
            usage_error("--smtp-ca needs TLS, and this --smtp URL has none")
                .hinted("use smtps://HOST or smtp://HOST?tls=starttls"),
        );
    }
    let ca = args.smtp_ca.as_deref().map(read_ca).transpose()?;
    let settings = EmailSettings {
        server,
        from,
        to,
        user,
        password,
        ca,
    };
    Ok(Some(Sink::email(EmailSink::new(settings, timeout)?)))
}

fn sinks(args: &WatchArgs, timeout: Duration) -> Result<Vec<Sink>, CommandError> {
    let mut sinks = Vec::new();
    if let Some(url) = &args.webhook {
        sinks.push(Sink::webhook(
            parse_url("--webhook", url)?,
            webhook_secret(args)?,
        ));
    } else if args.webhook_secret_file.is_some() {
        return Err(usage_error("--webhook-secret-file needs --webhook"));
    }
    if let Some(url) = &args.slack {
        sinks.push(Sink::slack(parse_url("--slack", url)?));
    }
    if let Some(url) = &args.teams {
        sinks.push(Sink::teams(parse_url("--teams", url)?));
    }
    if let Some(email) = email_sink(&args.email, timeout)? {
        sinks.push(email);
    }
    if sinks.is_empty() {
        return Err(usage_error("watch needs somewhere to send notifications").hinted(
            "pass --webhook URL, --slack URL, --teams URL, or --email-to ADDR --email-from ADDR --smtp URL",
        ));
    }
    Ok(sinks)
}

impl Report for PollReport {
    fn human(&self, ui: &Ui) -> String {
        let mut out = String::new();
        if !self.delivered.is_empty() {
            let mut t = table(ui, &["Time", "Severity", "Event", "Id"]);
            for n in &self.delivered {
                t.add_row(vec![
                    n.time.clone(),
                    severity_name(n.severity).to_string(),
                    n.title.clone(),
                    n.id.clone(),
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        out.push_str(&format!(
            "Delivered {} event(s) to every receiver; {} already delivered; {} not yet to every receiver.\n",
            self.delivered.len(),
            self.already_delivered,
            self.missed
        ));
        let mut t = table(
            ui,
            &[
                "Receiver",
                "Host",
                "Delivered",
                "Already",
                "Failed",
                "Undelivered",
                "Last error",
            ],
        );
        for r in &self.receivers {
            t.add_row(vec![
                r.receiver.to_string(),
                r.host.clone(),
                r.delivered.to_string(),
                r.already_delivered.to_string(),
                r.failed.to_string(),
                r.undelivered.to_string(),
                r.last_error.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&format!("{t}\n"));
        out
    }
}

async fn current_identities(
    args: &WatchArgs,
    session: &Session,
    workspace: &Workspace,
) -> Result<EmergencyIdentities, CommandError> {
    match &args.identities {
        Some(path) => Ok(breakglass_ops::monitor::identities::load(path)?),
        None => Ok(breakglass_ops::monitor::identities::gather(session, &workspace.config).await?),
    }
}

pub async fn cmd_watch(helper: &CommandHelper, args: &WatchArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    // With --once the bound covers the whole run, sign-in included; a device-code sign-in
    // waits for a person, so the bound starts after it.
    let started = Instant::now();
    let timing = Timing::from_args(args)?;
    let sinks = sinks(args, timing.timeout)?;
    let state_path = match &args.state {
        Some(path) => path.clone(),
        None => default_state_path()?,
    };
    ensure_parent(&state_path)?;
    WatchState::load(&state_path)?;

    let workspace = args.config.workspace()?;
    let watcher = Watcher {
        progress: ui,
        sinks,
        delivery: Delivery::new(timing.timeout, args.retries)?,
        overlap: timing.overlap,
        state_path,
        run_timeout: args.run_timeout.trim().to_string(),
    };
    let sign_in = helper.sign_in_for(&args.operator, &workspace.config);
    if args.once {
        let (session, deadline) = if args.operator.auth == AuthMethod::DeviceCode {
            let session = sign_in.await?;
            (session, Instant::now() + timing.run_timeout)
        } else {
            let deadline = started + timing.run_timeout;
            (
                watcher.within(deadline, "signing in", sign_in).await?,
                deadline,
            )
        };
        let identities = watcher
            .within(
                deadline,
                "reading the emergency identities",
                current_identities(args, &session, &workspace),
            )
            .await?;
        let report = watcher.poll(&session.graph, &identities, deadline).await?;
        ui.emit(&report)?;
        return match report.missed_error() {
            Some(error) => Err(error.into()),
            None => Ok(()),
        };
    }
    let session = sign_in.await?;
    ui.status(format!(
        "Watching the emergency identities every {}; each poll ends within --run-timeout {}; state in {}.",
        show_duration(timing.poll_interval),
        watcher.run_timeout,
        watcher.state_path.display()
    ));
    loop {
        let deadline = Instant::now() + timing.run_timeout;
        let outcome = match watcher
            .within(
                deadline,
                "reading the emergency identities",
                current_identities(args, &session, &workspace),
            )
            .await
        {
            Ok(identities) => watcher
                .poll(&session.graph, &identities, deadline)
                .await
                .map_err(CommandError::from),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(report) => {
                for missing in report.receivers_missing() {
                    ui.warn(format!(
                        "{missing} notification(s) in this poll; they are sent again at the next poll"
                    ));
                }
            }
            Err(e) => ui.warn(format!("poll failed: {e}; retrying at the next poll")),
        }
        tokio::time::sleep(timing.poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_show_in_their_largest_unit() {
        for (text, seconds, shown) in [
            ("90", 90, "90s"),
            ("90s", 90, "90s"),
            ("120s", 120, "2m"),
            ("15m", 900, "15m"),
            ("1h", 3600, "1h"),
            ("30d", 30 * 86_400, "30d"),
            ("0s", 0, "0s"),
        ] {
            let parsed = parse_duration("--timeout", text).unwrap();
            assert_eq!(parsed, Duration::from_secs(seconds), "{text}");
            assert_eq!(show_duration(parsed), shown, "{text}");
        }
        for bad in ["", "s", "1.5m", "10 s", "5w", "18446744073709551615m"] {
            let err = parse_duration("--timeout", bad).unwrap_err();
            assert!(!err.hints().is_empty(), "{bad}");
        }
    }

    #[test]
    fn a_duration_outside_its_range_names_the_range() {
        let range = Duration::from_secs(1)..=Duration::from_secs(300);
        assert_eq!(
            duration_within("--timeout", "5m", range.clone(), "why").unwrap(),
            Duration::from_secs(300)
        );
        let zero = duration_within("--timeout", "0s", range.clone(), "why").unwrap_err();
        assert_eq!(zero.message(), "--timeout 0s is shorter than 1s");
        assert_eq!(zero.hints(), ["give --timeout between 1s and 5m: why"]);
        assert_eq!(zero.kind(), crate::error::ErrorKind::Usage);
        let long = duration_within("--timeout", "301", range, "why").unwrap_err();
        assert_eq!(long.message(), "--timeout 301 is longer than 5m");
    }
}
