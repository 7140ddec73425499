//! `breakglass completions SHELL` and `breakglass man`: generated from the command
//! definitions by clap's own generators, so they never fall behind the flags.

use std::path::PathBuf;

use crate::context::CommandHelper;
use crate::error::{CommandError, config_error};

/// Prints a completion script for a shell.
///
/// bash: `breakglass completions bash > ~/.local/share/bash-completion/completions/breakglass`;
/// zsh: into a folder of your `$fpath` as `_breakglass`; fish:
/// `~/.config/fish/completions/breakglass.fish`; PowerShell: add
/// `breakglass completions powershell | Out-String | Invoke-Expression` to your profile.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

/// Prints the manual page (roff), or writes one page per command to a folder.
///
/// `breakglass man | man -l -` reads it now; `breakglass man --out-dir /usr/local/share/man/man1`
/// installs `breakglass.1` and a page for every subcommand (`breakglass-credential-rotate.1`, …).
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write every page into this folder instead of printing the top one.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn cmd_completions(helper: &CommandHelper, args: &CompletionsArgs) -> Result<(), CommandError> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut helper.definition(),
        "breakglass",
        &mut script,
    );
    helper.ui().write_stdout(&String::from_utf8_lossy(&script))
}

pub fn cmd_man(helper: &CommandHelper, args: &ManArgs) -> Result<(), CommandError> {
    let command = helper.definition();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(command, dir))
                .map_err(|e| {
                    config_error(format!(
                        "cannot write manual pages to {}: {e}",
                        dir.display()
                    ))
                    .hinted(
                        "pass a folder you may write to, or leave out --out-dir to print the page",
                    )
                })?;
            helper
                .ui()
                .status(format!("wrote the manual pages to {}", dir.display()));
            Ok(())
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| config_error(format!("cannot render the manual page: {e}")))?;
            helper.ui().write_stdout(&String::from_utf8_lossy(&page))
        }
    }
}
