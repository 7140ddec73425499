//! `tenants.toml`: every tenant one organisation or managed-service provider looks after, each
//! with its own `breakglass.toml`, cloud and operator sign-in, for commands run across all of
//! them. The file names where secrets are, never a secret itself.

mod outcome;
mod pkcs11;
mod starter;
pub mod summary_html;

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::TenantId;
use crate::config::{Pkcs11Location, SyntaxError};

pub use outcome::{Overall, TenantStatus, overall};
pub use starter::STARTER;

/// The tenants to run a command for, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantsFile {
    pub tenants: Vec<TenantEntry>,
}

/// One tenant: where its configuration is and how the operator signs in to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantEntry {
    /// A short name, unique in the file, shown in every row and section.
    pub name: String,
    pub tenant_id: TenantId,
    /// `public`, `usgov`, `china` or a cloud profile's path; `None` is `[tenant] cloud` of
    /// its configuration, else public.
    pub cloud: Option<String>,
    /// Its `breakglass.toml`, as written: relative to the tenants file when relative.
    pub config: String,
    /// The operator's application (client) id; `None` only for device code, which then uses
    /// Microsoft's Graph command-line tools app.
    pub client_id: Option<String>,
    pub sign_in: SignIn,
    /// A file whose first line is the master password of this tenant's KeePass database
    /// (relative to the tenants file); without it, BREAKGLASS_KEEPASS_PASSWORD.
    pub keepass_password_file: Option<String>,
}

/// How the operator signs in to one tenant. Each names where the secret is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// The client secret is in this environment variable.
    SecretFromEnv(String),
    /// The client secret is the first line of this file (relative to the tenants file).
    SecretFromFile(String),
    /// A PEM file with the certificate and its private key (relative to the tenants file).
    Certificate(String),
    /// A certificate whose private key is on a PKCS#11 token, which signs the assertion.
    Pkcs11 {
        location: Pkcs11Location,
        /// A file whose first line is the token's user PIN (relative to the tenants file);
        /// without it, BREAKGLASS_PKCS11_PIN.
        pin_file: Option<String>,
        /// How the token signs the operator's assertions (PS256 unless RS256 is asked for).
        algorithm: crate::config::TokenSignature,
    },
    /// A person signs in with a device code.
    DeviceCode,
}

impl SignIn {
    /// Names the way of signing in, for the summary.
    pub fn describe(&self) -> String {
        match self {
            SignIn::SecretFromEnv(name) => format!("client secret from ${name}"),
            SignIn::SecretFromFile(path) => format!("client secret from {path}"),
            SignIn::Certificate(path) => format!("certificate {path}"),
            SignIn::Pkcs11 { location, .. } => format!(
                "key `{}` on PKCS#11 token `{}`",
                location.key, location.token
            ),
            SignIn::DeviceCode => "device code".to_string(),
        }
    }
}

/// Why a tenants file cannot be used, each naming the tenant and what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TenantsError {
    #[error("{0}")]
    Syntax(Box<SyntaxError>),
    #[error("the tenants file lists no tenant; add a [[tenant]] table for each")]
    Empty,
    #[error(
        "tenant #{index}: `name` must be 1-64 letters, digits, '-', '_' or '.' (it is `{name}`)"
    )]
    BadName { index: usize, name: String },
    #[error("two tenants are named `{0}`; names must be unique")]
    DuplicateName(String),
    #[error(
        "tenants `{first}` and `{second}` have the same tenant_id {tenant_id}; list each tenant once"
    )]
    DuplicateTenant {
        first: String,
        second: String,
        tenant_id: String,
    },
    #[error("tenant `{name}`: tenant_id: {reason}")]
    BadTenantId { name: String, reason: String },
    #[error("tenant `{name}`: {reason}")]
    Invalid { name: String, reason: String },
    #[error(
        "tenant `{0}` holds a client secret in the tenants file; secrets never go there: name an environment variable with client_secret_env, or a 0600 file with client_secret_file"
    )]
    SecretInFile(String),
    #[error("no tenant named {unknown} in the tenants file; it lists {known}")]
    UnknownNames { unknown: String, known: String },
}

impl TenantsError {
    /// What to do about it, when there is more to say than the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            TenantsError::Syntax(syntax) => syntax.hint.clone(),
            _ => None,
        }
    }
}

/// The file as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    tenant: Vec<RawTenant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    name: String,
    tenant_id: String,
    #[serde(default)]
    cloud: Option<String>,
    config: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret_env: Option<String>,
    #[serde(default)]
    client_secret_file: Option<String>,
    #[serde(default)]
    certificate_path: Option<String>,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    pkcs11_module: Option<String>,
    #[serde(default)]
    pkcs11_token: Option<String>,
    #[serde(default)]
    pkcs11_key: Option<String>,
    #[serde(default)]
    pkcs11_pin_file: Option<String>,
    #[serde(default)]
    pkcs11_algorithm: Option<crate::config::TokenSignature>,
    #[serde(default)]
    keepass_password_file: Option<String>,
    /// Read only to refuse it; its value is never kept or shown.
    #[serde(default)]
    client_secret: Option<toml::Value>,
}

