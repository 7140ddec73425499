//! Step 17: a certificate on a hardware token, made and used through SoftHSM2 when it is
//! installed (the step says it skipped, and why, when it is not).

use std::path::{Path, PathBuf};

use breakglass_entra::TokenClaims;
use breakglass_store::{Overwrite, write_secret_file};

use super::narrator::Narrator;
use super::scene::{Scene, run_self, stdout_of};
use crate::error::{CommandError, internal_error};

/// Where Debian's softhsm2 package puts its PKCS#11 module.
const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "breakglass-demo";
const KEY: &str = "breakglass-hardware";

/// Why SoftHSM2 cannot be used here, if it cannot.
fn softhsm_missing() -> Option<String> {
    if !Path::new(SOFTHSM_MODULE).is_file() {
        return Some(format!(
            "SoftHSM2 is not installed ({SOFTHSM_MODULE} is missing); `apt-get install softhsm2` to see this step"
        ));
    }
    let util = std::process::Command::new("softhsm2-util")
        .arg("--version")
        .output();
    if !util.is_ok_and(|o| o.status.success()) {
        return Some(
            "softhsm2-util is not on the PATH; `apt-get install softhsm2` to see this step"
                .to_string(),
        );
    }
    None
}

pub(super) fn hardware_token(
    narrator: &mut Narrator<'_>,
    scene: &Scene<'_>,
) -> Result<(), CommandError> {
    let title = "A certificate on a hardware token (SoftHSM2)";
    let why = "A `store = \"pkcs11\"` credential's RSA key is generated on a PKCS#11 token and \
               never leaves it: the token signs the certificate and every client assertion. The \
               demo uses SoftHSM2, a software token, as a stand-in for a smart card or HSM \
               (only SoftHSM2 has been tried): it adds the credential with `credential add` and \
               signs in with it. In real life the token and its PIN go in the safe, apart.";
    let started = narrator.begin(17, title, why)?;
    if let Some(reason) = softhsm_missing() {
        let shown = serde_json::json!({ "skipped": reason });
        return narrator.finish(
            17,
            title,
            why,
            started,
            format!("→ skipped: {reason}"),
            &shown,
        );
    }
    let (conf, pin_file) = fresh_token(scene.state_dir)?;
    let declared_before = declare_credential(scene)?;

    let mut env = scene.env.clone();
    env.push(("SOFTHSM2_CONF", conf.display().to_string()));
    let pin_path = pin_file.display().to_string();
    let common = [
        "--config",
        scene.config.as_str(),
        "--keepass-password-file",
        scene.password_file.as_str(),
        "--pkcs11-pin-file",
        pin_path.as_str(),
    ];
    let mut add = vec!["credential", "add", "hardware", "--quiet"];
    if declared_before {
        // A run with a kept --state-dir: the earlier token is gone, so replace its key.
        add.push("--force");
    }
    add.extend_from_slice(&common);
    stdout_of(&run_self(&add, &env)?, "breakglass credential add hardware")?;
    let mut token = vec!["token", "--credential", "hardware", "--output", "json"];
    token.extend_from_slice(&common);
    let output = run_self(&token, &env)?;
    let printed = stdout_of(&output, "breakglass token --credential hardware")?;
    let answer: serde_json::Value =
        serde_json::from_str(&printed).map_err(|e| internal_error(format!("token output: {e}")))?;
    let claims = answer["accessToken"]
        .as_str()
        .and_then(|token| TokenClaims::from_jwt(token).ok())
        .unwrap_or_default();
    let status = String::from_utf8_lossy(&output.stderr);
    let serial = status
        .split("(serial ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or("?")
        .to_string();
    let shown = serde_json::json!({
        "token": TOKEN,
        "tokenSerial": serial,
        "appid": claims.appid,
        "signedIn": claims.appid.is_some(),
    });
    narrator.finish(
        17,
        title,
        why,
        started,
        format!(
            "→ breakglass credential add hardware   (key made on token `{TOKEN}`, serial {serial})\n→ breakglass token --credential hardware   (the token signed the assertion)\n→ a token for app {}",
            claims.appid.as_deref().unwrap_or("?")
        ),
        &shown,
    )
}

/// A fresh SoftHSM2 token for the demo in `state_dir/softhsm`: its configuration file and the
/// 0600 file holding its user PIN.
fn fresh_token(state_dir: &Path) -> Result<(PathBuf, PathBuf), CommandError> {
    let folder = state_dir.join("softhsm");
    let tokens = folder.join("tokens");
    // A fresh token each run (a kept --state-dir would otherwise get a second one).
    let _ = std::fs::remove_dir_all(&tokens);
    std::fs::create_dir_all(&tokens)
        .map_err(|e| internal_error(format!("cannot create {}: {e}", tokens.display())))?;
    let conf = folder.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .map_err(|e| internal_error(format!("cannot write {}: {e}", conf.display())))?;
    // A demo PIN, in a 0600 file as `--pkcs11-pin-file` reads it; never on a command line of
    // breakglass (softhsm2-util takes it as an argument: a demo token only).
    let pin = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let pin_file = folder.join("pin.txt");
    write_secret_file(&pin_file, format!("{pin}\n").as_bytes(), Overwrite::Replace)
        .map_err(|e| internal_error(e.to_string()))?;
    let so_pin = uuid::Uuid::new_v4().simple().to_string();
    let init = std::process::Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            &pin,
            "--so-pin",
            &so_pin,
        ])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .map_err(|e| internal_error(format!("cannot run softhsm2-util: {e}")))?;
    if !init.status.success() {
        return Err(internal_error(format!(
            "softhsm2-util --init-token failed: {}",
            String::from_utf8_lossy(&init.stderr).trim()
        )));
    }
    Ok((conf, pin_file))
}

/// Declares the `hardware` credential on the demo token in the demo's breakglass.toml; true
/// when an earlier run had declared it.
fn declare_credential(scene: &Scene<'_>) -> Result<bool, CommandError> {
    let path = scene.folder.join("breakglass.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| internal_error(format!("cannot read {}: {e}", path.display())))?;
    // (The starter configuration shows the same lines commented out.)
    if text
        .lines()
        .any(|line| line.trim_end() == "label = \"hardware\"")
    {
        return Ok(true);
    }
    let declared = format!(
        "\n[[app.credentials]]\nlabel = \"hardware\"\nkind = \"certificate\"\nstore = \"pkcs11\"\npkcs11_module = \"{SOFTHSM_MODULE}\"\npkcs11_token = \"{TOKEN}\"\npkcs11_key = \"{KEY}\"\nlifetime_days = 365\n"
    );
    let text = text.replacen("\n[users]", &format!("{declared}\n[users]"), 1);
    std::fs::write(&path, text)
        .map_err(|e| internal_error(format!("cannot write {}: {e}", path.display())))?;
    Ok(false)
}
