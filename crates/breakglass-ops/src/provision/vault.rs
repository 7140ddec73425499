//! Where credentials go: the KeePass database, recovery sheets and Shamir share sheets
//! named in `breakglass.toml`, and the manifest that lists (without secrets) which key ids
//! the sheets hold.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use breakglass_core::config::{Config, CredentialPolicy, Pkcs11Location, StoreKind};
use breakglass_core::plan::HeldAccount;
use breakglass_core::stores::{
    LocalStores, MadeInTenant, StoreFound, StoreProblem, store_problems,
};
use breakglass_store::{
    AccountState, CertificateCredential, CredentialKind, CredentialPayload, KeePassOptions,
    KeePassStore, KeyFormat, Overwrite, SheetOptions, StoredCredential, render_recovery_sheet,
    render_share_sheet, write_secret_file,
};
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::{GeneratedKey, Material};
use super::token_store::Tokens;
pub use super::vault_api::{NewCredential, StoredLocation, Vault};
use crate::error::{Error, ErrorKind, config_error, internal_error};

/// One sheet-held credential in the manifest. No secret is written here.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    pub label: String,
    pub key_id: String,
    pub kind: String,
    pub store: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_id: Option<String>,
    pub files: Vec<String>,
    pub created: String,
    pub expires: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    /// The tenant the sheets were made for; absent in manifests of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    credentials: Vec<ManifestEntry>,
}

const MANIFEST: &str = "manifest.json";

/// Where the KeePass password comes from.
#[derive(Clone)]
pub enum KeePassPassword {
    Given(SecretString),
    Unavailable(String),
}

/// The stores on this machine, relative to the folder of `breakglass.toml`.
pub struct LocalVault {
    keepass_path: PathBuf,
    sheets: PathBuf,
    password: KeePassPassword,
    keepass: Option<KeePassStore>,
    pub options: KeePassOptions,
    report_to: String,
    /// Set by [`LocalVault::ensure_usable`]: the tenant the stores belong to, written into
    /// new entries and the manifest.
    tenant_id: Option<String>,
    /// Whether a KeePass database may be started here: only when nothing in the tenant needs
    /// the one that is missing (a first apply), or a person said it is lost for good.
    may_create_keepass: bool,
    /// The PKCS#11 tokens of `store = "pkcs11"` credentials, and their PINs.
    pub tokens: Tokens,
    /// Where each `pkcs11` credential's key is, by label.
    token_locations: BTreeMap<String, Pkcs11Location>,
}

impl LocalVault {
    pub fn new(config: &Config, base: &Path, password: KeePassPassword) -> LocalVault {
        LocalVault {
            keepass_path: base.join(&config.stores.keepass),
            sheets: base.join(&config.stores.sheets),
            password,
            keepass: None,
            options: KeePassOptions::default(),
            report_to: "your security operations team".into(),
            tenant_id: None,
            may_create_keepass: false,
            tokens: Tokens::default(),
            token_locations: config
                .app
                .credentials
                .iter()
                .filter_map(|c| c.pkcs11().map(|l| (c.label.clone(), l)))
                .collect(),
        }
    }

    /// Where the `pkcs11` credential `label` is kept.
    pub fn token_location(&self, label: &str) -> Option<Pkcs11Location> {
        self.token_locations.get(label).cloned()
    }

    /// Opens tokens with `tokens` (and its PIN source).
    pub fn with_tokens(mut self, tokens: Tokens) -> LocalVault {
        self.tokens = tokens;
        self
    }