impl TenantsFile {
    /// Parses and checks a tenants file.
    pub fn parse(text: &str) -> Result<TenantsFile, TenantsError> {
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| TenantsError::Syntax(Box::new(SyntaxError::new(text, &e))))?;
        if raw.tenant.is_empty() {
            return Err(TenantsError::Empty);
        }
        let tenants = raw
            .tenant
            .into_iter()
            .enumerate()
            .map(|(index, raw)| checked(index + 1, raw))
            .collect::<Result<Vec<_>, _>>()?;
        let mut names = BTreeSet::new();
        for (index, tenant) in tenants.iter().enumerate() {
            if !names.insert(tenant.name.as_str()) {
                return Err(TenantsError::DuplicateName(tenant.name.clone()));
            }
            let key = tenant.tenant_id.to_string().to_ascii_lowercase();
            if let Some(first) = tenants[..index]
                .iter()
                .find(|t| t.tenant_id.to_string().to_ascii_lowercase() == key)
            {
                return Err(TenantsError::DuplicateTenant {
                    first: first.name.clone(),
                    second: tenant.name.clone(),
                    tenant_id: tenant.tenant_id.to_string(),
                });
            }
        }
        Ok(TenantsFile { tenants })
    }

    /// The tenants `--only` names (comma-separated lists allowed), in the file's order; all
    /// when `only` is empty.
    pub fn select(&self, only: &[String]) -> Result<Vec<&TenantEntry>, TenantsError> {
        let wanted: BTreeSet<&str> = only
            .iter()
            .flat_map(|names| names.split(','))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(self.tenants.iter().collect());
        }
        let unknown: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|name| !self.tenants.iter().any(|t| t.name == *name))
            .collect();
        if !unknown.is_empty() {
            let quote = |names: Vec<&str>| {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(TenantsError::UnknownNames {
                unknown: quote(unknown),
                known: quote(self.tenants.iter().map(|t| t.name.as_str()).collect()),
            });
        }
        Ok(self
            .tenants
            .iter()
            .filter(|t| wanted.contains(t.name.as_str()))
            .collect())
    }
}

fn good_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn good_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn checked(index: usize, raw: RawTenant) -> Result<TenantEntry, TenantsError> {
    let name = raw.name.trim().to_string();
    if !good_name(&name) {
        return Err(TenantsError::BadName { index, name });
    }
    let invalid = |reason: String| TenantsError::Invalid {
        name: name.clone(),
        reason,
    };
    if raw.client_secret.is_some() {
        return Err(TenantsError::SecretInFile(name));
    }
    let tenant_id: TenantId =
        raw.tenant_id
            .parse()
            .map_err(|e: crate::TenantIdError| TenantsError::BadTenantId {
                name: name.clone(),
                reason: e.to_string(),
            })?;
    if raw.config.trim().is_empty() {
        return Err(invalid(
            "`config` is empty; name the tenant's breakglass.toml".into(),
        ));
    }
    let device_code = match raw.auth.as_deref().map(str::trim) {
        None => false,
        Some("device-code") => true,
        Some(other) => {
            return Err(invalid(format!(
                "auth = \"{other}\" is not a sign-in breakglass knows; use \"device-code\", or leave auth out and give client_secret_env, client_secret_file, certificate_path or pkcs11_module, pkcs11_token and pkcs11_key"
            )));
        }
    };
    let mut ways = Vec::new();
    if let Some(env) = raw.client_secret_env {
        if !good_env_name(env.trim()) {
            return Err(invalid(format!(
                "client_secret_env = \"{env}\" is not an environment variable's name (letters, digits and '_'); it names the variable holding the secret, not the secret"
            )));
        }
        ways.push(SignIn::SecretFromEnv(env.trim().to_string()));
    }
    if let Some(path) = raw.client_secret_file {
        ways.push(SignIn::SecretFromFile(path));
    }
    if let Some(path) = raw.certificate_path {
        ways.push(SignIn::Certificate(path));
    }
    let given = pkcs11::Given {
        module: raw.pkcs11_module,
        token: raw.pkcs11_token,
        key: raw.pkcs11_key,
        pin_file: raw.pkcs11_pin_file,
        algorithm: raw.pkcs11_algorithm,
    };
    if let Some(sign_in) = given.sign_in().map_err(invalid)? {
        ways.push(sign_in);
    }
    if device_code {
        ways.push(SignIn::DeviceCode);
    }
    if ways.len() != 1 {
        return Err(invalid(format!(
            "give exactly one way to sign in (client_secret_env, client_secret_file, certificate_path, pkcs11_module with pkcs11_token and pkcs11_key, or auth = \"device-code\"); it gives {}",
            ways.len()
        )));
    }
    let sign_in = ways.remove(0);
    let client_id = raw
        .client_id
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty());
    if client_id.is_none() && sign_in != SignIn::DeviceCode {
        return Err(invalid(
            "`client_id` is missing: the operator's application (client) id, which its secret, certificate or token key belongs to".into(),
        ));
    }
    if let Some(id) = client_id
        .as_deref()
        .filter(|id| uuid::Uuid::try_parse(id).is_err())
    {
        return Err(invalid(format!(
            "client_id `{id}` is not an application (client) id (a GUID)"
        )));
    }
    Ok(TenantEntry {
        name,
        tenant_id,
        cloud: raw.cloud.filter(|c| !c.trim().is_empty()),
        config: raw.config,
        client_id,
        sign_in,
        keepass_password_file: raw.keepass_password_file.filter(|p| !p.trim().is_empty()),
    })
}

#[cfg(test)]
mod tests;
