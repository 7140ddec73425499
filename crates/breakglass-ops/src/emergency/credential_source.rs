//! Where an emergency credential comes from, and a token with it.
//!
//! This is the one place that turns "which emergency credential?" into something that signs
//! in. `breakglass token`, `breakglass exec` and `breakglass drill` use it; nothing here
//! prints a secret, and errors name files and labels, never their contents.
//!
//! The front end turns its flags into a [`Request`] (reading stdin itself for `-`), calls
//! [`resolve`] with a way to get the KeePass password when one is needed, then
//! [`resolve_cloud`] and [`acquire_token`] (or [`flow`] for a Graph client).
//!
//! Sources, in order of precedence:
//!
//! * `--sheet FILE` or `--shares FILES`: the payload is self-contained (tenant, client id,
//!   cloud, the secret or key), so no `breakglass.toml` is needed. `--credential`, if also
//!   given, is checked against the payload's label. A file may hold what `zbarimg` prints
//!   (`QR-Code:` prefixes are dropped), the `BGPART:` lines of several QR codes in any
//!   order, or a payload or share typed by hand over several lines. `-` reads stdin.
//! * `--credential LABEL`: `breakglass.toml` says where the label is kept. `keepass`:
//!   read from the KeePass database (password from `--keepass-password-file`,
//!   BREAKGLASS_KEEPASS_PASSWORD or a prompt). `sheet`/`shares`: a usage error that says to
//!   pass `--sheet` or `--shares` (and names the share files the manifest lists).
//! * Nothing: the Azure SDK environment, AZURE_TENANT_ID, AZURE_CLIENT_ID and
//!   AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (a secret wins, as in the SDK).
//!   This path reads no configuration and opens no store, so it stays fast.

use std::fmt;
use std::path::{Path, PathBuf};

use breakglass_core::config::StoreKind;
use breakglass_core::env::{
    AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID,
};
use breakglass_core::{KnownCloud, TenantId};
use breakglass_entra::{
    AccessToken, ClientCredential, ClientCredentialsFlow, EntraError, HttpClient,
};
use breakglass_store::{CredentialKind, KeyFormat, StoredCredential};
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;
use zeroize::Zeroizing;

use super::scanned::payload_from_text;
pub use super::scanned::{read_input, shares_from_text};
use crate::Progress;
use crate::cloud::{CloudSource, ResolvedCloud};
use crate::error::{Error, config_error, usage_error};
use crate::provision::Workspace;
use crate::provision::token_store::Tokens;
use crate::provision::vault::{KeePassPassword, LocalVault};
use breakglass_store::{CredentialPayload, ShamirShare};

pub use super::scanned::Input;

/// Which emergency credential is asked for.
#[derive(Clone)]
pub struct Request {
    /// The label in breakglass.toml (`--credential`); with a sheet or shares, only checked.
    pub credential: Option<String>,
    pub sheet: Option<Input>,
    pub shares: Vec<Input>,
    /// `breakglass.toml`, read only for a label.
    pub config_path: PathBuf,
    /// How a `pkcs11` credential's token is opened (and its PIN asked for).
    pub tokens: Tokens,
}

/// Where the credential was found (no secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The Azure SDK environment variables.
    Environment,
    /// An entry of the KeePass database.
    KeePass { path: PathBuf },
    /// A recovery sheet's payload, from a file or stdin.
    Sheet { from: String },
    /// A key on a PKCS#11 token.
    Token { token: String, serial: String },
    /// k of n Shamir shares.
    Shares {
        used: usize,
        threshold: u8,
        total: u8,
        set_id: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Environment => f.write_str("the environment (AZURE_*)"),
            Origin::KeePass { path } => write!(f, "KeePass {}", path.display()),
            Origin::Sheet { from } => write!(f, "the recovery sheet in {from}"),
            Origin::Token { token, serial } => {
                write!(f, "PKCS#11 token `{token}` (serial {serial})")
            }
            Origin::Shares {
                used,
                threshold,
                total,
                set_id,
            } => write!(
                f,
                "{used} Shamir shares (set {set_id}, {threshold} of {total} needed)"
            ),
        }
    }
}

