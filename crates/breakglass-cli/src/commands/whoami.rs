//! `breakglass whoami`: sign in and show who the token says you are.

use breakglass_ops::directory::Identity;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, key_value_table};
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Signs in and shows the identity the access token carries: tenant, application
/// or user, and its directory roles and permissions.
///
/// Run it first in an emergency: it proves the credentials still work and shows
/// what the signed-in identity is allowed to do. The token is read, not printed.
#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for Identity {
    fn human(&self, ui: &Ui) -> String {
        let none = || "(none)".to_string();
        let mut rows = vec![
            ("tenant id", self.tenant_id.clone().unwrap_or_else(none)),
            ("signed in as", self.kind.to_string()),
        ];
        if let Some(user) = &self.user {
            rows.push(("user", user.clone()));
        }
        let app = match (&self.app_display_name, &self.app_id) {
            (Some(name), Some(id)) => format!("{name} ({id})"),
            (None, Some(id)) => id.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => none(),
        };
        rows.push(("application", app));
        rows.push(("object id", self.object_id.clone().unwrap_or_else(none)));
        let roles = self.role_lines();
        rows.push((
            "directory roles",
            if roles.is_empty() {
                none()
            } else {
                roles.join("\n")
            },
        ));
        if self.kind == "application" {
            rows.push((
                "app permissions",
                if self.application_permissions.is_empty() {
                    none()
                } else {
                    self.application_permissions.join("\n")
                },
            ));
        } else {
            rows.push((
                "scopes",
                if self.scopes.is_empty() {
                    none()
                } else {
                    self.scopes.join(" ")
                },
            ));
        }
        rows.push((
            "sign-in",
            format!("{} ({} cloud)", self.sign_in, self.cloud),
        ));
        rows.push(("token expires", self.expires_on.clone()));
        key_value_table(ui, rows).to_string()
    }
}

pub async fn cmd_whoami(helper: &CommandHelper, args: &WhoamiArgs) -> Result<(), CommandError> {
    let session = helper.sign_in(&args.operator).await?;
    let identity = Identity::from_session(&session)?;
    helper.ui().emit(&identity)?;
    if identity.directory_roles.is_empty()
        && identity.application_permissions.is_empty()
        && identity.scopes.is_empty()
    {
        helper.ui().warn(
            "the token carries no directory roles, permissions or scopes; Microsoft Graph will refuse most requests",
        );
    }
    Ok(())
}
