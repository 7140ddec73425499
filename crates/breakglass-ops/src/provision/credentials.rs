//! The emergency app's credentials as the tenant and the stores see them, and the single
//! steps that change them: create one in the tenant, prove it works, write it to its store,
//! remove one.
//!
//! [`rotate`](super::rotate) strings these steps together so that an interruption at any
//! point converges on the next run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use breakglass_core::config::{Config, CredentialKind, CredentialPolicy, StoreKind};
use breakglass_core::plan::{APP_TAG, OwnedObject, credential_display_name, label_of};
use breakglass_core::{CloudProfile, TenantId};
use breakglass_entra::graph::Owned;
use breakglass_entra::graph::models::{
    Application, KeyCredential, NewKeyCredential, NewPassword, PasswordCredential,
};
use breakglass_entra::{
    ClientCredential, ClientCredentialsFlow, EntraError, GraphClient, HttpClient, Query,
    ReplicationPolicy, retry_while_replicating,
};
use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use super::apply::TenantFacts;
use super::keys::{self, GeneratedCertificate, GeneratedKey, Material};
use super::token_store::Tokens;
use super::vault::{LocalVault, NewCredential, StoredLocation, Vault};
use crate::error::{Error, ErrorKind, config_error, internal_error};

/// One credential as the tenant shows it (never its secret).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantCredential {
    pub key_id: String,
    pub kind: CredentialKind,
    pub display_name: Option<String>,
    /// The first characters of a secret, as Entra shows them.
    pub hint: Option<String>,
    /// SHA-1 thumbprint of a certificate, upper-case hex.
    pub thumbprint: Option<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    #[serde(skip)]
    pub on: OwnedObject,
}

impl TenantCredential {
    /// The label breakglass gave it, if breakglass made it.
    pub fn label(&self) -> Option<&str> {
        label_of(self.display_name.as_deref())
    }

    pub fn expired(&self, now: Timestamp) -> bool {
        self.end.is_some_and(|end| end <= now)
    }
}

fn parse_time(text: Option<&str>) -> Option<Timestamp> {
    text.and_then(|t| t.parse().ok())
}

/// A certificate's SHA-1 thumbprint from its `customKeyIdentifier`, upper-case hex.
fn thumbprint(custom_key_identifier: Option<&str>) -> Option<String> {
    custom_key_identifier
        .and_then(|b64| STANDARD.decode(b64).ok())
        .filter(|bytes| bytes.len() == 20)
        .map(|bytes| bytes.iter().map(|b| format!("{b:02X}")).collect())
}

/// The credentials of an application or service principal.
fn credentials_of(
    secrets: &[PasswordCredential],
    certificates: &[KeyCredential],
    on: OwnedObject,
) -> Vec<TenantCredential> {
    let secrets = secrets.iter().map(|c| TenantCredential {
        key_id: c.key_id.clone().unwrap_or_default(),
        kind: CredentialKind::Secret,
        display_name: c.display_name.clone(),
        hint: c.hint.clone(),
        thumbprint: None,
        start: parse_time(c.start_date_time.as_deref()),
        end: parse_time(c.end_date_time.as_deref()),
        on: on.clone(),
    });
    let certificates = certificates.iter().map(|c| TenantCredential {
        key_id: c.key_id.clone().unwrap_or_default(),
        kind: CredentialKind::Certificate,
        display_name: c.display_name.clone(),
        hint: None,
        thumbprint: thumbprint(c.custom_key_identifier.as_deref()),
        start: parse_time(c.start_date_time.as_deref()),
        end: parse_time(c.end_date_time.as_deref()),
        on: on.clone(),
    });
    secrets.chain(certificates).collect()
}

/// The emergency app and its service principal, with their credentials.
#[derive(Clone, Debug)]
pub struct EmergencyApp {
    pub object_id: String,
    pub app_id: String,
    /// When the app was created (app management restrictions bind apps by that date).
    pub created: Option<Timestamp>,
    pub credentials: Vec<TenantCredential>,
    pub service_principal_id: Option<String>,
    /// Credentials on the service principal: never wanted, shown so they can be removed.
    pub service_principal_credentials: Vec<TenantCredential>,
}

