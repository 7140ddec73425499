//! `breakglass export maester|zta|scubagear` through the binary (issue 12, part 3): the
//! tenant's own exclusion group and emergency users, an existing configuration kept but for
//! the accounts, a private file, and bad input refused with nothing written.

use serde_json::{Value, json};

use crate::common::{TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

fn identity(env: &TestEnv, field: &str) -> Value {
    let identities = env.run(["monitor", "identities", "--output", "json"]);
    identities.assert_success();
    identities.json()[field].clone()
}

#[test]
fn maester_and_zta_name_the_exclusion_group_and_keep_the_rest_of_a_configuration() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let group = identity(&env, "exclusionGroupId");
    assert!(group.is_string());

    let maester = env.run(["export", "maester"]);
    maester.assert_success();
    let settings: Value = serde_json::from_str(&maester.stdout).expect("JSON");
    assert_eq!(
        settings,
        json!({"GlobalSettings": {"EmergencyAccessAccounts": [{"Type": "Group", "Id": group}]}})
    );

    let existing = env.write_file(
        "zt-config.json",
        &json!({"Days": 7, "Tests": ["21815"], "GlobalSettings": {"EmergencyAccessAccounts": []}})
            .to_string(),
    );
    let before = std::fs::read_to_string(&existing).unwrap();
    let out = env.root().join("zt-config.new.json");
    env.run([
        "export",
        "zta",
        "--into",
        existing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .assert_success();
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written["Days"], 7);
    assert_eq!(written["Tests"], json!(["21815"]));
    assert_eq!(
        written["GlobalSettings"]["EmergencyAccessAccounts"][0]["Id"],
        group
    );
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        before,
        "--into is only read"
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn scubagear_lists_the_ids_under_each_policy_and_bad_input_writes_nothing() {
    let (env, _simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let yaml = env.run(["export", "scubagear"]);
    yaml.assert_success();
    let group = identity(&env, "exclusionGroupId");
    let group = group.as_str().unwrap();
    assert!(
        yaml.stdout
            .contains("Aad:\n  MS.AAD.1.1v1:\n    CapExclusions:\n"),
        "{yaml}"
    );
    assert_eq!(yaml.stdout.matches(group).count(), 9, "{yaml}");
    for user in identity(&env, "users").as_array().unwrap() {
        assert!(yaml.stdout.contains(user["id"].as_str().unwrap()), "{yaml}");
    }

    let out = env.root().join("never.json");
    let not_json = env.write_file("broken.json", "{ not json");
    let refused = env.run([
        "export",
        "maester",
        "--into",
        not_json.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    refused.assert_code(3);
    assert!(refused.stderr.contains("is not JSON"), "{refused}");
    assert!(!out.exists(), "nothing written");
    let yaml_into = env.run(["export", "scubagear", "--into", not_json.to_str().unwrap()]);
    yaml_into.assert_code(3);
    assert!(
        yaml_into
            .stderr
            .contains("merge it into your ScubaGear configuration"),
        "{yaml_into}"
    );
}
