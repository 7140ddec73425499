//! `breakglass --tenants FILE audit` through the binary against five simulators at once: one
//! tenant that passes, one with findings, one whose operator secret is wrong, one that is
//! unreachable and one that throttles every Graph request. Each is reported in its own row and
//! section, no tenant's ids appear in another's, and the exit code says some failed.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{
    InProcessSimulator, TenantGraph, TestEnv, edited_default_tenant, give_up_reaching_permissions,
    initialised, operator_permissions,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

/// One simulated tenant with its own folder, breakglass.toml and simulator.
pub struct Simulated {
    pub name: &'static str,
    pub tenant_id: &'static str,
    pub env: TestEnv,
    simulator: Option<InProcessSimulator>,
    cloud: PathBuf,
    secret: String,
    client_id: String,
}

impl Simulated {
    pub fn new(name: &'static str, tenant_id: &'static str, edit: impl FnOnce(&mut Value)) -> Self {
        let env = TestEnv::new();
        let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
            tenant["tenantId"] = json!(tenant_id);
            edit(tenant);
        });
        let (env, simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
        let operator = simulator.operator();
        Simulated {
            name,
            tenant_id,
            cloud: simulator.cloud_profile(),
            secret: operator.client_secret.clone(),
            client_id: operator.client_id.clone(),
            env,
            simulator: Some(simulator),
        }
    }

    pub fn simulator(&self) -> &InProcessSimulator {
        self.simulator.as_ref().expect("running")
    }

    pub fn secret_variable(&self) -> String {
        format!("{}_OPERATOR_SECRET", self.name.to_uppercase())
    }

    fn entry(&self) -> String {
        self.entry_signing_in_with(&format!(
            "client_secret_env = \"{}\"",
            self.secret_variable()
        ))
    }

    /// Its `[[tenant]]` table with `sign_in` (TOML lines) as the operator's way in.
    pub fn entry_signing_in_with(&self, sign_in: &str) -> String {
        format!(
            "[[tenant]]\nname = \"{}\"\ntenant_id = \"{}\"\ncloud = \"{}\"\nconfig = \"{}\"\nclient_id = \"{}\"\n{sign_in}\n\n",
            self.name,
            self.tenant_id,
            self.cloud.display(),
            self.env.root().join("breakglass.toml").display(),
            self.client_id,
        )
    }

    /// The operator's application (client) id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// A provisioned tenant whose read-only operator leaves no critical finding.
pub fn passing() -> Simulated {
    let tenant = Simulated::new("passing", "1a2b3c4d-0000-4000-8000-00000000000a", |t| {
        for user in t["users"].as_array_mut().unwrap() {
            if user["userPrincipalName"] == "diego@contoso.example" {
                user["roles"] = json!([]);
            }
        }
        operator_permissions(t).push(json!("UserAuthenticationMethod.Read.All"));
    });
    tenant.env.run(["apply", "--yes"]).assert_success();
    let drill = tenant.env.run(["drill", "--log-wait", "0"]);
    assert!(matches!(drill.code, Some(0 | 8)), "{drill}");
    give_up_reaching_permissions(tenant.simulator());
    tenant
}

pub fn tenants_env(tenants: &[&Simulated]) -> (TestEnv, PathBuf) {
    let mut env = TestEnv::new();
    let text: String = tenants.iter().map(|t| t.entry()).collect();
    let file = env.write_file("tenants.toml", &text);
    for tenant in tenants {
        env.set_env(&tenant.secret_variable(), tenant.secret.clone());
    }
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", KEEPASS_PASSWORD);
    (env, file)
}

fn section<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no section for {name}: {report:#}"))
}