impl EmergencyApp {
    /// Finds the app by its tag, as `plan` does: the one in use, else the oldest.
    pub async fn find(graph: &GraphClient) -> Result<EmergencyApp, Error> {
        let query = Query::applications_tagged(APP_TAG);
        let mut apps: Vec<Application> = graph.applications(&query).try_collect().await?;
        let in_use = |app: &Application| {
            !app.password_credentials.is_empty() || !app.key_credentials.is_empty()
        };
        if apps.iter().filter(|a| in_use(a)).count() > 1 {
            return Err(config_error(format!(
                "{} applications carry the breakglass marker and more than one has credentials; breakglass cannot tell which is the emergency app",
                apps.len()
            ))
            .hinted("run `breakglass plan` to see them, and remove the tag `breakglass:emergency-access` from the one that is not the emergency app"));
        }
        apps.sort_by_key(|a| (!in_use(a), parse_time(a.created_date_time.as_deref())));
        let Some(app) = apps.into_iter().next() else {
            return Err(config_error("the tenant has no emergency app yet")
                .hinted("run `breakglass apply` to create it with its credentials"));
        };
        let app_id = app.app_id.clone().unwrap_or_default();
        let sp = graph.service_principal_by_app_id(&app_id).await?;
        Ok(EmergencyApp {
            created: parse_time(app.created_date_time.as_deref()),
            credentials: credentials_of(
                &app.password_credentials,
                &app.key_credentials,
                OwnedObject::Application,
            ),
            object_id: app.id,
            app_id,
            service_principal_id: sp.as_ref().map(|s| s.id.clone()),
            service_principal_credentials: sp
                .map(|s| {
                    credentials_of(
                        &s.password_credentials,
                        &s.key_credentials,
                        OwnedObject::ServicePrincipal,
                    )
                })
                .unwrap_or_default(),
        })
    }

    /// Reads the app's credentials again, after a change.
    pub async fn refresh(&mut self, graph: &GraphClient) -> Result<(), Error> {
        let (secrets, certificates) = graph
            .credentials_of(Owned::Application, &self.object_id)
            .await?;
        self.credentials = credentials_of(&secrets, &certificates, OwnedObject::Application);
        Ok(())
    }

    /// The app's credentials carrying this label.
    pub fn with_label<'a>(&'a self, label: &'a str) -> impl Iterator<Item = &'a TenantCredential> {
        self.credentials
            .iter()
            .filter(move |c| c.label() == Some(label))
    }
}

/// Which store holds a credential.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Holding {
    /// `keepass`, `sheet` or `shares`.
    pub store: String,
    /// `3-of-5` for shares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<String>,
    pub label: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Holding {
    /// `keepass`, `sheet`, `shares 3-of-5`.
    pub fn describe(&self) -> String {
        match &self.shares {
            Some(shares) => format!("{} {shares}", self.store),
            None => self.store.clone(),
        }
    }
}

/// What the local stores hold, by key id. Reading fails (exit 3) when a store cannot be
/// read, e.g. a wrong KeePass password: nothing may be removed on a guess.
#[derive(Clone, Debug, Default)]
pub struct StoreIndex {
    pub by_key: BTreeMap<String, Holding>,
    /// The stores whose file is not on this machine: what they should hold cannot be judged.
    pub missing: Vec<StoreKind>,
}

