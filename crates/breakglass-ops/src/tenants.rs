//! One tenant of a run across tenants, made usable: its configuration file and cloud profile
//! found relative to the tenants file, and its operator credential read from where the entry
//! says. Reading the tenants file and judging the run are `breakglass_core::tenants`.

use std::path::{Path, PathBuf};

use breakglass_core::KnownCloud;
use breakglass_core::config::Config;
use breakglass_core::tenants::{SignIn, TenantEntry, TenantsFile};
use secrecy::SecretString;

use crate::error::{Error, config_error};
use crate::provision::token_store::{PinSource, Tokens};
use crate::session::Operator;

/// Reads and checks a tenants file.
pub fn load(path: &Path) -> Result<TenantsFile, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        config_error(format!(
            "cannot read the tenants file {}: {e}",
            path.display()
        ))
        .hinted("`breakglass init --tenants` writes a commented example")
    })?;
    TenantsFile::parse(&text).map_err(|e| {
        let error = config_error(format!("{} is not usable: {e}", path.display()));
        match e.hint() {
            Some(hint) => error.hinted(hint),
            None => error,
        }
    })
}

/// Where one tenant's files are and how to sign in to it.
pub struct TenantTarget {
    /// Its name in the tenants file.
    pub name: String,
    /// As the tenants file gives it.
    pub tenant_id: breakglass_core::TenantId,
    /// Its breakglass.toml.
    pub config_path: PathBuf,
    pub config: Config,
    /// The cloud's name or profile path: the entry's, else `[tenant] cloud`, else `None`
    /// (public).
    pub cloud: Option<String>,
    pub operator: Operator,
    /// The tenant's KeePass password file, checked to be readable by its owner only.
    pub keepass_password_file: Option<PathBuf>,
}

/// The folder the tenants file is in, against which its relative paths are read.
pub fn base_dir(tenants_file: &Path) -> PathBuf {
    tenants_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn relative_to(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// A cloud named by the entry: a known name as is, a profile path relative to `base`.
fn cloud_spec(base: &Path, spec: &str) -> String {
    if KnownCloud::from_name(spec.trim()).is_some() {
        spec.trim().to_string()
    } else {
        relative_to(base, spec.trim()).display().to_string()
    }
}

/// Resolves one entry: reads its configuration and its operator secret. The tenant the
/// configuration names must be the entry's, as `--tenant` must agree with it. `tokens` are
/// the PKCS#11 tokens of the whole run, shared so that each is logged in to at most once.
pub fn resolve(base: &Path, entry: &TenantEntry, tokens: &Tokens) -> Result<TenantTarget, Error> {
    let config_path = relative_to(base, &entry.config);
    let config = crate::provision::load_config(&config_path)?;
    let cloud = match (&entry.cloud, &config.tenant.cloud) {
        (Some(given), _) => Some(cloud_spec(base, given)),
        (None, Some(configured)) => Some(cloud_spec(
            &config_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            configured,
        )),
        (None, None) => None,
    };
    let operator = operator(base, entry, tokens)?;
    let keepass_password_file = match &entry.keepass_password_file {
        Some(path) => {
            let path = relative_to(base, path);
            private_file(&entry.name, &path)?;
            Some(path)
        }
        None => None,
    };
    Ok(TenantTarget {
        name: entry.name.clone(),
        keepass_password_file,
        tenant_id: entry.tenant_id.clone(),
        config_path,
        config,
        cloud,
        operator,
    })
}

fn operator(base: &Path, entry: &TenantEntry, tokens: &Tokens) -> Result<Operator, Error> {
    let tenant = entry.tenant_id.clone();
    let client_id = entry.client_id.clone().unwrap_or_default();
    Ok(match &entry.sign_in {
        SignIn::SecretFromEnv(name) => {
            let value = std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    config_error(format!(
                        "tenant `{}`: the environment variable {name} holding its operator secret is not set",
                        entry.name
                    ))
                    .hinted(format!("set {name}, or name another variable with client_secret_env"))
                })?;
            Operator::Secret {
                tenant,
                client_id,
                secret: SecretString::from(value),
            }
        }
        SignIn::SecretFromFile(path) => Operator::Secret {
            tenant,
            client_id,
            secret: secret_file(
                &entry.name,
                &relative_to(base, path),
                "client_secret_file",
                "the operator's client secret",
            )?,
        },
        SignIn::Certificate(path) => Operator::Certificate {
            tenant,
            client_id,
            path: relative_to(base, path),
        },
        SignIn::Pkcs11 {
            location,
            pin_file,
            algorithm,
        } => Operator::Pkcs11 {
            tenant,
            client_id,
            algorithm: crate::provision::token_store::token_algorithm(*algorithm),
            location: location.clone(),
            tokens: tokens.with_pin(pin_source(base, &entry.name, pin_file.as_deref())?),
        },
        SignIn::DeviceCode => Operator::device_code(Some(tenant), entry.client_id.clone())?,
    })
}

/// Where the PIN of the tenant's operator token comes from: its `pkcs11_pin_file` (checked
/// now, so a file others can read is refused before the token is touched), else
/// BREAKGLASS_PKCS11_PIN. Never a prompt: several tenants' prompts could not be told apart.
fn pin_source(base: &Path, tenant: &str, pin_file: Option<&str>) -> Result<PinSource, Error> {
    let env = breakglass_core::env::BREAKGLASS_PKCS11_PIN;
    let Some(path) = pin_file.map(|p| relative_to(base, p)) else {
        let tenant = tenant.to_string();
        return Ok(PinSource::new(move |token| {
            std::env::var(env)
                .ok()
                .filter(|pin| !pin.is_empty())
                .map(SecretString::from)
                .ok_or_else(|| {
                    config_error(format!(
                        "tenant `{tenant}`: the user PIN of PKCS#11 token `{token}` is needed"
                    ))
                    .hinted(format!(
                        "set {env}, or give the tenant a pkcs11_pin_file; a run across tenants never prompts"
                    ))
                })
        }));
    };
    private_file(tenant, &path)?;
    let tenant = tenant.to_string();
    Ok(PinSource::new(move |_| {
        secret_file(&tenant, &path, "pkcs11_pin_file", "the token's user PIN")
    }))
}

/// Refuses a secret file that others may read, as ssh refuses a private key.
fn private_file(tenant: &str, path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(mode) = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777)
            && mode & 0o077 != 0
        {
            return Err(config_error(format!(
                "tenant `{tenant}`: the secret file {} can be read by others (mode {mode:o})",
                path.display()
            ))
            .hinted(format!("chmod 600 {}", path.display())));
        }
    }
    Ok(())
}

/// The first line of a secret file that nobody else may read; `key` is the tenants file's
/// key that names it and `what` the secret it holds, for the hints.
fn secret_file(tenant: &str, path: &Path, key: &str, what: &str) -> Result<SecretString, Error> {
    private_file(tenant, path)?;
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        config_error(format!(
            "tenant `{tenant}`: cannot read the secret file {}: {e}",
            path.display()
        ))
        .hinted(format!("{key} names a file whose first line is {what}"))
    })?);
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return Err(config_error(format!(
            "tenant `{tenant}`: the secret file {} is empty",
            path.display()
        ))
        .hinted(format!("write {what} on its first line")));
    }
    Ok(SecretString::from(line.to_string()))
}
