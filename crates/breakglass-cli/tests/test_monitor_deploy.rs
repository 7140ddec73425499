//! `breakglass monitor deploy` and `monitor status` against the simulator's Resource Manager:
//! every rule created, a second deploy unchanged, a rule disabled behind breakglass's back
//! reported with exit 11, a malformed workspace id refused, an unknown workspace explained.

use serde_json::Value;

use crate::common::{InProcessSimulator, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "monitor deploy test password";
const WORKSPACE: &str = "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-contoso-security";
const DETECTIONS: usize = 12;

fn applied() -> (TestEnv, InProcessSimulator) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    (env, simulator)
}

fn rules(output: &Value) -> &Vec<Value> {
    output["rules"].as_array().expect("rules")
}

/// Changes a rule directly through Resource Manager, as someone in the portal would.
fn disable_rule(simulator: &InProcessSimulator, id: &str) {
    use breakglass_entra::{
        ArmClient, ClientCredential, ClientCredentialsFlow, HttpClient, HttpOptions,
    };
    let text = std::fs::read_to_string(simulator.cloud_profile()).expect("read cloud.json");
    let profile = breakglass_core::CloudProfile::from_json(&text, &simulator.cloud_profile())
        .expect("valid cloud.json");
    let operator = simulator.operator().clone();
    let tenant: breakglass_core::TenantId = operator.tenant_id.parse().expect("tenant id");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let http = HttpClient::new(&profile, HttpOptions::default()).expect("an HTTP client");
        let base = profile
            .resource_manager_endpoint
            .clone()
            .expect("ARM endpoint");
        let tokens = ClientCredentialsFlow::new(
            &http,
            &profile,
            &tenant,
            &operator.client_id,
            ClientCredential::secret(operator.client_secret.clone()),
        )
        .with_scope(format!("{}/.default", base.as_str().trim_end_matches('/')))
        .into_provider();
        let arm = ArmClient::new(http, base, tokens);
        let mut rule = arm.get(id, "2023-12-01").await.expect("get").body;
        assert_eq!(rule["properties"]["enabled"], true, "{rule}");
        rule["properties"]["enabled"] = Value::Bool(false);
        let answer = arm.put(id, "2023-12-01", &rule).await.expect("put");
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    });
}

#[test]
fn deploy_creates_every_rule_then_changes_nothing_and_status_sees_a_disabled_one() {
    let (env, simulator) = applied();

    let before = env.run([
        "monitor",
        "status",
        "--workspace",
        WORKSPACE,
        "--output",
        "json",
    ]);
    before.assert_code(11);
    assert!(rules(&before.json()).iter().all(|r| r["deployed"] == "no"));

    let first = env.run([
        "monitor",
        "deploy",
        "--workspace",
        WORKSPACE,
        "--email",
        "soc@contoso.example",
        "--sentinel",
        "--output",
        "json",
    ]);
    first.assert_success();
    let first = first.json();
    assert_eq!(rules(&first).len(), 2 * DETECTIONS, "{first}");
    assert!(
        rules(&first).iter().all(|r| r["result"] == "created"),
        "{first}"
    );
    assert!(
        first["actionGroup"]
            .as_str()
            .unwrap()
            .ends_with("/providers/Microsoft.Insights/actionGroups/breakglass-emergency-access")
    );

    let status = env.run([
        "monitor",
        "status",
        "--workspace",
        WORKSPACE,
        "--sentinel",
        "--output",
        "json",
    ]);
    status.assert_success();
    let status = status.json();
    assert_eq!(status["ok"], true, "{status}");
    assert_eq!(rules(&status).len(), 2 * DETECTIONS);
    assert!(
        rules(&status)
            .iter()
            .all(|r| r["deployed"] == "yes" && r["enabled"] == true),
        "{status}"
    );

    let second = env.run([
        "monitor",
        "deploy",
        "--workspace",
        WORKSPACE,
        "--email",
        "soc@contoso.example",
        "--sentinel",
        "--output",
        "json",
    ]);
    second.assert_success();
    assert!(
        rules(&second.json())
            .iter()
            .all(|r| r["result"] == "unchanged"),
        "{}",
        second.json()
    );

    let victim = rules(&first)[0]["resourceId"]
        .as_str()
        .expect("id")
        .to_string();
    disable_rule(&simulator, &victim);
    let status = env.run(["monitor", "status", "--workspace", WORKSPACE]);
    status.assert_code(11);
    let json = env.run([
        "monitor",
        "status",
        "--workspace",
        WORKSPACE,
        "--output",
        "json",
    ]);
    json.assert_code(11);
    let json = json.json();
    assert_eq!(json["ok"], false);
    let off: Vec<&Value> = rules(&json)
        .iter()
        .filter(|r| r["enabled"] == false)
        .collect();
    assert_eq!(off.len(), 1, "{json}");
    assert_eq!(off[0]["resourceId"], victim.as_str());

    // Deploying again turns it back on.
    let third = env.run([
        "monitor",
        "deploy",
        "--workspace",
        WORKSPACE,
        "--email",
        "soc@contoso.example",
        "--output",
        "json",
    ]);
    third.assert_success();
    let third = third.json();
    let updated = rules(&third)
        .iter()
        .filter(|r| r["result"] == "updated")
        .count();
    assert_eq!(updated, 1, "{third}");
    env.run(["monitor", "status", "--workspace", WORKSPACE])
        .assert_success();
}

#[test]
fn a_malformed_workspace_id_is_refused_and_an_unknown_one_explained() {
    let (env, _simulator) = applied();
    for bad in [
        "law-contoso-security",
        "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law1",
        "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/law1",
    ] {
        let output = env.run([
            "monitor",
            "deploy",
            "--workspace",
            bad,
            "--email",
            "soc@contoso.example",
        ]);
        output.assert_code(2);
        let stderr = output.stderr.clone();
        assert!(
            stderr.contains("Microsoft.OperationalInsights/workspaces/{name}"),
            "{stderr}"
        );
    }
    let unknown = WORKSPACE.replace("law-contoso-security", "law-missing");
    let output = env.run([
        "monitor",
        "deploy",
        "--workspace",
        &unknown,
        "--email",
        "soc@contoso.example",
    ]);
    output.assert_code(1);
    let stderr = output.stderr.clone();
    assert!(stderr.contains("ResourceNotFound"), "{stderr}");
    assert!(
        stderr.contains("'Microsoft.OperationalInsights/workspaces/law-missing' under resource group 'rg-security' was not found"),
        "{stderr}"
    );
    assert!(stderr.contains("check --workspace"), "{stderr}");
}
