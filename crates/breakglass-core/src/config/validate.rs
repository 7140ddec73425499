//! The checks a parsed configuration must pass: Entra's limits on names and ids, and
//! Microsoft's emergency access guidance. The first problem found is the one reported.

use std::collections::BTreeSet;

use super::{
    AppConfig, ConditionalAccessConfig, Config, ConfigError, CredentialKind, CredentialPolicy,
    GroupConfig, StoreKind, Threshold, UsersConfig,
};
use crate::roles;

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_app(&self.app)?;
        validate_credentials(&self.app.credentials)?;
        validate_users(&self.users)?;
        validate_group(&self.group)?;
        validate_skip_policies(&self.conditional_access)
    }
}

/// The app's name and its authority: a known role or known Graph permissions, never both.
fn validate_app(app: &AppConfig) -> Result<(), ConfigError> {
    let name = app.name.trim();
    if name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control) {
        return Err(ConfigError::BadAppName(name.chars().count()));
    }
    match (&app.role, app.graph_permissions.is_empty()) {
        (Some(_), false) => return Err(ConfigError::AppAuthority("both")),
        (None, true) => return Err(ConfigError::AppAuthority("neither")),
        (Some(role), true) if roles::by_name(role).is_none() => {
            return Err(ConfigError::UnknownRole(role.clone()));
        }
        _ => {}
    }
    for permission in &app.graph_permissions {
        if !crate::graph_permissions::is_known(permission) {
            return Err(ConfigError::UnknownPermission(permission.clone()));
        }
    }
    if app.credentials.is_empty() {
        return Err(ConfigError::NoCredentials);
    }
    Ok(())
}

/// Labels name credentials in the tenant and the stores, so each is unique and safe to use
/// in a display name.
fn validate_credentials(credentials: &[CredentialPolicy]) -> Result<(), ConfigError> {
    let mut labels = BTreeSet::new();
    for credential in credentials {
        let label = &credential.label;
        let label_ok = (1..=32).contains(&label.len())
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !label_ok {
            return Err(ConfigError::BadLabel(label.clone()));
        }
        if !labels.insert(label.clone()) {
            return Err(ConfigError::DuplicateLabel(label.clone()));
        }
        validate_credential(credential)?;
    }
    Ok(())
}

/// A credential's lifetime, its rotation and its store.
fn validate_credential(credential: &CredentialPolicy) -> Result<(), ConfigError> {
    let bad = |reason: String| ConfigError::BadCredential {
        label: credential.label.clone(),
        reason,
    };
    if !(1..=3650).contains(&credential.lifetime_days) {
        return Err(bad("lifetime_days must be between 1 and 3650".into()));
    }
    if let Some(rotate) = credential.rotate_after_days
        && (rotate == 0 || rotate >= credential.lifetime_days)
    {
        return Err(bad(format!(
            "rotate_after_days = {rotate} must be at least 1 and less than lifetime_days = {}",
            credential.lifetime_days
        )));
    }
    match (credential.store, &credential.shares) {
        (StoreKind::Shares, None) => Err(bad(
            "store = \"shares\" needs shares = \"k-of-n\", e.g. \"3-of-5\"".into(),
        )),
        (StoreKind::Shares, Some(text)) if Threshold::parse(text).is_none() => Err(bad(format!(
            "shares = \"{text}\" is not k-of-n with 2 <= k <= n <= 16"
        ))),
        (StoreKind::Keepass | StoreKind::Sheet | StoreKind::Pkcs11, Some(_)) => {
            Err(bad("shares is only for store = \"shares\"".into()))
        }
        _ => validate_pkcs11(credential).map_err(bad),
    }
}

/// `store = "pkcs11"` needs a certificate and the module, token and key; other stores none.
fn validate_pkcs11(credential: &CredentialPolicy) -> Result<(), String> {
    let fields = [
        ("pkcs11_module", &credential.pkcs11_module),
        ("pkcs11_token", &credential.pkcs11_token),
        ("pkcs11_key", &credential.pkcs11_key),
    ];
    if credential.store != StoreKind::Pkcs11 {
        if credential.pkcs11_algorithm.is_some() {
            return Err("pkcs11_algorithm is only for store = \"pkcs11\"".to_string());
        }
        return match fields.iter().find(|(_, value)| value.is_some()) {
            Some((name, _)) => Err(format!("{name} is only for store = \"pkcs11\"")),
            None => Ok(()),
        };
    }
    if credential.kind != CredentialKind::Certificate {
        return Err(
            "store = \"pkcs11\" holds a key, so it needs kind = \"certificate\"".to_string(),
        );
    }
    for (name, value) in fields {
        match value.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(format!(
                    "store = \"pkcs11\" needs {name}, e.g. pkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\", pkcs11_token = \"breakglass\", pkcs11_key = \"{}\"",
                    credential.label
                ));
            }
            Some(text) if text.len() > 32 && name != "pkcs11_module" => {
                return Err(format!(
                    "{name} = \"{text}\" is longer than a token label can be (32 bytes)"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn validate_users(users: &UsersConfig) -> Result<(), ConfigError> {
    match users.count {
        1 => return Err(ConfigError::SingleUser),
        n if n > 10 => return Err(ConfigError::TooManyUsers(n)),
        _ => {}
    }
    let prefix = &users.prefix;
    if prefix.is_empty()
        || prefix.len() > 20
        || !prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ConfigError::BadPrefix(prefix.clone()));
    }
    if roles::by_name(&users.role).is_none() {
        return Err(ConfigError::UnknownRole(users.role.clone()));
    }
    Ok(())
}

fn validate_group(group: &GroupConfig) -> Result<(), ConfigError> {
    if group.name.trim().is_empty() {
        return Err(ConfigError::BadGroup("name must not be empty".into()));
    }
    // Entra's limits: a group's and an application's display name hold at most 256
    // characters; Graph refuses longer ones.
    if group.name.chars().count() > 256 {
        return Err(ConfigError::BadGroup(format!(
            "name is {} characters long; Entra allows at most 256",
            group.name.chars().count()
        )));
    }
    let nickname = &group.mail_nickname;
    if nickname.is_empty()
        || nickname.len() > 64
        || !nickname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConfigError::BadGroup(format!(
            "mail_nickname `{nickname}` must be 1-64 letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

fn validate_skip_policies(conditional_access: &ConditionalAccessConfig) -> Result<(), ConfigError> {
    for id in &conditional_access.skip_policies {
        if uuid::Uuid::parse_str(id.trim()).is_err() {
            return Err(ConfigError::BadPolicyId(id.clone()));
        }
    }
    Ok(())
}
