//! Application credentials: certificates (PATCH, client assertions, addKey/removeKey
//! proofs), passwords and federated identity credentials.

use aws_lc_rs::signature::{RSA_PSS_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{claims, harness};

pub(super) struct TestCert {
    pub(super) key: RsaKeyPair,
    pub(super) der: Vec<u8>,
}

pub(super) fn test_certificate() -> TestCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["emergency.test".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCert {
        key: RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap(),
        der: cert.der().to_vec(),
    }
}

pub(super) fn sign_jwt(cert: &TestCert, header: Value, claims: Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; cert.key.public_modulus_len()];
    cert.key
        .sign(
            &RSA_PSS_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[test]
fn certificate_lifecycle_patch_assertion_and_proof_of_possession() {
    let h = harness();
    let token = h.operator_token();
    let (status, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Emergency access", "tags": ["breakglass"]})),
    );
    assert_eq!(status, StatusCode::CREATED);
    let app_object_id = app["id"].as_str().unwrap().to_string();
    let app_id = app["appId"].as_str().unwrap().to_string();
    let (status, _, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/servicePrincipals",
        Some(json!({"appId": app_id})),
    );
    assert_eq!(status, StatusCode::CREATED);

    let first = test_certificate();
    let (status, _, _) = h.graph(&token, Method::PATCH, &format!("/v1.0/applications/{app_object_id}"), Some(json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": STANDARD.encode(&first.der), "displayName": "CN=first"}]})));
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The key is hidden unless selected on the single object.
    let (_, listed, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/applications/{app_object_id}"),
        None,
    );
    assert_eq!(listed["keyCredentials"][0]["key"], Value::Null);
    let (_, selected, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/applications/{app_object_id}?$select=keyCredentials"),
        None,
    );
    assert_eq!(
        selected["keyCredentials"][0]["key"],
        STANDARD.encode(&first.der)
    );

    let now = jiff::Timestamp::now().as_second() as f64 + 0.25;
    let aud = format!(
        "https://127.0.0.1:9/{}/oauth2/v2.0/token",
        h.operator.tenant_id
    );
    let x5t_s256 = URL_SAFE_NO_PAD.encode(Sha256::digest(&first.der));
    let assertion = sign_jwt(
        &first,
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256}),
        json!({"aud": aud, "iss": app_id, "sub": app_id, "jti": "1", "iat": now, "exp": now + 600.0}),
    );
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &assertion),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["appidacr"],
        "2"
    );

    // An assertion signed by an unregistered certificate names the thumbprint.
    let stranger = test_certificate();
    let forged = sign_jwt(
        &stranger,
        json!({"alg": "PS256", "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&stranger.der))}),
        json!({"aud": aud, "iss": app_id, "sub": app_id, "exp": now + 600.0}),
    );
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &forged),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::UNAUTHORIZED, json!([700027]))
    );

    // addKey needs a proof signed by a current certificate of the object.
    let second = test_certificate();
    let proof = sign_jwt(
        &first,
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256}),
        json!({"aud": "00000002-0000-0000-c000-000000000000", "iss": app_object_id, "nbf": now as i64, "exp": now as i64 + 600}),
    );
    let body = json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": STANDARD.encode(&second.der)}, "passwordCredential": null, "proof": proof});
    let (status, added, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{app_object_id}/addKey"),
        Some(body.clone()),
    );
    assert_eq!(status, StatusCode::OK, "{added}");
    let bad_proof = sign_jwt(
        &stranger,
        json!({"alg": "PS256", "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&stranger.der))}),
        json!({"aud": "00000002-0000-0000-c000-000000000000", "iss": app_object_id, "exp": now as i64 + 600}),
    );
    let mut rejected = body.clone();
    rejected["proof"] = json!(bad_proof);
    let (status, _, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{app_object_id}/addKey"),
        Some(rejected),
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A proof lives 10 minutes at most, from its `nbf`, which it must carry.
    for lifetime in [
        json!({"nbf": now as i64, "exp": now as i64 + 3600}),
        json!({"exp": now as i64 + 600}),
    ] {
        let mut claims =
            json!({"aud": "00000002-0000-0000-c000-000000000000", "iss": app_object_id});
        claims
            .as_object_mut()
            .unwrap()
            .extend(lifetime.as_object().unwrap().clone());
        let long_lived = sign_jwt(
            &first,
            json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256}),
            claims,
        );
        let mut refused = body.clone();
        refused["proof"] = json!(long_lived);
        let (status, answer, _) = h.graph(
            &token,
            Method::POST,
            &format!("/v1.0/applications/{app_object_id}/addKey"),
            Some(refused),
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{lifetime}: {answer}");
        assert_eq!(answer["error"]["code"], "Authentication_MissingOrMalformed");
    }

    // The audit log names the change with Microsoft's activity name (with its en dash).
    let (_, audits, _) = h.graph(&token, Method::GET, "/v1.0/auditLogs/directoryAudits", None);
    let names: Vec<&str> = audits["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["activityDisplayName"].as_str())
        .collect();
    assert!(
        names.contains(&"Update application \u{2013} Certificates and secrets management"),
        "{names:?}"
    );
    assert!(names.contains(&"Add service principal"));
}

#[test]
fn passwords_are_shown_once_and_removed_secrets_stop_working() {
    let h = harness();
    let token = h.operator_token();
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Emergency access"})),
    );
    let (id, app_id) = (
        app["id"].as_str().unwrap().to_string(),
        app["appId"].as_str().unwrap().to_string(),
    );
    h.graph(
        &token,
        Method::POST,
        "/v1.0/servicePrincipals",
        Some(json!({"appId": app_id})),
    );
    let (status, credential, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{id}/addPassword"),
        Some(json!({"passwordCredential": {"displayName": "rotating"}})),
    );
    assert_eq!(status, StatusCode::OK);
    let secret = credential["secretText"].as_str().unwrap().to_string();
    assert_eq!(credential["hint"], secret[..3]);
    let (_, fetched, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/applications/{id}"),
        None,
    );
    assert_eq!(fetched["passwordCredentials"][0]["secretText"], Value::Null);

    let scope = "https://127.0.0.1:9/.default";
    let (status, _) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        ("client_secret", &secret),
        ("scope", scope),
    ]);
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{id}/removePassword"),
        Some(json!({"keyId": credential["keyId"]})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        ("client_secret", &secret),
        ("scope", scope),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::UNAUTHORIZED, json!([7000215]))
    );
}

