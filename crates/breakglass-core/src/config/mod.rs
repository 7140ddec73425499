//! `breakglass.toml`: the declared emergency access identities, parsed and checked
//! against Microsoft's emergency access guidance before anything touches a tenant.

mod starter;
mod syntax;
mod validate;

use serde::{Deserialize, Serialize};

use crate::roles;

pub use starter::STARTER;
pub use syntax::SyntaxError;

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub tenant: TenantSection,
    pub app: AppConfig,
    #[serde(default)]
    pub users: UsersConfig,
    #[serde(default)]
    pub group: GroupConfig,
    #[serde(default)]
    pub stores: StoresConfig,
    #[serde(default)]
    pub drift: DriftConfig,
    #[serde(default)]
    pub conditional_access: ConditionalAccessConfig,
}

/// Which tenant and cloud; both may come from the environment instead.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSection {
    /// Directory id or initial domain; `AZURE_TENANT_ID` when absent.
    pub id: Option<String>,
    /// `public`, `usgov`, `china` or a path to a cloud profile.
    pub cloud: Option<String>,
}

/// The emergency access application and its service principal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub name: String,
    /// A directory role held permanently and actively at tenant scope.
    #[serde(default)]
    pub role: Option<String>,
    /// Microsoft Graph application permissions instead of a directory role.
    #[serde(default)]
    pub graph_permissions: Vec<String>,
    /// Lock the service principal's credentials so they can only change on the app.
    #[serde(default = "yes")]
    pub lock_credentials: bool,
    /// Give the app an app management policy of its own that allows its declared credentials,
    /// so a tenant-wide credential restriction does not stop apply and rotation.
    #[serde(default)]
    pub exempt_from_app_management_policy: bool,
    pub credentials: Vec<CredentialPolicy>,
}

fn yes() -> bool {
    true
}

/// One client credential of the app and where it is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialPolicy {
    /// A short name, e.g. `offline` or `rotating`; stored as the credential's display name.
    pub label: String,
    pub kind: CredentialKind,
    pub store: StoreKind,
    /// `k-of-n` when the store is `shares`, e.g. `3-of-5`.
    #[serde(default)]
    pub shares: Option<String>,
    /// How long a new credential is valid.
    pub lifetime_days: u32,
    /// Rotate when a credential is this old; absent for credentials kept offline.
    #[serde(default)]
    pub rotate_after_days: Option<u32>,
    /// The PKCS#11 module (a shared library) when the store is `pkcs11`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11_module: Option<String>,
    /// The token's label when the store is `pkcs11`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11_token: Option<String>,
    /// The key's label on the token when the store is `pkcs11`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11_key: Option<String>,
    /// How the token signs client assertions when the store is `pkcs11`: `PS256` (RSA-PSS,
    /// the default) or `RS256` (PKCS#1 v1.5), for a token whose mechanisms lack PSS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11_algorithm: Option<TokenSignature>,
}

/// The signature a token makes on a client assertion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenSignature {
    /// RSASSA-PSS with SHA-256 (`CKM_SHA256_RSA_PKCS_PSS`), with `x5t#S256`.
    #[default]
    #[serde(rename = "PS256")]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`CKM_SHA256_RSA_PKCS`), with `x5t`.
    #[serde(rename = "RS256")]
    Rs256,
}

/// Where on which token a `pkcs11` credential's key is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkcs11Location {
    pub module: String,
    pub token: String,
    pub key: String,
}

impl CredentialPolicy {
    /// The token and key of a `pkcs11` credential (after validation, all three are set).
    pub fn pkcs11(&self) -> Option<Pkcs11Location> {
        match (&self.pkcs11_module, &self.pkcs11_token, &self.pkcs11_key) {
            (Some(module), Some(token), Some(key)) if self.store == StoreKind::Pkcs11 => {
                Some(Pkcs11Location {
                    module: module.clone(),
                    token: token.clone(),
                    key: key.clone(),
                })
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    Secret,
    Certificate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// A KeePass KDBX4 database.
    Keepass,
    /// A printable recovery sheet (PDF with a QR code).
    Sheet,
    /// Shamir shares, one sheet per custodian.
    Shares,
    /// A PKCS#11 token (smart card, HSM, SoftHSM2): the key is made on it and never leaves.
    Pkcs11,
}

/// The classic cloud-only emergency access user accounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersConfig {
    pub count: u32,
    /// The start of each user's name; a random part follows so it cannot be guessed.
    pub prefix: String,
    /// Create a Temporary Access Pass so the owner can register a passkey.
    #[serde(default)]
    pub temporary_access_pass: bool,
    #[serde(default = "global_administrator")]
    pub role: String,
}

fn global_administrator() -> String {
    roles::GLOBAL_ADMINISTRATOR.display_name.to_string()
}

impl Default for UsersConfig {
    fn default() -> Self {
        UsersConfig {
            count: 2,
            prefix: "breakglass".to_string(),
            temporary_access_pass: false,
            role: global_administrator(),
        }
    }
}

/// The group that Conditional Access policies exclude.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    pub name: String,
    /// The group's mail nickname, which is how breakglass finds it again.
    pub mail_nickname: String,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            name: "Emergency access accounts".to_string(),
            mail_nickname: "breakglass-emergency-access".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoresConfig {
    /// The KeePass database file.
    pub keepass: String,
    /// The folder recovery and custodian sheets are written to.
    pub sheets: String,
}

impl Default for StoresConfig {
    fn default() -> Self {
        StoresConfig {
            keepass: "breakglass.kdbx".to_string(),
            sheets: "recovery-sheets".to_string(),
        }
    }
}

/// What `apply` repairs when the tenant drifted from the declaration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    /// Remove owners added to the app or its service principal.
    #[serde(default = "yes")]
    pub remove_owners: bool,
    /// Remove credentials that no store of breakglass holds.
    #[serde(default = "yes")]
    pub remove_unknown_credentials: bool,
    /// Restore removed role assignments.
    #[serde(default = "yes")]
    pub restore_roles: bool,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            remove_owners: true,
            remove_unknown_credentials: true,
            restore_roles: true,
        }
    }
}