    /// Runs `read` on the vault on a blocking thread, so that opening the KeePass database
    /// (its key derivation takes a large share of a read-only command's own time) goes on
    /// while the caller waits for Graph; the vault comes back with the result.
    pub async fn read_meanwhile<R, F>(self, read: F) -> Result<(LocalVault, R), Error>
    where
        R: Send + 'static,
        F: FnOnce(&mut LocalVault) -> R + Send + 'static,
    {
        let mut vault = self;
        tokio::task::spawn_blocking(move || {
            let result = read(&mut vault);
            (vault, result)
        })
        .await
        .map_err(|e| match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => internal_error(format!("the local stores could not be read: {e}")),
        })
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.sheets.join(MANIFEST)
    }

    /// How the stores are found on this machine. Opening KeePass fails on a wrong password
    /// or a damaged file, as every read does.
    pub fn local_stores(&mut self) -> Result<LocalStores, Error> {
        let mut tenant_ids = BTreeSet::new();
        let keepass = if !self.keepass_path.exists() {
            StoreFound::Missing
        } else if matches!(self.password, KeePassPassword::Unavailable(_)) {
            StoreFound::Locked
        } else {
            if let Some(store) = self.keepass(false)? {
                tenant_ids.extend(store.tenant_ids());
            }
            StoreFound::Present
        };
        let manifest = if self.manifest_path().exists() {
            tenant_ids.extend(self.manifest()?.tenant_id.map(|t| t.to_ascii_lowercase()));
            StoreFound::Present
        } else {
            StoreFound::Missing
        };
        Ok(LocalStores {
            keepass,
            manifest,
            tenant_ids,
        })
    }

    /// Stops, before anything changes, when a store the tenant's emergency credentials live
    /// in is missing or belongs to another tenant: a missing store read as an empty one would
    /// have breakglass revoke what the missing file holds. With `replace_missing`, a person
    /// has said the missing stores are lost: new ones are started, and the plan revokes and
    /// replaces what they held.
    pub fn ensure_usable(
        &mut self,
        config: &breakglass_core::config::Config,
        made: &MadeInTenant,
        tenant_id: &str,
        replace_missing: bool,
    ) -> Result<(), Error> {
        let found = self.local_stores()?;
        let problems: Vec<StoreProblem> = store_problems(config, &found, made, tenant_id)
            .into_iter()
            .filter(|p| !(replace_missing && p.is_missing()))
            .collect();
        if let Some(error) = self.problems_error(&problems) {
            return Err(error);
        }
        self.tenant_id = Some(tenant_id.to_string());
        self.may_create_keepass = found.keepass == StoreFound::Missing;
        Ok(())
    }

    /// Starts the stores the configuration needs and this machine lacks (a first apply, or
    /// after `--replace-missing-stores`), before the tenant holds anything they should keep:
    /// a crash after that leaves a credential no store holds, which the next run removes,
    /// rather than a missing store, which stops it. Call after [`ensure_usable`](Self::ensure_usable).
    pub fn create_missing_stores(
        &mut self,
        config: &breakglass_core::config::Config,
    ) -> Result<(), Error> {
        let needs = |kinds: &[StoreKind]| {
            config
                .app
                .credentials
                .iter()
                .any(|c| kinds.contains(&c.store))
        };
        let needs_keepass = config.users.count > 0 || needs(&[StoreKind::Keepass]);
        if needs_keepass && self.may_create_keepass && !self.keepass_path.exists() {
            let password = self.password()?;
            let mut store = KeePassStore::create(&self.keepass_path, &password, self.options)
                .map_err(keepass_error)?;
            store.save().map_err(keepass_error)?;
            self.keepass = Some(store);
        }
        if needs(&[StoreKind::Sheet, StoreKind::Shares]) && !self.manifest_path().exists() {
            self.save_manifest(&Manifest::default())?;
        }
        Ok(())
    }

    /// One error for what [`store_problems`] found, or `None`.
    pub fn problems_error(&self, problems: &[StoreProblem]) -> Option<Error> {
        let mut messages = problems.iter().map(|p| self.describe_problem(p));
        let (first, first_hints) = messages.next()?;
        let mut error = config_error(first);
        for hint in first_hints {
            error = error.hinted(hint);
        }
        for (also, _) in messages {
            error = error.hinted(format!("also: {also}"));
        }
        Some(error)
    }

    /// A problem as a sentence naming the file, and what to do.
    pub fn describe_problem(&self, problem: &StoreProblem) -> (String, Vec<String>) {
        match problem {
            StoreProblem::KeePassMissing { credentials, users } => {
                let mut held = Vec::new();
                if !credentials.is_empty() {
                    held.push(format!("credential {}", credentials.join(", ")));
                }
                if !users.is_empty() {
                    held.push(format!(
                        "the passwords of emergency user(s) {}",
                        users.join(", ")
                    ));
                }
                (
                    format!(
                        "the KeePass database {} is missing, but the tenant holds what it keeps: {}; nothing was changed",
                        self.keepass_path.display(),
                        held.join(" and ")
                    ),
                    vec![
                        "if it was moved or renamed, put it back, or point `keepass` under [stores] in breakglass.toml at it (and check `--config`)".into(),
                        "if it is lost for good, `breakglass apply --replace-missing-stores` starts a new one: the credentials it held are revoked and replaced and the emergency users' passwords reset".into(),
                    ],
                )
            }
            StoreProblem::ManifestMissing { credentials } => (
                format!(
                    "the sheet manifest {} is missing, but the emergency app holds credential(s) kept on sheets: {}; nothing was changed",
                    self.manifest_path().display(),
                    credentials.join(", ")
                ),
                vec![
                    format!(
                        "restore {} from a backup (it lists key ids, no secret), or point `sheets` under [stores] in breakglass.toml at its folder",
                        self.manifest_path().display()
                    ),
                    "if the sheets are lost too, `breakglass apply --replace-missing-stores` revokes those credentials and prints new sheets".into(),
                ],
            ),
            StoreProblem::OtherTenant { found, expected } => (
                format!(
                    "the stores ({} and {}) hold credentials of tenant {}, but this is tenant {expected}; nothing was changed",
                    self.keepass_path.display(),
                    self.manifest_path().display(),
                    found.join(", ")
                ),
                vec![
                    "give each tenant its own breakglass.toml and stores (`keepass` and `sheets` under [stores]), or sign in to the tenant these stores belong to".into(),
                ],
            ),
        }
    }

    pub fn keepass_path(&self) -> &Path {
        &self.keepass_path
    }

    pub fn sheets_folder(&self) -> &Path {
        &self.sheets
    }

    fn password(&self) -> Result<SecretString, Error> {
        match &self.password {
            KeePassPassword::Given(password) => Ok(password.clone()),
            KeePassPassword::Unavailable(why) => Err(config_error(format!(
                "the KeePass password is needed for {}",
                self.keepass_path.display()
            ))
            .hinted(why.clone())),
        }
    }

    /// Opens (or creates, when writing) the KeePass database.
    fn keepass(&mut self, create: bool) -> Result<Option<&mut KeePassStore>, Error> {
        if self.keepass.is_none() {
            let exists = self.keepass_path.exists();
            if !create && !exists {
                return Ok(None);
            }
            if create && !exists && !self.may_create_keepass {
                return Err(config_error(format!(
                    "the KeePass database {} is missing; breakglass starts one only on a first apply",
                    self.keepass_path.display()
                ))
                .hinted("run `breakglass plan` to see what the tenant holds that it should keep"));
            }
            let password = self.password()?;
            let store = if create {
                KeePassStore::open_or_create(&self.keepass_path, &password, self.options)
            } else {
                KeePassStore::open(&self.keepass_path, &password)
            }
            .map_err(keepass_error)?;
            self.keepass = Some(store);
        }
        Ok(self.keepass.as_mut())
    }

    fn manifest(&self) -> Result<Manifest, Error> {
        let path = self.sheets.join(MANIFEST);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                config_error(format!("{} is not a breakglass sheet manifest: {e}", path.display()))
                    .hinted("restore it from a backup, or move it aside and run `breakglass apply` to make new sheets")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(config_error(format!("cannot read {}: {e}", path.display()))),
        }
    }

    fn save_manifest(&self, manifest: &Manifest) -> Result<(), Error> {
        let mut manifest = manifest.clone();
        if manifest.tenant_id.is_none() {
            manifest.tenant_id = self.tenant_id.clone();
        }
        let text =
            serde_json::to_string_pretty(&manifest).map_err(|e| internal_error(e.to_string()))?;
        std::fs::create_dir_all(&self.sheets)
            .map_err(|e| config_error(format!("cannot create {}: {e}", self.sheets.display())))?;
        write_secret_file(
            &self.sheets.join(MANIFEST),
            text.as_bytes(),
            Overwrite::Replace,
        )
        .map_err(write_error)
    }

    /// The sheet-held credentials, for listing.
    pub fn manifest_entries(&self) -> Result<Vec<ManifestEntry>, Error> {
        Ok(self.manifest()?.credentials)
    }

    /// The KeePass-held credentials, for listing; `None` when unreadable.
    pub fn keepass_entries(&mut self) -> Result<Vec<breakglass_store::KeePassEntry>, Error> {
        Ok(self.keepass(false)?.map(|k| k.list()).unwrap_or_default())
    }

    /// Reads back a KeePass-held credential by label, for emergency use.
    pub fn keepass_credential(&mut self, label: &str) -> Result<Option<StoredCredential>, Error> {
        let Some(store) = self.keepass(false)? else {
            return Ok(None);
        };
        let Some(entry) = store.list().into_iter().rfind(|e| e.label == label) else {
            return Ok(None);
        };
        let Some(key_id) = entry.key_id else {
            return Ok(None);
        };
        store.get(key_id).map_err(keepass_error)
    }

    fn stored(&self, credential: &NewCredential) -> Result<StoredCredential, Error> {
        let key_id = Uuid::parse_str(credential.material.key_id())
            .map_err(|_| internal_error("Graph returned a key id that is not a GUID"))?;
        let client_id = Uuid::parse_str(&credential.client_id)
            .map_err(|_| internal_error("the app id is not a GUID"))?;
        let (kind, start, end) = match &credential.material {
            Material::Secret {
                secret, start, end, ..
            } => (CredentialKind::secret(secret.clone()), *start, *end),
            Material::Certificate {
                certificate,
                start,
                end,
                ..
            } => {
                let GeneratedKey::Memory(key) = &certificate.key else {
                    return Err(internal_error(
                        "a key made on a token can only be kept on that token",
                    ));
                };
                let cert = CertificateCredential::from_der(
                    key.clone(),
                    KeyFormat::Pkcs8,
                    certificate.certificate_der.clone(),
                )
                .map_err(|e| {
                    internal_error(format!("the new certificate cannot be stored: {e}"))
                })?;
                (CredentialKind::Certificate(cert), *start, *end)
            }
        };
        Ok(StoredCredential {
            label: credential.label.clone(),
            display_name: None,
            tenant_id: credential.tenant_id.clone(),
            client_id,
            key_id,
            kind,
            start,
            end,
            cloud: credential.cloud.clone(),
            authority_host: credential.authority_host.clone(),
            note: format!(
                "Emergency access credential `{}`. Using it raises an alert. Get a token with `breakglass token --credential {}`.",
                credential.label, credential.label
            ),
        })
    }

    fn store_in_keepass(&mut self, stored: &StoredCredential) -> Result<StoredLocation, Error> {
        let path = self.keepass_path.clone();
        let store = self
            .keepass(true)?
            .ok_or_else(|| internal_error("KeePass store missing"))?;
        store.upsert(stored).map_err(keepass_error)?;
        store.save().map_err(keepass_error)?;
        Ok(StoredLocation {
            store: "keepass".into(),
            files: vec![path],
        })
    }

    /// Writes the sheet (or the share sheets), then lists them in the manifest.
    fn store_on_paper(
        &mut self,
        policy: &CredentialPolicy,
        stored: &StoredCredential,
        key_id: &str,
    ) -> Result<StoredLocation, Error> {
        let payload = CredentialPayload::encode(stored)
            .map_err(|e| internal_error(format!("cannot encode the credential: {e}")))?;
        std::fs::create_dir_all(&self.sheets)
            .map_err(|e| config_error(format!("cannot create {}: {e}", self.sheets.display())))?;
        let (files, set_id) = if policy.store == StoreKind::Sheet {
            (self.write_recovery_sheet(policy, &payload, key_id)?, None)
        } else {
            self.write_share_sheets(policy, &payload, stored, key_id)?
        };
        self.list_in_manifest(
            policy,
            (stored.kind.name(), stored.end),
            key_id,
            &files,
            set_id,
        )?;
        Ok(StoredLocation {
            store: paper_store_name(policy.store).into(),
            files: files.into_iter().map(|f| self.sheets.join(f)).collect(),
        })
    }

    /// Returns the file written, relative to the sheets folder.
    fn write_recovery_sheet(
        &self,
        policy: &CredentialPolicy,
        payload: &CredentialPayload,
        key_id: &str,
    ) -> Result<Vec<String>, Error> {
        let pdf = render_recovery_sheet(payload, &self.sheet_options())
            .map_err(|e| internal_error(e.to_string()))?;
        let name = format!("recovery-{}-{}.pdf", policy.label, short(key_id));
        write_secret_file(&self.sheets.join(&name), &pdf, Overwrite::Replace)
            .map_err(write_error)?;
        Ok(vec![name])
    }

    /// Returns the files written, relative to the sheets folder, and the shares' set id.
    fn write_share_sheets(
        &self,
        policy: &CredentialPolicy,
        payload: &CredentialPayload,
        stored: &StoredCredential,
        key_id: &str,
    ) -> Result<(Vec<String>, Option<String>), Error> {
        let threshold = policy
            .threshold()
            .ok_or_else(|| internal_error("shares without a threshold"))?;
        let shares = breakglass_store::split(payload, threshold.k, threshold.n)
            .map_err(|e| internal_error(e.to_string()))?;
        let mut files = Vec::new();
        let mut set_id = None;
        for share in &shares {
            let (index, total) = (share.index(), share.total());
            set_id = Some(share.set_id().to_string());
            let base = format!(
                "share-{}-{}-{index}-of-{total}",
                policy.label,
                short(key_id)
            );
            let pdf = render_share_sheet(share, stored, None, &self.sheet_options())
                .map_err(|e| internal_error(e.to_string()))?;
            write_secret_file(
                &self.sheets.join(format!("{base}.pdf")),
                &pdf,
                Overwrite::Replace,
            )
            .map_err(write_error)?;
            let text = share.text();
            write_secret_file(
                &self.sheets.join(format!("{base}.txt")),
                format!("{}\n", text.expose_secret()).as_bytes(),
                Overwrite::Replace,
            )
            .map_err(write_error)?;
            files.push(format!("{base}.pdf"));
            files.push(format!("{base}.txt"));
        }
        Ok((files, set_id))
    }

    /// Lists sheets just written (or a key just made on a token) in the manifest, in place of
    /// the label's earlier ones.
    pub(super) fn list_in_manifest(
        &self,
        policy: &CredentialPolicy,
        (kind, expires): (&str, Timestamp),
        key_id: &str,
        files: &[String],
        set_id: Option<String>,
    ) -> Result<(), Error> {
        let mut manifest = self.manifest()?;
        // A new credential for a label replaces the old one in the store; the plan
        // then removes the old one from the tenant.
        let replaced: Vec<ManifestEntry> = manifest
            .credentials
            .iter()
            .filter(|e| e.label == policy.label)
            .cloned()
            .collect();
        manifest.credentials.retain(|e| e.label != policy.label);
        manifest.credentials.push(ManifestEntry {
            label: policy.label.clone(),
            key_id: key_id.to_string(),
            kind: kind.to_string(),
            store: paper_store_name(policy.store).into(),
            shares: policy.shares.clone(),
            set_id,
            files: files.to_vec(),
            created: Timestamp::now().to_string(),
            expires: expires.to_string(),
        });
        self.save_manifest(&manifest)?;
        for old in replaced {
            for file in old.files {
                let _ = std::fs::remove_file(self.sheets.join(file));
            }
        }
        Ok(())
    }

    fn sheet_options(&self) -> SheetOptions {
        SheetOptions {
            report_to: self.report_to.clone(),
            ..SheetOptions::default()
        }
    }
}

