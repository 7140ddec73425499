//! `breakglass temp-user [--ttl 30m]`: create a temporary administrator, show its sign-in
//! details once, count its lease down and remove it at the end.

use std::io::IsTerminal as _;
use std::time::Duration;

use breakglass_core::lease::{
    self as core_lease, Marker, format_clock, format_duration, format_timestamp,
};
use breakglass_core::roles::{self, BuiltInRole};
use breakglass_entra::GraphClient;
use indicatif::ProgressBar;
use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, usage_error};
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::signals::{Signal, Signals};
use crate::ui::Ui;
use breakglass_ops::lease::{self, LeaseFile, Step};
use breakglass_ops::temp_admin::{self, Made, NewTemporaryAdmin, SignInDetails};

/// How often the countdown reads the lease back from the tenant, to notice an extension.
const POLL_INTERVAL: Duration = Duration::from_secs(15);

/// Flags of `breakglass temp-user` (creating one).
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// How long the temporary administrator lives, from 5m to 8h: e.g. 30m, 2h, 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub ttl: String,

    /// Sign in with a Temporary Access Pass valid for the lease (at least 10 minutes, as
    /// Entra requires) instead of a password. Needs UserAuthenticationMethod.ReadWrite.All
    /// and the Temporary Access Pass method enabled in the tenant.
    #[arg(long)]
    pub tap: bool,

    /// The directory role to hold, by name (`breakglass admins list` shows names).
    #[arg(long, value_name = "NAME", default_value = "Global Administrator")]
    pub role: String,

    /// Return as soon as the user exists, leaving the lease to `breakglass sweep`
    /// (run it from cron or a scheduled pipeline; see docs/temp-user.md).
    #[arg(long)]
    pub detach: bool,

    /// End the lease on Ctrl-C without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Allow another temporary administrator while this operator already holds one.
    #[arg(long)]
    pub allow_several: bool,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for SignInDetails {
    fn human(&self, _ui: &Ui) -> String {
        let mut text = String::from(
            "Temporary administrator ready. Sign in now: these details are shown once and kept nowhere.\n\n",
        );
        text.push_str(&format!("  user name   {}\n", self.user_principal_name));
        if let Some(password) = &self.password {
            text.push_str(&format!("  password    {}\n", password.expose_secret()));
        }
        if let Some(pass) = &self.temporary_access_pass {
            text.push_str(&format!("  access pass {}\n", pass.expose_secret()));
        }
        text.push_str(&format!(
            "  role        {} (active, whole directory)\n",
            self.role
        ));
        text.push_str(&format!(
            "  expires     {} (in {})\n",
            self.expires,
            format_duration(SignedDuration::from_secs(self.ttl_seconds))
        ));
        text
    }
}

/// Why the lease ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EndReason {
    Expired,
    Interrupted,
    Terminated,
    /// The user disappeared from the tenant (removed by `sweep` or by hand).
    Gone,
}

impl EndReason {
    fn describe(self) -> &'static str {
        match self {
            EndReason::Expired => "the lease expired",
            EndReason::Interrupted => "ended on request (Ctrl-C)",
            EndReason::Terminated => "ended by SIGTERM",
            EndReason::Gone => "the user was removed from the tenant elsewhere",
        }
    }

    fn code(self) -> &'static str {
        match self {
            EndReason::Expired => "expired",
            EndReason::Interrupted => "interrupted",
            EndReason::Terminated => "terminated",
            EndReason::Gone => "gone",
        }
    }
}

/// What is printed when the lease is over and the user removed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndReport {
    user_id: String,
    user_principal_name: String,
    reason: &'static str,
    removed: bool,
    steps: Vec<Step>,
}

impl Report for EndReport {
    fn human(&self, ui: &Ui) -> String {
        let mut table = table(ui, &["step", "result"]);
        for step in &self.steps {
            let result = match step.outcome {
                lease::Outcome::Done => "done",
                lease::Outcome::AlreadyDone => "already done",
            };
            table.add_row(vec![step.detail.clone(), result.to_string()]);
        }
        format!(
            "Removed temporary administrator {} ({}).\n{table}\n",
            self.user_principal_name,
            match self.reason {
                "expired" => "lease expired",
                "interrupted" => "ended early on request",
                "terminated" => "ended by SIGTERM",
                _ => "already removed elsewhere",
            }
        )
    }
}

fn interrupted() -> CommandError {
    CommandError::new(ErrorKind::Interrupted, "interrupted")
}

fn resolve_role(name: &str) -> Result<BuiltInRole, CommandError> {
    roles::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = roles::ALL.iter().map(|role| role.display_name).collect();
        usage_error(format!("unknown directory role `{name}`"))
            .hinted(format!("use one of: {}", names.join(", ")))
    })
}

