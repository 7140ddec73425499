//! PIM for Groups: eligibility for membership of a role-holding group counts as eligibility
//! for the role, and eligibility for the exclusion group as a way past Conditional Access.

use super::*;
use crate::tenant::{GroupAccess, GroupEligibility};

const GROUP_ADMINS: &str = "g0000000-0000-0000-0000-00000000a001";

fn eligible(
    group: &str,
    group_name: &str,
    who: Principal,
    access: GroupAccess,
) -> GroupEligibility {
    GroupEligibility {
        group_id: group.into(),
        group_name: group_name.into(),
        principal: who,
        access,
    }
}

/// The clean tenant with a role-assignable group holding `role` tenant-wide (actively), and
/// `eligibilities`.
fn with_role_group(role: &str, eligibilities: Fact<Vec<GroupEligibility>>) -> Snapshot {
    let mut s = clean();
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.push(RoleAssignment {
            id: "ra-group".into(),
            principal: principal(GROUP_ADMINS, "Cloud app admins", "group"),
            role_template_id: role.into(),
            directory_scope_id: "/".into(),
        });
    }
    s.tenant.group_eligibilities = eligibilities;
    s
}

fn names(f: &Finding) -> Vec<&str> {
    f.evidence.iter().map(|e| e.name.as_str()).collect()
}

#[test]
fn an_eligible_member_of_a_role_holding_group_is_eligible_for_the_role() {
    let s = with_role_group(
        APP_ADMIN,
        Fact::Known(vec![eligible(
            GROUP_ADMINS,
            "Cloud app admins",
            principal("m1", "mallory@contoso.com", "user"),
            GroupAccess::Member,
        )]),
    );
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::CredentialAdminRoles);
    let eligible = found
        .iter()
        .find(|f| f.severity == Some(Severity::High))
        .expect("the eligible member is a PIM-eligible holder");
    assert_eq!(eligible.evidence.len(), 1, "{eligible:#?}");
    assert_eq!(eligible.evidence[0].id, "m1");
    assert!(
        eligible.evidence[0]
            .name
            .contains("eligible member of group Cloud app admins (PIM for Groups)"),
        "{eligible:#?}"
    );
    // The group itself stays an active holder.
    let active = found
        .iter()
        .find(|f| f.severity == Some(Severity::Critical))
        .unwrap();
    assert_eq!(names(active), ["Cloud app admins"]);
}

#[test]
fn an_eligible_owner_of_a_role_holding_group_or_a_member_of_another_group_is_not_a_holder() {
    let s = with_role_group(
        APP_ADMIN,
        Fact::Known(vec![
            eligible(
                GROUP_ADMINS,
                "Cloud app admins",
                principal("o1", "olga@contoso.com", "user"),
                GroupAccess::Owner,
            ),
            eligible(
                "g-other",
                "Sales",
                principal("s1", "sam@contoso.com", "user"),
                GroupAccess::Member,
            ),
        ]),
    );
    let findings = audit(&s);
    for f in findings_of(&findings, CheckId::CredentialAdminRoles) {
        assert_eq!(names(f), ["Cloud app admins"], "{f:#?}");
    }
    assert!(
        !findings
            .iter()
            .any(|f| f.status == Outcome::NotChecked && f.check == CheckId::CredentialAdminRoles)
    );
}

#[test]
fn eligible_members_of_a_group_holding_global_administrator_count_as_eligible_admins() {
    let s = with_role_group(
        GA,
        Fact::Known(vec![eligible(
            GROUP_ADMINS,
            "Tier 0",
            principal("t1", "tom@contoso.com", "user"),
            GroupAccess::Member,
        )]),
    );
    let findings = audit(&s);
    let tier_zero = findings_of(&findings, CheckId::TierZeroRoles);
    assert!(
        tier_zero.iter().any(|f| f
            .evidence
            .iter()
            .any(|e| e.id == "t1" && e.name.contains("PIM for Groups"))),
        "{tier_zero:#?}"
    );
}

#[test]
fn unreadable_pim_for_groups_is_not_checked_only_where_a_group_holds_what_the_check_weighs() {
    let missing = Fact::unreadable(
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "GET /identityGovernance/privilegedAccess/group/eligibilityScheduleInstances answered 403",
    );
    let s = with_role_group(APP_ADMIN, missing);
    let findings = audit(&s);
    let not_checked: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Outcome::NotChecked)
        .collect();
    let checks: Vec<CheckId> = not_checked.iter().map(|f| f.check).collect();
    assert_eq!(
        checks,
        [CheckId::CredentialAdminRoles, CheckId::ExclusionGroup],
        "{not_checked:#?}"
    );
    for f in &not_checked {
        assert!(f.summary.contains("PIM for Groups"), "{f:#?}");
        assert!(
            f.hint
                .as_deref()
                .unwrap()
                .contains("PrivilegedEligibilitySchedule.Read.AzureADGroup")
        );
    }
    // What could be read is still reported, and nothing it could not read passes.
    assert_eq!(
        names(only_finding(&findings, CheckId::CredentialAdminRoles)),
        ["Cloud app admins"]
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.check == CheckId::ExclusionGroup && f.status == Outcome::Pass)
    );
    assert!(
        findings
            .iter()
            .any(|f| f.check == CheckId::TierZeroRoles && f.status == Outcome::Pass)
    );
}

fn only_finding(findings: &[Finding], check: CheckId) -> &Finding {
    let found = findings_of(findings, check);
    assert_eq!(found.len(), 1, "{found:#?}");
    found[0]
}

#[test]
fn eligible_owners_and_stray_eligible_members_of_the_exclusion_group_are_high() {
    let mut s = clean();
    s.tenant.group_eligibilities = Fact::Known(vec![
        eligible(
            "group",
            "Emergency access accounts",
            principal("o1", "olga@contoso.com", "user"),
            GroupAccess::Owner,
        ),
        eligible(
            "group",
            "Emergency access accounts",
            principal("m1", "mallory@contoso.com", "user"),
            GroupAccess::Member,
        ),
        // An emergency user eligible for its own group gains nothing it lacks.
        eligible(
            "group",
            "Emergency access accounts",
            principal("u1", "bg1@contoso.onmicrosoft.com", "user"),
            GroupAccess::Member,
        ),
    ]);
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::ExclusionGroup);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|f| f.severity == Some(Severity::High)));
    assert_eq!(names(found[0]), ["olga@contoso.com"]);
    assert_eq!(
        found[0].evidence[0].detail.as_deref(),
        Some("eligible owner of group Emergency access accounts (PIM for Groups)")
    );
    assert_eq!(names(found[1]), ["mallory@contoso.com"]);
    assert!(
        found[1].evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("eligible member")
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.check == CheckId::ExclusionGroup && f.status == Outcome::Pass)
    );
}

#[test]
fn an_exclusion_group_nobody_else_is_eligible_for_passes_and_says_so() {
    let findings = audit(&clean());
    let pass = findings
        .iter()
        .find(|f| f.check == CheckId::ExclusionGroup && f.status == Outcome::Pass)
        .expect("a pass");
    assert!(
        pass.summary.contains("nobody else is eligible"),
        "{pass:#?}"
    );
}
