//! In-process tests of the tenant logic: requests go straight to the router, no socket.

use std::net::SocketAddr;

use aws_lc_rs::signature::{RSA_PSS_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::http::SimRequest;
use crate::{FaultRule, OperatorCredentials, SimOptions, Simulator, pki};

struct Harness {
    sim: Simulator,
    operator: OperatorCredentials,
    _dir: tempfile::TempDir,
}

fn open_in(dir: &std::path::Path) -> (Simulator, OperatorCredentials) {
    let options = SimOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: dir.to_path_buf(),
        tenant_file: None,
    };
    let pki = pki::load_or_create(dir).expect("keys");
    let base = url::Url::parse("https://127.0.0.1:9/").expect("url");
    let (sim, operator, _) = Simulator::open(&options, pki, base).expect("open");
    (sim, operator)
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sim, operator) = open_in(dir.path());
    Harness {
        sim,
        operator,
        _dir: dir,
    }
}

fn request(
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> SimRequest {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path_and_query.to_string(), None),
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    SimRequest {
        method,
        path,
        query,
        headers: map,
        body: body.map(Bytes::from).unwrap_or_default(),
    }
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish().into_bytes()
}

impl Harness {
    fn token_with(&self, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let path = format!("/{}/oauth2/v2.0/token", self.operator.tenant_id);
        let response = crate::graph::route(
            &self.sim,
            &request(Method::POST, &path, &[], Some(form(pairs))),
        );
        (response.status, response.body_json().unwrap_or(Value::Null))
    }

    fn operator_token(&self) -> String {
        let (status, body) = self.token_with(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.operator.client_id),
            ("client_secret", &self.operator.client_secret),
            ("scope", "https://127.0.0.1:9/.default"),
        ]);
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    fn graph(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        self.graph_with(token, method, path, body, &[])
    }

    fn graph_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value, HeaderMap) {
        let auth = format!("Bearer {token}");
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        let response = crate::graph::route(
            &self.sim,
            &request(
                method,
                path,
                &headers,
                body.map(|b| b.to_string().into_bytes()),
            ),
        );
        (
            response.status,
            response.body_json().unwrap_or(Value::Null),
            response.headers,
        )
    }
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn client_secret_token_carries_roles_and_wids_and_is_logged() {
    let h = harness();
    let token = h.operator_token();
    let c = claims(&token);
    assert_eq!(c["tid"], h.operator.tenant_id);
    assert_eq!(c["appid"], h.operator.client_id);
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["appidacr"], "1");
    assert!(
        c["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "RoleManagement.ReadWrite.Directory")
    );
    assert_eq!(
        c["wids"],
        json!([breakglass_core::roles::PRIVILEGED_ROLE_ADMINISTRATOR
            .template_id
            .to_string()])
    );
    // The beta sign-in log has the service principal sign-in with the credential key id.
    let (status, body, _) = h.graph(&token, Method::GET, "/beta/auditLogs/signIns", None);
    assert_eq!(status, StatusCode::OK);
    let record = &body["value"][0];
    assert_eq!(record["appId"], h.operator.client_id);
    assert_eq!(record["clientCredentialType"], "clientSecret");
    assert!(
        record["servicePrincipalCredentialKeyId"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
    // v1.0 shows interactive user sign-ins only.
    let (_, v1, _) = h.graph(&token, Method::GET, "/v1.0/auditLogs/signIns", None);
    assert_eq!(v1["value"], json!([]));
}

#[test]
fn token_errors_follow_the_identity_platform() {
    let h = harness();
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("client_secret", "not-the-secret"),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(
        !body["error_description"]
            .as_str()
            .unwrap()
            .contains("not-the-secret")
    );
    assert!(body["timestamp"].as_str().unwrap().contains(' '));

    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", "00000000-0000-0000-0000-000000000001"),
        ("client_secret", "x"),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::BAD_REQUEST, json!([700016]))
    );

    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::UNAUTHORIZED, json!([7000218]))
    );

    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("client_secret", "x"),
        ("scope", "User.Read"),
    ]);
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_scope"))
    );

    let response = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/nosuchtenant.example/oauth2/v2.0/token",
            &[],
            Some(form(&[("grant_type", "client_credentials")])),
        ),
    );
    assert_eq!(response.body_json().unwrap()["error_codes"], json!([90002]));
}

