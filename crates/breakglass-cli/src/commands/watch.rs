//! `breakglass watch`: notify a webhook, Slack, Teams or email of every sign-in of, and
//! every change to, the emergency identities.

use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::flag_duration;
use breakglass_core::identities::EmergencyIdentities;
use tokio::time::Instant;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::{AuthMethod, OperatorArgs, Session};
use crate::ui::Ui;
use breakglass_ops::provision::Workspace;
use breakglass_ops::watch::cursor::{WatchState, default_state_path, ensure_parent};
use breakglass_ops::watch::receivers::{EmailFlags, ReceiverFlags, receivers};
use breakglass_ops::watch::severity_name;
use breakglass_ops::watch::sinks::{Delivery, Sink};
use breakglass_ops::watch::timing::{DEFAULT_RUN_TIMEOUT, Timing, TimingFlags};
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

/// The receivers the flags name, each checked before anything is read from the tenant.
pub fn sinks(args: &WatchArgs, timeout: Duration) -> Result<Vec<Sink>, CommandError> {
    let email = &args.email;
    let flags = ReceiverFlags {
        webhook: args.webhook.clone(),
        webhook_secret_file: args.webhook_secret_file.clone(),
        slack: args.slack.clone(),
        teams: args.teams.clone(),
        email: EmailFlags {
            email_to: email.email_to.clone(),
            email_from: email.email_from.clone(),
            smtp: email.smtp.clone(),
            smtp_user: email.smtp_user.clone(),
            smtp_password_file: email.smtp_password_file.clone(),
            smtp_ca: email.smtp_ca.clone(),
        },
    };
    Ok(receivers(&flags, timeout)?)
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

impl WatchArgs {
    /// The poll interval, overlap and timeouts, checked: one tenant or many read them alike.
    pub(crate) fn timing(&self) -> Result<Timing, CommandError> {
        Ok(Timing::from_flags(TimingFlags {
            poll_interval: &self.poll_interval,
            overlap: &self.overlap,
            timeout: &self.timeout,
            run_timeout: &self.run_timeout,
        })?)
    }
}

pub async fn cmd_watch(helper: &CommandHelper, args: &WatchArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    // With --once the bound covers the whole run, sign-in included; a device-code sign-in
    // waits for a person, so the bound starts after it.
    let started = Instant::now();
    let timing = args.timing()?;
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
        tenant_name: None,
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
        flag_duration::show(timing.poll_interval),
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
