//! `breakglass credential recover`: combine k Shamir shares back into the credential.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use breakglass_store::{
    CredentialKind, Overwrite, ShamirError, ShamirShare, StoredCredential, combine,
    write_secret_file,
};
use jiff::Timestamp;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, config_error, internal_error};
use crate::output::Report;
use crate::ui::Ui;
use breakglass_ops::emergency::credential_source::{Input, read_input, shares_from_text};

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Recovered {
    label: String,
    kind: &'static str,
    tenant_id: String,
    client_id: String,
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbprint: Option<String>,
    start: Timestamp,
    end: Timestamp,
    cloud: String,
    authority_host: String,
    shares_used: usize,
    threshold: u8,
    set_id: String,
    /// The file the credential was written to; null with `--stdout`.
    file: Option<PathBuf>,
}

impl Recovered {
    fn usage(&self) -> String {
        let file = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "FILE".into());
        let credential = if self.kind == "certificate" {
            format!("AZURE_CLIENT_CERTIFICATE_PATH={file}")
        } else {
            format!("AZURE_CLIENT_SECRET=\"$(cat {file})\"")
        };
        format!(
            "AZURE_TENANT_ID={} AZURE_CLIENT_ID={} {credential} breakglass whoami",
            self.tenant_id, self.client_id
        )
    }
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

fn secret_text(credential: &StoredCredential) -> SecretString {
    match &credential.kind {
        CredentialKind::Certificate(cert) => cert.combined_pem(),
        CredentialKind::Secret { value, .. } => {
            SecretString::from(format!("{}\n", value.expose_secret()))
        }
    }
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
    let payload = combine(&shares).map_err(|e| share_error("the shares cannot be combined", e))?;
    let first = &shares[0];
    let credential = payload.credential();
    let (kind, thumbprint, extension) = match &credential.kind {
        CredentialKind::Certificate(cert) => (
            "certificate",
            Some(cert.thumbprint_sha1_hex().to_string()),
            "pem",
        ),
        CredentialKind::Secret { .. } => ("secret", None, "secret"),
    };
    let key_id = credential.key_id.to_string();
    let mut report = Recovered {
        label: credential.label.clone(),
        kind,
        tenant_id: credential.tenant_id.clone(),
        client_id: credential.client_id.to_string(),
        key_id: key_id.clone(),
        thumbprint,
        start: credential.start,
        end: credential.end,
        cloud: credential.cloud.clone(),
        authority_host: credential.authority_host.clone(),
        shares_used: usize::from(first.threshold()),
        threshold: first.threshold(),
        set_id: first.set_id().to_string(),
        file: None,
    };
    let secret = secret_text(credential);
    if args.stdout {
        ui.status(report.human(ui));
        return ui.write_stdout(secret.expose_secret());
    }
    let path = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "breakglass-{}-{}.{extension}",
            credential.label,
            &key_id[..8]
        ))
    });
    write_secret_file(&path, secret.expose_secret().as_bytes(), Overwrite::Refuse).map_err(
        |e| {
            let hint = e.hint();
            CommandError::new(ErrorKind::Config, e.to_string())
                .hinted(hint)
                .hinted("pass `--out PATH` to write somewhere else")
        },
    )?;
    report.file = Some(path);
    ui.emit(&report)
}
