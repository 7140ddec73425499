//! `breakglass temp-user [--ttl 30m]`: create a temporary administrator, show its sign-in
//! details once, count its lease down and remove it at the end.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::lease::{
    self as core_lease, Marker, format_clock, format_duration, format_timestamp, whole_seconds,
};
use breakglass_core::roles::{self, BuiltInRole};
use breakglass_entra::graph::models::{NewRoleAssignment, NewTemporaryAccessPass};
use breakglass_entra::graph::{ReplicationPolicy, odata_string, retry_while_replicating};
use breakglass_entra::{GraphClient, Query};
use indicatif::ProgressBar;
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, usage_error};
use crate::output::{Report, table};
use crate::session::{OperatorArgs, Session};
use crate::signals::{Signal, Signals};
use crate::ui::Ui;
use breakglass_ops::lease::{self, LeaseFile, OperatorIdentity, Step};

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

/// The sign-in details, shown once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInDetails {
    pub user_id: String,
    pub user_principal_name: String,
    #[serde(
        serialize_with = "expose_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub password: Option<SecretString>,
    #[serde(
        serialize_with = "expose_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub temporary_access_pass: Option<SecretString>,
    pub role: String,
    pub created: String,
    pub expires: String,
    pub ttl_seconds: i64,
    pub lease_file: String,
    pub detached: bool,
}

/// The one place a secret is serialized: the sign-in details, on stdout, once.
fn expose_secret<S: Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
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

/// A new user's alias: `bg-temp-` and the random part every breakglass user name has.
fn random_alias() -> String {
    format!("bg-temp-{}", breakglass_ops::random::name_suffix())
}

fn resolve_role(name: &str) -> Result<BuiltInRole, CommandError> {
    roles::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = roles::ALL.iter().map(|role| role.display_name).collect();
        usage_error(format!("unknown directory role `{name}`"))
            .hinted(format!("use one of: {}", names.join(", ")))
    })
}

/// A fresh user may take a moment to replicate before it can get a role or a pass.
fn replication() -> ReplicationPolicy {
    ReplicationPolicy {
        budget: Duration::from_secs(60),
        initial_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(8),
    }
}

