//! Roles the built-in lists cannot name: custom directory roles whose permissions reach the
//! emergency app or the emergency users' authentication methods, and any role scoped to an
//! administrative unit that holds an emergency user or the exclusion group.

use super::{CheckId, Evidence, Finding, Severity, Snapshot, pim_groups};
use crate::roles;
use crate::tenant::{AdministrativeUnit, RoleAssignment, RoleDefinition, same};

/// What a custom role's permission lets its holder do to the emergency access, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// Add a credential to the emergency app or its service principal.
    AppCredentials,
    /// Register or reset an emergency user's authentication methods.
    UserMethods,
    /// Make itself an owner of the app, and an owner may add a credential.
    AppOwners,
}

impl Reach {
    /// Severities as for the built-in role that holds the same permission: Application
    /// Administrator, Privileged Authentication Administrator, Hybrid Identity Administrator.
    fn severities(self) -> (Severity, Severity) {
        match self {
            Reach::AppCredentials | Reach::UserMethods => (Severity::Critical, Severity::High),
            Reach::AppOwners => (Severity::High, Severity::Medium),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Reach::AppCredentials => "can add a credential to the emergency app",
            Reach::UserMethods => "can change an emergency user's authentication methods",
            Reach::AppOwners => "can make itself an owner of the emergency app",
        }
    }

    fn on_users(self) -> bool {
        self == Reach::UserMethods
    }
}

/// Resource actions that reach the emergency identities. `allProperties/allTasks` and
/// `allProperties/update` include the credentials and are listed among the actions a custom
/// role may hold for applications and service principals.
const APP_CREDENTIAL_ACTIONS: &[&str] = &[
    "microsoft.directory/applications/credentials/update",
    "microsoft.directory/servicePrincipals/credentials/update",
    "microsoft.directory/applications/allProperties/allTasks",
    "microsoft.directory/applications/allProperties/update",
    "microsoft.directory/servicePrincipals/allProperties/allTasks",
    "microsoft.directory/servicePrincipals/allProperties/update",
];
const APP_OWNER_ACTIONS: &[&str] = &[
    "microsoft.directory/applications/owners/update",
    "microsoft.directory/servicePrincipals/owners/update",
];
const USER_METHOD_ACTIONS: &str = "microsoft.directory/users/authenticationMethods/";

/// The worst reach of one action, if any.
fn reach_of(action: &str) -> Option<Reach> {
    let action = action.to_ascii_lowercase();
    let listed = |list: &[&str]| list.iter().any(|a| a.eq_ignore_ascii_case(&action));
    if listed(APP_CREDENTIAL_ACTIONS) {
        Some(Reach::AppCredentials)
    } else if action.starts_with(&USER_METHOD_ACTIONS.to_ascii_lowercase()) {
        Some(Reach::UserMethods)
    } else if listed(APP_OWNER_ACTIONS) {
        Some(Reach::AppOwners)
    } else {
        None
    }
}

/// Each reach of a role definition, with the action that grants it.
fn reaches(definition: &RoleDefinition) -> Vec<(Reach, &str)> {
    let mut found: Vec<(Reach, &str)> = Vec::new();
    for action in &definition.allowed_actions {
        if let Some(reach) = reach_of(action)
            && !found.iter().any(|(r, _)| *r == reach)
        {
            found.push((reach, action.as_str()));
        }
    }
    found.sort();
    found
}

/// A role's name: a built-in one by its template id, else the tenant's definition.
pub(super) fn role_display(snapshot: &Snapshot, id: &str) -> String {
    id.parse()
        .ok()
        .and_then(roles::by_template_id)
        .map(|r| r.display_name.to_string())
        .or_else(|| {
            snapshot
                .tenant
                .role_definitions
                .items()
                .iter()
                .find(|d| same(&d.id, id))
                .map(|d| d.display_name.clone())
        })
        .unwrap_or_else(|| id.to_string())
}

fn scope_words(scope: &str) -> String {
    if scope == "/" {
        "tenant-wide".into()
    } else {
        format!("scoped to {scope}")
    }
}

/// Whether a scope covers the object (the whole tenant, or the object itself).
fn covers(scope: &str, ids: &[String]) -> bool {
    scope == "/" || ids.iter().any(|id| same(scope.trim_start_matches('/'), id))
}

