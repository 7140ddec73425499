//! Who holds a directory role that reaches the emergency app, actively or eligibly, and how
//! many Global Administrators the tenant has.

use super::pim_groups;
use super::{
    CREDENTIAL_ADMIN_ROLES, CheckId, Evidence, Finding, GLOBAL_ADMIN_LIMIT,
    HYBRID_IDENTITY_ADMINISTRATOR, Missing, Severity, Snapshot, TIER_ZERO_ROLES,
    USER_TAKEOVER_ROLES,
};
use crate::roles::{self, BuiltInRole};
use crate::tenant::{Principal, RoleAssignment, TenantView, same};

fn role_name(template_id: &str) -> String {
    template_id
        .parse()
        .ok()
        .and_then(roles::by_template_id)
        .map(|r| r.display_name.to_string())
        .unwrap_or_else(|| template_id.to_string())
}

fn is_role(grant: &RoleAssignment, role: &BuiltInRole) -> bool {
    same(&grant.role_template_id, &role.template_id.to_string())
}

fn scope_reaches_app(scope: &str, tenant: &TenantView) -> bool {
    if scope == "/" {
        return true;
    }
    let id = scope.trim_start_matches('/');
    tenant.emergency_app().is_some_and(|a| same(id, &a.id))
        || tenant
            .service_principal
            .as_ref()
            .is_some_and(|sp| same(id, &sp.id))
}

type Grants<'a> = Result<&'a Vec<RoleAssignment>, Missing>;

fn grants(snapshot: &Snapshot) -> (Grants<'_>, Grants<'_>) {
    (
        snapshot.tenant.role_assignments.get(),
        snapshot.tenant.role_eligibilities.get(),
    )
}

/// Holders of `roles` at a scope that reaches the app, active then eligible, without the
/// emergency identities themselves.
fn holders<'a>(
    snapshot: &'a Snapshot,
    list: &'a [RoleAssignment],
    wanted: &[BuiltInRole],
    is_emergency: &dyn Fn(&str) -> bool,
) -> Vec<&'a RoleAssignment> {
    list.iter()
        .filter(|g| wanted.iter().any(|r| is_role(g, r)))
        .filter(|g| scope_reaches_app(&g.directory_scope_id, &snapshot.tenant))
        .filter(|g| !is_emergency(&g.principal.id))
        .collect()
}

fn role_evidence(grant: &RoleAssignment, how: &str) -> Evidence {
    let scope = if grant.directory_scope_id == "/" {
        "tenant-wide".to_string()
    } else {
        format!("scoped to {}", grant.directory_scope_id)
    };
    grant.principal.evidence(Some(format!(
        "{} ({how}, {scope})",
        role_name(&grant.role_template_id)
    )))
}

/// Who holding which roles can do what to the emergency app, and how bad that is
/// (active, eligible).
struct RoleRule<'a> {
    check: CheckId,
    wanted: &'a [BuiltInRole],
    what: &'a str,
    severities: (Severity, Severity),
    hint: &'a str,
}

fn role_check(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    rule: RoleRule<'_>,
    out: &mut Vec<Finding>,
) {
    let RoleRule {
        check,
        wanted,
        what,
        severities,
        hint,
    } = rule;
    let names: Vec<&str> = wanted.iter().map(|r| r.display_name).collect();
    let (active, eligible) = grants(snapshot);
    let through_groups = pim_groups::eligible_through_groups(&snapshot.tenant);
    let active_holders = active
        .as_ref()
        .map(|l| holders(snapshot, l, wanted, is_emergency))
        .unwrap_or_default();
    let mut eligible_holders = eligible
        .as_ref()
        .map(|l| holders(snapshot, l, wanted, is_emergency))
        .unwrap_or_default();
    eligible_holders.extend(holders(snapshot, &through_groups, wanted, is_emergency));
    if let Err(missing) = &active {
        out.push(Finding::not_checked(check, missing));
    }
    if let Err(missing) = &eligible {
        let mut finding = Finding::not_checked(check, missing);
        finding.summary = format!("PIM-eligible assignments {}", finding.summary);
        out.push(finding);
    }
    let groups: Vec<&Principal> = active_holders
        .iter()
        .chain(&eligible_holders)
        .map(|g| &g.principal)
        .filter(|p| p.kind == "group")
        .collect();
    out.extend(pim_groups::unread_for(&snapshot.tenant, check, &groups));
    let sentence = |n: usize, how: &str| {
        format!(
            "{n} {how} assignment(s) of {}: {}{what}",
            names.join(" / "),
            if how == "active" {
                ""
            } else {
                "after activation, "
            }
        )
    };
    for (holders, how, severity) in [
        (&active_holders, "active", severities.0),
        (&eligible_holders, "eligible", severities.1),
    ] {
        if holders.is_empty() {
            continue;
        }
        let label = if how == "active" {
            "active"
        } else {
            "PIM-eligible"
        };
        let mut finding =
            Finding::found(check, severity, sentence(holders.len(), label)).hinted(hint);
        for g in holders {
            finding = finding.with(role_evidence(g, how));
        }
        out.push(finding);
    }
    if active.is_ok()
        && eligible.is_ok()
        && active_holders.is_empty()
        && eligible_holders.is_empty()
    {
        out.push(Finding::pass(
            check,
            format!(
                "nobody holds {} tenant-wide or on the emergency app, actively or eligibly",
                names.join(" / ")
            ),
        ));
    }
}