struct TestCert {
    key: RsaKeyPair,
    der: Vec<u8>,
}

fn test_certificate() -> TestCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["emergency.test".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCert {
        key: RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap(),
        der: cert.der().to_vec(),
    }
}

fn sign_jwt(cert: &TestCert, header: Value, claims: Value) -> String {
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
fn expired_secret_is_told_apart_from_a_wrong_one() {
    let h = harness();
    let token = h.operator_token();
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Short lived"})),
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
    let end = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(60))
        .unwrap();
    let (_, credential, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{id}/addPassword"),
        Some(json!({"passwordCredential": {"endDateTime": end.to_string()}})),
    );
    h.sim.clock.advance(120);
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        ("client_secret", credential["secretText"].as_str().unwrap()),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::UNAUTHORIZED, json!([7000222]))
    );
}

#[test]
fn paging_top_limits_and_advanced_queries() {
    let h = harness();
    let token = h.operator_token();
    let (status, first, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$top=2&$select=displayName",
        None,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let next = first["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.contains("$top=2") && next.contains("$skiptoken="),
        "{next}"
    );
    let mut seen = first["value"].as_array().unwrap().len();
    let mut link = Some(next.trim_start_matches("https://127.0.0.1:9").to_string());
    while let Some(current) = link.take() {
        let (_, page, _) = h.graph(&token, Method::GET, &current, None);
        seen += page["value"].as_array().unwrap().len();
        assert!(
            page["value"][0].get("jobTitle").is_none(),
            "$select is kept across pages"
        );
        link = page["@odata.nextLink"]
            .as_str()
            .map(|l| l.trim_start_matches("https://127.0.0.1:9").to_string());
    }
    assert_eq!(seen, 5);

    let (status, body, _) = h.graph(&token, Method::GET, "/v1.0/users?$top=1000", None);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("between 1 and 999")
    );

    let (status, _, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=jobTitle ne 'Developer'",
        None,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body, _) = h.graph_with(
        &token,
        Method::GET,
        "/v1.0/users?$filter=jobTitle ne 'Developer'&$count=true",
        None,
        &[("consistencylevel", "eventual")],
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["@odata.count"], 4);
}

#[test]
fn authorization_as_entra_enforces_it() {
    let h = harness();
    let token = h.operator_token();
    // The operator may not delete a Global Administrator: that needs a higher admin role.
    let (_, admins, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=userPrincipalName eq 'adele@contoso.example'",
        None,
    );
    let adele = admins["value"][0]["id"].as_str().unwrap().to_string();
    let (status, body, headers) = h.graph(
        &token,
        Method::DELETE,
        &format!("/v1.0/users/{adele}"),
        None,
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert!(headers.get("request-id").is_some());
    assert!(body["error"]["innerError"]["request-id"].is_string());

    // An app without permissions cannot read users.
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "No rights"})),
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
    let (_, credential, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/applications/{id}/addPassword"),
        Some(json!({})),
    );
    let (_, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &app_id),
        ("client_secret", credential["secretText"].as_str().unwrap()),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    let weak = body["access_token"].as_str().unwrap();
    let (status, _, _) = h.graph(weak, Method::GET, "/v1.0/users", None);
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = h.graph("garbage", Method::GET, "/v1.0/users", None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get("www-authenticate").is_some());
}

#[test]
fn role_assignments_use_entra_ids_and_reject_duplicates() {
    let h = harness();
    let token = h.operator_token();
    let (_, users, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=startswith(userPrincipalName,'emma')",
        None,
    );
    let emma = users["value"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"@odata.type": "#microsoft.graph.unifiedRoleAssignment", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "principalId": emma, "directoryScopeId": "/"});
    let (status, created, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/roleManagement/directory/roleAssignments",
        Some(body.clone()),
    );
    assert_eq!(status, StatusCode::CREATED);
    let expected = breakglass_core::ids::role_assignment_id(
        breakglass_core::roles::GLOBAL_ADMINISTRATOR.template_id,
        uuid::Uuid::parse_str(&emma).unwrap(),
    );
    assert_eq!(created["id"], expected);
    let (status, conflict, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/roleManagement/directory/roleAssignments",
        Some(body),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        conflict["error"]["message"]
            .as_str()
            .unwrap()
            .contains("conflicting object")
    );
    let (_, expanded, _) = h.graph(&token, Method::GET, &format!("/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{emma}'&$expand=principal"), None);
    assert_eq!(
        expanded["value"][0]["principal"]["@odata.type"],
        "#microsoft.graph.user"
    );
}

