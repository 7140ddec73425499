//! `breakglass credential list`: every credential of the emergency app and where it is kept.

use std::path::PathBuf;

use breakglass_core::config::CredentialKind;
use breakglass_core::plan::OwnedObject;
use jiff::Timestamp;
use serde::Serialize;

use super::Opened;
use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::provision::credentials::{
    EmergencyApp, StoreIndex, TenantCredential, is_usable,
};

/// Lists the emergency app's credentials: key id, kind, label, hint (secrets) or
/// thumbprint (certificates), validity, days left, and which store holds each one
/// (keepass, sheet, shares k-of-n, or NONE).
///
/// Also lists what needs attention: credentials in the tenant that no store holds or that
/// breakglass did not make, credentials on the service principal, and store entries whose
/// credential is no longer in the tenant.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

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

fn day(ts: Option<Timestamp>) -> String {
    ts.map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into())
}

impl Report for CredentialList {
    fn human(&self, ui: &Ui) -> String {
        let mut t = table(
            ui,
            &[
                "KEY ID",
                "KIND",
                "LABEL",
                "HINT / THUMBPRINT",
                "START",
                "END",
                "DAYS LEFT",
                "STORE",
            ],
        );
        for row in &self.credentials {
            t.add_row(vec![
                row.key_id.clone(),
                match row.kind {
                    CredentialKind::Secret => "secret".into(),
                    CredentialKind::Certificate => "certificate".into(),
                },
                row.label.clone().unwrap_or_else(|| "-".into()),
                row.hint
                    .clone()
                    .map(|h| format!("{h}…"))
                    .or_else(|| row.thumbprint.clone())
                    .unwrap_or_else(|| "-".into()),
                day(row.start),
                day(row.end),
                row.days_left
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                row.store.clone().unwrap_or_else(|| "NONE".into()),
            ]);
        }
        let mut out = format!(
            "Credentials of the emergency app {} in tenant {}:\n{t}\n",
            self.app_id, self.tenant_id
        );
        for row in &self.credentials {
            let note = match row.status {
                Status::Ok => continue,
                Status::Expired => format!(
                    "{} has expired; run `breakglass credential rotate {}`",
                    row.key_id,
                    row.label.as_deref().unwrap_or("LABEL")
                ),
                Status::NotInAnyStore => format!(
                    "{} is in the tenant but no store holds it (an interrupted add or rotation); `breakglass apply` or `breakglass credential rotate {}` removes it",
                    row.key_id,
                    row.label.as_deref().unwrap_or("LABEL")
                ),
                Status::NotDeclared => format!(
                    "{} carries label `{}`, which breakglass.toml does not declare; `breakglass apply` removes it",
                    row.key_id,
                    row.label.as_deref().unwrap_or("")
                ),
                Status::NotMadeByBreakglass => format!(
                    "{} ({}) was not made by breakglass: anyone holding it can act as the emergency app; `breakglass apply` removes it",
                    row.key_id,
                    row.display_name.as_deref().unwrap_or("no name")
                ),
                Status::OnServicePrincipal => format!(
                    "{} is on the service principal, where no credential belongs; `breakglass apply` removes it",
                    row.key_id
                ),
                Status::NotInTenant => format!(
                    "{} is held by {} but is no longer in the tenant; `breakglass credential remove {}` forgets it",
                    row.key_id,
                    row.store.as_deref().unwrap_or("a store"),
                    row.key_id
                ),
            };
            out.push_str(&format!("warning: {note}\n"));
        }
        for label in &self.labels_without_usable_credential {
            out.push_str(&format!(
                "warning: `{label}` has no usable credential; run `breakglass credential add {label}` or `breakglass apply`\n"
            ));
        }
        out
    }
}

/// Builds the list from the tenant's and the stores' view.
pub fn build(
    config: &breakglass_core::config::Config,
    tenant_id: &str,
    app: &EmergencyApp,
    stores: &StoreIndex,
    now: Timestamp,
) -> CredentialList {
    let row = |c: &TenantCredential| {
        let holding = stores.get(&c.key_id);
        let status = if c.on == OwnedObject::ServicePrincipal {
            Status::OnServicePrincipal
        } else {
            match c.label() {
                None => Status::NotMadeByBreakglass,
                Some(label) if config.credential(label).is_none() => Status::NotDeclared,
                Some(_) if holding.is_none() => Status::NotInAnyStore,
                Some(_) if c.expired(now) => Status::Expired,
                Some(_) => Status::Ok,
            }
        };
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
            days_left: c
                .end
                .map(|end| end.duration_since(now).as_hours().div_euclid(24)),
            store: holding.map(|h| h.describe()),
            on: match c.on {
                OwnedObject::Application => "app",
                OwnedObject::ServicePrincipal => "servicePrincipal",
            },
            status,
        }
    };
    let mut credentials: Vec<Row> = app
        .credentials
        .iter()
        .chain(app.service_principal_credentials.iter())
        .map(row)
        .collect();
    for (key_id, holding) in &stores.by_key {
        if credentials
            .iter()
            .any(|r| r.key_id.eq_ignore_ascii_case(key_id))
        {
            continue;
        }
        let end: Option<Timestamp> = holding.expires.as_deref().and_then(|e| e.parse().ok());
        credentials.push(Row {
            key_id: key_id.clone(),
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
            days_left: end.map(|end| end.duration_since(now).as_hours().div_euclid(24)),
            store: Some(holding.describe()),
            on: "none",
            status: Status::NotInTenant,
        });
    }
    let labels_without_usable_credential = config
        .app
        .credentials
        .iter()
        .filter(|p| {
            !app.with_label(&p.label)
                .any(|c| is_usable(config, stores, c, now))
        })
        .map(|p| p.label.clone())
        .collect();
    CredentialList {
        tenant_id: tenant_id.to_string(),
        app_id: app.app_id.clone(),
        app_object_id: app.object_id.clone(),
        keepass: PathBuf::new(),
        sheets: PathBuf::new(),
        credentials,
        labels_without_usable_credential,
    }
}

pub async fn cmd_list(helper: &CommandHelper, args: &ListArgs) -> Result<(), CommandError> {
    let mut opened = Opened::open(helper, &args.config, &args.operator, false).await?;
    let stores = StoreIndex::read(&mut opened.vault)?;
    let app = {
        let _spinner = helper
            .ui()
            .spinner("reading the emergency app's credentials…");
        EmergencyApp::find(&opened.session.graph).await?
    };
    let mut list = build(
        &opened.workspace.config,
        &opened.facts.tenant_id,
        &app,
        &stores,
        Timestamp::now(),
    );
    list.keepass = opened.vault.keepass_path().to_path_buf();
    list.sheets = opened.vault.sheets_folder().to_path_buf();
    helper.ui().emit(&list)
}