/// The secret part, in the form other programs take it.
#[derive(Clone)]
pub enum Material {
    /// A client secret's value (AZURE_CLIENT_SECRET).
    Secret(SecretString),
    /// A certificate from a store: its private key and certificate as PEM, ready to be
    /// written to a 0600 file for AZURE_CLIENT_CERTIFICATE_PATH.
    CertificatePem {
        pem: SecretString,
        thumbprint: String,
    },
    /// A PEM file named by AZURE_CLIENT_CERTIFICATE_PATH; it already exists.
    CertificateFile(PathBuf),
    /// A certificate whose key stays on a PKCS#11 token: no other program can use it.
    OnToken,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Material::Secret(_) => f.write_str("Material::Secret([redacted])"),
            Material::CertificatePem { thumbprint, .. } => {
                write!(f, "Material::CertificatePem({thumbprint}, [redacted])")
            }
            Material::CertificateFile(path) => write!(f, "Material::CertificateFile({path:?})"),
            Material::OnToken => f.write_str("Material::OnToken"),
        }
    }
}

impl Material {
    /// `client secret` or `certificate`.
    pub fn kind(&self) -> &'static str {
        match self {
            Material::Secret(_) => "client secret",
            Material::CertificatePem { .. } | Material::CertificateFile(_) => "certificate",
            Material::OnToken => "certificate on a token",
        }
    }
}

/// An emergency credential, ready to sign in. `Debug` shows no secret.
#[derive(Clone, Debug)]
pub struct EmergencyCredential {
    /// The label breakglass gave it; `None` from the environment.
    pub label: Option<String>,
    pub tenant: TenantId,
    pub client_id: String,
    /// The credential's key id in Entra, when a store recorded it.
    pub key_id: Option<String>,
    /// When it stops working, when a store recorded it.
    pub expires: Option<Timestamp>,
    /// The cloud name the store recorded (`public`, `usgov`, `china`, or a profile's name).
    pub cloud: Option<String>,
    /// The authority host the store recorded.
    pub authority_host: Option<Url>,
    pub origin: Origin,
    pub material: Material,
    /// What the token endpoint is shown.
    pub credential: ClientCredential,
}

impl EmergencyCredential {
    /// One line for status output: "`rotating` (client secret) from KeePass breakglass.kdbx".
    pub fn describe(&self) -> String {
        let key = self
            .key_id
            .as_deref()
            .map(|id| format!(" {}", &id[..id.len().min(8)]))
            .unwrap_or_default();
        let name = match &self.label {
            Some(label) => format!("`{label}` ({}{key})", self.material.kind()),
            None => format!("a {}{key}", self.material.kind()),
        };
        format!("{name} of app {} from {}", self.client_id, self.origin)
    }
}

/// Resolves the request (or the environment) into a credential. Asks for the KeePass
/// password, through `keepass_password`, only when the label names a KeePass-held credential.
pub fn resolve(
    progress: &dyn Progress,
    request: &Request,
    keepass_password: &dyn Fn(&Path) -> Result<KeePassPassword, Error>,
) -> Result<EmergencyCredential, Error> {
    if let Some(sheet) = &request.sheet {
        let (text, from) = read_input(sheet, "the recovery sheet")?;
        let payload = payload_from_text(&text, &from)?;
        return from_stored(
            progress,
            request,
            payload.credential(),
            Origin::Sheet { from },
        );
    }
    if !request.shares.is_empty() {
        let (payload, origin) = combine_shares(&request.shares)?;
        return from_stored(progress, request, payload.credential(), origin);
    }
    if let Some(label) = &request.credential {
        return from_configured_label(progress, request, label, keepass_password);
    }
    from_environment()
}

