//! Adding, rotating and removing the emergency app's credentials so that the stores never
//! lack a working credential and the tenant never keeps one that no store knows.
//!
//! Rotation runs in this order, each step safe to interrupt:
//!
//! 1. remove the label's credentials that no store holds (leftovers of an interrupted
//!    add or rotation: made in the tenant, never stored);
//! 2. add the new credential to the tenant;
//! 3. prove it: a token from the identity platform with it, and a Graph call with the token;
//! 4. write it to its store, which then holds it instead of the old one;
//! 5. remove the old one(s) from the tenant.
//!
//! Killed before 4, the new credential is in the tenant but in no store: step 1 of the
//! next run (or `apply`) removes it, and the store still holds the old, working one. Killed
//! after 4, the store holds the new, proven one and the old one is in no store: again step 1
//! (or `apply`) removes it.

use std::time::Duration;

use breakglass_core::config::{Config, CredentialKind, CredentialPolicy};
use breakglass_core::plan::OwnedObject;
use breakglass_core::stores::MadeInTenant;
use breakglass_core::{CloudProfile, TenantId};
use breakglass_entra::{GraphClient, HttpClient, ReplicationPolicy};
use jiff::Timestamp;
use serde::Serialize;

use super::Workspace;
use super::apply::{TenantFacts, default_replication};
use super::credentials::{
    self, AddMethod, Created, EmergencyApp, Proof, StoreIndex, TenantCredential, find_signer,
    is_usable, prove, remove_from_tenant,
};
use super::vault::{KeePassPassword, LocalVault, StoredLocation, Vault as _};
use crate::error::{Error, ErrorKind, config_error, internal_error, usage_error};
use crate::session::Session;
use crate::tenant::emergency_user_names;

/// Everything the credential operations need.
pub struct CredentialOps<'a> {
    pub graph: &'a GraphClient,
    pub http: &'a HttpClient,
    pub profile: &'a CloudProfile,
    pub tenant: TenantId,
    pub config: &'a Config,
    pub facts: &'a TenantFacts,
    pub vault: &'a mut LocalVault,
    pub replication: ReplicationPolicy,
    /// How long to wait for a new credential to work (Entra replicates for a while).
    pub proof_budget: Duration,
    /// Told about each step as it starts, for progress on stderr.
    pub progress: &'a mut dyn FnMut(String),
}

/// A signed-in operator with the configuration and the stores: what the credential commands
/// (`list`, `add`, `rotate`, `remove`) work on.
pub struct CredentialSession {
    pub session: Session,
    pub workspace: Workspace,
    pub vault: LocalVault,
    pub facts: TenantFacts,
    pub tenant: TenantId,
}

impl CredentialSession {
    /// The tenant the operator signed in to (from its token), with the stores of `workspace`.
    pub fn open(
        session: Session,
        workspace: Workspace,
        password: KeePassPassword,
    ) -> Result<CredentialSession, Error> {
        let tenant_id = session
            .token
            .claims()?
            .tid
            .ok_or_else(|| internal_error("the operator's token carries no tenant id"))?;
        let tenant: TenantId = tenant_id.parse()?;
        let vault = LocalVault::new(&workspace.config, &workspace.base, password);
        // Only users need the initial domain; credential commands never make users.
        let facts = TenantFacts::new(tenant_id, String::new(), &session.cloud.profile);
        Ok(CredentialSession {
            session,
            workspace,
            vault,
            facts,
            tenant,
        })
    }

    /// The operations, each step told to `progress` as it starts; a new credential is tried
    /// for up to `proof_budget` while Entra replicates it.
    pub fn ops<'a>(
        &'a mut self,
        proof_budget: Duration,
        progress: &'a mut dyn FnMut(String),
    ) -> CredentialOps<'a> {
        CredentialOps {
            graph: &self.session.graph,
            http: self.session.graph.http(),
            profile: &self.session.cloud.profile,
            tenant: self.tenant.clone(),
            config: &self.workspace.config,
            facts: &self.facts,
            vault: &mut self.vault,
            replication: default_replication(),
            proof_budget,
            progress,
        }
    }
}

/// A credential removed from the tenant, and why.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    pub key_id: String,
    pub kind: CredentialKind,
    pub why: String,
}

/// A credential added, proven and stored.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Added {
    pub key_id: String,
    pub kind: CredentialKind,
    #[serde(flatten)]
    pub method: AddMethod,
    pub proof: Proof,
    pub stored_in: StoredLocation,
}

/// What `rotate` did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    pub label: String,
    pub cleaned_up: Vec<Removed>,
    pub added: Added,
    pub removed: Vec<Removed>,
}

