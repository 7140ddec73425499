//! The emergency app itself: its owners, its credentials and those of its service principal,
//! its role, and the properties that keep it single-tenant and its credentials locked.

use super::{CheckId, Evidence, Fact, Finding, Severity, Snapshot, kind_name};
use crate::app_policy::{PolicySource, blocked_credentials};
use crate::markers::APP_POLICY_NAME;
use crate::plan::label_of;
use crate::tenant::{Application, Credential, Principal, RoleAssignment, ServicePrincipal, same};

fn owner_check(
    check: CheckId,
    object: &str,
    owners: &Fact<Vec<Principal>>,
    out: &mut Vec<Finding>,
) {
    match owners.get() {
        Err(missing) => out.push(Finding::not_checked(check, missing)),
        Ok(owners) if owners.is_empty() => {
            out.push(Finding::pass(check, format!("the {object} has no owners")));
        }
        Ok(owners) => {
            let mut finding = Finding::found(
                check,
                Severity::Critical,
                format!(
                    "the {object} has {} owner(s); any owner can add a credential and sign in as the emergency app",
                    owners.len()
                ),
            )
            .hinted("remove the owners (`breakglass apply` does, unless [drift] remove_owners = false)");
            for owner in owners {
                finding = finding.with(owner.evidence(Some(format!("owner of the {object}"))));
            }
            out.push(finding);
        }
    }
}

fn credential_evidence(credential: &Credential, detail: String) -> Evidence {
    Evidence {
        id: credential.key_id.clone(),
        name: credential
            .display_name
            .clone()
            .unwrap_or_else(|| "(no display name)".into()),
        kind: format!("{} credential", kind_name(credential.kind)),
        detail: Some(detail),
    }
}

/// Every check of the emergency app and its service principal.
pub(super) fn app_checks(snapshot: &Snapshot, app: &Application, out: &mut Vec<Finding>) {
    owner_check(CheckId::AppOwners, "application", &app.owners, out);
    app_credential_checks(snapshot, app, out);
    federated_credential_check(app, out);
    match &snapshot.tenant.service_principal {
        None => out.push(
            Finding::found(
                CheckId::ServicePrincipalEnabled,
                Severity::High,
                "the emergency app has no service principal, so nothing can sign in as it",
            )
            .hinted("run `breakglass apply` to create it"),
        ),
        Some(sp) => {
            owner_check(
                CheckId::ServicePrincipalOwners,
                "service principal",
                &sp.owners,
                out,
            );
            service_principal_credential_check(sp, out);
            service_principal_enabled_check(app, sp, out);
        }
    }
    if let (Some(role), Some(sp)) = (snapshot.app_role, &snapshot.tenant.service_principal) {
        app_role_check(snapshot, app, sp, role, out);
    }
    credential_lock_check(app, out);
    app_management_check(snapshot, app, out);
    sign_in_audience_check(app, out);
}

/// Whether the app management policy that binds the app would refuse the next credential
/// breakglass adds for a declared label (at rotation, or when `apply` replaces one).
fn app_management_check(snapshot: &Snapshot, app: &Application, out: &mut Vec<Finding>) {
    let policy = match snapshot.tenant.app_management.get() {
        Ok(policy) => policy,
        Err(missing) => {
            out.push(Finding::not_checked(CheckId::AppManagementPolicy, missing));
            return;
        }
    };
    let own = matches!(&policy.source, PolicySource::Assigned { display_name, .. } if display_name == APP_POLICY_NAME);
    if snapshot.exempt_from_app_management_policy && !own {
        out.push(
            Finding::found(
                CheckId::AppManagementPolicy,
                Severity::High,
                format!(
                    "breakglass.toml exempts the emergency app, but it follows {}, not breakglass's own policy",
                    policy.source.describe()
                ),
            )
            .hinted("someone removed the exemption: run `breakglass plan` and `breakglass apply` to restore it"),
        );
    }
    let blocked = blocked_credentials(
        policy,
        app.created,
        &snapshot.declared_credentials,
        snapshot.now,
    );
    if blocked.is_empty() {
        out.push(Finding::pass(
            CheckId::AppManagementPolicy,
            format!(
                "{} lets breakglass add every declared credential",
                policy.source.describe()
            ),
        ));
        return;
    }
    for refused in blocked {
        out.push(
            Finding::found(
                CheckId::AppManagementPolicy,
                Severity::High,
                format!(
                    "the next `{}` credential would be refused: {}",
                    refused.label, refused.why
                ),
            )
            .hinted(format!(
                "relax the {} restriction for the emergency app before its `{}` credential must be rotated, or the rotation fails",
                refused.restriction, refused.label
            )),
        );
    }
}

