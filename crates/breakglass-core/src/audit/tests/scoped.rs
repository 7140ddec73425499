//! Custom directory roles, administrative units and nested exclusion-group members.

use super::*;
use crate::tenant::{AdministrativeUnit, RoleDefinition};

const CUSTOM: &str = "c0000000-0000-0000-0000-00000000c001";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

fn custom_role(actions: &[&str]) -> RoleDefinition {
    RoleDefinition {
        id: CUSTOM.into(),
        display_name: "App operators".into(),
        is_built_in: false,
        allowed_actions: actions.iter().map(|a| a.to_string()).collect(),
    }
}

fn with_grants(s: &mut Snapshot, active: Vec<RoleAssignment>, eligible: Vec<RoleAssignment>) {
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.extend(active);
    }
    s.tenant.role_eligibilities = Fact::Known(eligible);
}

#[test]
fn a_custom_role_with_credential_or_method_actions_is_rated_as_its_built_in_twin() {
    let mut s = clean();
    s.tenant.role_definitions = Fact::Known(vec![custom_role(&[
        "microsoft.directory/applications/basic/update",
        "microsoft.directory/servicePrincipals/credentials/update",
    ])]);
    with_grants(
        &mut s,
        vec![grant("m1", "mallory@contoso.com", CUSTOM, "/")],
        vec![grant("e1", "eve@contoso.com", CUSTOM, &format!("/{SP}"))],
    );
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::CustomRoles);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].severity, Some(Severity::Critical));
    assert_eq!(found[0].evidence[0].id, "m1");
    let detail = found[0].evidence[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("servicePrincipals/credentials/update"),
        "{detail}"
    );
    assert_eq!(found[1].severity, Some(Severity::High));
    assert_eq!(found[1].evidence[0].id, "e1");

    // The users' methods: tenant-wide reaches them, another object's scope does not.
    s.tenant.role_definitions = Fact::Known(vec![custom_role(&[
        "microsoft.directory/users/authenticationMethods/standard/update",
    ])]);
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::CustomRoles);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].evidence[0].id, "m1");

    s.tenant.role_definitions = Fact::Known(vec![custom_role(&[
        "microsoft.directory/applications/owners/update",
    ])]);
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::CustomRoles);
    let severities: Vec<_> = found.iter().map(|f| f.severity).collect();
    assert_eq!(severities, [Some(Severity::High), Some(Severity::Medium)]);
}

#[test]
fn a_harmless_or_built_in_definition_or_an_unrelated_scope_passes() {
    let mut s = clean();
    let mut built_in = custom_role(&["microsoft.directory/applications/credentials/update"]);
    built_in.is_built_in = true;
    built_in.id = APP_ADMIN.into();
    s.tenant.role_definitions = Fact::Known(vec![
        built_in,
        RoleDefinition {
            id: "c2".into(),
            ..custom_role(&["microsoft.directory/users/basic/update"])
        },
        RoleDefinition {
            id: "c3".into(),
            ..custom_role(&["microsoft.directory/applications/credentials/update"])
        },
    ]);
    with_grants(
        &mut s,
        vec![
            grant("m1", "mallory@contoso.com", "c2", "/"),
            grant("m2", "mike@contoso.com", "c3", "/other-app"),
        ],
        vec![],
    );
    let findings = audit(&s);
    assert!(findings_of(&findings, CheckId::CustomRoles).is_empty());
    assert!(
        findings
            .iter()
            .any(|f| f.check == CheckId::CustomRoles && f.status == Outcome::Pass)
    );
}

#[test]
fn unreadable_definitions_or_units_are_not_checked() {
    let mut s = clean();
    s.tenant.role_definitions =
        Fact::unreadable("RoleManagement.Read.Directory", "roleDefinitions: 403");
    s.tenant.administrative_units =
        Fact::unreadable("AdministrativeUnit.Read.All", "administrativeUnits: 403");
    let findings = audit(&s);
    for (check, permission) in [
        (CheckId::CustomRoles, "RoleManagement.Read.Directory"),
        (CheckId::AdministrativeUnits, "AdministrativeUnit.Read.All"),
    ] {
        let f = findings.iter().find(|f| f.check == check).unwrap();
        assert_eq!(f.status, Outcome::NotChecked);
        assert!(f.hint.as_deref().unwrap().contains(permission));
    }
    assert!(fails(&findings, Severity::Critical));
}

fn unit(id: &str, restricted: bool, members: &[&str]) -> AdministrativeUnit {
    AdministrativeUnit {
        id: id.into(),
        display_name: format!("Unit {id}"),
        restricted,
        member_ids: members.iter().map(|m| m.to_string()).collect(),
    }
}

#[test]
fn a_role_scoped_to_a_unit_holding_an_emergency_user_or_the_group_is_a_finding() {
    let mut s = clean();
    s.tenant.administrative_units = Fact::Known(vec![
        unit("au1", false, &["u1"]),
        unit("au2", true, &["group"]),
        unit("au3", false, &["someone"]),
    ]);
    with_grants(
        &mut s,
        vec![
            grant(
                "h1",
                "hal@contoso.com",
                HELPDESK,
                "/administrativeUnits/au1",
            ),
            grant(
                "h3",
                "harry@contoso.com",
                HELPDESK,
                "/administrativeUnits/au3",
            ),
        ],
        vec![grant(
            "g2",
            "gina@contoso.com",
            HELPDESK,
            "/administrativeUnits/AU2",
        )],
    );
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::AdministrativeUnits);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].severity, Some(Severity::High));
    assert_eq!(found[0].evidence.len(), 1);
    assert_eq!(found[0].evidence[0].id, "h1");
    let detail = found[0].evidence[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("Helpdesk Administrator") && detail.contains("bg1@"),
        "{detail}"
    );
    assert_eq!(found[1].severity, Some(Severity::Medium));
    assert_eq!(found[1].evidence[0].id, "g2");
}

#[test]
fn a_restricted_unit_without_scoped_roles_is_a_pass_that_says_so() {
    let mut s = clean();
    s.tenant.administrative_units = Fact::Known(vec![unit("au1", true, &["u1", "u2"])]);
    let findings = audit(&s);
    assert!(findings_of(&findings, CheckId::AdministrativeUnits).is_empty());
    let pass = findings
        .iter()
        .find(|f| f.check == CheckId::AdministrativeUnits)
        .unwrap();
    assert_eq!(pass.status, Outcome::Pass);
    assert!(pass.summary.contains("restricted management"), "{pass:#?}");
    assert!(pass.summary.contains("bg1@contoso.onmicrosoft.com"));
}

#[test]
fn a_member_reaching_the_exclusion_group_through_a_nested_group_is_seen() {
    let mut s = clean();
    // Entra refuses a group as a member of a role-assignable group, so only an exclusion
    // group that is not role-assignable can have nested members.
    let group = s.tenant.group.as_mut().unwrap();
    group.is_assignable_to_role = false;
    group.nested_members = Fact::Known(vec![
        principal("u1", "bg1@contoso.onmicrosoft.com", "user"),
        principal("x1", "mallory@contoso.com", "user"),
    ]);
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::ExclusionGroup);
    assert_eq!(
        found.len(),
        2,
        "not role-assignable, and the stray member: {found:#?}"
    );
    let f = found
        .iter()
        .find(|f| f.summary.contains("direct or nested"))
        .unwrap();
    assert_eq!(f.evidence.len(), 1, "{f:#?}");
    assert_eq!(f.evidence[0].id, "x1");
    assert!(f.evidence[0].detail.as_deref().unwrap().contains("nested"));
}
