//! `breakglass audit`: the tenant's emergency access posture, and every way someone could
//! take the emergency app over, as findings with a severity, the evidence and a hint.
//!
//! This file reads the tenant (read-only, Graph v1.0) into a [`Snapshot`]; the rules are in
//! `breakglass_core::audit`. A read the operator may not make (403, or a feature the tenant
//! lacks) becomes a not-checked fact naming the permission, never a pass.

use std::path::{Path, PathBuf};

use breakglass_core::audit::{
    self, AppFacts, Credential, Fact, FederatedCredential, Finding, GroupFacts, PermissionGrant,
    Principal, RoleGrant, ServicePrincipalFacts, Severity, Snapshot, Status, UserFacts,
    WorkloadPolicy,
};
use breakglass_core::cloud::GraphVersion::V1;
use breakglass_core::config::Config;
use breakglass_core::drill::CaPolicy;
use breakglass_core::plan::{APP_TAG, USER_MARKER, label_of};
use breakglass_core::roles;
use breakglass_core::stores::{self, MadeInTenant};
use breakglass_entra::{GraphClient, Query, odata_string};
use jiff::Timestamp;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, config_error, usage_error};
use crate::output::{Report, table};
use crate::provision::KEEPASS_PASSWORD_ENV;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::drill::ca_policy;
use breakglass_ops::drill::record;
use breakglass_ops::json_fields::{object_name, strings, text};
use breakglass_ops::provision::vault::{KeePassPassword, LocalVault, Vault as _};

/// Checks the tenant's emergency access against Microsoft's guidance and lists every way
/// someone could take the emergency app over. Changes nothing.
///
/// Takeover paths: owners of the app or its service principal, credentials breakglass did
/// not make (any credential on the service principal object), the credential lock, the
/// sign-in audience, Application / Cloud Application Administrators (tenant-wide or scoped
/// to the app, active or PIM-eligible), Hybrid Identity Administrators (may make themselves
/// owners), Global and Privileged Role Administrators, and service principals holding
/// Microsoft Graph application permissions that reach the app. Then Conditional Access for
/// workload identities that can block the app, the emergency users (cloud-only, on the
/// initial *.onmicrosoft.com domain, enabled, permanent active role, excluded from
/// Conditional Access, a phishing-resistant method), the number of Global Administrators
/// and the last drill recorded on this machine.
///
/// Exits 12 when a finding at or above `--fail-on` exists, or a check could not be made
/// because the operator lacks a permission (the finding names it).
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The lowest severity that makes the audit exit 12: critical, high, medium, low or
    /// info; `never` exits 0 whatever is found.
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,

    /// Leave the passes out of the table (`--output json` always lists every result).
    #[arg(long)]
    pub findings_only: bool,

    /// The folder of drill records, for the last-drill check. Default: `drills` next to
    /// breakglass.toml.
    #[arg(long, value_name = "DIR")]
    pub drills: Option<PathBuf>,

    /// A file whose first line is the KeePass master password, to compare the app's key ids
    /// with the stores. Without it, BREAKGLASS_KEEPASS_PASSWORD is used; the audit never
    /// prompts, and without either it compares display names only (an info finding says so).
    #[arg(long, value_name = "PATH", help_heading = "Configuration")]
    pub keepass_password_file: Option<PathBuf>,

    /// The configuration file (credential labels, the users' role).
    #[arg(
        long,
        env = "BREAKGLASS_CONFIG",
        value_name = "PATH",
        default_value = "breakglass.toml",
        help_heading = "Configuration"
    )]
    pub config: PathBuf,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// What `audit` reports.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub tenant_id: String,
    pub audited_at: Timestamp,
    /// `--fail-on`, or `never`.
    pub fail_on: String,
    pub failed: bool,
    pub counts: Counts,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    findings_only: bool,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub not_checked: usize,
    pub passed: usize,
}

fn counts(findings: &[Finding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        match (f.status, f.severity) {
            (Status::Pass, _) => c.passed += 1,
            (Status::NotChecked, _) => c.not_checked += 1,
            (Status::Finding, Some(Severity::Critical)) => c.critical += 1,
            (Status::Finding, Some(Severity::High)) => c.high += 1,
            (Status::Finding, Some(Severity::Medium)) => c.medium += 1,
            (Status::Finding, Some(Severity::Low)) => c.low += 1,
            (Status::Finding, _) => c.info += 1,
        }
    }
    c
}

