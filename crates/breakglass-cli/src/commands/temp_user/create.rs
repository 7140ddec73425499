//! `breakglass temp-user [--ttl 30m]`: create a temporary administrator, show its sign-in
//! details once, count its lease down and remove it at the end.

use std::io::IsTerminal as _;
use std::time::Duration;

use breakglass_core::lease::{self as core_lease, format_clock, format_duration, format_timestamp};
use breakglass_core::roles::{self, BuiltInRole};
use breakglass_entra::GraphClient;
use indicatif::ProgressBar;
use jiff::SignedDuration;
use secrecy::ExposeSecret as _;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, usage_error};
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::signals::{Signal, Signals};
use crate::ui::Ui;
use breakglass_ops::lease::{self, LeaseFile};
use breakglass_ops::temp_admin::countdown::{LeaseClock, Seen, spawn_poll};
use breakglass_ops::temp_admin::{self, EndReason, Ended, Made, NewTemporaryAdmin, SignInDetails};

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

impl Report for Ended {
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
            self.reason.summary()
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
        lease,
        lease_path,
        details,
        skew,
    } = made;
    if let Err(err) = ui.emit(&details) {
        drop(details);
        temp_admin::discard(ui, &session.graph, &lease).await;
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
    let mut clock = LeaseClock::new(lease, skew);
    let reason = countdown(ui, &session.graph, &mut clock, args.yes, &mut signals).await;
    finish(ui, &session.graph, &clock.lease, reason, &mut signals).await
}

fn update_bar(bar: &ProgressBar, clock: &LeaseClock) {
    let lease = &clock.lease;
    let progress = core_lease::progress(lease.created, lease.expires, clock.now());
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

/// Says what an answer of the tenant changed, above the bar.
fn tell(ui: &Ui, bar: &ProgressBar, clock: &LeaseClock, seen: Seen) -> Option<EndReason> {
    let message = match seen {
        Seen::Gone => return Some(EndReason::Gone),
        Seen::AnswersAgain => "the tenant answers again".to_string(),
        Seen::Moved {
            ends,
            extended,
            saved,
        } => {
            let verb = if extended { "extended" } else { "shortened" };
            bar.suspend(|| {
                ui.status(format!(
                    "the lease was {verb}: it now ends at {}",
                    format_timestamp(ends)
                ))
            });
            if let Err(err) = saved {
                bar.suspend(|| ui.warn(format!("the local lease file was not updated: {err}")));
            }
            return None;
        }
        Seen::MarkerChangedByHand => {
            let message = format!(
                "the lease marker on the user was changed by hand; the countdown keeps to {}",
                format_timestamp(clock.lease.expires)
            );
            bar.suspend(|| ui.warn(message));
            return None;
        }
        Seen::PollFailed(error) => {
            let message =
                format!("cannot read the lease from the tenant ({error}); the countdown goes on");
            bar.suspend(|| ui.warn(message));
            return None;
        }
    };
    bar.suspend(|| ui.status(message));
    None
}

/// What Ctrl-C during the countdown leads to.
enum AfterInterrupt {
    End,
    GoOn,
    /// Not a terminal: the next Ctrl-C ends the lease.
    Armed,
}

/// Asks whether to end the lease now (on a terminal), or arms a second Ctrl-C.
async fn on_interrupt(
    ui: &Ui,
    bar: &mut ProgressBar,
    clock: &LeaseClock,
    signals: &mut Signals,
) -> AfterInterrupt {
    let upn = &clock.lease.user_principal_name;
    if !std::io::stdin().is_terminal() {
        bar.suspend(|| {
            ui.status(format!(
                "press Ctrl-C again to end the lease now and remove {upn} (or run with --yes)"
            ))
        });
        return AfterInterrupt::Armed;
    }
    let question = format!("End the lease now and remove {upn}? [y/N] (Ctrl-C again: yes) ");
    // The bar makes way for the question, and comes back after it.
    bar.finish_and_clear();
    let answer = ask(&question, signals, clock.remaining()).await;
    *bar = new_bar(ui);
    update_bar(bar, clock);
    if answer {
        return AfterInterrupt::End;
    }
    bar.suspend(|| ui.status("the countdown goes on"));
    AfterInterrupt::GoOn
}

/// Counts the lease down until it expires, is ended, or the user disappears.
async fn countdown(
    ui: &Ui,
    graph: &GraphClient,
    clock: &mut LeaseClock,
    yes: bool,
    signals: &mut Signals,
) -> EndReason {
    let mut bar = new_bar(ui);
    update_bar(&bar, clock);
    let mut polls = spawn_poll(graph.clone(), clock.lease.user_id.clone());
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut armed = false;
    let reason = loop {
        tokio::select! {
            _ = tick.tick() => {
                update_bar(&bar, clock);
                if clock.expired() {
                    break EndReason::Expired;
                }
            }
            Some(polled) = polls.recv() => {
                let seen = clock.observe(polled);
                if let Some(reason) = seen.into_iter().find_map(|seen| tell(ui, &bar, clock, seen)) {
                    break reason;
                }
            }
            signal = signals.next() => match signal {
                Signal::Terminate => break EndReason::Terminated,
                Signal::Interrupt if yes || armed => break EndReason::Interrupted,
                Signal::Interrupt => match on_interrupt(ui, &mut bar, clock, signals).await {
                    AfterInterrupt::End => break EndReason::Interrupted,
                    AfterInterrupt::GoOn => {}
                    AfterInterrupt::Armed => armed = true,
                },
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

/// Removes the user at the end of the lease and reports it; a second interruption leaves the
/// rest to `sweep`.
async fn finish(
    ui: &Ui,
    graph: &GraphClient,
    lease: &LeaseFile,
    reason: EndReason,
    signals: &mut Signals,
) -> Result<(), CommandError> {
    let removal = temp_admin::end(ui, graph, lease, reason);
    tokio::pin!(removal);
    let mut warned = false;
    let ended = loop {
        tokio::select! {
            ended = &mut removal => break ended?,
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
    ui.emit(&ended)
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
