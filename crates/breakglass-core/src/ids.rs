//! Identifier rules: tenant ids, and the directory's own id formats.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// A tenant as the token endpoint accepts it: a directory GUID or a verified domain name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TenantId {
    /// The directory (tenant) id.
    Guid(Uuid),
    /// A domain registered in the tenant, e.g. `contoso.onmicrosoft.com`.
    Domain(String),
}

/// Why a string is not a usable tenant id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TenantIdError {
    #[error("the tenant id is empty")]
    Empty,
    #[error("`{0}` is a multi-tenant alias; emergency access needs the tenant's own id or domain")]
    Alias(String),
    #[error("`{0}` is neither a directory GUID nor a domain name")]
    Malformed(String),
}

impl TenantId {
    /// Returns the form used in authority URLs.
    pub fn as_path_segment(&self) -> String {
        self.to_string()
    }
}

impl FromStr for TenantId {
    type Err = TenantIdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(TenantIdError::Empty);
        }
        let lower = value.to_ascii_lowercase();
        if matches!(lower.as_str(), "common" | "organizations" | "consumers") {
            return Err(TenantIdError::Alias(value.to_string()));
        }
        if let Ok(guid) = Uuid::try_parse(value) {
            // Only the hyphenated 36-character form is what Entra prints and accepts.
            if value.len() == 36 {
                return Ok(TenantId::Guid(guid));
            }
            return Err(TenantIdError::Malformed(value.to_string()));
        }
        if is_domain_name(&lower) {
            return Ok(TenantId::Domain(lower));
        }
        Err(TenantIdError::Malformed(value.to_string()))
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenantId::Guid(guid) => write!(f, "{}", guid.hyphenated()),
            TenantId::Domain(domain) => f.write_str(domain),
        }
    }
}

fn is_domain_name(value: &str) -> bool {
    if value.len() > 253 || !value.contains('.') {
        return false;
    }
    let labels: Vec<&str> = value.split('.').collect();
    let top_level = labels.last().copied().unwrap_or_default();
    if top_level.len() < 2 || top_level.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    labels.iter().all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Forms the id Entra gives a directory-scoped role assignment: the role definition id
/// and the principal id, each as little-endian GUID bytes, base64url without padding,
/// followed by `-1`.
pub fn role_assignment_id(role_definition_id: Uuid, principal_id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(&role_definition_id.to_bytes_le());
    bytes.extend_from_slice(&principal_id.to_bytes_le());
    format!("{}-1", URL_SAFE_NO_PAD.encode(bytes))
}

/// Reverses [`role_assignment_id`]; `None` when the id has another shape.
pub fn parse_role_assignment_id(id: &str) -> Option<(Uuid, Uuid)> {
    let encoded = id.strip_suffix("-1")?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    if bytes.len() != 32 {
        return None;
    }
    let role = Uuid::from_bytes_le(bytes[..16].try_into().ok()?);
    let principal = Uuid::from_bytes_le(bytes[16..].try_into().ok()?);
    Some((role, principal))
}

/// Whether `text` is a GUID in its usual hyphenated form (8-4-4-4-12 hex digits), as
/// Entra shows object, application and key ids.
pub fn is_hyphenated_guid(text: &str) -> bool {
    text.len() == 36
        && text.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_guid_and_domain() {
        let guid: TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47".parse().unwrap();
        assert!(matches!(guid, TenantId::Guid(_)));
        let domain: TenantId = "Contoso.onmicrosoft.com".parse().unwrap();
        assert_eq!(domain.to_string(), "contoso.onmicrosoft.com");
    }

    #[test]
    fn rejects_aliases_and_garbage() {
        assert_eq!(
            "common".parse::<TenantId>(),
            Err(TenantIdError::Alias("common".into()))
        );
        for bad in [
            "",
            "not a tenant",
            "72f988bf86f141af91ab2d7cd011db47",
            "1.2.3.4",
            "x",
        ] {
            assert!(bad.parse::<TenantId>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn role_assignment_id_matches_entra_form() {
        // Global Administrator assigned to ace08ec9-..., as Entra forms it.
        let role = Uuid::parse_str("62e90394-69f5-4237-9190-012177145e10").unwrap();
        let principal = Uuid::parse_str("ace08ec9-aa11-4ada-9145-addf0398233e").unwrap();
        let id = role_assignment_id(role, principal);
        assert_eq!(id, "lAPpYvVpN0KRkAEhdxReEMmO4KwRqtpKkUWt3wOYIz4-1");
        assert_eq!(parse_role_assignment_id(&id), Some((role, principal)));
    }
}