/// One finding naming each of `credentials`, every one with the same `detail`.
fn credentials_finding(
    severity: Severity,
    summary: String,
    hint: &str,
    credentials: &[&Credential],
    detail: &str,
) -> Finding {
    let mut finding = Finding::found(CheckId::AppCredentials, severity, summary).hinted(hint);
    for c in credentials {
        finding = finding.with(credential_evidence(c, detail.into()));
    }
    finding
}

/// Credentials on the app: only those breakglass made for a declared label.
fn app_credential_checks(snapshot: &Snapshot, app: &Application, out: &mut Vec<Finding>) {
    let declared = |c: &Credential| {
        label_of(c.display_name.as_deref())
            .is_some_and(|l| snapshot.declared_labels.iter().any(|d| d == l))
    };
    let foreign: Vec<&Credential> = app
        .credentials
        .iter()
        .filter(|c| label_of(c.display_name.as_deref()).is_none())
        .collect();
    let stale: Vec<&Credential> = app
        .credentials
        .iter()
        .filter(|c| label_of(c.display_name.as_deref()).is_some() && !declared(c))
        .collect();
    // A display name is no proof: whoever adds a credential may name it `breakglass:rotating`.
    // Only a key id the stores hold is breakglass's own.
    let unheld: Vec<&Credential> = match &snapshot.held_key_ids {
        Ok(held) => app
            .credentials
            .iter()
            .filter(|c| declared(c) && !held.iter().any(|k| same(k, &c.key_id)))
            .collect(),
        Err(_) => Vec::new(),
    };
    if foreign.is_empty() && stale.is_empty() && unheld.is_empty() {
        out.push(Finding::pass(
            CheckId::AppCredentials,
            format!(
                "{} credential(s), each made by breakglass for a declared label{}",
                app.credentials.len(),
                if snapshot.held_key_ids.is_ok() {
                    ", each held by a local store"
                } else {
                    ""
                }
            ),
        ));
    }
    if !unheld.is_empty() {
        out.push(credentials_finding(
            Severity::Critical,
            format!(
                "{} credential(s) carry a breakglass label but no local store holds their key id: someone may have named them to look like breakglass's, or an interrupted run left them",
                unheld.len()
            ),
            "compare with `breakglass credential list`; `breakglass apply` removes credentials no store holds",
            &unheld,
            "key id in no store",
        ));
    }
    if let Err(why) = &snapshot.held_key_ids {
        out.push(
            Finding::found(
                CheckId::AppCredentials,
                Severity::Info,
                format!("key ids were not compared with the local stores: {why}"),
            )
            .hinted("run the audit where the stores are, with BREAKGLASS_KEEPASS_PASSWORD or `--keepass-password-file`"),
        );
    }
    if !foreign.is_empty() {
        out.push(credentials_finding(
            Severity::Critical,
            format!(
                "{} credential(s) on the app that breakglass did not make: whoever holds them can sign in as the emergency app",
                foreign.len()
            ),
            "find out who added them (audit log: \"Update application – Certificates and secrets management\"), then remove them with `breakglass apply`",
            &foreign,
            "not made by breakglass",
        ));
    }
    if !stale.is_empty() {
        out.push(credentials_finding(
            Severity::Medium,
            format!(
                "{} breakglass credential(s) for a label breakglass.toml no longer declares",
                stale.len()
            ),
            "remove them with `breakglass apply` (or `breakglass credential remove`), or declare the label again",
            &stale,
            "label not declared",
        ));
    }
}

fn federated_credential_check(app: &Application, out: &mut Vec<Finding>) {
    match app.federated_credentials.get() {
        Err(missing) => out.push(Finding::not_checked(CheckId::FederatedCredentials, missing)),
        Ok(list) if list.is_empty() => out.push(Finding::pass(
            CheckId::FederatedCredentials,
            "no federated identity credentials",
        )),
        Ok(list) => {
            let mut finding = Finding::found(
                CheckId::FederatedCredentials,
                Severity::Critical,
                format!(
                    "{} federated identity credential(s): a token from the named issuer and subject signs in as the emergency app, with no secret in any store",
                    list.len()
                ),
            )
            .hinted("delete them (breakglass never makes one): DELETE /applications/{id}/federatedIdentityCredentials/{id}");
            for c in list {
                finding = finding.with(Evidence {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    kind: "federatedIdentityCredential".into(),
                    detail: Some(format!("issuer {}, subject {}", c.issuer, c.subject)),
                });
            }
            out.push(finding);
        }
    }
}

