//! The scheduler examples of docs/examples, run here as the scheduler would run them: each
//! step's script in bash, with the scheduler's expressions filled in, against simulated
//! tenants. One tenant's job is left out, as a job that died before its report; the summary
//! must name it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::common::{TestEnv, breakglass_bin};
use crate::test_tenants::{Simulated, passing, tenants_env};

fn example(name: &str) -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("the example");
    YamlLoader::load_from_str(&text)
        .expect("the example is YAML")
        .remove(0)
}

/// A step of `steps` by its `displayName` or `name`.
fn step<'a>(steps: &'a Yaml, name: &str) -> &'a Yaml {
    steps
        .as_vec()
        .expect("steps")
        .iter()
        .find(|s| s["name"].as_str() == Some(name) || s["displayName"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step `{name}`"))
}

/// Fills in `${{ … }}` (and Azure Pipelines' `$(…)` macros) with `values`; an expression it
/// does not know fails the test, so the example cannot drift from what is tested.
fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = text.to_string();
    for (expression, value) in values {
        out = out.replace(expression, value);
    }
    assert!(
        !out.contains("${{"),
        "an expression is not filled in: {out}"
    );
    out
}

/// Runs a step's script as the scheduler's bash would, in `dir`, with `env`.
fn run_script(dir: &Path, script: &str, env: &BTreeMap<String, String>) -> std::process::Output {
    let bin_dir = breakglass_bin().parent().unwrap();
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("HOME", dir.join("home"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .envs(env)
        .output()
        .expect("run bash")
}

fn env_of(step: &Yaml, values: &BTreeMap<&str, String>) -> BTreeMap<String, String> {
    step["env"]
        .as_hash()
        .map(|env| {
            env.iter()
                .map(|(k, v)| {
                    (
                        fill(k.as_str().unwrap(), values),
                        fill(v.as_str().unwrap(), values),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

struct Tenants {
    simulated: Vec<Simulated>,
    env: TestEnv,
    secrets: BTreeMap<String, String>,
}

/// Two tenants with reports to come (one passing, one with findings), and one whose job never
/// reports.
fn three_tenants() -> Tenants {
    let pass = passing();
    let findings = Simulated::new("findings", "1a2b3c4d-0000-4000-8000-0000000000c2", |_| {});
    findings.env.run(["apply", "--yes"]).assert_success();
    let lost = Simulated::new("lost", "1a2b3c4d-0000-4000-8000-0000000000c3", |_| {});
    let (env, _) = tenants_env(&[&pass, &findings, &lost]);
    let secrets = env
        .vars()
        .iter()
        .filter(|(k, _)| k.ends_with("_OPERATOR_SECRET"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    std::fs::create_dir_all(env.root().join("home")).unwrap();
    Tenants {
        simulated: vec![pass, findings, lost],
        env,
        secrets,
    }
}

fn assert_summary(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(13),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The example audits at the default `--fail-on high`: both reports hold a high finding.
    assert!(
        stdout.contains("0 passed, 2 failed, 1 not read."),
        "{stdout}"
    );
    assert!(
        stdout.contains("== passing (") && stdout.contains("== findings ("),
        "{stdout}"
    );
    assert!(stdout.contains("NOT READ: no report"), "{stdout}");
    assert!(
        stdout.contains("== lost (1a2b3c4d-0000-4000-8000-0000000000c3) =="),
        "{stdout}"
    );
}

#[test]
fn the_github_actions_example_audits_each_tenant_in_its_job_and_merges_them() {
    let workflow = example("github-actions-tenants.yml");
    let tenants = three_tenants();
    let dir = tenants.env.root().to_path_buf();
    let base_env: BTreeMap<String, String> = BTreeMap::new();

    // The matrix job: the tenants file as a matrix, through $GITHUB_OUTPUT.
    let list = step(&workflow["jobs"]["tenants"]["steps"], "List the tenants");
    let output_file = dir.join("github-output");
    let mut env = base_env.clone();
    env.insert("GITHUB_OUTPUT".into(), output_file.display().to_string());
    let ran = run_script(&dir, list["run"].as_str().unwrap(), &env);
    assert!(ran.status.success(), "{ran:?}");
    let outputs = std::fs::read_to_string(&output_file).unwrap();
    let json = outputs
        .strip_prefix("matrix<<END_OF_MATRIX\n")
        .and_then(|rest| rest.strip_suffix("END_OF_MATRIX\n"))
        .unwrap_or_else(|| panic!("{outputs}"));
    let matrix: Vec<Value> = serde_json::from_str(json).unwrap();
    assert_eq!(matrix.len(), 3);

    // One audit job per tenant but the lost one.
    let audit = step(&workflow["jobs"]["audit"]["steps"], "Audit the tenant");
    for tenant in matrix.iter().filter(|t| t["name"] != "lost") {
        let secret_env = tenant["secretEnv"].as_str().unwrap().to_string();
        let values = BTreeMap::from([
            (
                "${{ matrix.tenant.name }}",
                tenant["name"].as_str().unwrap().to_string(),
            ),
            ("${{ matrix.tenant.secretEnv }}", secret_env.clone()),
            (
                "${{ secrets[matrix.tenant.secretEnv] }}",
                tenants.secrets[&secret_env].clone(),
            ),
        ]);
        let ran = run_script(
            &dir,
            audit["run"].as_str().unwrap(),
            &env_of(audit, &values),
        );
        assert!(ran.status.success(), "{ran:?}");
    }

    // The summary job, after the artifacts are downloaded into reports/.
    let merge = step(
        &workflow["jobs"]["summary"]["steps"],
        "One summary of every tenant",
    );
    let ran = run_script(&dir, merge["run"].as_str().unwrap(), &base_env);
    assert_summary(&ran);
    drop(tenants.simulated);
}

#[test]
fn the_azure_pipelines_example_audits_each_tenant_in_its_job_and_merges_them() {
    let pipeline = example("azure-pipelines-tenants.yml");
    let tenants = three_tenants();
    let dir = tenants.env.root().to_path_buf();
    let jobs = pipeline["jobs"].as_vec().unwrap();
    // The per-tenant job, as `${{ each tenant in parameters.tenants }}` expands it.
    let each = jobs[0]
        .as_hash()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_vec()
        .unwrap()[0]
        .clone();
    let audit = step(&each["steps"], "Audit the tenant");
    for simulated in tenants.simulated.iter().filter(|t| t.name != "lost") {
        let secret_env = simulated.secret_variable();
        let values = BTreeMap::from([
            ("${{ tenant.name }}", simulated.name.to_string()),
            ("${{ tenant.secretEnv }}", secret_env.clone()),
        ]);
        let mut env = env_of(audit, &values);
        // `$(NAME)` is the secret variable's value, which Azure Pipelines puts in.
        let macro_value = format!("$({secret_env})");
        for value in env.values_mut() {
            if *value == macro_value {
                *value = tenants.secrets[&secret_env].clone();
            }
        }
        let ran = run_script(&dir, audit["script"].as_str().unwrap(), &env);
        assert!(ran.status.success(), "{ran:?}");
    }
    let summary = jobs
        .iter()
        .find(|j| j["job"].as_str() == Some("summary"))
        .unwrap();
    let merge = step(&summary["steps"], "One summary of every tenant");
    let workspace: PathBuf = dir.join("pipeline-workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let script = merge["script"]
        .as_str()
        .unwrap()
        .replace("$(Pipeline.Workspace)", &workspace.display().to_string());
    let ran = run_script(&dir, &script, &BTreeMap::new());
    assert_summary(&ran);
}

/// Whatever a dead job leaves behind (nothing, an empty file, half a JSON document) is a
/// tenant without a report, and the same tenant given twice is refused.
#[test]
fn merge_names_every_tenant_whose_job_left_no_usable_report() {
    let env = TestEnv::new();
    env.write_file("reports/contoso.json", "");
    env.write_file("reports/fabrikam.json", "{\"tenantId\": \"0f1e2d3c");
    env.write_file("reports/tailspin.json", "{\"hello\": \"world\"}");
    let merged = env.run([
        "report",
        "merge",
        "reports/contoso.json",
        "reports/fabrikam.json",
        "reports/tailspin.json",
        "reports/northwind.json",
        "--output",
        "json",
    ]);
    merged.assert_code(14);
    let report = merged.json();
    let messages: Vec<&str> = report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["status"], "unreadable", "{t:#}");
            t["error"]["message"].as_str().unwrap()
        })
        .collect();
    assert!(messages[0].contains("is empty"), "{messages:?}");
    assert!(messages[1].contains("is not JSON"), "{messages:?}");
    assert!(
        messages[2].contains("is not a breakglass audit, plan or drill report"),
        "{messages:?}"
    );
    assert!(messages[3].contains("cannot read"), "{messages:?}");

    let twice = env.run([
        "report",
        "merge",
        "reports/contoso.json",
        "reports/contoso.json",
    ]);
    twice.assert_code(2);
    assert!(
        twice
            .stderr
            .contains("two reports are for the tenant named `contoso`"),
        "{twice}"
    );
    let without_tenants = env.run(["tenant", "list"]);
    without_tenants.assert_code(2);
}