#[test]
fn each_tenant_gets_its_row_and_one_failure_stops_no_other() {
    let passing = passing();
    let findings = Simulated::new("findings", "1a2b3c4d-0000-4000-8000-00000000000b", |_| {});
    findings.env.run(["apply", "--yes"]).assert_success();
    let refused = Simulated::new("refused", "1a2b3c4d-0000-4000-8000-00000000000c", |_| {});
    let mut unreachable = Simulated::new(
        "unreachable",
        "1a2b3c4d-0000-4000-8000-00000000000d",
        |_| {},
    );
    drop(unreachable.simulator.take());
    let throttling = Simulated::new("throttling", "1a2b3c4d-0000-4000-8000-00000000000e", |_| {});
    throttling
        .simulator()
        .set_faults(vec![breakglass_sim::FaultRule {
            path_prefix: Some("/v1.0/".into()),
            status: Some(429),
            retry_after_seconds: Some(1),
            ..breakglass_sim::FaultRule::default()
        }]);

    let all = [&passing, &findings, &refused, &unreachable, &throttling];
    let (mut env, file) = tenants_env(&all);
    env.set_env(&refused.secret_variable(), "not-the-operator-secret");
    let file = file.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--tenants",
            file.as_str(),
            "audit",
            "--fail-on",
            "critical",
            "--retry-budget",
            "3",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };

    let output = run(&["--output", "json"]);
    output.assert_code(13);
    let report = output.json();
    assert_eq!(report["overall"], "some-failed");
    let names: Vec<&str> = report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "passing",
            "findings",
            "refused",
            "unreachable",
            "throttling"
        ],
        "the file's order"
    );
    assert_eq!(
        section(&report, "passing")["status"],
        "passed",
        "{report:#}"
    );
    assert_eq!(section(&report, "passing")["report"]["failed"], false);
    let failed = section(&report, "findings");
    assert_eq!(failed["status"], "failed");
    assert!(failed["report"]["counts"]["critical"].as_u64().unwrap() > 0);
    for (name, kind) in [
        ("refused", "authentication"),
        ("unreachable", "network"),
        ("throttling", "throttled"),
    ] {
        let tenant = section(&report, name);
        assert_eq!(tenant["status"], "unreadable", "{tenant:#}");
        assert_eq!(tenant["error"]["kind"], kind, "{tenant:#}");
        assert!(tenant.get("report").is_none());
    }
    assert!(
        !output.stdout.contains("not-the-operator-secret") && !output.stderr.contains("not-the"),
        "a secret is never shown"
    );

    // No tenant's ids in another's section: the tenant id and the emergency app's id.
    let app_id = |t: &Simulated| {
        TenantGraph::new(t.simulator()).emergency_app()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let own = [(&passing, app_id(&passing)), (&findings, app_id(&findings))];
    for (tenant, app) in &own {
        let text = section(&report, tenant.name).to_string();
        assert!(text.contains(tenant.tenant_id) && text.contains(app.as_str()));
        for (other, other_app) in &own {
            if other.name != tenant.name {
                assert!(
                    !text.contains(other.tenant_id) && !text.contains(other_app.as_str()),
                    "{} appears in {}'s section",
                    other.name,
                    tenant.name
                );
            }
        }
    }

    // For people: the summary first, a row per tenant, then each tenant's section.
    let human = run(&[]);
    human.assert_code(13);
    let summary = human.stdout.split("\n== ").next().unwrap();
    for expected in [
        "passed",
        "FAILED",
        "NOT READ: sign-in refused",
        "NOT READ: unreachable",
        "NOT READ: throttled out",
        "1 passed, 1 failed, 3 not read.",
    ] {
        assert!(summary.contains(expected), "{expected}:\n{summary}");
    }
    assert!(
        human
            .stdout
            .contains("== findings (1a2b3c4d-0000-4000-8000-00000000000b) ==")
    );
    assert!(
        human
            .stderr
            .contains("error: 1 of 5 tenant(s) failed and 3 could not be read")
    );

    // `--only` runs the named tenants alone.
    let only = run(&["--only", "passing", "--output", "json"]);
    only.assert_code(0);
    assert_eq!(only.json()["tenants"].as_array().unwrap().len(), 1);
    let none = run(&["--only", "refused,unreachable"]);
    none.assert_code(14);
    let unknown = run(&["--only", "passing,nosuch"]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("no tenant named `nosuch`"),
        "{unknown}"
    );
}

