//! The group Conditional Access policies exclude: whoever can change its members can escape
//! every policy that excludes it.

use super::pim_groups::{self, eligible_words};
use super::{CheckId, Evidence, Fact, Finding, Severity, Snapshot};
use crate::tenant::{Group, GroupAccess, GroupEligibility, Principal, same};

pub(super) fn exclusion_group(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::ExclusionGroup;
    if snapshot.tenant.users.is_empty() {
        return;
    }
    let Some(group) = &snapshot.tenant.group else {
        out.push(
            Finding::found(
                check,
                Severity::Medium,
                "no exclusion group: each Conditional Access policy must name the emergency users one by one",
            )
            .hinted("run `breakglass apply` to create it"),
        );
        return;
    };
    let evidence = Evidence {
        id: group.id.clone(),
        name: group.display_name.clone(),
        kind: "group".into(),
        detail: None,
    };
    if !group.is_assignable_to_role {
        out.push(
            Finding::found(
                check,
                Severity::High,
                "the exclusion group is not role-assignable: User and Groups Administrators, and apps with Group.ReadWrite.All or GroupMember.ReadWrite.All, can add anyone to it, and every member escapes Conditional Access",
            )
            .with(evidence.clone())
            .hinted("recreate it role-assignable (isAssignableToRole cannot be changed later); only Privileged Role and Global Administrators can change its members then"),
        );
    }
    let owners_clean = owners_check(group, out);
    let members_clean = members_check(snapshot, group, out);
    let eligible_clean = eligibility_check(snapshot, group, out);
    if group.is_assignable_to_role && owners_clean && members_clean && eligible_clean {
        out.push(
            Finding::pass(
                check,
                format!(
                    "\"{}\" is role-assignable, has no owners, holds only emergency users, and nobody else is eligible to join or own it",
                    group.display_name
                ),
            )
            .with(evidence),
        );
    }
}

/// Owners of the group can add members, who then escape Conditional Access.
fn owners_check(group: &Group, out: &mut Vec<Finding>) -> bool {
    let check = CheckId::ExclusionGroup;
    match group.owners.get() {
        Err(missing) => {
            out.push(Finding::not_checked(check, missing));
            false
        }
        Ok(owners) if !owners.is_empty() => {
            let mut finding = Finding::found(
                check,
                Severity::High,
                format!(
                    "the exclusion group has {} owner(s), who can add members that then escape Conditional Access",
                    owners.len()
                ),
            )
            .hinted("remove the owners");
            for owner in owners {
                finding = finding.with(owner.evidence(Some("owner of the exclusion group".into())));
            }
            out.push(finding);
            false
        }
        Ok(_) => true,
    }
}

/// Only emergency users belong in the group, directly or through a nested group: Entra
/// counts both as excluded wherever the group is.
fn members_check(snapshot: &Snapshot, group: &Group, out: &mut Vec<Finding>) -> bool {
    let check = CheckId::ExclusionGroup;
    let members = match group.members.get() {
        Err(missing) => {
            out.push(Finding::not_checked(check, missing));
            return false;
        }
        Ok(members) => members,
    };
    // Read at audit depth only; a reading that did not ask leaves the direct members alone.
    let nested: &[Principal] = match &group.nested_members {
        Fact::Unreadable(missing) => {
            out.push(Finding::not_checked(check, missing));
            &[]
        }
        fact => fact.items(),
    };
    let is_emergency = |id: &str| snapshot.tenant.users.iter().any(|u| same(&u.id, id));
    let others: Vec<(&Principal, &str)> = members
        .iter()
        .map(|m| (m, "member of the exclusion group"))
        .chain(
            nested
                .iter()
                .map(|m| (m, "member of the exclusion group through a nested group")),
        )
        .filter(|(m, _)| !is_emergency(&m.id))
        .collect();
    if others.is_empty() {
        return !matches!(group.nested_members, Fact::Unreadable(_));
    }
    let mut finding = Finding::found(
        check,
        Severity::High,
        format!(
            "{} member(s) of the exclusion group, direct or nested, are not emergency users: they escape every policy that excludes the group",
            others.len()
        ),
    )
    .hinted("remove them from the group, and nest no group in it");
    for (m, how) in others {
        finding = finding.with(m.evidence(Some(how.into())));
    }
    out.push(finding);
    false
}

/// PIM for Groups: an eligible owner can activate ownership and add members; an eligible
/// member who is not an emergency user can activate membership and escape Conditional Access.
fn eligibility_check(snapshot: &Snapshot, group: &Group, out: &mut Vec<Finding>) -> bool {
    let check = CheckId::ExclusionGroup;
    let eligible = match pim_groups::of_group(&snapshot.tenant, &group.id) {
        Ok(eligible) => eligible,
        Err(missing) => {
            let mut finding = Finding::not_checked(check, &missing);
            finding.summary = format!(
                "who is eligible to join or own the exclusion group (PIM for Groups) {}",
                finding.summary
            );
            out.push(finding);
            return false;
        }
    };
    let is_emergency = |id: &str| snapshot.tenant.users.iter().any(|u| same(&u.id, id));
    let owners: Vec<&GroupEligibility> = eligible
        .iter()
        .copied()
        .filter(|e| e.access == GroupAccess::Owner)
        .collect();
    let members: Vec<&GroupEligibility> = eligible
        .iter()
        .copied()
        .filter(|e| e.access == GroupAccess::Member && !is_emergency(&e.principal.id))
        .collect();
    let found = [
        (
            owners,
            "principal(s) eligible to own the exclusion group (PIM for Groups): after activation, each can add members that then escape Conditional Access",
        ),
        (
            members,
            "principal(s) eligible for membership of the exclusion group (PIM for Groups) are not emergency users: after activation, each escapes every policy that excludes the group",
        ),
    ];
    let mut clean = true;
    for (list, what) in found {
        if list.is_empty() {
            continue;
        }
        clean = false;
        let mut finding = Finding::found(check, Severity::High, format!("{} {what}", list.len()))
            .hinted("remove these eligibilities in Privileged Identity Management (Groups), and keep the group's membership permanent and to the emergency users");
        for e in list {
            finding = finding.with(
                e.principal
                    .evidence(Some(eligible_words(e.access, &group.display_name))),
            );
        }
        out.push(finding);
    }
    clean
}