fn keepass_error(error: breakglass_store::KeePassError) -> Error {
    let hint = error.hint();
    Error::new(ErrorKind::Config, error.to_string()).hinted(hint)
}

fn write_error(error: breakglass_store::WriteFileError) -> Error {
    let hint = error.hint();
    Error::new(ErrorKind::Config, error.to_string()).hinted(hint)
}

/// `sheet`, `shares` or `pkcs11`: the stores the manifest lists.
fn paper_store_name(store: StoreKind) -> &'static str {
    match store {
        StoreKind::Sheet => "sheet",
        StoreKind::Pkcs11 => "pkcs11",
        StoreKind::Shares | StoreKind::Keepass => "shares",
    }
}

fn short(key_id: &str) -> &str {
    &key_id[..key_id.len().min(8)]
}

impl Vault for LocalVault {
    fn tokens(&self) -> Tokens {
        self.tokens.clone()
    }

    fn held_key_ids(&mut self) -> Result<Option<BTreeSet<String>>, Error> {
        let mut held: BTreeSet<String> = self
            .manifest()?
            .credentials
            .into_iter()
            .map(|e| e.key_id)
            .collect();
        if self.keepass_path.exists() {
            if matches!(self.password, KeePassPassword::Unavailable(_)) {
                return Ok(None);
            }
            if let Some(store) = self.keepass(false)? {
                held.extend(
                    store
                        .list()
                        .into_iter()
                        .filter_map(|e| e.key_id)
                        .map(|k| k.to_string()),
                );
            }
        }
        Ok(Some(held))
    }

