//! The drill: each emergency credential signs in and reads, each emergency user is inspected,
//! the sign-ins are looked for in the logs, and a record is made; [`record`] writes and reads
//! the records. The rules that score each finding are in `breakglass_core::drill`.

mod credentials;
pub mod given;
pub mod record;
mod sign_ins;
mod users;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use breakglass_core::drill::{
    self, AppRef, Authority, Check, CheckKind, CredentialResult, DrillRecord, Operator,
    RECORD_VERSION, Status, UseKind, UserResult, Verdict,
};
use breakglass_core::roles;
use breakglass_core::tenant::{Policy, same};
use breakglass_entra::graph::models::DirectoryObject;
use breakglass_entra::{GraphClient, HttpOptions, Query};
use futures::TryStreamExt as _;
use jiff::{SignedDuration, Timestamp};

use crate::Progress;
use crate::cloud::ResolvedCloud;
use crate::emergency::credential_source::Input;
use crate::error::Error;
use crate::lease;
use crate::provision::Workspace;
use crate::provision::credentials::EmergencyApp;
use crate::provision::vault::{KeePassPassword, LocalVault};
use crate::session::Session;
use crate::tenant::{emergency_users, exclusion_group, policy_of};
use credentials::{Context, prove_credential};
use sign_ins::find_sign_ins;
use users::{ExclusionGroup, check_user, role_assignments};

/// The scanned text brought for a credential kept on paper, by label.
#[derive(Clone)]
pub enum Given {
    Sheet(Input),
    Shares(Vec<Input>),
}

/// What the person asked of this drill.
pub struct DrillOptions {
    pub given: BTreeMap<String, Given>,
    /// A credential expiring within this many days fails the drill.
    pub min_days: i64,
    /// A credential expiring within this many days is a warning.
    pub warn_days: i64,
    /// How long to wait for the drill's sign-ins to show up in the logs.
    pub log_wait: Duration,
    /// Warnings fail the drill too.
    pub strict: bool,
    /// `breakglass.toml`, for KeePass-held credentials.
    pub config_path: PathBuf,
    /// What this run records: a drill, an emergency use, a misuse.
    pub kind: UseKind,
    pub note: Option<String>,
}

/// Who runs the drill, and how it reaches the tenant and the KeePass password.
pub struct Drill<'a> {
    pub progress: &'a dyn Progress,
    pub session: &'a Session,
    /// The cloud chosen for this run; each credential's own is checked against it.
    pub chosen_cloud: ResolvedCloud,
    pub http_options: HttpOptions,
    pub keepass_password: &'a dyn Fn(&Path) -> Result<KeePassPassword, Error>,
    /// The PKCS#11 tokens of `pkcs11` credentials, and how their PINs are asked for.
    pub tokens: crate::provision::token_store::Tokens,
}

pub(crate) fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// A failure as a check: the message and the first hint.
pub(super) fn failed(check: CheckKind, status: Status, err: &Error) -> Check {
    Check::new(check, status, err.to_string()).hinted(err.hints().join("; "))
}

pub(super) fn short(key: &str) -> &str {
    &key[..key.len().min(8)]
}

/// Who runs the drill, from the session's token.
fn operator_of(session: &Session) -> Result<Operator, Error> {
    let claims = session.token.claims()?;
    Ok(if claims.is_app_only() {
        Operator {
            kind: "app".into(),
            id: claims.client_id().unwrap_or_default().to_string(),
            name: claims.app_displayname.clone(),
            method: session.method.to_string(),
        }
    } else {
        Operator {
            kind: "user".into(),
            id: claims.user().unwrap_or_default().to_string(),
            name: claims.name.clone(),
            method: session.method.to_string(),
        }
    })
}

/// The tenant as the drill names it, and the tenant's clock (from the answer's `Date`), which
/// judges expiry and finds the drill's sign-ins even when this machine's clock is off.
struct TenantClock {
    id: String,
    name: Option<String>,
    now: Timestamp,
}

