//! The scope an app (client credentials) token is asked for: one resource's `/.default`, as
//! the identity platform requires for that grant.

/// Why a `--scope` cannot be asked for with client credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("`--scope` takes one scope")]
    Several,
    #[error(
        "`{scope}` is not a `/.default` scope; an app (client credentials) token asks for a resource's `/.default`"
    )]
    NotDefault { scope: String },
}

impl ScopeError {
    /// What to type instead.
    pub fn hint(&self) -> String {
        match self {
            ScopeError::Several => {
                "an app token is for one resource; run `breakglass token` once per resource"
                    .to_string()
            }
            ScopeError::NotDefault { scope } => {
                format!("pass `--scope {}/.default`", scope.trim_end_matches('/'))
            }
        }
    }
}

/// The scope to ask for, or `None` for the default (Microsoft Graph's) when `scope` is blank.
pub fn client_credentials_scope(scope: &str) -> Result<Option<String>, ScopeError> {
    let scope = scope.trim();
    if scope.is_empty() {
        return Ok(None);
    }
    if scope.split_whitespace().count() > 1 {
        return Err(ScopeError::Several);
    }
    if !scope.ends_with("/.default") {
        return Err(ScopeError::NotDefault {
            scope: scope.to_string(),
        });
    }
    Ok(Some(scope.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_must_be_default_scopes() {
        assert_eq!(
            client_credentials_scope("https://management.azure.com/.default").unwrap(),
            Some("https://management.azure.com/.default".to_string())
        );
        let refused = client_credentials_scope("https://management.azure.com/").unwrap_err();
        assert_eq!(
            refused.hint(),
            "pass `--scope https://management.azure.com/.default`"
        );
        assert_eq!(
            client_credentials_scope("a/.default b/.default"),
            Err(ScopeError::Several)
        );
        assert_eq!(client_credentials_scope("  ").unwrap(), None);
    }
}
