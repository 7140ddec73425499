//! `breakglass temp-user …`: a temporary interactive administrator with a lease.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod create;
pub mod extend;
pub mod list;

/// Creates a temporary administrator for an interactive emergency sign-in, shows its
/// sign-in details once, counts down its lease and removes it at the end.
///
/// The user is cloud-only, on the tenant's initial *.onmicrosoft.com domain, with a
/// random name (bg-temp-…) and a strong random password, or with `--tap` a Temporary
/// Access Pass as long as the lease. It holds Global Administrator (or `--role`)
/// permanently and actively at directory scope until the lease ends.
///
/// The sign-in details are printed once on stdout. This is the one place where
/// breakglass shows a secret on purpose: it is not stored anywhere, so note it now.
///
/// The lease is written on the user in the same request that creates it
/// (employeeType = breakglass:temporary:<expiry>, companyName =
/// breakglass:operator:<operator>) and in a local lease file (no secrets), so no
/// temporary administrator exists without a lease that `breakglass sweep` finds. At the
/// end, or on Ctrl-C after a question (`--yes` or a second Ctrl-C skips it), its role
/// assignments are removed, its sessions revoked, and it is deleted and purged from
/// deleted items.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TempUserArgs {
    #[command(subcommand)]
    pub command: Option<TempUserCommand>,

    #[command(flatten)]
    pub create: create::CreateArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum TempUserCommand {
    List(list::ListArgs),
    Extend(extend::ExtendArgs),
}

impl TempUserArgs {
    /// Creating waits for Ctrl-C itself: it must clean up rather than stop.
    pub fn handles_signals(&self) -> bool {
        self.command.is_none()
    }
}

pub async fn cmd_temp_user(
    helper: &CommandHelper,
    args: &TempUserArgs,
) -> Result<(), CommandError> {
    match &args.command {
        None => create::cmd_create(helper, &args.create).await,
        Some(TempUserCommand::List(list)) => list::cmd_list(helper, list).await,
        Some(TempUserCommand::Extend(extend)) => extend::cmd_extend(helper, extend).await,
    }
}