#[test]
fn users_soft_delete_restore_and_purge() {
    let h = harness();
    let token = h.operator_token();
    let create = json!({"accountEnabled": true, "displayName": "Temp admin", "mailNickname": "temp", "userPrincipalName": "temp-x1@contososim.onmicrosoft.com", "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Xy7!long-enough-pass"}});
    let (status, user, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create.clone()));
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap().to_string();
    let (status, _, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, pass, _) = h.graph(
        &token,
        Method::POST,
        &format!("/v1.0/users/{id}/authentication/temporaryAccessPassMethods"),
        Some(json!({"lifetimeInMinutes": 60})),
    );
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        pass["temporaryAccessPass"]
            .as_str()
            .is_some_and(|p| p.len() == 8)
    );
    assert_eq!(pass["isUsable"], true);

    assert_eq!(
        h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None)
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.graph(&token, Method::GET, &format!("/v1.0/users/{id}"), None)
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, deleted, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/directory/deletedItems/microsoft.graph.user",
        None,
    );
    assert!(
        deleted["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id.as_str())
    );
    assert_eq!(
        h.graph(&token, Method::GET, "/v1.0/directory/deletedItems", None)
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        h.graph(
            &token,
            Method::POST,
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            None
        )
        .0,
        StatusCode::OK
    );
    assert_eq!(
        h.graph(&token, Method::GET, &format!("/v1.0/users/{id}"), None)
            .0,
        StatusCode::OK
    );
    h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None);
    assert_eq!(
        h.graph(
            &token,
            Method::DELETE,
            &format!("/v1.0/directory/deletedItems/{id}"),
            None
        )
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.graph(
            &token,
            Method::GET,
            &format!("/v1.0/directory/deletedItems/{id}"),
            None
        )
        .0,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn replication_delay_hides_new_objects_for_a_while() {
    let h = harness();
    let token = h.operator_token();
    h.sim.faults.replace(vec![FaultRule {
        replication_delay_ms: Some(60_000),
        ..FaultRule::default()
    }]);
    let (_, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "Fresh"})),
    );
    let app_id = app["appId"].as_str().unwrap().to_string();
    let (status, body, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/servicePrincipals",
        Some(json!({"appId": app_id})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not reference a valid application object")
    );
    assert_eq!(
        h.graph(
            &token,
            Method::GET,
            &format!("/v1.0/applications/{}", app["id"].as_str().unwrap()),
            None
        )
        .0,
        StatusCode::NOT_FOUND
    );
    h.sim.clock.advance(61);
    assert_eq!(
        h.graph(
            &token,
            Method::POST,
            "/v1.0/servicePrincipals",
            Some(json!({"appId": app_id}))
        )
        .0,
        StatusCode::CREATED
    );
}

