//! `breakglass watch`: notify a webhook, Slack, Teams or email of every sign-in of, and
//! every change to, the emergency identities.

use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::identities::EmergencyIdentities;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, config_error, usage_error};
use crate::output::{Report, table};
use crate::provision::{ConfigArgs, Workspace};
use crate::session::{OperatorArgs, Session};
use crate::ui::Ui;
use crate::watch::cursor::{WatchState, default_state_path, ensure_parent, read_from};
use crate::watch::email::{
    EmailSettings, EmailSink, Security, parse_address, parse_smtp_url, read_ca, read_password,
};
use crate::watch::poll::{Source, fetch, notification, record_time};
use crate::watch::sinks::{Delivery, Sink, parse_url};
use crate::watch::{Notification, severity_name};

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
/// Delivery is at least once: the Graph record id is the event id, each receiver's 2xx
/// (an SMTP server's acceptance of the message) is recorded in the state file at once, and
/// a log's cursor only moves past events every receiver confirmed; each poll reads
/// `--overlap` further back for late records, and events already confirmed are not sent
/// again. Receivers that fail (5xx, 408, 429, SMTP 4xx, timeouts) are retried with
/// backoff.
///
/// With `--once`, polls once and exits (for cron or a systemd timer): exit 0 when every
/// event was delivered, 6 when one could not be. See docs/watch.md.
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

    /// Time between polls (at least 5s).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub poll_interval: String,

    /// How far before the cursor each poll reads again, for sign-ins that reach the log
    /// late; also how far back the first poll reads.
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub overlap: String,

    /// Poll once, deliver, and exit.
    #[arg(long)]
    pub once: bool,

    /// How long a receiver may take to answer one request.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub timeout: String,

    /// Retries per delivery after the first attempt, with backoff from 0.5 s.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,

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

/// Parses `90`, `90s`, `15m`, `1h`.
fn parse_duration(flag: &str, text: &str) -> Result<Duration, CommandError> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number.parse().map_err(|_| {
        usage_error(format!("{flag} {text} is not a duration"))
            .hinted("write it as seconds, minutes or hours: 30s, 15m, 1h")
    })?;
    let seconds = match unit {
        "s" => value,
        "m" => value * 60,
        "h" => value * 3600,
        _ => {
            return Err(usage_error(format!("{flag} {text} has an unknown unit"))
                .hinted("write it as seconds, minutes or hours: 30s, 15m, 1h"));
        }
    };
    Ok(Duration::from_secs(seconds))
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

/// What one poll did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct PollReport {
    /// Events delivered in this poll.
    delivered: Vec<Notification>,
    /// Events seen again and already confirmed by every receiver.
    already_delivered: usize,
    /// Why deliveries failed; these events are sent again on the next poll.
    failures: Vec<String>,
    state_file: String,
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
            "Delivered {} event(s); {} already delivered; {} failed.\n",
            self.delivered.len(),
            self.already_delivered,
            self.failures.len()
        ));
        out
    }
}

struct Watcher<'a> {
    ui: &'a Ui,
    sinks: Vec<Sink>,
    delivery: Delivery,
    overlap: SignedDuration,
    state_path: PathBuf,
}