    fn held_accounts(&mut self) -> Result<Option<Vec<HeldAccount>>, Error> {
        if !self.keepass_path.exists() {
            return Ok(Some(Vec::new()));
        }
        if matches!(self.password, KeePassPassword::Unavailable(_)) {
            return Ok(None);
        }
        Ok(self.keepass(false)?.map(|store| {
            store
                .accounts()
                .into_iter()
                .map(|a| HeldAccount {
                    user_id: a.user_id,
                    user_principal_name: a.user_principal_name,
                    in_force: a.state == AccountState::InForce,
                    has_temporary_access_pass: a.has_temporary_access_pass,
                })
                .collect()
        }))
    }

    fn store_credential(
        &mut self,
        policy: &CredentialPolicy,
        credential: NewCredential,
    ) -> Result<StoredLocation, Error> {
        if policy.store == StoreKind::Pkcs11 {
            return self.store_on_token(policy, &credential);
        }
        let stored = self.stored(&credential)?;
        let key_id = credential.material.key_id().to_string();
        match policy.store {
            StoreKind::Keepass => self.store_in_keepass(&stored),
            StoreKind::Sheet | StoreKind::Shares | StoreKind::Pkcs11 => {
                self.store_on_paper(policy, &stored, &key_id)
            }
        }
    }