#[test]
fn federated_identity_credentials_are_listed_under_their_application() {
    let h = harness();
    let token = h.operator_token();
    let (_, apps, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/applications?$filter=displayName eq 'Payroll Sync'",
        None,
    );
    let app_id = apps["value"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/v1.0/applications/{app_id}/federatedIdentityCredentials");
    let body = json!({
        "name": "deploy",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso/payroll:environment:prod",
        "audiences": ["api://AzureADTokenExchange"]
    });
    let (status, created, _) = h.graph(&token, Method::POST, &path, Some(body.clone()));
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let declared = [
        "@odata.context",
        "id",
        "name",
        "issuer",
        "subject",
        "description",
        "audiences",
    ];
    for key in created.as_object().unwrap().keys() {
        assert!(declared.contains(&key.as_str()), "{key} is not in the CSDL");
    }
    let (status, again, _) = h.graph(&token, Method::POST, &path, Some(body));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    let (status, _, _) = h.graph(
        &token,
        Method::POST,
        &path,
        Some(json!({"name": "x", "issuer": "i", "subject": "s", "audiences": []})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, listed, _) = h.graph(&token, Method::GET, &path, None);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed["value"][0]["subject"],
        "repo:contoso/payroll:environment:prod"
    );
    // Not a property of the application itself.
    let (_, app, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/applications/{app_id}"),
        None,
    );
    assert!(app.get("federatedIdentityCredentials").is_none());
}

/// `servicePrincipalLockConfiguration` locks credentials on the service principal by usage
/// (microsoft-graph-docs-contrib `api-reference/v1.0/resources/serviceprincipallockconfiguration.md`):
/// `credentialsWithUsageSign` those used to sign, `credentialsWithUsageVerify` those used to
/// verify (client secrets among them); the application object stays changeable.
#[test]
fn the_lock_holds_credentials_of_its_usage_on_the_service_principal() {
    let h = harness();
    let token = h.operator_token();
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "SAML app"})),
    );
    let app_object_id = app["id"].as_str().unwrap().to_string();
    let (_, sp, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/servicePrincipals",
        Some(json!({"appId": app["appId"]})),
    );
    let sp_path = format!("/v1.0/servicePrincipals/{}", sp["id"].as_str().unwrap());
    let lock = |sign: bool, verify: bool| {
        let (status, body, _) = h.graph(
            &token,
            Method::PATCH,
            &format!("/v1.0/applications/{app_object_id}"),
            Some(json!({"servicePrincipalLockConfiguration": {
                "isEnabled": true, "allProperties": false,
                "credentialsWithUsageSign": sign, "credentialsWithUsageVerify": verify
            }})),
        );
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    };
    let certificate = |usage: &str| json!({"type": "AsymmetricX509Cert", "usage": usage, "key": STANDARD.encode(test_certificate().der)});
    let add_secret = |path: &str| {
        h.graph(
            &token,
            Method::POST,
            &format!("{path}/addPassword"),
            Some(json!({"passwordCredential": {"displayName": "x"}})),
        )
        .0
    };

    lock(true, false);
    let (status, refused, _) = h.graph(
        &token,
        Method::PATCH,
        &sp_path,
        Some(json!({"keyCredentials": [certificate("Sign")]})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused.to_string().contains("locked"), "{refused}");
    let (status, body, _) = h.graph(
        &token,
        Method::PATCH,
        &sp_path,
        Some(json!({"keyCredentials": [certificate("Verify")]})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(add_secret(&sp_path), StatusCode::OK);

    lock(false, true);
    assert_eq!(add_secret(&sp_path), StatusCode::BAD_REQUEST);
    assert_eq!(
        add_secret(&format!("/v1.0/applications/{app_object_id}")),
        StatusCode::OK,
        "the application object is not locked"
    );
}