#[test]
fn batch_runs_items_in_order_and_throttles_them_one_by_one() {
    let h = harness();
    let token = h.operator_token();
    h.sim.faults.replace(vec![FaultRule {
        path_prefix: Some("/v1.0/domains".into()),
        status: Some(429),
        retry_after_seconds: Some(3),
        times: Some(1),
        ..FaultRule::default()
    }]);
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/organization"},
        {"id": "2", "method": "GET", "url": "/domains"},
        {"id": "3", "method": "GET", "url": "/users?$top=1"},
        {"id": "4", "method": "GET", "url": "/domains", "dependsOn": ["2"]}
    ]});
    let (status, reply, _) = h.graph(&token, Method::POST, "/v1.0/$batch", Some(body));
    assert_eq!(status, StatusCode::OK);
    let by_id = |id: &str| {
        reply["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("2")["status"], 429);
    assert_eq!(by_id("2")["headers"]["Retry-After"], "3");
    assert_eq!(by_id("3")["body"]["value"].as_array().unwrap().len(), 1);
    assert_eq!(by_id("4")["status"], 424);

    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"}))
        .collect();
    assert_eq!(
        h.graph(
            &token,
            Method::POST,
            "/v1.0/$batch",
            Some(json!({"requests": too_many}))
        )
        .0,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn state_survives_a_restart_from_the_same_folder() {
    let dir = tempfile::tempdir().unwrap();
    let app_id = {
        let (sim, operator) = open_in(dir.path());
        let h = Harness {
            sim,
            operator,
            _dir: tempfile::tempdir().unwrap(),
        };
        let token = h.operator_token();
        let (_, app, _) = h.graph(
            &token,
            Method::POST,
            "/v1.0/applications",
            Some(json!({"displayName": "Survivor"})),
        );
        app["appId"].as_str().unwrap().to_string()
    };
    let (sim, operator) = open_in(dir.path());
    let h = Harness {
        sim,
        operator,
        _dir: tempfile::tempdir().unwrap(),
    };
    let token = h.operator_token();
    let (_, found, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/applications?$filter=appId eq '{app_id}'"),
        None,
    );
    assert_eq!(found["value"][0]["displayName"], "Survivor");
    let mode = std::fs::metadata(dir.path().join("operator.env")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
}

#[test]
fn device_code_flow_with_approval_by_a_seeded_user() {
    let h = harness();
    let client = breakglass_core::roles::GRAPH_COMMAND_LINE_TOOLS_APP_ID.to_string();
    let path = format!("/{}/oauth2/v2.0/devicecode", h.operator.tenant_id);
    let started = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            &path,
            &[],
            Some(form(&[
                ("client_id", &client),
                (
                    "scope",
                    "https://127.0.0.1:9/.default openid profile offline_access",
                ),
            ])),
        ),
    )
    .body_json()
    .unwrap();
    let device_code = started["device_code"].as_str().unwrap().to_string();
    let poll = || {
        h.token_with(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", &client),
            ("device_code", &device_code),
        ])
    };
    let (status, pending) = poll();
    assert_eq!(
        (status, pending["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("authorization_pending"))
    );
    let wrong = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/devicelogin",
            &[],
            Some(form(&[
                ("user_code", started["user_code"].as_str().unwrap()),
                ("login", "adele@contoso.example"),
                ("password", "wrong"),
            ])),
        ),
    );
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let approve = crate::graph::route(
        &h.sim,
        &request(
            Method::POST,
            "/devicelogin",
            &[],
            Some(form(&[
                ("user_code", started["user_code"].as_str().unwrap()),
                ("login", "adele@contoso.example"),
                ("password", "Sim-Adele-Passw0rd!"),
            ])),
        ),
    );
    assert_eq!(approve.status, StatusCode::OK);
    let (status, body) = poll();
    assert_eq!(status, StatusCode::OK, "{body}");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["idtyp"], "user");
    assert_eq!(c["upn"], "adele@contoso.example");
    assert_eq!(
        c["wids"],
        json!([breakglass_core::roles::GLOBAL_ADMINISTRATOR
            .template_id
            .to_string()])
    );
    assert!(body["id_token"].is_string() && body["client_info"].is_string());
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    let (status, renewed) = h.token_with(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &refresh),
    ]);
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(
        renewed["refresh_token"], body["refresh_token"],
        "refresh tokens rotate"
    );
    let (status, _) = h.token_with(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &refresh),
    ]);
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a used refresh token is spent"
    );
    // The interactive sign-in shows on v1.0.
    let (_, signins, _) = h.graph(
        body["access_token"].as_str().unwrap(),
        Method::GET,
        "/v1.0/auditLogs/signIns",
        None,
    );
    assert_eq!(
        signins["value"][0]["userPrincipalName"],
        "adele@contoso.example"
    );
    assert!(signins["value"][0].get("signInEventTypes").is_none());
}

#[test]
fn workload_identity_conditional_access_blocks_the_service_principal() {
    let h = harness();
    let token = h.operator_token();
    let sp_id = claims(&token)["oid"].as_str().unwrap().to_string();
    {
        let mut tenant = h.sim.tenant();
        tenant.conditional_access_policies.push(json!({
            "id": "11111111-2222-3333-4444-555555555555", "displayName": "Block workload identities", "state": "enabled",
            "conditions": {"clientApplications": {"includeServicePrincipals": [sp_id], "excludeServicePrincipals": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]}
        }));
    }
    let (status, body) = h.token_with(&[
        ("grant_type", "client_credentials"),
        ("client_id", &h.operator.client_id),
        ("client_secret", &h.operator.client_secret),
        ("scope", "https://127.0.0.1:9/.default"),
    ]);
    assert_eq!(
        (status, body["error_codes"].clone()),
        (StatusCode::BAD_REQUEST, json!([53003]))
    );
}