    fn forget(&mut self, key_id: &str) -> Result<(), Error> {
        let mut manifest = self.manifest()?;
        if let Some(position) = manifest.credentials.iter().position(|e| e.key_id == key_id) {
            let entry = manifest.credentials.remove(position);
            if let Some(location) = self.token_locations.get(&entry.label)
                && entry.store == "pkcs11"
            {
                self.tokens.forget(location, key_id)?;
            }
            self.save_manifest(&manifest)?;
            for file in entry.files {
                let _ = std::fs::remove_file(self.sheets.join(file));
            }
        } else {
            // A rotated key the manifest no longer lists, on a token this run opened.
            for location in self.token_locations.values() {
                self.tokens.forget_if_open(location, key_id)?;
            }
        }
        if self.keepass_path.exists()
            && let Ok(uuid) = Uuid::parse_str(key_id)
            && let Ok(Some(store)) = self.keepass(false)
            && store.remove(uuid)
        {
            store.save().map_err(keepass_error)?;
        }
        Ok(())
    }

    fn stage_account_password(
        &mut self,
        user_id: Option<&str>,
        user_principal_name: &str,
        tenant_id: &str,
        password: &SecretString,
    ) -> Result<(), Error> {
        let store = self
            .keepass(true)?
            .ok_or_else(|| internal_error("KeePass store missing"))?;
        store
            .stage_account(user_id, user_principal_name, tenant_id, password)
            .map_err(keepass_error)?;
        store.save().map_err(keepass_error)
    }