fn result_label(f: &Finding) -> String {
    match (f.status, f.severity) {
        (Status::Pass, _) => "ok".into(),
        (Status::NotChecked, _) => "NOT CHECKED".into(),
        (Status::Finding, Some(s)) if s >= Severity::High => s.label().to_uppercase(),
        (Status::Finding, Some(s)) => s.label().into(),
        (Status::Finding, None) => "finding".into(),
    }
}

impl Report for AuditReport {
    fn human(&self, ui: &Ui) -> String {
        let mut out = format!(
            "Emergency access audit of tenant {} at {}:\n",
            self.tenant_id,
            self.audited_at.strftime("%Y-%m-%d %H:%M UTC")
        );
        let mut t = table(ui, &["SEVERITY", "CHECK", "FINDING", "HINT"]);
        for f in &self.findings {
            if self.findings_only && f.status == Status::Pass {
                continue;
            }
            let mut text = f.summary.clone();
            for e in &f.evidence {
                text.push_str(&format!("\n- {} ({})", e.name, e.id));
                if let Some(detail) = &e.detail {
                    text.push_str(&format!(": {detail}"));
                }
            }
            t.add_row(vec![
                result_label(f),
                f.check.name().to_string(),
                text,
                f.hint.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
        let c = &self.counts;
        out.push_str(&format!(
            "{} critical, {} high, {} medium, {} low, {} info; {} not checked; {} passed.\n",
            c.critical, c.high, c.medium, c.low, c.info, c.not_checked, c.passed
        ));
        if self.fail_on != "never" {
            out.push_str(&format!(
                "{} (fails on {} and above, and on checks not made).\n",
                if self.failed { "FAILED" } else { "Passed" },
                self.fail_on
            ));
        }
        out
    }
}

/// A read that may be refused: 403 (and other refusals of the request, such as a tenant
/// without the licence a feature needs) become an unreadable fact naming `permission`;
/// network failures and throttling still end the command.
async fn readable<T>(
    what: &str,
    permission: &str,
    read: impl std::future::Future<Output = Result<T, CommandError>>,
) -> Result<Fact<T>, CommandError> {
    match read.await {
        Ok(value) => Ok(Fact::Known(value)),
        Err(err) if matches!(err.kind(), ErrorKind::Authorization | ErrorKind::Service) => {
            // The request and correlation ids are for support, not for the report.
            let message = err.message();
            let message = message.split(" (request-id").next().unwrap_or(message);
            Ok(Fact::unreadable(permission, format!("{what}: {message}")))
        }
        Err(err) => Err(err),
    }
}

async fn list(graph: &GraphClient, path: &str, query: Query) -> Result<Vec<Value>, CommandError> {
    Ok(graph.list_all(V1, path, &query).await?)
}

fn principal_of(value: &Value) -> Principal {
    let kind = text(value, "@odata.type")
        .trim_start_matches("#microsoft.graph.")
        .to_string();
    Principal {
        id: text(value, "id"),
        name: object_name(value),
        kind: if kind.is_empty() {
            "unknown".into()
        } else {
            kind
        },
    }
}

async fn owners(
    graph: &GraphClient,
    collection: &str,
    id: &str,
) -> Result<Fact<Vec<Principal>>, CommandError> {
    readable(
        &format!("GET /{collection}/{{id}}/owners"),
        "Application.Read.All",
        async {
            let found = list(
                graph,
                &format!("{collection}/{id}/owners"),
                Query::new().select(["id", "displayName", "userPrincipalName"]),
            )
            .await?;
            Ok(found.iter().map(principal_of).collect())
        },
    )
    .await
}

fn credentials_of(object: &Value) -> Vec<Credential> {
    let of = |key: &str, kind: &str| -> Vec<Credential> {
        object
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| Credential {
                key_id: text(c, "keyId"),
                kind: kind.into(),
                display_name: c
                    .get("displayName")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
            .collect()
    };
    let mut all = of("passwordCredentials", "secret");
    all.extend(of("keyCredentials", "certificate"));
    all
}

fn credentials_locked(app: &Value) -> bool {
    let flag = |name: &str| {
        app.pointer(&format!("/servicePrincipalLockConfiguration/{name}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    flag("isEnabled") && (flag("allProperties") || flag("credentialsWithUsageVerify"))
}

async fn read_app(graph: &GraphClient) -> Result<Option<AppFacts>, CommandError> {
    let mut apps = list(
        graph,
        "applications",
        Query::new().filter(format!("tags/any(t:t eq {})", odata_string(APP_TAG))),
    )
    .await?;
    // The app in use (with credentials) first, as `plan` picks it.
    apps.sort_by_key(|a| credentials_of(a).is_empty());
    let Some(app) = apps.first() else {
        return Ok(None);
    };
    let object_id = text(app, "id");
    let app_id = text(app, "appId");
    let sps = list(
        graph,
        "servicePrincipals",
        Query::new().filter(format!("appId eq {}", odata_string(&app_id))),
    )
    .await?;
    let service_principal = match sps.first() {
        Some(sp) => {
            let id = text(sp, "id");
            Some(ServicePrincipalFacts {
                owners: owners(graph, "servicePrincipals", &id).await?,
                account_enabled: sp
                    .get("accountEnabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                credentials: credentials_of(sp),
                id,
            })
        }
        None => None,
    };
    let federated_credentials = readable(
        "GET /applications/{id}/federatedIdentityCredentials",
        "Application.Read.All",
        async {
            let found = list(
                graph,
                &format!("applications/{object_id}/federatedIdentityCredentials"),
                Query::new(),
            )
            .await?;
            Ok(found
                .iter()
                .map(|c| FederatedCredential {
                    id: text(c, "id"),
                    name: text(c, "name"),
                    issuer: text(c, "issuer"),
                    subject: text(c, "subject"),
                })
                .collect())
        },
    )
    .await?;
    Ok(Some(AppFacts {
        federated_credentials,
        owners: owners(graph, "applications", &object_id).await?,
        display_name: text(app, "displayName"),
        sign_in_audience: text(app, "signInAudience"),
        credentials_locked: credentials_locked(app),
        credentials: credentials_of(app),
        service_principal,
        object_id,
        app_id,
    }))
}

fn role_grants(items: &[Value]) -> Vec<RoleGrant> {
    items
        .iter()
        .map(|a| RoleGrant {
            principal: match a.get("principal").filter(|p| p.is_object()) {
                Some(p) => principal_of(p),
                None => Principal {
                    id: text(a, "principalId"),
                    name: text(a, "principalId"),
                    kind: "unknown".into(),
                },
            },
            role_template_id: text(a, "roleDefinitionId"),
            directory_scope_id: text(a, "directoryScopeId"),
        })
        .collect()
}

async fn graph_permissions(graph: &GraphClient) -> Result<Vec<PermissionGrant>, CommandError> {
    let graph_sp = list(
        graph,
        "servicePrincipals",
        Query::new()
            .filter(format!(
                "appId eq {}",
                odata_string(&roles::MICROSOFT_GRAPH_APP_ID.to_string())
            ))
            .select(["id"]),
    )
    .await?;
    let Some(graph_sp) = graph_sp.first().map(|sp| text(sp, "id")) else {
        return Ok(Vec::new());
    };
    let grants = list(
        graph,
        &format!("servicePrincipals/{graph_sp}/appRoleAssignedTo"),
        Query::new(),
    )
    .await?;
    Ok(grants
        .iter()
        .map(|g| {
            let role = text(g, "appRoleId");
            PermissionGrant {
                principal: Principal {
                    id: text(g, "principalId"),
                    name: text(g, "principalDisplayName"),
                    kind: {
                        let t = text(g, "principalType");
                        let mut chars = t.chars();
                        match chars.next() {
                            Some(first) => first.to_lowercase().chain(chars).collect(),
                            None => "unknown".into(),
                        }
                    },
                },
                permission: audit::permission_of(&role)
                    .map(str::to_string)
                    .unwrap_or(role),
            }
        })
        .collect())
}

/// The policy as the drill reads it, plus the workload-identity conditions only the audit weighs.
fn policy_of(value: &Value) -> (CaPolicy, WorkloadPolicy) {
    let policy = ca_policy(value);
    let workload = WorkloadPolicy {
        id: policy.id.clone(),
        display_name: policy.display_name.clone(),
        state: policy.state.clone(),
        include_service_principals: strings(
            value,
            "/conditions/clientApplications/includeServicePrincipals",
        ),
        exclude_service_principals: strings(
            value,
            "/conditions/clientApplications/excludeServicePrincipals",
        ),
        grant_controls: policy.grant_controls.clone(),
    };
    (policy, workload)
}

async fn read_users(
    graph: &GraphClient,
    active: &Fact<Vec<RoleGrant>>,
) -> Result<Vec<UserFacts>, CommandError> {
    let users = list(
        graph,
        "users",
        Query::new()
            .filter(format!("employeeType eq {}", odata_string(USER_MARKER)))
            .select([
                "id",
                "userPrincipalName",
                "accountEnabled",
                "onPremisesSyncEnabled",
                "employeeType",
            ])
            .count(),
    )
    .await?;
    let mut out = Vec::new();
    for user in &users {
        let id = text(user, "id");
        let active_roles = match active {
            Fact::Known(list) => list
                .iter()
                .filter(|g| g.principal.id.eq_ignore_ascii_case(&id) && g.directory_scope_id == "/")
                .map(|g| g.role_template_id.clone())
                .collect(),
            Fact::Unreadable(_) => Vec::new(),
        };
        let group_ids = readable(
            "GET /users/{id}/memberOf",
            "GroupMember.Read.All (or Directory.Read.All)",
            async {
                let groups = list(
                    graph,
                    &format!("users/{id}/memberOf"),
                    Query::new().select(["id"]),
                )
                .await?;
                Ok(groups.iter().map(|g| text(g, "id")).collect())
            },
        )
        .await?;
        let method_types = readable(
            "GET /users/{id}/authentication/methods",
            "UserAuthenticationMethod.Read.All",
            async {
                let methods = list(
                    graph,
                    &format!("users/{id}/authentication/methods"),
                    Query::new(),
                )
                .await?;
                Ok(methods.iter().map(|m| text(m, "@odata.type")).collect())
            },
        )
        .await?;
        out.push(UserFacts {
            user_principal_name: text(user, "userPrincipalName"),
            account_enabled: user
                .get("accountEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            on_premises_sync_enabled: user.get("onPremisesSyncEnabled").and_then(Value::as_bool),
            active_roles,
            group_ids,
            method_types,
            id,
        });
    }
    Ok(out)
}

async fn read_group(
    graph: &GraphClient,
    config: &Config,
) -> Result<Option<GroupFacts>, CommandError> {
    let groups = list(
        graph,
        "groups",
        Query::new().filter(format!(
            "mailNickname eq {}",
            odata_string(&config.group.mail_nickname)
        )),
    )
    .await?;
    let Some(group) = groups.first() else {
        return Ok(None);
    };
    let id = text(group, "id");
    let principals = |relation: &'static str| {
        let path = format!("groups/{id}/{relation}");
        async move {
            readable(
                &format!("GET /groups/{{id}}/{relation}"),
                "GroupMember.Read.All (or Directory.Read.All)",
                async {
                    let found = list(
                        graph,
                        &path,
                        Query::new().select(["id", "displayName", "userPrincipalName"]),
                    )
                    .await?;
                    Ok(found.iter().map(principal_of).collect())
                },
            )
            .await
        }
    };
    Ok(Some(GroupFacts {
        display_name: text(group, "displayName"),
        is_assignable_to_role: group
            .get("isAssignableToRole")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        owners: principals("owners").await?,
        members: principals("members").await?,
        id,
    }))
}

fn drills_folder(args: &AuditArgs) -> PathBuf {
    if let Some(dir) = &args.drills {
        return dir.clone();
    }
    args.config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.join("drills"))
        .unwrap_or_else(|| PathBuf::from("drills"))
}

/// The stores on this machine. The KeePass password comes from `--keepass-password-file` or
/// the environment only: an audit never prompts.
fn audit_vault(args: &AuditArgs, config: &Config) -> Result<LocalVault, CommandError> {
    let base = args
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let password = match &args.keepass_password_file {
        Some(file) => {
            let text = crate::provision::read_password_file(file)?;
            let line = text.lines().next().unwrap_or_default().to_string();
            if line.is_empty() {
                return Err(config_error(format!(
                    "the KeePass password file {} is empty",
                    file.display()
                ))
                .hinted("write the master password on its first line, or use BREAKGLASS_KEEPASS_PASSWORD"));
            }
            KeePassPassword::Given(SecretString::from(line))
        }
        None => match std::env::var(KEEPASS_PASSWORD_ENV) {
            Ok(value) if !value.is_empty() => KeePassPassword::Given(SecretString::from(value)),
            _ => KeePassPassword::Unavailable(format!(
                "no KeePass password given ({KEEPASS_PASSWORD_ENV} or --keepass-password-file)"
            )),
        },
    };
    Ok(LocalVault::new(config, &base, password))
}

/// Key ids the local stores hold, or why they cannot be compared.
fn held_key_ids(vault: &mut LocalVault) -> Result<Result<Vec<String>, String>, CommandError> {
    if !vault.keepass_path().exists() {
        return Ok(Err(format!(
            "no KeePass database at {} on this machine",
            vault.keepass_path().display()
        )));
    }
    Ok(match vault.held_key_ids()? {
        Some(held) => Ok(held.into_iter().collect()),
        None => Err(
            "no KeePass password given (BREAKGLASS_KEEPASS_PASSWORD or --keepass-password-file)"
                .to_string(),
        ),
    })
}

/// Stores that are missing though the tenant holds what they keep, or that belong to another
/// tenant, each as a sentence naming the file.
fn store_problems(
    vault: &mut LocalVault,
    config: &Config,
    snapshot: &Snapshot,
    tenant_id: &str,
) -> Result<Vec<String>, CommandError> {
    let made = MadeInTenant {
        credentials: snapshot
            .app
            .iter()
            .flat_map(|app| &app.credentials)
            .filter_map(|c| {
                label_of(c.display_name.as_deref()).map(|l| (l.to_string(), c.key_id.clone()))
            })
            .collect(),
        users: snapshot
            .users
            .iter()
            .filter(|u| u.on_premises_sync_enabled != Some(true))
            .map(|u| u.user_principal_name.clone())
            .collect(),
    };
    let found = vault.local_stores()?;
    Ok(stores::store_problems(config, &found, &made, tenant_id)
        .iter()
        .map(|p| vault.describe_problem(p).0)
        .collect())
}

/// A role held by a (role-assignable) group is held by its members: each becomes a grant of
/// its own, named with the group, next to the group's.
async fn expand_groups(
    graph: &GraphClient,
    grants: Fact<Vec<RoleGrant>>,
) -> Result<Fact<Vec<RoleGrant>>, CommandError> {
    let Fact::Known(grants) = grants else {
        return Ok(grants);
    };
    let mut out = Vec::new();
    for grant in grants {
        if grant.principal.kind == "group" {
            let members = readable(
                "GET /groups/{id}/members",
                "GroupMember.Read.All (or Directory.Read.All)",
                list(
                    graph,
                    &format!("groups/{}/members", grant.principal.id),
                    Query::new().select(["id", "displayName", "userPrincipalName"]),
                ),
            )
            .await?;
            match members {
                Fact::Known(members) => {
                    for member in &members {
                        let mut principal = principal_of(member);
                        principal.name =
                            format!("{} (member of {})", principal.name, grant.principal.name);
                        out.push(RoleGrant {
                            principal,
                            ..grant.clone()
                        });
                    }
                }
                Fact::Unreadable(missing) => return Ok(Fact::Unreadable(missing)),
            }
        }
        out.push(grant);
    }
    Ok(Fact::Known(out))
}

/// Reads everything the audit looks at.
async fn snapshot(
    ui: &Ui,
    graph: &GraphClient,
    config: &Config,
    held_key_ids: Result<Vec<String>, String>,
    last_drill: Option<Timestamp>,
) -> Result<Snapshot, CommandError> {
    let _spinner = ui.spinner("reading the tenant…");
    let domains = graph.domains().await?;
    let initial_domain = domains
        .iter()
        .find(|d| d.is_initial == Some(true))
        .map(|d| d.id.clone())
        .unwrap_or_default();
    let app = read_app(graph).await?;
    let active_roles = readable(
        "GET /roleManagement/directory/roleAssignments",
        "RoleManagement.Read.Directory",
        async {
            let items = list(
                graph,
                "roleManagement/directory/roleAssignments",
                Query::new().expand("principal"),
            )
            .await?;
            Ok(role_grants(&items))
        },
    )
    .await?;
    // PIM-eligible assignments: v1.0 has them (Microsoft Entra ID P2 tenants).
    let eligible_roles = readable(
        "GET /roleManagement/directory/roleEligibilityScheduleInstances",
        "RoleEligibilitySchedule.Read.Directory (and Microsoft Entra ID P2 for PIM)",
        async {
            let items = list(
                graph,
                "roleManagement/directory/roleEligibilityScheduleInstances",
                Query::new().expand("principal"),
            )
            .await?;
            Ok(role_grants(&items))
        },
    )
    .await?;
    let active_roles = expand_groups(graph, active_roles).await?;
    let eligible_roles = expand_groups(graph, eligible_roles).await?;
    let graph_permissions = readable(
        "GET /servicePrincipals/{Microsoft Graph}/appRoleAssignedTo",
        "Application.Read.All",
        graph_permissions(graph),
    )
    .await?;
    let policies = readable(
        "GET /identity/conditionalAccess/policies",
        "Policy.Read.All",
        async {
            let items = list(graph, "identity/conditionalAccess/policies", Query::new()).await?;
            Ok(items.iter().map(policy_of).collect())
        },
    )
    .await?;
    let users = read_users(graph, &active_roles).await?;
    let exclusion_group = read_group(graph, config).await?;
    Ok(Snapshot {
        now: Timestamp::now(),
        initial_domain,
        declared_labels: config
            .app
            .credentials
            .iter()
            .map(|c| c.label.clone())
            .collect(),
        held_key_ids,
        user_role: roles::by_name(&config.users.role).unwrap_or(roles::GLOBAL_ADMINISTRATOR),
        app_role: config
            .app
            .role
            .as_deref()
            .map(|r| roles::by_name(r).unwrap_or(roles::GLOBAL_ADMINISTRATOR)),
        app,
        active_roles,
        eligible_roles,
        graph_permissions,
        policies,
        users,
        exclusion_group,
        last_drill,
        store_problems: Vec::new(),
    })
}

pub async fn cmd_audit(helper: &CommandHelper, args: &AuditArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let threshold = match args.fail_on.trim().to_ascii_lowercase().as_str() {
        "never" => None,
        other => Some(Severity::parse(other).ok_or_else(|| {
            usage_error(format!("`--fail-on {}` is not a severity", args.fail_on))
                .hinted("use critical, high, medium, low, info or never")
        })?),
    };
    let config = breakglass_ops::provision::load_config(&args.config)?;
    let mut vault = audit_vault(args, &config)?;
    let held = held_key_ids(&mut vault)?;
    let records = record::read_all(ui, &drills_folder(args))?;
    let last_drill = records.iter().map(|r| r.started).max();
    let session = helper.sign_in_for(&args.operator, &config).await?;
    let tenant_id = session.token.claims()?.tid.clone().unwrap_or_default();
    let mut snapshot = snapshot(ui, &session.graph, &config, held, last_drill).await?;
    snapshot.store_problems = store_problems(&mut vault, &config, &snapshot, &tenant_id)?;
    let findings = audit::audit(&snapshot);
    let failed = threshold.is_some_and(|t| audit::fails(&findings, t));
    let report = AuditReport {
        tenant_id,
        audited_at: snapshot.now,
        fail_on: threshold.map_or("never", Severity::label).to_string(),
        failed,
        counts: counts(&findings),
        findings,
        findings_only: args.findings_only,
    };
    ui.emit(&report)?;
    if failed {
        let c = &report.counts;
        return Err(CommandError::new(
            ErrorKind::AuditFindings,
            format!(
                "the audit found {} critical, {} high, {} medium and {} low finding(s), and {} check(s) could not be made",
                c.critical, c.high, c.medium, c.low, c.not_checked
            ),
        )
        .hinted(format!(
            "the table above names each finding's evidence and what to do; `--fail-on` ({}) sets the severity that fails",
            report.fail_on
        )));
    }
    Ok(())
}
