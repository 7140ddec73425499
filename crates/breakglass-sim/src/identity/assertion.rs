//! Signed JWTs: parsing and RSA verification, the certificate credential a JWT header
//! names, and the checks a client assertion (RFC 7523, `private_key_jwt`) must pass.

use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use http::StatusCode;
use jiff::Timestamp;
use serde_json::Value;
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use x509_cert::der::Decode as _;

use super::{in_validity, invalid_client, sts_error};
use crate::Simulator;
use crate::http::SimResponse;
use crate::state::DirObject;

fn decode_b64_any(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| STANDARD_NO_PAD.decode(trimmed).ok())
        .or_else(|| URL_SAFE.decode(text).ok())
        .or_else(|| STANDARD.decode(text).ok())
}

/// Time claims may be integers or floats (azure-identity sends floats).
/// Time claims may be integers or floats (azure-identity sends floats).
pub(super) fn time_claim(claims: &Value, name: &str) -> Option<i64> {
    let value = claims.get(name)?;
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// The RSA public key (PKCS#1 DER) of an X.509 certificate.
pub(crate) fn certificate_public_key(der: &[u8]) -> Option<Vec<u8>> {
    let certificate = x509_cert::Certificate::from_der(der).ok()?;
    certificate
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
}

pub(crate) struct ParsedJwt {
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub(crate) fn parse_jwt(token: &str) -> Option<ParsedJwt> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(ParsedJwt {
        header: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?,
        claims: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?,
        signing_input: format!("{header}.{payload}"),
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

pub(crate) fn verify_rsa(
    alg: &str,
    public_key_der: &[u8],
    message: &[u8],
    signature: &[u8],
) -> bool {
    let algorithm: &dyn aws_lc_rs::signature::VerificationAlgorithm = match alg {
        "RS256" => &RSA_PKCS1_2048_8192_SHA256,
        "PS256" => &RSA_PSS_2048_8192_SHA256,
        _ => return false,
    };
    UnparsedPublicKey::new(algorithm, public_key_der)
        .verify(message, signature)
        .is_ok()
}

/// The certificate credential whose thumbprint the JWT header names.
pub(crate) struct MatchedCertificate {
    pub key_id: String,
    pub der: Vec<u8>,
    pub thumbprint_hex: String,
    pub credential: Value,
}

pub(crate) fn find_certificate(
    owner: &DirObject,
    header: &Value,
) -> Result<MatchedCertificate, String> {
    let sha256 = header
        .get("x5t#S256")
        .and_then(Value::as_str)
        .and_then(decode_b64_any);
    let sha1 = header
        .get("x5t")
        .and_then(Value::as_str)
        .and_then(decode_b64_any);
    let presented = sha256
        .as_ref()
        .or(sha1.as_ref())
        .map(|b| hex_upper(b))
        .unwrap_or_default();
    let credentials = owner
        .get("keyCredentials")
        .and_then(|keys| match keys {
            Value::Array(keys) => Some(keys),
            _ => None,
        })
        .unwrap_or_default();
    for credential in credentials {
        let key_id = credential
            .get("keyId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(der) = owner
            .private
            .certificates
            .get(&key_id)
            .and_then(|b| STANDARD.decode(b).ok())
        else {
            continue;
        };
        let matches_sha256 = sha256.as_deref() == Some(Sha256::digest(&der).as_slice());
        let matches_sha1 = sha1.as_deref() == Some(Sha1::digest(&der).as_slice());
        if matches_sha256 || matches_sha1 {
            return Ok(MatchedCertificate {
                key_id,
                thumbprint_hex: hex_upper(&Sha1::digest(&der)),
                der,
                credential,
            });
        }
    }
    Err(presented)
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// What a client assertion must name to be accepted by this tenant's token endpoint.
pub(super) struct Expected<'a> {
    pub client_id: &'a str,
    /// The tenant as the token request's path names it: its id or one of its domains.
    pub segment: &'a str,
    pub tenant_id: &'a str,
    pub now: Timestamp,
}

/// Checks a client assertion and answers the registered certificate that signed it.
pub(super) fn verify_assertion(
    sim: &Simulator,
    app: &DirObject,
    sp: &DirObject,
    assertion: &str,
    expected: &Expected<'_>,
) -> Result<MatchedCertificate, Box<SimResponse>> {
    let Some(jwt) = parse_jwt(assertion) else {
        return Err(Box::new(sts_error(
            sim,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.".into(),
        )));
    };
    let app_id = app.str("appId").unwrap_or_default();
    let matched = signing_certificate(sim, app, sp, &jwt, &app_id, expected.now)?;
    check_issuer_and_subject(sim, &jwt.claims, expected.client_id)?;
    check_audience(sim, &jwt.claims, expected)?;
    check_lifetime(sim, &jwt.claims, expected.now)?;
    Ok(matched)
}

/// The certificate, on the application or else its service principal, whose thumbprint
/// the assertion's header names, provided it is valid now and its key made the signature.
fn signing_certificate(
    sim: &Simulator,
    app: &DirObject,
    sp: &DirObject,
    jwt: &ParsedJwt,
    app_id: &str,
    now: Timestamp,
) -> Result<MatchedCertificate, Box<SimResponse>> {
    let alg = jwt
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let matched = find_certificate(app, &jwt.header)
        .or_else(|_| find_certificate(sp, &jwt.header))
        .map_err(|presented| {
            invalid_client(
                sim,
                700027,
                format!(
                    "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{presented}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app_id}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/{app_id}']"
                ),
            )
        })?;
    if !in_validity(&matched.credential, now) {
        return Err(invalid_client(
            sim,
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '{}', Found key 'Start=..., End=...', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app_id}'.]",
                matched.thumbprint_hex
            ),
        ));
    }
    let verified_signature = certificate_public_key(&matched.der)
        .is_some_and(|key| verify_rsa(alg, &key, jwt.signing_input.as_bytes(), &jwt.signature));
    if !verified_signature {
        return Err(invalid_client(
            sim,
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '{}']",
                matched.thumbprint_hex
            ),
        ));
    }
    Ok(matched)
}

fn check_issuer_and_subject(
    sim: &Simulator,
    claims: &Value,
    client_id: &str,
) -> Result<(), Box<SimResponse>> {
    for name in ["iss", "sub"] {
        if claims.get(name).and_then(Value::as_str) != Some(client_id) {
            return Err(invalid_client(
                sim,
                700021,
                format!(
                    "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials (claim `{name}`)."
                ),
            ));
        }
    }
    Ok(())
}

/// The audience must be this tenant's token endpoint (v2.0 or v1) or issuer, with the
/// tenant named as in the request's path or by its id.
fn check_audience(
    sim: &Simulator,
    claims: &Value,
    expected: &Expected<'_>,
) -> Result<(), Box<SimResponse>> {
    let origin = sim.origin();
    let audience = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end_matches('/');
    let accepted: Vec<String> = [expected.segment, expected.tenant_id]
        .iter()
        .flat_map(|t| {
            [
                format!("{origin}/{t}/oauth2/v2.0/token"),
                format!("{origin}/{t}/oauth2/token"),
                format!("{origin}/{t}/v2.0"),
            ]
        })
        .collect();
    if !accepted.iter().any(|a| a.eq_ignore_ascii_case(audience)) {
        return Err(invalid_client(
            sim,
            50013,
            format!(
                "Assertion failed signature validation. [Reason - The audience '{audience}' in the client assertion is not the token endpoint of this tenant.]"
            ),
        ));
    }
    Ok(())
}

/// `exp` is required and `nbf` honoured, each with five minutes' clock skew allowed.
fn check_lifetime(sim: &Simulator, claims: &Value, now: Timestamp) -> Result<(), Box<SimResponse>> {
    let now_seconds = now.as_second();
    let skew = 300;
    let expired = time_claim(claims, "exp").is_none_or(|exp| exp + skew < now_seconds);
    let not_yet = time_claim(claims, "nbf").is_some_and(|nbf| nbf - skew > now_seconds);
    if expired || not_yet {
        return Err(invalid_client(
            sim,
            700024,
            "Client assertion is not within its valid time range.".into(),
        ));
    }
    Ok(())
}
