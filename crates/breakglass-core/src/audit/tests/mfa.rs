//! Mandatory MFA readiness of the emergency users; the app is said to be unaffected.

use super::*;

#[test]
fn emergency_users_meet_mandatory_mfa_only_with_a_passkey_or_a_certificate() {
    let mut snapshot = clean();
    let findings = audit(&snapshot);
    let passes: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check == CheckId::MandatoryMfa)
        .collect();
    assert!(
        passes.iter().all(|f| f.status == Outcome::Pass),
        "{passes:#?}"
    );
    assert!(
        passes
            .iter()
            .any(|f| f.summary.contains("workload identity")),
        "the report says the app is not affected"
    );

    snapshot.tenant.users[0].method_types = Fact::Known(vec![
        "#microsoft.graph.passwordAuthenticationMethod".into(),
        "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod".into(),
    ]);
    snapshot.tenant.users[1].method_types =
        Fact::Known(vec!["#microsoft.graph.passwordAuthenticationMethod".into()]);
    let findings = audit(&snapshot);
    let found = findings_of(&findings, CheckId::MandatoryMfa);
    let severities: Vec<Option<Severity>> = found.iter().map(|f| f.severity).collect();
    assert_eq!(
        severities,
        [Some(Severity::High), Some(Severity::Medium)],
        "{found:#?}"
    );
    assert_eq!(found[0].evidence[0].id, snapshot.tenant.users[1].id);
}