#[test]
fn answers_carry_the_simulated_clock_and_temporary_users_are_found_by_their_marker() {
    let h = harness();
    let token = h.operator_token();
    let date = |headers: &HeaderMap| -> jiff::Timestamp {
        let text = headers
            .get("date")
            .and_then(|v| v.to_str().ok())
            .expect("a Date header");
        jiff::fmt::rfc2822::parse(text)
            .expect("an HTTP date")
            .timestamp()
    };
    let (status, _, headers) = h.graph(&token, Method::GET, "/v1.0/domains", None);
    assert_eq!(status, StatusCode::OK);
    let before = date(&headers);
    assert!((before.as_second() - jiff::Timestamp::now().as_second()).abs() <= 2);

    let create = json!({"accountEnabled": true, "displayName": "Temporary admin", "mailNickname": "bg-temp-x1",
        "userPrincipalName": "bg-temp-x1@contososim.onmicrosoft.com",
        "employeeType": "breakglass:temporary:2030-01-01T00:00:00Z", "companyName": "breakglass:operator:app:1",
        "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": "Xy7!long-enough-pass"}});
    let (status, user, _) = h.graph(&token, Method::POST, "/v1.0/users", Some(create));
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_str().unwrap().to_string();
    let (status, list, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=startswith(employeeType,'breakglass:temporary:')&$select=id,employeeType,companyName",
        None,
    );
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["value"][0]["companyName"], "breakglass:operator:app:1");

    // A deleted user keeps its marker in deleted items.
    h.graph(&token, Method::DELETE, &format!("/v1.0/users/{id}"), None);
    let (_, deleted, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/directory/deletedItems/microsoft.graph.user?$select=id,employeeType",
        None,
    );
    assert_eq!(
        deleted["value"][0]["employeeType"],
        "breakglass:temporary:2030-01-01T00:00:00Z"
    );

    h.sim.clock.advance(3600);
    let token = h.operator_token();
    let (_, _, headers) = h.graph(&token, Method::GET, "/v1.0/domains", None);
    let after = date(&headers);
    assert!((after.as_second() - before.as_second() - 3600).abs() <= 2);
    // Failures carry it too.
    let (status, _, headers) = h.graph(&token, Method::GET, "/v1.0/users/nobody", None);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!((date(&headers).as_second() - after.as_second()).abs() <= 2);
}

#[test]
fn only_sensitive_properties_of_admins_need_a_higher_admin_role() {
    let h = harness();
    let token = h.operator_token();
    let (_, admins, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users?$filter=userPrincipalName eq 'adele@contoso.example'",
        None,
    );
    let adele = admins["value"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/v1.0/users/{adele}");
    let (status, body, _) = h.graph(
        &token,
        Method::PATCH,
        &path,
        Some(json!({"employeeType": "breakglass:temporary:2030-01-01T00:00:00Z"})),
    );
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for sensitive in [
        json!({"accountEnabled": false}),
        json!({"passwordProfile": {"password": "Xy7!long-enough-pass"}}),
        json!({"employeeType": "x", "mobilePhone": "+1 555 0100"}),
    ] {
        let (status, body, _) = h.graph(&token, Method::PATCH, &path, Some(sensitive));
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
}

const ARM_WORKSPACE: &str = "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-contoso-security";
const ARM_GROUP: &str =
    "/subscriptions/0b5e6c3a-7d2f-4b1e-9c8a-3f4e5d6c7b8a/resourceGroups/rg-security";

impl Harness {
    fn arm_token(&self) -> String {
        let (status, body) = self.token_with(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.operator.client_id),
            ("client_secret", &self.operator.client_secret),
            ("scope", "https://management.azure.com/.default"),
        ]);
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }
}

fn log_alert(enabled: bool) -> Value {
    json!({
        "location": "westeurope",
        "kind": "LogAlert",
        "tags": {"breakglass-detection": "test"},
        "properties": {
            "displayName": "test",
            "severity": 0,
            "enabled": enabled,
            "evaluationFrequency": "PT5M",
            "windowSize": "PT5M",
            "scopes": [ARM_WORKSPACE],
            "criteria": {"allOf": [{
                "query": "SigninLogs",
                "timeAggregation": "Count",
                "operator": "GreaterThan",
                "threshold": 0,
            }]},
        },
    })
}

