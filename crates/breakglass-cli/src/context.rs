//! What a command can ask for: the UI, the resolved cloud, the tenant, a signed-in session.
//!
//! Each piece is resolved only when a command asks for it, so `breakglass cloud list`
//! does not fail because AZURE_TENANT_ID holds something odd.

use crate::cli::GlobalArgs;
use crate::cloud::{self, ResolvedCloud};
use crate::error::CommandError;
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
}
