//! The relying party's half of a WebAuthn registration, as Entra does it for a passkey an
//! administrator provisions: the client data, the authenticator data and the attestation
//! statement are parsed and checked here, with the simulator's own CBOR and COSE reading
//! (W3C Web Authentication Level 2, §7.1 "Registering a New Credential", §6.1 authenticator
//! data, §8.2 packed and §8.7 none attestation; RFC 9053 for the COSE EC2 key).
//!
//! Supported: ES256 (P-256) credentials, `packed` self-attestation (no `x5c`) and `none`.
//! A `packed` statement with an attestation certificate chain is refused: the simulator holds
//! no FIDO metadata to judge it by.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value as Cbor;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// The relying party id Entra registers passkeys under.
pub(crate) const RP_ID: &str = "login.microsoft.com";
/// The origin a provisioning client states in its client data.
pub(crate) const ORIGIN: &str = "https://login.microsoft.com";
/// COSE algorithm ES256.
pub(crate) const ES256: i64 = -7;

const FLAG_USER_PRESENT: u8 = 0x01;
const FLAG_USER_VERIFIED: u8 = 0x04;
const FLAG_ATTESTED_DATA: u8 = 0x40;

/// A registration that passed every check.
#[derive(Debug)]
pub(crate) struct Verified {
    pub credential_id: Vec<u8>,
    pub aaguid: Uuid,
    /// `packed` or `none`.
    pub format: String,
    /// Self-attestation (`packed` without certificates) or none at all.
    pub attestation_level: &'static str,
}

fn b64(field: &str, text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| format!("{field} is not base64url."))
}

/// The client data: its `challenge` (base64url, as sent) after the type and origin checks.
pub(crate) fn client_data_challenge(client_data_json: &[u8]) -> Result<String, String> {
    let data: Value = serde_json::from_slice(client_data_json)
        .map_err(|_| "clientDataJSON is not JSON.".to_string())?;
    if data.get("type").and_then(Value::as_str) != Some("webauthn.create") {
        return Err("clientDataJSON.type must be webauthn.create.".into());
    }
    if data.get("origin").and_then(Value::as_str) != Some(ORIGIN) {
        return Err(format!("clientDataJSON.origin must be {ORIGIN}."));
    }
    if data
        .get("crossOrigin")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return Err("clientDataJSON.crossOrigin must not be true.".into());
    }
    data.get("challenge")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "clientDataJSON has no challenge.".into())
}

/// The parts of a registration response, decoded.
pub(crate) struct Response {
    pub credential_id: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub attestation_object: Vec<u8>,
}

/// `publicKeyCredential` of a `POST fido2Methods` body.
pub(crate) fn response_of(credential: &Value) -> Result<Response, String> {
    let text = |value: Option<&Value>, field: &str| {
        value
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("publicKeyCredential.{field} is required."))
    };
    let response = credential.get("response");
    Ok(Response {
        credential_id: b64("publicKeyCredential.id", &text(credential.get("id"), "id")?)?,
        client_data_json: b64(
            "clientDataJSON",
            &text(
                response.and_then(|r| r.get("clientDataJSON")),
                "response.clientDataJSON",
            )?,
        )?,
        attestation_object: b64(
            "attestationObject",
            &text(
                response.and_then(|r| r.get("attestationObject")),
                "response.attestationObject",
            )?,
        )?,
    })
}

fn map_get<'a>(map: &'a [(Cbor, Cbor)], key: &Cbor) -> Option<&'a Cbor> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn text_key(name: &str) -> Cbor {
    Cbor::Text(name.to_string())
}

fn int_key(n: i64) -> Cbor {
    Cbor::Integer(n.into())
}

fn as_int(value: Option<&Cbor>) -> Option<i64> {
    value
        .and_then(Cbor::as_integer)
        .and_then(|i| i64::try_from(i).ok())
}

/// The credential public key (COSE EC2, P-256, ES256) as an uncompressed SEC1 point.
fn cose_p256(key: &Cbor) -> Result<Vec<u8>, String> {
    let map = key
        .as_map()
        .ok_or("The credential public key is not a COSE key.")?;
    if as_int(map_get(map, &int_key(1))) != Some(2)
        || as_int(map_get(map, &int_key(3))) != Some(ES256)
        || as_int(map_get(map, &int_key(-1))) != Some(1)
    {
        return Err("The credential public key must be an ES256 (P-256) key, the algorithm the creation options offered.".into());
    }
    let coordinate = |label| {
        map_get(map, &int_key(label))
            .and_then(Cbor::as_bytes)
            .filter(|b| b.len() == 32)
            .ok_or("The credential public key has a malformed coordinate.")
    };
    let mut point = vec![0x04];
    point.extend_from_slice(coordinate(-2)?);
    point.extend_from_slice(coordinate(-3)?);
    Ok(point)
}

