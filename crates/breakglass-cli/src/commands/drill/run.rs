//! The drill itself: each emergency credential signs in and reads, each emergency user is
//! inspected, the sign-ins are looked for in the logs, and the record is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion::{Beta, V1};
use breakglass_core::config::{Config, CredentialKind, CredentialPolicy, StoreKind};
use breakglass_core::drill::{
    self, AppRef, Authority, CaPolicy, CaSubject, Check, CheckKind, CredentialResult, DrillRecord,
    Operator, RECORD_VERSION, Status, UserResult, Verdict,
};
use breakglass_core::plan::USER_MARKER;
use breakglass_core::roles;
use breakglass_entra::{GraphClient, HttpClient, Query, odata_string};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::Value;

use super::record::{self, RecordFiles};
use super::{DrillArgs, records_folder};
use crate::context::CommandHelper;
use crate::emergency::{self as credential_source, CredentialSourceArgs};
use crate::error::{CommandError, ErrorKind, config_error, usage_error};
use crate::output::{Report, table};
use crate::ui::Ui;
use breakglass_ops::emergency::credential_source::acquire_token;
use breakglass_ops::json_fields::{strings, text};
use breakglass_ops::lease;
use breakglass_ops::provision::credentials::{EmergencyApp, TenantCredential};
use breakglass_ops::provision::observe::{exclusion_group, member_ids};
use breakglass_ops::provision::vault::{KeePassPassword, LocalVault};

/// What `drill` prints: the record and where it was written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillReport {
    #[serde(flatten)]
    pub record: DrillRecord,
    pub record_files: Option<RecordFiles>,
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

impl Report for DrillReport {
    fn human(&self, ui: &Ui) -> String {
        let r = &self.record;
        let mut out = format!(
            "Drill of tenant {} ({}), run by {} {} at {}:\n",
            r.tenant_name.as_deref().unwrap_or("?"),
            r.tenant_id,
            r.operator.kind,
            r.operator.id,
            when(r.started)
        );
        let mut t = table(ui, &["SUBJECT", "CHECK", "RESULT", "DETAIL"]);
        let rows = r
            .credentials
            .iter()
            .map(|c| {
                let key = c
                    .key_id
                    .as_deref()
                    .map(|k| format!(" {}", &k[..k.len().min(8)]))
                    .unwrap_or_default();
                (format!("{} ({}{key})", c.label, c.kind), &c.checks)
            })
            .chain(
                r.users
                    .iter()
                    .map(|u| (u.user_principal_name.clone(), &u.checks)),
            );
        for (subject, checks) in rows {
            for (i, check) in checks.iter().enumerate() {
                t.add_row(vec![
                    if i == 0 {
                        subject.clone()
                    } else {
                        String::new()
                    },
                    check.check.title().to_string(),
                    check.status.label().to_string(),
                    check.detail.clone(),
                ]);
            }
        }
        out.push_str(&t.to_string());
        out.push('\n');
        let mut hints = BTreeSet::new();
        for check in r
            .credentials
            .iter()
            .flat_map(|c| c.checks.iter())
            .chain(r.users.iter().flat_map(|u| u.checks.iter()))
        {
            if check.status >= Status::Warning
                && let Some(hint) = &check.hint
            {
                hints.insert(hint.clone());
            }
        }
        for hint in hints {
            out.push_str(&format!("hint: {hint}\n"));
        }
        out.push_str(&format!(
            "Drill {}: {} failure(s), {} warning(s){}.\n",
            record::verdict_text(r.verdict),
            r.failures,
            r.warnings,
            if r.strict {
                " (strict: warnings fail)"
            } else {
                ""
            }
        ));
        out.push_str(&match r.next_due {
            Some(due) => format!(
                "Next drill due by {} (every 90 days, as Microsoft asks).\n",
                when(due)
            ),
            None => "Next drill due now: a declared credential or user has never been proven.\n"
                .to_string(),
        });
        if let Some(files) = &self.record_files {
            out.push_str(&format!(
                "Record: {} and {}\n",
                files.json.display(),
                files.markdown.display()
            ));
        }
        out
    }
}