/// The credential named by `--credential LABEL` in breakglass.toml.
fn from_configured_label(
    progress: &dyn Progress,
    request: &Request,
    label: &str,
    keepass_password: &dyn Fn(&Path) -> Result<KeePassPassword, Error>,
) -> Result<EmergencyCredential, Error> {
    let workspace = Workspace::load(&request.config_path)?;
    let Some(policy) = workspace.config.credential(label) else {
        let declared: Vec<String> = workspace
            .config
            .app
            .credentials
            .iter()
            .map(|c| format!("`{}` ({})", c.label, store_name(c.store)))
            .collect();
        return Err(config_error(format!(
            "{} declares no credential labelled `{label}`",
            request.config_path.display()
        ))
        .hinted(if declared.is_empty() {
            "declare one under [[app.credentials]] and run `breakglass apply`".to_string()
        } else {
            format!("it declares {}", declared.join(", "))
        }));
    };
    match policy.store {
        StoreKind::Keepass => {
            let mut vault = LocalVault::new(
                &workspace.config,
                &workspace.base,
                keepass_password(&workspace.base.join(&workspace.config.stores.keepass))?,
            );
            let path = vault.keepass_path().to_path_buf();
            if !path.exists() {
                return Err(config_error(format!(
                    "the KeePass database {} does not exist",
                    path.display()
                ))
                .hinted("run `breakglass apply` to make the credentials, or pass `--config` for the right breakglass.toml"));
            }
            let stored = vault.keepass_credential(label)?.ok_or_else(|| {
                config_error(format!(
                    "the KeePass database {} holds no `{label}` credential",
                    path.display()
                ))
                .hinted("run `breakglass credential list` to see what each store holds, and `breakglass apply` to make missing credentials")
            })?;
            from_stored(progress, request, &stored, Origin::KeePass { path })
        }
        StoreKind::Pkcs11 => from_token(progress, request, policy),
        StoreKind::Sheet => Err(usage_error(format!(
            "`{label}` is kept on a printed recovery sheet; pass its QR code text with `--sheet FILE` (or `--sheet -` to paste it)"
        ))
        .hinted(
            "scan the sheet: `pdftoppm -r 300 -png sheet.pdf page && zbarimg --raw page-*.png > sheet.txt`, or type the payload printed under the codes",
        )),
        StoreKind::Shares => {
            let shares = policy
                .threshold()
                .map(|t| format!("{} of the {}", t.k, t.n))
                .unwrap_or_else(|| "enough".to_string());
            let mut error = usage_error(format!(
                "`{label}` is split into Shamir shares held by custodians; pass {shares} shares with `--shares a.txt,b.txt,c.txt`"
            ));
            let files = manifest_share_files(&workspace, label);
            if !files.is_empty() {
                error = error.hinted(format!("the share texts written here were {}", files.join(", ")));
            }
            Err(error.hinted(
                "each custodian's sheet has the share as QR codes: `zbarimg --raw` prints their text, one file per custodian",
            ))
        }
    }
}

fn store_name(store: StoreKind) -> &'static str {
    match store {
        StoreKind::Keepass => "keepass",
        StoreKind::Sheet => "sheet",
        StoreKind::Shares => "shares",
        StoreKind::Pkcs11 => "pkcs11",
    }
}

/// A `pkcs11` credential: the token signs; its note says for which tenant and app.
fn from_token(
    progress: &dyn Progress,
    request: &Request,
    policy: &breakglass_core::config::CredentialPolicy,
) -> Result<EmergencyCredential, Error> {
    let location = crate::provision::token_store::location_of(policy)?;
    let on_token = request.tokens.credential(&location)?;
    let note = &on_token.note;
    let credential = EmergencyCredential {
        label: Some(policy.label.clone()),
        tenant: note.tenant_id.parse()?,
        client_id: note.client_id.clone(),
        key_id: Some(note.key_id.clone()),
        expires: Some(note.end),
        cloud: Some(note.cloud.clone()).filter(|c| !c.is_empty()),
        authority_host: Url::parse(&note.authority_host).ok(),
        origin: Origin::Token {
            token: on_token.token_label.clone(),
            serial: on_token.serial.clone(),
        },
        material: Material::OnToken,
        credential: ClientCredential::Certificate {
            certificate: std::sync::Arc::new(on_token.certificate),
            algorithm: crate::provision::token_store::assertion_algorithm(policy),
        },
    };
    credential.warn_about_expiry(progress);
    Ok(credential)
}

/// The share `.txt` files the manifest lists for `label`, if they are still here.
fn manifest_share_files(workspace: &Workspace, label: &str) -> Vec<String> {
    let vault = LocalVault::new(
        &workspace.config,
        &workspace.base,
        KeePassPassword::Unavailable(String::new()),
    );
    let Ok(entries) = vault.manifest_entries() else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter(|entry| entry.label == label)
        .flat_map(|entry| entry.files)
        .filter(|file| file.ends_with(".txt"))
        .map(|file| vault.sheets_folder().join(file))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect()
}

