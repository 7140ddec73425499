//! `breakglass whoami`: sign in and show who the token says you are.

use breakglass_core::roles;
use serde::Serialize;
use uuid::Uuid;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, key_value_table};
use crate::session::{OperatorArgs, Session};
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

/// A directory role held, from the token's `wids` claim.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldRole {
    pub template_id: String,
    /// The role's name when breakglass knows the template id.
    pub display_name: Option<String>,
    pub privileged: bool,
}

/// What `whoami` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub cloud: String,
    pub sign_in: &'static str,
    pub tenant_id: Option<String>,
    /// `application` for app-only tokens, `user` for delegated ones.
    pub kind: &'static str,
    pub app_id: Option<String>,
    pub app_display_name: Option<String>,
    pub user: Option<String>,
    pub object_id: Option<String>,
    pub directory_roles: Vec<HeldRole>,
    /// Application permissions (`roles` claim) for app-only tokens.
    pub application_permissions: Vec<String>,
    /// Delegated scopes (`scp` claim) for user tokens.
    pub scopes: Vec<String>,
    pub expires_on: String,
}

/// The "User" (default member) role every signed-in user's token carries in `wids`.
const DEFAULT_USER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

impl Identity {
    /// Reads the identity from a session's token claims.
    pub fn from_session(session: &Session) -> Result<Identity, CommandError> {
        let claims = session.token.claims()?;
        let directory_roles = claims
            .wids
            .iter()
            .filter(|id| !id.eq_ignore_ascii_case(DEFAULT_USER_ROLE))
            .map(|id| {
                let known = Uuid::parse_str(id).ok().and_then(roles::by_template_id);
                HeldRole {
                    template_id: id.clone(),
                    display_name: known.map(|role| role.display_name.to_string()),
                    privileged: known.is_some_and(|role| role.privileged),
                }
            })
            .collect();
        let app_only = claims.is_app_only();
        Ok(Identity {
            cloud: session.cloud.profile.name.clone(),
            sign_in: session.method,
            tenant_id: claims.tid.clone(),
            kind: if app_only { "application" } else { "user" },
            app_id: claims.client_id().map(str::to_string),
            app_display_name: claims.app_displayname.clone(),
            user: claims.user().map(str::to_string),
            object_id: claims.oid.clone(),
            directory_roles,
            application_permissions: claims.roles.clone(),
            scopes: claims
                .scopes()
                .iter()
                .map(|scope| scope.to_string())
                .collect(),
            expires_on: session.token.expires_on.to_string(),
        })
    }

    /// The directory roles as one line each, names where known.
    pub fn role_lines(&self) -> Vec<String> {
        self.directory_roles
            .iter()
            .map(|role| match &role.display_name {
                Some(name) if role.privileged => format!("{name} (privileged)"),
                Some(name) => name.clone(),
                None => format!("role template {}", role.template_id),
            })
            .collect()
    }
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
