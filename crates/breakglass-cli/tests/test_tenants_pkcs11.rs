//! A `[[tenant]]` whose operator signs in with a key on a PKCS#11 token (SoftHSM2), through
//! the binary in a run across tenants: the token signs the operator's assertion and the tenant
//! reads fine; a wrong PIN and a key label the token does not hold each fail their own row,
//! naming what to fix, without stopping the others; a PIN file others can read is refused
//! before the token is touched.
//!
//! SoftHSM2 and pkcs11-tool are needed: outside CI a missing one skips, with `CI=true` it fails
//! (see test_pkcs11.rs).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common::{TenantGraph, TestEnv};
use crate::test_pkcs11::{PIN, SOFTHSM_MODULE, SoftHsm, TOKEN};
use crate::test_tenants::{Simulated, tenants_env};

/// The token the wrong-PIN tenant's key is on, and its real PIN.
const OTHER_TOKEN: &str = "bg-operators";
const OTHER_PIN: &str = "2468-1357";
const WRONG_PIN: &str = "0000-9999";
const OPERATOR_KEY: &str = "bg-operator";

/// Puts an RSA key and its certificate on `token` under `OPERATOR_KEY` (as an operator's
/// PKI would hand them over, imported with the vendor's tool) and registers the certificate on
/// the tenant's operator app, as an administrator would.
fn operator_key_on_token(hsm: &SoftHsm, env: &TestEnv, token: &str, pin: &str, tenant: &Simulated) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("an RSA key");
    let cert = rcgen::CertificateParams::new(vec![format!("{}-operator", tenant.name)])
        .expect("certificate parameters")
        .self_signed(&key)
        .expect("a self-signed certificate");
    let key_file = env.write_file(&format!("{token}-key.der"), "");
    std::fs::write(&key_file, key.serialize_der()).expect("write the key");
    let cert_file = env.write_file(&format!("{token}-cert.der"), "");
    std::fs::write(&cert_file, cert.der()).expect("write the certificate");
    for (file, kind) in [(&key_file, "privkey"), (&cert_file, "cert")] {
        let file = file.display().to_string();
        let (ok, out) = hsm.pkcs11_tool_on(
            token,
            pin,
            &[
                "--write-object",
                &file,
                "--type",
                kind,
                "--id",
                "0a01",
                "--label",
                OPERATOR_KEY,
            ],
        );
        assert!(ok, "import the {kind}: {out}");
    }
    std::fs::remove_file(&key_file).expect("the key is only on the token now");

    let admin = TenantGraph::new(tenant.simulator());
    let app = admin.one(
        "applications",
        &format!("appId eq '{}'", tenant.client_id()),
    );
    admin.patch(
        &format!("applications/{}", app["id"].as_str().expect("id")),
        json!({"keyCredentials": [{
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "displayName": format!("CN={}-operator", tenant.name),
            "key": base64::engine::general_purpose::STANDARD.encode(cert.der()),
        }]}),
    );
}

fn on_token(token: &str, key: &str, pin_file: Option<&str>) -> String {
    let pin = pin_file.map_or(String::new(), |f| format!("\npkcs11_pin_file = \"{f}\""));
    format!(
        "pkcs11_module = \"{SOFTHSM_MODULE}\"\npkcs11_token = \"{token}\"\npkcs11_key = \"{key}\"{pin}"
    )
}

fn section<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no section for {name}: {report:#}"))
}

#[test]
fn operators_sign_in_with_keys_on_a_token_and_a_refused_pin_is_one_tenants_row() {
    let (mut env, file) = tenants_env(&[]);
    let Some(hsm) = SoftHsm::new(&mut env) else {
        return;
    };
    let hardware = Simulated::new("hardware", "1a2b3c4d-0000-4000-8000-0000000000a1", |_| {});
    hardware
        .env
        .run(["apply", "--yes", "--quiet"])
        .assert_success();
    let wrong_pin = Simulated::new("wrongpin", "1a2b3c4d-0000-4000-8000-0000000000a2", |_| {});
    let no_key = Simulated::new("nokey", "1a2b3c4d-0000-4000-8000-0000000000a3", |_| {});
    hsm.init_token(OTHER_TOKEN, OTHER_PIN);
    operator_key_on_token(&hsm, &env, TOKEN, PIN, &hardware);
    operator_key_on_token(&hsm, &env, OTHER_TOKEN, OTHER_PIN, &wrong_pin);
    let pin_file = env.write_file("pins/wrongpin", &format!("{WRONG_PIN}\n"));
    set_mode(&pin_file, 0o600);
    let text = [
        hardware.entry_signing_in_with(&on_token(TOKEN, OPERATOR_KEY, None)),
        wrong_pin.entry_signing_in_with(&on_token(
            OTHER_TOKEN,
            OPERATOR_KEY,
            Some("pins/wrongpin"),
        )),
        no_key.entry_signing_in_with(&on_token(TOKEN, "no-such-key", None)),
    ]
    .concat();
    std::fs::write(&file, text).expect("write tenants.toml");
    // The right PIN of the first token; the wrong-PIN tenant's file wins over it.
    env.set_env("BREAKGLASS_PKCS11_PIN", PIN);
    let file = file.display().to_string();

    let listed = env.run(["--tenants", &file, "tenant", "list", "--output", "json"]);
    listed.assert_success();
    assert_eq!(listed.json()[0]["signIn"], "pkcs11", "{listed}");

    let output = env.run(["--tenants", &file, "plan", "--output", "json"]);
    output.assert_code(13);
    let report = output.json();
    let read = section(&report, "hardware");
    assert_eq!(read["status"], "passed", "{read:#}");
    assert_eq!(read["report"]["changes"], 0, "{read:#}");

    let refused = section(&report, "wrongpin");
    assert_eq!(refused["status"], "unreadable", "{refused:#}");
    let message = refused["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains(&format!("the PIN of token `{OTHER_TOKEN}` was refused")),
        "{refused:#}"
    );
    assert!(
        refused["error"]["hints"]
            .to_string()
            .contains("does not retry"),
        "{refused:#}"
    );

    let missing = section(&report, "nokey");
    assert_eq!(missing["status"], "unreadable", "{missing:#}");
    let message = missing["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains(&format!(
            "token `{TOKEN}` holds no private key labelled `no-such-key`"
        )),
        "{missing:#}"
    );
    assert!(
        missing["error"]["hints"].to_string().contains("pkcs11_key"),
        "{missing:#}"
    );
    for pin in [PIN, WRONG_PIN, OTHER_PIN] {
        assert!(
            !output.stdout.contains(pin) && !output.stderr.contains(pin),
            "a PIN is never shown"
        );
    }

    // A PIN file others may read is refused, naming the tenant, before any token is tried.
    set_mode(&pin_file, 0o644);
    let output = env.run(["--tenants", &file, "--only", "wrongpin", "plan"]);
    output.assert_code(14);
    assert!(
        output.stdout.contains("tenant `wrongpin`: the secret file")
            && output.stdout.contains("can be read by others")
            && output.stdout.contains("chmod 600"),
        "{output}"
    );

    // A token without RSA-PSS: the operator's assertion signed RS256 on the token.
    let rs256 = format!(
        "{}\npkcs11_algorithm = \"RS256\"",
        on_token(TOKEN, OPERATOR_KEY, None)
    );
    std::fs::write(&file, hardware.entry_signing_in_with(&rs256)).expect("write tenants.toml");
    let output = env.run(["--tenants", &file, "plan", "--output", "json"]);
    output.assert_success();
    assert_eq!(section(&output.json(), "hardware")["status"], "passed");
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
