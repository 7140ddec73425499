//! Where `breakglass.toml` is and how the KeePass password is read: a file, stdin, the
//! environment or a prompt, never argv. The provisioning itself is `breakglass_ops::provision`.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use breakglass_ops::provision::Workspace;
use breakglass_ops::provision::token_store::{PinSource, Tokens};
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

    /// A file whose first line is the user PIN of the PKCS#11 token that holds a
    /// `store = "pkcs11"` credential. Without it, BREAKGLASS_PKCS11_PIN is used, or a
    /// prompt on the terminal. The PIN is tried once, never retried.
    #[arg(long, value_name = "PATH")]
    pub pkcs11_pin_file: Option<PathBuf>,
}

impl ConfigArgs {
    /// The configuration `--config` names, read and checked.
    pub fn workspace(&self) -> Result<Workspace, CommandError> {
        Ok(Workspace::load(&self.config)?)
    }

    /// The PKCS#11 tokens, with their PIN read (only when a token is opened) from
    /// `--pkcs11-pin-file`, BREAKGLASS_PKCS11_PIN or a prompt. Never argv.
    pub fn tokens(&self) -> Tokens {
        let file = self.pkcs11_pin_file.clone();
        let may_prompt = !self.never_prompt;
        Tokens::new(PinSource::new(move |token| {
            pkcs11_pin(file.as_deref(), token, may_prompt).map_err(|e| {
                e.hints()
                    .iter()
                    .fold(breakglass_ops::config_error(e.message()), |error, hint| {
                        error.hinted(hint.clone())
                    })
            })
        }))
    }
}

/// Reads the PIN of `token`: the file, the environment, or a prompt on the terminal.
fn pkcs11_pin(
    file: Option<&Path>,
    token: &str,
    may_prompt: bool,
) -> Result<SecretString, CommandError> {
    let source = PinOrigin {
        what: "PKCS#11 PIN",
        first_line: "the token's user PIN",
        env: PKCS11_PIN_ENV,
        flag: "--pkcs11-pin-file",
        prompt: format!("User PIN of PKCS#11 token `{token}`: "),
        needed: format!("the user PIN of PKCS#11 token `{token}` is needed"),
    };
    read_pin(file, &source, may_prompt)
}

/// Where a device's PIN may come from, and how to name it in messages.
pub struct PinOrigin<'a> {
    /// e.g. "PKCS#11 PIN".
    pub what: &'a str,
    /// What goes on the file's first line.
    pub first_line: &'a str,
    pub env: &'a str,
    pub flag: &'a str,
    pub prompt: String,
    /// The error when no source gave it.
    pub needed: String,
}

/// Reads a PIN from `file`, else the environment variable, else a prompt on the terminal
/// (when `may_prompt`). Never argv.
pub fn read_pin(
    file: Option<&Path>,
    source: &PinOrigin<'_>,
    may_prompt: bool,
) -> Result<SecretString, CommandError> {
    let env = source.env;
    if let Some(file) = file {
        let text = read_secret_file(file, source.what, env)?;
        let line = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end()
            .to_string();
        if line.is_empty() {
            return Err(config_error(format!(
                "the {} file {} is empty",
                source.what,
                file.display()
            ))
            .hinted(format!(
                "write {} on its first line (mode 0600), or use {env}",
                source.first_line
            )));
        }
        return Ok(SecretString::from(line));
    }
    if let Ok(value) = std::env::var(env)
        && !value.is_empty()
    {
        return Ok(SecretString::from(value));
    }
    if may_prompt && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let pin = rpassword::prompt_password(&source.prompt)
            .map_err(|e| config_error(format!("cannot read the PIN: {e}")))?;
        return Ok(SecretString::from(pin));
    }
    Err(config_error(source.needed.clone()).hinted(format!(
        "set {env}, pass `{} PATH`, or run on a terminal to be asked",
        source.flag
    )))
}

/// The environment variable that may hold the PKCS#11 token's user PIN.
pub const PKCS11_PIN_ENV: &str = breakglass_core::env::BREAKGLASS_PKCS11_PIN;

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
            read_secret_file(file, "KeePass password", KEEPASS_PASSWORD_ENV)?
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
    read_secret_file(file, "KeePass password", KEEPASS_PASSWORD_ENV)
}

/// Reads a file holding `what` (a password or PIN), saying what to do when it cannot be read;
/// `env` is the variable that could be used instead.
fn read_secret_file(
    file: &Path,
    what: &str,
    env: &str,
) -> Result<zeroize::Zeroizing<String>, CommandError> {
    if file.is_dir() {
        return Err(
            config_error(format!("the {what} file {} is a folder", file.display()))
                .hinted(format!("pass a file whose first line is the {what}")),
        );
    }
    let bytes = zeroize::Zeroizing::new(std::fs::read(file).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "check the path; or set {env}, or leave the flag out to be asked on the terminal"
            )
        } else {
            "make the file readable to you (and to nobody else: mode 0600)".to_string()
        };
        config_error(format!(
            "cannot read the {what} file {}: {e}",
            file.display()
        ))
        .hinted(hint)
    })?);
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(zeroize::Zeroizing::new(text.to_string())),
        Err(_) => Err(config_error(format!(
            "the {what} file {} is not UTF-8 text",
            file.display()
        ))
        .hinted(format!("write the {what} as text on the file's first line"))),
    }
}
