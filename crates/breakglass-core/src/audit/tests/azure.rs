//! Azure reach: standing elevation at `/`, and the emergency identities at the root of Azure.

use super::*;
use crate::azure_rbac::{self, AzureAssignment, AzureReach};

const MG: &str = "/providers/Microsoft.Management/managementGroups/tenant";

fn assignment(principal: &str, kind: &str, role: &str, scope: &str) -> AzureAssignment {
    AzureAssignment {
        id: format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{principal}-{role}"),
        principal_id: principal.into(),
        principal_type: kind.into(),
        role_definition_id: format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"),
        scope: scope.into(),
    }
}

fn with_azure(root: Vec<AzureAssignment>, group: Vec<AzureAssignment>) -> Snapshot {
    let mut s = clean();
    s.azure = Some(AzureReach {
        root: Fact::Known(root),
        root_management_group: Fact::Known(group),
    });
    s
}

fn of(findings: &[Finding], check: CheckId) -> Vec<&Finding> {
    findings.iter().filter(|f| f.check == check).collect()
}

#[test]
fn without_azure_the_azure_checks_are_absent() {
    let mut s = clean();
    s.azure = None;
    let findings = audit(&s);
    assert!(of(&findings, CheckId::AzureElevation).is_empty());
    assert!(of(&findings, CheckId::AzureRootRole).is_empty());
}

#[test]
fn a_clean_root_passes_and_lists_the_global_administrators_who_can_elevate() {
    let findings = audit(&clean());
    let elevation = of(&findings, CheckId::AzureElevation);
    assert_eq!(elevation.len(), 1);
    assert_eq!(elevation[0].status, Outcome::Pass);
    assert!(
        elevation[0].summary.contains("3 Global Administrator(s)"),
        "{elevation:#?}"
    );
    let detail = elevation[0].evidence[1].detail.as_deref().unwrap();
    assert!(detail.starts_with("emergency identity"), "{detail}");
    let root = of(&findings, CheckId::AzureRootRole);
    assert_eq!(root[0].status, Outcome::Pass);
    assert!(
        root[0].summary.contains("bg1@contoso.onmicrosoft.com"),
        "{root:#?}"
    );
}

#[test]
fn standing_access_administration_at_root_is_high_and_low_for_an_emergency_user() {
    let uaa = azure_rbac::USER_ACCESS_ADMINISTRATOR.id;
    let s = with_azure(
        vec![
            assignment("mallory", "User", uaa, "/"),
            assignment("u1", "User", azure_rbac::OWNER.id, "/"),
            assignment("auditor", "User", azure_rbac::READER.id, "/"),
        ],
        vec![],
    );
    let findings = audit(&s);
    let found = findings_of(&findings, CheckId::AzureElevation);
    assert_eq!(found.len(), 2, "{found:#?}");
    let high = found
        .iter()
        .find(|f| f.severity == Some(Severity::High))
        .unwrap();
    assert_eq!(high.evidence[0].id, "mallory");
    assert_eq!(
        high.evidence[0].detail.as_deref(),
        Some("User Access Administrator at / (root scope)")
    );
    let low = found
        .iter()
        .find(|f| f.severity == Some(Severity::Low))
        .unwrap();
    assert_eq!(low.evidence[0].name, "bg1@contoso.onmicrosoft.com");
}

#[test]
fn others_managing_root_access_with_no_emergency_way_there_is_a_lockout_finding() {
    let mut s = with_azure(
        vec![],
        vec![assignment("platform", "Group", azure_rbac::OWNER.id, MG)],
    );
    // The emergency users are not Global Administrators, so none can elevate.
    if let Fact::Known(list) = &mut s.tenant.role_assignments {
        list.retain(|a| a.principal.id == SP);
    }
    let findings = audit(&s);
    let found = only(&findings, CheckId::AzureRootRole);
    assert_eq!(found.severity, Some(Severity::Medium));
    assert_eq!(found.evidence[0].id, "platform");
    assert_eq!(found.evidence[0].kind, "group");

    // An emergency identity holding Owner there is the way back: a pass naming it.
    let mut s2 = s.clone();
    s2.azure.as_mut().unwrap().root_management_group = Fact::Known(vec![
        assignment("platform", "Group", azure_rbac::OWNER.id, MG),
        assignment(SP, "ServicePrincipal", azure_rbac::OWNER.id, MG),
    ]);
    let findings = audit(&s2);
    assert!(findings_of(&findings, CheckId::AzureRootRole).is_empty());
    let pass = &of(&findings, CheckId::AzureRootRole)[0];
    assert_eq!(pass.evidence[0].name, "Emergency access");
    assert_eq!(
        pass.evidence[0].detail.as_deref(),
        Some("Owner at the root management group")
    );
}

#[test]
fn an_unreadable_root_is_not_checked_naming_what_is_needed() {
    let mut s = clean();
    s.azure = Some(AzureReach {
        root: Fact::unreadable(azure_rbac::AZURE_READ, "GET / answered 403"),
        root_management_group: Fact::unreadable(
            azure_rbac::AZURE_READ,
            "GET root management group answered 403",
        ),
    });
    let findings = audit(&s);
    for check in [CheckId::AzureElevation, CheckId::AzureRootRole] {
        let results = of(&findings, check);
        assert_eq!(results.len(), 1, "{check:?}");
        assert_eq!(results[0].status, Outcome::NotChecked);
        assert!(results[0].hint.as_deref().unwrap().contains("Reader"));
    }
    assert!(fails(&findings, Severity::Critical));
}
