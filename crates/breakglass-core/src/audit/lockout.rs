//! Lockout paths: ways the tenant could lose every way in at once, as opposed to the ways
//! someone could take the emergency access over. Conditional Access policies that would leave
//! no emergency identity able to sign in, as the policies stand or once one more is enabled.

use super::{CheckId, Evidence, Finding, Severity, Snapshot};
use crate::drill::{self, CaSubject};
use crate::tenant::{Policy, same};

/// Grant controls an emergency cannot be counted on to meet: the device or app the
/// administrator reaches for may not be managed, compliant or joined.
const DEVICE_CONTROLS: &[&str] = &[
    "compliantDevice",
    "domainJoinedDevice",
    "approvedApplication",
    "compliantApplication",
];

/// One way in, as Conditional Access sees it.
enum Identity {
    User { name: String, subject: CaSubject },
    ServicePrincipal { id: String, name: String },
}

impl Identity {
    fn name(&self) -> &str {
        match self {
            Identity::User { name, .. } | Identity::ServicePrincipal { name, .. } => name,
        }
    }

    fn id(&self) -> &str {
        match self {
            Identity::User { subject, .. } => &subject.user_id,
            Identity::ServicePrincipal { id, .. } => id,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Identity::User { .. } => "user",
            Identity::ServicePrincipal { .. } => "servicePrincipal",
        }
    }

    /// Whether `policy`, were it enforced, would stop this identity from signing in: a block
    /// for the clients an administrator uses, or (users) a grant only a managed device or
    /// app meets. Conditions on locations, platforms or risk are not weighed: they can match
    /// on the day.
    fn stopped_by(&self, policy: &Policy) -> bool {
        match self {
            Identity::User { subject, .. } => {
                drill::applies_to(policy, subject).is_some()
                    && drill::covers_modern_clients(policy)
                    && (drill::is_block(policy) || device_only(policy))
            }
            Identity::ServicePrincipal { id, .. } => {
                let targets = policy
                    .include_service_principals
                    .iter()
                    .any(|i| same(i, "ServicePrincipalsInMyTenant") || same(i, id));
                let excluded = policy
                    .exclude_service_principals
                    .iter()
                    .any(|e| same(e, id));
                targets && !excluded && drill::is_block(policy)
            }
        }
    }

    fn evidence(&self, detail: String) -> Evidence {
        Evidence {
            id: self.id().to_string(),
            name: self.name().to_string(),
            kind: self.kind().into(),
            detail: Some(detail),
        }
    }
}

fn device_only(policy: &Policy) -> bool {
    !policy.grant_controls.is_empty()
        && policy
            .grant_controls
            .iter()
            .all(|g| DEVICE_CONTROLS.iter().any(|d| g.eq_ignore_ascii_case(d)))
}

fn policy_evidence(policy: &Policy, detail: String) -> Evidence {
    Evidence {
        id: policy.id.clone(),
        name: policy.display_name.clone(),
        kind: "conditionalAccessPolicy".into(),
        detail: Some(detail),
    }
}

/// The enabled emergency identities, or the finding that says why they cannot be judged.
fn identities(snapshot: &Snapshot) -> Result<Vec<Identity>, Finding> {
    let tenant = &snapshot.tenant;
    let mut out = Vec::new();
    for user in tenant.users.iter().filter(|u| u.account_enabled) {
        let group_ids = user.group_ids.get().map_err(|missing| {
            Finding::not_checked(CheckId::PolicyLockout, missing).with(Evidence {
                id: user.id.clone(),
                name: user.user_principal_name.clone(),
                kind: "user".into(),
                detail: Some("group memberships unreadable".into()),
            })
        })?;
        out.push(Identity::User {
            name: user.user_principal_name.clone(),
            subject: CaSubject {
                user_id: user.id.clone(),
                group_ids: group_ids.clone(),
                role_ids: tenant.roles_at_root(&user.id),
            },
        });
    }
    let app_in_use = tenant.emergency_app().is_some_and(|a| a.in_use());
    if let (Some(sp), true) = (&tenant.service_principal, app_in_use)
        && sp.account_enabled
    {
        let name = tenant
            .emergency_app()
            .map(|a| a.display_name.clone())
            .unwrap_or_default();
        out.push(Identity::ServicePrincipal {
            id: sp.id.clone(),
            name,
        });
    }
    Ok(out)
}

