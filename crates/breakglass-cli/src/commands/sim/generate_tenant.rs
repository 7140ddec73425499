//! `breakglass sim generate-tenant`: describe a large, realistic tenant for the simulator.

use std::io::Write as _;
use std::path::PathBuf;

use breakglass_sim::TenantSize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};

/// Writes a made-up enterprise tenant description (JSON) for `sim serve --tenant FILE`.
///
/// Users with names, job titles and user principal names on fabrikam.example, department
/// groups, administrators holding directory roles (a few Global Administrators, the rest
/// spread over the other privileged roles, some PIM-eligible only), applications with
/// Microsoft Graph application permissions, Conditional Access policies in every state,
/// and the operator's automation app. The same options always give the same description.
#[derive(Debug, clap::Args)]
pub struct GenerateTenantArgs {
    /// How many users.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub users: usize,

    /// How many applications besides the operator's automation app.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub apps: usize,

    /// How many Conditional Access policies.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub policies: usize,

    /// How many of the users hold a directory role.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub admins: usize,

    /// Seed of the pseudo-random choices.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Write the description to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn cmd_generate_tenant(
    helper: &CommandHelper,
    args: &GenerateTenantArgs,
) -> Result<(), CommandError> {
    let size = TenantSize {
        users: args.users,
        applications: args.apps,
        policies: args.policies,
        admins: args.admins,
        seed: args.seed,
    };
    let Some(path) = &args.out else {
        let mut text = Vec::new();
        breakglass_sim::write_tenant(&size, &mut text).map_err(|err| {
            crate::error::internal_error(format!("cannot encode the tenant: {err}"))
        })?;
        return helper.ui().write_stdout(&String::from_utf8_lossy(&text));
    };
    let cannot = |err: std::io::Error| {
        CommandError::new(
            ErrorKind::Config,
            format!("cannot write {}: {err}", path.display()),
        )
    };
    let file = std::fs::File::create(path).map_err(cannot)?;
    let mut out = std::io::BufWriter::new(file);
    breakglass_sim::write_tenant(&size, &mut out).map_err(cannot)?;
    out.write_all(b"\n").map_err(cannot)?;
    out.flush().map_err(cannot)?;
    helper.ui().status(format!(
        "wrote a tenant of {} users, {} applications and {} policies to {}",
        args.users,
        args.apps + 1,
        args.policies,
        path.display()
    ));
    Ok(())
}