#[test]
fn the_tenants_file_is_checked_before_any_tenant_is_read() {
    let mut env = TestEnv::new();
    let output = env.run(["init", "--tenants", "tenants.toml"]);
    output.assert_success();
    let written = std::fs::read_to_string(env.root().join("tenants.toml")).unwrap();
    assert!(written.contains("client_secret_env"));
    // A second init leaves the file alone.
    env.run(["init", "--tenants", "tenants.toml"])
        .assert_code(3);

    let secret_inside = written.replace(
        "client_secret_env = \"CONTOSO_OPERATOR_SECRET\"",
        "client_secret = \"Pa55-word~in-the-file\"",
    );
    env.write_file("tenants.toml", &secret_inside);
    let refused = env.run(["--tenants", "tenants.toml", "audit"]);
    refused.assert_code(3);
    assert!(
        refused
            .stderr
            .contains("holds a client secret in the tenants file")
    );
    assert!(!refused.stderr.contains("Pa55-word"));

    // The starter names a variable that is not set: that tenant is not read, and says why.
    env.write_file("tenants.toml", &written);
    env.write_file("contoso/breakglass.toml", breakglass_core::config::STARTER);
    let output = env.run(["--tenants", "tenants.toml", "audit", "--output", "json"]);
    output.assert_code(14);
    let report = output.json();
    let contoso = section(&report, "contoso");
    assert_eq!(contoso["error"]["kind"], "configuration");
    assert!(
        contoso["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CONTOSO_OPERATOR_SECRET"),
        "{contoso:#}"
    );

    // Commands that do not run across tenants say so.
    env.set_env("CONTOSO_OPERATOR_SECRET", "x");
    let apply = env.run(["--tenants", "tenants.toml", "whoami"]);
    apply.assert_code(2);
    assert!(
        apply
            .stderr
            .contains("runs only these commands across tenants")
    );
}

