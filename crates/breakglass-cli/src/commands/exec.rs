//! `breakglass exec`: run a command signed in as the emergency app.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt as _;

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::context::CommandHelper;
use crate::emergency::{self as credential_source, CredentialSourceArgs};
use crate::error::{CommandError, ErrorKind, internal_error};
use breakglass_ops::emergency::child;
use breakglass_ops::emergency::credential_source::acquire_token;
use breakglass_ops::emergency::program::{ProgramError, find_program};

/// Runs a command signed in as the emergency app: with its credential in the Azure SDK
/// environment variables and a fresh Microsoft Graph token.
///
/// The command gets AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or
/// AZURE_CLIENT_CERTIFICATE_PATH naming a private key and certificate in a 0600 temporary
/// PEM file that is removed when the command ends, however it ends; AZURE_AUTHORITY_HOST
/// outside the public cloud; BREAKGLASS_ACCESS_TOKEN (a Graph token, about an hour),
/// BREAKGLASS_ACCESS_TOKEN_EXPIRES_ON (Unix seconds), BREAKGLASS_GRAPH_ENDPOINT and
/// BREAKGLASS_CREDENTIAL (the label). SIGINT, SIGTERM and SIGHUP are passed on to it.
///
/// breakglass exits with the command's status (128+N when a signal N ended it), or 127
/// when the command does not exist, 126 when it cannot be run.
///
/// Examples: `breakglass exec --credential rotating -- python3 fix.py` (azure-identity
/// reads the variables), `breakglass exec --credential offline --shares a.txt,b.txt,c.txt
/// -- pwsh`; the Azure CLI and PowerShell in docs/emergency-use.md.
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub source: CredentialSourceArgs,

    /// The command to run and its arguments, after `--`.
    #[arg(
        last = true,
        required = true,
        num_args = 1..,
        value_name = "COMMAND",
        help_heading = "Arguments",
        value_parser = clap::value_parser!(OsString)
    )]
    pub command: Vec<OsString>,
}

/// The signals passed on to the command.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    fn new() -> Result<Signals, CommandError> {
        let listen = |kind: SignalKind| {
            signal(kind).map_err(|err| internal_error(format!("cannot listen for signals: {err}")))
        };
        Ok(Signals {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    /// The next signal that arrives.
    async fn next(&mut self) -> rustix::process::Signal {
        use rustix::process::Signal as S;
        tokio::select! {
            _ = self.interrupt.recv() => S::INT,
            _ = self.terminate.recv() => S::TERM,
            _ = self.hangup.recv() => S::HUP,
        }
    }
}

pub async fn cmd_exec(helper: &CommandHelper, args: &ExecArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let mut signals = Signals::new()?;
    let (program, program_args) = args
        .command
        .split_first()
        .ok_or_else(|| crate::error::usage_error("no command given after `--`"))?;
    // Before signing in: a sign-in with an emergency credential raises an alert, and a
    // typo should not.
    find_program(program).map_err(program_error)?;

    let prepare = async {
        let credential = credential_source::resolve(ui, &args.source)?;
        let cloud = credential_source::resolve_cloud(helper, &credential)?;
        let http = breakglass_entra::HttpClient::new(&cloud.profile, helper.http_options())?;
        let scope = cloud.profile.graph_default_scope();
        let token = acquire_token(&http, &cloud, &credential, &scope).await?;
        Ok::<_, CommandError>((credential, cloud, token))
    };
    let (credential, cloud, token) = tokio::select! {
        prepared = prepare => prepared?,
        _ = signals.next() => {
            return Err(CommandError::new(ErrorKind::Interrupted, "interrupted before the command started"));
        }
    };

    let mut command = tokio::process::Command::new(program);
    command.args(program_args);
    // Removed when dropped: after the command ended, on every way out of this function.
    let mut certificate_file = child::prepare(&mut command, &credential, &cloud, &token)?;
    ui.status(format!(
        "Running `{}` as the emergency app with {}.",
        program.to_string_lossy(),
        credential.describe()
    ));
    drop(token);

    let mut child = command
        .spawn()
        .map_err(|err| program_error(ProgramError::from_spawn(program, &err)))?;
    let pid = child
        .id()
        .and_then(|pid| i32::try_from(pid).ok())
        .and_then(rustix::process::Pid::from_raw);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            sent = signals.next() => {
                if let Some(pid) = pid {
                    // The command may have ended meanwhile; then there is nobody to tell.
                    let _ = rustix::process::kill_process(pid, sent);
                }
            }
        }
    };
    if let Some(file) = certificate_file.take() {
        let path = file.to_path_buf();
        if let Err(err) = file.close() {
            ui.warn(format!(
                "could not remove the temporary certificate file {}: {err}; delete it now",
                path.display()
            ));
        }
    }
    let status =
        status.map_err(|err| internal_error(format!("waiting for the command failed: {err}")))?;
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    };
    match u8::try_from(code) {
        Ok(0) => Ok(()),
        Ok(code) => Err(CommandError::new(
            ErrorKind::CommandStatus(code),
            format!("`{}` exited with status {code}", program.to_string_lossy()),
        )),
        Err(_) => Err(CommandError::new(
            ErrorKind::CommandStatus(1),
            format!("`{}` exited with status {code}", program.to_string_lossy()),
        )),
    }
}

/// A command that cannot be run, with the shell's exit code for it.
fn program_error(err: ProgramError) -> CommandError {
    let kind = match err {
        ProgramError::NotFound(_) => ErrorKind::CommandNotFound,
        ProgramError::NotExecutable(_) | ProgramError::CannotStart { .. } => {
            ErrorKind::CommandNotExecutable
        }
    };
    let hint = err.hint().unwrap_or_default();
    CommandError::new(kind, err.to_string()).hinted(hint)
}
