//! Cloud profiles: where the token endpoint and Microsoft Graph live.
//!
//! The built-in clouds carry Microsoft's published endpoints. A custom profile is a
//! small JSON document, the same shape the tenant simulator writes, so breakglass
//! reaches a simulator exactly as it reaches a national cloud.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

/// The clouds breakglass knows without a profile file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownCloud {
    /// Microsoft Entra ID global service.
    Public,
    /// Azure Government (Microsoft Graph for US Government L4).
    UsGov,
    /// Azure operated by 21Vianet.
    China,
}

impl KnownCloud {
    /// Every built-in cloud with the name used on the command line.
    pub const ALL: [(&'static str, KnownCloud); 3] = [
        ("public", KnownCloud::Public),
        ("usgov", KnownCloud::UsGov),
        ("china", KnownCloud::China),
    ];

    /// Returns the built-in cloud with this name, ignoring case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, cloud)| *cloud)
    }

    /// Returns the profile with Microsoft's endpoints for this cloud.
    pub fn profile(self) -> CloudProfile {
        let (name, authority, graph, arm) = match self {
            KnownCloud::Public => (
                "public",
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://management.azure.com",
            ),
            KnownCloud::UsGov => (
                "usgov",
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://management.usgovcloudapi.net",
            ),
            KnownCloud::China => (
                "china",
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://management.chinacloudapi.cn",
            ),
        };
        CloudProfile {
            name: name.to_string(),
            authority_host: parse_static(authority),
            graph_endpoint: parse_static(graph),
            resource_manager_endpoint: Some(parse_static(arm)),
            ca_certificate: None,
        }
    }
}

fn parse_static(url: &str) -> Url {
    Url::parse(url).unwrap_or_else(|_| unreachable!("built-in endpoint {url} is a valid URL"))
}

/// Endpoints of one cloud, as JSON: `{"name", "authorityHost", "graphEndpoint",
/// "resourceManagerEndpoint"?, "caCertificate"?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudProfile {
    /// A short name shown in output.
    #[serde(default = "default_custom_name")]
    pub name: String,
    /// The identity platform host, e.g. `https://login.microsoftonline.com`.
    pub authority_host: Url,
    /// The Microsoft Graph host, e.g. `https://graph.microsoft.com`.
    pub graph_endpoint: Url,
    /// The Azure Resource Manager host, where monitoring rules are deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_manager_endpoint: Option<Url>,
    /// A PEM file with the only CA certificates to trust for these endpoints.
    /// Relative paths are resolved against the profile file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<PathBuf>,
}

fn default_custom_name() -> String {
    "custom".to_string()
}

/// Why a cloud profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CloudProfileError {
    #[error("the cloud profile {path} is not valid JSON for a cloud profile: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("the cloud profile {path} sets {field} to `{value}`, which is not an https URL")]
    NotHttps {
        path: PathBuf,
        field: &'static str,
        value: String,
    },
    #[error(
        "the cloud profile {path} sets {field} to `{value}`, which carries a path, query or credentials; give only scheme, host and port"
    )]
    NotAHost {
        path: PathBuf,
        field: &'static str,
        value: String,
    },
}

impl CloudProfileError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        "a custom profile looks like {\"authorityHost\": \"https://login.example\", \"graphEndpoint\": \"https://graph.example\", \"caCertificate\": \"ca.pem\"}"
    }
}

