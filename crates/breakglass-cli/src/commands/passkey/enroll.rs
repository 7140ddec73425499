//! `breakglass passkey enroll`: a passkey for an emergency user, made by a FIDO2 authenticator
//! and registered through Microsoft's provisioning API.

use std::path::PathBuf;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::Report;
#[cfg(feature = "usb-security-key")]
use crate::provision::{PinOrigin, read_pin};
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::passkey::authenticator::Authenticator;
use breakglass_ops::passkey::software::{SoftwareAttestation, SoftwareAuthenticator};
use breakglass_ops::passkey::{self, EnrollRequest, Enrolled};

/// Which authenticator makes the credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthenticatorKind {
    /// A FIDO2 security key over USB (CTAP2 over HID); builds with the `usb-security-key`
    /// feature only.
    Usb,
    /// A software authenticator whose keys live in a 0600 file: for rehearsals against the
    /// simulator only, never for a real emergency account.
    Software,
}

/// The attestation the software authenticator gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AttestationKind {
    /// `packed` self-attestation, signed with the new credential's key.
    Packed,
    /// No attestation (`none`).
    None,
}

/// Enrols a passkey for a user: reads the Passkey (FIDO2) method policy and refuses with what
/// to change, reads the user's creation options (Graph v1.0
/// fido2Methods/creationOptions), has the authenticator make the credential, and registers
/// it (POST fido2Methods). Prints the key's AAGUID and label.
///
/// Needs UserAuthMethod-Passkey.ReadWrite.All (or UserAuthenticationMethod.ReadWrite.All)
/// and Policy.Read.AuthenticationMethod. Put the security key in the safe, and its PIN in a
/// different one.
#[derive(Debug, clap::Args)]
pub struct EnrollArgs {
    /// The user, by user principal name or object id.
    #[arg(long, value_name = "UPN")]
    pub user: String,

    /// Which authenticator makes the credential.
    #[arg(long, value_enum, default_value = "usb")]
    pub authenticator: AuthenticatorKind,

    /// The software authenticator's key file (created mode 0600 when missing); with
    /// `--authenticator software` only.
    #[arg(long, value_name = "FILE")]
    pub software_key: Option<PathBuf>,

    /// The software authenticator's attestation.
    #[arg(long, value_enum, default_value = "packed")]
    pub software_attestation: AttestationKind,

    /// A file whose first line is the security key's PIN (with `--authenticator usb`).
    /// Without it, BREAKGLASS_FIDO_PIN is used, or a prompt on the terminal. Never argv.
    #[arg(long, value_name = "FILE")]
    pub pin_file: Option<PathBuf>,

    /// The passkey's label in Entra (its display name).
    #[arg(long, value_name = "TEXT", default_value = "Emergency security key")]
    pub label: String,

