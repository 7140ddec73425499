//! The emergency users: how many ways in there are, and whether each user is cloud-only, on
//! the initial domain, enabled, holds its role actively, escapes Conditional Access and has
//! a phishing-resistant method.

use super::{CheckId, Evidence, Fact, Finding, Severity, Snapshot};
use crate::drill::{self, CaSubject};
use crate::tenant::{Application, User, same};

fn user_evidence(user: &User, detail: impl Into<String>) -> Evidence {
    Evidence {
        id: user.id.clone(),
        name: user.user_principal_name.clone(),
        kind: "user".into(),
        detail: Some(detail.into()),
    }
}

/// Adds a pass when no user failed `check`, or one finding per severity with every user.
fn per_user(
    check: CheckId,
    users: &[User],
    pass: &str,
    judge: impl Fn(&User) -> Option<(Severity, String)>,
    summary: impl Fn(usize) -> String,
    hint: &str,
    out: &mut Vec<Finding>,
) {
    let mut by_severity: Vec<(Severity, Vec<Evidence>)> = Vec::new();
    for user in users {
        if let Some((severity, detail)) = judge(user) {
            match by_severity.iter_mut().find(|(s, _)| *s == severity) {
                Some((_, list)) => list.push(user_evidence(user, detail)),
                None => by_severity.push((severity, vec![user_evidence(user, detail)])),
            }
        }
    }
    if by_severity.is_empty() {
        if !users.is_empty() {
            out.push(Finding::pass(check, pass));
        }
        return;
    }
    by_severity.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    for (severity, evidence) in by_severity {
        let mut finding = Finding::found(check, severity, summary(evidence.len())).hinted(hint);
        finding.evidence = evidence;
        out.push(finding);
    }
}

/// Every check of the emergency users, as the drill judges them where it can.
pub(super) fn user_checks(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    access_paths_check(snapshot, out);
    let users = &snapshot.tenant.users;
    cloud_only_check(users, out);
    domain_check(users, &snapshot.tenant.initial_domain, out);
    enabled_check(users, out);
    user_role_check(snapshot, out);
    user_conditional_access_check(snapshot, out);
    phishing_resistant_check(users, out);
    mandatory_mfa_check(snapshot, out);
}

/// Microsoft asks for at least two independent ways in: two users, or a user and the app.
fn access_paths_check(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let users = &snapshot.tenant.users;
    let app_path = snapshot.tenant.service_principal.is_some()
        && snapshot
            .tenant
            .emergency_app()
            .is_some_and(Application::in_use);
    let paths = users.len() + usize::from(app_path);
    let summary = format!(
        "{} emergency user(s){}",
        users.len(),
        if app_path {
            " and the emergency app"
        } else {
            ", no usable emergency app"
        }
    );
    if paths < 2 {
        out.push(
            Finding::found(
                CheckId::EmergencyAccessPaths,
                Severity::High,
                format!("{summary}: fewer than two independent ways in"),
            )
            .hinted("declare two emergency users ([users] count = 2) and run `breakglass apply`"),
        );
    } else if users.len() < 2 {
        out.push(
            Finding::found(
                CheckId::EmergencyAccessPaths,
                Severity::Medium,
                format!("{summary}: Microsoft asks for at least two emergency access accounts"),
            )
            .hinted("declare two emergency users ([users] count = 2) and run `breakglass apply`"),
        );
    } else {
        out.push(Finding::pass(CheckId::EmergencyAccessPaths, summary));
    }
}

fn cloud_only_check(users: &[User], out: &mut Vec<Finding>) {
    per_user(
        CheckId::UserCloudOnly,
        users,
        "every emergency user is cloud-only",
        |u| {
            (u.on_premises_sync_enabled == Some(true)).then(|| {
                (
                    Severity::High,
                    "synchronised from on-premises Active Directory".to_string(),
                )
            })
        },
        |n| {
            format!(
                "{n} emergency user(s) synchronised from on-premises: an on-premises compromise or outage reaches them"
            )
        },
        "use cloud-only accounts created in Entra ID (`breakglass apply` creates them)",
        out,
    );
}

