//! `breakglass passkey enroll`: a passkey for an emergency user, made by a FIDO2 authenticator
//! and registered through Microsoft's provisioning API.

use std::path::PathBuf;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind};
use crate::output::Report;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::passkey::software::{SoftwareAttestation, SoftwareAuthenticator};
use breakglass_ops::passkey::{self, EnrollRequest, Enrolled};

/// Which authenticator makes the credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthenticatorKind {
    /// A FIDO2 security key over USB (CTAP2 over HID); not in this build.
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

pub async fn cmd_enroll(helper: &CommandHelper, args: &EnrollArgs) -> Result<(), CommandError> {
    let mut key = match args.authenticator {
        AuthenticatorKind::Usb if args.software_key.is_some() => {
            return Err(CommandError::new(
                ErrorKind::Usage,
                "--software-key goes with --authenticator software",
            )
            .hinted("add --authenticator software, or leave out --software-key"));
        }
        AuthenticatorKind::Usb => {
            return Err(CommandError::new(
                ErrorKind::Usage,
                "this build of breakglass cannot talk to USB security keys (CTAP2 over HID is not compiled in)",
            )
            .hinted("enrol the key with Microsoft's own tools for now, or see docs/credentials.md (Passkeys) for what a USB build needs")
            .hinted("for a rehearsal against the simulator: --authenticator software --software-key FILE"));
        }
        AuthenticatorKind::Software => software(args)?,
    };
    let session = helper.sign_in(&args.operator).await?;
    let request = EnrollRequest {
        user: &args.user,
        label: &args.label,
        registration_out: args.registration_out.clone(),
    };
    let enrolled = passkey::enroll(helper.ui(), &session, &mut key, &request).await?;
    helper.ui().emit(&enrolled)
}
