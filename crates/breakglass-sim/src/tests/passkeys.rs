//! Passkeys provisioned for a user, judged as a relying party judges a registration
//! (microsoft-graph-docs-contrib `api-reference/v1.0/api/fido2authenticationmethod-creationoptions.md`,
//! `authentication-post-fido2methods.md`; W3C WebAuthn Level 2 §7.1). The registrations here
//! are built by this test's own small authenticator, so each rule can be broken on its own:
//! the simulator must never accept what Entra would refuse.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value as Cbor;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{Harness, harness_of};

const USER: &str = "emma@contoso.example";
const AAGUID: &str = "4267c2b1-7e1d-4a0e-8f5b-627265616b67";
const POLICY: &str =
    "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

fn tenant_with(policy: Value) -> Harness {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["passkeyPolicy"] = policy;
    harness_of(&tenant)
}

fn open_policy() -> Value {
    json!({"state": "enabled", "isAttestationEnforced": false})
}

/// What the test authenticator does, and which rule it breaks.
#[derive(Clone)]
struct Ceremony {
    kind: &'static str,
    origin: &'static str,
    rp_id: &'static str,
    flags: u8,
    format: &'static str,
    certificate: bool,
    aaguid: &'static str,
}

impl Default for Ceremony {
    fn default() -> Self {
        Ceremony {
            kind: "webauthn.create",
            origin: "https://login.microsoft.com",
            rp_id: "login.microsoft.com",
            flags: 0x45,
            format: "packed",
            certificate: false,
            aaguid: AAGUID,
        }
    }
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// A `POST fido2Methods` body answering `challenge` as `ceremony` says.
fn registration(challenge: &str, ceremony: &Ceremony) -> Value {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let int = |n: i64| Cbor::Integer(n.into());
    let key = cbor(&Cbor::Map(vec![
        (int(1), int(2)),
        (int(3), int(-7)),
        (int(-1), int(1)),
        (int(-2), Cbor::Bytes(point[1..33].to_vec())),
        (int(-3), Cbor::Bytes(point[33..].to_vec())),
    ]));
    let credential_id: Vec<u8> = (0u8..16).collect();
    let mut auth_data = Sha256::digest(ceremony.rp_id.as_bytes()).to_vec();
    auth_data.push(ceremony.flags);
    auth_data.extend_from_slice(&[0, 0, 0, 0]);
    auth_data.extend_from_slice(uuid::Uuid::parse_str(ceremony.aaguid).unwrap().as_bytes());
    auth_data.extend_from_slice(&[0, 16]);
    auth_data.extend_from_slice(&credential_id);
    auth_data.extend_from_slice(&key);
    let client_data = serde_json::to_vec(&json!({
        "type": ceremony.kind, "challenge": challenge, "origin": ceremony.origin
    }))
    .unwrap();
    let mut signed = auth_data.clone();
    signed.extend_from_slice(&Sha256::digest(&client_data));
    let signature = pair.sign(&rng, &signed).unwrap().as_ref().to_vec();
    let text = |s: &str| Cbor::Text(s.to_string());
    let mut statement = vec![
        (text("alg"), int(-7)),
        (text("sig"), Cbor::Bytes(signature)),
    ];
    if ceremony.certificate {
        statement.push((text("x5c"), Cbor::Array(vec![Cbor::Bytes(vec![0x30, 0])])));
    }
    if ceremony.format == "none" {
        statement.clear();
    }
    let object = cbor(&Cbor::Map(vec![
        (text("fmt"), text(ceremony.format)),
        (text("attStmt"), Cbor::Map(statement)),
        (text("authData"), Cbor::Bytes(auth_data)),
    ]));
    json!({
        "displayName": "Test key",
        "publicKeyCredential": {
            "id": URL_SAFE_NO_PAD.encode(&credential_id),
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(&client_data),
                "attestationObject": URL_SAFE_NO_PAD.encode(&object),
            },
            "clientExtensionResults": {}
        }
    })
}

fn path(rest: &str) -> String {
    format!("/v1.0/users/{USER}/authentication/fido2Methods{rest}")
}

fn options(h: &Harness, token: &str) -> Value {
    let (status, options, _) = h.graph(token, Method::GET, &path("/creationOptions"), None);
    assert_eq!(status, StatusCode::OK, "{options}");
    options
}