/// The Azure SDK environment.
fn from_environment() -> Result<EmergencyCredential, Error> {
    let tenant = non_empty_env(AZURE_TENANT_ID).ok_or_else(|| {
        config_error("no emergency credential given").hinted(format!(
            "pass `--credential LABEL` (from breakglass.toml), `--sheet FILE` or `--shares FILES`, or set {AZURE_TENANT_ID}, {AZURE_CLIENT_ID} and {AZURE_CLIENT_SECRET} (or {AZURE_CLIENT_CERTIFICATE_PATH})"
        ))
    })?;
    let tenant: TenantId = tenant.parse()?;
    let client_id = non_empty_env(AZURE_CLIENT_ID)
        .map(|id| id.trim().to_string())
        .ok_or_else(|| {
            config_error(format!(
                "{AZURE_TENANT_ID} is set but {AZURE_CLIENT_ID} is not"
            ))
            .hinted(format!(
                "set {AZURE_CLIENT_ID} to the application (client) id"
            ))
        })?;
    let (material, credential) = match (
        non_empty_env(AZURE_CLIENT_SECRET),
        non_empty_env(AZURE_CLIENT_CERTIFICATE_PATH),
    ) {
        (Some(secret), _) => {
            let secret = SecretString::from(secret);
            (
                Material::Secret(secret.clone()),
                ClientCredential::Secret(secret),
            )
        }
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            let certificate = read_certificate_file(&path)?;
            (
                Material::CertificateFile(path),
                ClientCredential::certificate(certificate),
            )
        }
        (None, None) => {
            return Err(config_error(format!(
                "{AZURE_CLIENT_ID} is set but neither {AZURE_CLIENT_SECRET} nor {AZURE_CLIENT_CERTIFICATE_PATH} is"
            ))
            .hinted(format!(
                "set {AZURE_CLIENT_SECRET} (the secret's value) or {AZURE_CLIENT_CERTIFICATE_PATH} (a PEM file with the key and certificate), or pass `--credential LABEL`"
            )));
        }
    };
    Ok(EmergencyCredential {
        label: None,
        tenant,
        client_id,
        key_id: None,
        expires: None,
        cloud: None,
        authority_host: None,
        origin: Origin::Environment,
        material,
        credential,
    })
}

fn read_certificate_file(path: &Path) -> Result<breakglass_entra::CertificateCredential, Error> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|err| {
        EntraError::from(breakglass_entra::CredentialError::Unreadable {
            path: path.to_path_buf(),
            reason: err.to_string(),
        })
    })?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        EntraError::from(breakglass_entra::CredentialError::Unreadable {
            path: path.to_path_buf(),
            reason: "not a text (PEM) file; PFX/PKCS#12 files must be converted to PEM first"
                .to_string(),
        })
    })?;
    Ok(
        breakglass_entra::CertificateCredential::from_pem(text, &path.display().to_string())
            .map_err(EntraError::from)?,
    )
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A credential read back from a store or a payload.
fn from_stored(
    progress: &dyn Progress,
    request: &Request,
    stored: &StoredCredential,
    origin: Origin,
) -> Result<EmergencyCredential, Error> {
    if let Some(label) = &request.credential
        && !label.eq_ignore_ascii_case(&stored.label)
        && !matches!(origin, Origin::KeePass { .. })
    {
        progress.warn(&format!(
            "`--credential {label}` was asked for, but {origin} holds the `{}` credential; using it",
            stored.label
        ));
    }
    let tenant: TenantId = stored.tenant_id.parse()?;
    let (material, credential) = match &stored.kind {
        CredentialKind::Secret { value, .. } => (
            Material::Secret(value.clone()),
            ClientCredential::Secret(value.clone()),
        ),
        CredentialKind::Certificate(certificate) => {
            let pkcs1 = match certificate.key_format() {
                KeyFormat::Pkcs8 => false,
                KeyFormat::Pkcs1 => true,
                KeyFormat::Sec1 => {
                    return Err(config_error(format!(
                        "the `{}` certificate from {origin} has an EC key; breakglass signs client assertions with RSA keys only",
                        stored.label
                    ))
                    .hinted("use another credential, or sign in with the Azure CLI: `az login --service-principal --certificate FILE`"));
                }
            };
            let entra = breakglass_entra::CertificateCredential::from_der(
                certificate.private_key_der().expose_secret(),
                pkcs1,
                certificate.certificate_der(),
                &format!("the `{}` certificate", stored.label),
            )
            .map_err(EntraError::from)?;
            (
                Material::CertificatePem {
                    pem: certificate.combined_pem(),
                    thumbprint: certificate.thumbprint_sha1_hex().to_string(),
                },
                ClientCredential::certificate(entra),
            )
        }
    };
    let credential = EmergencyCredential {
        label: Some(stored.label.clone()),
        tenant,
        client_id: stored.client_id.to_string(),
        key_id: Some(stored.key_id.to_string()),
        expires: Some(stored.end),
        cloud: Some(stored.cloud.clone()).filter(|c| !c.is_empty()),
        authority_host: Url::parse(&stored.authority_host).ok(),
        origin,
        material,
        credential,
    };
    credential.warn_about_expiry(progress);
    Ok(credential)
}

