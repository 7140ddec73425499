//! Provisioning: `breakglass.toml` on one side, the tenant and the stores on the other.
//!
//! [`crate::tenant`] reads the tenant, `breakglass_core::plan` decides, [`apply`] acts, and
//! [`vault`] keeps the credentials; [`rotate`] adds, rotates and removes credentials.

pub mod apply;
pub mod credentials;
pub mod keys;
pub mod listing;
pub mod prepare;
pub mod rotate;
pub mod token_store;
pub mod vault;
mod vault_api;
mod vault_token;

use std::path::{Path, PathBuf};

use breakglass_core::config::Config;

use crate::error::{Error, config_error};

/// A loaded configuration and the folder its relative paths start from.
pub struct Workspace {
    pub config: Config,
    pub base: PathBuf,
}

impl Workspace {
    pub fn load(path: &Path) -> Result<Workspace, Error> {
        let path = path.to_path_buf();
        let config = load_config(&path)?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Workspace { config, base })
    }
}

/// Reads and checks `breakglass.toml`.
pub fn load_config(path: &Path) -> Result<Config, Error> {
    let text = read_config_text(path)?;
    Config::parse(&text).map_err(|e| {
        config_error(format!("{} is not usable: {e}", path.display())).hinted(
            e.hint().unwrap_or_else(|| {
                "compare it with the commented example `breakglass init --stdout` prints".into()
            }),
        )
    })
}

/// Reads `breakglass.toml`, saying what is wrong with a path that is not a readable text file.
pub fn read_config_text(path: &Path) -> Result<String, Error> {
    if path.is_dir() {
        return Err(config_error(format!(
            "{} is a folder, not a configuration file",
            path.display()
        ))
        .hinted(format!(
            "pass the file itself, e.g. `--config {}`",
            path.join("breakglass.toml").display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => config_error(format!("{} does not exist", path.display()))
            .hinted("run `breakglass init` to write a commented starting configuration, or pass `--config PATH`"),
        std::io::ErrorKind::PermissionDenied => config_error(format!(
            "cannot read {}: permission denied",
            path.display()
        ))
        .hinted("run breakglass as the user who owns it, or make it readable to you (it holds no secret)"),
        _ => config_error(format!("cannot read {}: {e}", path.display()))
            .hinted("check that the path names a readable file"),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        config_error(format!(
            "{} is not UTF-8 text (line {line}, byte {at} is not)",
            path.display()
        ))
        .hinted("save it as UTF-8; a TOML file is plain text, and `breakglass init --stdout` prints one to start from")
    })
}