    /// Also write the creation options and the registration sent (public data, no secret) to
    /// FILE, as JSON, for checking them with another WebAuthn implementation.
    #[arg(long, value_name = "FILE")]
    pub registration_out: Option<PathBuf>,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

impl Report for Enrolled {
    fn human(&self, _ui: &Ui) -> String {
        let key = &self.passkey;
        format!(
            "Enrolled a passkey for {}.\n  id:          {}\n  label:       {}\n  AAGUID:      {}\n  model:       {}\n  authenticator: {} ({} attestation)\n",
            self.user_principal_name,
            key.id,
            key.label.as_deref().unwrap_or("-"),
            key.aaguid.as_deref().unwrap_or("-"),
            key.model.as_deref().unwrap_or("-"),
            self.authenticator,
            self.attestation_format,
        )
    }
}

fn software(args: &EnrollArgs) -> Result<SoftwareAuthenticator, CommandError> {
    let path = args.software_key.clone().ok_or_else(|| {
        CommandError::new(
            ErrorKind::Usage,
            "--authenticator software needs --software-key FILE",
        )
        .hinted("name the key file to create or reuse, e.g. --software-key rehearsal-key.json")
    })?;
    let attestation = match args.software_attestation {
        AttestationKind::Packed => SoftwareAttestation::Packed,
        AttestationKind::None => SoftwareAttestation::None,
    };
    Ok(SoftwareAuthenticator::new(path, attestation))
}

fn usb_flags_misused(args: &EnrollArgs) -> Option<CommandError> {
    match args.authenticator {
        AuthenticatorKind::Usb if args.software_key.is_some() => Some(
            CommandError::new(
                ErrorKind::Usage,
                "--software-key goes with --authenticator software",
            )
            .hinted("add --authenticator software, or leave out --software-key"),
        ),
        AuthenticatorKind::Software if args.pin_file.is_some() => Some(
            CommandError::new(
                ErrorKind::Usage,
                "--pin-file goes with --authenticator usb (the software authenticator has no PIN)",
            )
            .hinted("leave out --pin-file"),
        ),
        _ => None,
    }
}

#[cfg(not(feature = "usb-security-key"))]
fn usb(
    _helper: &CommandHelper,
    _args: &EnrollArgs,
) -> Result<Box<dyn Authenticator>, CommandError> {
    Err(CommandError::new(
        ErrorKind::Usage,
        "this build of breakglass cannot talk to USB security keys (CTAP2 over HID is not compiled in)",
    )
    .hinted("build with `cargo build --release --features usb-security-key` (needs libudev-dev), or see docs/credentials.md (Passkeys)")
    .hinted("for a rehearsal against the simulator: --authenticator software --software-key FILE"))
}

/// With this many PIN tries left or fewer, only a PIN typed at the prompt is sent to the key.
#[cfg(feature = "usb-security-key")]
const LAST_TRIES: i32 = 2;

/// The PIN when the key has only `left` tries: asked for on the terminal, never taken from a
/// file or the environment.
#[cfg(feature = "usb-security-key")]
fn last_tries_pin(
    left: i32,
    source: &PinOrigin<'_>,
) -> Result<secrecy::SecretString, CommandError> {
    use std::io::IsTerminal as _;
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(CommandError::new(
            ErrorKind::Config,
            format!("the security key has only {left} PIN tries left before it locks; breakglass will not spend one on a PIN from a file or {}", source.env),
        )
        .hinted("run `passkey enroll` on a terminal and type the PIN from the envelope kept apart from the key"));
    }
    let pin = rpassword::prompt_password(format!(
        "{left} PIN tries left before the key locks. {}",
        source.prompt
    ))
    .map_err(|e| CommandError::new(ErrorKind::Config, format!("cannot read the PIN: {e}")))?;
    Ok(secrecy::SecretString::from(pin))
}

/// Opens the one security key plugged in, checks it can verify its user, then reads its PIN:
/// nobody is asked for a PIN a key could not use.
#[cfg(feature = "usb-security-key")]
fn usb(helper: &CommandHelper, args: &EnrollArgs) -> Result<Box<dyn Authenticator>, CommandError> {
    use breakglass_ops::passkey::usb::UsbAuthenticator;
    let failed = |err| CommandError::from(breakglass_ops::passkey::device_error(err));
    let mut key = UsbAuthenticator::open().map_err(failed)?;
    key.check_ready().map_err(failed)?;
    let info = key.info().clone();
    let source = PinOrigin {
        what: "security key PIN",
        first_line: "the key's PIN",
        env: breakglass_core::env::BREAKGLASS_FIDO_PIN,
        flag: "--pin-file",
        prompt: format!("PIN of security key {}: ", info.product),
        needed: format!("the PIN of security key {} is needed", info.product),
    };
    let pin = match info.pin_retries {
        // A stale PIN file or variable must not use up the last tries and lock the key:
        // only a PIN typed now is tried then.
        Some(left) if left <= LAST_TRIES => last_tries_pin(left, &source)?,
        _ => read_pin(args.pin_file.as_deref(), &source, true)?,
    };
    key.set_pin(pin);
    helper.ui().debug(format!(
        "security key {} (AAGUID {}, {})",
        info.product,
        info.aaguid.map(|a| a.to_string()).unwrap_or_default(),
        info.versions.join(", ")
    ));
    Ok(Box::new(key))
}

pub async fn cmd_enroll(helper: &CommandHelper, args: &EnrollArgs) -> Result<(), CommandError> {
    if let Some(error) = usb_flags_misused(args) {
        return Err(error);
    }
    let mut key: Box<dyn Authenticator> = match args.authenticator {
        AuthenticatorKind::Usb => usb(helper, args)?,
        AuthenticatorKind::Software => Box::new(software(args)?),
    };
    let session = helper.sign_in(&args.operator).await?;
    let request = EnrollRequest {
        user: &args.user,
        label: &args.label,
        registration_out: args.registration_out.clone(),
    };
    let enrolled = passkey::enroll(helper.ui(), &session, key.as_mut(), &request).await?;
    helper.ui().emit(&enrolled)
}