impl EmergencyCredential {
    /// Warns when the credential has expired or expires within a week.
    pub fn warn_about_expiry(&self, progress: &dyn Progress) {
        let (Some(end), Some(label)) = (self.expires, self.label.as_deref()) else {
            return;
        };
        expiry_warning(progress, label, end);
    }
}

fn expiry_warning(progress: &dyn Progress, label: &str, end: Timestamp) {
    let now = Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    if end <= now {
        progress.warn(&format!(
            "the `{label}` credential expired on {}; the sign-in will most likely be refused",
            end.strftime("%Y-%m-%d %H:%M UTC")
        ));
    } else if end.duration_since(now) < day * 7 {
        progress.warn(&format!(
            "the `{label}` credential expires on {}; renew it with `breakglass credential rotate {label}`",
            end.strftime("%Y-%m-%d %H:%M UTC")
        ));
    }
}

/// The cloud to sign in to: the one chosen (`--cloud`, BREAKGLASS_CLOUD,
/// AZURE_AUTHORITY_HOST), checked against the authority host the credential was made for.
pub fn resolve_cloud(
    progress: &dyn Progress,
    resolved: ResolvedCloud,
    credential: &EmergencyCredential,
) -> Result<ResolvedCloud, Error> {
    let Some(wanted) = &credential.authority_host else {
        return Ok(resolved);
    };
    if same_host(&resolved.profile.authority_host, wanted) {
        return Ok(resolved);
    }
    let cloud_name = credential.cloud.as_deref().unwrap_or_default();
    if cloud_name.eq_ignore_ascii_case(&resolved.profile.name) {
        // The same custom cloud at another address (e.g. a restarted simulator).
        progress.debug(&format!(
            "the credential was made for {wanted}; using the profile's {}",
            resolved.profile.authority_host
        ));
        return Ok(resolved);
    }
    let nothing_chosen =
        resolved.source == CloudSource::BuiltIn("public") && resolved.authority_override.is_none();
    if nothing_chosen
        && let Some(known) = KnownCloud::from_name(cloud_name)
        && let Some((name, _)) = KnownCloud::ALL.iter().find(|(_, k)| *k == known)
    {
        let profile = known.profile();
        if same_host(&profile.authority_host, wanted) {
            progress.debug(&format!("using the `{name}` cloud the credential names"));
            return Ok(ResolvedCloud {
                profile,
                source: CloudSource::BuiltIn(name),
                authority_override: None,
            });
        }
    }
    let label = credential.label.as_deref().unwrap_or("emergency");
    Err(config_error(format!(
        "the `{label}` credential is for the cloud `{cloud_name}` ({}), but breakglass is set up for `{}` ({})",
        wanted.as_str().trim_end_matches('/'),
        resolved.profile.name,
        resolved.profile.authority_host.as_str().trim_end_matches('/')
    ))
    .hinted(format!(
        "pass `--cloud {}` (or the path to that cloud's JSON profile; the simulator writes cloud.json)",
        if KnownCloud::from_name(cloud_name).is_some() { cloud_name } else { "PATH" }
    )))
}