impl StoreIndex {
    pub fn read(vault: &mut LocalVault) -> Result<StoreIndex, Error> {
        let mut missing = Vec::new();
        if !vault.keepass_path().exists() {
            missing.push(StoreKind::Keepass);
        }
        if !vault.manifest_path().exists() {
            missing.extend([StoreKind::Sheet, StoreKind::Shares]);
        }
        let mut by_key = BTreeMap::new();
        for entry in vault.manifest_entries()? {
            by_key.insert(
                entry.key_id.to_ascii_lowercase(),
                Holding {
                    store: entry.store.clone(),
                    shares: entry.shares.clone(),
                    label: entry.label.clone(),
                    kind: entry.kind.clone(),
                    thumbprint: None,
                    expires: Some(entry.expires.clone()),
                },
            );
        }
        for entry in vault.keepass_entries()? {
            let Some(key_id) = entry.key_id else { continue };
            by_key.insert(
                key_id.to_string(),
                Holding {
                    store: "keepass".into(),
                    shares: None,
                    label: entry.label.clone(),
                    kind: entry.kind.clone(),
                    thumbprint: entry.thumbprint.clone(),
                    expires: Some(entry.expires.clone()).filter(|e| !e.is_empty()),
                },
            );
        }
        Ok(StoreIndex { by_key, missing })
    }

    pub fn get(&self, key_id: &str) -> Option<&Holding> {
        self.by_key.get(&key_id.to_ascii_lowercase())
    }

    pub fn holds(&self, key_id: &str) -> bool {
        self.get(key_id).is_some()
    }

    /// Whether the store `kind` is missing from this machine.
    pub fn is_missing(&self, kind: StoreKind) -> bool {
        self.missing.contains(&kind)
    }
}

/// A credential that works: on the app, declared, held by a store, not expired.
pub fn is_usable(
    config: &Config,
    stores: &StoreIndex,
    credential: &TenantCredential,
    now: Timestamp,
) -> bool {
    credential.on == OwnedObject::Application
        && credential
            .label()
            .is_some_and(|l| config.credential(l).is_some())
        && stores.holds(&credential.key_id)
        && !credential.expired(now)
}

/// A certificate on the app whose private key this machine holds (in KeePass), which can
/// sign the proof of possession `addKey` asks for.
pub struct Signer {
    pub key_id: String,
    pub certificate: breakglass_entra::CertificateCredential,
}

/// Looks in KeePass for a current certificate of the app.
pub fn find_signer(
    vault: &mut LocalVault,
    app: &EmergencyApp,
    now: Timestamp,
) -> Result<Option<Signer>, Error> {
    let current: Vec<&TenantCredential> = app
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::Certificate && !c.expired(now))
        .filter(|c| c.start.is_none_or(|s| s <= now))
        .collect();
    if let Some(signer) = token_signer(vault, &current)? {
        return Ok(Some(signer));
    }
    for entry in vault.keepass_entries()? {
        let Some(key_id) = entry.key_id.map(|k| k.to_string()) else {
            continue;
        };
        if entry.kind != "certificate" || !current.iter().any(|c| c.key_id == key_id) {
            continue;
        }
        let Some(stored) = vault.keepass_credential(&entry.label)? else {
            continue;
        };
        if stored.key_id.to_string() != key_id {
            continue;
        }
        if let breakglass_store::CredentialKind::Certificate(cert) = &stored.kind
            && let Ok(certificate) = entra_certificate(cert)
        {
            return Ok(Some(Signer {
                key_id,
                certificate,
            }));
        }
    }
    Ok(None)
}

/// A current certificate on a token the manifest lists, to sign an addKey proof there.
fn token_signer(
    vault: &LocalVault,
    current: &[&TenantCredential],
) -> Result<Option<Signer>, Error> {
    for entry in vault.manifest_entries()? {
        if entry.store != "pkcs11" || !current.iter().any(|c| c.key_id == entry.key_id) {
            continue;
        }
        let Some(location) = vault.token_location(&entry.label) else {
            continue;
        };
        // A token that cannot be opened (no PIN, a refused one) signs no proof; the
        // certificate then goes on by PATCH, and the same error is met again (not the PIN
        // tried again) if the new key itself is to be made on that token.
        let Ok(on_token) = vault.tokens.credential(&location) else {
            continue;
        };
        if on_token.note.key_id.eq_ignore_ascii_case(&entry.key_id) {
            return Ok(Some(Signer {
                key_id: entry.key_id,
                certificate: on_token.certificate,
            }));
        }
    }
    Ok(None)
}