    fn confirm_account_password(
        &mut self,
        user_principal_name: &str,
        user_id: &str,
    ) -> Result<(), Error> {
        let store = self
            .keepass(true)?
            .ok_or_else(|| internal_error("KeePass store missing"))?;
        if !store.confirm_account(user_principal_name, user_id) {
            return Err(internal_error(format!(
                "the password of {user_principal_name} was staged but its KeePass entry is gone"
            )));
        }
        store.save().map_err(keepass_error)
    }

    fn forget_unclaimed_account(&mut self, user_principal_name: &str) -> Result<(), Error> {
        let Some(store) = self.keepass(false)? else {
            return Ok(());
        };
        if store.remove_unclaimed_account(user_principal_name) {
            store.save().map_err(keepass_error)?;
        }
        Ok(())
    }

    fn unclaimed_account_passwords(&mut self) -> Result<Vec<(String, SecretString)>, Error> {
        if !self.keepass_path.exists() {
            return Ok(Vec::new());
        }
        let Some(store) = self.keepass(false)? else {
            return Ok(Vec::new());
        };
        Ok(store.unclaimed_accounts())
    }

    fn store_temporary_access_pass(
        &mut self,
        user_id: &str,
        pass: &SecretString,
    ) -> Result<(), Error> {
        let store = self
            .keepass(true)?
            .ok_or_else(|| internal_error("KeePass store missing"))?;
        store
            .set_account_temporary_access_pass(user_id, pass)
            .map_err(keepass_error)?;
        store.save().map_err(keepass_error)
    }
}