impl CloudProfile {
    /// Parses a profile from JSON text read from `path`, resolving a relative
    /// `caCertificate` against the file's folder.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, CloudProfileError> {
        let mut profile: CloudProfile =
            serde_json::from_str(text).map_err(|err| CloudProfileError::Malformed {
                path: path.to_path_buf(),
                reason: err.to_string(),
            })?;
        profile.validate(path)?;
        if let Some(ca) = &profile.ca_certificate
            && ca.is_relative()
            && let Some(folder) = path.parent()
        {
            profile.ca_certificate = Some(folder.join(ca));
        }
        Ok(profile)
    }

    fn validate(&self, path: &Path) -> Result<(), CloudProfileError> {
        let mut fields = vec![
            ("authorityHost", &self.authority_host),
            ("graphEndpoint", &self.graph_endpoint),
        ];
        if let Some(arm) = &self.resource_manager_endpoint {
            fields.push(("resourceManagerEndpoint", arm));
        }
        for (field, url) in fields {
            if url.scheme() != "https" {
                return Err(CloudProfileError::NotHttps {
                    path: path.to_path_buf(),
                    field,
                    value: url.to_string(),
                });
            }
            if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
                return Err(CloudProfileError::NotAHost {
                    path: path.to_path_buf(),
                    field,
                    value: url.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Replaces the authority host, as `AZURE_AUTHORITY_HOST` does.
    pub fn with_authority_host(mut self, host: Url) -> Self {
        self.authority_host = host;
        self
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_endpoint(&self, tenant: &str) -> Url {
        self.authority_url(tenant, "oauth2/v2.0/token")
    }

    /// `{authority}/{tenant}/oauth2/v2.0/devicecode`.
    pub fn device_code_endpoint(&self, tenant: &str) -> Url {
        self.authority_url(tenant, "oauth2/v2.0/devicecode")
    }

    /// `{authority}/{tenant}/v2.0/.well-known/openid-configuration`.
    pub fn openid_configuration(&self, tenant: &str) -> Url {
        self.authority_url(tenant, "v2.0/.well-known/openid-configuration")
    }

    fn authority_url(&self, tenant: &str, rest: &str) -> Url {
        let mut url = self.authority_host.clone();
        url.set_path(&format!("/{tenant}/{rest}"));
        url
    }

    /// The scope that asks for an app-only Graph token: `{graph}/.default`.
    pub fn graph_default_scope(&self) -> String {
        format!(
            "{}/.default",
            self.graph_endpoint.as_str().trim_end_matches('/')
        )
    }

    /// `{graph}/{version}/` as the base every Graph path is joined to.
    pub fn graph_base(&self, version: GraphVersion) -> Url {
        let mut url = self.graph_endpoint.clone();
        url.set_path(&format!("/{}/", version.as_str()));
        url
    }
}

/// Microsoft Graph API versions. breakglass uses v1.0 and reaches for beta only
/// where v1.0 lacks the API (service principal sign-ins, for one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphVersion {
    V1,
    Beta,
}

impl GraphVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            GraphVersion::V1 => "v1.0",
            GraphVersion::Beta => "beta",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_cloud_endpoints() {
        let public = KnownCloud::Public.profile();
        assert_eq!(
            public.token_endpoint("contoso.onmicrosoft.com").as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            public.graph_default_scope(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            public.graph_base(GraphVersion::V1).as_str(),
            "https://graph.microsoft.com/v1.0/"
        );
    }

    #[test]
    fn custom_profile_resolves_ca_next_to_file() {
        let text = r#"{"name":"sim","authorityHost":"https://127.0.0.1:8443","graphEndpoint":"https://127.0.0.1:8443","caCertificate":"ca.pem"}"#;
        let profile = CloudProfile::from_json(text, Path::new("/state/cloud.json")).unwrap();
        assert_eq!(profile.ca_certificate, Some(PathBuf::from("/state/ca.pem")));
        assert_eq!(
            profile.token_endpoint("t").as_str(),
            "https://127.0.0.1:8443/t/oauth2/v2.0/token"
        );
    }

    #[test]
    fn custom_profile_rejects_http_and_unknown_fields() {
        let http = r#"{"authorityHost":"http://127.0.0.1:8443","graphEndpoint":"https://g"}"#;
        assert!(matches!(
            CloudProfile::from_json(http, Path::new("c.json")),
            Err(CloudProfileError::NotHttps {
                field: "authorityHost",
                ..
            })
        ));
        let typo = r#"{"authorityHst":"https://a","graphEndpoint":"https://g"}"#;
        assert!(matches!(
            CloudProfile::from_json(typo, Path::new("c.json")),
            Err(CloudProfileError::Malformed { .. })
        ));
    }
}
