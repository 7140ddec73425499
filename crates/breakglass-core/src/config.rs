//! `breakglass.toml`: the declared emergency access identities, parsed and checked
//! against Microsoft's emergency access guidance before anything touches a tenant.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::roles;

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
    pub credentials: Vec<CredentialPolicy>,
}

fn yes() -> bool {
    true
}

/// One client credential of the app and where it is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// A TOML or type error, placed: line, table and key, with what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The table the line is in, as written: `[app]`, `[[app.credentials]]`.
    pub table: Option<String>,
    pub key: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl SyntaxError {
    fn new(text: &str, error: &toml::de::Error) -> SyntaxError {
        let start = error.span().map(|span| span.start.min(text.len()));
        let (line, column) = match start {
            Some(start) => {
                let before = &text[..floor_char_boundary(text, start)];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        let lines: Vec<&str> = text.lines().collect();
        let current = line.and_then(|l| lines.get(l - 1)).copied().unwrap_or("");
        let key = current
            .split_once('=')
            .map(|(key, _)| key.trim().trim_matches('"').to_string())
            .filter(|key| !key.is_empty() && !key.starts_with('['));
        let table = line.and_then(|l| {
            lines[..l.min(lines.len())]
                .iter()
                .rev()
                .map(|l| l.trim())
                .find(|l| l.starts_with('[') && l.contains(']'))
                .map(|l| l.split('#').next().unwrap_or(l).trim().to_string())
        });
        let (message, hint) = explain(error.message());
        // The message already names an unknown key; saying it twice helps nobody.
        let key = key.filter(|_| !message.starts_with("unknown key"));
        SyntaxError {
            line,
            column,
            table,
            key,
            message,
            hint,
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
            f.write_str(": ")?;
        }
        match (&self.key, &self.table) {
            (Some(key), Some(table)) => write!(f, "`{key}` in {table}: ")?,
            (Some(key), None) => write!(f, "`{key}`: ")?,
            (None, Some(table)) => write!(f, "{table}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Turns serde's and toml's wording into what a person editing the file needs, with the
/// closest known key for a misspelt one.
fn explain(message: &str) -> (String, Option<String>) {
    let message = message.trim().lines().next().unwrap_or_default().trim();
    let ticked = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = ticked(rest);
        if let Some((unknown, known)) = names.split_first() {
            let closest = known
                .iter()
                .min_by_key(|k| edit_distance(unknown, k))
                .filter(|k| edit_distance(unknown, k) <= 3);
            let hint = match closest {
                Some(k) => format!(
                    "did you mean `{k}`? the keys here are: {}",
                    known.join(", ")
                ),
                None => format!("the keys here are: {}", known.join(", ")),
            };
            return (format!("unknown key `{unknown}`"), Some(hint));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = ticked(rest);
        if let Some((unknown, known)) = names.split_first() {
            return (
                format!("`{unknown}` is not one of {}", known.join(", ")),
                Some(format!("write one of: {}", known.join(", "))),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = ticked(rest).into_iter().next().unwrap_or_default();
        return (
            format!("the required key `{field}` is missing"),
            Some(format!(
                "add `{field} = …` to this table; `breakglass init --stdout` shows every key with a comment"
            )),
        );
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            let expected = match expected.trim() {
                "u8" | "u16" | "u32" | "u64" | "usize" => {
                    "a whole number without quotes, e.g. 2".to_string()
                }
                "i8" | "i16" | "i32" | "i64" => "a whole number without quotes".to_string(),
                "a boolean" => "true or false, without quotes".to_string(),
                "a string" => "text in double quotes".to_string(),
                "a sequence" => "a list in brackets, e.g. [\"a\", \"b\"]".to_string(),
                other => other.to_string(),
            };
            let found = found.replace('`', "");
            return (
                format!("expected {expected}, found {found}"),
                Some(
                    "`breakglass init --stdout` shows every key with its type and a comment".into(),
                ),
            );
        }
    }
    (
        message.to_string(),
        Some("TOML needs `key = value` lines under [table] headers, text in double quotes; `breakglass init --stdout` prints a commented example".into()),
    )
}

/// Levenshtein distance, for suggesting the key a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
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

    pub fn validate(&self) -> Result<(), ConfigError> {
        let name = self.app.name.trim();
        if name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control) {
            return Err(ConfigError::BadAppName(name.chars().count()));
        }
        match (&self.app.role, self.app.graph_permissions.is_empty()) {
            (Some(_), false) => return Err(ConfigError::AppAuthority("both")),
            (None, true) => return Err(ConfigError::AppAuthority("neither")),
            (Some(role), true) if roles::by_name(role).is_none() => {
                return Err(ConfigError::UnknownRole(role.clone()));
            }
            _ => {}
        }
        for permission in &self.app.graph_permissions {
            if !crate::graph_permissions::is_known(permission) {
                return Err(ConfigError::UnknownPermission(permission.clone()));
            }
        }
        if self.app.credentials.is_empty() {
            return Err(ConfigError::NoCredentials);
        }
        let mut labels = BTreeSet::new();
        for credential in &self.app.credentials {
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
            let bad = |reason: String| ConfigError::BadCredential {
                label: label.clone(),
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
                (StoreKind::Shares, None) => {
                    return Err(bad(
                        "store = \"shares\" needs shares = \"k-of-n\", e.g. \"3-of-5\"".into(),
                    ));
                }
                (StoreKind::Shares, Some(text)) if Threshold::parse(text).is_none() => {
                    return Err(bad(format!(
                        "shares = \"{text}\" is not k-of-n with 2 <= k <= n <= 16"
                    )));
                }
                (StoreKind::Keepass | StoreKind::Sheet, Some(_)) => {
                    return Err(bad("shares is only for store = \"shares\"".into()));
                }
                _ => {}
            }
        }
        match self.users.count {
            1 => return Err(ConfigError::SingleUser),
            n if n > 10 => return Err(ConfigError::TooManyUsers(n)),
            _ => {}
        }
        let prefix = &self.users.prefix;
        if prefix.is_empty()
            || prefix.len() > 20
            || !prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ConfigError::BadPrefix(prefix.clone()));
        }
        if roles::by_name(&self.users.role).is_none() {
            return Err(ConfigError::UnknownRole(self.users.role.clone()));
        }
        if self.group.name.trim().is_empty() {
            return Err(ConfigError::BadGroup("name must not be empty".into()));
        }
        // Entra's limits: a group's and an application's display name hold at most 256
        // characters; Graph refuses longer ones.
        if self.group.name.chars().count() > 256 {
            return Err(ConfigError::BadGroup(format!(
                "name is {} characters long; Entra allows at most 256",
                self.group.name.chars().count()
            )));
        }
        let nickname = &self.group.mail_nickname;
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
        for id in &self.conditional_access.skip_policies {
            if uuid::Uuid::parse_str(id.trim()).is_err() {
                return Err(ConfigError::BadPolicyId(id.clone()));
            }
        }
        Ok(())
    }

    /// The declared credential with this label.
    pub fn credential(&self, label: &str) -> Option<&CredentialPolicy> {
        self.app.credentials.iter().find(|c| c.label == label)
    }
}

/// The commented starting configuration `breakglass init` writes.
pub const STARTER: &str = r#"# breakglass.toml: the emergency access identities of one Microsoft Entra tenant.
# `breakglass plan` shows what would change; `breakglass apply` makes it so.
# Objects are found again through markers in the tenant itself, so any operator
# machine with this file sees the same truth.

[tenant]
# Directory id or initial domain. When absent, AZURE_TENANT_ID is used.
# id = "00000000-0000-0000-0000-000000000000"
# Cloud: public (default), usgov, china, or a path to a cloud profile JSON file.
# cloud = "public"

[app]
# The emergency access app registration and its service principal.
name = "Emergency access (breakglass)"
# A permanent, active directory role at tenant scope (never PIM-eligible) ...
role = "Global Administrator"
# ... or, instead of a role, Microsoft Graph application permissions:
# graph_permissions = ["Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory"]
# Lock the service principal's credentials so nobody can add one there.
lock_credentials = true

# Kept offline for ever: a certificate whose key never leaves this machine except on
# paper, split into Shamir shares so no single custodian can use it.
[[app.credentials]]
label = "offline"
kind = "certificate"
store = "shares"
shares = "3-of-5"
lifetime_days = 1095

# Kept in KeePass and rotated: a client secret.
[[app.credentials]]
label = "rotating"
kind = "secret"
store = "keepass"
lifetime_days = 90
rotate_after_days = 30

[users]
# Classic cloud-only emergency access accounts on the initial *.onmicrosoft.com domain.
# Microsoft asks for at least two; 0 relies on the app alone.
count = 2
# Each name is this prefix plus a random part, so it cannot be guessed.
prefix = "breakglass"
# Create a Temporary Access Pass so each owner can register a passkey.
temporary_access_pass = false
role = "Global Administrator"

[group]
# The group every Conditional Access policy must exclude. It is role-assignable, so
# only Privileged Role Administrators and Global Administrators can change members.
name = "Emergency access accounts"
mail_nickname = "breakglass-emergency-access"

[stores]
# The KeePass database; its password comes from BREAKGLASS_KEEPASS_PASSWORD, a file
# (--keepass-password-file) or a prompt.
keepass = "breakglass.kdbx"
# Recovery and custodian sheets (PDF) are written here. Print them, then move the
# files somewhere safe or delete them.
sheets = "recovery-sheets"

[drift]
# What apply repairs when someone changed the tenant behind breakglass's back.
remove_owners = true
remove_unknown_credentials = true
restore_roles = true

[conditional_access]
# Microsoft asks that emergency access accounts be excluded from every Conditional Access
# policy. With true, apply adds the group above to excludeGroups of every policy that
# targets users, and the emergency app to excludeServicePrincipals of every policy for
# workload identities, enabled, report-only or disabled alike. It needs
# Policy.ReadWrite.ConditionalAccess (or the Conditional Access Administrator role).
# With false, plan only notes the policies that do not exclude the group.
exclude_from_policies = false
# Object ids of policies to leave alone, e.g. one that requires phishing-resistant
# authentication of the emergency accounts on purpose.
# skip_policies = ["00000000-0000-0000-0000-000000000000"]
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn a_type_error_names_line_table_key_expected_and_found() {
        let text = STARTER.replacen("count = 2", "count = \"two\"", 1);
        let error = Config::parse(&text).unwrap_err();
        let message = error.to_string();
        let line = STARTER
            .lines()
            .position(|l| l.starts_with("count = 2"))
            .unwrap()
            + 1;
        assert!(
            message.starts_with(&format!(
                "line {line}, column 9: `count` in [users]: expected a whole number"
            )),
            "{message}"
        );
        assert!(message.contains("found string \"two\""), "{message}");
        assert!(error.hint().is_some());
    }

    #[test]
    fn a_misspelt_key_gets_the_key_it_meant() {
        let text = STARTER.replacen("lock_credentials", "lock_credentails", 1);
        let error = Config::parse(&text).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("[app]: unknown key `lock_credentails`"),
            "{error}"
        );
        assert!(
            error
                .hint()
                .unwrap()
                .starts_with("did you mean `lock_credentials`?")
        );
    }

    #[test]
    fn names_longer_than_entra_allows_are_refused() {
        let long = "x".repeat(257);
        let text = STARTER.replacen(
            "name = \"Emergency access (breakglass)\"",
            &format!("name = \"{long}\""),
            1,
        );
        assert_eq!(
            Config::parse(&text).unwrap_err(),
            ConfigError::BadAppName(257)
        );
        let fits = STARTER.replacen(
            "name = \"Emergency access (breakglass)\"",
            &format!("name = \"{}\"", "é".repeat(256)),
            1,
        );
        assert!(Config::parse(&fits).is_ok());
    }

    #[test]
    fn syntax_errors_in_odd_places_do_not_panic() {
        for text in [
            "x = [",
            "[app",
            "\u{e9}\u{e9} = 1\n[[",
            "= 1",
            "[a]\nb = \"\u{1F600}",
        ] {
            let error = Config::parse(text).unwrap_err();
            assert!(matches!(error, ConfigError::Syntax(_)), "{text}: {error}");
        }
    }

    use super::*;

    #[test]
    fn the_starter_configuration_is_valid() {
        let config = Config::parse(STARTER).expect("starter parses");
        assert_eq!(config.app.credentials.len(), 2);
        assert_eq!(
            config
                .credential("offline")
                .and_then(CredentialPolicy::threshold),
            Some(Threshold { k: 3, n: 5 })
        );
        assert_eq!(config.users.count, 2);
    }

    fn with(replace: &str, by: &str) -> Result<Config, ConfigError> {
        assert!(STARTER.contains(replace), "{replace}");
        Config::parse(&STARTER.replacen(replace, by, 1))
    }

    #[test]
    fn impossible_states_are_named() {
        assert_eq!(with("count = 2", "count = 1"), Err(ConfigError::SingleUser));
        assert_eq!(
            with("label = \"rotating\"", "label = \"offline\""),
            Err(ConfigError::DuplicateLabel("offline".into()))
        );
        assert!(matches!(
            with("shares = \"3-of-5\"", "shares = \"6-of-5\""),
            Err(ConfigError::BadCredential { .. })
        ));
        assert!(matches!(
            with("rotate_after_days = 30", "rotate_after_days = 90"),
            Err(ConfigError::BadCredential { .. })
        ));
        assert_eq!(
            with(
                "role = \"Global Administrator\"\n# ...",
                "role = \"Chief\"\n# ..."
            ),
            Err(ConfigError::UnknownRole("Chief".into()))
        );
        assert_eq!(
            with(
                "# graph_permissions = [\"Directory.ReadWrite.All\", \"RoleManagement.ReadWrite.Directory\"]",
                "graph_permissions = [\"Directory.ReadWrite.All\"]"
            ),
            Err(ConfigError::AppAuthority("both"))
        );
        assert!(matches!(
            with("lock_credentials = true", "lock_credentails = true"),
            Err(ConfigError::Syntax(_))
        ));
    }

    #[test]
    fn conditional_access_is_opt_in() {
        let config = Config::parse(STARTER).unwrap();
        assert!(!config.conditional_access.exclude_from_policies);
        // A file written before the section existed means the same.
        let start = STARTER.find("[conditional_access]").unwrap();
        let older = Config::parse(&STARTER[..start]).unwrap();
        assert_eq!(older.conditional_access, ConditionalAccessConfig::default());

        let on = with(
            "exclude_from_policies = false",
            "exclude_from_policies = true",
        )
        .unwrap();
        assert!(on.conditional_access.exclude_from_policies);
        assert_eq!(
            with(
                "# skip_policies = [\"00000000-0000-0000-0000-000000000000\"]",
                "skip_policies = [\"Require MFA\"]"
            ),
            Err(ConfigError::BadPolicyId("Require MFA".into()))
        );
        assert!(matches!(
            with(
                "exclude_from_policies = false",
                "exclude_from_policy = true"
            ),
            Err(ConfigError::Syntax(_))
        ));
    }

    #[test]
    fn thresholds() {
        assert_eq!(Threshold::parse("2-of-3"), Some(Threshold { k: 2, n: 3 }));
        for bad in ["1-of-3", "4-of-3", "3 of 5", "2-of-17", ""] {
            assert_eq!(Threshold::parse(bad), None, "{bad}");
        }
    }
}