fn service_principal_credential_check(sp: &ServicePrincipal, out: &mut Vec<Finding>) {
    if sp.credentials.is_empty() {
        out.push(Finding::pass(
            CheckId::ServicePrincipalCredentials,
            "no credentials on the service principal",
        ));
        return;
    }
    let mut finding = Finding::found(
        CheckId::ServicePrincipalCredentials,
        Severity::Critical,
        format!(
            "{} credential(s) on the service principal object; the portal's app registration blade does not show them, and each signs in as the emergency app",
            sp.credentials.len()
        ),
    )
    .hinted("remove them (`breakglass apply` does) and lock the service principal's credentials (`lock_credentials = true`)");
    for c in &sp.credentials {
        finding = finding.with(credential_evidence(c, "on the service principal".into()));
    }
    out.push(finding);
}

fn service_principal_enabled_check(
    app: &Application,
    sp: &ServicePrincipal,
    out: &mut Vec<Finding>,
) {
    if sp.account_enabled {
        out.push(Finding::pass(
            CheckId::ServicePrincipalEnabled,
            "the service principal is enabled",
        ));
    } else {
        out.push(
            Finding::found(
                CheckId::ServicePrincipalEnabled,
                Severity::Critical,
                "the service principal is disabled: the emergency app cannot sign in",
            )
            .with(Evidence {
                id: sp.id.clone(),
                name: app.display_name.clone(),
                kind: "servicePrincipal".into(),
                detail: Some("accountEnabled false".into()),
            })
            .hinted("run `breakglass apply` to enable it"),
        );
    }
}

/// The declared role must be held permanently and actively at `/`: an app cannot activate a
/// PIM-eligible one.
fn app_role_check(
    snapshot: &Snapshot,
    app: &Application,
    sp: &ServicePrincipal,
    role: crate::roles::BuiltInRole,
    out: &mut Vec<Finding>,
) {
    let role_id = role.template_id.to_string();
    let holds = |list: &[RoleAssignment]| {
        list.iter().any(|g| {
            same(&g.principal.id, &sp.id)
                && same(&g.role_template_id, &role_id)
                && g.directory_scope_id == "/"
        })
    };
    match snapshot.tenant.role_assignments.get() {
        Err(missing) => out.push(Finding::not_checked(CheckId::AppRole, missing)),
        Ok(active) if holds(active) => out.push(Finding::pass(
            CheckId::AppRole,
            format!(
                "the service principal holds {} permanently and actively at /",
                role.display_name
            ),
        )),
        Ok(_) => {
            let eligible = snapshot
                .tenant
                .role_eligibilities
                .get()
                .is_ok_and(|list| holds(list));
            out.push(
                Finding::found(
                    CheckId::AppRole,
                    Severity::High,
                    if eligible {
                        format!("the service principal is only PIM-eligible for {}: an app cannot activate it in an emergency", role.display_name)
                    } else {
                        format!("the service principal holds no active {} at /: the emergency app cannot do what it is for", role.display_name)
                    },
                )
                .with(Evidence {
                    id: sp.id.clone(),
                    name: app.display_name.clone(),
                    kind: "servicePrincipal".into(),
                    detail: Some(role.display_name.to_string()),
                })
                .hinted("run `breakglass apply` to assign the role permanently and actively"),
            );
        }
    }
}

fn credential_lock_check(app: &Application, out: &mut Vec<Finding>) {
    if app.credentials_locked {
        out.push(Finding::pass(
            CheckId::CredentialLock,
            "servicePrincipalLockConfiguration locks the service principal's credentials",
        ));
    } else {
        out.push(
            Finding::found(
                CheckId::CredentialLock,
                Severity::High,
                "servicePrincipalLockConfiguration does not lock credentials: anyone who may write the service principal can add a credential there, out of the app blade's sight",
            )
            .with(Evidence {
                id: app.id.clone(),
                name: app.display_name.clone(),
                kind: "application".into(),
                detail: Some("servicePrincipalLockConfiguration".into()),
            })
            .hinted("set `lock_credentials = true` in breakglass.toml and run `breakglass apply`"),
        );
    }
}

fn sign_in_audience_check(app: &Application, out: &mut Vec<Finding>) {
    if app.sign_in_audience == "AzureADMyOrg" {
        out.push(Finding::pass(
            CheckId::SignInAudience,
            "single tenant (AzureADMyOrg)",
        ));
    } else {
        out.push(
            Finding::found(
                CheckId::SignInAudience,
                Severity::High,
                format!(
                    "signInAudience is {}: other tenants can create a service principal of the app, and Conditional Access for workload identities covers single-tenant apps only",
                    if app.sign_in_audience.is_empty() { "unset" } else { &app.sign_in_audience }
                ),
            )
            .with(Evidence {
                id: app.id.clone(),
                name: app.display_name.clone(),
                kind: "application".into(),
                detail: Some(format!("signInAudience {}", app.sign_in_audience)),
            })
            .hinted("run `breakglass apply` to set it back to AzureADMyOrg"),
        );
    }
}