/// The object ids a reach aims at: the app and its service principal, or the users.
fn targets(snapshot: &Snapshot, reach: Reach) -> Vec<String> {
    let tenant = &snapshot.tenant;
    if reach.on_users() {
        return tenant.users.iter().map(|u| u.id.clone()).collect();
    }
    tenant
        .emergency_app()
        .map(|a| a.id.clone())
        .into_iter()
        .chain(tenant.service_principal.as_ref().map(|sp| sp.id.clone()))
        .collect()
}

/// Active and eligible assignments as one list, each marked with how it is held.
fn all_grants(
    snapshot: &Snapshot,
    check: CheckId,
    out: &mut Vec<Finding>,
) -> Option<Vec<(&'static str, RoleAssignment)>> {
    let mut grants = Vec::new();
    let mut complete = true;
    for (how, fact) in [
        ("active", &snapshot.tenant.role_assignments),
        ("eligible", &snapshot.tenant.role_eligibilities),
    ] {
        match fact.get() {
            Ok(list) => grants.extend(list.iter().map(|g| (how, g.clone()))),
            Err(missing) => {
                let mut finding = Finding::not_checked(check, &missing);
                if how == "eligible" {
                    finding.summary = format!("PIM-eligible assignments {}", finding.summary);
                }
                out.push(finding);
                complete = false;
            }
        }
    }
    grants.extend(
        pim_groups::eligible_through_groups(&snapshot.tenant)
            .into_iter()
            .map(|g| ("eligible", g)),
    );
    (complete || !grants.is_empty()).then_some(grants)
}

/// The groups among flagged holders, whose PIM for Groups eligibility must be readable for
/// the check to be complete.
fn unread_groups(
    snapshot: &Snapshot,
    check: CheckId,
    flagged: &[&RoleAssignment],
) -> Option<Finding> {
    let groups: Vec<&crate::tenant::Principal> = flagged
        .iter()
        .map(|g| &g.principal)
        .filter(|p| p.kind == "group")
        .collect();
    pim_groups::unread_for(&snapshot.tenant, check, &groups)
}

/// Pushes one finding per severity, each with its evidence.
fn push_by_severity(
    check: CheckId,
    found: Vec<(Severity, Evidence)>,
    summary: impl Fn(usize) -> String,
    hint: &str,
    out: &mut Vec<Finding>,
) {
    let mut severities: Vec<Severity> = found.iter().map(|(s, _)| *s).collect();
    severities.sort_by_key(|s| std::cmp::Reverse(*s));
    severities.dedup();
    for severity in severities {
        let evidence: Vec<Evidence> = found
            .iter()
            .filter(|(s, _)| *s == severity)
            .map(|(_, e)| e.clone())
            .collect();
        let mut finding = Finding::found(check, severity, summary(evidence.len())).hinted(hint);
        finding.evidence = evidence;
        out.push(finding);
    }
}

/// Custom roles holding a permission that reaches the emergency app or users, assigned
/// tenant-wide or on one of those objects (administrative units: [`administrative_units`]).
pub(super) fn custom_roles(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::CustomRoles;
    let definitions = match snapshot.tenant.role_definitions.get() {
        Ok(definitions) => definitions,
        Err(missing) => return out.push(Finding::not_checked(check, missing)),
    };
    let dangerous: Vec<(&RoleDefinition, Vec<(Reach, &str)>)> = definitions
        .iter()
        .filter(|d| !d.is_built_in)
        .map(|d| (d, reaches(d)))
        .filter(|(_, r)| !r.is_empty())
        .collect();
    let Some(grants) = all_grants(snapshot, check, out) else {
        return;
    };
    let mut found: Vec<(Severity, Evidence)> = Vec::new();
    let mut flagged: Vec<&RoleAssignment> = Vec::new();
    for (how, grant) in &grants {
        if is_emergency(&grant.principal.id) {
            continue;
        }
        let Some((definition, reaches)) = dangerous
            .iter()
            .find(|(d, _)| same(&d.id, &grant.role_template_id))
        else {
            continue;
        };
        let Some((reach, action)) = reaches
            .iter()
            .find(|(r, _)| covers(&grant.directory_scope_id, &targets(snapshot, *r)))
        else {
            continue;
        };
        let (active, eligible) = reach.severities();
        let severity = if *how == "active" { active } else { eligible };
        flagged.push(grant);
        found.push((
            severity,
            grant.principal.evidence(Some(format!(
                "custom role \"{}\" ({how}, {}): {action}, {}",
                definition.display_name,
                scope_words(&grant.directory_scope_id),
                reach.what()
            ))),
        ));
    }
    out.extend(unread_groups(snapshot, check, &flagged));
    if found.is_empty() {
        let custom = definitions.iter().filter(|d| !d.is_built_in).count();
        out.push(Finding::pass(
            check,
            format!(
                "{custom} custom role(s); none that reaches the emergency app or the emergency users' methods is assigned tenant-wide or on them"
            ),
        ));
        return;
    }
    push_by_severity(
        check,
        found,
        |n| {
            format!(
                "{n} holder(s) of a custom directory role whose permissions reach the emergency app or the emergency users"
            )
        },
        "remove these assignments, or take the credentials, owners and authenticationMethods actions out of the custom role",
        out,
    );
}

