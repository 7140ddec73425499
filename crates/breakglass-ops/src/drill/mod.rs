//! The drill: each emergency credential signs in and reads, each emergency user is inspected,
//! the sign-ins are looked for in the logs, and a record is made; [`record`] writes and reads
//! the records. The rules that score each finding are in `breakglass_core::drill`.

mod credentials;
pub mod record;
mod sign_ins;
mod users;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::drill::{
    self, AppRef, Authority, CaPolicy, Check, CheckKind, DrillRecord, Operator, RECORD_VERSION,
    Status, Verdict,
};
use breakglass_core::plan::USER_MARKER;
use breakglass_core::roles;
use breakglass_entra::{HttpOptions, Query, odata_string};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::Progress;
use crate::cloud::ResolvedCloud;
use crate::emergency::credential_source::Input;
use crate::error::Error;
use crate::json_fields::text;
use crate::lease;
use crate::provision::Workspace;
use crate::provision::credentials::EmergencyApp;
use crate::provision::observe::{exclusion_group, member_ids};
use crate::provision::vault::{KeePassPassword, LocalVault};
use crate::session::Session;
use credentials::{Context, prove_credential};
use sign_ins::find_sign_ins;
pub use users::ca_policy;
use users::{check_user, role_assignments};

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
}

/// Who runs the drill, and how it reaches the tenant and the KeePass password.
pub struct Drill<'a> {
    pub progress: &'a dyn Progress,
    pub session: &'a Session,
    /// The cloud chosen for this run; each credential's own is checked against it.
    pub chosen_cloud: ResolvedCloud,
    pub http_options: HttpOptions,
    pub keepass_password: &'a dyn Fn(&Path) -> Result<KeePassPassword, Error>,
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
    let claims = drill.session.token.claims()?;
    let operator = if claims.is_app_only() {
        Operator {
            kind: "app".into(),
            id: claims.client_id().unwrap_or_default().to_string(),
            name: claims.app_displayname.clone(),
            method: drill.session.method.to_string(),
        }
    } else {
        Operator {
            kind: "user".into(),
            id: claims.user().unwrap_or_default().to_string(),
            name: claims.name.clone(),
            method: drill.session.method.to_string(),
        }
    };
    let graph = &drill.session.graph;
    let (organization, date): (Value, Option<String>) = graph
        .get_json_dated(V1, "organization", &Query::new())
        .await?;
    let tenant_now = lease::tenant_time(date.as_deref());
    let tenant_id = claims
        .tid
        .clone()
        .or_else(|| {
            organization
                .pointer("/value/0/id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let tenant_name = organization
        .pointer("/value/0/displayName")
        .and_then(Value::as_str)
        .map(str::to_string);
    let app = {
        let _busy = drill.progress.busy("reading the emergency app…");
        EmergencyApp::find(graph).await?
    };
    let authority = match &config.app.role {
        Some(role) => Authority::Role(roles::by_name(role).unwrap_or(roles::GLOBAL_ADMINISTRATOR)),
        None => Authority::GraphPermissions(config.app.graph_permissions.clone()),
    };
    let assigned_at_root = match (&authority, &app.service_principal_id) {
        (Authority::Role(role), Some(sp)) => role_assignments(graph, sp).await.ok().map(|list| {
            list.iter().any(|a| {
                text(a, "directoryScopeId") == "/"
                    && text(a, "roleDefinitionId")
                        .eq_ignore_ascii_case(&role.template_id.to_string())
            })
        }),
        _ => None,
    };
    let manifest = LocalVault::new(
        config,
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
    .unwrap_or_default();
    let cx = Context {
        progress: drill.progress,
        chosen_cloud: &drill.chosen_cloud,
        http_options: &drill.http_options,
        keepass_password: drill.keepass_password,
        config_path: &options.config_path,
        min_days: options.min_days,
        warn_days: options.warn_days,
        app: &app,
        authority: &authority,
        assigned_at_root,
        tenant_id: &tenant_id,
        tenant_now,
        earlier,
        manifest,
    };

    // 1. Every declared credential.
    let mut credentials = Vec::new();
    for policy in &config.app.credentials {
        credentials.push(prove_credential(&cx, policy, options.given.get(&policy.label)).await);
    }

    // 2. Every emergency user.
    let users: Vec<Value> = graph
        .list_all(
            V1,
            "users",
            &Query::new()
                .filter(format!("employeeType eq {}", odata_string(USER_MARKER)))
                .select(["id", "userPrincipalName", "accountEnabled", "employeeType"])
                .count(),
        )
        .await?;
    let group = match exclusion_group(graph, config).await? {
        Some(g) => {
            let id = text(&g, "id");
            let members = member_ids(graph, &id).await?;
            Some((id, text(&g, "displayName"), members))
        }
        None => None,
    };
    let policies: Result<Vec<CaPolicy>, Error> = graph
        .list_all::<Value>(V1, "identity/conditionalAccess/policies", &Query::new())
        .await
        .map(|list| list.iter().map(ca_policy).collect())
        .map_err(Error::from);
    let mut user_results = Vec::new();
    {
        let _busy = drill.progress.busy("checking the emergency users…");
        for user in &users {
            user_results
                .push(check_user(graph, config, user, group.as_ref(), &policies, tenant_now).await);
        }
    }

    // 3. The drill's sign-ins in the service principal sign-in logs (Graph beta).
    let wanted: BTreeSet<String> = credentials
        .iter()
        .filter(|c| {
            c.checks
                .iter()
                .any(|k| k.check == CheckKind::Token && k.status == Status::Pass)
        })
        .filter_map(|c| c.key_id.as_deref().map(str::to_ascii_lowercase))
        .collect();
    if !wanted.is_empty() {
        let since = tenant_now
            .checked_sub(SignedDuration::from_secs(5))
            .unwrap_or(tenant_now);
        let found = find_sign_ins(
            drill.progress,
            graph,
            &app.app_id,
            since,
            &wanted,
            options.log_wait,
        )
        .await;
        for credential in &mut credentials {
            let Some(key) = credential.key_id.as_deref().map(str::to_ascii_lowercase) else {
                continue;
            };
            if !wanted.contains(&key) {
                continue;
            }
            let check = match &found {
                Ok(found) => match found.get(&key) {
                    Some(record) => Check::pass(
                        CheckKind::SignInLog,
                        format!(
                            "recorded at {} with servicePrincipalCredentialKeyId {} (status {}); read from Graph beta, v1.0 has no service principal sign-ins",
                            text(record, "createdDateTime"),
                            short(&key),
                            record
                                .pointer("/status/errorCode")
                                .and_then(Value::as_i64)
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
                        "Entra can take several minutes to write sign-in logs: run again with a longer `--log-wait`, or look in the Entra admin center (Sign-in logs, service principal sign-ins) for app {}; the alert rule must watch for it",
                        app.app_id
                    )),
                },
                Err(err) => failed(CheckKind::SignInLog, Status::Warning, err),
            };
            credential.checks.push(check);
        }
    }

    // 4. The record.
    let mut record = DrillRecord {
        version: RECORD_VERSION,
        started,
        finished: breakglass_core::lease::whole_seconds(Timestamp::now()),
        tenant_time: Some(tenant_now),
        tenant_id,
        tenant_name,
        cloud: drill.session.cloud.profile.name.clone(),
        operator,
        app: Some(AppRef {
            app_id: app.app_id.clone(),
            object_id: app.object_id.clone(),
        }),
        credentials,
        users: user_results,
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
