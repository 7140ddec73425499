//! Where `breakglass.toml` is and how the KeePass password is read: a file, stdin, the
//! environment or a prompt, never argv. The provisioning itself is `breakglass_ops::provision`.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use breakglass_ops::provision::Workspace;
use breakglass_ops::provision::vault::KeePassPassword;

use crate::error::{CommandError, config_error};

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

    /// Never ask on the terminal: set for each tenant of a run across tenants, where
    /// prompts for several tenants at once could not be told apart.
    #[arg(skip)]
    pub never_prompt: bool,
}

impl ConfigArgs {
    /// The configuration `--config` names, read and checked.
    pub fn workspace(&self) -> Result<Workspace, CommandError> {
        Ok(Workspace::load(&self.config)?)
    }
}

/// The environment variable that may hold the KeePass master password.
pub const KEEPASS_PASSWORD_ENV: &str = breakglass_core::env::BREAKGLASS_KEEPASS_PASSWORD;

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
                    .hinted("pipe the password in as one line of UTF-8 text")
            })?;
            line
        } else {
            read_password_file(file)?
        };
        let line = text.lines().next().unwrap_or_default().to_string();
        if line.is_empty() {
            return Err(config_error(format!(
                "the KeePass password file {} is empty",
                file.display()
            ))
            .hinted("write the master password on its first line (the file should be mode 0600), or use BREAKGLASS_KEEPASS_PASSWORD"));
        }
        return Ok(KeePassPassword::Given(SecretString::from(line)));
    }
    if let Ok(value) = std::env::var(KEEPASS_PASSWORD_ENV)
        && !value.is_empty()
    {
        return Ok(KeePassPassword::Given(SecretString::from(value)));
    }
    if !args.never_prompt && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
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

/// Reads a file holding the KeePass password, saying what to do when it cannot be read.
pub fn read_password_file(file: &Path) -> Result<zeroize::Zeroizing<String>, CommandError> {
    if file.is_dir() {
        return Err(config_error(format!(
            "the KeePass password file {} is a folder",
            file.display()
        ))
        .hinted("pass a file whose first line is the password"));
    }
    let bytes = zeroize::Zeroizing::new(std::fs::read(file).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "check the path; or set BREAKGLASS_KEEPASS_PASSWORD, or leave the flag out to be asked on the terminal"
        } else {
            "make the file readable to you (and to nobody else: mode 0600)"
        };
        config_error(format!(
            "cannot read the KeePass password file {}: {e}",
            file.display()
        ))
        .hinted(hint)
    })?);
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(zeroize::Zeroizing::new(text.to_string())),
        Err(_) => Err(config_error(format!(
            "the KeePass password file {} is not UTF-8 text",
            file.display()
        ))
        .hinted("write the password as text on the file's first line")),
    }
}