impl Watcher<'_> {
    async fn poll(
        &self,
        graph: &breakglass_entra::GraphClient,
        identities: &EmergencyIdentities,
    ) -> Result<PollReport, CommandError> {
        let mut state = WatchState::load(&self.state_path)?;
        let mut report = PollReport {
            state_file: self.state_path.display().to_string(),
            ..PollReport::default()
        };
        let started = Timestamp::now();
        for source in Source::ALL {
            let cursor = state.cursor(source.name(), started);
            let records = fetch(graph, identities, source, read_from(cursor, self.overlap)).await?;
            let mut first_failed: Option<Timestamp> = None;
            for record in &records {
                let Some(n) = notification(record, identities, source) else {
                    continue;
                };
                let time = record_time(record).unwrap_or(started);
                let mut sent = false;
                let mut failed = false;
                for sink in &self.sinks {
                    if state.is_delivered(sink.kind.name(), &n.id) {
                        continue;
                    }
                    match self.delivery.deliver(sink, &n).await {
                        Ok(()) => {
                            state.mark_delivered(sink.kind.name(), &n.id, time);
                            state.save(&self.state_path)?;
                            sent = true;
                        }
                        Err(why) => {
                            self.ui.warn(format!("event {}: {why}", n.id));
                            report.failures.push(format!("event {}: {why}", n.id));
                            failed = true;
                        }
                    }
                }
                if failed {
                    first_failed = Some(first_failed.map_or(time, |t| t.min(time)));
                } else if sent {
                    self.ui.status(format!(
                        "[{}] {} ({})",
                        severity_name(n.severity),
                        n.title,
                        n.id
                    ));
                    report.delivered.push(n);
                } else {
                    report.already_delivered += 1;
                }
            }
            // The cursor moves past what every receiver confirmed, never past a failure.
            let next = match first_failed {
                Some(failed) => failed.min(cursor.max(started)),
                None => cursor.max(started),
            };
            state.set_cursor(source.name(), next);
        }
        let keep_from = read_from(state.oldest_cursor(started), self.overlap)
            .checked_sub(SignedDuration::from_hours(1))
            .unwrap_or(started);
        state.prune(keep_from);
        state.save(&self.state_path)?;
        Ok(report)
    }
}

async fn current_identities(
    args: &WatchArgs,
    session: &Session,
    workspace: &Workspace,
) -> Result<EmergencyIdentities, CommandError> {
    match &args.identities {
        Some(path) => crate::monitor::identities::load(path),
        None => crate::monitor::identities::gather(session, &workspace.config).await,
    }
}

pub async fn cmd_watch(helper: &CommandHelper, args: &WatchArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let poll_interval = parse_duration("--poll-interval", &args.poll_interval)?;
    if poll_interval < Duration::from_secs(5) {
        return Err(usage_error(format!(
            "--poll-interval {} is shorter than 5s",
            args.poll_interval
        ))
        .hinted("Graph throttles busy pollers; sign-ins reach the log minutes late anyway"));
    }
    let overlap = parse_duration("--overlap", &args.overlap)?;
    let timeout = parse_duration("--timeout", &args.timeout)?;
    if timeout.is_zero() {
        return Err(usage_error("--timeout must be at least 1s"));
    }
    let sinks = sinks(args, timeout)?;
    let state_path = match &args.state {
        Some(path) => path.clone(),
        None => default_state_path()?,
    };
    ensure_parent(&state_path)?;
    WatchState::load(&state_path)?;

    let workspace = Workspace::load(&args.config)?;
    let session = helper
        .sign_in_for(&args.operator, &workspace.config)
        .await?;
    let watcher = Watcher {
        ui,
        sinks,
        delivery: Delivery::new(timeout, args.retries)?,
        overlap: SignedDuration::try_from(overlap)
            .map_err(|_| usage_error("--overlap is too long"))?,
        state_path,
    };
    if args.once {
        let identities = current_identities(args, &session, &workspace).await?;
        let report = watcher.poll(&session.graph, &identities).await?;
        let failures = report.failures.len();
        ui.emit(&report)?;
        if failures > 0 {
            return Err(CommandError::new(
                ErrorKind::Network,
                format!("{failures} notification(s) could not be delivered"),
            )
            .hinted("they are sent again on the next run; the warnings above say why"));
        }
        return Ok(());
    }
    ui.status(format!(
        "Watching the emergency identities every {}s; state in {}.",
        poll_interval.as_secs(),
        watcher.state_path.display()
    ));
    loop {
        let outcome = match current_identities(args, &session, &workspace).await {
            Ok(identities) => watcher.poll(&session.graph, &identities).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(report) if !report.failures.is_empty() => ui.warn(format!(
                "{} notification(s) could not be delivered; retrying at the next poll",
                report.failures.len()
            )),
            Ok(_) => {}
            Err(e) => ui.warn(format!("poll failed: {e}; retrying at the next poll")),
        }
        tokio::time::sleep(poll_interval).await;
    }
}
