//! `breakglass init`: write a commented starting `breakglass.toml`.

use std::path::PathBuf;

use breakglass_core::config::STARTER;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, config_error};
use crate::output::Report;
use crate::ui::Ui;

/// Writes a commented `breakglass.toml` to start from: one emergency app with Global
/// Administrator, an offline certificate split into 3-of-5 Shamir shares, a rotating
/// secret in KeePass, two emergency users and the Conditional Access exclusion group.
///
/// With `--tenants FILE`, writes a commented tenants file there instead, for commands run
/// across several tenants.
///
/// Refuses to overwrite an existing file.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write the configuration.
    #[arg(long, default_value = "breakglass.toml", value_name = "PATH")]
    pub path: PathBuf,
    /// Print the configuration on stdout instead of writing a file.
    #[arg(long)]
    pub stdout: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Initialized {
    path: PathBuf,
    #[serde(skip)]
    tenants: bool,
}

impl Report for Initialized {
    fn human(&self, _ui: &Ui) -> String {
        if self.tenants {
            return format!(
                "Wrote {}.\nNext: list each tenant in it, then `breakglass --tenants {} audit`.",
                self.path.display(),
                self.path.display()
            );
        }
        format!(
            "Wrote {}.\nNext: read it, then `breakglass plan` to see what would be created and `breakglass apply` to create it.",
            self.path.display()
        )
    }
}

/// `breakglass init`, or with `--tenants FILE` the commented tenants file at FILE.
pub fn cmd_init(helper: &CommandHelper, args: &InitArgs) -> Result<(), CommandError> {
    let (text, path) = match &helper.global().tenants {
        Some(tenants) => (breakglass_core::tenants::STARTER, tenants),
        None => (STARTER, &args.path),
    };
    if args.stdout {
        return helper.ui().write_stdout(text);
    }
    write_new(path, text)?;
    helper.ui().emit(&Initialized {
        path: path.clone(),
        tenants: helper.global().tenants.is_some(),
    })
}

/// Writes `text` to a file that must not exist yet.
fn write_new(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(config_error(format!(
                "{} already exists; it was not changed",
                path.display()
            ))
            .hinted("edit it, or pass `--path` to write the example somewhere else"));
        }
        Err(e) => {
            return Err(config_error(format!(
                "cannot create {}: {e}",
                path.display()
            )));
        }
    };
    use std::io::Write as _;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| config_error(format!("cannot write {}: {e}", path.display())))
}
