//! The app management policy that binds the emergency app, as the audit weighs it.

use super::*;

#[test]
fn an_app_management_policy_that_would_refuse_the_next_rotation_is_a_finding() {
    use crate::app_policy::Restriction;
    use crate::config::{CredentialPolicy, StoreKind};
    let mut snapshot = clean();
    snapshot.declared_credentials = vec![CredentialPolicy {
        label: "rotating".into(),
        kind: CredentialKind::Secret,
        store: StoreKind::Keepass,
        shares: None,
        lifetime_days: 180,
        rotate_after_days: Some(90),
        pkcs11_module: None,
        pkcs11_token: None,
        pkcs11_key: None,
        pkcs11_algorithm: None,
    }];
    let findings = audit(&snapshot);
    assert!(findings_of(&findings, CheckId::AppManagementPolicy).is_empty());
    snapshot.tenant.app_management = Fact::Known(EffectivePolicy {
        enabled: true,
        password_credentials: vec![Restriction {
            restriction_type: "passwordAddition".into(),
            state: None,
            max_lifetime: None,
            restrict_for_apps_created_after: None,
        }],
        ..EffectivePolicy::default()
    });
    let findings = audit(&snapshot);
    let refused = only(&findings, CheckId::AppManagementPolicy);
    assert_eq!(refused.severity, Some(Severity::High));
    assert!(
        refused.summary.contains("`rotating`"),
        "{}",
        refused.summary
    );
    // An exemption breakglass.toml asks for, gone: the app follows the tenant default again.
    snapshot.exempt_from_app_management_policy = true;
    let findings = audit(&snapshot);
    assert!(
        findings_of(&findings, CheckId::AppManagementPolicy)
            .iter()
            .any(|f| f.summary.contains("not breakglass's own policy"))
    );
    snapshot.tenant.app_management = Fact::unreadable("Policy.Read.All", "403");
    let findings = audit(&snapshot);
    assert!(
        findings
            .iter()
            .any(|f| f.check == CheckId::AppManagementPolicy && f.status == Outcome::NotChecked)
    );
}
