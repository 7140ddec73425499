//! Resolving `--cloud` and `AZURE_AUTHORITY_HOST` to one cloud profile.

use std::path::{Path, PathBuf};

use breakglass_core::{CloudProfile, KnownCloud};
use url::Url;

use crate::error::{Error, config_error};

/// Where the profile in use came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloudSource {
    /// A built-in cloud, by name.
    BuiltIn(&'static str),
    /// A JSON profile file.
    File(PathBuf),
}

/// The cloud profile a command uses, with its origin.
#[derive(Clone, Debug)]
pub struct ResolvedCloud {
    pub profile: CloudProfile,
    pub source: CloudSource,
    /// Set when `AZURE_AUTHORITY_HOST` replaced the profile's authority host.
    pub authority_override: Option<Url>,
}

/// Resolves `--cloud NAME|PATH` (default `public`) and an optional authority host override.
pub fn resolve(spec: Option<&str>, authority_host: Option<&str>) -> Result<ResolvedCloud, Error> {
    let spec = spec
        .map(str::trim)
        .filter(|spec| !spec.is_empty())
        .unwrap_or("public");
    let (profile, source) = match KnownCloud::from_name(spec) {
        Some(cloud) => {
            let profile = cloud.profile();
            let name = KnownCloud::ALL
                .iter()
                .find(|(_, known)| *known == cloud)
                .map_or("public", |(name, _)| *name);
            (profile, CloudSource::BuiltIn(name))
        }
        None => {
            let path = Path::new(spec);
            if !looks_like_path(spec) && !path.exists() {
                return Err(config_error(format!("unknown cloud `{spec}`")).hinted(
                    "use `public`, `usgov`, `china`, or the path to a JSON cloud profile (see `breakglass cloud list`)",
                ));
            }
            (load_profile(path)?, CloudSource::File(path.to_path_buf()))
        }
    };
    let mut resolved = ResolvedCloud {
        profile,
        source,
        authority_override: None,
    };
    if let Some(host) = authority_host
        .map(str::trim)
        .filter(|host| !host.is_empty())
    {
        let url = parse_authority_host(host)?;
        resolved.profile = resolved.profile.with_authority_host(url.clone());
        resolved.authority_override = Some(url);
    }
    Ok(resolved)
}

fn looks_like_path(spec: &str) -> bool {
    spec.contains('/') || spec.contains('\\') || spec.ends_with(".json")
}

/// Reads and validates a JSON cloud profile.
pub fn load_profile(path: &Path) -> Result<CloudProfile, Error> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        config_error(format!("cannot read the cloud profile {}: {err}", path.display()))
            .hinted("`--cloud` (or BREAKGLASS_CLOUD) takes `public`, `usgov`, `china`, or the path to a JSON cloud profile")
    })?;
    let profile = CloudProfile::from_json(&text, path)?;
    if let Some(ca) = &profile.ca_certificate
        && !ca.is_file()
    {
        return Err(config_error(format!(
            "the cloud profile {} names the CA certificate {}, which does not exist",
            path.display(),
            ca.display()
        ))
        .hinted("caCertificate is a PEM file; a relative path is read from the profile's folder"));
    }
    Ok(profile)
}

fn parse_authority_host(host: &str) -> Result<Url, Error> {
    let hint = "AZURE_AUTHORITY_HOST is a host URL such as https://login.microsoftonline.us";
    let url = Url::parse(host).map_err(|err| {
        config_error(format!("AZURE_AUTHORITY_HOST `{host}` is not a URL: {err}")).hinted(hint)
    })?;
    if url.scheme() != "https" {
        return Err(
            config_error(format!("AZURE_AUTHORITY_HOST `{host}` is not an https URL")).hinted(hint),
        );
    }
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(config_error(format!(
            "AZURE_AUTHORITY_HOST `{host}` carries a path, query or credentials; give only scheme, host and port"
        ))
        .hinted(hint));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_public() {
        let resolved = resolve(None, None).unwrap();
        assert_eq!(resolved.source, CloudSource::BuiltIn("public"));
        assert_eq!(resolved.profile.name, "public");
    }

    #[test]
    fn names_ignore_case_and_authority_host_overrides() {
        let resolved = resolve(Some("USGov"), Some("https://login.example.test")).unwrap();
        assert_eq!(resolved.source, CloudSource::BuiltIn("usgov"));
        assert_eq!(
            resolved.profile.authority_host.as_str(),
            "https://login.example.test/"
        );
        assert!(resolve(Some("public"), Some("http://login.example.test")).is_err());
        assert!(resolve(Some("public"), Some("https://login.example.test/tenant")).is_err());
    }

    #[test]
    fn unknown_name_is_a_configuration_error() {
        let err = resolve(Some("moon"), None).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.message().contains("moon"));
    }
}