/// The names of the emergency objects an administrative unit holds.
fn held_in(snapshot: &Snapshot, unit: &AdministrativeUnit) -> Vec<String> {
    let tenant = &snapshot.tenant;
    let users = tenant
        .users
        .iter()
        .filter(|u| unit.has_member(&u.id))
        .map(|u| u.user_principal_name.clone());
    let group = tenant
        .group
        .iter()
        .filter(|g| unit.has_member(&g.id))
        .map(|g| format!("the exclusion group \"{}\"", g.display_name));
    users.chain(group).collect()
}

fn unit_evidence(unit: &AdministrativeUnit, detail: String) -> Evidence {
    Evidence {
        id: unit.id.clone(),
        name: unit.display_name.clone(),
        kind: "administrativeUnit".into(),
        detail: Some(detail),
    }
}

/// A role scoped to an administrative unit lets its holder manage the unit's members: one
/// that holds an emergency user or the exclusion group reaches the emergency access. A
/// restricted management unit without such roles keeps even tenant-wide administrators out.
pub(super) fn administrative_units(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::AdministrativeUnits;
    let units = match snapshot.tenant.administrative_units.get() {
        Ok(units) => units,
        Err(missing) => return out.push(Finding::not_checked(check, missing)),
    };
    let holding: Vec<(&AdministrativeUnit, Vec<String>)> = units
        .iter()
        .map(|u| (u, held_in(snapshot, u)))
        .filter(|(_, held)| !held.is_empty())
        .collect();
    if holding.is_empty() {
        out.push(Finding::pass(
            check,
            "no administrative unit holds an emergency user or the exclusion group",
        ));
        return;
    }
    let Some(grants) = all_grants(snapshot, check, out) else {
        return;
    };
    let mut found: Vec<(Severity, Evidence)> = Vec::new();
    let mut flagged: Vec<&RoleAssignment> = Vec::new();
    for (unit, held) in &holding {
        let names = held;
        let scoped: Vec<&(&str, RoleAssignment)> = grants
            .iter()
            .filter(|(_, g)| same(&g.directory_scope_id, &unit.scope()))
            .filter(|(_, g)| !is_emergency(&g.principal.id))
            .collect();
        flagged.extend(scoped.iter().map(|(_, g)| g));
        for (how, grant) in &scoped {
            let severity = if *how == "active" {
                Severity::High
            } else {
                Severity::Medium
            };
            found.push((
                severity,
                grant.principal.evidence(Some(format!(
                    "{} ({how}) scoped to administrative unit \"{}\", which holds {}",
                    role_display(snapshot, &grant.role_template_id),
                    unit.display_name,
                    names.join(", ")
                ))),
            ));
        }
        if unit.restricted && scoped.is_empty() {
            out.push(
                Finding::pass(
                    check,
                    format!(
                        "{} in restricted management administrative unit \"{}\": only administrators assigned at its scope may change them, and none is; Global and Privileged Role Administrators must first assign themselves there (an audited event)",
                        names.join(", "),
                        unit.display_name
                    ),
                )
                .with(unit_evidence(unit, "isMemberManagementRestricted".into())),
            );
        }
    }
    out.extend(unread_groups(snapshot, check, &flagged));
    if found.is_empty() {
        if !holding.iter().any(|(u, _)| u.restricted) {
            out.push(Finding::pass(
                check,
                "no role is scoped to an administrative unit that holds an emergency user or the exclusion group",
            ));
        }
        return;
    }
    push_by_severity(
        check,
        found,
        |n| {
            format!(
                "{n} role assignment(s) scoped to an administrative unit that holds an emergency user or the exclusion group: the holder manages them"
            )
        },
        "take the emergency users and the exclusion group out of these administrative units, or remove the scoped assignments; a restricted management unit with no scoped role keeps everyone else out",
        out,
    );
}