#[test]
fn arm_rules_are_created_updated_read_listed_and_deleted() {
    let h = harness();
    let token = h.arm_token();
    let api = "?api-version=2023-12-01";
    let rule = format!("{ARM_GROUP}/providers/Microsoft.Insights/scheduledQueryRules/bg-test");

    let (status, body, _) = h.graph(&token, Method::GET, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "ResourceNotFound");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'Microsoft.Insights/scheduledQueryRules/bg-test' under resource group 'rg-security' was not found"),
        "{message}"
    );

    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{rule}{api}"),
        Some(log_alert(true)),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], rule);
    assert_eq!(body["properties"]["enabled"], true);

    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{rule}{api}"),
        Some(log_alert(false)),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body, _) = h.graph(&token, Method::GET, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["properties"]["enabled"], false);
    assert_eq!(
        body["properties"]["criteria"]["allOf"][0]["query"],
        "SigninLogs"
    );

    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        &format!("{ARM_GROUP}/providers/Microsoft.Insights/scheduledQueryRules{api}"),
        None,
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["value"].as_array().unwrap().len(), 1);

    // Missing api-version, missing properties, unknown scope.
    let (status, body, _) = h.graph(&token, Method::GET, &rule, None);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");
    let mut broken = log_alert(true);
    broken["properties"]
        .as_object_mut()
        .unwrap()
        .remove("severity");
    let (status, body, _) = h.graph(&token, Method::PUT, &format!("{rule}{api}"), Some(broken));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "InvalidPayload");
    let mut elsewhere = log_alert(true);
    elsewhere["properties"]["scopes"] = json!([format!(
        "{ARM_GROUP}/providers/Microsoft.OperationalInsights/workspaces/nope"
    )]);
    let (status, _, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{rule}{api}"),
        Some(elsewhere),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, _) = h.graph(&token, Method::DELETE, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = h.graph(&token, Method::DELETE, &format!("{rule}{api}"), None);
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[test]
fn arm_sentinel_rules_live_under_a_known_workspace_and_need_rbac() {
    let h = harness();
    let token = h.arm_token();
    let api = "?api-version=2023-02-01";
    let rule = json!({
        "kind": "NRT",
        "properties": {
            "displayName": "test",
            "enabled": true,
            "query": "SigninLogs",
            "severity": "High",
        },
    });
    let path = format!(
        "{ARM_WORKSPACE}/providers/Microsoft.SecurityInsights/alertRules/5c0f1d8e-0000-4000-8000-000000000001"
    );
    // No stable api-version defines the NRT kind; the previews do.
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{path}{api}"),
        Some(rule.clone()),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("'NRT'"),
        "{body}"
    );
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{path}?api-version=2025-07-01-preview"),
        Some(rule.clone()),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "NRT");
    assert!(body["etag"].is_string());

    let mut scheduled = rule.clone();
    scheduled["kind"] = json!("Scheduled");
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{path}{api}"),
        Some(scheduled),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("queryFrequency")
    );

    let unknown = ARM_WORKSPACE.replace("law-contoso-security", "law-missing");
    let (status, body, _) = h.graph(
        &token,
        Method::PUT,
        &format!("{unknown}/providers/Microsoft.SecurityInsights/alertRules/x{api}"),
        Some(rule.clone()),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.OperationalInsights/workspaces/law-missing")
    );

    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        &format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg{api}"),
        None,
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "SubscriptionNotFound");

    // Without Contributor on the subscription the caller is refused.
    h.sim.tenant().arm.contributors.clear();
    let (status, body, _) = h.graph(&token, Method::GET, &format!("{path}{api}"), None);
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "AuthorizationFailed");

    // Without a token, 401.
    let (status, _, _) = h.graph("", Method::GET, &format!("{path}{api}"), None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[test]
fn audit_reads_eligible_roles_graph_grants_synced_users_and_workload_policies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    tenant["users"].as_array_mut().unwrap().push(json!({
        "displayName": "Synced Admin",
        "userPrincipalName": "synced@contoso.example",
        "password": "Sim-Synced-Passw0rd!",
        "roles": ["Global Administrator"],
        "eligibleRoles": ["Hybrid Identity Administrator"],
        "employeeType": "breakglass:emergency-access",
        "onPremisesSyncEnabled": true
    }));
    tenant["applications"].as_array_mut().unwrap().push(json!({
        "displayName": "CI deployer",
        "applicationPermissions": ["Application.ReadWrite.All"],
        "eligibleRoles": ["Cloud Application Administrator"]
    }));
    tenant["conditionalAccessPolicies"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "displayName": "Block workload identities",
            "state": "enabledForReportingButNotEnforced",
            "includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
            "excludeServicePrincipals": ["breakglass operator automation"],
            "grant": ["block"]
        }));
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, tenant.to_string()).unwrap();
    let options = SimOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: dir.path().join("state"),
        tenant_file: Some(file),
    };
    std::fs::create_dir_all(&options.state_dir).unwrap();
    let pki = pki::load_or_create(&options.state_dir).expect("keys");
    let base = url::Url::parse("https://127.0.0.1:9/").expect("url");
    let (sim, operator, _) = Simulator::open(&options, pki, base).expect("open");
    let h = Harness {
        sim,
        operator,
        _dir: dir,
    };
    let token = h.operator_token();
    let operator_sp = claims(&token)["oid"].as_str().unwrap().to_string();

    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal",
        None,
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["value"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body:#}");
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["principal"]["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Synced Admin", "CI deployer"]);
    // Only properties unifiedRoleEligibilityScheduleInstance declares in the v1.0 CSDL (and
    // its base unifiedRoleScheduleInstanceBase), plus the expanded navigation property.
    let declared = [
        "id",
        "appScopeId",
        "directoryScopeId",
        "principalId",
        "roleDefinitionId",
        "endDateTime",
        "memberType",
        "roleEligibilityScheduleId",
        "startDateTime",
        "principal",
    ];
    for item in items {
        for key in item.as_object().unwrap().keys() {
            assert!(declared.contains(&key.as_str()), "{key} is not in the CSDL");
        }
    }
    assert_eq!(
        items[0]["roleDefinitionId"],
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
    );
    assert_eq!(items[0]["directoryScopeId"], "/");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("roleEligibilityScheduleInstances(principal())")
    );

    let (_, graph, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'",
        None,
    );
    let graph_id = graph["value"][0]["id"].as_str().unwrap().to_string();
    let (status, body, _) = h.graph(
        &token,
        Method::GET,
        &format!("/v1.0/servicePrincipals/{graph_id}/appRoleAssignedTo"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let grants = body["value"].as_array().unwrap();
    assert!(
        grants
            .iter()
            .any(|g| g["principalDisplayName"] == "CI deployer"
                && g["appRoleId"] == "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9")
    );
    assert!(grants.iter().all(|g| g["resourceId"] == graph_id.as_str()));

    let (_, users, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/users/synced@contoso.example?$select=id,employeeType,onPremisesSyncEnabled,onPremisesImmutableId",
        None,
    );
    assert_eq!(users["employeeType"], "breakglass:emergency-access");
    assert_eq!(users["onPremisesSyncEnabled"], true);
    assert!(users["onPremisesImmutableId"].is_string());

    let (_, policies, _) = h.graph(
        &token,
        Method::GET,
        "/v1.0/identity/conditionalAccess/policies",
        None,
    );
    let policy = policies["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["displayName"] == "Block workload identities")
        .unwrap();
    assert_eq!(
        policy["conditions"]["clientApplications"]["excludeServicePrincipals"],
        json!([operator_sp])
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

#[test]
fn names_longer_than_entra_allows_are_refused() {
    let h = harness();
    let token = h.operator_token();
    let long = "n".repeat(257);
    let (status, body, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": long})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, app, _) = h.graph(
        &token,
        Method::POST,
        "/v1.0/applications",
        Some(json!({"displayName": "é".repeat(256)})),
    );
    assert_eq!(status, StatusCode::CREATED, "256 characters fit: {app}");
    let (status, _, _) = h.graph(
        &token,
        Method::PATCH,
        &format!("/v1.0/applications/{}", app["id"].as_str().unwrap()),
        Some(json!({"displayName": long})),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let group = |name: &str, nickname: &str| {
        h.graph(
            &token,
            Method::POST,
            "/v1.0/groups",
            Some(json!({"displayName": name, "mailNickname": nickname, "mailEnabled": false, "securityEnabled": true})),
        )
        .0
    };
    assert_eq!(group(&long, "ok"), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", &"m".repeat(65)), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", "with space"), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", "a@b"), StatusCode::BAD_REQUEST);
    assert_eq!(group("ok", "fine-nickname_1"), StatusCode::CREATED);
}
