use std::collections::{BTreeMap, BTreeSet};

use yaml_rust2::{Yaml as Parsed, YamlLoader};

use super::*;
use crate::identities::{MonitoredCredential, MonitoredUser};

const TENANT: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const APP_ID: &str = "8a1b2c3d-0000-4000-8000-000000000001";
const APP_OBJECT: &str = "8a1b2c3d-0000-4000-8000-000000000002";
const SP: &str = "8a1b2c3d-0000-4000-8000-000000000003";
const OFFLINE_KEY: &str = "0b0b0b0b-1111-4111-8111-000000000001";
const ROTATING_KEY: &str = "0b0b0b0b-1111-4111-8111-000000000002";
const USER_1: &str = "9c9c9c9c-2222-4222-8222-000000000001";
const USER_2: &str = "9c9c9c9c-2222-4222-8222-000000000002";
const GROUP: &str = "7d7d7d7d-3333-4333-8333-000000000001";

fn sample() -> EmergencyIdentities {
    EmergencyIdentities {
        tenant_id: TENANT.into(),
        app_id: APP_ID.into(),
        application_object_id: APP_OBJECT.into(),
        service_principal_id: SP.into(),
        credentials: vec![
            MonitoredCredential {
                key_id: OFFLINE_KEY.to_uppercase(),
                label: "offline".into(),
                kind: "certificate".into(),
                thumbprint: Some("AB".repeat(20)),
                severity: Severity::Critical,
            },
            MonitoredCredential {
                key_id: ROTATING_KEY.into(),
                label: "rotating".into(),
                kind: "secret".into(),
                thumbprint: None,
                severity: Severity::High,
            },
        ],
        users: vec![
            MonitoredUser {
                id: USER_1.into(),
                user_principal_name: "breakglass-k3j9@contoso.onmicrosoft.com".into(),
            },
            MonitoredUser {
                id: USER_2.into(),
                user_principal_name: "breakglass-x7q2@contoso.onmicrosoft.com".into(),
            },
        ],
        exclusion_group_id: GROUP.into(),
        temporary_user_marker: crate::lease::MARKER_PREFIX.into(),
    }
}

const SLUGS: &[&str] = &[
    "app-sign-in-critical",
    "app-sign-in-rotating",
    "user-sign-in",
    "user-sign-in-failure",
    "app-credential-change",
    "federated-credential-change",
    "app-protection-change",
    "role-assignment-change",
    "user-authentication-change",
    "exclusion-group-change",
    "ca-exclusion-removed",
    "temporary-admin-lifecycle",
];

fn detection<'a>(all: &'a [Detection], slug: &str) -> &'a Detection {
    all.iter()
        .find(|d| d.slug == slug)
        .unwrap_or_else(|| panic!("{slug}"))
}

#[test]
fn ids_are_stable_uuid_v5_of_tenant_and_detection() {
    let id = rule_id(TENANT, "user-sign-in");
    assert_eq!(id.get_version_num(), 5);
    assert_eq!(id, rule_id(&TENANT.to_uppercase(), "user-sign-in"));
    assert_ne!(id, rule_id(TENANT, "user-sign-in-failure"));
    assert_ne!(id, rule_id("another-tenant", "user-sign-in"));
    // Pinned: a change here would make every deployed rule a new rule.
    assert_eq!(
        rule_id("00000000-0000-0000-0000-000000000000", "user-sign-in").to_string(),
        "8cee87c7-e07e-5812-9571-2475bdc44e33"
    );
}

#[test]
fn every_detection_is_present_once_in_every_format() {
    let identities = sample();
    let all = detections(&identities);
    let slugs: Vec<&str> = all.iter().map(|d| d.slug).collect();
    assert_eq!(slugs, SLUGS);
    let names: BTreeSet<&str> = all.iter().map(|d| d.name).collect();
    assert_eq!(names.len(), all.len(), "names are unique");
    let ids: BTreeSet<_> = all.iter().map(|d| d.id(TENANT)).collect();
    assert_eq!(ids.len(), all.len(), "ids are unique");

    let kql = generate(&identities, RuleFormat::Kql).expect("kql");
    let names: Vec<String> = kql.iter().map(|f| f.name.clone()).collect();
    let expected: Vec<String> = SLUGS.iter().map(|s| format!("{s}.kql")).collect();
    assert_eq!(names, expected);
    let sentinel = generate(&identities, RuleFormat::Sentinel).expect("sentinel");
    assert_eq!(sentinel.len(), SLUGS.len());
    assert!(sentinel.iter().all(|f| f.name.ends_with(".yaml")));
    let arm = generate(&identities, RuleFormat::Arm).expect("arm");
    assert_eq!(arm.len(), 1);
    assert_eq!(arm[0].name, "breakglass-alert-rules.json");
    let bicep = generate(&identities, RuleFormat::Bicep).expect("bicep");
    assert_eq!(bicep.len(), 1);
    assert_eq!(bicep[0].name, "breakglass-alert-rules.bicep");
}