/// Whether `apply` keeps the emergency identities excluded from Conditional Access.
///
/// Off by default: changing Conditional Access policies needs
/// `Policy.ReadWrite.ConditionalAccess` (or the Conditional Access Administrator role),
/// and a tenant that manages its policies elsewhere (Terraform, a pipeline) should not have
/// two owners of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalAccessConfig {
    /// Add the exclusion group to `excludeGroups` of every policy that targets users, and the
    /// emergency app's service principal to `excludeServicePrincipals` of every policy that
    /// targets workload identities, whatever the policy's state.
    #[serde(default)]
    pub exclude_from_policies: bool,
    /// Object ids of policies to leave as they are, e.g. one that deliberately requires
    /// phishing-resistant authentication of the emergency accounts.
    #[serde(default)]
    pub skip_policies: Vec<String>,
}

/// Why a configuration cannot be used, each naming what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0}")]
    Syntax(Box<SyntaxError>),
    #[error(
        "[app] name must be 1 to 256 characters without control characters, as Entra allows (it is {0} characters long)"
    )]
    BadAppName(usize),
    #[error("[app] needs either `role` or `graph_permissions`, not {0}")]
    AppAuthority(&'static str),
    #[error("`{0}` is not a directory role breakglass knows; use e.g. \"Global Administrator\"")]
    UnknownRole(String),
    #[error(
        "`{0}` is not a Microsoft Graph application permission; use names such as \"Directory.Read.All\""
    )]
    UnknownPermission(String),
    #[error("[app] declares no credentials; declare at least one [[app.credentials]]")]
    NoCredentials,
    #[error("two credentials are labelled `{0}`; labels must be unique")]
    DuplicateLabel(String),
    #[error("credential label `{0}` must be 1-32 letters, digits, '-' or '_'")]
    BadLabel(String),
    #[error("credential `{label}`: {reason}")]
    BadCredential { label: String, reason: String },
    #[error(
        "[users] count = 1, but Microsoft's guidance asks for at least two emergency access accounts; set count = 2 (or 0 to rely on the app alone)"
    )]
    SingleUser,
    #[error("[users] count = {0} is more than 10; emergency access accounts should be few")]
    TooManyUsers(u32),
    #[error("[users] prefix `{0}` must be 1-20 lowercase letters, digits or '-'")]
    BadPrefix(String),
    #[error("[group] {0}")]
    BadGroup(String),
    #[error("[conditional_access] skip_policies: `{0}` is not a policy object id (a GUID)")]
    BadPolicyId(String),
}

impl ConfigError {
    /// What to do about it, when there is more to say than the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Syntax(syntax) => syntax.hint.clone(),
            _ => None,
        }
    }
}
/// A `k-of-n` Shamir threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    pub k: u8,
    pub n: u8,
}

impl Threshold {
    /// Parses `3-of-5`.
    pub fn parse(text: &str) -> Option<Threshold> {
        let (k, n) = text.trim().split_once("-of-")?;
        let (k, n): (u8, u8) = (k.parse().ok()?, n.parse().ok()?);
        (2 <= k && k <= n && n <= 16).then_some(Threshold { k, n })
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-of-{}", self.k, self.n)
    }
}

impl CredentialPolicy {
    /// The Shamir threshold of a `shares` credential.
    pub fn threshold(&self) -> Option<Threshold> {
        self.shares.as_deref().and_then(Threshold::parse)
    }
}

impl Config {
    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Syntax(Box::new(SyntaxError::new(text, &e))))?;
        config.validate()?;
        Ok(config)
    }

    /// The declared credential with this label.
    pub fn credential(&self, label: &str) -> Option<&CredentialPolicy> {
        self.app.credentials.iter().find(|c| c.label == label)
    }
}

#[cfg(test)]
mod tests;
