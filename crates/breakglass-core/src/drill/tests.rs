use super::*;
use crate::roles::GLOBAL_ADMINISTRATOR;
use crate::tenant::Policy;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn expiry_thresholds() {
    let now = at("2025-01-01T00:00:00Z");
    let days = |n: i64| Some(now + SignedDuration::from_hours(24 * n));
    assert_eq!(expiry(days(100), now, 7, 30).status, Status::Pass);
    assert_eq!(expiry(days(29), now, 7, 30).status, Status::Warning);
    assert_eq!(expiry(days(6), now, 7, 30).status, Status::Failure);
    assert_eq!(expiry(days(-1), now, 7, 30).status, Status::Failure);
    assert!(expiry(days(-1), now, 7, 30).detail.contains("expired"));
    assert_eq!(expiry(days(20), now, 21, 30).status, Status::Failure);
    assert_eq!(expiry(None, now, 7, 30).status, Status::Warning);
}

#[test]
fn role_from_wids_or_assignments() {
    let ga = Authority::Role(GLOBAL_ADMINISTRATOR);
    let wids = vec!["62e90394-69f5-4237-9190-012177145e10".to_string()];
    assert_eq!(
        authority_in_token(&ga, &wids, &[], None).status,
        Status::Pass
    );
    assert_eq!(
        authority_in_token(&ga, &[], &[], Some(true)).status,
        Status::Pass
    );
    assert_eq!(
        authority_in_token(&ga, &[], &[], Some(false)).status,
        Status::Failure
    );
    let graph = Authority::GraphPermissions(vec![
        "Directory.ReadWrite.All".into(),
        "RoleManagement.ReadWrite.Directory".into(),
    ]);
    let roles = vec!["Directory.ReadWrite.All".to_string()];
    let check = authority_in_token(&graph, &[], &roles, None);
    assert_eq!(check.status, Status::Failure);
    assert!(check.detail.contains("RoleManagement.ReadWrite.Directory"));
}

#[test]
fn phishing_resistant_methods() {
    let weak = vec![
        "#microsoft.graph.passwordAuthenticationMethod".to_string(),
        "#microsoft.graph.temporaryAccessPassAuthenticationMethod".to_string(),
    ];
    let check = phishing_resistant(&weak);
    assert_eq!(check.status, Status::Warning);
    assert!(
        check.detail.contains("password, temporaryAccessPass"),
        "{check:?}"
    );
    let mut strong = weak.clone();
    strong.push("#microsoft.graph.fido2AuthenticationMethod".into());
    assert_eq!(phishing_resistant(&strong).status, Status::Pass);
}

fn policy(name: &str) -> Policy {
    Policy {
        id: name.into(),
        display_name: name.into(),
        state: "enabled".into(),
        grant_controls: vec!["mfa".into()],
        ..Policy::default()
    }
}

#[test]
fn conditional_access_exclusions() {
    let ga = GLOBAL_ADMINISTRATOR.template_id.to_string();
    let subject = CaSubject {
        user_id: "u1".into(),
        group_ids: vec!["g-excl".into()],
        role_ids: vec![ga.clone()],
    };
    let mfa_admins = Policy {
        include_roles: vec![ga.clone()],
        ..policy("Require MFA for administrators")
    };
    let finding = ca_finding(&mfa_admins, &subject).expect("applies, not excluded");
    assert_eq!(finding.status, Status::Warning);
    let excluded = Policy {
        exclude_groups: vec!["g-excl".into()],
        ..mfa_admins.clone()
    };
    assert_eq!(ca_finding(&excluded, &subject), None);
    let excluded_user = Policy {
        exclude_users: vec!["U1".into()],
        ..mfa_admins.clone()
    };
    assert_eq!(ca_finding(&excluded_user, &subject), None);
    let report_only = Policy {
        state: "enabledForReportingButNotEnforced".into(),
        ..mfa_admins.clone()
    };
    assert_eq!(ca_finding(&report_only, &subject), None);
    let other_group = Policy {
        include_groups: vec!["g-other".into()],
        ..policy("Sales")
    };
    assert_eq!(ca_finding(&other_group, &subject), None);
    let block_all = Policy {
        include_users: vec!["All".into()],
        grant_controls: vec!["block".into()],
        ..policy("Block everyone")
    };
    assert_eq!(
        ca_finding(&block_all, &subject).map(|f| f.status),
        Some(Status::Failure)
    );
    let block_legacy = Policy {
        client_app_types: vec!["exchangeActiveSync".into(), "other".into()],
        ..block_all.clone()
    };
    assert_eq!(
        ca_finding(&block_legacy, &subject).map(|f| f.status),
        Some(Status::Warning)
    );
    let (check, findings) = conditional_access(&[mfa_admins, excluded, block_legacy], &subject);
    assert_eq!(check.status, Status::Warning);
    assert_eq!(findings.len(), 2);
    assert!(check.detail.contains("Require MFA for administrators"));
    let (clean, none) = conditional_access(&[], &subject);
    assert_eq!((clean.status, none.len()), (Status::Pass, 0));
}

