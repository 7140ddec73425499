//! `breakglass sim default-tenant`: print the built-in tenant description.

use crate::context::CommandHelper;
use crate::error::CommandError;

/// Prints the built-in tenant description (JSON), a starting point for `sim serve --tenant FILE`.
///
/// Save it, edit users, groups, applications and role assignments, and start the
/// simulator with `--tenant FILE` on a fresh `--state-dir`.
#[derive(Debug, clap::Args)]
pub struct DefaultTenantArgs {}

pub fn cmd_default_tenant(
    helper: &CommandHelper,
    _args: &DefaultTenantArgs,
) -> Result<(), CommandError> {
    helper.ui().write_stdout(breakglass_sim::DEFAULT_TENANT)
}
