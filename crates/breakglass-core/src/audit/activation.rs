//! The lockout Microsoft's guidance names since 2025: every Global Administrator and
//! Privileged Role Administrator is PIM-eligible only, activation needs approval, and no
//! approver is left who can give it. The emergency identities are then the only way to act
//! as an administrator, and if they too hold nothing actively, there is none.

use super::{CheckId, Evidence, Finding, Severity, Snapshot, TIER_ZERO_ROLES};
use crate::roles::BuiltInRole;
use crate::tenant::{Principal, RoleApproval, RoleAssignment, same};

/// Whether anyone but the emergency identities can use one tier-zero role.
enum Reach {
    /// Someone holds it actively, or an eligible member can activate it.
    Reachable,
    /// Nobody else holds it or is eligible for it: nothing to lock.
    NoOneElse,
    /// Eligible members who cannot activate it, and why.
    Stuck {
        role: BuiltInRole,
        evidence: Vec<Evidence>,
    },
}

fn holders<'a>(
    list: &'a [RoleAssignment],
    role: BuiltInRole,
    is_emergency: &dyn Fn(&str) -> bool,
) -> Vec<&'a Principal> {
    // A group's members are listed on their own next to it, so the group itself is skipped.
    list.iter()
        .filter(|a| {
            same(&a.role_template_id, &role.template_id.to_string()) && a.directory_scope_id == "/"
        })
        .map(|a| &a.principal)
        .filter(|p| p.kind != "group" && !is_emergency(&p.id))
        .collect()
}

fn evidence(principal: &Principal, detail: String) -> Evidence {
    principal.evidence(Some(detail))
}

/// The users who could approve an activation of `approval`'s role: the named ones who may
/// sign in, or, when none is named, the administrators Entra asks by default (active Global
/// and Privileged Role Administrators other than the emergency identities).
fn usable_approvers<'a>(
    approval: &'a RoleApproval,
    default_approvers: &[&'a Principal],
) -> Vec<&'a Principal> {
    if approval.names_approvers {
        approval
            .approvers
            .iter()
            .filter(|a| a.usable)
            .map(|a| &a.principal)
            .collect()
    } else {
        default_approvers.to_vec()
    }
}

/// Whether some non-emergency principal can reach `role`: one holds it actively, activation
/// needs no approval, or an approver other than the requester can approve.
fn reach(
    snapshot: &Snapshot,
    role: BuiltInRole,
    approvals: &[RoleApproval],
    default_approvers: &[&Principal],
    is_emergency: &dyn Fn(&str) -> bool,
) -> Reach {
    let tenant = &snapshot.tenant;
    if !holders(tenant.role_assignments.items(), role, is_emergency).is_empty() {
        return Reach::Reachable;
    }
    let eligible = holders(tenant.role_eligibilities.items(), role, is_emergency);
    if eligible.is_empty() {
        return Reach::NoOneElse;
    }
    let approval = approvals
        .iter()
        .find(|a| same(&a.role_template_id, &role.template_id.to_string()));
    // Without a policy read for the role, Entra's default asks no approval.
    let Some(approval) = approval else {
        return Reach::Reachable;
    };
    if !approval.approval_required || !approval.uncounted.is_empty() {
        // Self-service activation, or approvers the audit cannot count: no lockout shown.
        return Reach::Reachable;
    }
    let usable = usable_approvers(approval, default_approvers);
    // Nobody approves their own request.
    if eligible
        .iter()
        .any(|e| usable.iter().any(|a| !same(&a.id, &e.id)))
    {
        return Reach::Reachable;
    }
    let mut evidence_list: Vec<Evidence> = approval
        .approvers
        .iter()
        .map(|approver| {
            let why = if approver.usable {
                "the only one eligible, and nobody approves their own request"
            } else {
                "deleted or disabled"
            };
            evidence(
                &approver.principal,
                format!("approver for {}: {why}", role.display_name),
            )
        })
        .collect();
    if !approval.names_approvers {
        evidence_list.push(Evidence {
            id: role.template_id.to_string(),
            name: role.display_name.to_string(),
            kind: "role".into(),
            detail: Some("no approvers named: Entra asks the active Global and Privileged Role Administrators, and none but the emergency identities is active".into()),
        });
    }
    for e in &eligible {
        evidence_list.push(evidence(
            e,
            format!(
                "{} eligible only; activation needs an approval no one else can give",
                role.display_name
            ),
        ));
    }
    Reach::Stuck {
        role,
        evidence: evidence_list,
    }
}

pub(super) fn activation_lockout(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::RoleActivationLockout;
    let tenant = &snapshot.tenant;
    for fact in [&tenant.role_assignments, &tenant.role_eligibilities] {
        if let Err(missing) = fact.get() {
            return out.push(Finding::not_checked(check, missing));
        }
    }
    let default_approvers: Vec<&Principal> = TIER_ZERO_ROLES
        .iter()
        .flat_map(|r| holders(tenant.role_assignments.items(), *r, is_emergency))
        .collect();
    if !default_approvers.is_empty() {
        return out.push(Finding::pass(
            check,
            format!(
                "{} principal(s) besides the emergency identities hold Global or Privileged Role Administrator actively",
                default_approvers.len()
            ),
        ));
    }
    let approvals = match tenant.role_approvals.get() {
        Ok(approvals) => approvals,
        Err(missing) => return out.push(Finding::not_checked(check, missing)),
    };
    let reaches: Vec<Reach> = TIER_ZERO_ROLES
        .iter()
        .map(|role| reach(snapshot, *role, approvals, &default_approvers, is_emergency))
        .collect();
    if reaches.iter().any(|r| matches!(r, Reach::Reachable)) {
        return out.push(Finding::pass(
            check,
            "an eligible Global or Privileged Role Administrator can activate the role: it needs no approval, or an approver other than the requester may give it",
        ));
    }
    let stuck: Vec<(BuiltInRole, Vec<Evidence>)> = reaches
        .into_iter()
        .filter_map(|r| match r {
            Reach::Stuck { role, evidence } => Some((role, evidence)),
            _ => None,
        })
        .collect();
    if stuck.is_empty() {
        return out.push(Finding::pass(
            check,
            "no one besides the emergency identities holds or is eligible for Global or Privileged Role Administrator, so no activation can be stuck",
        ));
    }
    out.push(locked_out(snapshot, stuck));
}

fn locked_out(snapshot: &Snapshot, stuck: Vec<(BuiltInRole, Vec<Evidence>)>) -> Finding {
    let emergency_active = snapshot.tenant.emergency_ids().iter().any(|id| {
        TIER_ZERO_ROLES
            .iter()
            .any(|r| snapshot.tenant.holds_role(id, &r.template_id.to_string()))
    });
    let (severity, consequence) = if emergency_active {
        (
            Severity::High,
            "only the emergency identities can act as an administrator: every change needs the break glass",
        )
    } else {
        (
            Severity::Critical,
            "no one can act as an administrator, the emergency identities included",
        )
    };
    let roles: Vec<&str> = stuck.iter().map(|(role, _)| role.display_name).collect();
    let mut finding = Finding::found(
        CheckId::RoleActivationLockout,
        severity,
        format!(
            "every other {} is eligible only and cannot activate without an approval no one can give: {consequence}",
            roles.join(" or ")
        ),
    )
    .hinted("assign a second administrator Global Administrator actively, or name approvers who are active and enabled in the role's PIM settings (Approval_EndUser_Assignment)");
    finding.evidence = stuck
        .into_iter()
        .flat_map(|(_, evidence)| evidence)
        .collect();
    finding
}
