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
pub fn load_config(path: &Path) -> Result<Config, CommandError> {
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
pub fn read_config_text(path: &Path) -> Result<String, CommandError> {
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
