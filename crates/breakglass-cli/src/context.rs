//! What a command can ask for: the UI, the resolved cloud, the tenant, a signed-in session.
//!
//! Each piece is resolved only when a command asks for it, so `breakglass cloud list`
//! does not fail because AZURE_TENANT_ID holds something odd.

use crate::cli::GlobalArgs;
use crate::cloud::{self, ResolvedCloud};
use crate::error::CommandError;
use crate::session::{self, Operator, OperatorArgs, Session};
use crate::ui::Ui;

/// The global state handed to every command.
pub struct CommandHelper {
    ui: Ui,
    global: GlobalArgs,
}

impl CommandHelper {
    pub fn new(ui: Ui, global: GlobalArgs) -> Self {
        CommandHelper { ui, global }
    }

    /// Returns the terminal.
    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    /// Resolves `--cloud` and AZURE_AUTHORITY_HOST.
    pub fn cloud(&self) -> Result<ResolvedCloud, CommandError> {
        let authority_host = std::env::var(breakglass_core::env::AZURE_AUTHORITY_HOST).ok();
        cloud::resolve(self.global.cloud.as_deref(), authority_host.as_deref())
    }

    /// Connection settings from the global flags.
    pub fn http_options(&self) -> breakglass_entra::HttpOptions {
        breakglass_entra::HttpOptions::default()
            .with_retry_budget(std::time::Duration::from_secs(self.global.retry_budget))
    }

    /// Resolves the cloud and the operator, and signs in.
    pub async fn sign_in(&self, args: &OperatorArgs) -> Result<Session, CommandError> {
        let cloud = self.cloud()?;
        let operator = Operator::from_args(args)?;
        self.ui.debug(format!(
            "signing in with {} against {}",
            operator.method(),
            cloud.profile.authority_host
        ));
        session::sign_in(&self.ui, cloud, &operator, self.http_options()).await
    }
}