pub async fn cmd_create(helper: &CommandHelper, args: &CreateArgs) -> Result<(), CommandError> {
    let ttl = lease::parse_ttl(&args.ttl)?;
    let role = resolve_role(&args.role)?;
    let ui = helper.ui();
    let mut signals = Signals::new()?;
    let session = tokio::select! {
        session = helper.sign_in(&args.operator) => session?,
        _ = signals.next() => return Err(interrupted()),
    };
    let operator = lease::operator_identity(&session)?;
    let request = NewTemporaryAdmin {
        ttl,
        role,
        tap: args.tap,
        allow_several: args.allow_several,
        detach: args.detach,
    };
    let alias = temp_admin::random_alias();
    let made = tokio::select! {
        made = temp_admin::create(ui, &session, &operator, &request, &alias) => made?,
        signal = signals.next() => {
            ui.warn(format!(
                "{}: stopping, and removing what was created so far",
                if signal == Signal::Terminate { "SIGTERM" } else { "interrupted" }
            ));
            temp_admin::remove_by_alias(ui, &session.graph, &alias).await;
            return Err(interrupted());
        }
    };
    let Made {
        mut lease,
        lease_path,
        details,
        skew,
    } = made;
    if let Err(err) = ui.emit(&details) {
        // Nobody saw the sign-in details: the account is of no use, so it goes again.
        drop(details);
        ui.warn(format!(
            "the sign-in details could not be shown; removing {}",
            lease.user_principal_name
        ));
        if lease::remove_user(
            ui,
            &session.graph,
            &lease.user_id,
            &lease.user_principal_name,
        )
        .await
        .is_ok()
        {
            let _ = lease::remove_lease(&lease.user_id);
        }
        return Err(err);
    }
    drop(details);
    if args.detach {
        ui.status(format!(
            "Detached. `breakglass sweep` removes {} once the lease ends at {}.",
            lease.user_principal_name,
            format_timestamp(lease.expires)
        ));
        ui.hint(format!(
            "local lease: {}; extend with `breakglass temp-user extend {} 15m`",
            lease_path.display(),
            lease.user_principal_name
        ));
        return Ok(());
    }
    ui.status(format!(
        "Counting down; Ctrl-C ends the lease now{}. Extend it from another shell with `breakglass temp-user extend {} 15m`.",
        if args.yes { "" } else { " (after a question)" },
        lease.user_principal_name
    ));
    let reason = countdown(ui, &session.graph, &mut lease, skew, args.yes, &mut signals).await;
    finish(ui, &session.graph, &lease, reason, &mut signals).await
}

/// What the background poll of the tenant found.
enum Polled {
    /// The user and its marker, with the tenant's time.
    Found(Marker, Timestamp),
    Missing,
    Failed(String),
}

/// Reads the lease back from the tenant every [`POLL_INTERVAL`], without holding up the
/// countdown while Graph is slow.
fn spawn_poll(graph: GraphClient, user_id: String) -> tokio::sync::mpsc::Receiver<Polled> {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + POLL_INTERVAL, POLL_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let polled = match lease::user_by_key(&graph, &user_id).await {
                Ok((Some(user), now)) => {
                    Polled::Found(Marker::parse(user.employee_type.as_deref()), now)
                }
                Ok((None, _)) => Polled::Missing,
                Err(err) => Polled::Failed(err.to_string()),
            };
            if sender.send(polled).await.is_err() {
                return;
            }
        }
    });
    receiver
}

fn update_bar(bar: &ProgressBar, lease: &LeaseFile, now: Timestamp) {
    let progress = core_lease::progress(lease.created, lease.expires, now);
    bar.set_length(progress.total.max(1));
    bar.set_position(progress.elapsed);
    bar.set_message(format!(
        "{} left (ends {} UTC)",
        format_clock(SignedDuration::from_secs(
            i64::try_from(progress.remaining).unwrap_or(i64::MAX)
        )),
        lease.expires.strftime("%H:%M:%S")
    ));
}