/// Whether the enforced policies leave an emergency identity able to sign in, and whether
/// enabling any one report-only or disabled policy would take the last one away.
pub(super) fn policy_lockout(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::PolicyLockout;
    let policies = match snapshot.tenant.policies.get() {
        Ok(policies) => policies,
        Err(missing) => return out.push(Finding::not_checked(check, missing)),
    };
    let identities = match identities(snapshot) {
        Ok(identities) => identities,
        Err(not_checked) => return out.push(not_checked),
    };
    if identities.is_empty() {
        // No enabled way in at all: `emergency-access-paths` and `user-enabled` say so.
        return;
    }
    let enforced: Vec<&Policy> = policies.iter().filter(|p| p.state == "enabled").collect();
    let stopping = |identity: &Identity| enforced.iter().find(|p| identity.stopped_by(p));
    let working: Vec<&Identity> = identities
        .iter()
        .filter(|i| stopping(i).is_none())
        .collect();
    let hint = "exclude the emergency group and the emergency service principal from the policy (or keep it off)";
    if working.is_empty() {
        let mut finding = Finding::found(
            check,
            Severity::Critical,
            format!(
                "no emergency identity can sign in: the enabled Conditional Access policies stop all {}",
                identities.len()
            ),
        )
        .hinted(hint);
        for identity in &identities {
            if let Some(policy) = stopping(identity) {
                finding.evidence.push(identity.evidence(format!(
                    "stopped by \"{}\" ({})",
                    policy.display_name,
                    policy.grant_controls.join(", ")
                )));
            }
        }
        return out.push(finding);
    }
    let before = out.len();
    for policy in policies.iter().filter(|p| p.state != "enabled") {
        if working.iter().all(|i| i.stopped_by(policy)) {
            out.push(would_lock_out(policy, &working).hinted(hint));
        }
    }
    if out.len() == before {
        out.push(Finding::pass(
            check,
            format!(
                "{} of {} emergency identities get past every enabled Conditional Access policy, and no report-only or disabled policy would stop them all once enabled",
                working.len(),
                identities.len()
            ),
        ));
    }
}

fn would_lock_out(policy: &Policy, working: &[&Identity]) -> Finding {
    let (severity, state) = if policy.state == "enabledForReportingButNotEnforced" {
        // Report-only is the step before enabling: the lockout is one click away.
        (Severity::High, "report-only")
    } else {
        (Severity::Medium, "disabled")
    };
    let mut finding = Finding::found(
        CheckId::PolicyLockout,
        severity,
        format!(
            "enabling \"{}\" ({state}; it blocks nothing now) would leave no emergency identity able to sign in",
            policy.display_name
        ),
    )
    .with(policy_evidence(
        policy,
        format!("{state}, grant {}", policy.grant_controls.join(", ")),
    ));
    for identity in working {
        finding
            .evidence
            .push(identity.evidence("would be stopped by it".into()));
    }
    finding
}

/// Phishing-resistant methods that live in one device (its TPM or secure enclave): lost,
/// wiped or out of compliance, the device takes the method with it.
const DEVICE_BOUND_METHODS: &[&str] = &[
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
    "#microsoft.graph.platformCredentialAuthenticationMethod",
];

fn short(method: &str) -> &str {
    method
        .trim_start_matches("#microsoft.graph.")
        .trim_end_matches("AuthenticationMethod")
}

/// Emergency users whose only phishing-resistant methods are bound to one device: a policy
/// that asks for a compliant or joined device, or the device itself failing, locks them out.
/// Users without any such method are `user-phishing-resistant`'s.
pub(super) fn device_bound_methods(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::UserDeviceBoundMethods;
    let users = &snapshot.tenant.users;
    let policies = snapshot.tenant.policies.items();
    let before = out.len();
    for user in users {
        let methods = match user.method_types.get() {
            Ok(methods) => methods,
            Err(missing) => {
                out.push(Finding::not_checked(check, missing).with(Evidence {
                    id: user.id.clone(),
                    name: user.user_principal_name.clone(),
                    kind: "user".into(),
                    detail: Some("authentication methods unreadable".into()),
                }));
                continue;
            }
        };
        let strong: Vec<&String> = methods
            .iter()
            .filter(|m| {
                drill::PHISHING_RESISTANT_METHODS
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(m))
            })
            .collect();
        let device_bound = |m: &&String| {
            DEVICE_BOUND_METHODS
                .iter()
                .any(|d| d.eq_ignore_ascii_case(m))
        };
        if strong.is_empty() || !strong.iter().all(device_bound) {
            continue;
        }
        let subject = CaSubject {
            user_id: user.id.clone(),
            group_ids: user.group_ids.items().to_vec(),
            role_ids: snapshot.tenant.roles_at_root(&user.id),
        };
        let device_policies: Vec<&str> = policies
            .iter()
            .filter(|p| p.state == "enabled" && device_only(p))
            .filter(|p| drill::applies_to(p, &subject).is_some())
            .map(|p| p.display_name.as_str())
            .collect();
        let names: Vec<&str> = strong.iter().map(|m| short(m)).collect();
        let (severity, why) = if device_policies.is_empty() {
            (
                Severity::Medium,
                "the device failing or being wiped locks the user out".to_string(),
            )
        } else {
            (
                Severity::High,
                format!(
                    "and {} asks for a managed device: the emergency may not offer one",
                    device_policies
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        out.push(
            Finding::found(
                check,
                severity,
                format!(
                    "{}'s only phishing-resistant method is bound to one device ({}): {why}",
                    user.user_principal_name,
                    names.join(", ")
                ),
            )
            .with(Evidence {
                id: user.id.clone(),
                name: user.user_principal_name.clone(),
                kind: "user".into(),
                detail: Some(format!("registered: {}", names.join(", "))),
            })
            .hinted("register a FIDO2 security key (kept with the account's sealed credentials) besides the device-bound method"),
        );
    }
    if out.len() == before && !users.is_empty() {
        out.push(Finding::pass(
            check,
            "no emergency user depends on one device for its phishing-resistant sign-in",
        ));
    }
}