/// A fresh challenge answered as `ceremony` says: the status and the error message.
fn attempt(h: &Harness, token: &str, ceremony: &Ceremony) -> (StatusCode, String) {
    let challenge = options(h, token)["publicKey"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let body = registration(&challenge, ceremony);
    let (status, answer, _) = h.graph(token, Method::POST, &path(""), Some(body));
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    (status, message.to_string())
}

#[test]
fn a_registration_is_verified_stored_listed_excluded_and_removed() {
    let h = tenant_with(open_policy());
    let token = h.operator_token();
    let (status, policy, _) = h.graph(&token, Method::GET, POLICY, None);
    assert_eq!(status, StatusCode::OK, "{policy}");
    assert_eq!(policy["state"], "enabled");
    assert_eq!(policy["isSelfServiceRegistrationAllowed"], true);

    let first = options(&h, &token);
    let key = &first["publicKey"];
    assert_eq!(key["rp"]["id"], "login.microsoft.com");
    assert_eq!(
        key["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(key["pubKeyCredParams"][0]["alg"], -7);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(key["challenge"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    let issued: jiff::Timestamp = first["challengeTimeoutDateTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let lifetime = issued.duration_since(h.sim.clock.now()).as_secs();
    assert!((295..=300).contains(&lifetime), "{lifetime}");

    let body = registration(key["challenge"].as_str().unwrap(), &Ceremony::default());
    // The reference page writes the collection in lower case.
    let lower = format!("/v1.0/users/{USER}/authentication/fido2methods");
    let (status, made, _) = h.graph(&token, Method::POST, &lower, Some(body));
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["aaGuid"], AAGUID);
    assert_eq!(made["displayName"], "Test key");
    let id = made["id"].as_str().unwrap().to_string();

    let (_, listed, _) = h.graph(&token, Method::GET, &path(""), None);
    assert_eq!(listed["value"][0]["id"], id.as_str());
    let (_, methods, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/users/{USER}/authentication/methods"),
        None,
    );
    let fido2: Vec<&Value> = methods["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethod")
        .collect();
    assert_eq!(fido2.len(), 1, "{methods}");
    assert!(
        fido2[0].get("attestationFormat").is_none(),
        "no private notes"
    );

    let again = options(&h, &token);
    assert_eq!(
        again["publicKey"]["excludeCredentials"][0]["id"],
        id.as_str()
    );
    // The same credential twice is refused.
    let body = registration(
        again["publicKey"]["challenge"].as_str().unwrap(),
        &Ceremony::default(),
    );
    let (status, _, _) = h.graph(&token, Method::POST, &path(""), Some(body));
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, _) = h.graph(&token, Method::DELETE, &path(&format!("/{id}")), None);
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = h.graph(&token, Method::GET, &path(&format!("/{id}")), None);
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn every_broken_rule_is_refused_with_400_naming_it() {
    let h = tenant_with(open_policy());
    let token = h.operator_token();
    let base = Ceremony::default();
    for (ceremony, expected) in [
        (
            Ceremony {
                kind: "webauthn.get",
                ..base.clone()
            },
            "webauthn.create",
        ),
        (
            Ceremony {
                origin: "https://login.microsoft.com.evil.example",
                ..base.clone()
            },
            "origin",
        ),
        (
            Ceremony {
                rp_id: "microsoft.com",
                ..base.clone()
            },
            "rpIdHash",
        ),
        (
            Ceremony {
                flags: 0x44,
                ..base.clone()
            },
            "user present",
        ),
        (
            Ceremony {
                flags: 0x41,
                ..base.clone()
            },
            "user verified",
        ),
        (
            Ceremony {
                certificate: true,
                ..base.clone()
            },
            "certificate chain",
        ),
        (
            Ceremony {
                format: "tpm",
                ..base.clone()
            },
            "not supported",
        ),
    ] {
        let (status, message) = attempt(&h, &token, &ceremony);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{expected}: {message}");
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // A challenge the simulator never issued.
    let body = registration("bm90LWlzc3VlZA", &base);
    let (status, answer, _) = h.graph(&token, Method::POST, &path(""), Some(body));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (_, listed, _) = h.graph(&token, Method::GET, &path(""), None);
    assert_eq!(listed["value"], json!([]), "nothing was registered");
}

#[test]
fn the_policy_decides_attestation_and_key_models() {
    let enforced = tenant_with(json!({"state": "enabled"}));
    let token = enforced.operator_token();
    for format in ["packed", "none"] {
        let ceremony = Ceremony {
            format,
            ..Ceremony::default()
        };
        let (status, message) = attempt(&enforced, &token, &ceremony);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{format}");
        assert!(message.contains("enforces attestation"), "{message}");
    }
    let allow_other = tenant_with(json!({"state": "enabled", "isAttestationEnforced": false,
        "keyRestrictions": {"isEnforced": true, "enforcementType": "allow",
                            "aaGuids": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]}}));
    let token = allow_other.operator_token();
    let (status, message) = attempt(&allow_other, &token, &Ceremony::default());
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("AAGUID"), "{message}");
    let none_ok = Ceremony {
        format: "none",
        ..Ceremony::default()
    };
    let open = tenant_with(open_policy());
    let token = open.operator_token();
    assert_eq!(attempt(&open, &token, &none_ok).0, StatusCode::CREATED);

    // Disabled (the built-in policy): no creation options at all.
    let disabled = tenant_with(json!({}));
    let token = disabled.operator_token();
    let (status, answer, _) = disabled.graph(&token, Method::GET, &path("/creationOptions"), None);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}