fn entra_certificate(
    cert: &breakglass_store::CertificateCredential,
) -> Result<breakglass_entra::CertificateCredential, Error> {
    let pkcs1 = cert.key_format() == breakglass_store::KeyFormat::Pkcs1;
    breakglass_entra::CertificateCredential::from_der(
        cert.private_key_der().expose_secret(),
        pkcs1,
        cert.certificate_der(),
        "the stored certificate",
    )
    .map_err(|e| config_error(format!("the stored certificate cannot sign: {e}")))
}

/// How a credential was added to the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "method",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum AddMethod {
    /// `POST addPassword`: Entra makes the secret.
    AddPassword,
    /// `POST addKey`, with a proof of possession signed by a current certificate.
    AddKey { proof_signed_by: String },
    /// `PATCH keyCredentials`: no current certificate's key was at hand (or addKey refused).
    PatchKeyCredentials { why: String },
}

impl AddMethod {
    pub fn describe(&self) -> String {
        match self {
            AddMethod::AddPassword => "addPassword".into(),
            AddMethod::AddKey { proof_signed_by } => {
                format!("addKey, proof of possession signed by certificate {proof_signed_by}")
            }
            AddMethod::PatchKeyCredentials { why } => format!("PATCH keyCredentials: {why}"),
        }
    }
}

/// A credential just added to the tenant, not yet in any store.
pub struct Created {
    pub material: Material,
    pub method: AddMethod,
}

impl Created {
    pub fn key_id(&self) -> &str {
        self.material.key_id()
    }

    /// The credential the token endpoint takes; a certificate signs its assertions with
    /// `algorithm` (RS256 for a token without RSA-PSS).
    pub fn client_credential(
        &self,
        algorithm: breakglass_entra::AssertionAlgorithm,
    ) -> Result<ClientCredential, Error> {
        Ok(match &self.material {
            Material::Secret { secret, .. } => ClientCredential::Secret(secret.clone()),
            Material::Certificate { certificate, .. } => {
                let cert = match &certificate.key {
                    GeneratedKey::Memory(key) => breakglass_entra::CertificateCredential::from_der(
                        key.expose_secret(),
                        false,
                        &certificate.certificate_der,
                        "the new certificate",
                    ),
                    GeneratedKey::Token(key) => {
                        breakglass_entra::CertificateCredential::from_signer(
                            Arc::clone(key) as Arc<dyn breakglass_entra::KeySigner>,
                            &certificate.certificate_der,
                            "the new certificate",
                        )
                    }
                }
                .map_err(|e| internal_error(format!("the new certificate is not usable: {e}")))?;
                ClientCredential::Certificate {
                    certificate: Arc::new(cert),
                    algorithm,
                }
            }
        })
    }
}

/// Adds a credential for `policy` to the app. A certificate's key is made here (or, for
/// `store = "pkcs11"`, on the token through `tokens`) and never sent anywhere; the secret of a
/// client secret is made by Entra and shown only once.
#[allow(clippy::too_many_arguments)]
pub async fn create_credential(
    tokens: &Tokens,
    graph: &GraphClient,
    replication: ReplicationPolicy,
    policy: &CredentialPolicy,
    app_object_id: &str,
    app_id: &str,
    signer: Option<&Signer>,
) -> Result<Created, Error> {
    let now = Timestamp::now();
    let end = now
        .checked_add(SignedDuration::from_hours(
            24 * i64::from(policy.lifetime_days),
        ))
        .unwrap_or(now);
    let addition = Addition {
        graph,
        replication,
        app_object_id,
        display_name: credential_display_name(&policy.label),
        now,
        end,
    };
    match policy.kind {
        CredentialKind::Secret => addition.add_password().await,
        CredentialKind::Certificate => {
            let generated = if policy.store == StoreKind::Pkcs11 {
                let location = super::token_store::location_of(policy)?;
                tokens.generate(&location, &policy.label, app_id, now, end)?
            } else {
                keys::generate_certificate(&policy.label, app_id, now, end)?
            };
            addition.add_certificate(generated, signer).await
        }
    }
}

