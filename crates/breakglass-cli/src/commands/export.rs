//! `breakglass export maester|zta|scubagear`: the settings other scanners read to recognise the
//! emergency access accounts, from the tenant's own ids (docs/exports.md).

use std::path::PathBuf;

use breakglass_core::exports::Scanner;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;

/// Writes the settings Maester, the Zero Trust Assessment or ScubaGear read to recognise the
/// emergency access accounts, so their checks (Maester MT.1005, ZTA 21815, ScubaGear
/// MS.AAD.1.1v1 and the other Conditional Access policies, MS.AAD.7.4v1) judge them as
/// emergency access instead of as unprotected administrators.
///
/// maester: `GlobalSettings.EmergencyAccessAccounts` for tests/Custom/maester-config.json;
/// zta: the same block for `Invoke-ZtAssessment -ConfigurationFile`; scubagear: the `Aad`
/// section of a configuration for `Invoke-SCuBA -ConfigFilePath`. The ids come from the tenant
/// (signing in as `plan` does) or from `--identities FILE`. Without `--out`, printed.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    pub tool: Tool,
    /// Write the settings to this file (mode 0600, replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Start from this existing configuration of the tool and keep everything else in it
    /// (maester and zta only); the result goes to `--out`, or stdout.
    #[arg(long, value_name = "FILE")]
    pub into: Option<PathBuf>,
    /// Read the identities from this JSON file (`monitor identities --out FILE`) instead of
    /// the tenant.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Tool {
    /// Maester (2.0.0 and later).
    Maester,
    /// Microsoft's Zero Trust Assessment (2.3.0 and later).
    Zta,
    /// CISA's ScubaGear (1.8.0).
    Scubagear,
}

pub async fn cmd_export(helper: &CommandHelper, args: &ExportArgs) -> Result<(), CommandError> {
    let identities = match &args.identities {
        Some(path) => breakglass_ops::monitor::identities::load(path)?,
        None => super::monitor::gather_signed_in(helper, &args.config, &args.operator).await?,
    };
    let scanner = match args.tool {
        Tool::Maester => Scanner::Maester,
        Tool::Zta => Scanner::ZeroTrustAssessment,
        Tool::Scubagear => Scanner::ScubaGear,
    };
    let text = breakglass_ops::exports::settings(scanner, &identities, args.into.as_deref())?;
    match &args.out {
        Some(path) => {
            breakglass_ops::exports::save(path, &text)?;
            helper.ui().status(format!(
                "wrote the {} settings to {}",
                scanner.file_name(),
                path.display()
            ));
            Ok(())
        }
        None => helper.ui().write_stdout(&text),
    }
}
