//! The emergency app's credentials side by side with what the stores hold: which are as
//! they should be, and which need attention.

use std::path::PathBuf;

use breakglass_core::config::{Config, CredentialKind, StoreKind};
use breakglass_core::plan::OwnedObject;
use jiff::Timestamp;
use serde::Serialize;

use super::credentials::{EmergencyApp, Holding, StoreIndex, TenantCredential, is_usable};

/// Whether a credential is as it should be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Made by breakglass, declared, held by a store, not expired.
    Ok,
    /// Expired; rotate it.
    Expired,
    /// Made by breakglass but no store holds it: an interrupted add or rotation.
    NotInAnyStore,
    /// Made by breakglass for a label breakglass.toml no longer declares.
    NotDeclared,
    /// Not made by breakglass: someone added it behind its back.
    NotMadeByBreakglass,
    /// On the service principal, where credentials are a takeover path.
    OnServicePrincipal,
    /// A store holds it but the tenant no longer does.
    NotInTenant,
    /// Declared for a store whose file is missing from this machine: whether it is held
    /// cannot be judged, and nothing is removed for it.
    StoreMissing,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub key_id: String,
    pub kind: CredentialKind,
    pub label: Option<String>,
    pub display_name: Option<String>,
    /// The first characters of a secret.
    pub hint: Option<String>,
    /// SHA-1 thumbprint of a certificate.
    pub thumbprint: Option<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub days_left: Option<i64>,
    /// `keepass`, `sheet`, `shares 3-of-5`, or null when no store holds it.
    pub store: Option<String>,
    /// `app`, `servicePrincipal`, or `none` when only a store holds it.
    pub on: &'static str,
    /// The store breakglass.toml declares for its label, if it declares the label.
    pub declared_store: Option<StoreKind>,
    pub status: Status,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialList {
    pub tenant_id: String,
    pub app_id: String,
    pub app_object_id: String,
    /// The KeePass database and the sheets folder that were read.
    pub keepass: PathBuf,
    pub sheets: PathBuf,
    pub credentials: Vec<Row>,
    /// Declared labels without a usable credential.
    pub labels_without_usable_credential: Vec<String>,
}

/// Builds the list from the tenant's and the stores' view.
pub fn build(
    config: &Config,
    tenant_id: &str,
    app: &EmergencyApp,
    stores: &StoreIndex,
    now: Timestamp,
) -> CredentialList {
    let mut credentials: Vec<Row> = app
        .credentials
        .iter()
        .chain(app.service_principal_credentials.iter())
        .map(|c| tenant_row(config, stores, c, now))
        .collect();
    for (key_id, holding) in &stores.by_key {
        if credentials
            .iter()
            .any(|r| r.key_id.eq_ignore_ascii_case(key_id))
        {
            continue;
        }
        credentials.push(store_only_row(config, key_id, holding, now));
    }
    CredentialList {
        tenant_id: tenant_id.to_string(),
        app_id: app.app_id.clone(),
        app_object_id: app.object_id.clone(),
        keepass: PathBuf::new(),
        sheets: PathBuf::new(),
        credentials,
        labels_without_usable_credential: labels_without_usable_credential(
            config, app, stores, now,
        ),
    }
}

fn days_left(end: Timestamp, now: Timestamp) -> i64 {
    end.duration_since(now).as_hours().div_euclid(24)
}

fn status(
    config: &Config,
    c: &TenantCredential,
    holding: Option<&Holding>,
    stores: &StoreIndex,
    now: Timestamp,
) -> Status {
    if c.on == OwnedObject::ServicePrincipal {
        return Status::OnServicePrincipal;
    }
    match c.label() {
        None => Status::NotMadeByBreakglass,
        Some(label) if config.credential(label).is_none() => Status::NotDeclared,
        Some(label)
            if holding.is_none()
                && config
                    .credential(label)
                    .is_some_and(|p| stores.is_missing(p.store)) =>
        {
            Status::StoreMissing
        }
        Some(_) if holding.is_none() => Status::NotInAnyStore,
        Some(_) if c.expired(now) => Status::Expired,
        Some(_) => Status::Ok,
    }
}

/// A credential the tenant holds, with the store that holds it, if any.
fn tenant_row(config: &Config, stores: &StoreIndex, c: &TenantCredential, now: Timestamp) -> Row {
    let holding = stores.get(&c.key_id);
    Row {
        key_id: c.key_id.clone(),
        kind: c.kind,
        label: c.label().map(str::to_string),
        display_name: c.display_name.clone(),
        hint: c.hint.clone(),
        thumbprint: c
            .thumbprint
            .clone()
            .or_else(|| holding.and_then(|h| h.thumbprint.clone())),
        start: c.start,
        end: c.end,
        days_left: c.end.map(|end| days_left(end, now)),
        store: holding.map(|h| h.describe()),
        on: match c.on {
            OwnedObject::Application => "app",
            OwnedObject::ServicePrincipal => "servicePrincipal",
        },
        declared_store: c
            .label()
            .and_then(|l| config.credential(l))
            .map(|p| p.store),
        status: status(config, c, holding, stores, now),
    }
}

/// A credential a store holds and the tenant does not.
fn store_only_row(config: &Config, key_id: &str, holding: &Holding, now: Timestamp) -> Row {
    let end: Option<Timestamp> = holding.expires.as_deref().and_then(|e| e.parse().ok());
    Row {
        key_id: key_id.to_string(),
        kind: if holding.kind == "certificate" {
            CredentialKind::Certificate
        } else {
            CredentialKind::Secret
        },
        label: Some(holding.label.clone()),
        display_name: None,
        hint: None,
        thumbprint: holding.thumbprint.clone(),
        start: None,
        end,
        days_left: end.map(|end| days_left(end, now)),
        store: Some(holding.describe()),
        on: "none",
        declared_store: config.credential(&holding.label).map(|p| p.store),
        status: Status::NotInTenant,
    }
}

fn labels_without_usable_credential(
    config: &Config,
    app: &EmergencyApp,
    stores: &StoreIndex,
    now: Timestamp,
) -> Vec<String> {
    config
        .app
        .credentials
        .iter()
        // A label whose store is missing is reported with its credentials instead.
        .filter(|p| !stores.is_missing(p.store))
        .filter(|p| {
            !app.with_label(&p.label)
                .any(|c| is_usable(config, stores, c, now))
        })
        .map(|p| p.label.clone())
        .collect()
}