pub(super) fn role_checks(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    role_check(
        snapshot,
        is_emergency,
        RoleRule {
            check: CheckId::CredentialAdminRoles,
            wanted: CREDENTIAL_ADMIN_ROLES,
            what: "each can add a credential to the emergency app and so become Global Administrator",
            severities: (Severity::Critical, Severity::High),
            hint: "remove these assignments, or scope them to the apps each person looks after (an administrative unit, or another app's object id), never tenant-wide",
        },
        out,
    );
    role_check(
        snapshot,
        is_emergency,
        RoleRule {
            check: CheckId::OwnerAdminRoles,
            wanted: &[HYBRID_IDENTITY_ADMINISTRATOR],
            what: "each can make itself an owner of the emergency app, and an owner can add a credential",
            severities: (Severity::High, Severity::Medium),
            hint: "keep Hybrid Identity Administrator for the few who run Entra Connect, PIM-eligible with approval",
        },
        out,
    );
    role_check(
        snapshot,
        is_emergency,
        RoleRule {
            check: CheckId::TierZeroRoles,
            wanted: TIER_ZERO_ROLES,
            what: "each can take the emergency app over, as they can everything else (Privileged Role Administrator by granting itself any role)",
            severities: (Severity::Low, Severity::Info),
            hint: "keep these roles to very few people, PIM-eligible with approval, and watch the emergency app's audit log",
        },
        out,
    );
    if !snapshot.tenant.users.is_empty() {
        role_check(
            snapshot,
            is_emergency,
            RoleRule {
                check: CheckId::UserTakeoverRoles,
                wanted: USER_TAKEOVER_ROLES,
                what: "each can reset an emergency user's password and authentication methods, and sign in as it",
                severities: (Severity::Critical, Severity::High),
                hint: "keep Privileged Authentication Administrator PIM-eligible with approval for very few people",
            },
            out,
        );
        role_check(
            snapshot,
            is_emergency,
            RoleRule {
                check: CheckId::UserTakeoverRoles,
                wanted: &[roles::AUTHENTICATION_POLICY_ADMINISTRATOR],
                what: "each can enable an authentication method it controls for every user, emergency users included (with a way to register it, a way in)",
                severities: (Severity::High, Severity::Medium),
                hint: "keep Authentication Policy Administrator PIM-eligible with approval, and alert on changes to the authentication methods policy",
            },
            out,
        );
        role_check(
            snapshot,
            is_emergency,
            RoleRule {
                check: CheckId::UserTakeoverRoles,
                wanted: &[roles::AUTHENTICATION_ADMINISTRATOR],
                what: "each can reset the methods of users without an administrator role only: it reaches an emergency user only once that user has lost its role",
                severities: (Severity::Low, Severity::Info),
                hint: "nothing to do while the emergency users hold their role; keep the role to the help desk that needs it",
            },
            out,
        );
    }
}
pub(super) fn global_admin_count(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::GlobalAdminCount;
    let (active, eligible) = grants(snapshot);
    let Ok(active) = active else {
        if let Err(missing) = active {
            out.push(Finding::not_checked(check, missing));
        }
        return;
    };
    let mut principals: Vec<&Principal> = Vec::new();
    let eligible_list: &[RoleAssignment] =
        eligible.as_ref().map(|l| l.as_slice()).unwrap_or_default();
    let through_groups = pim_groups::eligible_through_groups(&snapshot.tenant);
    for grant in active.iter().chain(eligible_list).chain(&through_groups) {
        // A group holding the role counts through its members (the CLI lists them).
        if is_role(grant, &roles::GLOBAL_ADMINISTRATOR)
            && grant.directory_scope_id == "/"
            && grant.principal.kind != "group"
            && !principals.iter().any(|p| same(&p.id, &grant.principal.id))
        {
            principals.push(&grant.principal);
        }
    }
    let note = if eligible.is_ok() {
        "active or eligible"
    } else {
        "active; eligible ones unreadable"
    };
    if principals.len() < GLOBAL_ADMIN_LIMIT {
        out.push(Finding::pass(
            check,
            format!(
                "{} Global Administrator(s) ({note}), fewer than {GLOBAL_ADMIN_LIMIT}",
                principals.len()
            ),
        ));
    } else {
        let mut finding = Finding::found(
            check,
            Severity::Medium,
            format!(
                "{} Global Administrators ({note}); Microsoft recommends fewer than {GLOBAL_ADMIN_LIMIT}",
                principals.len()
            ),
        )
        .hinted("move day-to-day work to narrower roles and keep Global Administrator for the emergency identities and very few people");
        for p in principals {
            finding = finding.with(p.evidence(Some("Global Administrator".into())));
        }
        out.push(finding);
    }
}