/// What adding one credential to the app needs, whichever way it is added.
struct Addition<'a> {
    graph: &'a GraphClient,
    replication: ReplicationPolicy,
    app_object_id: &'a str,
    display_name: String,
    now: Timestamp,
    end: Timestamp,
}

/// How `addKey` answered.
enum AddKeyAnswer {
    Added {
        key_id: String,
        start: Timestamp,
    },
    /// Refused outright, for this reason.
    Refused(String),
}

impl Addition<'_> {
    async fn add_password(&self) -> Result<Created, Error> {
        let request = NewPassword {
            display_name: self.display_name.clone(),
            end_date_time: Some(self.end.to_string()),
        };
        let created = retry_while_replicating(self.replication, || {
            self.graph.add_password(self.app_object_id, &request)
        })
        .await?;
        let secret = created
            .secret_text
            .filter(|s| !s.expose_secret().is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Service,
                    "addPassword answered without the new secret",
                )
            })?;
        Ok(Created {
            material: Material::Secret {
                key_id: created.key_id.unwrap_or_default(),
                secret,
                start: parse_time(created.start_date_time.as_deref()).unwrap_or(self.now),
                end: self.end,
            },
            method: AddMethod::AddPassword,
        })
    }

    /// `addKey` when a current certificate can sign the proof, else (or when addKey refuses
    /// the proof) `PATCH keyCredentials`.
    async fn add_certificate(
        &self,
        generated: GeneratedCertificate,
        signer: Option<&Signer>,
    ) -> Result<Created, Error> {
        let mut why =
            "no current certificate's private key is on this machine to sign an addKey proof"
                .to_string();
        if let Some(signer) = signer {
            match self.add_key(&generated, signer).await? {
                AddKeyAnswer::Added { key_id, start } => {
                    return Ok(Created {
                        material: Material::Certificate {
                            key_id,
                            certificate: generated,
                            start,
                            end: self.end,
                        },
                        method: AddMethod::AddKey {
                            proof_signed_by: signer.key_id.clone(),
                        },
                    });
                }
                AddKeyAnswer::Refused(refused) => why = refused,
            }
        }
        let key_id = self.patch_key_credentials(&generated).await?;
        Ok(Created {
            material: Material::Certificate {
                key_id,
                certificate: generated,
                start: self.now,
                end: self.end,
            },
            method: AddMethod::PatchKeyCredentials { why },
        })
    }

    async fn add_key(
        &self,
        generated: &GeneratedCertificate,
        signer: &Signer,
    ) -> Result<AddKeyAnswer, Error> {
        let proof = signer
            .certificate
            .proof_of_possession(self.app_object_id, self.now)
            .map_err(|e| internal_error(format!("cannot sign the proof: {e}")))?;
        let key = NewKeyCredential {
            display_name: self.display_name.clone(),
            kind: "AsymmetricX509Cert".into(),
            usage: "Verify".into(),
            key: generated.certificate_base64(),
            end_date_time: Some(self.end.to_string()),
        };
        match self
            .graph
            .add_key(self.app_object_id, &key, proof.expose_secret())
            .await
        {
            Ok(added) => {
                let key_id = added.key_id.unwrap_or_default();
                if key_id.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Service,
                        "addKey answered without the new key id",
                    ));
                }
                let start = added
                    .start_date_time
                    .as_deref()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(self.now);
                Ok(AddKeyAnswer::Added { key_id, start })
            }
            // Refused outright: nothing was added, so PATCH is safe.
            Err(e) if matches!(e.status(), Some(400 | 401 | 403)) => Ok(AddKeyAnswer::Refused(
                format!("addKey refused the proof ({})", one_line(&e)),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the app's certificates back with the new one; returns the key id chosen for it.
    async fn patch_key_credentials(
        &self,
        generated: &GeneratedCertificate,
    ) -> Result<String, Error> {
        let key_id = uuid::Uuid::new_v4().to_string();
        let (_, mut current) = self
            .graph
            .credentials_of(Owned::Application, self.app_object_id)
            .await?;
        current.push(KeyCredential {
            key_id: Some(key_id.clone()),
            display_name: Some(self.display_name.clone()),
            kind: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
            key: Some(generated.certificate_base64()),
            custom_key_identifier: None,
            start_date_time: Some(self.now.to_string()),
            end_date_time: Some(self.end.to_string()),
        });
        retry_while_replicating(self.replication, || {
            self.graph
                .replace_key_credentials(Owned::Application, self.app_object_id, &current)
        })
        .await?;
        Ok(key_id)
    }
}

fn one_line(error: &EntraError) -> String {
    error
        .graph()
        .map(|g| g.message.clone())
        .unwrap_or_else(|| error.to_string())
}

/// Writes a new credential to the store its policy names.
pub fn store_credential(
    vault: &mut dyn Vault,
    policy: &CredentialPolicy,
    facts: &TenantFacts,
    app_id: &str,
    material: Material,
) -> Result<StoredLocation, Error> {
    vault.store_credential(
        policy,
        NewCredential {
            label: policy.label.clone(),
            tenant_id: facts.tenant_id.clone(),
            client_id: app_id.to_string(),
            authority_host: facts.authority_host.clone(),
            cloud: facts.cloud_name.clone(),
            material,
        },
    )
}

/// How a credential was shown to work.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// Token requests made before one succeeded (more than one while Entra replicated).
    pub attempts: u32,
    pub seconds: f64,
    /// The tenant's display name, as `GET /organization` answered with the new token.
    pub organization: String,
}

