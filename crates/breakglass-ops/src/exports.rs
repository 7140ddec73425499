//! Writing other scanners' emergency-access settings (`breakglass export`): the documents are
//! built in `breakglass_core::exports`; this reads the file to update and writes the result.

use std::path::Path;

use breakglass_core::exports::{self, Scanner};
use breakglass_core::identities::EmergencyIdentities;
use serde_json::Value;

use crate::error::{Error, config_error, internal_error};

/// The settings for `scanner`, over the configuration in `into` when given (JSON tools only:
/// everything else in it is kept).
pub fn settings(
    scanner: Scanner,
    identities: &EmergencyIdentities,
    into: Option<&Path>,
) -> Result<String, Error> {
    let refused = |e: exports::ExportError| {
        config_error(e.to_string()).hinted(
            "run `breakglass apply` first, or pass `--identities FILE` written by `breakglass monitor identities --out FILE`",
        )
    };
    match scanner {
        Scanner::ScubaGear => {
            if let Some(path) = into {
                return Err(config_error(format!(
                    "--into {} asks to update a YAML file, which breakglass does not rewrite",
                    path.display()
                ))
                .hinted("write the Aad section with --out and merge it into your ScubaGear configuration by hand"));
            }
            exports::scubagear_yaml(identities, env!("CARGO_PKG_VERSION")).map_err(refused)
        }
        Scanner::Maester | Scanner::ZeroTrustAssessment => {
            let existing = into.map(read_json).transpose()?;
            let document = exports::json_settings(identities, existing).map_err(|e| {
                let hint = into.map_or(String::new(), |p| {
                    format!(
                        "{} must hold one JSON object, as the tool's configuration does",
                        p.display()
                    )
                });
                config_error(e.to_string()).hinted(hint)
            })?;
            let mut text = serde_json::to_string_pretty(&document)
                .map_err(|e| internal_error(format!("cannot encode the settings: {e}")))?;
            text.push('\n');
            Ok(text)
        }
    }
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        config_error(format!("cannot read {}: {e}", path.display())).hinted(
            "pass the configuration file the tool reads, or leave out --into to write a new one",
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        config_error(format!("{} is not JSON: {e}", path.display()))
            .hinted("fix the file (nothing was written), or leave out --into to write a new one")
    })
}

/// Writes settings to `path`, replacing it atomically (they name no secret, but the tenant's
/// ids are nobody else's business: mode 0600).
pub fn save(path: &Path, text: &str) -> Result<(), Error> {
    crate::audit::save_report(path, text)
}