/// Plan and drill across a provisioned tenant and one where nothing was applied yet: the
/// first is in sync and its drill record lands next to its own configuration; the second has
/// changes pending and nothing to prove.
#[test]
fn plan_and_drill_run_for_each_tenant_with_its_own_files() {
    let synced = Simulated::new("synced", "1a2b3c4d-0000-4000-8000-0000000000f1", |_| {});
    synced.env.run(["apply", "--yes"]).assert_success();
    let fresh = Simulated::new("fresh", "1a2b3c4d-0000-4000-8000-0000000000f2", |_| {});
    let (env, file) = tenants_env(&[&synced, &fresh]);
    let file = file.display().to_string();

    let plan = env.run(["--tenants", file.as_str(), "plan", "--output", "json"]);
    plan.assert_code(13);
    let report = plan.json();
    let in_sync = section(&report, "synced");
    assert_eq!(in_sync["status"], "passed", "{in_sync:#}");
    assert_eq!(in_sync["report"]["changes"], 0);
    assert_eq!(in_sync["report"]["tenantId"], synced.tenant_id);
    let pending = section(&report, "fresh");
    assert_eq!(pending["status"], "failed");
    assert!(
        pending["report"]["changes"].as_u64().unwrap() > 0,
        "{pending:#}"
    );
    // Planning changed nothing: the fresh tenant has no emergency app still.
    assert!(
        TenantGraph::new(fresh.simulator())
            .emergency_apps()
            .is_empty()
    );

    let drill = env.run([
        "--tenants",
        file.as_str(),
        "drill",
        "--log-wait",
        "0",
        "--output",
        "json",
    ]);
    assert!(matches!(drill.code, Some(13 | 14)), "{drill}");
    let report = drill.json();
    let proven = section(&report, "synced");
    assert!(
        proven["report"]["credentials"].as_array().unwrap().len() >= 2,
        "{proven:#}"
    );
    assert_eq!(proven["report"]["tenantId"], synced.tenant_id);
    let record = PathBuf::from(proven["report"]["recordFiles"]["json"].as_str().unwrap());
    assert!(
        record.starts_with(synced.env.root().join("drills")),
        "{}",
        record.display()
    );
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(kept["tenantId"], synced.tenant_id);
    let nothing = section(&report, "fresh");
    assert_ne!(nothing["status"], "passed", "{nothing:#}");
    assert!(
        !fresh
            .env
            .root()
            .join("drills")
            .join(record.file_name().unwrap())
            .exists()
    );

    // Paper belongs to one tenant.
    let sheets = env.run(["--tenants", file.as_str(), "drill", "--sheet", "x.txt"]);
    sheets.assert_code(2);

    // What monitoring matches on, and the credentials, per tenant.
    let identities = env.run([
        "--tenants",
        file.as_str(),
        "monitor",
        "identities",
        "--output",
        "json",
    ]);
    identities.assert_code(13);
    let report = identities.json();
    let app = TenantGraph::new(synced.simulator()).emergency_app();
    let found = section(&report, "synced");
    assert_eq!(found["status"], "passed");
    assert_eq!(found["report"]["appId"], app["appId"], "{found:#}");
    let missing = section(&report, "fresh");
    assert_ne!(missing["status"], "passed");
    assert_eq!(
        missing["error"]["message"], "the tenant has no emergency app yet",
        "{missing:#}"
    );
    let credentials = env.run([
        "--tenants",
        file.as_str(),
        "credential",
        "list",
        "--only",
        "synced",
    ]);
    credentials.assert_success();
    assert!(
        credentials.stdout.contains("Credentials of 1 tenant(s):"),
        "{credentials}"
    );
    assert!(credentials.stdout.contains("== synced ("), "{credentials}");
}

