//! Provisioning: `breakglass.toml` on one side, the tenant and the stores on the other.
//!
//! [`observe`] reads the tenant, `breakglass_core::plan` decides, [`apply`] acts, and
//! [`vault`] keeps the credentials. Commands (`plan`, `apply`, `credential …`) only wire
//! these together and report.

pub mod apply;
pub mod credentials;
pub mod keys;
pub mod observe;
pub mod rotate;
pub mod vault;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use breakglass_core::config::Config;
use secrecy::SecretString;

use crate::error::{CommandError, config_error};
use vault::KeePassPassword;

/// Where `breakglass.toml` is and how to read the KeePass password.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Configuration")]
pub struct ConfigArgs {
    /// The configuration file.
    #[arg(
        long,
        env = "BREAKGLASS_CONFIG",
        value_name = "PATH",
        default_value = "breakglass.toml"
    )]
    pub config: PathBuf,

    /// A file whose first line is the KeePass master password (`-` reads it from
    /// stdin). Without it, BREAKGLASS_KEEPASS_PASSWORD is used, or a prompt on the
    /// terminal.
    #[arg(long, value_name = "PATH")]
    pub keepass_password_file: Option<PathBuf>,
}

/// A loaded configuration and the folder its relative paths start from.
pub struct Workspace {
    pub config: Config,
    pub base: PathBuf,
}

impl Workspace {
    pub fn load(args: &ConfigArgs) -> Result<Workspace, CommandError> {
        let path = args.config.clone();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                config_error(format!("{} does not exist", path.display())).hinted("run `breakglass init` to write a commented starting configuration, or pass `--config PATH`")
            } else {
                config_error(format!("cannot read {}: {e}", path.display()))
            }
        })?;
        let config = Config::parse(&text).map_err(|e| {
            config_error(format!("{} is not usable: {e}", path.display()))
                .hinted("compare it with the commented example `breakglass init --stdout` prints")
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Workspace { config, base })
    }
}

/// The environment variable that may hold the KeePass master password.
pub const KEEPASS_PASSWORD_ENV: &str = "BREAKGLASS_KEEPASS_PASSWORD";

/// Finds the KeePass password: a file, the environment, or a prompt. Never argv.
pub fn keepass_password(
    args: &ConfigArgs,
    keepass_path: &Path,
    confirm_new: bool,
) -> Result<KeePassPassword, CommandError> {
    if let Some(file) = &args.keepass_password_file {
        // `-` reads the password from stdin, for a secret manager piping it in.
        let text = if file.as_os_str() == "-" {
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin().read_line(&mut line).map_err(|e| {
                config_error(format!("cannot read the KeePass password from stdin: {e}"))
            })?;
            line
        } else {
            zeroize::Zeroizing::new(std::fs::read_to_string(file).map_err(|e| {
                config_error(format!(
                    "cannot read the KeePass password file {}: {e}",
                    file.display()
                ))
            })?)
        };
        let line = text.lines().next().unwrap_or_default().to_string();
        if line.is_empty() {
            return Err(config_error(format!(
                "the KeePass password file {} is empty",
                file.display()
            )));
        }
        return Ok(KeePassPassword::Given(SecretString::from(line)));
    }
    if let Ok(value) = std::env::var(KEEPASS_PASSWORD_ENV)
        && !value.is_empty()
    {
        return Ok(KeePassPassword::Given(SecretString::from(value)));
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let prompt = format!("KeePass password for {}: ", keepass_path.display());
        let first = rpassword::prompt_password(&prompt)
            .map_err(|e| config_error(format!("cannot read the password: {e}")))?;
        if confirm_new && !keepass_path.exists() {
            let again = rpassword::prompt_password("Repeat it: ")
                .map_err(|e| config_error(format!("cannot read the password: {e}")))?;
            if again != first {
                return Err(config_error(
                    "the two passwords differ; nothing was changed",
                ));
            }
        }
        return Ok(KeePassPassword::Given(SecretString::from(first)));
    }
    Ok(KeePassPassword::Unavailable(format!(
        "set {KEEPASS_PASSWORD_ENV}, pass `--keepass-password-file PATH`, or run on a terminal to be asked"
    )))
}
