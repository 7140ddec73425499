//! `breakglass admins list`: directory role assignments with role and principal names.

use std::collections::HashMap;

use breakglass_core::roles;
use breakglass_entra::graph::models::UnifiedRoleAssignment;
use breakglass_entra::{GraphClient, Query};
use futures::TryStreamExt as _;
use serde::Serialize;
use uuid::Uuid;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Lists directory role assignments: who is an admin of the tenant, and of what.
///
/// Reads `roleManagement/directory/roleAssignments?$expand=principal` and the role
/// names from `roleManagement/directory/roleDefinitions` (Microsoft Graph v1.0).
/// Needs RoleManagement.Read.Directory or Directory.Read.All. Privileged roles
/// (Global Administrator, Privileged Role Administrator, …) are listed first.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub operator: OperatorArgs,

    /// Show only roles Microsoft marks as privileged.
    #[arg(long)]
    pub privileged: bool,
}

/// One role assignment.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminRecord {
    pub role: String,
    pub role_definition_id: String,
    pub privileged: bool,
    pub principal_display_name: Option<String>,
    /// `user`, `servicePrincipal`, `group`, or what Graph said.
    pub principal_type: String,
    pub principal_id: String,
    /// The user principal name (users) or application id (service principals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub directory_scope_id: String,
    pub assignment_id: String,
}

/// What `admins list` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct AdminList(pub Vec<AdminRecord>);

/// Reads every directory role assignment with its role name and principal.
pub async fn fetch(graph: &GraphClient) -> Result<AdminList, CommandError> {
    let definitions = graph
        .role_definitions(&Query::new().select(["id", "displayName", "templateId"]))
        .await?;
    let mut names: HashMap<String, (String, Option<String>)> = HashMap::new();
    for definition in definitions {
        let name = definition
            .display_name
            .unwrap_or_else(|| definition.id.clone());
        let template = definition.template_id.clone();
        if let Some(template) = &definition.template_id {
            names.insert(
                template.to_ascii_lowercase(),
                (name.clone(), Some(template.clone())),
            );
        }
        names.insert(definition.id.to_ascii_lowercase(), (name, template));
    }
    let assignments: Vec<UnifiedRoleAssignment> = graph
        .role_assignments(&Query::new().expand("principal"))
        .try_collect()
        .await?;
    let mut records: Vec<AdminRecord> = assignments
        .into_iter()
        .map(|assignment| {
            let (role, template) = names
                .get(&assignment.role_definition_id.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| (assignment.role_definition_id.clone(), None));
            let template_id = template
                .as_deref()
                .or(Some(assignment.role_definition_id.as_str()))
                .and_then(|id| Uuid::parse_str(id).ok());
            let privileged = template_id
                .and_then(roles::by_template_id)
                .is_some_and(|role| role.privileged);
            let principal = assignment.principal;
            let principal_type = principal
                .as_ref()
                .and_then(|principal| principal.kind())
                .unwrap_or("unknown")
                .to_string();
            AdminRecord {
                role,
                role_definition_id: assignment.role_definition_id,
                privileged,
                principal_display_name: principal.as_ref().and_then(|p| p.display_name.clone()),
                principal_type,
                principal_id: assignment.principal_id,
                user_principal_name: principal
                    .as_ref()
                    .and_then(|p| p.user_principal_name.clone()),
                app_id: principal.as_ref().and_then(|p| p.app_id.clone()),
                directory_scope_id: assignment
                    .directory_scope_id
                    .unwrap_or_else(|| "/".to_string()),
                assignment_id: assignment.id,
            }
        })
        .collect();
    // Privileged first, most powerful roles first (the order of `roles::ALL`), then by name.
    let rank = |record: &AdminRecord| {
        roles::ALL
            .iter()
            .position(|role| role.display_name.eq_ignore_ascii_case(&record.role))
            .unwrap_or(roles::ALL.len())
    };
    records.sort_by(|a, b| {
        (
            !a.privileged,
            rank(a),
            &a.role,
            &a.principal_display_name,
            &a.principal_id,
        )
            .cmp(&(
                !b.privileged,
                rank(b),
                &b.role,
                &b.principal_display_name,
                &b.principal_id,
            ))
    });
    Ok(AdminList(records))
}

impl AdminList {
    /// Keeps only privileged roles.
    pub fn privileged_only(self) -> AdminList {
        AdminList(
            self.0
                .into_iter()
                .filter(|record| record.privileged)
                .collect(),
        )
    }
}

impl Report for AdminList {
    fn human(&self, ui: &Ui) -> String {
        if self.0.is_empty() {
            return "No directory role assignments found.\n".to_string();
        }
        let mut table = table(ui, &["role", "principal", "type", "principal id", "scope"]);
        for record in &self.0 {
            let role = if record.privileged {
                format!("{} *", record.role)
            } else {
                record.role.clone()
            };
            table.add_row(vec![
                role,
                record.principal_display_name.clone().unwrap_or_default(),
                record.principal_type.clone(),
                record.principal_id.clone(),
                record.directory_scope_id.clone(),
            ]);
        }
        let privileged = self.0.iter().filter(|record| record.privileged).count();
        format!(
            "{table}\n{} assignment{}, {privileged} of a privileged role (*).\n",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        )
    }
}

pub async fn cmd_list(helper: &CommandHelper, args: &ListArgs) -> Result<(), CommandError> {
    let session = helper.sign_in(&args.operator).await?;
    let mut admins = {
        let _spinner = helper.ui().spinner("reading directory role assignments…");
        fetch(&session.graph).await?
    };
    if args.privileged {
        admins = admins.privileged_only();
    }
    helper.ui().emit(&admins)
}
