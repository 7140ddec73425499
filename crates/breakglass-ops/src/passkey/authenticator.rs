//! The CTAP2 side of enrolment: an authenticator makes a credential
//! (`authenticatorMakeCredential`, CTAP 2.1 §6.1) for the relying party and user that Entra's
//! creation options name, and answers with a WebAuthn attestation object.
//!
//! Two kinds exist: [`super::software::SoftwareAuthenticator`], whose keys live in a 0600 file
//! (for rehearsals against the simulator only), and a FIDO2 security key over USB HID
//! (`super::usb`, compiled with the `usb-security-key` feature; see `docs/credentials.md`,
//! "Passkeys").

use uuid::Uuid;

/// COSE algorithm ES256 (ECDSA P-256 with SHA-256), the one breakglass's software
/// authenticator makes.
pub const ES256: i64 = -7;

/// `PublicKeyCredentialRpEntity`.
#[derive(Clone, Debug)]
pub struct RelyingParty {
    pub id: String,
    pub name: String,
}

/// `PublicKeyCredentialUserEntity`: the user handle (raw bytes) and names.
#[derive(Clone, Debug)]
pub struct UserAccount {
    pub id: Vec<u8>,
    pub name: String,
    pub display_name: String,
}

/// The parameters of `authenticatorMakeCredential`.
#[derive(Clone, Debug)]
pub struct MakeCredential {
    /// The client data JSON the platform built (a USB key's library hashes it itself).
    pub client_data_json: Vec<u8>,
    /// SHA-256 of [`Self::client_data_json`].
    pub client_data_hash: [u8; 32],
    pub rp: RelyingParty,
    pub user: UserAccount,
    /// COSE algorithms the relying party accepts, in its order of preference.
    pub pub_key_cred_params: Vec<i64>,
    /// Credential ids already registered for the user: the authenticator must refuse to make
    /// a second credential for the same account.
    pub exclude_list: Vec<Vec<u8>>,
    /// The relying party asked for user verification (a PIN on a security key).
    pub user_verification: bool,
    /// The relying party asked for a discoverable (resident) credential, as Entra does.
    pub resident_key: bool,
}

/// What the authenticator answered.
#[derive(Clone, Debug)]
pub struct MadeCredential {
    pub credential_id: Vec<u8>,
    /// The attestation object, CBOR: `fmt`, `attStmt`, `authData`.
    pub attestation_object: Vec<u8>,
    pub aaguid: Uuid,
    /// `packed` or `none`.
    pub format: String,
}

/// Why an authenticator made no credential.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticatorError {
    /// `CTAP2_ERR_CREDENTIAL_EXCLUDED`.
    #[error("the authenticator already holds a credential the tenant lists for this user")]
    Excluded,
    /// `CTAP2_ERR_UNSUPPORTED_ALGORITHM`.
    #[error("the relying party offers no algorithm the authenticator supports (it makes ES256)")]
    UnsupportedAlgorithm,
    #[error("the software authenticator's key file {path}: {detail}")]
    KeyFile { path: String, detail: String },
    /// No FIDO2 security key was found, or more than one.
    #[error("{0}")]
    NoDevice(String),
    /// The security key has no PIN yet, and Entra asks for user verification.
    #[error("the security key has no PIN set, and Entra asks for user verification")]
    PinNotSet,
    /// `CTAP2_ERR_PIN_INVALID`: the key counted one more wrong try.
    #[error("the security key refused the PIN ({retries} tries left before it locks)")]
    PinRefused { retries: String },
    /// `CTAP2_ERR_PIN_BLOCKED` or `CTAP2_ERR_PIN_AUTH_BLOCKED`, or no try left.
    #[error("the security key's PIN is locked ({0})")]
    PinBlocked(String),
    /// Nobody touched the key in time, or the touch was refused.
    #[error("the security key was not touched in time, or the request was refused on the key")]
    NotTouched,
    #[error("the authenticator failed: {0}")]
    Device(String),
}

/// A FIDO2 authenticator breakglass can enrol.
pub trait Authenticator {
    /// `software` or `usb`.
    fn kind(&self) -> &'static str;
    /// The AAGUID, when known before a credential is made (the policy is checked against it
    /// first).
    fn known_aaguid(&self) -> Option<Uuid>;
    /// Whether its attestation can be verified against the FIDO metadata service.
    fn attestation_verifiable(&self) -> bool;
    /// `authenticatorMakeCredential`.
    fn make_credential(
        &mut self,
        request: &MakeCredential,
    ) -> Result<MadeCredential, AuthenticatorError>;
}