fn domain_check(users: &[User], initial_domain: &str, out: &mut Vec<Finding>) {
    let initial = initial_domain.to_ascii_lowercase();
    per_user(
        CheckId::UserDomain,
        users,
        "every emergency user is on the initial *.onmicrosoft.com domain",
        |u| {
            let domain = u
                .user_principal_name
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_default();
            (domain != initial).then(|| (Severity::High, format!("on {domain}, not {initial}")))
        },
        |n| {
            format!(
                "{n} emergency user(s) not on the initial *.onmicrosoft.com domain: a federation or DNS problem of a custom domain can lock them out"
            )
        },
        "create emergency users on the initial domain (`breakglass apply` does)",
        out,
    );
}

fn enabled_check(users: &[User], out: &mut Vec<Finding>) {
    per_user(
        CheckId::UserEnabled,
        users,
        "every emergency user is enabled",
        |u| (!u.account_enabled).then(|| (Severity::High, "accountEnabled false".to_string())),
        |n| format!("{n} emergency user(s) disabled"),
        "run `breakglass apply` to enable them",
        out,
    );
}

/// The declared role must be held permanently and actively: activating a PIM-eligible one
/// can fail in the emergency.
fn user_role_check(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let users = &snapshot.tenant.users;
    let role = snapshot.user_role;
    let role_id = role.template_id.to_string();
    let eligible_ids: Vec<&str> = match snapshot.tenant.role_eligibilities.get() {
        Ok(list) => list
            .iter()
            .filter(|g| same(&g.role_template_id, &role_id) && g.directory_scope_id == "/")
            .map(|g| g.principal.id.as_str())
            .collect(),
        Err(_) => Vec::new(),
    };
    if let Err(missing) = snapshot.tenant.role_assignments.get() {
        if !users.is_empty() {
            out.push(Finding::not_checked(CheckId::UserRole, missing));
        }
        return;
    }
    per_user(
        CheckId::UserRole,
        users,
        &format!(
            "every emergency user holds {} permanently and actively at /",
            role.display_name
        ),
        |u| {
            if snapshot
                .tenant
                .roles_at_root(&u.id)
                .iter()
                .any(|r| same(r, &role_id))
            {
                None
            } else if eligible_ids.iter().any(|e| same(e, &u.id)) {
                Some((
                    Severity::High,
                    format!(
                        "{} only PIM-eligible: activation can fail in the emergency",
                        role.display_name
                    ),
                ))
            } else {
                Some((Severity::High, format!("no active {}", role.display_name)))
            }
        },
        |n| {
            format!(
                "{n} emergency user(s) without a permanent active {}",
                role.display_name
            )
        },
        "run `breakglass apply` to assign the role permanently and actively",
        out,
    );
}

/// Reports each user whose `fact` could not be read as not checked for `check`, and returns
/// the users that can be judged.
fn readable_users<T>(
    users: &[User],
    check: CheckId,
    fact: impl Fn(&User) -> &Fact<T>,
    unreadable: &str,
    out: &mut Vec<Finding>,
) -> Vec<User> {
    for user in users {
        if let Err(missing) = fact(user).get() {
            let mut finding = Finding::not_checked(check, missing);
            finding.evidence.push(user_evidence(user, unreadable));
            out.push(finding);
        }
    }
    users
        .iter()
        .filter(|u| fact(u).get().is_ok())
        .cloned()
        .collect()
}

/// Conditional Access for users, as the drill judges it.
fn user_conditional_access_check(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let users = &snapshot.tenant.users;
    let policies = match snapshot.tenant.policies.get() {
        Err(missing) => {
            if !users.is_empty() {
                out.push(Finding::not_checked(
                    CheckId::UserConditionalAccess,
                    missing,
                ));
            }
            return;
        }
        Ok(policies) => policies,
    };
    let readable = readable_users(
        users,
        CheckId::UserConditionalAccess,
        |u| &u.group_ids,
        "group memberships unreadable",
        out,
    );
    per_user(
        CheckId::UserConditionalAccess,
        &readable,
        "every emergency user is excluded from, or not targeted by, every enabled Conditional Access policy",
        |u| {
            let subject = CaSubject {
                user_id: u.id.clone(),
                group_ids: u.group_ids.get().cloned().unwrap_or_default(),
                role_ids: snapshot.tenant.roles_at_root(&u.id),
            };
            let (_, found) = drill::conditional_access(policies, &subject);
            let worst = found.iter().map(|f| f.status).max()?;
            let names: Vec<String> = found
                .iter()
                .map(|f| format!("\"{}\" ({})", f.display_name, f.effect))
                .collect();
            let severity = if worst == drill::Status::Failure {
                Severity::Critical
            } else {
                Severity::Medium
            };
            Some((severity, format!("not excluded from {}", names.join(", "))))
        },
        |n| {
            format!(
                "{n} emergency user(s) not excluded from enabled Conditional Access policies (a block locks them out; report-only policies do not count)"
            )
        },
        "add the exclusion group to each policy's excluded users and groups",
        out,
    );
}