/// Errors that mean "the identity platform does not know this credential yet".
fn not_replicated_yet(error: &EntraError) -> bool {
    if let Some(token) = error.token() {
        return matches!(token.code(), Some(7000215 | 700027 | 7000218 | 700016))
            || token.error == "invalid_client";
    }
    error
        .graph()
        .is_some_and(|g| g.status == 401 || g.is_replication_delay())
}

/// Proves a credential works: a token from the identity platform with it, then a Graph
/// call (`GET /organization`) with that token. A fresh credential takes a while to
/// replicate, so "unknown credential" answers are retried for at most `budget`.
pub async fn prove(
    http: &HttpClient,
    profile: &CloudProfile,
    tenant: &TenantId,
    app_id: &str,
    credential: ClientCredential,
    budget: Duration,
) -> Result<Proof, Error> {
    let started = Instant::now();
    let flow = ClientCredentialsFlow::new(http, profile, tenant, app_id, credential);
    let mut delay = Duration::from_millis(500);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = async {
            let token = flow.acquire().await?;
            let graph = GraphClient::new(http.clone(), profile, Arc::new(token));
            graph.organization().await
        }
        .await;
        match result {
            Ok(organizations) => {
                return Ok(Proof {
                    attempts,
                    seconds: started.elapsed().as_secs_f64(),
                    organization: organizations
                        .first()
                        .and_then(|o| o.display_name.clone())
                        .unwrap_or_default(),
                });
            }
            Err(e) if not_replicated_yet(&e) && started.elapsed() + delay < budget => {
                tracing::debug!(?delay, "the new credential is not usable yet: {e}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => {
                let seconds = started.elapsed().as_secs();
                return Err(Error::from(e).caused_by(format!(
                    "{attempts} attempt(s) in {seconds}s to use the new credential"
                )));
            }
        }
    }
}

/// Removes a credential from the tenant (app or service principal) by key id; already
/// gone is fine.
pub async fn remove_from_tenant(
    graph: &GraphClient,
    app: &EmergencyApp,
    credential: &TenantCredential,
) -> Result<(), Error> {
    let (holder, id) = match credential.on {
        OwnedObject::Application => (Owned::Application, app.object_id.clone()),
        OwnedObject::ServicePrincipal => (
            Owned::ServicePrincipal,
            app.service_principal_id
                .clone()
                .ok_or_else(|| internal_error("a service principal credential without one"))?,
        ),
    };
    super::apply::remove_credential(graph, holder, &id, &credential.key_id).await
}
