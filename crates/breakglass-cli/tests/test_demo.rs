//! `breakglass demo`: runs to completion, readable and as JSON.

use crate::common::TestEnv;

#[test]
fn demo_runs_to_completion() {
    let env = TestEnv::new();
    let state = env.root().join("demo");
    let output = env.run(["demo", "--state-dir", state.to_str().expect("utf-8")]);
    output.assert_success();
    for step in 1..=17 {
        assert!(
            output.stdout.contains(&format!("Step {step}/17")),
            "{output}"
        );
    }
    assert!(
        output.stdout.contains("Sign in as the operator"),
        "{output}"
    );
    assert!(output.stdout.contains("Contoso (simulated)"), "{output}");
    assert!(output.stdout.contains("Global Administrator *"), "{output}");
    assert!(output.stdout.contains("Applied 12 change(s)"), "{output}");
    assert!(
        output.stdout.contains("removed old client secret"),
        "{output}"
    );
    assert!(output.stdout.contains("Nothing to do."), "{output}");
    assert!(
        output
            .stdout
            .contains("Global Administrator in its wids: yes"),
        "{output}"
    );
    assert!(
        output
            .stdout
            .contains("the child read the tenant \"Contoso (simulated)\""),
        "{output}"
    );
    assert!(
        output.stdout.contains("1 active lease(s)") && output.stdout.contains("0 active lease(s)"),
        "{output}"
    );
    assert!(output.stdout.contains("Drill passed"), "{output}");
    // The provisioning operator's own Graph permissions are a way to the emergency app.
    assert!(
        output.stdout.contains("CRITICAL graph-permissions"),
        "{output}"
    );
    assert!(
        output
            .stdout
            .contains("the sign-in: severity high, credential rotating"),
        "{output}"
    );
    // The folder it names holds the stores.
    assert!(state.join("workspace/breakglass.kdbx").is_file());
    assert!(
        state
            .join("workspace/recovery-sheets/manifest.json")
            .is_file()
    );
}

#[test]
fn demo_json_records_the_steps() {
    let env = TestEnv::new();
    let state = env.root().join("demo-state");
    let output = env.run([
        "demo",
        "--output",
        "json",
        "--state-dir",
        state.to_str().expect("utf-8"),
    ]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["ok"], true);
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 17);
    assert_eq!(steps[2]["title"], "Sign in as the operator");
    assert_eq!(steps[2]["result"]["kind"], "application");
    assert_eq!(steps[3]["result"]["displayName"], "Contoso (simulated)");
    assert!(
        steps[4]["result"]
            .as_array()
            .is_some_and(|admins| !admins.is_empty())
    );
    assert_eq!(steps[6]["result"]["changes"], 12);
    assert_eq!(
        steps[9]["result"]["applied"].as_array().map(Vec::len),
        Some(0)
    );
    assert!(
        steps[10]["result"].get("accessToken").is_none(),
        "the token is never shown"
    );
    assert_eq!(steps[11]["result"]["signIn"]["credentialLabel"], "rotating");
    assert_eq!(steps[11]["result"]["ruleFiles"], 12);
    assert_eq!(steps[13]["result"]["leasesAfter"], 0);
    let audit = &steps[15]["result"];
    assert!(audit["counts"]["critical"].as_u64() > Some(0), "{audit:#}");
    assert!(
        audit["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["check"] == "graph-permissions" && f["status"] == "finding"),
        "{audit:#}"
    );
    // Step 17 signs in with a certificate on a SoftHSM2 token, or says why it skipped.
    let hardware = &steps[16]["result"];
    let softhsm = std::path::Path::new(crate::test_pkcs11::SOFTHSM_MODULE).is_file();
    let in_ci = matches!(std::env::var("CI").as_deref(), Ok("1" | "true" | "yes"));
    assert!(
        softhsm || !in_ci,
        "SoftHSM2 is missing; CI=true does not skip"
    );
    if softhsm {
        assert_eq!(hardware["signedIn"], true, "{hardware:#}");
        assert_eq!(
            hardware["appid"], steps[10]["result"]["appid"],
            "{hardware:#}"
        );
        assert!(
            hardware["tokenSerial"]
                .as_str()
                .is_some_and(|s| s.len() >= 8),
            "{hardware:#}"
        );
    } else {
        assert!(
            hardware["skipped"]
                .as_str()
                .is_some_and(|why| why.contains("SoftHSM2 is not installed")),
            "{hardware:#}"
        );
    }
    // The demo never prints the operator's secret nor the KeePass password.
    let secret = std::fs::read_to_string(state.join("tenant/operator.env"))
        .expect("operator.env is kept with --state-dir")
        .lines()
        .find_map(|line| line.strip_prefix("AZURE_CLIENT_SECRET="))
        .expect("a secret line")
        .to_string();
    let password =
        std::fs::read_to_string(state.join("workspace/keepass-password.txt")).expect("kept");
    for hidden in [secret.as_str(), password.trim()] {
        assert!(!output.stdout.contains(hidden) && !output.stderr.contains(hidden));
    }
}