async fn tenant_clock(session: &Session) -> Result<TenantClock, Error> {
    let claims = session.token.claims()?;
    let (organizations, date) = session.graph.organization_dated().await?;
    let organization = organizations.into_iter().next().unwrap_or_default();
    let id = claims
        .tid
        .clone()
        .filter(|tid| !tid.is_empty())
        .unwrap_or(organization.id);
    Ok(TenantClock {
        id,
        name: organization.display_name,
        now: lease::tenant_time(date.as_deref()),
    })
}

/// Whether the service principal holds the declared role at `/` (`None` when the app holds
/// Graph permissions instead, or the assignments cannot be read).
async fn assigned_at_root(
    graph: &GraphClient,
    authority: &Authority,
    app: &EmergencyApp,
) -> Option<bool> {
    let (Authority::Role(role), Some(sp)) = (authority, &app.service_principal_id) else {
        return None;
    };
    let assignments = role_assignments(graph, sp).await.ok()?;
    Some(assignments.iter().any(|a| {
        a.directory_scope_id.as_deref() == Some("/")
            && same(&a.role_definition_id, &role.template_id.to_string())
    }))
}

/// The key ids of the credentials the sheets' manifest lists, by label.
fn manifest_of(workspace: &Workspace) -> BTreeMap<String, String> {
    LocalVault::new(
        &workspace.config,
        &workspace.base,
        KeePassPassword::Unavailable(String::new()),
    )
    .manifest_entries()
    .map(|entries| {
        entries
            .into_iter()
            .map(|e| (e.label, e.key_id.to_ascii_lowercase()))
            .collect()
    })
    .unwrap_or_default()
}

/// Runs the drill and returns its record, scored, with the next due date; `earlier` are the
/// records already on disk. Writing the record is the caller's ([`record::write`]).
pub async fn run(
    drill: &Drill<'_>,
    workspace: &Workspace,
    options: &DrillOptions,
    earlier: &[DrillRecord],
    started: Timestamp,
) -> Result<DrillRecord, Error> {
    let config = &workspace.config;
    let graph = &drill.session.graph;
    let operator = operator_of(drill.session)?;
    let tenant = tenant_clock(drill.session).await?;
    let app = {
        let _busy = drill.progress.busy("reading the emergency app…");
        EmergencyApp::find(graph).await?
    };
    let authority = match &config.app.role {
        Some(role) => Authority::Role(roles::by_name(role).unwrap_or(roles::GLOBAL_ADMINISTRATOR)),
        None => Authority::GraphPermissions(config.app.graph_permissions.clone()),
    };
    let cx = Context {
        progress: drill.progress,
        chosen_cloud: &drill.chosen_cloud,
        http_options: &drill.http_options,
        keepass_password: drill.keepass_password,
        tokens: drill.tokens.clone(),
        config_path: &options.config_path,
        min_days: options.min_days,
        warn_days: options.warn_days,
        app: &app,
        authority: &authority,
        assigned_at_root: assigned_at_root(graph, &authority, &app).await,
        tenant_id: &tenant.id,
        tenant_now: tenant.now,
        earlier,
        manifest: manifest_of(workspace),
    };

    // 1. Every declared credential.
    let mut credentials = Vec::new();
    for policy in &config.app.credentials {
        credentials.push(prove_credential(&cx, policy, options.given.get(&policy.label)).await);
    }
    // 2. Every emergency user.
    let users = prove_users(drill, workspace, tenant.now).await?;
    // 3. The drill's sign-ins in the service principal sign-in logs.
    look_for_sign_ins(drill, options, &app.app_id, tenant.now, &mut credentials).await;

    // 4. The record.
    let mut record = DrillRecord {
        version: RECORD_VERSION,
        kind: options.kind,
        note: options.note.clone(),
        started,
        finished: breakglass_core::lease::whole_seconds(Timestamp::now()),
        tenant_time: Some(tenant.now),
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        cloud: drill.session.cloud.profile.name.clone(),
        operator,
        app: Some(AppRef {
            app_id: app.app_id.clone(),
            object_id: app.object_id.clone(),
        }),
        credentials,
        users,
        strict: options.strict,
        verdict: Verdict::Passed,
        failures: 0,
        warnings: 0,
        next_due: None,
    };
    record.score();
    let declared: Vec<String> = config
        .app
        .credentials
        .iter()
        .map(|c| c.label.clone())
        .collect();
    let mut all = earlier.to_vec();
    all.push(record.clone());
    record.next_due = drill::history(&all, Some(&declared), started).next_due;
    Ok(record)
}