/// What `add` did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedForLabel {
    pub label: String,
    pub added: Added,
    /// Credentials of the label that the store no longer holds (after `--force`).
    pub superseded: Vec<String>,
}

/// What `remove` did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedOne {
    pub key_id: String,
    pub label: Option<String>,
    pub removed_from_tenant: bool,
    pub removed_from_store: Option<String>,
    /// Labels left without a usable credential, which `apply` would add again.
    pub labels_left_without_credential: Vec<String>,
}

impl CredentialOps<'_> {
    fn policy(&self, label: &str) -> Result<CredentialPolicy, Error> {
        self.config.credential(label).cloned().ok_or_else(|| {
            let declared: Vec<&str> = self
                .config
                .app
                .credentials
                .iter()
                .map(|c| c.label.as_str())
                .collect();
            config_error(format!("no credential labelled `{label}` is declared"))
                .hinted(format!(
                    "declared labels: {}; add an [[app.credentials]] with label = \"{label}\" to breakglass.toml first",
                    declared.join(", ")
                ))
        })
    }

    fn step(&mut self, message: impl Into<String>) {
        (self.progress)(message.into());
    }

    /// Reads the stores and the app, failing before any change when a store cannot be read,
    /// is missing though the tenant holds what it keeps, or belongs to another tenant.
    async fn read(&mut self) -> Result<(StoreIndex, EmergencyApp), Error> {
        let stores = StoreIndex::read(self.vault)?;
        // Stores of another tenant are named before anything about this tenant.
        self.vault.ensure_usable(
            self.config,
            &MadeInTenant::default(),
            &self.facts.tenant_id,
            false,
        )?;
        let app = EmergencyApp::find(self.graph).await?;
        let made = MadeInTenant {
            credentials: app
                .credentials
                .iter()
                .filter_map(|c| c.label().map(|l| (l.to_string(), c.key_id.clone())))
                .collect(),
            users: emergency_user_names(self.graph).await?,
        };
        self.vault
            .ensure_usable(self.config, &made, &self.facts.tenant_id, false)?;
        self.vault.create_missing_stores(self.config)?;
        Ok((stores, app))
    }

    /// Step 1: removes the label's credentials that no store holds.
    async fn clean_up(
        &mut self,
        label: &str,
        app: &EmergencyApp,
        stores: &StoreIndex,
    ) -> Result<Vec<Removed>, Error> {
        let leftovers: Vec<TenantCredential> = app
            .with_label(label)
            .filter(|c| !stores.holds(&c.key_id))
            .cloned()
            .collect();
        let mut removed = Vec::new();
        for leftover in leftovers {
            self.step(format!(
                "removing {} {}: no store holds it (left by an interrupted add or rotation)",
                kind_name(leftover.kind),
                leftover.key_id
            ));
            remove_from_tenant(self.graph, app, &leftover).await?;
            removed.push(Removed {
                key_id: leftover.key_id.clone(),
                kind: leftover.kind,
                why: "no store held it: left by an interrupted add or rotation".into(),
            });
        }
        Ok(removed)
    }

    /// Steps 2 to 4: add, prove, store. On a failure before the store holds it, the new
    /// credential is removed from the tenant again (best effort; else the next run does).
    async fn add_prove_store(
        &mut self,
        policy: &CredentialPolicy,
        app: &EmergencyApp,
    ) -> Result<Added, Error> {
        let now = Timestamp::now();
        let signer = if policy.kind == CredentialKind::Certificate {
            find_signer(self.vault, app, now)?
        } else {
            None
        };
        self.step(format!(
            "adding a new `{}` {} to the app",
            policy.label,
            kind_name(policy.kind)
        ));
        let created = credentials::create_credential(
            &self.vault.tokens,
            self.graph,
            self.replication,
            policy,
            &app.object_id,
            &app.app_id,
            signer.as_ref(),
        )
        .await?;
        let key_id = created.key_id().to_string();
        self.step(format!(
            "proving {key_id} works: a token with it, then GET /organization"
        ));
        let proof = match self.prove(&created, policy, &app.app_id).await {
            Ok(proof) => proof,
            Err(error) => {
                return Err(self
                    .undo(app, &created, error)
                    .await
                    .hinted("the new credential did not work, so it was not stored; the stores still hold the previous one"));
            }
        };
        self.step(format!("writing {key_id} to its store"));
        let method = created.method.clone();
        let kind = policy.kind;
        let undo_view = TenantCredential {
            key_id: key_id.clone(),
            kind,
            display_name: None,
            hint: None,
            thumbprint: None,
            start: None,
            end: None,
            on: OwnedObject::Application,
        };
        let stored_in = match credentials::store_credential(
            self.vault,
            policy,
            self.facts,
            &app.app_id,
            created.material,
        ) {
            Ok(location) => location,
            Err(error) => {
                let _ = remove_from_tenant(self.graph, app, &undo_view).await;
                return Err(error.hinted(format!(
                    "the new credential {key_id} was removed from the tenant again; the store still holds the previous one"
                )));
            }
        };
        Ok(Added {
            key_id,
            kind,
            method,
            proof,
            stored_in,
        })
    }

    async fn prove(
        &self,
        created: &Created,
        policy: &CredentialPolicy,
        app_id: &str,
    ) -> Result<Proof, Error> {
        prove(
            self.http,
            self.profile,
            &self.tenant,
            app_id,
            created.client_credential(super::token_store::assertion_algorithm(policy))?,
            self.proof_budget,
        )
        .await
    }

    async fn undo(&mut self, app: &EmergencyApp, created: &Created, error: Error) -> Error {
        let view = TenantCredential {
            key_id: created.key_id().to_string(),
            kind: match created.material {
                super::keys::Material::Secret { .. } => CredentialKind::Secret,
                super::keys::Material::Certificate { .. } => CredentialKind::Certificate,
            },
            display_name: None,
            hint: None,
            thumbprint: None,
            start: None,
            end: None,
            on: OwnedObject::Application,
        };
        match remove_from_tenant(self.graph, app, &view).await {
            Ok(()) => error,
            Err(_) => error.hinted(format!(
                "the new credential {} could not be removed again; `breakglass apply` removes it",
                created.key_id()
            )),
        }
    }

    /// Stops before anything changes when the app management policy that binds the app would
    /// refuse the new credential. A policy that cannot be read is told and not judged: the
    /// tenant has the last word then.
    async fn refuse_what_the_app_policy_blocks(
        &mut self,
        policy: &CredentialPolicy,
        app: &EmergencyApp,
    ) -> Result<(), Error> {
        let effective = crate::tenant::app_management(self.graph, Some(&app.object_id)).await?;
        let effective = match effective.get() {
            Ok(effective) => effective.clone(),
            Err(missing) => {
                self.step(format!(
                    "the app management policy could not be read ({}); adding the credential regardless",
                    missing.permission
                ));
                return Ok(());
            }
        };
        let blocked = breakglass_core::app_policy::blocked_credentials(
            &effective,
            app.created,
            std::slice::from_ref(policy),
            Timestamp::now(),
        );
        match blocked.first() {
            None => Ok(()),
            Some(refused) => Err(config_error(format!(
                "the tenant would refuse a new `{}` credential: {}; nothing was changed",
                refused.label, refused.why
            ))
            .hinted(format!(
                "relax the policy's {} restriction for the emergency app (or assign the app a policy that allows its declared credentials), then run this again",
                refused.restriction
            ))),
        }
    }

    /// Rotates the credential labelled `label`; see the module documentation.
    pub async fn rotate(&mut self, label: &str) -> Result<Rotated, Error> {
        let policy = self.policy(label)?;
        let (stores, app) = self.read().await?;
        self.refuse_what_the_app_policy_blocks(&policy, &app)
            .await?;
        // Only once the tenant may have changed is there anything for a rerun to clean up.
        self.rotate_read(label, &policy, stores, app)
            .await
            .map_err(|e| {
                e.hinted(format!(
                    "running `breakglass credential rotate {label}` again is safe: it first cleans up what this run left"
                ))
            })
    }

    async fn rotate_read(
        &mut self,
        label: &str,
        policy: &CredentialPolicy,
        stores: StoreIndex,
        mut app: EmergencyApp,
    ) -> Result<Rotated, Error> {
        let cleaned_up = self.clean_up(label, &app, &stores).await?;
        if !cleaned_up.is_empty() {
            app.refresh(self.graph).await?;
        }
        let old: Vec<TenantCredential> = app
            .with_label(label)
            .filter(|c| stores.holds(&c.key_id))
            .cloned()
            .collect();
        let added = self.add_prove_store(policy, &app).await?;
        let mut removed = Vec::new();
        for credential in old.iter().filter(|c| c.key_id != added.key_id) {
            self.step(format!(
                "removing the old {} {} from the app",
                kind_name(credential.kind),
                credential.key_id
            ));
            remove_from_tenant(self.graph, &app, credential).await?;
            self.vault.forget(&credential.key_id)?;
            removed.push(Removed {
                key_id: credential.key_id.clone(),
                kind: credential.kind,
                why: format!("replaced by {}", added.key_id),
            });
        }
        Ok(Rotated {
            label: label.to_string(),
            cleaned_up,
            added,
            removed,
        })
    }

    /// Adds a credential for `label` when none usable exists (or another with `force`).
    pub async fn add(&mut self, label: &str, force: bool) -> Result<AddedForLabel, Error> {
        let policy = self.policy(label)?;
        let (stores, app) = self.read().await?;
        self.refuse_what_the_app_policy_blocks(&policy, &app)
            .await?;
        let now = Timestamp::now();
        let usable: Vec<&TenantCredential> = app
            .with_label(label)
            .filter(|c| is_usable(self.config, &stores, c, now))
            .collect();
        if let Some(existing) = usable.first()
            && !force
        {
            return Err(usage_error(format!(
                "`{label}` already has a usable credential: {} {}{}",
                kind_name(existing.kind),
                existing.key_id,
                existing
                    .end
                    .map(|e| format!(", valid until {}", e.strftime("%Y-%m-%d")))
                    .unwrap_or_default()
            ))
            .hinted(format!("to replace it, run `breakglass credential rotate {label}`; to add another anyway, pass `--force` (the store then holds only the new one)")));
        }
        let superseded: Vec<String> = app
            .with_label(label)
            .filter(|c| stores.holds(&c.key_id))
            .map(|c| c.key_id.clone())
            .collect();
        let added = self.add_prove_store(&policy, &app).await?;
        Ok(AddedForLabel {
            label: label.to_string(),
            added,
            superseded,
        })
    }

    /// Removes one credential from the tenant and the stores. Refuses to remove the app's
    /// last usable credential unless `force`.
    pub async fn remove(&mut self, key_id: &str, force: bool) -> Result<RemovedOne, Error> {
        let key_id = key_id.trim().to_ascii_lowercase();
        let (stores, app) = self.read().await?;
        let now = Timestamp::now();
        let found = app
            .credentials
            .iter()
            .chain(app.service_principal_credentials.iter())
            .find(|c| c.key_id.eq_ignore_ascii_case(&key_id))
            .cloned();
        let holding = stores.get(&key_id).cloned();
        let Some(credential) = found else {
            if let Some(holding) = holding {
                self.step(format!(
                    "{key_id} is not in the tenant; forgetting it in {}",
                    holding.describe()
                ));
                self.vault.forget(&key_id)?;
                return Ok(RemovedOne {
                    key_id,
                    label: Some(holding.label.clone()),
                    removed_from_tenant: false,
                    removed_from_store: Some(holding.describe()),
                    labels_left_without_credential: Vec::new(),
                });
            }
            return Err(Error::new(
                ErrorKind::Service,
                format!("the emergency app has no credential with key id {key_id}, and no store holds one"),
            )
            .hinted("`breakglass credential list` shows the key ids"));
        };
        let usable: Vec<&TenantCredential> = app
            .credentials
            .iter()
            .filter(|c| is_usable(self.config, &stores, c, now))
            .collect();
        let is_last = usable.len() == 1 && usable[0].key_id == credential.key_id;
        if is_last && !force {
            return Err(usage_error(format!(
                "refusing to remove {key_id}: it is the emergency app's last usable credential"
            ))
            .hinted("the vault must never be left without a working credential: without one, nobody can sign in as the emergency app when it is needed")
            .hinted("add or rotate another first (`breakglass credential add LABEL`, `breakglass credential rotate LABEL`), or pass `--force` if locking the app out is what you want"));
        }
        self.step(format!(
            "removing {} {key_id} from the {}",
            kind_name(credential.kind),
            match credential.on {
                OwnedObject::Application => "app",
                OwnedObject::ServicePrincipal => "service principal",
            }
        ));
        remove_from_tenant(self.graph, &app, &credential).await?;
        if holding.is_some() {
            self.vault.forget(&key_id)?;
        }
        let left: Vec<String> = self
            .config
            .app
            .credentials
            .iter()
            .filter(|p| {
                !usable
                    .iter()
                    .any(|c| c.key_id != credential.key_id && c.label() == Some(p.label.as_str()))
            })
            .map(|p| p.label.clone())
            .collect();
        Ok(RemovedOne {
            key_id,
            label: credential.label().map(str::to_string),
            removed_from_tenant: true,
            removed_from_store: holding.map(|h| h.describe()),
            labels_left_without_credential: left,
        })
    }
}

pub fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Secret => "client secret",
        CredentialKind::Certificate => "certificate",
    }
}
