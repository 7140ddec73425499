//! `store = "pkcs11"`: the emergency app's certificate on a SoftHSM2 token, through the binary:
//! the key is made on the token and cannot be read out (checked with OpenSC's `pkcs11-tool`),
//! the token signs the assertions the simulator accepts, rotation, a wrong PIN, a missing
//! token or module, and a locked token.
//!
//! SoftHSM2 (package softhsm2) and pkcs11-tool (package opensc) come from
//! `scripts/install-system-deps`. A missing one skips these tests (with a note on stderr),
//! except with `CI=true`, where it fails them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::common::{InProcessSimulator, TenantGraph, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "pkcs11 test keepass password";
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const TOKEN: &str = "bg-emergency";
pub const PIN: &str = "4711-0815";
const SO_PIN: &str = "so-pin-12345";
const KEY: &str = "bg-hardware";

fn in_ci() -> bool {
    matches!(
        std::env::var("CI").as_deref(),
        Ok("1" | "true" | "TRUE" | "True" | "yes")
    )
}

/// Whether `tool` exists (the module is a file, a program is on the PATH); outside CI a
/// missing one skips the test, in CI it fails it.
fn present(path: &str, package: &str) -> bool {
    let found = if path.starts_with('/') {
        Path::new(path).is_file()
    } else {
        Command::new("sh")
            .args(["-c", &format!("command -v {path}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if found {
        return true;
    }
    assert!(
        !in_ci(),
        "{path} is missing (package {package}); CI=true does not skip: run scripts/install-system-deps"
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {path} is missing (package {package}); run scripts/install-system-deps"
    );
    false
}

/// A SoftHSM2 token store of its own in `env`, with one initialised token; `SOFTHSM2_CONF`
/// is set for the binary.
pub struct SoftHsm {
    conf: PathBuf,
}

impl SoftHsm {
    /// `None` (skip) when SoftHSM2 or pkcs11-tool is missing outside CI.
    pub fn new(env: &mut TestEnv) -> Option<SoftHsm> {
        if !present(SOFTHSM_MODULE, "softhsm2")
            || !present("softhsm2-util", "softhsm2")
            || !present("pkcs11-tool", "opensc")
        {
            return None;
        }
        let tokens = env.root().join("softhsm-tokens");
        std::fs::create_dir_all(&tokens).expect("token folder");
        let conf = env.write_file(
            "softhsm2.conf",
            &format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        );
        env.set_env("SOFTHSM2_CONF", conf.display().to_string());
        let hsm = SoftHsm { conf };
        hsm.util(&[
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ]);
        Some(hsm)
    }

    fn util(&self, args: &[&str]) -> String {
        let output = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("run softhsm2-util");
        assert!(
            output.status.success(),
            "softhsm2-util {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `pkcs11-tool` on the token, logged in with the user PIN: (success, stdout + stderr).
    pub fn pkcs11_tool(&self, args: &[&str]) -> (bool, String) {
        self.pkcs11_tool_on(TOKEN, PIN, args)
    }

    /// Initialises one more token, labelled `label`, with the user PIN `pin`.
    pub fn init_token(&self, label: &str, pin: &str) {
        self.util(&[
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            pin,
            "--so-pin",
            SO_PIN,
        ]);
    }

    /// `pkcs11-tool` on the token labelled `token`, logged in with `pin`.
    pub fn pkcs11_tool_on(&self, token: &str, pin: &str, args: &[&str]) -> (bool, String) {
        let output = Command::new("pkcs11-tool")
            .args(["--module", SOFTHSM_MODULE, "--token-label", token])
            .args(["--login", "--pin", pin])
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("run pkcs11-tool");
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }

    /// Runs [`pkcs11_probe_helper`] with this token's configuration; returns what it printed.
    pub fn probe_private_key(&self) -> String {
        let output = Command::new(std::env::current_exe().expect("the test binary"))
            .args([
                "--exact",
                "test_pkcs11::pkcs11_probe_helper",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("run the probe");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "the probe failed: {text}");
        text
    }

    /// Marks the token's user PIN locked (CKF_USER_PIN_LOCKED), as a token does after too
    /// many wrong PINs; SoftHSM2 keeps its token flags in `token.object`, attribute
    /// 0x8000534B (a 64-bit big-endian integer).
    pub fn lock_user_pin(&self) {
        const FLAGS: [u8; 16] = [0, 0, 0, 0, 0x80, 0, 0x53, 0x4b, 0, 0, 0, 0, 0, 0, 0, 2];
        const USER_PIN_LOCKED: u64 = 0x0004_0000;
        let folder = self.conf.with_file_name("softhsm-tokens");
        for entry in std::fs::read_dir(&folder).expect("token folder").flatten() {
            let file = entry.path().join("token.object");
            let Ok(mut bytes) = std::fs::read(&file) else {
                continue;
            };
            let at = bytes
                .windows(FLAGS.len())
                .position(|w| w == FLAGS)
                .expect("the token flags")
                + FLAGS.len();
            let mut value = [0u8; 8];
            value.copy_from_slice(&bytes[at..at + 8]);
            let flags = u64::from_be_bytes(value) | USER_PIN_LOCKED;
            bytes[at..at + 8].copy_from_slice(&flags.to_be_bytes());
            std::fs::write(&file, bytes).expect("write token.object");
        }
        let output = Command::new("pkcs11-tool")
            .args(["--module", SOFTHSM_MODULE, "--list-token-slots"])
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("run pkcs11-tool");
        let slots = String::from_utf8_lossy(&output.stdout);
        assert!(
            slots.contains("user PIN locked"),
            "the token does not show itself locked: {slots}"
        );
    }

    /// The token's serial number, as softhsm2-util shows it.
    pub fn serial(&self) -> String {
        let slots = self.util(&["--show-slots"]);
        // Each token's serial number comes before its label.
        let mut last_serial = None;
        for line in slots.lines() {
            let line = line.trim();
            if let Some(value) = line.strip_prefix("Serial number:") {
                last_serial = Some(value.trim().to_string());
            }
            if line
                .strip_prefix("Label:")
                .is_some_and(|l| l.trim() == TOKEN)
            {
                return last_serial.expect("the token's serial number");
            }
        }
        panic!("no token labelled {TOKEN}: {slots}")
    }
}

/// The `[[app.credentials]]` block of a credential on the SoftHSM2 token.
pub fn hardware_credential(label: &str, rotate: bool) -> String {
    let rotation = if rotate {
        "rotate_after_days = 30\n"
    } else {
        ""
    };
    format!(
        "\n[[app.credentials]]\nlabel = \"{label}\"\nkind = \"certificate\"\nstore = \"pkcs11\"\npkcs11_module = \"{SOFTHSM_MODULE}\"\npkcs11_token = \"{TOKEN}\"\npkcs11_key = \"{KEY}\"\nlifetime_days = 365\n{rotation}"
    )
}

/// `init`, a `hardware` credential on the token added to breakglass.toml, and `apply`.
fn applied() -> Option<(TestEnv, InProcessSimulator, SoftHsm)> {
    let (mut env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    let hsm = SoftHsm::new(&mut env)?;
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).expect("read breakglass.toml");
    let text = text.replacen(
        "\n[users]",
        &format!("{}\n[users]", hardware_credential("hardware", true)),
        1,
    );
    std::fs::write(&path, text).expect("write breakglass.toml");
    env.set_env("BREAKGLASS_PKCS11_PIN", PIN);
    env.run(["apply", "--yes", "--quiet"]).assert_success();
    Some((env, simulator, hsm))
}

fn emergency_app(simulator: &InProcessSimulator) -> Value {
    let apps = TenantGraph::new(simulator).list(
        "applications",
        "tags/any(t:t eq 'breakglass:emergency-access')",
    );
    assert_eq!(apps.len(), 1, "{apps:?}");
    apps[0].clone()
}

/// The app's certificates labelled `breakglass:hardware`.
fn hardware_certificates(simulator: &InProcessSimulator) -> Vec<Value> {
    emergency_app(simulator)["keyCredentials"]
        .as_array()
        .expect("keyCredentials")
        .iter()
        .filter(|k| {
            k["displayName"]
                .as_str()
                .unwrap_or("")
                .ends_with("hardware")
        })
        .cloned()
        .collect()
}

fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.trim().split('.').nth(index).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

#[test]
fn pkcs11_key_is_made_on_the_token_and_cannot_be_read_out() {
    let Some((mut env, simulator, hsm)) = applied() else {
        return;
    };
    assert_eq!(hardware_certificates(&simulator).len(), 1);

    // The manifest says the token holds it: a plan has nothing to do, and needs no PIN.
    env.remove_env("BREAKGLASS_PKCS11_PIN");
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let list = env.run(["credential", "list", "--output", "json"]);
    list.assert_success();
    let listed = list.json()["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .find(|c| c["label"] == "hardware")
        .cloned()
        .expect("the hardware credential");
    assert_eq!(listed["store"], "pkcs11", "{listed:#}");

    // An independent PKCS#11 client sees the key pair and the certificate on the token, the
    // private key sensitive and never extractable.
    let (ok, objects) = hsm.pkcs11_tool(&["--list-objects"]);
    assert!(ok, "{objects}");
    assert!(objects.contains("Private Key Object; RSA"), "{objects}");
    assert!(objects.contains("Certificate Object"), "{objects}");
    let private = objects
        .split("Private Key Object")
        .nth(1)
        .expect("a private key object");
    let private = private.split("Object;").next().unwrap_or(private);
    assert!(private.contains(&format!("label:      {KEY}")), "{private}");
    assert!(private.contains("sensitive"), "{private}");
    assert!(private.contains("never extractable"), "{private}");

    // Asking the token for the private key's value (C_GetAttributeValue of CKA_VALUE) fails.
    let probe = hsm.probe_private_key();
    // (RSA keys hold their secret in CKA_PRIVATE_EXPONENT and the primes rather than
    // CKA_VALUE; none of them comes out.)
    assert!(!probe.contains("Value: Available"), "{probe}");
    assert!(probe.contains("PrivateExponent: Sensitive"), "{probe}");
    assert!(probe.contains("Prime1: Sensitive"), "{probe}");
    assert!(probe.contains("values handed out: 0"), "{probe}");
    assert!(
        probe.contains("sensitive=true extractable=false"),
        "{probe}"
    );
}

/// Run in a child process by [`SoftHsm::probe_private_key`] (SoftHSM2 reads its
/// configuration from the environment, which a test must not change in its own process):
/// asks the token for the private key's attributes with the cryptoki crate.
/// The probe's report, on stdout for the parent to read.
macro_rules! say {
    ($($arg:tt)*) => {
        let _ = writeln!(std::io::stdout(), $($arg)*);
    };
}

#[test]
#[ignore = "a helper: SoftHsm::probe_private_key runs it in a child process"]
fn pkcs11_probe_helper() {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::object::{Attribute, AttributeType, ObjectClass};
    use cryptoki::session::UserType;
    let context = Pkcs11::new(SOFTHSM_MODULE).expect("load SoftHSM2");
    context
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("initialise");
    let slot = context
        .get_slots_with_token()
        .expect("slots")
        .into_iter()
        .find(|slot| {
            context
                .get_token_info(*slot)
                .is_ok_and(|info| info.label().trim() == TOKEN)
        })
        .expect("the token");
    let session = context.open_ro_session(slot).expect("a session");
    session
        .login(UserType::User, Some(&PIN.to_string().into()))
        .expect("log in");
    let keys = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(KEY.as_bytes().to_vec()),
        ])
        .expect("find the private key");
    assert!(!keys.is_empty(), "no private key labelled {KEY}");
    for key in keys {
        let secret_parts = [
            AttributeType::Value,
            AttributeType::PrivateExponent,
            AttributeType::Prime1,
        ];
        let info = session
            .get_attribute_info(key, &secret_parts)
            .expect("ask for the attributes");
        for (attribute, info) in secret_parts.iter().zip(info) {
            say!("{attribute:?}: {info:?}");
        }
        let values = session
            .get_attributes(key, &secret_parts)
            .expect("read the attributes");
        say!("values handed out: {}", values.len());
        let flags = session
            .get_attributes(key, &[AttributeType::Sensitive, AttributeType::Extractable])
            .expect("read the flags");
        let flag = |wanted: AttributeType| {
            flags.iter().find_map(|a| match a {
                Attribute::Sensitive(v) if wanted == AttributeType::Sensitive => Some(*v),
                Attribute::Extractable(v) if wanted == AttributeType::Extractable => Some(*v),
                _ => None,
            })
        };
        say!(
            "sensitive={} extractable={}",
            flag(AttributeType::Sensitive).unwrap_or(false),
            flag(AttributeType::Extractable).unwrap_or(true)
        );
    }
}

#[test]
fn pkcs11_token_signs_the_assertion_for_token_exec_and_drill() {
    let Some((env, simulator, hsm)) = applied() else {
        return;
    };
    let app_id = emergency_app(&simulator)["appId"]
        .as_str()
        .expect("appId")
        .to_string();
    let serial = hsm.serial();

    let output = env.run(["token", "--credential", "hardware", "--output", "json"]);
    output.assert_success();
    let token = output.json()["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_string();
    assert_eq!(jwt_part(&token, 1)["appid"], app_id.as_str());
    assert!(
        output
            .stderr
            .contains(&format!("PKCS#11 token `{TOKEN}` (serial {serial})")),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains(PIN) && !output.stdout.contains(PIN));

    // exec: the child gets an access token, and no secret or certificate file to sign in
    // with by itself, nor the token's PIN.
    let exec = env.run([
        "exec",
        "--credential",
        "hardware",
        "--",
        "sh",
        "-c",
        "test -n \"$BREAKGLASS_ACCESS_TOKEN\" && echo token-given; env | grep -c -e '^AZURE_CLIENT_SECRET=' -e '^AZURE_CLIENT_CERTIFICATE_PATH=' -e '^BREAKGLASS_PKCS11_PIN=' || true",
    ]);
    exec.assert_success();
    assert!(exec.stdout.contains("token-given"), "{}", exec.stdout);
    assert!(exec.stdout.trim_end().ends_with('0'), "{}", exec.stdout);

    // The drill proves it like any other credential and records the token's serial number.
    let drill = env.run(["drill", "--log-wait", "2s", "--output", "json"]);
    drill.assert_success();
    let report = drill.json();
    let hardware = report["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .find(|c| c["label"] == "hardware")
        .expect("the hardware credential")
        .clone();
    assert_eq!(hardware["proven"], true, "{hardware:#}");
    assert_eq!(hardware["store"], "pkcs11", "{hardware:#}");
    assert_eq!(hardware["tokenSerial"], serial.as_str(), "{hardware:#}");
}

/// `pkcs11_algorithm = "RS256"` has the token sign PKCS#1 v1.5 assertions, which Entra (and
/// the simulator) accept with the `x5t` header: for tokens without RSA-PSS.
#[test]
fn pkcs11_rs256_when_asked_for_signs_in_too() {
    let Some((env, _simulator, _hsm)) = applied() else {
        return;
    };
    let config = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&config).expect("breakglass.toml");
    let key_line = format!("pkcs11_key = \"{KEY}\"\n");
    assert!(text.contains(&key_line), "{text}");
    std::fs::write(
        &config,
        text.replacen(
            &key_line,
            &format!("{key_line}pkcs11_algorithm = \"RS256\"\n"),
            1,
        ),
    )
    .expect("write breakglass.toml");
    env.run(["token", "--credential", "hardware"])
        .assert_success();
    let drill = env.run(["drill", "--log-wait", "0", "--output", "json"]);
    let record = drill.json();
    let hardware = record["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .find(|c| c["label"] == "hardware")
        .expect("the hardware credential");
    assert_eq!(hardware["proven"], true, "{hardware:#}");
    // A token cannot be asked for what no signature is.
    let text = std::fs::read_to_string(&config).expect("breakglass.toml");
    std::fs::write(&config, text.replace("\"RS256\"", "\"ES256\"")).expect("write");
    let refused = env.run(["token", "--credential", "hardware"]);
    refused.assert_code(3);
    assert!(refused.stderr.contains("pkcs11_algorithm"), "{refused}");
}

#[test]
fn pkcs11_rotation_makes_a_new_key_on_the_token_and_drops_the_old() {
    let Some((env, simulator, hsm)) = applied() else {
        return;
    };
    let before = hardware_certificates(&simulator);
    assert_eq!(before.len(), 1);
    let old = before[0]["keyId"].as_str().expect("keyId").to_string();

    let output = env.run(["credential", "rotate", "hardware", "--output", "json"]);
    output.assert_success();
    let rotated = output.json();
    let new = rotated["added"]["keyId"].as_str().expect("new keyId");
    assert_ne!(new, old);
    // The second certificate goes on by addKey, its proof signed on the token by the first.
    assert_eq!(rotated["added"]["method"], "addKey", "{rotated:#}");
    assert_eq!(rotated["removed"][0]["keyId"], old.as_str(), "{rotated:#}");
    let after: Vec<String> = hardware_certificates(&simulator)
        .iter()
        .filter_map(|k| k["keyId"].as_str().map(str::to_string))
        .collect();
    assert_eq!(after, vec![new.to_string()]);

    // One key pair and one certificate are left on the token, and the new key signs in.
    let (ok, objects) = hsm.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
    assert!(ok, "{objects}");
    assert_eq!(
        objects.matches("Private Key Object").count(),
        1,
        "{objects}"
    );
    let token = env.run(["token", "--credential", "hardware"]);
    token.assert_success();
}

/// A run stopped after making its key on the token and before storing its credential leaves
/// the key and a pending note (both made here with pkcs11-tool, as that run would have left
/// them, the note two days old). The next credential stored under the label sweeps that key
/// away. A key whose pending note is recent (another run's key in the making) and a key with
/// no note at all (put there by someone else) stay, as do the noted keys.
#[test]
fn pkcs11_a_key_left_by_an_interrupted_run_is_swept_by_the_next() {
    let Some((env, simulator, hsm)) = applied() else {
        return;
    };
    let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48);
    let just_now = jiff::Timestamp::now();
    for (id, note) in [
        ("0badc0de", Some(long_ago)),
        ("0dd0dd00", Some(just_now)),
        ("5eedf00d", None),
    ] {
        let (ok, made) = hsm.pkcs11_tool(&[
            "--keypairgen",
            "--key-type",
            "rsa:2048",
            "--label",
            KEY,
            "--id",
            id,
        ]);
        assert!(ok, "{made}");
        if let Some(since) = note {
            let file = env.write_file(
                &format!("pending-{id}.json"),
                &format!("{{\"pendingKey\":\"{id}\",\"since\":\"{since}\"}}"),
            );
            let file = file.display().to_string();
            let (ok, written) = hsm.pkcs11_tool(&[
                "--write-object",
                file.as_str(),
                "--type",
                "data",
                "--label",
                KEY,
                "--application-label",
                "breakglass",
            ]);
            assert!(ok, "{written}");
        }
    }
    let private_keys = || {
        let (ok, objects) = hsm.pkcs11_tool(&["--list-objects", "--type", "privkey"]);
        assert!(ok, "{objects}");
        objects
    };
    assert_eq!(private_keys().matches("Private Key Object").count(), 4);

    let output = env.run(["credential", "rotate", "hardware", "--output", "json"]);
    output.assert_success();
    let objects = private_keys();
    // The rotated-away key went, the new one came: 1 + the two that must stay.
    assert_eq!(
        objects.matches("Private Key Object").count(),
        3,
        "{objects}"
    );
    assert!(!objects.contains("0badc0de"), "{objects}");
    assert!(objects.contains("0dd0dd00"), "{objects}");
    assert!(objects.contains("5eedf00d"), "{objects}");
    // Notes left: the new key's full note (its pending one replaced) and the recent pending.
    let (ok, data) = hsm.pkcs11_tool(&["--list-objects", "--type", "data"]);
    assert!(ok, "{data}");
    assert_eq!(data.matches("Data object").count(), 2, "{data}");
    assert_eq!(hardware_certificates(&simulator).len(), 1);
    env.run(["token", "--credential", "hardware"])
        .assert_success();
}

#[test]
fn pkcs11_wrong_pin_is_tried_once_and_explained() {
    let Some((mut env, _simulator, _hsm)) = applied() else {
        return;
    };
    env.set_env("BREAKGLASS_PKCS11_PIN", "not-the-pin");
    let output = env.run(["token", "--credential", "hardware"]);
    output.assert_code(3);
    let lines = output.error_lines();
    assert_eq!(
        lines.first().copied(),
        Some(format!("error: the PIN of token `{TOKEN}` was refused").as_str()),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("does not retry"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("not-the-pin"));

    // A PIN file is read too; and the right PIN still works: nothing was locked.
    let pin_file = env.write_file("pin.txt", &format!("{PIN}\n"));
    env.remove_env("BREAKGLASS_PKCS11_PIN");
    let output = env.run([
        "token",
        "--credential",
        "hardware",
        "--pkcs11-pin-file",
        &pin_file.display().to_string(),
    ]);
    output.assert_success();
}

#[test]
fn pkcs11_missing_token_or_module_is_named() {
    let Some((env, _simulator, _hsm)) = applied() else {
        return;
    };
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).expect("read breakglass.toml");

    std::fs::write(
        &path,
        text.replace(
            &format!("pkcs11_token = \"{TOKEN}\""),
            "pkcs11_token = \"elsewhere\"",
        ),
    )
    .expect("write breakglass.toml");
    let output = env.run(["token", "--credential", "hardware"]);
    output.assert_code(3);
    assert!(
        output.error_lines()[0].starts_with(&format!(
            "error: no token labelled `elsewhere` is present in {SOFTHSM_MODULE} (it shows `{TOKEN}`"
        )),
        "{}",
        output.stderr
    );

    std::fs::write(
        &path,
        text.replace(SOFTHSM_MODULE, "/nonexistent/libvendor-pkcs11.so"),
    )
    .expect("write breakglass.toml");
    let output = env.run(["token", "--credential", "hardware"]);
    output.assert_code(3);
    assert_eq!(
        output.error_lines()[0],
        "error: cannot load the PKCS#11 module /nonexistent/libvendor-pkcs11.so: no such file",
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("pkcs11_module"), "{}", output.stderr);
}

#[test]
fn pkcs11_locked_token_is_not_tried() {
    let Some((env, _simulator, hsm)) = applied() else {
        return;
    };
    hsm.lock_user_pin();
    let output = env.run(["token", "--credential", "hardware"]);
    output.assert_code(3);
    assert_eq!(
        output.error_lines()[0],
        format!(
            "error: token `{TOKEN}` is locked: its user PIN was entered wrongly too often (CKR_PIN_LOCKED)"
        ),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("security officer"),
        "{}",
        output.stderr
    );
}

#[test]
fn pkcs11_refused_or_missing_pin_adds_nothing_to_the_tenant() {
    let Some((mut env, simulator, _hsm)) = applied() else {
        return;
    };
    assert_eq!(hardware_certificates(&simulator).len(), 1);

    env.set_env("BREAKGLASS_PKCS11_PIN", "0000-0000");
    let output = env.run(["credential", "add", "hardware", "--force"]);
    output.assert_code(3);
    assert!(
        output.error_lines()[0].contains("was refused"),
        "{}",
        output.stderr
    );
    assert_eq!(hardware_certificates(&simulator).len(), 1);
    // rotate needs the token twice (the addKey proof, the new key): one refusal stops it.
    let output = env.run(["credential", "rotate", "hardware"]);
    output.assert_code(3);
    assert!(
        output.error_lines()[0].contains("was refused"),
        "{}",
        output.stderr
    );
    assert_eq!(hardware_certificates(&simulator).len(), 1);

    // No PIN anywhere and no terminal to ask on: said so, before anything is added.
    env.remove_env("BREAKGLASS_PKCS11_PIN");
    let output = env.run(["credential", "add", "hardware", "--force"]);
    output.assert_code(3);
    assert_eq!(
        output.error_lines()[0],
        format!("error: the user PIN of PKCS#11 token `{TOKEN}` is needed"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("BREAKGLASS_PKCS11_PIN"),
        "{}",
        output.stderr
    );
    assert_eq!(hardware_certificates(&simulator).len(), 1);
}
