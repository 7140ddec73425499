//! `breakglass admins list`: directory role assignments with role and principal names.

use breakglass_ops::directory::{AdminList, read_admins};

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
        read_admins(&session.graph).await?
    };
    if args.privileged {
        admins = admins.privileged_only();
    }
    helper.ui().emit(&admins)
}