/// What can be proven about every emergency user without its owner.
async fn prove_users(
    drill: &Drill<'_>,
    workspace: &Workspace,
    tenant_now: Timestamp,
) -> Result<Vec<UserResult>, Error> {
    let graph = &drill.session.graph;
    let config = &workspace.config;
    let users = emergency_users(graph).await?;
    let group = match exclusion_group(graph, &config.group.mail_nickname).await? {
        Some(group) => {
            let members: Vec<DirectoryObject> = graph
                .group_members(&group.id, &Query::ids())
                .try_collect()
                .await?;
            Some(ExclusionGroup {
                member_ids: members.into_iter().map(|m| m.id).collect(),
                name: group.display_name.unwrap_or_default(),
                id: group.id,
            })
        }
        None => None,
    };
    let policies: Result<Vec<Policy>, Error> = graph
        .conditional_access_policies()
        .await
        .map(|list| list.iter().map(policy_of).collect())
        .map_err(Error::from);
    let _busy = drill.progress.busy("checking the emergency users…");
    let mut results = Vec::new();
    for user in &users {
        results.push(check_user(graph, config, user, group.as_ref(), &policies, tenant_now).await);
    }
    Ok(results)
}

/// Adds to each credential that got a token whether its sign-in reached the service principal
/// sign-in logs (Graph beta), where the alert rules look.
async fn look_for_sign_ins(
    drill: &Drill<'_>,
    options: &DrillOptions,
    app_id: &str,
    tenant_now: Timestamp,
    credentials: &mut [CredentialResult],
) {
    let wanted: BTreeSet<String> = credentials
        .iter()
        .filter(|c| {
            c.checks
                .iter()
                .any(|k| k.check == CheckKind::Token && k.status == Status::Pass)
        })
        .filter_map(|c| c.key_id.as_deref().map(str::to_ascii_lowercase))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let since = tenant_now
        .checked_sub(SignedDuration::from_secs(5))
        .unwrap_or(tenant_now);
    let graph = &drill.session.graph;
    let found = find_sign_ins(
        drill.progress,
        graph,
        app_id,
        since,
        &wanted,
        options.log_wait,
    )
    .await;
    for credential in credentials {
        let Some(key) = credential.key_id.as_deref().map(str::to_ascii_lowercase) else {
            continue;
        };
        if !wanted.contains(&key) {
            continue;
        }
        let check = match &found {
            Ok(found) => match found.get(&key) {
                Some(sign_in) => Check::pass(
                    CheckKind::SignInLog,
                    format!(
                        "recorded at {} with servicePrincipalCredentialKeyId {} (status {}); read from Graph beta, v1.0 has no service principal sign-ins",
                        sign_in.created_date_time.as_deref().unwrap_or_default(),
                        short(&key),
                        sign_in
                            .status
                            .as_ref()
                            .and_then(|s| s.error_code)
                            .unwrap_or_default()
                    ),
                ),
                None => Check::warning(
                    CheckKind::SignInLog,
                    format!(
                        "not in the service principal sign-in logs (Graph beta) after {}s",
                        options.log_wait.as_secs()
                    ),
                )
                .hinted(format!(
                    "Entra can take several minutes to write sign-in logs: run again with a longer `--log-wait`, or look in the Entra admin center (Sign-in logs, service principal sign-ins) for app {app_id}; the alert rule must watch for it"
                )),
            },
            Err(err) => failed(CheckKind::SignInLog, Status::Warning, err),
        };
        credential.checks.push(check);
    }
}
