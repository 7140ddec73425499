//! `breakglass credential recover`: combine k Shamir shares back into the credential.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use breakglass_store::{ShamirError, ShamirShare};
use secrecy::ExposeSecret as _;
use zeroize::Zeroizing;

use crate::context::CommandHelper;
use crate::error::{CommandError, config_error, internal_error};
use crate::output::Report;
use crate::ui::Ui;
use breakglass_ops::emergency::credential_source::{Input, read_input, shares_from_text};
use breakglass_ops::emergency::recovered::{Recovered, recover, write_recovered};

/// Combines any k of the n Shamir shares of an offline credential and writes the
/// credential to a new file (mode 0600): the private key and certificate as PEM for a
/// certificate, the secret value for a client secret.
///
/// Shares are the `.txt` files written next to the custodian sheets, or the text of the
/// sheets' QR codes pasted on stdin. Fewer than k shares reveal nothing about the
/// credential. The credential is never printed unless `--stdout` is given.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["shares", "stdin"])))]
pub struct RecoverArgs {
    /// Files each holding one share (a BGSHARE:V1: text, or the BGPART: lines of its QR
    /// codes), separated by commas.
    #[arg(long, value_name = "FILE,FILE,…", value_delimiter = ',')]
    pub shares: Vec<PathBuf>,
    /// Read the shares from stdin instead: scanned QR payloads or share texts, one per line.
    #[arg(long)]
    pub stdin: bool,
    /// Where to write the credential; an existing file is never overwritten. Default:
    /// breakglass-LABEL-KEYID.pem (certificates) or .secret (secrets) in this folder.
    #[arg(long, value_name = "PATH", conflicts_with = "stdout")]
    pub out: Option<PathBuf>,
    /// Print the credential on stdout instead of writing a file.
    #[arg(long)]
    pub stdout: bool,
}

impl Report for Recovered {
    fn human(&self, _ui: &Ui) -> String {
        let mut out = format!(
            "Recovered the `{}` {} from {} of its shares (set {}, {} needed):\n  tenant     {}\n  client id  {}\n  key id     {}\n",
            self.label,
            self.kind,
            self.shares_used,
            self.set_id,
            self.threshold,
            self.tenant_id,
            self.client_id,
            self.key_id
        );
        if let Some(thumbprint) = &self.thumbprint {
            out.push_str(&format!("  thumbprint {thumbprint}\n"));
        }
        out.push_str(&format!(
            "  valid      {} to {}\n",
            self.start.strftime("%Y-%m-%d"),
            self.end.strftime("%Y-%m-%d")
        ));
        if let Some(file) = &self.file {
            out.push_str(&format!("Wrote it to {} (mode 0600).\n", file.display()));
        }
        out.push_str(&format!(
            "Use it (every sign-in raises an alert):\n  {}\nDelete the file when you are done, and rotate the credential afterwards.\n",
            self.usage()
        ));
        out
    }
}

fn share_error(origin: &str, error: ShamirError) -> CommandError {
    let hint = error.hint();
    config_error(format!("{origin}: {error}")).hinted(hint)
}

async fn read_stdin(ui: &Ui) -> Result<Zeroizing<String>, CommandError> {
    if std::io::stdin().is_terminal() {
        ui.important(
            "Paste the shares (one per line, or the lines of their QR codes), then press Ctrl-D:",
        );
    }
    tokio::task::spawn_blocking(|| {
        use std::io::Read as _;
        let mut text = Zeroizing::new(String::new());
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    })
    .await
    .map_err(|e| internal_error(format!("reading stdin failed: {e}")))?
    .map_err(|e| {
        config_error(format!("cannot read the shares from stdin: {e}"))
            .hinted("pipe in the text of the shares (each BGSHARE: line, or the lines zbarimg printed), not an image or a PDF")
    })
}

pub async fn cmd_recover(helper: &CommandHelper, args: &RecoverArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let mut shares = Vec::new();
    for path in &args.shares {
        let (text, _) = read_input(&Input::File(path.clone()), "the share")?;
        let share = ShamirShare::from_scanned(&text)
            .map_err(|e| share_error(&path.display().to_string(), e))?;
        shares.push(share);
    }
    if args.stdin {
        let text = read_stdin(ui).await?;
        shares.extend(shares_from_text(&text, "stdin")?);
    }
    let (mut report, secret) = recover(&shares)?;
    if args.stdout {
        ui.status(report.human(ui));
        return ui.write_stdout(secret.expose_secret());
    }
    let path = args.out.clone().unwrap_or_else(|| report.default_file());
    write_recovered(&path, &secret)?;
    report.file = Some(path);
    ui.emit(&report)
}