/// `--log-wait`: `300s`, `5m`, or plain seconds; `0` looks once.
fn parse_log_wait(text: &str) -> Result<Duration, CommandError> {
    let trimmed = text.trim();
    if let Ok(seconds) = trimmed.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    if matches!(trimmed, "0s" | "0m" | "0h") {
        return Ok(Duration::ZERO);
    }
    breakglass_core::lease::parse_duration(trimmed)
        .map_err(|_| {
            usage_error(format!("`--log-wait {text}` is not a duration"))
                .hinted("write it as 300s, 5m or 1h (or 0 to look once)")
        })
        .map(|d| Duration::from_secs(d.as_secs().max(0) as u64))
}

/// Where `--sheet` and `--shares` files go, by label.
#[derive(Clone, Debug)]
enum Given {
    Sheet(PathBuf),
    Shares(Vec<PathBuf>),
}

fn split_label<'a>(
    config: &Config,
    value: &'a str,
    store: StoreKind,
    flag: &str,
) -> Result<(String, &'a str), CommandError> {
    if let Some((label, files)) = value.split_once('=')
        && config.credential(label).is_some()
    {
        return Ok((label.to_string(), files));
    }
    let candidates: Vec<&CredentialPolicy> = config
        .app
        .credentials
        .iter()
        .filter(|c| c.store == store)
        .collect();
    match candidates.as_slice() {
        [one] => Ok((one.label.clone(), value)),
        [] => Err(usage_error(format!(
            "`--{flag}` was given, but breakglass.toml keeps no credential there"
        ))
        .hinted(format!("name the label: `--{flag} LABEL=FILE…`"))),
        several => Err(usage_error(format!(
            "`--{flag}` does not say which credential it is for: {} are kept there",
            several
                .iter()
                .map(|c| format!("`{}`", c.label))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hinted(format!("name the label: `--{flag} LABEL=FILE…`"))),
    }
}

fn parse_given(config: &Config, args: &DrillArgs) -> Result<BTreeMap<String, Given>, CommandError> {
    let mut given = BTreeMap::new();
    for value in &args.sheet {
        let (label, file) = split_label(config, value, StoreKind::Sheet, "sheet")?;
        if given
            .insert(label.clone(), Given::Sheet(PathBuf::from(file)))
            .is_some()
        {
            return Err(usage_error(format!("`{label}` is given twice")));
        }
    }
    for value in &args.shares {
        let (label, files) = split_label(config, value, StoreKind::Shares, "shares")?;
        let files: Vec<PathBuf> = files
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect();
        if files.is_empty() {
            return Err(usage_error(format!(
                "`--shares` for `{label}` names no file"
            )));
        }
        if given.insert(label.clone(), Given::Shares(files)).is_some() {
            return Err(usage_error(format!("`{label}` is given twice")));
        }
    }
    // A mistyped path is told before signing in: recorded as a failed proof, it would read
    // as an emergency credential that does not work.
    for (label, source) in &given {
        let files = match source {
            Given::Sheet(file) => std::slice::from_ref(file),
            Given::Shares(files) => files.as_slice(),
        };
        for file in files.iter().filter(|f| f.as_os_str() != "-") {
            if !file.is_file() {
                let what = if file.is_dir() {
                    "is a folder"
                } else {
                    "does not exist"
                };
                return Err(config_error(format!(
                    "{} (given for `{label}`) {what}",
                    file.display()
                ))
                .hinted("pass the file holding the scanned text of the sheet or share; nothing was signed in or recorded"));
            }
        }
    }
    Ok(given)
}

/// A failure as a check: the message and the first hint.
fn failed(check: CheckKind, status: Status, err: &CommandError) -> Check {
    Check::new(check, status, err.to_string()).hinted(err.hints().join("; "))
}

fn short(key: &str) -> &str {
    &key[..key.len().min(8)]
}

/// Everything a credential's proof needs from the rest of the drill.
struct Context<'a> {
    helper: &'a CommandHelper,
    args: &'a DrillArgs,
    app: &'a EmergencyApp,
    authority: &'a Authority,
    /// Whether the service principal holds the declared role at `/` (for tokens without `wids`).
    assigned_at_root: Option<bool>,
    tenant_id: &'a str,
    tenant_now: Timestamp,
    earlier: &'a [DrillRecord],
    manifest: BTreeMap<String, String>,
}

fn store_name(policy: &CredentialPolicy) -> String {
    match policy.store {
        StoreKind::Keepass => "keepass".into(),
        StoreKind::Sheet => "sheet".into(),
        StoreKind::Shares => format!("shares {}", policy.shares.as_deref().unwrap_or("")),
    }
}

/// The last drill that proved `label`, from the earlier records.
fn last_proof(earlier: &[DrillRecord], label: &str) -> Option<(Timestamp, Option<String>)> {
    earlier
        .iter()
        .filter_map(|r| {
            r.credentials
                .iter()
                .find(|c| c.label == label && c.proven)
                .map(|c| (r.started, c.key_id.clone()))
        })
        .max_by_key(|(at, _)| *at)
}

async fn prove_credential(
    cx: &Context<'_>,
    policy: &CredentialPolicy,
    given: Option<&Given>,
) -> CredentialResult {
    let label = policy.label.as_str();
    let on_app: Vec<&TenantCredential> = cx.app.with_label(label).collect();
    let newest = on_app.iter().max_by_key(|c| c.end).copied();
    let mut result = CredentialResult {
        label: label.to_string(),
        key_id: None,
        kind: match policy.kind {
            CredentialKind::Secret => "secret".into(),
            CredentialKind::Certificate => "certificate".into(),
        },
        store: store_name(policy),
        proven: false,
        checks: Vec::new(),
    };
    let key_check = |key: &str| -> Check {
        if on_app.iter().any(|c| c.key_id.eq_ignore_ascii_case(key)) {
            Check::pass(
                CheckKind::KeyId,
                format!("{key} is on the app as breakglass:{label}"),
            )
        } else if cx
            .app
            .credentials
            .iter()
            .any(|c| c.key_id.eq_ignore_ascii_case(key))
        {
            Check::warning(
                CheckKind::KeyId,
                format!("{key} is on the app under another label"),
            )
        } else {
            Check::failure(
                CheckKind::KeyId,
                format!("the store holds {key}, which the app no longer has"),
            )
            .hinted(format!("the store is stale: `breakglass credential list` compares stores and tenant; `breakglass credential rotate {label}` makes a new one"))
        }
    };
    let source = match (policy.store, given) {
        (_, Some(Given::Sheet(file))) => Some(CredentialSourceArgs {
            credential: Some(label.to_string()),
            sheet: Some(file.clone()),
            shares: Vec::new(),
            config: cx.args.config.clone(),
        }),
        (_, Some(Given::Shares(files))) => Some(CredentialSourceArgs {
            credential: Some(label.to_string()),
            sheet: None,
            shares: files.clone(),
            config: cx.args.config.clone(),
        }),
        (StoreKind::Keepass, None) => Some(CredentialSourceArgs {
            credential: Some(label.to_string()),
            sheet: None,
            shares: Vec::new(),
            config: cx.args.config.clone(),
        }),
        (StoreKind::Sheet | StoreKind::Shares, None) => None,
    };
    let Some(source) = source else {
        // Kept on paper and nobody brought it: say so, and since when it is unproven.
        let needs = match policy.threshold() {
            Some(t) => format!(
                "needs {} custodians ({} of {} shares): `--shares {label}=FILE,FILE,…`",
                t.k, t.k, t.n
            ),
            None => format!("needs the recovery sheet: `--sheet {label}=FILE`"),
        };
        let since = match last_proof(cx.earlier, label) {
            Some((at, key)) => format!(
                "; last proven {} ({}), due by {}",
                when(at),
                key.as_deref().map(short).unwrap_or("?"),
                when(drill::next_due(at))
            ),
            None => "; never proven by a drill".to_string(),
        };
        result
            .checks
            .push(Check::warning(CheckKind::Source, format!("not proven: {needs}{since}")).hinted(
                "bring the custodians' shares (or the sheet) at least every 90 days and run the drill with them",
            ));
        if let Some(key) = cx.manifest.get(label) {
            result.key_id = Some(key.clone());
            result.checks.push(key_check(key));
        }
        let tenant_credential = result
            .key_id
            .as_deref()
            .and_then(|k| on_app.iter().find(|c| c.key_id.eq_ignore_ascii_case(k)))
            .copied()
            .or(newest);
        result.checks.push(expiry(cx, tenant_credential));
        return result;
    };

    let ui = cx.helper.ui();
    let credential = match credential_source::resolve(ui, &source) {
        Ok(credential) => credential,
        Err(err) => {
            result
                .checks
                .push(failed(CheckKind::Source, Status::Failure, &err));
            result.checks.push(expiry(cx, newest));
            return result;
        }
    };
    result.checks.push(Check::pass(
        CheckKind::Source,
        format!("from {}", credential.origin),
    ));
    let key = credential.key_id.clone();
    if let Some(key) = &key {
        result.key_id = Some(key.clone());
        result.checks.push(key_check(key));
    }
    let tenant_credential = key
        .as_deref()
        .and_then(|k| on_app.iter().find(|c| c.key_id.eq_ignore_ascii_case(k)))
        .copied()
        .or(newest);

    let token = async {
        let cloud = credential_source::resolve_cloud(cx.helper, &credential)?;
        let http = HttpClient::new(&cloud.profile, cx.helper.http_options())?;
        let scope = cloud.profile.graph_default_scope();
        let token = {
            let _spinner = ui.spinner(format!("signing in with `{label}`…"));
            acquire_token(&http, &cloud, &credential, &scope).await?
        };
        Ok::<_, CommandError>((cloud, http, token))
    }
    .await;
    let (cloud, http, token) = match token {
        Ok(parts) => parts,
        Err(err) => {
            result
                .checks
                .push(failed(CheckKind::Token, Status::Failure, &err));
            result.checks.push(expiry(cx, tenant_credential));
            result.checks.push(Check::skipped(
                CheckKind::SignInLog,
                "no token, so no sign-in to look for",
            ));
            return result;
        }
    };
    let claims = match token.claims() {
        Ok(claims) => claims,
        Err(err) => {
            let err = CommandError::from(err);
            result
                .checks
                .push(failed(CheckKind::Token, Status::Failure, &err));
            return result;
        }
    };
    let token_tenant = claims.tid.clone().unwrap_or_default();
    let token_app = claims.client_id().unwrap_or_default().to_string();
    let token_ok = if !token_tenant.eq_ignore_ascii_case(cx.tenant_id) {
        result.checks.push(Check::failure(
            CheckKind::Token,
            format!(
                "the token is for tenant {token_tenant}, not {}",
                cx.tenant_id
            ),
        ));
        false
    } else if !token_app.eq_ignore_ascii_case(&cx.app.app_id) {
        result.checks.push(Check::failure(
            CheckKind::Token,
            format!(
                "the token is for app {token_app}, not the emergency app {}",
                cx.app.app_id
            ),
        ));
        false
    } else {
        result.checks.push(Check::pass(
            CheckKind::Token,
            format!(
                "client credentials ({}) at {}",
                credential.material.kind(),
                cloud.profile.authority_host.as_str().trim_end_matches('/')
            ),
        ));
        true
    };
    let graph = GraphClient::new(http, &cloud.profile, Arc::new(token));
    let read_ok = match graph.organization().await {
        Ok(organizations) => {
            let name = organizations
                .first()
                .and_then(|o| o.display_name.clone())
                .unwrap_or_default();
            result.checks.push(Check::pass(
                CheckKind::GraphRead,
                format!("GET /organization: {name}"),
            ));
            true
        }
        Err(err) => {
            result.checks.push(failed(
                CheckKind::GraphRead,
                Status::Failure,
                &CommandError::from(err),
            ));
            false
        }
    };
    let role = drill::authority_in_token(
        cx.authority,
        &claims.wids,
        &claims.roles,
        cx.assigned_at_root,
    );
    let role_ok = role.status == Status::Pass;
    result.checks.push(role);
    result.checks.push(expiry(cx, tenant_credential));
    result.proven = token_ok && read_ok && role_ok;
    result
}

fn expiry(cx: &Context<'_>, credential: Option<&TenantCredential>) -> Check {
    match credential {
        Some(c) => drill::expiry(c.end, cx.tenant_now, cx.args.min_days, cx.args.warn_days),
        None => Check::failure(
            CheckKind::Expiry,
            "the app has no credential with this label",
        )
        .hinted("run `breakglass apply` (or `breakglass credential add LABEL`) to make it"),
    }
}

/// Looks for the drill's sign-ins in the service principal sign-in logs (Graph beta).
async fn find_sign_ins(
    ui: &Ui,
    graph: &GraphClient,
    app_id: &str,
    since: Timestamp,
    key_ids: &BTreeSet<String>,
    wait: Duration,
) -> Result<BTreeMap<String, Value>, CommandError> {
    let filter = format!(
        "signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq {} and createdDateTime ge {}",
        odata_string(app_id),
        since.strftime("%Y-%m-%dT%H:%M:%SZ")
    );
    let query = Query::new().filter(filter);
    let started = Instant::now();
    let mut pause = Duration::from_secs(5);
    let mut found: BTreeMap<String, Value> = BTreeMap::new();
    let _spinner = ui.spinner(format!(
        "looking for the drill's sign-ins in the sign-in logs (up to {}s)…",
        wait.as_secs()
    ));
    loop {
        let items: Vec<Value> = graph.list_all(Beta, "auditLogs/signIns", &query).await?;
        for item in items {
            let key = text(&item, "servicePrincipalCredentialKeyId").to_ascii_lowercase();
            if key_ids.contains(&key) {
                found.entry(key).or_insert(item);
            }
        }
        let left = wait.saturating_sub(started.elapsed());
        if found.len() == key_ids.len() || left.is_zero() {
            return Ok(found);
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

/// The user's directory role template ids held at `/`, and all of its assignments.
async fn role_assignments(
    graph: &GraphClient,
    principal: &str,
) -> Result<Vec<Value>, CommandError> {
    Ok(graph
        .list_all(
            V1,
            "roleManagement/directory/roleAssignments",
            &Query::new().filter(format!("principalId eq {}", odata_string(principal))),
        )
        .await?)
}

/// A Conditional Access policy as Graph returns it; `audit` reads policies through this too,
/// so both commands judge the same conditions.
pub(crate) fn ca_policy(value: &Value) -> CaPolicy {
    CaPolicy {
        id: text(value, "id"),
        display_name: text(value, "displayName"),
        state: text(value, "state"),
        include_users: strings(value, "/conditions/users/includeUsers"),
        exclude_users: strings(value, "/conditions/users/excludeUsers"),
        include_groups: strings(value, "/conditions/users/includeGroups"),
        exclude_groups: strings(value, "/conditions/users/excludeGroups"),
        include_roles: strings(value, "/conditions/users/includeRoles"),
        exclude_roles: strings(value, "/conditions/users/excludeRoles"),
        client_app_types: strings(value, "/conditions/clientAppTypes"),
        grant_controls: strings(value, "/grantControls/builtInControls"),
    }
}

/// What can be proven about an emergency user without its owner.
async fn check_user(
    graph: &GraphClient,
    config: &Config,
    user: &Value,
    group: Option<&(String, String, Vec<String>)>,
    policies: &Result<Vec<CaPolicy>, CommandError>,
    now: Timestamp,
) -> UserResult {
    let id = text(user, "id");
    let mut checks = Vec::new();
    let mut findings = Vec::new();
    if user.get("accountEnabled").and_then(Value::as_bool) == Some(true) {
        checks.push(Check::pass(CheckKind::AccountEnabled, "account enabled"));
    } else {
        checks.push(
            Check::failure(CheckKind::AccountEnabled, "the account is disabled")
                .hinted("run `breakglass apply` to enable it again"),
        );
    }
    let role = roles::by_name(&config.users.role).unwrap_or(roles::GLOBAL_ADMINISTRATOR);
    let role_id = role.template_id.to_string();
    let mut role_ids = Vec::new();
    match role_assignments(graph, &id).await {
        Ok(assignments) => {
            for a in &assignments {
                if text(a, "directoryScopeId") == "/" {
                    role_ids.push(text(a, "roleDefinitionId"));
                }
            }
            if role_ids.iter().any(|r| r.eq_ignore_ascii_case(&role_id)) {
                checks.push(Check::pass(
                    CheckKind::Role,
                    format!(
                        "{} active at / (roleAssignments; eligible-only assignments do not count)",
                        role.display_name
                    ),
                ));
            } else {
                checks.push(
                    Check::failure(
                        CheckKind::Role,
                        format!(
                            "no active {} assignment at / (an eligible one does not count)",
                            role.display_name
                        ),
                    )
                    .hinted("run `breakglass apply` to assign it permanently"),
                );
            }
        }
        Err(err) => checks.push(failed(CheckKind::Role, Status::Warning, &err)),
    }
    let methods: Result<Vec<Value>, _> = graph
        .list_all(
            V1,
            &format!("users/{id}/authentication/methods"),
            &Query::new(),
        )
        .await;
    match methods {
        Ok(methods) => {
            let types: Vec<String> = methods.iter().map(|m| text(m, "@odata.type")).collect();
            checks.push(drill::phishing_resistant(&types));
        }
        Err(err) => checks.push(failed(
            CheckKind::PhishingResistantMethod,
            Status::Warning,
            &CommandError::from(err),
        )),
    }
    match group {
        Some((group_id, name, members)) => {
            if members.iter().any(|m| m.eq_ignore_ascii_case(&id)) {
                checks.push(Check::pass(
                    CheckKind::ExclusionGroup,
                    format!("a member of \"{name}\""),
                ));
            } else {
                checks.push(
                    Check::failure(
                        CheckKind::ExclusionGroup,
                        format!("not a member of \"{name}\" ({group_id})"),
                    )
                    .hinted("run `breakglass apply` to add it"),
                );
            }
        }
        None => checks.push(
            Check::failure(
                CheckKind::ExclusionGroup,
                "the exclusion group does not exist",
            )
            .hinted("run `breakglass apply` to create it"),
        ),
    }
    let member_of: Result<Vec<Value>, _> = graph
        .list_all(
            V1,
            &format!("users/{id}/memberOf"),
            &Query::new().select(["id"]),
        )
        .await;
    match (policies, member_of) {
        (Ok(policies), Ok(groups)) => {
            let subject = CaSubject {
                user_id: id.clone(),
                group_ids: groups.iter().map(|g| text(g, "id")).collect(),
                role_ids: role_ids.clone(),
            };
            let (check, found) = drill::conditional_access(policies, &subject);
            checks.push(check);
            findings = found;
        }
        (Err(err), _) => checks.push(failed(CheckKind::ConditionalAccess, Status::Warning, err)),
        (_, Err(err)) => checks.push(failed(
            CheckKind::ConditionalAccess,
            Status::Warning,
            &CommandError::from(err),
        )),
    }
    checks.push(last_sign_in(graph, &id, now).await);
    let proven = checks.iter().all(|c| c.status != Status::Failure);
    UserResult {
        id,
        user_principal_name: text(user, "userPrincipalName"),
        proven,
        checks,
        conditional_access_findings: findings,
    }
}

/// `signInActivity` when the tenant offers it (Entra ID P1), else the newest interactive
/// sign-in in `/auditLogs/signIns`.
async fn last_sign_in(graph: &GraphClient, id: &str, now: Timestamp) -> Check {
    let activity: Result<Value, _> = graph
        .get_json(
            V1,
            &format!("users/{id}"),
            &Query::new().select(["id", "signInActivity"]),
        )
        .await;
    if let Ok(user) = &activity
        && let Some(activity) = user.get("signInActivity").filter(|a| a.is_object())
    {
        let at = ["lastSuccessfulSignInDateTime", "lastSignInDateTime"]
            .iter()
            .filter_map(|k| activity.get(*k).and_then(Value::as_str))
            .filter_map(|t| t.parse::<Timestamp>().ok())
            .max();
        return drill::last_sign_in(at, now, "signInActivity");
    }
    let latest: Result<Value, _> = graph
        .get_json(
            V1,
            "auditLogs/signIns",
            &Query::new()
                .filter(format!("userId eq {}", odata_string(id)))
                .top(1),
        )
        .await;
    match latest {
        Ok(page) => {
            let at = page
                .pointer("/value/0/createdDateTime")
                .and_then(Value::as_str)
                .and_then(|t| t.parse::<Timestamp>().ok());
            drill::last_sign_in(
                at,
                now,
                "newest in /auditLogs/signIns; signInActivity is not available",
            )
        }
        Err(err) => failed(
            CheckKind::LastSignIn,
            Status::Warning,
            &CommandError::from(err),
        ),
    }
}

pub async fn cmd_run(helper: &CommandHelper, args: &DrillArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let wait = parse_log_wait(&args.log_wait)?;
    if args.min_days < 0 || args.warn_days < args.min_days {
        return Err(usage_error(format!(
            "`--min-days {}` and `--warn-days {}` must satisfy 0 <= min-days <= warn-days",
            args.min_days, args.warn_days
        )));
    }
    let workspace = args.config.workspace()?;
    let config = &workspace.config;
    let given = parse_given(config, args)?;
    let folder = records_folder(args);
    let earlier = record::read_all(ui, &folder)?;
    let started = breakglass_core::lease::whole_seconds(Timestamp::now());

    let session = helper.sign_in_for(&args.operator, config).await?;
    let claims = session.token.claims()?;
    let operator = if claims.is_app_only() {
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
    };
    let graph = &session.graph;
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
        let _spinner = ui.spinner("reading the emergency app…");
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
        helper,
        args,
        app: &app,
        authority: &authority,
        assigned_at_root,
        tenant_id: &tenant_id,
        tenant_now,
        earlier: &earlier,
        manifest,
    };

    // 1. Every declared credential.
    let mut credentials = Vec::new();
    for policy in &config.app.credentials {
        credentials.push(prove_credential(&cx, policy, given.get(&policy.label)).await);
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
    let policies: Result<Vec<CaPolicy>, CommandError> = graph
        .list_all::<Value>(V1, "identity/conditionalAccess/policies", &Query::new())
        .await
        .map(|list| list.iter().map(ca_policy).collect())
        .map_err(CommandError::from);
    let mut user_results = Vec::new();
    {
        let _spinner = ui.spinner("checking the emergency users…");
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
        let found = find_sign_ins(ui, graph, &app.app_id, since, &wanted, wait).await;
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
                            wait.as_secs()
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
        cloud: session.cloud.profile.name.clone(),
        operator,
        app: Some(AppRef {
            app_id: app.app_id.clone(),
            object_id: app.object_id.clone(),
        }),
        credentials,
        users: user_results,
        strict: args.strict,
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
    let mut all = earlier.clone();
    all.push(record.clone());
    record.next_due = drill::history(&all, Some(&declared), started).next_due;
    let files = record::write(&folder, &record)?;
    let report = DrillReport {
        record,
        record_files: Some(files),
    };
    ui.emit(&report)?;
    let record = &report.record;
    if record.verdict == Verdict::Failed {
        let what = if record.failures > 0 {
            format!("{} check(s) failed", record.failures)
        } else {
            format!("{} warning(s), and `--strict` was given", record.warnings)
        };
        return Err(CommandError::new(
            ErrorKind::DrillFailed,
            format!("the drill did not pass: {what}"),
        )
        .hinted("the table above says which and what to do; the record was written all the same"));
    }
    Ok(())
}
