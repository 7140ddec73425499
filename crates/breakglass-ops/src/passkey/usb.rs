//! A FIDO2 security key over USB HID (CTAP2), through the `ctap-hid-fido2` crate: the key
//! makes the passkey, its private key never leaves the key, and breakglass passes Entra the
//! attestation object the key signed.
//!
//! Exactly one FIDO2 key may be plugged in while enrolling, so the passkey cannot land on the
//! wrong key. The key must have a PIN (Entra asks for user verification); the PIN is given by
//! the caller (a file, the environment or a prompt, never argv) and sent to the key only
//! through the CTAP2 PIN protocol (the crate encrypts it under a shared secret with the key).

use ciborium::Value as Cbor;
use ctap_hid_fido2::fidokey::MakeCredentialArgsBuilder;
use ctap_hid_fido2::fidokey::make_credential::{Attestation, CredentialSupportedKeyType};
use ctap_hid_fido2::public_key_credential_user_entity::PublicKeyCredentialUserEntity;
use ctap_hid_fido2::{FidoKeyHid, HidInfo, LibCfg};
use secrecy::{ExposeSecret as _, SecretString};
use uuid::Uuid;

use super::authenticator::{Authenticator, AuthenticatorError, MadeCredential, MakeCredential};

/// The COSE algorithms a security key may make through the crate, as the crate names them.
const SUPPORTED: [(i64, CredentialSupportedKeyType); 2] = [
    (-7, CredentialSupportedKeyType::Ecdsa256),
    (-8, CredentialSupportedKeyType::Ed25519),
];

/// What `getInfo` told about the key before anything was asked of it.
#[derive(Clone, Debug)]
pub struct KeyInfo {
    pub product: String,
    pub aaguid: Option<Uuid>,
    pub versions: Vec<String>,
    /// `clientPin` option: `Some(true)` PIN set, `Some(false)` supported but unset.
    pub client_pin: Option<bool>,
    pub pin_retries: Option<i32>,
}

/// The one FIDO2 key plugged in, opened.
pub struct UsbAuthenticator {
    device: FidoKeyHid,
    info: KeyInfo,
    pin: Option<SecretString>,
}

/// Every call into the library goes through here. It prints notes on stdout when a key
/// answers with a field it does not know (newer CTAP 2.1 keys do), which would break
/// `--output json`, so stdout goes nowhere while it runs. And it panics, rather than
/// answering an error, on some malformed answers and when the HID layer cannot start: such a
/// panic becomes an error a person can act on.
fn guarded<T>(what: &str, run: impl FnOnce() -> T) -> Result<T, AuthenticatorError> {
    let silenced = gag::Gag::stdout().ok();
    let result = crate::contained::contain(run);
    drop(silenced);
    result.map_err(|_| {
        AuthenticatorError::Device(format!(
            "the security key's library failed while {what} (is /dev/hidraw readable to you?)"
        ))
    })
}

/// The FIDO2 keys plugged in (HID usage page 0xF1D0).
pub fn plugged_in() -> Result<Vec<HidInfo>, AuthenticatorError> {
    guarded("listing USB devices", ctap_hid_fido2::get_fidokey_devices)
}

