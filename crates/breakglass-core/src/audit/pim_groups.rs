//! PIM for Groups: a principal eligible for membership of a group that holds a directory
//! role can activate that membership, and with it the role, whenever it likes; one eligible
//! for the exclusion group can escape Conditional Access (or, as an owner, let others in).

use super::{CheckId, Finding, Missing};
use crate::tenant::{
    Fact, GroupAccess, GroupEligibility, Principal, RoleAssignment, TenantView, same,
};

/// What evidence says of a principal that reaches a group through PIM for Groups.
pub(super) fn eligible_words(access: GroupAccess, group_name: &str) -> String {
    let what = match access {
        GroupAccess::Member => "member",
        GroupAccess::Owner => "owner",
    };
    format!("eligible {what} of group {group_name} (PIM for Groups)")
}

/// Every role a group holds (actively or eligibly), held eligibly by each principal eligible
/// for membership of the group: activating the membership activates the role.
pub(super) fn eligible_through_groups(tenant: &TenantView) -> Vec<RoleAssignment> {
    let eligibilities = tenant.group_eligibilities.items();
    let held_by_groups = tenant
        .role_assignments
        .items()
        .iter()
        .chain(tenant.role_eligibilities.items())
        .filter(|g| g.principal.kind == "group");
    let mut out = Vec::new();
    for grant in held_by_groups {
        for eligible in eligibilities
            .iter()
            .filter(|e| e.access == GroupAccess::Member && same(&e.group_id, &grant.principal.id))
        {
            let mut principal = eligible.principal.clone();
            principal.name = format!(
                "{} ({})",
                principal.name,
                eligible_words(GroupAccess::Member, &grant.principal.name)
            );
            out.push(RoleAssignment {
                principal,
                ..grant.clone()
            });
        }
    }
    out
}

/// The eligibilities of one group, or why they could not be read.
pub(super) fn of_group<'a>(
    tenant: &'a TenantView,
    group_id: &str,
) -> Result<Vec<&'a GroupEligibility>, Missing> {
    let all = tenant.group_eligibilities.get()?;
    Ok(all.iter().filter(|e| same(&e.group_id, group_id)).collect())
}

/// A check that found groups holding what it weighs cannot say who else may join them when
/// PIM for Groups could not be read: a not-checked result naming the groups and the
/// permission, beside the findings the check could make.
pub(super) fn unread_for(
    tenant: &TenantView,
    check: CheckId,
    groups: &[&Principal],
) -> Option<Finding> {
    let Fact::Unreadable(missing) = &tenant.group_eligibilities else {
        return None;
    };
    if groups.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut finding = Finding::not_checked(check, missing);
    finding.summary = format!(
        "who is eligible to join {} (PIM for Groups) {}",
        names.join(", "),
        finding.summary
    );
    Some(finding)
}
