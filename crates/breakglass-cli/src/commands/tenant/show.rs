//! `breakglass tenant show`: the organization, its id and verified domains.

use breakglass_entra::GraphClient;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
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

/// One verified domain.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainRecord {
    pub name: String,
    pub is_initial: bool,
    pub is_default: bool,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// What `tenant show` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantReport {
    pub id: String,
    pub display_name: Option<String>,
    pub tenant_type: Option<String>,
    pub created_date_time: Option<String>,
    pub verified_domains: Vec<DomainRecord>,
}

/// Reads the organization through Graph.
pub async fn fetch(graph: &GraphClient) -> Result<TenantReport, CommandError> {
    let organizations = graph.organization().await?;
    let Some(organization) = organizations.into_iter().next() else {
        return Err(CommandError::new(
            ErrorKind::Service,
            "Microsoft Graph returned no organization for this tenant",
        )
        .hinted("check that --cloud and the tenant match where the operator is registered"));
    };
    let mut verified_domains: Vec<DomainRecord> = organization
        .verified_domains
        .into_iter()
        .map(|domain| DomainRecord {
            name: domain.name,
            is_initial: domain.is_initial.unwrap_or(false),
            is_default: domain.is_default.unwrap_or(false),
            kind: domain.kind,
        })
        .collect();
    // Default first, then initial, then by name: stable and most useful on top.
    verified_domains.sort_by(|a, b| {
        (!a.is_default, !a.is_initial, a.name.as_str()).cmp(&(
            !b.is_default,
            !b.is_initial,
            b.name.as_str(),
        ))
    });
    Ok(TenantReport {
        id: organization.id,
        display_name: organization.display_name,
        tenant_type: organization.tenant_type,
        created_date_time: organization.created_date_time,
        verified_domains,
    })
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
        fetch(&session.graph).await?
    };
    helper.ui().emit(&report)
}