/// Authenticator data with attested credential data, checked against the relying party.
struct AuthData {
    aaguid: Uuid,
    credential_id: Vec<u8>,
    public_key: Vec<u8>,
}

fn parse_auth_data(auth_data: &[u8]) -> Result<AuthData, String> {
    if auth_data.len() < 37 + 18 {
        return Err("The authenticator data is too short.".into());
    }
    if auth_data[..32] != Sha256::digest(RP_ID.as_bytes())[..] {
        return Err(format!(
            "The authenticator data's rpIdHash is not SHA-256 of {RP_ID}."
        ));
    }
    let flags = auth_data[32];
    if flags & FLAG_USER_PRESENT == 0 {
        return Err("The authenticator data does not have the user present flag.".into());
    }
    if flags & FLAG_USER_VERIFIED == 0 {
        return Err("The authenticator data does not have the user verified flag, which the creation options require.".into());
    }
    if flags & FLAG_ATTESTED_DATA == 0 {
        return Err("The authenticator data has no attested credential data.".into());
    }
    let aaguid = Uuid::from_slice(&auth_data[37..53]).map_err(|_| "Malformed AAGUID.")?;
    let length = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
    let rest = auth_data
        .get(55..)
        .filter(|rest| rest.len() > length)
        .ok_or("The authenticator data's credential id is cut short.")?;
    let credential_id = rest[..length].to_vec();
    let key: Cbor = ciborium::from_reader(&rest[length..])
        .map_err(|_| "The credential public key is not CBOR.")?;
    Ok(AuthData {
        aaguid,
        credential_id,
        public_key: cose_p256(&key)?,
    })
}

fn verify_signature(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
        .verify(message, signature)
        .is_ok()
}

/// Checks the attestation object of `response` (whose client data passed
/// [`client_data_challenge`]); `attestation_enforced` is the policy's `isAttestationEnforced`.
pub(crate) fn verify(response: &Response, attestation_enforced: bool) -> Result<Verified, String> {
    let object: Cbor = ciborium::from_reader(response.attestation_object.as_slice())
        .map_err(|_| "attestationObject is not CBOR.".to_string())?;
    let map = object.as_map().ok_or("attestationObject is not a map.")?;
    let format = map_get(map, &text_key("fmt"))
        .and_then(Cbor::as_text)
        .ok_or("attestationObject has no fmt.")?
        .to_string();
    let auth_data = map_get(map, &text_key("authData"))
        .and_then(Cbor::as_bytes)
        .ok_or("attestationObject has no authData.")?;
    let statement = map_get(map, &text_key("attStmt"))
        .and_then(Cbor::as_map)
        .ok_or("attestationObject has no attStmt.")?;
    let parsed = parse_auth_data(auth_data)?;
    if parsed.credential_id != response.credential_id {
        return Err(
            "publicKeyCredential.id is not the credential id in the authenticator data.".into(),
        );
    }
    let level = match format.as_str() {
        "none" => {
            if !statement.is_empty() {
                return Err("A none attestation statement must be empty.".into());
            }
            "none"
        }
        "packed" => {
            if map_get(statement, &text_key("x5c")).is_some() {
                return Err("The attestation certificate chain could not be verified: the simulator has no FIDO metadata; use self-attestation.".into());
            }
            if as_int(map_get(statement, &text_key("alg"))) != Some(ES256) {
                return Err(
                    "The packed self-attestation alg must be the credential's, ES256.".into(),
                );
            }
            let signature = map_get(statement, &text_key("sig"))
                .and_then(Cbor::as_bytes)
                .ok_or("The packed attestation statement has no sig.")?;
            let mut signed = auth_data.to_vec();
            signed.extend_from_slice(&Sha256::digest(&response.client_data_json));
            if !verify_signature(&parsed.public_key, &signed, signature) {
                return Err("The packed self-attestation signature does not verify.".into());
            }
            "self"
        }
        other => {
            return Err(format!(
                "Attestation format {other} is not supported; use packed or none."
            ));
        }
    };
    if attestation_enforced {
        return Err(format!(
            "The authentication methods policy enforces attestation, and {} attestation cannot be verified against the FIDO metadata service.",
            if level == "self" { "self" } else { "no" }
        ));
    }
    Ok(Verified {
        credential_id: parsed.credential_id,
        aaguid: parsed.aaguid,
        format,
        attestation_level: level,
    })
}