impl UsbAuthenticator {
    /// Opens the only FIDO2 key plugged in and reads its `getInfo`. Refuses when none or
    /// several are plugged in, or when it speaks no CTAP2.
    pub fn open() -> Result<Self, AuthenticatorError> {
        let keys = plugged_in()?;
        let found = match keys.as_slice() {
            [] => {
                return Err(AuthenticatorError::NoDevice(
                    "no FIDO2 security key is plugged in (no USB HID device with the FIDO usage page 0xF1D0 was found)"
                        .into(),
                ));
            }
            [one] => one.clone(),
            several => {
                return Err(AuthenticatorError::NoDevice(format!(
                    "{} FIDO2 security keys are plugged in ({}); leave only the one to enrol",
                    several.len(),
                    several
                        .iter()
                        .map(|k| k.product_string.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        };
        // The crate prints its keep-alive message on stdout, where it would break
        // `--output json`: the caller shows "touch the key" through its own progress line.
        let mut config = LibCfg::init();
        config.keep_alive_msg = String::new();
        let param = found.param.clone();
        let mut device = guarded("opening the security key", || {
            FidoKeyHid::new(&[param], &config)
        })?
        .map_err(|e| device_error("opening the security key", &e))?;
        let info = guarded("reading the key's getInfo", || device.get_info())?
            .map_err(|e| device_error("reading the key's getInfo", &e))?;
        if !info.versions.iter().any(|v| v.starts_with("FIDO_2")) {
            return Err(AuthenticatorError::Device(format!(
                "{} speaks only U2F (versions {:?}); Entra passkeys need a FIDO2 key",
                found.product_string, info.versions
            )));
        }
        if info.pin_uv_auth_protocols.contains(&2) {
            let _ = guarded("choosing PIN protocol 2", || {
                device.set_pin_uv_auth_protocol_two()
            });
        }
        let client_pin = info
            .options
            .iter()
            .find(|(name, _)| name == "clientPin")
            .map(|(_, set)| *set);
        let pin_retries = if client_pin == Some(true) {
            guarded("reading the PIN tries left", || device.get_pin_retries())?.ok()
        } else {
            None
        };
        Ok(UsbAuthenticator {
            device,
            info: KeyInfo {
                product: found.product_string,
                aaguid: Uuid::from_slice(&info.aaguid).ok(),
                versions: info.versions,
                client_pin,
                pin_retries,
            },
            pin: None,
        })
    }

    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    /// Refuses before the PIN is asked for when the key could not verify its user.
    pub fn check_ready(&self) -> Result<(), AuthenticatorError> {
        match (self.info.client_pin, self.info.pin_retries) {
            (Some(true), Some(0)) => Err(AuthenticatorError::PinBlocked("no PIN try left".into())),
            (Some(true), _) => Ok(()),
            _ => Err(AuthenticatorError::PinNotSet),
        }
    }

    /// The PIN to verify the user with, sent only through the CTAP2 PIN protocol.
    pub fn set_pin(&mut self, pin: SecretString) {
        self.pin = Some(pin);
    }
}

/// Maps the crate's error text (it carries the CTAP status name) to what a person can act on.
fn device_error(what: &str, err: &impl std::fmt::Display) -> AuthenticatorError {
    ctap_error(what, &format!("{err:#}"), None)
}

fn ctap_error(what: &str, text: &str, retries: Option<i32>) -> AuthenticatorError {
    let named = |status: &str| text.contains(status);
    if named("CTAP2_ERR_CREDENTIAL_EXCLUDED") {
        AuthenticatorError::Excluded
    } else if named("CTAP2_ERR_UNSUPPORTED_ALGORITHM") {
        AuthenticatorError::UnsupportedAlgorithm
    } else if named("CTAP2_ERR_PIN_BLOCKED") {
        AuthenticatorError::PinBlocked("too many wrong PINs".into())
    } else if named("CTAP2_ERR_PIN_AUTH_BLOCKED") {
        AuthenticatorError::PinBlocked(
            "three wrong PINs in a row; unplug and replug the key to try again".into(),
        )
    } else if named("CTAP2_ERR_PIN_INVALID") {
        AuthenticatorError::PinRefused {
            retries: retries.map_or_else(|| "some".to_string(), |n| n.to_string()),
        }
    } else if named("CTAP2_ERR_PIN_NOT_SET") {
        AuthenticatorError::PinNotSet
    } else if named("CTAP2_ERR_USER_ACTION_TIMEOUT")
        || named("CTAP2_ERR_ACTION_TIMEOUT")
        || named("CTAP2_ERR_OPERATION_DENIED")
        || named("CTAP2_ERR_KEEPALIVE_CANCEL")
    {
        AuthenticatorError::NotTouched
    } else {
        AuthenticatorError::Device(format!("{what}: {text}"))
    }
}

/// The COSE algorithms to ask the key for: the relying party's, in its order, that the crate
/// can request.
fn key_types(offered: &[i64]) -> Vec<CredentialSupportedKeyType> {
    offered
        .iter()
        .filter_map(|alg| {
            SUPPORTED
                .iter()
                .find(|(cose, _)| cose == alg)
                .map(|(_, kind)| *kind)
        })
        .collect()
}

/// The WebAuthn attestation object (`fmt`, `attStmt`, `authData`) for what the key answered.
/// The crate hands back the statement's fields parsed; `packed` and `fido-u2f` statements
/// consist of exactly those fields, so they are rebuilt whole. Other formats carry fields the
/// crate drops, and are refused rather than sent to Entra incomplete.
pub fn attestation_object(made: &Attestation) -> Result<Vec<u8>, AuthenticatorError> {
    let bytes = |b: &[u8]| Cbor::Bytes(b.to_vec());
    let text = |t: &str| Cbor::Text(t.to_string());
    let chain = || Cbor::Array(made.attstmt_x5c.iter().map(|c| bytes(c)).collect());
    let statement = match made.fmt.as_str() {
        "none" => Vec::new(),
        "packed" => {
            let mut fields = vec![
                (
                    text("alg"),
                    Cbor::Integer(i64::from(made.attstmt_alg).into()),
                ),
                (text("sig"), bytes(&made.attstmt_sig)),
            ];
            if !made.attstmt_x5c.is_empty() {
                fields.push((text("x5c"), chain()));
            }
            fields
        }
        "fido-u2f" => vec![
            (text("sig"), bytes(&made.attstmt_sig)),
            (text("x5c"), chain()),
        ],
        other => {
            return Err(AuthenticatorError::Device(format!(
                "the key answered with `{other}` attestation, which breakglass cannot pass on whole; use a key with packed attestation"
            )));
        }
    };
    let object = Cbor::Map(vec![
        (text("fmt"), text(&made.fmt)),
        (text("attStmt"), Cbor::Map(statement)),
        (text("authData"), bytes(&made.auth_data)),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&object, &mut out)
        .map_err(|e| AuthenticatorError::Device(format!("encoding the attestation object: {e}")))?;
    Ok(out)
}

impl Authenticator for UsbAuthenticator {
    fn kind(&self) -> &'static str {
        "usb"
    }

    fn known_aaguid(&self) -> Option<Uuid> {
        self.info.aaguid
    }

    fn attestation_verifiable(&self) -> bool {
        // A security key's packed attestation chains to its vendor's root, which Entra looks
        // up in the FIDO metadata service; whether this model is listed there is Entra's to
        // say, at registration.
        true
    }

    fn make_credential(
        &mut self,
        request: &MakeCredential,
    ) -> Result<MadeCredential, AuthenticatorError> {
        self.check_ready()?;
        let types = key_types(&request.pub_key_cred_params);
        if types.is_empty() {
            return Err(AuthenticatorError::UnsupportedAlgorithm);
        }
        let pin = self.pin.as_ref().ok_or(AuthenticatorError::PinNotSet)?;
        let user = PublicKeyCredentialUserEntity::new(
            Some(&request.user.id),
            Some(&request.user.name),
            Some(&request.user.display_name),
        );
        // The crate hashes what it is given as the "challenge" into the client data hash, so
        // it gets the client data JSON itself.
        let mut builder = MakeCredentialArgsBuilder::new(&request.rp.id, &request.client_data_json)
            .pin(pin.expose_secret())
            .user_entity(&user);
        for kind in types {
            builder = builder.key_type(kind);
        }
        for id in &request.exclude_list {
            builder = builder.exclude_authenticator(id);
        }
        if request.resident_key {
            builder = builder.resident_key();
        }
        let args = builder.build();
        // The crate indexes into the key's answer without checking its length: a malformed
        // answer must fail this enrolment, not end the process.
        let answered = guarded("making the credential", || {
            self.device.make_credential_with_args(&args)
        })?;
        let made = answered.map_err(|e| {
            let retries = guarded("reading the PIN tries left", || {
                self.device.get_pin_retries()
            })
            .ok()
            .and_then(Result::ok);
            ctap_error("making the credential", &format!("{e:#}"), retries)
        })?;
        let attestation_object = attestation_object(&made)?;
        let aaguid = Uuid::from_slice(&made.aaguid).map_err(|_| {
            AuthenticatorError::Device("the key's authenticator data has no AAGUID".into())
        })?;
        Ok(MadeCredential {
            credential_id: made.credential_descriptor.id.clone(),
            attestation_object,
            aaguid,
            format: made.fmt.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passkey::authenticator::{ES256, RelyingParty, UserAccount};
    use crate::passkey::software::{SoftwareAttestation, SoftwareAuthenticator};
    use ctap_hid_fido2::fidokey::make_credential::make_credential_response::parse_cbor;

    fn request() -> MakeCredential {
        MakeCredential {
            client_data_json: br#"{"type":"webauthn.create"}"#.to_vec(),
            client_data_hash: [9; 32],
            rp: RelyingParty {
                id: "login.microsoft.com".into(),
                name: "Microsoft".into(),
            },
            user: UserAccount {
                id: vec![4, 5, 6],
                name: "bg@contoso.example".into(),
                display_name: "BG".into(),
            },
            pub_key_cred_params: vec![ES256],
            exclude_list: Vec::new(),
            user_verification: true,
            resident_key: true,
        }
    }

    /// The CTAP2 `authenticatorMakeCredential` response (keys 1 fmt, 2 authData, 3 attStmt)
    /// holding what a WebAuthn attestation object holds.
    fn ctap_response(attestation_object: &[u8]) -> Vec<u8> {
        let object: Cbor = ciborium::from_reader(attestation_object).unwrap();
        let field = |name: &str| {
            object
                .as_map()
                .unwrap()
                .iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let response = Cbor::Map(vec![
            (Cbor::Integer(1.into()), field("fmt")),
            (Cbor::Integer(2.into()), field("authData")),
            (Cbor::Integer(3.into()), field("attStmt")),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&response, &mut out).unwrap();
        out
    }

    #[test]
    fn what_the_crate_parses_from_a_key_is_passed_on_byte_for_byte() {
        // A real key's answer is not at hand here: the software authenticator's answer, put in
        // the CTAP2 response shape and parsed by the crate's own response parser, stands in.
        for attestation in [SoftwareAttestation::Packed, SoftwareAttestation::None] {
            let dir = tempfile::tempdir().unwrap();
            let mut key = SoftwareAuthenticator::new(dir.path().join("k.json"), attestation);
            let made = key.make_credential(&request()).unwrap();
            let parsed = parse_cbor(&ctap_response(&made.attestation_object)).unwrap();
            assert_eq!(parsed.credential_descriptor.id, made.credential_id);
            assert_eq!(Uuid::from_slice(&parsed.aaguid).unwrap(), made.aaguid);
            assert_eq!(
                attestation_object(&parsed).unwrap(),
                made.attestation_object
            );
        }
    }

    #[test]
    fn statements_the_crate_cannot_carry_whole_are_refused() {
        let made = Attestation {
            fmt: "tpm".into(),
            ..Attestation::default()
        };
        let err = attestation_object(&made).unwrap_err();
        assert!(err.to_string().contains("`tpm` attestation"), "{err}");
    }

    #[test]
    fn ctap_statuses_become_errors_a_person_can_act_on() {
        let text = |s: &str| format!("response_status err = {s} something");
        assert!(matches!(
            ctap_error("x", &text("0x19 CTAP2_ERR_CREDENTIAL_EXCLUDED"), None),
            AuthenticatorError::Excluded
        ));
        let refused = ctap_error("x", &text("0x31 CTAP2_ERR_PIN_INVALID"), Some(5));
        assert_eq!(
            refused.to_string(),
            "the security key refused the PIN (5 tries left before it locks)"
        );
        assert!(matches!(
            ctap_error("x", &text("0x32 CTAP2_ERR_PIN_BLOCKED"), Some(0)),
            AuthenticatorError::PinBlocked(_)
        ));
        assert!(matches!(
            ctap_error("x", &text("0x2F CTAP2_ERR_USER_ACTION_TIMEOUT"), None),
            AuthenticatorError::NotTouched
        ));
        assert!(matches!(
            ctap_error("x", &text("0x35 CTAP2_ERR_PIN_NOT_SET"), None),
            AuthenticatorError::PinNotSet
        ));
    }

    #[test]
    fn only_algorithms_the_key_can_be_asked_for_are_requested_in_the_tenants_order() {
        assert!(key_types(&[-257]).is_empty());
        let asked = key_types(&[-257, -8, -7]);
        assert_eq!(asked.len(), 2);
        assert!(matches!(asked[0], CredentialSupportedKeyType::Ed25519));
    }
}
