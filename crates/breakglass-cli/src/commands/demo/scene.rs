//! What the demo's emergency steps run with: the workspace the provisioning steps wrote, an
//! environment pointed at the simulator, and this very binary run as a person would type it.

use std::path::{Path, PathBuf};

use breakglass_sim::RunningSimulator;

use crate::error::{CommandError, internal_error};

/// What every emergency step runs with: the workspace the provisioning steps wrote, and an
/// environment pointed at the simulator.
pub(super) struct Scene<'a> {
    pub(super) simulator: &'a RunningSimulator,
    pub(super) state_dir: &'a Path,
    pub(super) folder: PathBuf,
    pub(super) config: String,
    pub(super) password_file: String,
    pub(super) env: Vec<(&'static str, String)>,
}

impl<'a> Scene<'a> {
    pub(super) fn new(simulator: &'a RunningSimulator, state_dir: &'a Path) -> Scene<'a> {
        let folder = state_dir.join("workspace");
        let config = folder.join("breakglass.toml").display().to_string();
        let password_file = folder.join("keepass-password.txt").display().to_string();
        let operator = simulator.operator();
        let env = vec![
            (
                "BREAKGLASS_CLOUD",
                simulator.cloud_profile_path().display().to_string(),
            ),
            ("AZURE_TENANT_ID", operator.tenant_id.clone()),
            ("AZURE_CLIENT_ID", operator.client_id.clone()),
            ("AZURE_CLIENT_SECRET", operator.client_secret.clone()),
            (
                "BREAKGLASS_STATE_DIR",
                state_dir.join("operator-state").display().to_string(),
            ),
        ];
        Scene {
            simulator,
            state_dir,
            folder,
            config,
            password_file,
            env,
        }
    }

    /// The flags that take the rotating secret out of the demo's KeePass database.
    pub(super) fn keepass_flags(&self) -> [&str; 6] {
        [
            "--credential",
            "rotating",
            "--config",
            self.config.as_str(),
            "--keepass-password-file",
            self.password_file.as_str(),
        ]
    }

    /// Where the drill writes its records and the audit reads them.
    pub(super) fn drill_records(&self) -> String {
        self.folder.join("drills").display().to_string()
    }

    pub(super) fn run(&self, args: &[&str]) -> Result<std::process::Output, CommandError> {
        run_self(args, &self.env)
    }
}

pub(super) fn run_self(
    args: &[&str],
    env: &[(&str, String)],
) -> Result<std::process::Output, CommandError> {
    let program = std::env::current_exe()
        .map_err(|e| internal_error(format!("cannot find the breakglass binary: {e}")))?;
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100");
    for name in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
        .output()
        .map_err(|e| internal_error(format!("cannot run breakglass {}: {e}", args.join(" "))))
}

pub(super) fn stdout_of(output: &std::process::Output, what: &str) -> Result<String, CommandError> {
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CommandError::new(
            crate::error::ErrorKind::Service,
            format!(
                "the demo's `{what}` failed: {}",
                stderr
                    .lines()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or("no error line")
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).to_string())
}
