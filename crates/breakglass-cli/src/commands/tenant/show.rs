//! `breakglass tenant show`: the organization, its id and verified domains.

use breakglass_ops::directory::{TenantReport, read_organization};

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, key_value_table, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Shows the tenant: directory id, display name and verified domains.
///
/// Reads `GET /v1.0/organization`; needs Organization.Read.All or Directory.Read.All
/// (or any directory role for a signed-in person).
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for TenantReport {
    fn human(&self, ui: &Ui) -> String {
        let mut rows = vec![
            ("tenant id", self.id.clone()),
            (
                "display name",
                self.display_name.clone().unwrap_or_default(),
            ),
        ];
        if let Some(kind) = &self.tenant_type {
            rows.push(("tenant type", kind.clone()));
        }
        if let Some(created) = &self.created_date_time {
            rows.push(("created", created.clone()));
        }
        let summary = key_value_table(ui, rows);
        let mut domains = table(ui, &["verified domain", "initial", "default", "type"]);
        for domain in &self.verified_domains {
            domains.add_row(vec![
                domain.name.clone(),
                yes_no(domain.is_initial),
                yes_no(domain.is_default),
                domain.kind.clone().unwrap_or_default(),
            ]);
        }
        format!("{summary}\n{domains}\n")
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "" }.to_string()
}

pub async fn cmd_show(helper: &CommandHelper, args: &ShowArgs) -> Result<(), CommandError> {
    let session = helper.sign_in(&args.operator).await?;
    let report = {
        let _spinner = helper.ui().spinner("reading the organization…");
        read_organization(&session.graph).await?
    };
    helper.ui().emit(&report)
}
