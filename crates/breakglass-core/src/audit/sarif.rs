//! The audit as SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning among them):
//! one rule per check with its help, one result per finding or check not made, each located
//! at the objects it is about and fingerprinted so that a finding that persists is the same
//! alert tomorrow. Passes are not results: a rule without results is a check that passed.

use jiff::Timestamp;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{CheckId, Finding, Outcome, Severity};

/// Where the SARIF schema lives, as SARIF files name it.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of breakglass's own fingerprint; the version changes if its recipe ever does.
pub const FINGERPRINT_KEY: &str = "breakglassFinding/v1";

/// What a SARIF run says besides the findings.
#[derive(Clone, Copy, Debug)]
pub struct SarifRun<'a> {
    pub tenant_id: &'a str,
    pub audited_at: Timestamp,
    pub tool_version: &'a str,
    /// The configuration the audit judged, as the operator named it: the file results point
    /// at, since a finding is about the emergency access it declares.
    pub config_path: &'a str,
}

/// SARIF's level for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub ranks rules by a `security-severity` between 0 and 10.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn rule_of(check: CheckId) -> Value {
    let text = check.text();
    let worst = check.worst_severity();
    json!({
        "id": check.name(),
        "name": check.name(),
        "shortDescription": {"text": text.title},
        "fullDescription": {"text": text.help},
        "help": {
            "text": text.help,
            "markdown": format!("**{}**\n\n{}", text.title, text.help),
        },
        "defaultConfiguration": {"level": level(worst)},
        "properties": {
            "tags": ["security", "entra-id", "emergency-access"],
            "security-severity": security_severity(worst),
        },
    })
}

/// A stable id for a finding: its check, outcome, tenant and the ids of the objects it is
/// about, never its wording (which may carry dates), and an ordinal among equals.
fn fingerprint(tenant_id: &str, finding: &Finding, ordinal: usize) -> String {
    let mut ids: Vec<String> = finding
        .evidence
        .iter()
        .map(|e| format!("{}:{}", e.kind, e.id.to_ascii_lowercase()))
        .collect();
    ids.sort();
    let key = format!(
        "{}|{}|{:?}|{}|{ordinal}",
        tenant_id.to_ascii_lowercase(),
        finding.check.name(),
        finding.status,
        ids.join(",")
    );
    Uuid::new_v5(&Uuid::NAMESPACE_URL, key.as_bytes()).to_string()
}

fn result_of(run: &SarifRun<'_>, finding: &Finding, rule_index: usize, ordinal: usize) -> Value {
    let (result_level, outcome) = match (finding.status, finding.severity) {
        (Outcome::NotChecked, _) => ("warning", "notChecked"),
        (_, Some(severity)) => (level(severity), "finding"),
        (_, None) => ("note", "finding"),
    };
    let mut message = finding.summary.clone();
    if let Some(hint) = &finding.hint {
        message.push_str(&format!(". What to do: {hint}"));
    }
    // One location per object: evidence may name an object once per role or permission it
    // holds, and SARIF wants the locations unique (the details stay in the properties).
    let mut logical: Vec<Value> = Vec::new();
    for e in &finding.evidence {
        let location = json!({
            "name": e.name,
            "fullyQualifiedName": format!("{}/{}/{}", run.tenant_id, e.kind, e.id),
            "kind": "resource",
        });
        if !logical.contains(&location) {
            logical.push(location);
        }
    }
    let print = fingerprint(run.tenant_id, finding, ordinal);
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": run.config_path},
            "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
        },
    });
    if !logical.is_empty() {
        location["logicalLocations"] = Value::Array(logical);
    }
    json!({
        "ruleId": finding.check.name(),
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": result_level,
        "message": {"text": message},
        "locations": [location],
        // GitHub keys alerts on `primaryLocationLineHash` alone: every result points at the
        // same line of breakglass.toml, so it carries the finding's own fingerprint there.
        "partialFingerprints": {
            FINGERPRINT_KEY: print.clone(),
            "primaryLocationLineHash": print,
        },
        "properties": {
            "outcome": outcome,
            "severity": finding.severity.map(Severity::label),
            "evidence": finding.evidence,
        },
    })
}

/// The SARIF log of one audit.
pub fn sarif(run: &SarifRun<'_>, findings: &[Finding]) -> Value {
    let rules: Vec<Value> = CheckId::ALL.iter().map(|c| rule_of(*c)).collect();
    let mut seen: Vec<String> = Vec::new();
    let results: Vec<Value> = findings
        .iter()
        .filter(|f| f.status != Outcome::Pass)
        .map(|finding| {
            let rule_index = CheckId::ALL
                .iter()
                .position(|c| *c == finding.check)
                .unwrap_or_default();
            let base = fingerprint(run.tenant_id, finding, 0);
            let ordinal = seen.iter().filter(|s| **s == base).count();
            seen.push(base);
            result_of(run, finding, rule_index, ordinal)
        })
        .collect();
    let at = run.audited_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "breakglass",
                "version": run.tool_version,
                "semanticVersion": run.tool_version,
                "informationUri": "https://learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access",
                "rules": rules,
            }},
            "automationDetails": {"id": format!("breakglass/audit/{}/", run.tenant_id)},
            "invocations": [{"executionSuccessful": true, "endTimeUtc": at}],
            "properties": {"tenantId": run.tenant_id, "auditedAt": at},
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Evidence;

    fn run() -> SarifRun<'static> {
        SarifRun {
            tenant_id: "t1",
            audited_at: "2026-12-05T08:00:00Z".parse().unwrap(),
            tool_version: "0.1.0",
            config_path: "breakglass.toml",
        }
    }

    fn owner(id: &str, summary: &str) -> Finding {
        Finding::found(CheckId::AppOwners, Severity::Critical, summary).with(Evidence {
            id: id.into(),
            name: "mallory@contoso.com".into(),
            kind: "user".into(),
            detail: None,
        })
    }

    #[test]
    fn every_check_is_a_rule_and_passes_are_no_results() {
        let findings = vec![
            Finding::pass(CheckId::EmergencyApp, "there"),
            owner("U1", "1 owner"),
        ];
        let log = sarif(&run(), &findings);
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), CheckId::ALL.len());
        assert!(
            rules
                .iter()
                .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()))
        );
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        let result = &results[0];
        assert_eq!(result["ruleId"], "app-owners");
        assert_eq!(
            rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "app-owners"
        );
        assert_eq!(result["level"], "error");
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "t1/user/U1"
        );
    }

    #[test]
    fn a_finding_keeps_its_fingerprint_whatever_its_wording_and_order() {
        let today = sarif(&run(), &[owner("U1", "1 owner"), owner("U2", "x")]);
        let tomorrow = sarif(&run(), &[owner("u2", "other words"), owner("u1", "y")]);
        let prints = |log: &Value| -> Vec<String> {
            let mut all: Vec<String> = log["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["partialFingerprints"][FINGERPRINT_KEY]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            all.sort();
            all
        };
        assert_eq!(prints(&today), prints(&tomorrow));
        let p = prints(&today);
        assert_ne!(p[0], p[1], "two owners are two alerts");

        let twice = sarif(
            &run(),
            &[
                Finding::found(CheckId::LocalStores, Severity::High, "a"),
                Finding::found(CheckId::LocalStores, Severity::High, "b"),
            ],
        );
        let p = prints(&twice);
        assert_ne!(p[0], p[1], "equal keys are told apart by their order");
    }
}