#[test]
fn generating_again_changes_nothing_whatever_the_listing_order() {
    let identities = sample();
    let mut shuffled = sample();
    shuffled.credentials.reverse();
    shuffled.users.reverse();
    for format in RuleFormat::ALL {
        let first = generate(&identities, format).expect("generate");
        assert_eq!(first, generate(&identities, format).expect("again"));
        assert_eq!(first, generate(&shuffled, format).expect("shuffled"));
    }
}

#[test]
fn credential_key_ids_map_to_labels_and_unknown_keys_are_critical() {
    let all = detections(&sample());
    for slug in ["app-sign-in-critical", "app-sign-in-rotating"] {
        let query = &detection(&all, slug).query;
        assert!(
            query.contains(&format!("\"{OFFLINE_KEY}\": \"offline\"")),
            "{query}"
        );
        assert!(query.contains(&format!("\"{ROTATING_KEY}\": \"rotating\"")));
        assert!(query.contains(&format!("\"{OFFLINE_KEY}\": \"critical\"")));
        assert!(query.contains(&format!("\"{ROTATING_KEY}\": \"high\"")));
        assert!(query.contains(r#"coalesce(tostring(LabelByKeyId[KeyId]), "unknown")"#));
        assert!(query.contains(r#"coalesce(tostring(CriticalityByKeyId[KeyId]), "critical")"#));
        assert!(query.contains(APP_ID) && query.contains(SP));
        assert!(query.contains("ServicePrincipalCredentialKeyId"));
    }
    let critical = detection(&all, "app-sign-in-critical");
    assert_eq!(critical.severity, Severity::Critical);
    assert!(
        critical
            .query
            .contains(r#"where Criticality == "critical""#)
    );
    let rotating = detection(&all, "app-sign-in-rotating");
    assert_eq!(rotating.severity, Severity::High);
    assert!(
        rotating
            .query
            .contains(r#"where Criticality != "critical""#)
    );
    // The label and criticality reach the alert, since Sentinel has no Critical severity.
    assert!(critical.alert_name.contains("{{CredentialLabel}}"));
    assert!(critical.alert_name.contains("{{Criticality}}"));
    assert_eq!(sentinel_severity(critical.severity), "High");
    assert_eq!(azure_monitor_severity(critical.severity), 0);
    assert_eq!(azure_monitor_severity(rotating.severity), 1);
}

#[test]
fn credential_activities_match_the_en_dash_and_the_hyphen() {
    let all = detections(&sample());
    let query = &detection(&all, "app-credential-change").query;
    assert!(query.contains("\"Update application \u{2013} Certificates and secrets management\""));
    assert!(query.contains("\"Update application - Certificates and secrets management\""));
    assert!(query.contains("\"Add service principal credentials\""));
    assert!(query.contains("\"Remove service principal credentials\""));
    assert!(query.contains(APP_OBJECT) && query.contains(SP));
    // The EN DASH survives every format.
    for format in RuleFormat::ALL {
        let files = generate(&sample(), format).expect("generate");
        assert!(
            files.iter().any(|f| f.text.contains('\u{2013}')),
            "{format:?}"
        );
    }
}

#[test]
fn each_concern_watches_the_right_ids_and_activities() {
    let all = detections(&sample());
    let users = &detection(&all, "user-sign-in").query;
    assert!(users.contains("SigninLogs") && users.contains("AADNonInteractiveUserSignInLogs"));
    assert!(users.contains(USER_1) && users.contains("breakglass-x7q2@contoso.onmicrosoft.com"));
    assert!(
        detection(&all, "user-sign-in-failure")
            .query
            .contains(r#"ResultType != "0""#)
    );
    let protection = &detection(&all, "app-protection-change").query;
    assert!(protection.contains("ServicePrincipalLockConfiguration"));
    assert!(protection.contains("Add owner to application"));
    assert!(protection.contains("\"Remove policy from application\""));
    let roles = &detection(&all, "role-assignment-change").query;
    for id in [SP, USER_1, USER_2, GROUP] {
        assert!(roles.contains(id), "{id}");
    }
    let methods = &detection(&all, "user-authentication-change").query;
    for activity in [
        "Reset user password",
        "Change user password",
        "Update user",
        "User registered security info",
        "Admin registered security info",
        "Admin deleted security info",
        "Update StsRefreshTokenValidFrom Timestamp",
    ] {
        assert!(methods.contains(&format!("\"{activity}\"")), "{activity}");
    }
    let group = &detection(&all, "exclusion-group-change").query;
    assert!(group.contains("Add member to group") && group.contains("Remove member from group"));
    assert!(group.contains(GROUP));
    let ca = &detection(&all, "ca-exclusion-removed").query;
    assert!(ca.contains("Update conditional access policy"));
    assert!(ca.contains("OldValues contains ExcludedId and not(NewValues contains ExcludedId)"));
    for id in [GROUP, USER_1, USER_2, SP] {
        assert!(ca.contains(id), "{id}");
    }
    let temporary = &detection(&all, "temporary-admin-lifecycle").query;
    assert!(temporary.contains("\"breakglass:temporary:\"") && temporary.contains("\"bg-temp-\""));
    assert!(temporary.contains("\"Add user\"") && temporary.contains("\"Delete user\""));
}

#[test]
fn identity_values_cannot_break_out_of_the_query() {
    let mut identities = sample();
    identities.users[0].user_principal_name = "o\"brien\")\n| take 0 //@contoso.com".into();
    let all = detections(&identities);
    let query = &detection(&all, "user-sign-in").query;
    assert!(
        query.contains(r#""o\"brien\")\n| take 0 //@contoso.com""#),
        "{query}"
    );
    assert!(!query.contains("\n| take 0"));
}

/// The technique → tactics table of Sentinel's template validator, for the techniques used.
fn required_tactics(technique: &str) -> &'static [&'static str] {
    let base = technique.split('.').next().unwrap_or(technique);
    match base {
        "T1078" => &[
            "InitialAccess",
            "Persistence",
            "PrivilegeEscalation",
            "DefenseEvasion",
        ],
        "T1098" | "T1136" => &["Persistence"],
        "T1556" => &["Persistence", "DefenseEvasion", "CredentialAccess"],
        "T1484" | "T1548" => &["PrivilegeEscalation", "DefenseEvasion"],
        "T1562" => &["DefenseEvasion"],
        "T1110" => &["CredentialAccess"],
        "T1531" => &["Impact"],
        other => {
            panic!("technique {other} is not in the table; add it from sentinel-rule-format.md")
        }
    }
}

const TACTICS: &[&str] = &[
    "InitialAccess",
    "Execution",
    "Persistence",
    "PrivilegeEscalation",
    "DefenseEvasion",
    "CredentialAccess",
    "Discovery",
    "LateralMovement",
    "Collection",
    "Exfiltration",
    "CommandAndControl",
    "Impact",
    "Reconnaissance",
    "ResourceDevelopment",
    "ImpairProcessControl",
    "InhibitResponseFunction",
];

#[test]
fn techniques_come_with_all_their_tactics() {
    for d in detections(&sample()) {
        assert!(!d.techniques.is_empty(), "{}", d.slug);
        for tactic in d.tactics {
            assert!(TACTICS.contains(tactic), "{}: {tactic}", d.slug);
        }
        for technique in d.techniques {
            let ok = technique.len() >= 5
                && technique.starts_with('T')
                && technique[1..5].chars().all(|c| c.is_ascii_digit());
            assert!(ok, "{}: {technique}", d.slug);
            for tactic in required_tactics(technique) {
                assert!(
                    d.tactics.contains(tactic),
                    "{}: {technique} needs {tactic}",
                    d.slug
                );
            }
        }
    }
}

/// Parses a Sentinel duration (`5m`, `1h`, `14d`) into minutes.
fn minutes(text: &str) -> u32 {
    let (number, unit) = text.split_at(text.len() - 1);
    let n: u32 = number.parse().unwrap_or_else(|_| panic!("duration {text}"));
    match unit {
        "m" => n,
        "h" => n * 60,
        "d" => n * 24 * 60,
        _ => panic!("duration {text} must end in m, h or d (ISO 8601 is rejected)"),
    }
}

/// Allowed and required identifiers of the entity types breakglass maps.
fn entity_rules(entity: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match entity {
        "Account" => (
            &[
                "Name",
                "FullName",
                "NTDomain",
                "DnsDomain",
                "UPNSuffix",
                "Sid",
                "AadTenantId",
                "AadUserId",
                "PUID",
                "IsDomainJoined",
                "DisplayName",
                "ObjectGuid",
                "CloudAppAccountId",
            ],
            &["FullName", "Sid", "Name", "AadUserId", "PUID", "ObjectGuid"],
        ),
        "IP" => (&["Address"], &["Address"]),
        "CloudApplication" => (&["AppId", "Name", "InstanceName"], &["AppId", "Name"]),
        other => panic!("entity type {other} is not checked here"),
    }
}

fn is_word(text: &str, first: fn(char) -> bool) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(first) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The checks of Azure-Sentinel's template validator, as sentinel-rule-format.md lists them.
fn check_sentinel_template(text: &str, detection: &Detection) {
    let docs = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let rule = &docs[0];
    let s = |key: &str| -> &str {
        rule[key]
            .as_str()
            .unwrap_or_else(|| panic!("{}: `{key}` is not a string", detection.slug))
    };
    let kind = s("kind");
    assert!(kind == "Scheduled" || kind == "NRT");
    let id = uuid::Uuid::parse_str(s("id")).expect("id is a GUID");
    assert_eq!(id, detection.id(TENANT));
    let name = s("name");
    assert!(!name.is_empty() && name.chars().count() <= 256);
    let description = s("description");
    assert!(!description.is_empty() && description.chars().count() <= 5000);
    assert!(["Informational", "Low", "Medium", "High"].contains(&s("severity")));
    let query = s("query");
    assert!((1..=10_000).contains(&query.chars().count()));
    assert_eq!(query, detection.query, "the query reads back byte for byte");

    let connectors = rule["requiredDataConnectors"].as_vec().expect("connectors");
    assert!(!connectors.is_empty());
    for connector in connectors {
        assert_eq!(
            connector["connectorId"].as_str(),
            Some("AzureActiveDirectory")
        );
        let types: Vec<&str> = connector["dataTypes"]
            .as_vec()
            .expect("dataTypes")
            .iter()
            .filter_map(Parsed::as_str)
            .collect();
        assert_eq!(types, detection.tables);
    }

    let scheduled_keys = [
        "queryFrequency",
        "queryPeriod",
        "triggerOperator",
        "triggerThreshold",
    ];
    if kind == "Scheduled" {
        let frequency = minutes(s("queryFrequency"));
        let period = minutes(s("queryPeriod"));
        assert!((5..=14 * 24 * 60).contains(&frequency));
        assert!((5..=14 * 24 * 60).contains(&period));
        assert!(period >= frequency, "queryPeriod >= queryFrequency");
        if period >= 2 * 24 * 60 {
            assert!(frequency >= 60);
        }
        assert!(
            [
                "GreaterThan",
                "LessThan",
                "Equal",
                "NotEqual",
                "gt",
                "lt",
                "eq",
                "ne"
            ]
            .contains(&s("triggerOperator"))
        );
        let threshold = rule["triggerThreshold"].as_i64().expect("threshold");
        assert!((0..=10_000).contains(&threshold));
        let aggregation = rule["eventGroupingSettings"]["aggregationKind"].as_str();
        assert!(matches!(
            aggregation,
            Some("SingleAlert" | "AlertPerResult")
        ));
    } else {
        for key in scheduled_keys.iter().chain(&["eventGroupingSettings"]) {
            assert!(rule[*key].is_badvalue(), "NRT rules have no {key}");
        }
    }

    let tactics: Vec<&str> = rule["tactics"]
        .as_vec()
        .expect("tactics")
        .iter()
        .filter_map(Parsed::as_str)
        .collect();
    assert_eq!(tactics, detection.tactics);
    let techniques = rule["relevantTechniques"].as_vec().expect("techniques");
    assert_eq!(techniques.len(), detection.techniques.len());

    let mappings = rule["entityMappings"].as_vec().expect("entityMappings");
    assert!((1..=10).contains(&mappings.len()));
    for mapping in mappings {
        let entity = mapping["entityType"].as_str().expect("entityType");
        let (allowed, required) = entity_rules(entity);
        let fields = mapping["fieldMappings"].as_vec().expect("fieldMappings");
        assert!((1..=3).contains(&fields.len()));
        let identifiers: Vec<&str> = fields
            .iter()
            .map(|f| f["identifier"].as_str().expect("identifier"))
            .collect();
        assert!(
            identifiers.iter().all(|i| allowed.contains(i)),
            "{entity}: {identifiers:?}"
        );
        assert!(
            identifiers.iter().any(|i| required.contains(i)),
            "{entity}: {identifiers:?}"
        );
        for field in fields {
            let column = field["columnName"].as_str().expect("columnName");
            assert!(
                query.contains(column),
                "{}: column {column} is in the query",
                detection.slug
            );
        }
    }

    let details = rule["customDetails"].as_hash().expect("customDetails");
    assert!(details.len() <= 20);
    for (key, value) in details {
        let key = key.as_str().expect("key");
        let value = value.as_str().expect("value");
        assert!(
            key.len() <= 20 && is_word(key, |c| c.is_ascii_alphabetic()),
            "{key}"
        );
        assert!(value.len() <= 500 && is_word(value, |c| c.is_ascii_alphabetic() || c == '_'));
        assert!(
            query.contains(value),
            "custom detail column {value} is in the query"
        );
    }
    let overrides = &rule["alertDetailsOverride"];
    for key in ["alertDisplayNameFormat", "alertDescriptionFormat"] {
        let format = overrides[key].as_str().expect(key);
        // Every placeholder names a result column.
        for placeholder in format.split("{{").skip(1) {
            let column = placeholder.split("}}").next().unwrap_or_default();
            assert!(
                query.contains(column),
                "{}: {{{{{column}}}}}",
                detection.slug
            );
        }
    }

    let version = s("version");
    let parts: Vec<&str> = version.split('.').collect();
    assert!(version.len() <= 20 && parts.len() == 3);
    assert!(
        parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    );
}

#[test]
fn sentinel_templates_have_the_shape_the_validator_wants() {
    let identities = sample();
    let all = detections(&identities);
    let files = generate(&identities, RuleFormat::Sentinel).expect("sentinel");
    for (file, detection) in files.iter().zip(&all) {
        check_sentinel_template(&file.text, detection);
    }
    // Sign-ins are near real time; changes are scheduled.
    for d in &all {
        let nrt = d.tables.iter().any(|t| t.contains("SignIn"));
        assert_eq!(matches!(d.kind, RuleKind::Nrt), nrt, "{}", d.slug);
    }
}

#[test]
fn the_arm_template_holds_an_action_group_and_one_alert_per_detection() {
    let identities = sample();
    let all = detections(&identities);
    let text = &generate(&identities, RuleFormat::Arm).expect("arm")[0].text;
    let template: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let resources = template["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), all.len() + 1);
    assert_eq!(resources[0]["type"], "Microsoft.Insights/actionGroups");
    let mut names = BTreeSet::new();
    for (resource, detection) in resources[1..].iter().zip(&all) {
        assert_eq!(resource["type"], "Microsoft.Insights/scheduledQueryRules");
        assert_eq!(resource["apiVersion"], render::SCHEDULED_QUERY_RULES_API);
        assert!(names.insert(resource["name"].as_str().expect("name").to_string()));
        let properties = &resource["properties"];
        assert_eq!(
            properties["severity"],
            azure_monitor_severity(detection.severity)
        );
        assert_eq!(
            properties["criteria"]["allOf"][0]["query"],
            detection.query.as_str()
        );
        assert_eq!(properties["evaluationFrequency"], "PT5M");
        assert_eq!(properties["windowSize"], "PT5M");
        assert_eq!(
            resource["tags"]["breakglass-detection-id"],
            detection.id(TENANT).to_string()
        );
        // A string starting with `[` would be an ARM expression.
        for text in [&properties["displayName"], &properties["description"]] {
            assert!(!text.as_str().expect("text").starts_with('['));
        }
    }
    assert_eq!(resources[1]["properties"]["severity"], 0);
    for parameter in [
        "workspaceResourceId",
        "actionGroupResourceId",
        "notificationEmail",
    ] {
        assert!(template["parameters"][parameter].is_object(), "{parameter}");
    }
}

#[test]
fn the_bicep_template_holds_every_query_verbatim() {
    let identities = sample();
    let all = detections(&identities);
    let text = &generate(&identities, RuleFormat::Bicep).expect("bicep")[0].text;
    assert_eq!(
        text.matches("'Microsoft.Insights/scheduledQueryRules@2023-12-01'")
            .count(),
        all.len()
    );
    assert_eq!(text.matches("'Microsoft.Insights/actionGroups@").count(), 1);
    for detection in &all {
        assert!(!detection.query.contains("'''"));
        assert!(text.contains(&format!("query: '''\n{}\n'''", detection.query)));
        assert!(text.contains(&format!(
            "severity: {}\n",
            azure_monitor_severity(detection.severity)
        )));
    }
    assert_eq!(
        render::bicep_string("it's ${x} \\ \n"),
        r"'it\'s \${x} \\ \n'"
    );
}

#[test]
fn kql_files_say_what_they_detect() {
    let identities = sample();
    let files = generate(&identities, RuleFormat::Kql).expect("kql");
    let critical = &files[0].text;
    assert!(critical.starts_with("// breakglass: emergency app signed in with an offline"));
    assert!(critical.contains("// severity:  critical (Sentinel: High; Azure Monitor: 0)"));
    assert!(critical.contains("// tables:    AADServicePrincipalSignInLogs"));
    assert!(critical.contains(&rule_id(TENANT, "app-sign-in-critical").to_string()));
    for (file, detection) in files.iter().zip(detections(&identities)) {
        assert!(file.text.ends_with(&format!("{}\n", detection.query)));
        assert!(
            file.text
                .lines()
                .take_while(|l| l.starts_with("//"))
                .count()
                >= 8
        );
    }
}

#[test]
fn rules_need_a_tenant_and_an_app() {
    let mut identities = sample();
    identities.tenant_id.clear();
    assert_eq!(
        generate(&identities, RuleFormat::Kql),
        Err(MonitorError::NoTenant)
    );
    let mut identities = sample();
    identities.app_id.clear();
    identities.service_principal_id.clear();
    assert_eq!(
        generate(&identities, RuleFormat::Kql),
        Err(MonitorError::NoApp)
    );
    // Without users or group the rules still exist, matching nothing.
    let mut identities = sample();
    identities.users.clear();
    identities.exclusion_group_id.clear();
    let all = detections(&identities);
    assert_eq!(all.len(), SLUGS.len());
    assert!(
        detection(&all, "user-sign-in")
            .query
            .contains("dynamic([])")
    );
}

#[test]
fn severities_by_store_reach_the_rules() {
    use crate::config::StoreKind;
    let severities: BTreeMap<&str, Severity> = [
        (
            "sheet",
            crate::identities::severity_for_store(StoreKind::Sheet),
        ),
        (
            "shares",
            crate::identities::severity_for_store(StoreKind::Shares),
        ),
        (
            "keepass",
            crate::identities::severity_for_store(StoreKind::Keepass),
        ),
    ]
    .into();
    assert_eq!(severities["shares"], Severity::Critical);
    assert_eq!(severities["keepass"], Severity::High);
}

#[test]
fn durations_in_both_notations() {
    assert_eq!(render::sentinel_duration(5), "5m");
    assert_eq!(render::sentinel_duration(60), "1h");
    assert_eq!(render::sentinel_duration(1440), "1d");
    assert_eq!(render::iso_duration(5), "PT5M");
    assert_eq!(render::iso_duration(120), "PT2H");
    assert_eq!(render::iso_duration(2880), "P2D");
}

#[test]
fn every_role_activity_entra_lists_is_a_role_change_and_requests_are_not() {
    for activity in [
        "Add member to role",
        "add member to role outside of PIM (permanent)",
        "Add eligible member to role in PIM completed (timebound)",
        "Restore permanent direct role assignment",
    ] {
        assert_eq!(role_change(activity), Some(RoleChange::Added), "{activity}");
    }
    for activity in [
        "Remove permanent direct role assignment",
        " Remove member from role (PIM activation expired) ",
        "Remove eligible member from role",
        "Remove member from role completed (PIM deactivate)",
    ] {
        assert_eq!(
            role_change(activity),
            Some(RoleChange::Removed),
            "{activity}"
        );
    }
    for activity in [
        "Add member to role requested (PIM activation)",
        "Add member to role in PIM canceled (timebound)",
        "Remove member from role in PIM requested (permanent)",
        "Add member to group",
    ] {
        assert_eq!(role_change(activity), None, "{activity}");
    }
    let all = detections(&sample());
    let roles = &detection(&all, "role-assignment-change").query;
    assert!(roles.contains("\"Remove permanent direct role assignment\""));
    assert!(roles.contains("\"Add member to role outside of PIM (permanent)\""));
}
