//! The flags that pick an emergency credential, and stdin for `-`. What the credential is and
//! how it signs in is `breakglass_ops::emergency::credential_source`.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use breakglass_ops::cloud::ResolvedCloud;
use breakglass_ops::emergency::credential_source::{self, EmergencyCredential, Input, Request};
use breakglass_ops::provision::vault::KeePassPassword;
use zeroize::Zeroizing;

use crate::context::CommandHelper;
use crate::error::{CommandError, config_error};
use crate::provision::{ConfigArgs, keepass_password};
use crate::ui::Ui;

/// The flags that pick an emergency credential.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Emergency credential")]
pub struct CredentialSourceArgs {
    /// The credential's label in breakglass.toml (e.g. `rotating`, `offline`). A `keepass`
    /// credential is read from the KeePass database; a `sheet` or `shares` credential
    /// needs `--sheet` or `--shares`. Without it, and without `--sheet`/`--shares`, the
    /// Azure SDK environment is used: AZURE_TENANT_ID, AZURE_CLIENT_ID, and
    /// AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH.
    #[arg(long, value_name = "LABEL")]
    pub credential: Option<String>,

    /// A file holding the recovery sheet's QR code text(s), as `zbarimg` prints them or
    /// typed in (`BREAKGLASS:V1:…`, or its `BGPART:` lines in any order); `-` reads stdin.
    #[arg(long, value_name = "FILE|-", conflicts_with = "shares")]
    pub sheet: Option<PathBuf>,

    /// Files holding Shamir shares (`BGSHARE:V1:…` texts or the `BGPART:` lines of their QR
    /// codes), separated by commas; any k of the n shares will do. `-` reads stdin.
    #[arg(long, value_name = "FILE,FILE,…", value_delimiter = ',')]
    pub shares: Vec<PathBuf>,

    #[command(flatten)]
    pub config: ConfigArgs,
}

/// A file, or for `-` the text pasted or piped on stdin.
pub fn input(path: &std::path::Path, what: &str) -> Result<Input, CommandError> {
    use std::io::Read as _;
    if path.as_os_str() != "-" {
        return Ok(Input::File(path.to_path_buf()));
    }
    if std::io::stdin().is_terminal() {
        // A person pastes: tell them how to finish.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("Paste {what}, then press Ctrl-D on an empty line:\n").as_bytes(),
        );
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut text).map_err(|err| {
        config_error(format!("cannot read {what} from stdin: {err}"))
            .hinted("pipe in the scanned text (UTF-8), not an image or a PDF")
    })?;
    Ok(Input::Text {
        text,
        from: "stdin".to_string(),
    })
}

/// The request the flags make.
pub fn request(args: &CredentialSourceArgs) -> Result<Request, CommandError> {
    let sheet = match &args.sheet {
        Some(path) => Some(input(path, "the recovery sheet")?),
        None => None,
    };
    // `--shares "$(printf '%s,' share-*.txt)"` leaves an empty last item.
    let shares = args
        .shares
        .iter()
        .filter(|path| !path.as_os_str().is_empty())
        .map(|path| input(path, "the shares"))
        .collect::<Result<Vec<Input>, CommandError>>()?;
    Ok(Request {
        credential: args.credential.clone(),
        sheet,
        shares,
        config_path: args.config.config.clone(),
        tokens: args.config.tokens(),
    })
}

/// Resolves the flags (or the environment) into a credential; the KeePass password is asked
/// for only when a label names a KeePass-held credential.
pub fn resolve(ui: &Ui, args: &CredentialSourceArgs) -> Result<EmergencyCredential, CommandError> {
    let request = request(args)?;
    let password = keepass_password_for(&args.config);
    Ok(credential_source::resolve(ui, &request, &password)?)
}

/// How the operations ask for the KeePass password: the front end reads it (a file, stdin, the
/// environment, a prompt); its errors are configuration errors.
pub fn keepass_password_for(
    config: &ConfigArgs,
) -> impl Fn(&std::path::Path) -> Result<KeePassPassword, breakglass_ops::Error> + '_ {
    move |path| {
        keepass_password(config, path, false).map_err(|e| {
            e.hints()
                .iter()
                .fold(breakglass_ops::config_error(e.message()), |error, hint| {
                    error.hinted(hint.clone())
                })
        })
    }
}

/// The cloud chosen (`--cloud`, BREAKGLASS_CLOUD, AZURE_AUTHORITY_HOST), checked against the
/// authority host the credential was made for.
pub fn resolve_cloud(
    helper: &CommandHelper,
    credential: &EmergencyCredential,
) -> Result<ResolvedCloud, CommandError> {
    Ok(credential_source::resolve_cloud(
        helper.ui(),
        helper.cloud()?,
        credential,
    )?)
}
