//! `breakglass audit --format sarif` through the binary (issue 12, part 2): one rule per check,
//! a result for every finding and check not made of the JSON report, located at the objects
//! it is about, with fingerprints that stay the same while a finding persists.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::{InProcessSimulator, TenantGraph, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

fn provisioned() -> (TestEnv, InProcessSimulator) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    (env, simulator)
}

fn sarif(env: &TestEnv) -> Value {
    let output = env.run(["audit", "--format", "sarif", "--fail-on", "never"]);
    output.assert_success();
    serde_json::from_str(&output.stdout).expect("SARIF is JSON")
}

fn fingerprints(log: &Value) -> BTreeSet<String> {
    log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["partialFingerprints"]["breakglassFinding/v1"]
                .as_str()
                .expect("a fingerprint")
                .to_string()
        })
        .collect()
}

#[test]
fn sarif_holds_every_finding_of_the_json_report() {
    let (env, _simulator) = provisioned();
    let json_report = env.run(["audit", "--output", "json", "--fail-on", "never"]);
    json_report.assert_success();
    let json_report = json_report.json();
    let log = sarif(&env);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "breakglass");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: BTreeSet<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    for finding in json_report["findings"].as_array().expect("findings") {
        assert!(
            rule_ids.contains(finding["check"].as_str().unwrap()),
            "a rule for {}",
            finding["check"]
        );
    }
    for rule in rules {
        assert!(
            rule["help"]["text"].as_str().is_some_and(|t| t.len() > 20),
            "{rule}"
        );
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("a security-severity");
        assert!((0.0..=10.0).contains(&severity));
    }

    let results = run["results"].as_array().expect("results");
    let not_passed: Vec<&Value> = json_report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "pass")
        .collect();
    assert!(
        !not_passed.is_empty(),
        "the seeded tenant has takeover paths"
    );
    assert_eq!(results.len(), not_passed.len());
    for (finding, result) in not_passed.iter().zip(results) {
        assert_eq!(result["ruleId"], finding["check"]);
        let message = result["message"]["text"].as_str().unwrap();
        assert!(
            message.starts_with(finding["summary"].as_str().unwrap()),
            "{message}"
        );
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let expected_level = match finding["severity"].as_str() {
            Some("critical" | "high") => "error",
            Some("medium") => "warning",
            Some(_) => "note",
            None => "warning",
        };
        assert_eq!(result["level"], expected_level, "{result}");
        // Every object of the evidence is a logical location.
        let names: Vec<&str> = result["locations"][0]["logicalLocations"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x["name"].as_str()).collect())
            .unwrap_or_default();
        for evidence in finding["evidence"].as_array().into_iter().flatten() {
            assert!(
                names.contains(&evidence["name"].as_str().unwrap()),
                "{result}"
            );
        }
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "breakglass.toml"
        );
    }
}

#[test]
fn a_finding_that_persists_keeps_its_fingerprint_and_a_new_one_adds_one() {
    let (env, simulator) = provisioned();
    let before = fingerprints(&sarif(&env));
    assert_eq!(
        before,
        fingerprints(&sarif(&env)),
        "the same tenant, the same alerts"
    );

    // An owner added to the emergency app: one more alert, the others unchanged.
    let probe = TenantGraph::new(&simulator);
    let app = probe.emergency_app()["id"].as_str().unwrap().to_string();
    let emma = probe.list("users", "userPrincipalName eq 'emma@contoso.example'")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    probe.post(
        &format!("applications/{app}/owners/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{emma}")}),
    );
    let after = fingerprints(&sarif(&env));
    assert!(before.is_subset(&after), "{before:?} ⊄ {after:?}");
    assert_eq!(after.len(), before.len() + 1);
}

#[test]
fn the_report_goes_to_a_private_file_and_the_exit_code_still_judges() {
    let (env, _simulator) = provisioned();
    let path = env.root().join("audit.sarif");
    let output = env.run([
        "audit",
        "--format",
        "sarif",
        "--out",
        path.to_str().unwrap(),
        "--fail-on",
        "low",
    ]);
    output.assert_code(12);
    assert!(output.stdout.trim().is_empty(), "{output}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let log: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());

    let without_format = env.run(["audit", "--out", path.to_str().unwrap()]);
    without_format.assert_code(2);
}