/// Counts the lease down until it expires, is ended, or the user disappears.
async fn countdown(
    ui: &Ui,
    graph: &GraphClient,
    lease: &mut LeaseFile,
    mut skew: SignedDuration,
    yes: bool,
    signals: &mut Signals,
) -> EndReason {
    let mut bar = new_bar(ui);
    let tenant_now = |skew: SignedDuration| {
        Timestamp::now()
            .checked_add(skew)
            .unwrap_or_else(|_| Timestamp::now())
    };
    update_bar(&bar, lease, tenant_now(skew));
    let mut polls = spawn_poll(graph.clone(), lease.user_id.clone());
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut missing = 0u32;
    let mut poll_failed = false;
    let mut marker_warned = false;
    let mut armed = false;
    let reason = loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = tenant_now(skew);
                update_bar(&bar, lease, now);
                if now >= lease.expires {
                    break EndReason::Expired;
                }
            }
            Some(polled) = polls.recv() => match polled {
                Polled::Found(marker, now) => {
                    missing = 0;
                    if poll_failed {
                        poll_failed = false;
                        bar.suspend(|| ui.status("the tenant answers again"));
                    }
                    // Follow the tenant's clock; ignore the jitter of whole-second dates.
                    let observed = now.duration_since(Timestamp::now());
                    if (observed - skew).abs() > SignedDuration::from_secs(2) {
                        skew = observed;
                    }
                    match marker {
                        Marker::Expires(at) if at != lease.expires => {
                            let before = lease.expires;
                            lease.expires = at;
                            let verb = if at > before { "extended" } else { "shortened" };
                            bar.suspend(|| ui.status(format!(
                                "the lease was {verb}: it now ends at {}",
                                format_timestamp(at)
                            )));
                            if let Err(err) = lease::write_lease(lease) {
                                bar.suspend(|| ui.warn(format!("the local lease file was not updated: {err}")));
                            }
                        }
                        Marker::Expires(_) => {}
                        Marker::None | Marker::Unreadable => {
                            if !marker_warned {
                                marker_warned = true;
                                bar.suspend(|| ui.warn(format!(
                                    "the lease marker on the user was changed by hand; the countdown keeps to {}",
                                    format_timestamp(lease.expires)
                                )));
                            }
                        }
                    }
                }
                Polled::Missing => {
                    // Twice in a row, so a replication hiccup does not end the lease.
                    missing += 1;
                    if missing >= 2 {
                        break EndReason::Gone;
                    }
                }
                Polled::Failed(error) => {
                    if !poll_failed {
                        poll_failed = true;
                        bar.suspend(|| ui.warn(format!(
                            "cannot read the lease from the tenant ({error}); the countdown goes on"
                        )));
                    }
                }
            },
            signal = signals.next() => match signal {
                Signal::Terminate => break EndReason::Terminated,
                Signal::Interrupt if yes || armed => break EndReason::Interrupted,
                Signal::Interrupt => {
                    if std::io::stdin().is_terminal() {
                        let question = format!(
                            "End the lease now and remove {}? [y/N] (Ctrl-C again: yes) ",
                            lease.user_principal_name
                        );
                        let deadline = lease.expires.duration_since(tenant_now(skew));
                        // The bar makes way for the question, and comes back after it.
                        bar.finish_and_clear();
                        let answer = ask(&question, signals, deadline).await;
                        bar = new_bar(ui);
                        update_bar(&bar, lease, tenant_now(skew));
                        if answer {
                            break EndReason::Interrupted;
                        }
                        bar.suspend(|| ui.status("the countdown goes on"));
                    } else {
                        armed = true;
                        bar.suspend(|| ui.status(format!(
                            "press Ctrl-C again to end the lease now and remove {} (or run with --yes)",
                            lease.user_principal_name
                        )));
                    }
                }
            },
        }
    };
    bar.finish_and_clear();
    reason
}

fn new_bar(ui: &Ui) -> ProgressBar {
    let template = if ui.stderr_color() {
        "{prefix} [{bar:30.cyan/blue}] {percent:>3}% {msg}"
    } else {
        "{prefix} [{bar:30}] {percent:>3}% {msg}"
    };
    let bar = ui.progress_bar(1, template);
    bar.set_prefix("lease");
    bar
}

/// Asks on the terminal; `true` for yes, a second Ctrl-C, SIGTERM, or the lease running
/// out while waiting. The answer is read on a plain thread so an unanswered question
/// never keeps the process alive.
async fn ask(question: &str, signals: &mut Signals, within: SignedDuration) -> bool {
    use std::io::Write as _;
    let _ = write!(std::io::stderr(), "{question}");
    let _ = std::io::stderr().flush();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        let _ = sender.send(answer);
    });
    let within = Duration::from_secs(u64::try_from(within.as_secs()).unwrap_or(0));
    let answer = tokio::select! {
        answer = receiver => answer.unwrap_or_default(),
        _ = signals.next() => "yes".to_string(),
        _ = tokio::time::sleep(within) => "yes".to_string(),
    };
    let _ = writeln!(std::io::stderr());
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Removes the user at the end of the lease, confirming each step, and reports it.
async fn finish(
    ui: &Ui,
    graph: &GraphClient,
    lease: &LeaseFile,
    reason: EndReason,
    signals: &mut Signals,
) -> Result<(), CommandError> {
    ui.status(format!(
        "{}: removing {}",
        reason.describe(),
        lease.user_principal_name
    ));
    let removal = lease::remove_user(ui, graph, &lease.user_id, &lease.user_principal_name);
    tokio::pin!(removal);
    let mut warned = false;
    let steps = loop {
        tokio::select! {
            steps = &mut removal => break steps?,
            _ = signals.next() => {
                if warned {
                    return Err(interrupted().hinted(format!(
                        "{} may still exist; run `breakglass sweep` to remove it",
                        lease.user_principal_name
                    )));
                }
                warned = true;
                ui.warn("still removing the temporary administrator; Ctrl-C again stops (then run `breakglass sweep`)");
            }
        }
    };
    if let Err(err) = lease::remove_lease(&lease.user_id) {
        ui.warn(format!("the local lease file was not removed: {err}"));
    }
    ui.emit(&EndReport {
        user_id: lease.user_id.clone(),
        user_principal_name: lease.user_principal_name.clone(),
        reason: reason.code(),
        removed: true,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_known_by_name() {
        assert_eq!(
            resolve_role("global administrator")
                .ok()
                .map(|r| r.template_id),
            Some(roles::GLOBAL_ADMINISTRATOR.template_id)
        );
        let err = resolve_role("Chief").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Usage);
    }
}
