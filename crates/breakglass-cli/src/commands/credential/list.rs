//! `breakglass credential list`: every credential of the emergency app and where it is kept.

use breakglass_core::config::{CredentialKind, StoreKind};
use jiff::Timestamp;

use super::open;
use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::provision::credentials::{EmergencyApp, StoreIndex};
use breakglass_ops::provision::listing::{CredentialList, Row, Status, build};

/// Lists the emergency app's credentials: key id, kind, label, hint (secrets) or
/// thumbprint (certificates), validity, days left, and which store holds each one
/// (keepass, sheet, shares k-of-n, or NONE).
///
/// Also lists what needs attention: credentials in the tenant that no store holds or that
/// breakglass did not make, credentials on the service principal, and store entries whose
/// credential is no longer in the tenant.
#[derive(Clone, Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
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
                match row.status {
                    Status::StoreMissing => "MISSING".into(),
                    _ => row.store.clone().unwrap_or_else(|| "NONE".into()),
                },
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
                Status::StoreMissing => format!(
                    "{} (`{}`) should be in {}, which is missing from this machine, so whether it is held cannot be judged; restore the file from its backup (`breakglass plan` and `apply` change nothing until then)",
                    row.key_id,
                    row.label.as_deref().unwrap_or("LABEL"),
                    store_file(self, row)
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

/// The file a row's declared store lives in.
fn store_file(list: &CredentialList, row: &Row) -> String {
    match row.declared_store {
        Some(StoreKind::Keepass) => format!("the KeePass database {}", list.keepass.display()),
        _ => format!(
            "the sheet manifest in {} (it lists the printed sheets)",
            list.sheets.display()
        ),
    }
}

pub async fn cmd_list(helper: &CommandHelper, args: &ListArgs) -> Result<(), CommandError> {
    let list = run_list(helper, args).await?;
    helper.ui().emit(&list)
}

/// Reads the app's credentials and the stores: the list `credential list` prints.
pub async fn run_list(
    helper: &CommandHelper,
    args: &ListArgs,
) -> Result<CredentialList, CommandError> {
    let mut opened = open(helper, &args.config, &args.operator, false).await?;
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
    Ok(list)
}