/// A created temporary administrator.
struct Made {
    lease: LeaseFile,
    lease_path: PathBuf,
    details: SignInDetails,
    /// The tenant's clock minus this machine's.
    skew: SignedDuration,
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
    let alias = random_alias();
    let made = tokio::select! {
        made = create(ui, &session, &operator, args, ttl, role, &alias) => made?,
        signal = signals.next() => {
            ui.warn(format!(
                "{}: stopping, and removing what was created so far",
                if signal == Signal::Terminate { "SIGTERM" } else { "interrupted" }
            ));
            remove_by_alias(ui, &session.graph, &alias).await;
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

/// Creates the user with its lease, the local lease file, the pass and the role. Once the
/// user exists, any failure removes it again before the error is returned.
async fn create(
    ui: &Ui,
    session: &Session,
    operator: &OperatorIdentity,
    args: &CreateArgs,
    ttl: SignedDuration,
    role: BuiltInRole,
    alias: &str,
) -> Result<Made, CommandError> {
    let graph = &session.graph;
    let (domains, date) = {
        let _spinner = ui.spinner("reading the tenant's domains…");
        graph
            .get_json_dated::<Value>(V1, "domains", &Query::new())
            .await?
    };
    let now = lease::tenant_time(date.as_deref());
    let skew = now.duration_since(Timestamp::now());
    let domain = domains
        .get("value")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|domain| domain.get("isInitial") == Some(&Value::Bool(true)))
        .and_then(|domain| domain.get("id").and_then(Value::as_str))
        .map(str::to_string)
        .ok_or_else(|| {
            CommandError::new(
                ErrorKind::Service,
                "the tenant lists no initial *.onmicrosoft.com domain",
            )
            .hinted("check `breakglass tenant show`; the operator needs Domain.Read.All or Directory.Read.All")
        })?;

    if !args.allow_several {
        let (existing, _) = {
            let _spinner = ui.spinner("looking for this operator's temporary administrators…");
            lease::temporary_users(graph).await?
        };
        if let Some(held) = existing
            .iter()
            .find(|user| user.operator.as_deref() == Some(operator.id.as_str()))
        {
            let until = match held.marker {
                Marker::Expires(at) => format!("lease until {}", format_timestamp(at)),
                _ => "lease unreadable".to_string(),
            };
            return Err(usage_error(format!(
                "this operator already has a temporary administrator: {} ({until})",
                held.label()
            ))
            .hinted(format!(
                "use it, or extend it with `breakglass temp-user extend {} 15m`; `breakglass sweep` removes it once expired",
                held.label()
            ))
            .hinted("pass `--allow-several` to create another one anyway"));
        }
    }

    let expires = whole_seconds(now.checked_add(ttl).unwrap_or(now));
    let upn = format!("{alias}@{domain}");
    let password = breakglass_ops::random::password();
    let body = json!({
        "accountEnabled": true,
        "displayName": format!("breakglass temporary administrator {}", alias.trim_start_matches("bg-temp-")),
        "mailNickname": alias,
        "userPrincipalName": upn,
        // The lease, in the same request: no temporary administrator exists without it.
        "employeeType": core_lease::marker(expires),
        "companyName": core_lease::operator_tag(&operator.id),
        "passwordProfile": {
            "forceChangePasswordNextSignIn": false,
            "password": password.expose_secret(),
        },
    });
    let created: Value = {
        let _spinner = ui.spinner(format!("creating {upn}…"));
        match graph.post_json(V1, "users", &body).await {
            Ok(user) => user,
            Err(err) => {
                // The request may have reached the tenant even though the answer did not.
                drop(body);
                remove_by_alias(ui, graph, alias).await;
                return Err(err.into());
            }
        }
    };
    drop(body);
    let user_id = created
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let created_at = created
        .get("createdDateTime")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(now);
    ui.status(format!(
        "  ✓ created {upn}, lease until {}",
        format_timestamp(expires)
    ));

    let lease = LeaseFile {
        version: 1,
        tenant_id: operator.tenant_id.clone(),
        user_id: user_id.clone(),
        user_principal_name: upn.clone(),
        role: role.display_name.to_string(),
        sign_in: if args.tap {
            "temporaryAccessPass"
        } else {
            "password"
        }
        .to_string(),
        created: created_at,
        expires,
        operator: operator.id.clone(),
    };
    let finished = async {
        let lease_path = lease::write_lease(&lease)?;
        let pass = if args.tap {
            let request = NewTemporaryAccessPass {
                start_date_time: None,
                lifetime_in_minutes: u32::try_from(core_lease::tap_lifetime_minutes(ttl)).ok(),
                is_usable_once: Some(false),
            };
            let _spinner = ui.spinner("issuing a Temporary Access Pass…");
            let issued = retry_while_replicating(replication(), || {
                graph.create_temporary_access_pass(&user_id, &request)
            })
            .await?;
            let secret = issued.temporary_access_pass.ok_or_else(|| {
                CommandError::new(
                    ErrorKind::Service,
                    "the tenant issued a Temporary Access Pass but did not return it",
                )
            })?;
            ui.status("  ✓ issued a Temporary Access Pass");
            Some(secret)
        } else {
            None
        };
        {
            let _spinner = ui.spinner(format!("assigning {}…", role.display_name));
            let assignment = NewRoleAssignment {
                role_definition_id: role.template_id.to_string(),
                principal_id: user_id.clone(),
                directory_scope_id: "/".to_string(),
            };
            retry_while_replicating(replication(), || graph.create_role_assignment(&assignment))
                .await?;
        }
        ui.status(format!(
            "  ✓ assigned {} (permanent, active, directory-wide)",
            role.display_name
        ));
        Ok::<_, CommandError>((lease_path, pass))
    }
    .await;
    let (lease_path, pass) = match finished {
        Ok(done) => done,
        Err(err) => {
            ui.warn(format!(
                "could not finish setting up {upn}; removing it again"
            ));
            if let Err(cleanup) = lease::remove_user(ui, graph, &user_id, &upn).await {
                drop(cleanup);
                ui.warn(format!(
                    "{upn} is still there; `breakglass sweep` removes it after {}",
                    format_timestamp(expires)
                ));
            } else {
                let _ = lease::remove_lease(&user_id);
            }
            return Err(err);
        }
    };
    let (password, temporary_access_pass) = match pass {
        Some(pass) => (None, Some(pass)),
        None => (Some(password), None),
    };
    let details = SignInDetails {
        user_id,
        user_principal_name: upn,
        password,
        temporary_access_pass,
        role: role.display_name.to_string(),
        created: format_timestamp(created_at),
        expires: format_timestamp(expires),
        ttl_seconds: expires.duration_since(now).as_secs(),
        lease_file: lease_path.display().to_string(),
        detached: args.detach,
    };
    Ok(Made {
        lease,
        lease_path,
        details,
        skew,
    })
}

/// Best effort after an interruption or an unanswered create: removes any user with this
/// alias. Whatever it misses still carries its lease marker, so `sweep` removes it.
async fn remove_by_alias(ui: &Ui, graph: &GraphClient, alias: &str) {
    let query = Query::new()
        .filter(format!("mailNickname eq {}", odata_string(alias)))
        .select(["id", "userPrincipalName"]);
    let users: Vec<Value> = match graph.list_all(V1, "users", &query).await {
        Ok(users) => users,
        Err(_) => {
            ui.warn(format!(
                "could not check whether {alias} was created; `breakglass sweep` removes it once its lease ends"
            ));
            return;
        }
    };
    for user in users {
        let Some(id) = user.get("id").and_then(Value::as_str) else {
            continue;
        };
        let label = user
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .unwrap_or(id);
        match lease::remove_user(ui, graph, id, label).await {
            Ok(_) => {
                let _ = lease::remove_lease(id);
            }
            Err(_) => ui.warn(format!(
                "{label} is still there; `breakglass sweep` removes it once its lease ends"
            )),
        }
    }
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
                Ok((Some(user), now)) => Polled::Found(
                    Marker::parse(user.get("employeeType").and_then(Value::as_str)),
                    now,
                ),
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
    fn names_and_passwords_are_random_and_strong() {
        let alias = random_alias();
        assert!(
            alias.starts_with("bg-temp-") && alias.len() == 18,
            "{alias}"
        );
        assert_ne!(alias, random_alias());
        let password = breakglass_ops::random::password();
        let text = password.expose_secret();
        assert_eq!(text.chars().count(), 32);
        assert!(text.chars().any(|c| c.is_ascii_uppercase()));
        assert!(text.chars().any(|c| c.is_ascii_lowercase()));
        assert!(text.chars().any(|c| c.is_ascii_digit()));
        assert!(text.chars().any(|c| !c.is_ascii_alphanumeric()));
    }

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