#[test]
fn last_sign_in_age() {
    let now = at("2025-06-01T00:00:00Z");
    assert_eq!(last_sign_in(None, now, "x").status, Status::Warning);
    assert_eq!(
        last_sign_in(Some(at("2025-05-01T00:00:00Z")), now, "x").status,
        Status::Pass
    );
    assert_eq!(
        last_sign_in(Some(at("2025-01-01T00:00:00Z")), now, "x").status,
        Status::Warning
    );
}

#[test]
fn verdicts() {
    use Status::*;
    assert_eq!(verdict([Pass, Skipped], false), Verdict::Passed);
    assert_eq!(verdict([Pass, Warning], false), Verdict::PassedWithWarnings);
    assert_eq!(verdict([Pass, Warning], true), Verdict::Failed);
    assert_eq!(verdict([Failure, Pass], false), Verdict::Failed);
    assert_eq!(verdict([], false), Verdict::Passed);
}

fn record(started: &str, proven: &[(&str, &str)], unproven: &[&str]) -> DrillRecord {
    let credential = |label: &str, key: Option<&str>, proven: bool| CredentialResult {
        label: label.into(),
        key_id: key.map(str::to_string),
        kind: "secret".into(),
        store: "keepass".into(),
        token_serial: None,
        proven,
        checks: Vec::new(),
    };
    DrillRecord {
        version: RECORD_VERSION,
        kind: UseKind::Drill,
        note: None,
        started: at(started),
        finished: at(started),
        tenant_time: None,
        tenant_id: "t".into(),
        tenant_name: None,
        cloud: "public".into(),
        operator: Operator::default(),
        app: None,
        credentials: proven
            .iter()
            .map(|(l, k)| credential(l, Some(k), true))
            .chain(unproven.iter().map(|l| credential(l, None, false)))
            .collect(),
        users: vec![UserResult {
            id: "u1".into(),
            user_principal_name: "bg@x".into(),
            proven: true,
            checks: Vec::new(),
            conditional_access_findings: Vec::new(),
        }],
        strict: false,
        verdict: Verdict::Passed,
        failures: 0,
        warnings: 0,
        next_due: None,
    }
}

#[test]
fn history_takes_the_last_proof_of_each_label() {
    let records = vec![
        record("2025-03-01T00:00:00Z", &[("rotating", "k2")], &["offline"]),
        record(
            "2025-01-01T00:00:00Z",
            &[("rotating", "k1"), ("offline", "k0")],
            &[],
        ),
    ];
    let now = at("2025-04-15T00:00:00Z");
    let h = history(&records, None, now);
    assert_eq!(h.drills, 2);
    assert_eq!(h.last_drill, Some(at("2025-03-01T00:00:00Z")));
    let offline = h.credentials.iter().find(|s| s.name == "offline").unwrap();
    assert_eq!(offline.last_proven, Some(at("2025-01-01T00:00:00Z")));
    assert_eq!(offline.id.as_deref(), Some("k0"));
    assert!(offline.overdue, "{offline:?}");
    let rotating = h.credentials.iter().find(|s| s.name == "rotating").unwrap();
    assert_eq!(rotating.id.as_deref(), Some("k2"));
    assert_eq!(rotating.next_due, Some(at("2025-05-30T00:00:00Z")));
    assert!(!rotating.overdue);
    assert!(h.overdue);
    assert_eq!(h.next_due, Some(at("2025-04-01T00:00:00Z")));

    // A declared label never proven is overdue at once.
    let declared = vec!["rotating".to_string(), "new".to_string()];
    let h = history(&records, Some(&declared), at("2025-03-02T00:00:00Z"));
    assert!(h.overdue);
    assert_eq!(h.next_due, None);
    assert_eq!(h.credentials[1].last_proven, None);

    let empty = history(&[], None, now);
    assert_eq!((empty.drills, empty.overdue), (0, false));
}

#[test]
fn next_due_is_ninety_days_later() {
    assert_eq!(
        next_due(at("2025-01-01T12:00:00Z")),
        at("2025-04-01T12:00:00Z")
    );
    assert_eq!(
        record_stem(at("2025-01-31T13:45:07.5Z")),
        "drill-20250131T134507Z"
    );
}

#[test]
fn a_drill_page_escapes_what_the_tenant_wrote_and_names_every_credential() {
    let mut r = record("2025-03-01T00:00:00Z", &[("rotating", "k2")], &["offline"]);
    r.kind = UseKind::Emergency;
    r.note = Some("<b>INC</b>".into());
    r.users[0].user_principal_name = "bg<script>@x".into();
    let page = html::html(&r);
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("Emergency use of the emergency access"));
    assert!(page.contains("&lt;b&gt;INC&lt;/b&gt;"));
    assert!(!page.contains("<script"));
    assert!(page.contains("rotating") && page.contains("offline"));
}