fn same_host(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The client credentials flow for `credential` in `cloud`, asking for Microsoft Graph.
pub fn flow(
    http: &HttpClient,
    cloud: &ResolvedCloud,
    credential: &EmergencyCredential,
) -> ClientCredentialsFlow {
    ClientCredentialsFlow::new(
        http,
        &cloud.profile,
        &credential.tenant,
        &credential.client_id,
        credential.credential.clone(),
    )
}

/// Gets a token for `scope` (a resource's `/.default`). One request to the token endpoint.
pub async fn acquire_token(
    http: &HttpClient,
    cloud: &ResolvedCloud,
    credential: &EmergencyCredential,
    scope: &str,
) -> Result<AccessToken, Error> {
    flow(http, cloud, credential)
        .with_scope(scope)
        .acquire()
        .await
        .map_err(|err| explain(credential, err))
}

/// When the token expires: its `exp` claim, or else what the token endpoint's `expires_in`
/// said (they differ by the request's round trip).
pub fn token_expiry(token: &AccessToken) -> Timestamp {
    token
        .claims()
        .ok()
        .and_then(|claims| claims.exp)
        .and_then(|exp| Timestamp::from_second(exp).ok())
        .unwrap_or(token.expires_on)
}

/// A token error, with a hint that fits where the credential came from.
pub fn explain(credential: &EmergencyCredential, err: EntraError) -> Error {
    let code = match err.root() {
        EntraError::Token(token) => token.code(),
        _ => None,
    };
    let error = Error::from(err);
    let label = credential.label.as_deref().unwrap_or("emergency");
    let hint = match (code, &credential.origin) {
        (Some(7000215 | 7000222 | 700027 | 7000218), Origin::Environment) => format!(
            "the environment's credential is not a current one of app {}; take one from a store: `breakglass token --credential LABEL`",
            credential.client_id
        ),
        (Some(7000215 | 700027 | 7000218), Origin::KeePass { .. }) => format!(
            "the `{label}` credential in KeePass is no longer on the app (rotated or removed elsewhere?): `breakglass credential list` compares the stores with the tenant; try another credential, e.g. the offline shares"
        ),
        (Some(7000215 | 700027 | 7000218), Origin::Sheet { .. } | Origin::Shares { .. }) => {
            format!(
                "the `{label}` credential on these sheets is no longer on the app (replaced or removed); use the newest sheets or another credential"
            )
        }
        (Some(7000222), _) => format!(
            "the `{label}` credential has expired; use another one, and renew it afterwards with `breakglass credential rotate {label}`"
        ),
        (Some(700016), _) => format!(
            "no app {} in tenant {}: check the tenant, or whether the emergency app was deleted (restore it from deleted items within 30 days)",
            credential.client_id, credential.tenant
        ),
        _ => String::new(),
    };
    error.hinted(hint)
}

/// Reads the shares and combines them.
fn combine_shares(inputs: &[Input]) -> Result<(CredentialPayload, Origin), Error> {
    let mut shares = Vec::new();
    for input in inputs {
        let (text, from) = read_input(input, "the shares")?;
        shares.extend(shares_from_text(&text, &from)?);
    }
    let payload = breakglass_store::combine(&shares).map_err(|err| {
        let hint = err.hint();
        config_error(format!(
            "cannot recover the credential from the shares: {err}"
        ))
        .hinted(hint)
    })?;
    let first = shares.first();
    let mut indexes: Vec<u8> = shares.iter().map(ShamirShare::index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    Ok((
        payload,
        Origin::Shares {
            used: indexes.len(),
            threshold: first.map(ShamirShare::threshold).unwrap_or_default(),
            total: first.map(ShamirShare::total).unwrap_or_default(),
            set_id: first.map(|s| s.set_id().to_string()).unwrap_or_default(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_compare_without_paths_and_case() {
        let a = Url::parse("https://LOGIN.microsoftonline.com/").unwrap();
        let b = Url::parse("https://login.microsoftonline.com").unwrap();
        let c = Url::parse("https://login.microsoftonline.us").unwrap();
        assert!(same_host(&a, &b));
        assert!(!same_host(&a, &c));
    }

    #[test]
    fn material_debug_hides_the_secret() {
        let material = Material::Secret(SecretString::from("hunter2-very-secret".to_string()));
        assert!(!format!("{material:?}").contains("hunter2"));
    }
}