/// `apply` across tenants asks per tenant, so without a terminal and without `--yes` it
/// changes nothing anywhere; with `--yes` every tenant is provisioned, and a second run finds
/// nothing to do.
#[test]
fn apply_across_tenants_asks_or_needs_yes_and_converges() {
    let north = Simulated::new("north", "1a2b3c4d-0000-4000-8000-0000000000a1", |_| {});
    let south = Simulated::new("south", "1a2b3c4d-0000-4000-8000-0000000000a2", |_| {});
    let (env, file) = tenants_env(&[&north, &south]);
    let file = file.display().to_string();

    let unasked = env.run(["--tenants", file.as_str(), "apply", "--output", "json"]);
    unasked.assert_code(14);
    for tenant in [&north, &south] {
        let row = section(&unasked.json(), tenant.name).clone();
        assert!(
            row["error"]["message"]
                .as_str()
                .unwrap()
                .contains("needs an answer"),
            "{row:#}"
        );
        assert!(
            TenantGraph::new(tenant.simulator())
                .emergency_apps()
                .is_empty()
        );
    }

    let applied = env.run([
        "--tenants",
        file.as_str(),
        "apply",
        "--yes",
        "--output",
        "json",
    ]);
    applied.assert_success();
    let report = applied.json();
    assert_eq!(report["overall"], "all-passed");
    for tenant in [&north, &south] {
        let done = section(&report, tenant.name);
        assert_eq!(done["report"]["tenantId"], tenant.tenant_id);
        assert!(
            done["report"]["applied"].as_array().unwrap().len() > 3,
            "{done:#}"
        );
        assert_eq!(
            TenantGraph::new(tenant.simulator()).emergency_apps().len(),
            1
        );
        // Each tenant's stores are next to its own configuration.
        assert!(tenant.env.root().join("breakglass.kdbx").exists());
    }
    let again = env.run([
        "--tenants",
        file.as_str(),
        "apply",
        "--yes",
        "--output",
        "json",
    ]);
    again.assert_success();
    for tenant in [&north, &south] {
        assert_eq!(
            section(&again.json(), tenant.name)["report"]["applied"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
    }
}

/// The most tenants worked on at one moment: the largest number of simulators whose busy
/// windows (first request in, last answer out) overlap.
fn most_at_once(tenants: &[&Simulated]) -> usize {
    let mut edges: Vec<(std::time::Instant, i32)> = Vec::new();
    for tenant in tenants {
        let (first, last) = tenant
            .simulator()
            .busy_window()
            .unwrap_or_else(|| panic!("{} was never asked anything", tenant.name));
        edges.push((first, 1));
        edges.push((last, -1));
    }
    // An answer leaving at the very moment another tenant's first request arrives is not an
    // overlap: ends sort before starts.
    edges.sort();
    let (mut now, mut most) = (0, 0);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    usize::try_from(most).unwrap()
}

/// `--concurrency N` bounds how many tenants are worked on at once, and the run does use
/// that many: each tenant is its own simulator answering every request 40 ms late, and
/// their busy windows are compared afterwards.
#[test]
fn no_more_tenants_than_the_concurrency_bound_are_worked_on_at_once() {
    let ids = [
        ("east", "1a2b3c4d-0000-4000-8000-0000000000c1"),
        ("west", "1a2b3c4d-0000-4000-8000-0000000000c2"),
        ("isles", "1a2b3c4d-0000-4000-8000-0000000000c3"),
        ("hills", "1a2b3c4d-0000-4000-8000-0000000000c4"),
        ("coast", "1a2b3c4d-0000-4000-8000-0000000000c5"),
    ];
    let tenants: Vec<Simulated> = ids
        .iter()
        .map(|&(name, id)| Simulated::new(name, id, |_| {}))
        .collect();
    let all: Vec<&Simulated> = tenants.iter().collect();
    for tenant in &all {
        tenant
            .simulator()
            .set_faults(vec![breakglass_sim::FaultRule {
                latency_ms: Some(40),
                ..Default::default()
            }]);
    }
    let (env, file) = tenants_env(&all);
    let file = file.display().to_string();
    for (bound, expected) in [("2", 2), ("1", 1), ("8", 5)] {
        for tenant in &all {
            tenant.simulator().reset_busy_window();
        }
        let plan = env.run([
            "--tenants",
            file.as_str(),
            "--concurrency",
            bound,
            "plan",
            "--output",
            "json",
        ]);
        // Nothing is provisioned: every tenant has changes pending, and every one was read.
        plan.assert_code(13);
        assert_eq!(plan.json()["tenants"].as_array().unwrap().len(), 5);
        assert_eq!(
            most_at_once(&all),
            expected,
            "--concurrency {bound}: tenants worked on at once"
        );
    }
}

/// Plans and drills run one tenant per job are merged as audits are: a row per tenant judged
/// as the run across tenants judges it, the command's own columns, and reports of two
/// commands refused rather than put in one table.
#[test]
fn report_merge_joins_plans_or_drills_made_in_separate_jobs() {
    let synced = Simulated::new("synced", "1a2b3c4d-0000-4000-8000-0000000000d1", |_| {});
    synced.env.run(["apply", "--yes"]).assert_success();
    let fresh = Simulated::new("fresh", "1a2b3c4d-0000-4000-8000-0000000000d2", |_| {});
    let (env, file) = tenants_env(&[&synced, &fresh]);
    let file = file.display().to_string();
    let mut drill_codes = Vec::new();
    for tenant in [&synced, &fresh] {
        let plan = tenant.env.run(["plan", "--output", "json"]);
        env.write_file(&format!("plans/{}.json", tenant.name), &plan.stdout);
        let drill = tenant
            .env
            .run(["drill", "--log-wait", "0", "--output", "json"]);
        env.write_file(&format!("drills/{}.json", tenant.name), &drill.stdout);
        drill_codes.push(drill.code);
    }

    let plans = env.run([
        "report",
        "merge",
        "plans/synced.json",
        "plans/fresh.json",
        "--output",
        "json",
    ]);
    plans.assert_code(13);
    let report = plans.json();
    assert_eq!(section(&report, "synced")["status"], "passed", "{report:#}");
    let pending = section(&report, "fresh");
    assert_eq!(pending["status"], "failed", "{pending:#}");
    assert_eq!(pending["tenantId"], fresh.tenant_id);
    let table = env.run(["report", "merge", "plans/synced.json", "plans/fresh.json"]);
    assert!(
        table.stdout.contains("Plan of 2 tenant(s), merged"),
        "{table}"
    );
    assert!(table.stdout.contains("FIRST CHANGE"), "{table}");
    // The same summary as a page, each tenant's name linking to its pending changes.
    let page = env.run([
        "report",
        "merge",
        "plans/synced.json",
        "plans/fresh.json",
        "--format",
        "html",
        "--out",
        "merged.html",
    ]);
    page.assert_code(13);
    let html = std::fs::read_to_string(env.root().join("merged.html")).expect("merged.html");
    for name in ["synced", "fresh"] {
        let anchor = format!("href=\"#tenant-{name}\"");
        assert!(html.contains(&anchor), "{anchor} in {html}");
        assert!(html.contains(&format!("id=\"tenant-{name}\"")), "{html}");
    }
    assert!(html.contains("FIRST CHANGE"), "{html}");
    assert!(html.contains(fresh.tenant_id), "{html}");

    let drills = env.run([
        "report",
        "merge",
        "drills/synced.json",
        "drills/fresh.json",
        "--output",
        "json",
    ]);
    let report = drills.json();
    let proven = section(&report, "synced");
    assert_eq!(proven["tenantId"], synced.tenant_id, "{proven:#}");
    // Merged, a drill is judged as its own exit code judged it.
    let expected = if drill_codes[0] == Some(0) {
        "passed"
    } else {
        "failed"
    };
    assert_eq!(proven["status"], expected, "{proven:#}");
    assert_ne!(section(&report, "fresh")["status"], "passed");

    // A report filed under another tenant's name does not pass for that tenant.
    std::fs::create_dir_all(env.root().join("misfiled")).unwrap();
    std::fs::copy(
        env.root().join("plans/synced.json"),
        env.root().join("misfiled/fresh.json"),
    )
    .unwrap();
    let misfiled = env.run([
        "--tenants",
        file.as_str(),
        "report",
        "merge",
        "plans/synced.json",
        "misfiled/fresh.json",
        "--output",
        "json",
    ]);
    misfiled.assert_code(13);
    let report = misfiled.json();
    let wrong = section(&report, "fresh");
    assert_eq!(wrong["status"], "unreadable", "{wrong:#}");
    assert!(
        wrong["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("is of tenant {}", synced.tenant_id)),
        "{wrong:#}"
    );

    // An audit judged with --fail-on never passes whatever it found: the merge says so.
    let lenient = synced
        .env
        .run(["audit", "--fail-on", "never", "--output", "json"]);
    env.write_file("audits/synced.json", &lenient.stdout);
    let merged = env.run(["report", "merge", "audits/synced.json"]);
    assert!(
        merged
            .stderr
            .contains("`synced`'s audit was judged with --fail-on never"),
        "{merged}"
    );

    std::fs::create_dir_all(env.root().join("mixed")).unwrap();
    std::fs::copy(
        env.root().join("drills/synced.json"),
        env.root().join("mixed/other.json"),
    )
    .unwrap();
    let mixed = env.run(["report", "merge", "plans/synced.json", "mixed/other.json"]);
    mixed.assert_code(2);
    assert!(
        mixed.error_lines()[0].contains("the reports are of different commands"),
        "{mixed}"
    );
}
