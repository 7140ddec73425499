//! `breakglass monitor identities`: every id monitoring matches on.

use std::path::PathBuf;

use breakglass_core::identities::EmergencyIdentities;
use breakglass_core::monitor::severity_name;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, key_value_table, table};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Lists what alert rules, `watch` and `scan` match on: the emergency app's application
/// id, object id and service principal id, each credential's key id with its label and
/// severity (offline stores critical, rotating high; unknown key ids are critical), the
/// emergency users and the Conditional Access exclusion group.
///
/// Read from the tenant through its markers (the app's tag, the users' employeeType, the
/// group's mail nickname). With `--out FILE` they are also written as JSON (mode 0600), for
/// `monitor rules --identities FILE` and an offline `scan`.
#[derive(Clone, Debug, clap::Args)]
pub struct IdentitiesArgs {
    /// Also write the identities as JSON to this file (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(transparent)]
pub struct IdentitiesReport(pub EmergencyIdentities);

impl Report for IdentitiesReport {
    fn human(&self, ui: &Ui) -> String {
        let identities = &self.0;
        let dash = |s: &str| {
            if s.is_empty() {
                "(none)".to_string()
            } else {
                s.to_string()
            }
        };
        let mut out = key_value_table(
            ui,
            [
                ("tenant", dash(&identities.tenant_id)),
                ("app (client) id", dash(&identities.app_id)),
                (
                    "application object id",
                    dash(&identities.application_object_id),
                ),
                (
                    "service principal id",
                    dash(&identities.service_principal_id),
                ),
                ("exclusion group id", dash(&identities.exclusion_group_id)),
                (
                    "temporary user marker",
                    dash(&identities.temporary_user_marker),
                ),
            ],
        )
        .to_string();
        out.push_str("\n\nCredentials (a key id not listed here is critical):\n");
        if identities.credentials.is_empty() {
            out.push_str("  none\n");
        } else {
            let mut credentials = table(ui, &["label", "kind", "severity", "key id", "thumbprint"]);
            for c in &identities.credentials {
                credentials.add_row(vec![
                    c.label.clone(),
                    c.kind.clone(),
                    severity_name(c.severity).to_string(),
                    c.key_id.clone(),
                    c.thumbprint.clone().unwrap_or_default(),
                ]);
            }
            out.push_str(&credentials.to_string());
            out.push('\n');
        }
        out.push_str("\nEmergency access users:\n");
        if identities.users.is_empty() {
            out.push_str("  none\n");
        } else {
            let mut users = table(ui, &["user principal name", "object id"]);
            for u in &identities.users {
                users.add_row(vec![u.user_principal_name.clone(), u.id.clone()]);
            }
            out.push_str(&users.to_string());
            out.push('\n');
        }
        out
    }
}

pub async fn cmd_identities(
    helper: &CommandHelper,
    args: &IdentitiesArgs,
) -> Result<(), CommandError> {
    let identities = super::gather_signed_in(helper, &args.config, &args.operator).await?;
    if let Some(path) = &args.out {
        breakglass_ops::monitor::identities::save(path, &identities)?;
        helper.ui().status(format!(
            "wrote the emergency identities to {}",
            path.display()
        ));
    }
    helper.ui().emit(&IdentitiesReport(identities))
}