fn phishing_resistant_check(users: &[User], out: &mut Vec<Finding>) {
    let readable = readable_users(
        users,
        CheckId::UserPhishingResistant,
        |u| &u.method_types,
        "authentication methods unreadable",
        out,
    );
    per_user(
        CheckId::UserPhishingResistant,
        &readable,
        "every emergency user has a phishing-resistant method (FIDO2 key, passkey or certificate)",
        |u| {
            let check = drill::phishing_resistant(
                u.method_types.get().map(Vec::as_slice).unwrap_or_default(),
            );
            (check.status != drill::Status::Pass).then_some((Severity::Medium, check.detail))
        },
        |n| {
            format!(
                "{n} emergency user(s) without a phishing-resistant method; mandatory MFA for admin portals applies to emergency accounts too"
            )
        },
        "the owner registers a FIDO2 security key or passkey (`[users] temporary_access_pass = true` issues a pass to do it)",
        out,
    );
}

/// Methods Microsoft names for emergency accounts to meet mandatory MFA: a FIDO2 key or passkey,
/// or certificate-based authentication. Neither needs a phone, a network or a managed device.
const EMERGENCY_MFA_METHODS: &[&str] = &[
    "#microsoft.graph.fido2AuthenticationMethod",
    "#microsoft.graph.x509CertificateAuthenticationMethod",
];

/// Methods that are no second factor at all.
const NOT_MFA: &[&str] = &[
    "#microsoft.graph.passwordAuthenticationMethod",
    "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
    "#microsoft.graph.emailAuthenticationMethod",
];

/// Mandatory MFA for the Azure and Entra admin portals applies to emergency users; it does not
/// apply to workload identities, which the report says so nobody exempts the app by mistake.
fn mandatory_mfa_check(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::MandatoryMfa;
    if snapshot.tenant.emergency_app().is_some() {
        out.push(Finding::pass(
            check,
            "the emergency app signs in as a workload identity: mandatory MFA does not apply to it",
        ));
    }
    let users = &snapshot.tenant.users;
    let readable = readable_users(
        users,
        check,
        |u| &u.method_types,
        "authentication methods unreadable",
        out,
    );
    per_user(
        check,
        &readable,
        "every emergency user can meet mandatory MFA with a FIDO2 passkey or a certificate",
        |u| {
            let methods = u.method_types.get().map(Vec::as_slice).unwrap_or_default();
            let has = |wanted: &[&str]| {
                methods
                    .iter()
                    .any(|m| wanted.iter().any(|w| m.eq_ignore_ascii_case(w)))
            };
            if has(EMERGENCY_MFA_METHODS) {
                return None;
            }
            let any_mfa = methods
                .iter()
                .any(|m| !NOT_MFA.iter().any(|n| m.eq_ignore_ascii_case(n)));
            Some(if any_mfa {
                (
                    Severity::Medium,
                    "MFA only with a method that needs a phone or a device".to_string(),
                )
            } else {
                (
                    Severity::High,
                    "no method that meets MFA: the admin portals refuse its sign-in".to_string(),
                )
            })
        },
        |n| {
            format!(
                "{n} emergency user(s) cannot meet mandatory MFA with a FIDO2 passkey or a certificate, as Microsoft asks of emergency accounts"
            )
        },
        "register a FIDO2 security key or passkey (or configure certificate-based authentication) for each emergency user",
        out,
    );
}
