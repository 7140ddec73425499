//! Which cloud and tenant a command aims at when both the command line and `breakglass.toml`
//! may name them. When both do, they must agree: a stray variable from another shell must
//! never point provisioning at the wrong directory, so breakglass refuses to guess.

use breakglass_core::TenantId;
use breakglass_core::config::TenantSection;

use crate::error::{Error, config_error};
use crate::session::Session;

/// A value given on the command line, by a flag or the environment variable behind it.
#[derive(Clone, Copy, Debug)]
pub struct Given<'a> {
    pub value: Option<&'a str>,
    /// The flag, e.g. `--tenant`.
    pub flag: &'static str,
    /// The environment variable clap reads the flag from, e.g. `AZURE_TENANT_ID`.
    pub env: &'static str,
}

impl Given<'_> {
    fn value(&self) -> Option<&str> {
        self.value.map(str::trim).filter(|v| !v.is_empty())
    }

    /// The variable when it holds the value, else the flag: what the person should change.
    fn source(&self, value: &str) -> &'static str {
        match std::env::var(self.env) {
            Ok(set) if set.trim() == value => self.env,
            _ => self.flag,
        }
    }
}

fn configured(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A cloud to resolve, and whether it came from `breakglass.toml` (for the hint when it
/// cannot be resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloudChoice {
    Given,
    Configured(String),
}

/// The cloud: the one given, else `[tenant] cloud`.
pub fn cloud_for(given: Given<'_>, section: &TenantSection) -> Result<CloudChoice, Error> {
    match (given.value(), configured(section.cloud.as_deref())) {
        (Some(value), Some(configured)) if !same_cloud(value, configured) => {
            let source = given.source(value);
            Err(config_error(format!(
                "{source} is `{value}` but [tenant] cloud in breakglass.toml is `{configured}`; breakglass will not guess which cloud is meant"
            ))
            .hinted(format!(
                "unset {source} or make it `{configured}`, or change [tenant] cloud, so both name the same cloud"
            )))
        }
        (None, Some(configured)) => Ok(CloudChoice::Configured(configured.to_string())),
        _ => Ok(CloudChoice::Given),
    }
}

/// The tenant: the one given, else `[tenant] id`.
pub fn tenant_for(given: Given<'_>, section: &TenantSection) -> Result<Option<String>, Error> {
    let value = given.value();
    match (value, configured(section.id.as_deref())) {
        (Some(value), Some(configured)) if !same_tenant(value, configured) => {
            let source = given.source(value);
            Err(config_error(format!(
                "{source} is `{value}` but [tenant] id in breakglass.toml is `{configured}`; breakglass will not guess which tenant is meant"
            ))
            .hinted(format!(
                "unset {source} or make it `{configured}`, or change [tenant] id, so both name the same tenant (its directory id is the safest)"
            )))
        }
        (None, Some(configured)) => Ok(Some(configured.to_string())),
        _ => Ok(given.value.map(str::to_string)),
    }
}

/// Checks that the operator signed in to the tenant whose directory id `[tenant] id` gives
/// (a domain there is checked by the identity platform when the token is issued).
pub fn check_signed_in_tenant(session: &Session, section: &TenantSection) -> Result<(), Error> {
    let Some(wanted) = configured_guid(section) else {
        return Ok(());
    };
    let claims = session.token.claims()?;
    match claims.tid.as_deref() {
        Some(tid) if !tid.eq_ignore_ascii_case(&wanted) => Err(config_error(format!(
            "signed in to tenant {tid}, but [tenant] id in breakglass.toml is {wanted}"
        ))
        .hinted(
            "sign in to the tenant breakglass.toml names (with `--auth az`, `az login --tenant`; with a token, one issued for that tenant), or correct [tenant] id",
        )),
        _ => Ok(()),
    }
}

fn same_cloud(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn same_tenant(a: &str, b: &str) -> bool {
    match (a.parse::<TenantId>(), b.parse::<TenantId>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

fn configured_guid(section: &TenantSection) -> Option<String> {
    match section.id.as_deref()?.trim().parse::<TenantId>() {
        Ok(TenantId::Guid(guid)) => Some(guid.hyphenated().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(id: Option<&str>) -> TenantSection {
        TenantSection {
            id: id.map(str::to_string),
            cloud: None,
        }
    }

    fn given(value: Option<&str>) -> Given<'_> {
        Given {
            value,
            flag: "--tenant",
            env: "BREAKGLASS_TEST_UNSET_VARIABLE",
        }
    }

    #[test]
    fn the_configured_tenant_fills_in_and_a_different_one_is_refused() {
        let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert_eq!(
            tenant_for(given(None), &config(Some(guid))).unwrap(),
            Some(guid.to_string())
        );
        assert_eq!(
            tenant_for(given(Some(&guid.to_uppercase())), &config(Some(guid))).unwrap(),
            Some(guid.to_uppercase())
        );
        let refused =
            tenant_for(given(Some("contoso.onmicrosoft.com")), &config(Some(guid))).unwrap_err();
        assert!(
            refused
                .message()
                .starts_with("--tenant is `contoso.onmicrosoft.com` but [tenant] id"),
            "{}",
            refused.message()
        );
        assert_eq!(tenant_for(given(None), &config(None)).unwrap(), None);
    }
}
