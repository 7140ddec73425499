use std::time::Duration;

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use breakglass_core::TenantId;
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::Digest as _;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use x509_cert::der::Decode;

use super::*;
use crate::{
    AccessToken, AssertionAlgorithm, CertificateCredential, ClientCredential,
    ClientCredentialsFlow, DeviceCodeFlow, EntraError, HttpClient, HttpOptions,
};

fn tenant() -> TenantId {
    TENANT.parse().unwrap()
}

fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

fn token_body() -> serde_json::Value {
    json!({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,
           "access_token": jwt(json!({"tid":"t","appid":"app","idtyp":"app","roles":["Application.ReadWrite.All"]}))})
}

fn rsa_pem() -> (String, Vec<u8>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["breakglass-test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (
        format!("{}\n{}", key.serialize_pem(), cert.pem()),
        cert.der().to_vec(),
    )
}

fn decode_part(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn secret_token_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_secret=s3cr3t%2Bvalue"))
        .and(body_string_contains("client_id=app-id"))
        .and(body_string_contains("scope=http%3A%2F%2F127.0.0.1%3A"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body()))
        .expect(1)
        .mount(&server)
        .await;
    let flow = ClientCredentialsFlow::new(
        &http(&server),
        &profile(&server),
        &tenant(),
        "app-id",
        ClientCredential::secret("s3cr3t+value"),
    );
    assert!(!format!("{flow:?}").contains("s3cr3t"));
    let token = flow.acquire().await.unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert!(!token.expires_within(Duration::from_secs(3000)));
    assert!(!format!("{token:?}").contains(token.secret().expose_secret()));
    let claims = token.claims().unwrap();
    assert_eq!(claims.tid.as_deref(), Some("t"));
    assert!(claims.is_app_only());
    assert_eq!(claims.roles, vec!["Application.ReadWrite.All"]);
}

fn check_assertion(
    credential: &CertificateCredential,
    cert_der: &[u8],
    algorithm: AssertionAlgorithm,
    assertion: &str,
    audience: &str,
) {
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_part(parts[0]);
    let claims = decode_part(parts[1]);
    let sha1 = URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(cert_der));
    let sha256 = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(cert_der));
    match algorithm {
        AssertionAlgorithm::Ps256 => {
            assert_eq!(header["alg"], "PS256");
            assert_eq!(header["x5t#S256"], sha256.as_str());
            assert!(header.get("x5t").is_none());
        }
        AssertionAlgorithm::Rs256 => {
            assert_eq!(header["alg"], "RS256");
            assert_eq!(header["x5t"], sha1.as_str());
            assert!(header.get("x5t#S256").is_none());
        }
    }
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["iss"], "app-id");
    assert_eq!(claims["sub"], "app-id");
    assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["nbf"].as_i64().unwrap(), iat);
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 600);
    assert!((iat - jiff::Timestamp::now().as_second()).abs() < 60);

    // The signature verifies with the certificate's public key.
    let certificate = x509_cert::Certificate::from_der(cert_der).unwrap();
    let public_key = certificate
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    let verify_alg: &'static dyn signature::VerificationAlgorithm = match algorithm {
        AssertionAlgorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        AssertionAlgorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    UnparsedPublicKey::new(verify_alg, &public_key)
        .verify(signed.as_bytes(), &sig)
        .expect("signature verifies with the certificate's key");
    // And not with the other algorithm.
    let other: &'static dyn signature::VerificationAlgorithm = match algorithm {
        AssertionAlgorithm::Ps256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        AssertionAlgorithm::Rs256 => &signature::RSA_PSS_2048_8192_SHA256,
    };
    assert!(
        UnparsedPublicKey::new(other, &public_key)
            .verify(signed.as_bytes(), &sig)
            .is_err()
    );
    assert_eq!(credential.certificate_der(), cert_der);
}

#[test]
fn assertion_shapes_and_signatures() {
    let (pem, cert_der) = rsa_pem();
    let credential = CertificateCredential::from_pem(&pem, "test.pem").unwrap();
    let debug = format!("{credential:?}");
    assert!(debug.contains("[redacted]") && !debug.contains("PRIVATE"));
    let audience = "https://login.example/t/oauth2/v2.0/token";
    for algorithm in [AssertionAlgorithm::Ps256, AssertionAlgorithm::Rs256] {
        let assertion = credential
            .client_assertion("app-id", audience, algorithm, jiff::Timestamp::now())
            .unwrap();
        check_assertion(
            &credential,
            &cert_der,
            algorithm,
            assertion.expose_secret(),
            audience,
        );
    }
    assert_eq!(AssertionAlgorithm::default(), AssertionAlgorithm::Ps256);
}

#[test]
fn certificate_pem_errors() {
    let (pem, _) = rsa_pem();
    let (other_pem, _) = rsa_pem();
    let cert_only: String = pem
        .split_inclusive('\n')
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .collect();
    assert!(matches!(
        CertificateCredential::from_pem(&cert_only, "c.pem"),
        Err(crate::CredentialError::NoPrivateKey { .. })
    ));
    let key_only: String = pem
        .split_inclusive('\n')
        .take_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .collect();
    let err = CertificateCredential::from_pem(&key_only, "k.pem").unwrap_err();
    assert!(err.to_string().contains("k.pem"), "{err}");
    // The key of one pair with the certificate of another.
    let other_cert: String = other_pem
        .split_inclusive('\n')
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .collect();
    let mixed = format!("{key_only}{other_cert}");
    let err: EntraError = CertificateCredential::from_pem(&mixed, "mixed.pem")
        .unwrap_err()
        .into();
    assert!(err.to_string().contains("does not belong"), "{err}");
    assert!(err.hint().is_some());
}

#[tokio::test]
async fn certificate_token_request_carries_assertion() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains(
            "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
        ))
        .and(body_string_contains("client_assertion=ey"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body()))
        .expect(1)
        .mount(&server)
        .await;
    let (pem, cert_der) = rsa_pem();
    let dir = std::env::temp_dir().join(format!("bg-entra-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cert.pem");
    std::fs::write(&file, &pem).unwrap();
    let credential = CertificateCredential::from_pem_file(&file).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let flow = ClientCredentialsFlow::new(
        &http(&server),
        &profile(&server),
        &tenant(),
        "app-id",
        ClientCredential::Certificate {
            certificate: std::sync::Arc::new(credential),
            algorithm: AssertionAlgorithm::Rs256,
        },
    );
    flow.acquire().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    let credential = CertificateCredential::from_pem(&pem, "again").unwrap();
    check_assertion(
        &credential,
        &cert_der,
        AssertionAlgorithm::Rs256,
        &form["client_assertion"],
        flow.token_endpoint().as_str(),
    );
}

#[tokio::test]
async fn aadsts_errors_are_explained_without_leaking_the_secret() {
    let server = MockServer::start().await;
    let secret = "Wr0ng~SecretValue123";
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'app-id'. Echo {secret}\r\nTrace ID: 11111111-1111-1111-1111-111111111111\r\nCorrelation ID: 22222222-2222-2222-2222-222222222222\r\nTimestamp: 2023-05-06 06:03:00Z"),
            "error_codes": [7000215],
            "timestamp": "2023-05-06 06:03:00Z",
            "trace_id": "11111111-1111-1111-1111-111111111111",
            "correlation_id": "22222222-2222-2222-2222-222222222222",
            "error_uri": "https://login.microsoftonline.com/error?code=7000215"
        })))
        .mount(&server)
        .await;
    let flow = ClientCredentialsFlow::new(
        &http(&server),
        &profile(&server),
        &tenant(),
        "app-id",
        ClientCredential::secret(secret),
    );
    let err = flow.acquire().await.unwrap_err();
    let token_error = err.token().expect("a token endpoint error");
    assert_eq!(token_error.code(), Some(7000215));
    assert_eq!(token_error.status, 401);
    assert_eq!(token_error.error, "invalid_client");
    assert_eq!(
        token_error.trace_id.as_deref(),
        Some("11111111-1111-1111-1111-111111111111")
    );
    let shown = format!("{err} {err:?} {}", err.hint().unwrap());
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("AADSTS7000215"));
    assert!(shown.contains("22222222-2222-2222-2222-222222222222"));
    assert!(
        !shown.contains("Trace ID: "),
        "only the first line of the description"
    );
    assert!(err.hint().unwrap().contains("not its Secret ID"));
}

#[tokio::test]
async fn other_aadsts_codes_have_hints() {
    for (code, error, status, needle) in [
        (7000222, "invalid_client", 401, "expired"),
        (700016, "unauthorized_client", 400, "AZURE_CLIENT_ID"),
        (90002, "invalid_request", 400, "AZURE_TENANT_ID"),
        (700027, "invalid_client", 401, "x5t"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "error": error,
                "error_description": format!("AADSTS{code}: something.\r\nTrace ID: x"),
                "error_codes": [code],
            })))
            .mount(&server)
            .await;
        let flow = ClientCredentialsFlow::new(
            &http(&server),
            &profile(&server),
            &tenant(),
            "app-id",
            ClientCredential::secret("whatever-secret"),
        );
        let err = flow.acquire().await.unwrap_err();
        let hint = err.hint().unwrap();
        assert!(hint.contains(needle), "{code}: {hint}");
    }
}

#[tokio::test]
async fn html_answer_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<html><body>Sign in to the captive portal</body></html>",
            "text/html; charset=utf-8",
        ))
        .mount(&server)
        .await;
    let flow = ClientCredentialsFlow::new(
        &http(&server),
        &profile(&server),
        &tenant(),
        "app-id",
        ClientCredential::secret("secret-value"),
    );
    let err = flow.acquire().await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("expected JSON"), "{message}");
    assert!(message.contains("text/html"), "{message}");
    assert!(message.contains("/oauth2/v2.0/token"), "{message}");
    assert!(err.hint().unwrap().contains("authority host"));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let profile = profile_for(&format!("http://127.0.0.1:{port}"));
    let http = HttpClient::new(&profile, options(Duration::from_secs(2))).unwrap();
    let flow = ClientCredentialsFlow::new(
        &http,
        &profile,
        &tenant(),
        "app-id",
        ClientCredential::secret("secret-value"),
    );
    let err = flow.acquire().await.unwrap_err();
    let EntraError::Unreachable { url, .. } = err.root() else {
        panic!("expected a transport error, got {err:?}");
    };
    assert!(url.contains(&format!("127.0.0.1:{port}")));
    assert!(err.to_string().contains("cannot reach"));
    assert!(err.hint().unwrap().contains("--cloud"));
}

#[test]
fn plain_http_needs_the_test_option_and_ca_errors_name_the_file() {
    let http_profile = profile_for("http://127.0.0.1:1");
    let err = HttpClient::new(&http_profile, HttpOptions::default()).unwrap_err();
    assert!(err.to_string().contains("not an https URL"), "{err}");

    let mut https = profile_for("https://127.0.0.1:1");
    https.ca_certificate = Some("/nonexistent/ca.pem".into());
    let err = HttpClient::new(&https, HttpOptions::default()).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

#[tokio::test]
async fn untrusted_certificate_names_the_ca_file() {
    // A TLS server whose certificate is not issued by the profile's CA.
    let server_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let server_cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&server_key)
        .unwrap();
    let other_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_ca = ca_params.self_signed(&other_key).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![server_cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
    )
    .unwrap();
    let config = std::sync::Arc::new(config);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let config = config.clone();
            tokio::spawn(async move {
                // Drive the handshake far enough to send our certificate.
                let mut conn = rustls::ServerConnection::new(config).unwrap();
                let mut buf = vec![0u8; 16384];
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                for _ in 0..4 {
                    let Ok(n) = stream.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    let mut slice = &buf[..n];
                    if conn.read_tls(&mut slice).is_err() || conn.process_new_packets().is_err() {
                        return;
                    }
                    let mut out = Vec::new();
                    while conn.wants_write() {
                        if conn.write_tls(&mut out).is_err() {
                            return;
                        }
                    }
                    if stream.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });

    let dir = std::env::temp_dir().join(format!("bg-entra-ca-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, other_ca.pem()).unwrap();
    let mut profile = profile_for(&format!("https://127.0.0.1:{port}"));
    profile.ca_certificate = Some(ca_file.clone());
    let http = HttpClient::new(&profile, HttpOptions::default()).unwrap();
    let flow = ClientCredentialsFlow::new(
        &http,
        &profile,
        &tenant(),
        "app-id",
        ClientCredential::secret("secret-value"),
    );
    let err = flow.acquire().await.unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    let EntraError::UntrustedCertificate { ca_file: named, .. } = err.root() else {
        panic!("expected an untrusted certificate error, got {err:?}");
    };
    assert_eq!(named.as_deref(), Some(ca_file.as_path()));
    assert!(err.hint().unwrap().contains(&ca_file.display().to_string()));
}

#[tokio::test]
async fn device_code_flow_pending_then_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/devicecode")))
        .and(body_string_contains("client_id=public-app"))
        .and(body_string_contains("scope="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "device_code": "device-code-secret",
            "user_code": "ABCD-EFGH",
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 5,
            "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate."
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code",
        ))
        .and(body_string_contains("device_code=device-code-secret"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "authorization_pending",
            "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.",
            "error_codes": [70016]
        })))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": 3599,
            "access_token": jwt(json!({"tid":"t","upn":"ops@contoso.com","scp":"User.Read Directory.Read.All","idtyp":"user"}))
        })))
        .expect(1)
        .mount(&server)
        .await;
    let flow = DeviceCodeFlow::new(
        &http(&server),
        &profile(&server),
        &tenant(),
        "public-app",
        "https://graph.microsoft.com/.default",
    );
    let mut prompt = flow.start().await.unwrap();
    assert_eq!(prompt.user_code, "ABCD-EFGH");
    assert!(prompt.message.contains("ABCD-EFGH"));
    assert_eq!(prompt.interval, Duration::from_secs(5));
    assert!(!format!("{prompt:?}").contains("device-code-secret"));
    prompt.interval = Duration::from_millis(10);
    let token = flow.poll(&prompt).await.unwrap();
    let claims = token.claims().unwrap();
    assert_eq!(claims.user(), Some("ops@contoso.com"));
    assert!(!claims.is_app_only());
    assert_eq!(claims.scopes(), vec!["User.Read", "Directory.Read.All"]);
}

#[tokio::test]
async fn device_code_declined_and_expired() {
    for (error, code, needle) in [
        ("authorization_declined", 70000, "declined"),
        ("expired_token", 70020, "expired"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/{TENANT}/oauth2/v2.0/devicecode")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "device_code": "dc", "user_code": "U", "verification_uri": "https://x/devicelogin",
                "expires_in": 900, "interval": 0
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(token_path()))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error": error,
                "error_description": format!("AADSTS{code}: nope."),
                "error_codes": [code]
            })))
            .mount(&server)
            .await;
        let flow = DeviceCodeFlow::new(
            &http(&server),
            &profile(&server),
            &tenant(),
            "public-app",
            "scope",
        );
        let prompt = flow.start().await.unwrap();
        let err = flow.poll(&prompt).await.unwrap_err();
        assert_eq!(err.token().unwrap().error, error);
        assert!(err.hint().unwrap().contains(needle), "{:?}", err.hint());
    }
}

#[test]
fn handed_in_token_and_claims() {
    let exp = jiff::Timestamp::now().as_second() + 3600;
    let raw = jwt(json!({
        "aud": "https://graph.microsoft.com", "tid": "tenant-guid", "oid": "sp-object",
        "appid": "client-id", "idtyp": "app", "roles": ["AuditLog.Read.All"],
        "wids": ["62e90394-69f5-4237-9190-012177145e10"], "exp": exp
    }));
    let token = AccessToken::from_handed_in(&format!("  Bearer {raw}\n")).unwrap();
    assert_eq!(token.secret().expose_secret(), raw);
    assert_eq!(token.expires_on.as_second(), exp);
    assert!(!format!("{token:?}").contains(&raw));
    let claims = token.claims().unwrap();
    assert_eq!(claims.tid.as_deref(), Some("tenant-guid"));
    assert_eq!(claims.oid.as_deref(), Some("sp-object"));
    assert_eq!(claims.client_id(), Some("client-id"));
    assert_eq!(claims.wids.len(), 1);
    assert!(claims.is_app_only());

    let err = AccessToken::from_handed_in("not-a-token").unwrap_err();
    assert!(matches!(err, EntraError::InvalidToken(_)));
    assert!(!err.to_string().contains("not-a-token"));
    assert!(AccessToken::from_handed_in("").is_err());
}

#[tokio::test]
async fn expired_handed_in_token_is_refused_before_sending() {
    let raw = jwt(json!({"exp": jiff::Timestamp::now().as_second() - 10}));
    let token = AccessToken::from_handed_in(&raw).unwrap();
    use crate::TokenProvider;
    assert!(matches!(
        token.token().await,
        Err(EntraError::TokenExpired { .. })
    ));
}

#[cfg(unix)]
#[tokio::test]
async fn az_cli_token_and_errors() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("bg-entra-az-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ok = dir.join("az-ok");
    std::fs::write(
        &ok,
        "#!/bin/sh\necho '{\"accessToken\":\"eyJ.fake.token\",\"expiresOn\":\"2030-01-01 12:00:00.000000\",\"expires_on\":1893499200,\"subscription\":\"s\",\"tenant\":\"t\",\"tokenType\":\"Bearer\"}'\n",
    )
    .unwrap();
    let not_logged_in = dir.join("az-nologin");
    std::fs::write(
        &not_logged_in,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    )
    .unwrap();
    for file in [&ok, &not_logged_in] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let token = crate::azcli::AzCli::with_program(&ok)
        .access_token("https://graph.microsoft.com", None)
        .await
        .unwrap();
    assert_eq!(token.secret().expose_secret(), "eyJ.fake.token");
    assert_eq!(token.expires_on.as_second(), 1893499200);

    let err = crate::azcli::AzCli::with_program(&not_logged_in)
        .access_token(
            "https://graph.microsoft.com",
            Some("contoso.onmicrosoft.com"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("az login"), "{err}");
    assert!(
        err.hint()
            .unwrap()
            .contains("az login --tenant contoso.onmicrosoft.com")
    );

    let err = crate::azcli::AzCli::with_program(dir.join("no-such-az"))
        .access_token("https://graph.microsoft.com", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not installed"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Extracts the PKCS#1 `RSAPrivateKey` from a PKCS#8 `PrivateKeyInfo`.
fn pkcs8_to_pkcs1(pkcs8: &[u8]) -> Vec<u8> {
    use x509_cert::der::{Reader, SliceReader, asn1::OctetString};
    let mut reader = SliceReader::new(pkcs8).unwrap();
    reader
        .sequence(|r| {
            let _version: u8 = r.decode()?;
            let _algorithm: x509_cert::spki::AlgorithmIdentifierOwned = r.decode()?;
            let key: OctetString = r.decode()?;
            Ok(key.as_bytes().to_vec())
        })
        .unwrap()
}

#[test]
fn pkcs1_rsa_private_key_pem_loads() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["pkcs1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pkcs1 = pkcs8_to_pkcs1(&key.serialize_der());
    let body = base64::engine::general_purpose::STANDARD.encode(&pkcs1);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "Bag Attributes: ignored\n{}-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        cert.pem(),
        lines.join("\n")
    );
    let credential = CertificateCredential::from_pem(&pem, "pkcs1.pem").unwrap();
    let assertion = credential
        .client_assertion(
            "app-id",
            "aud",
            AssertionAlgorithm::Ps256,
            jiff::Timestamp::now(),
        )
        .unwrap();
    check_assertion(
        &credential,
        cert.der(),
        AssertionAlgorithm::Ps256,
        assertion.expose_secret(),
        "aud",
    );
    assert_eq!(credential.thumbprint_sha1_hex().len(), 40);
}

#[tokio::test]
async fn cached_provider_renews_after_graph_401() {
    use wiremock::matchers::header;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body()))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "t"}]})))
        .mount(&server)
        .await;
    let http = http(&server);
    let provider = ClientCredentialsFlow::new(
        &http,
        &profile(&server),
        &tenant(),
        "app-id",
        ClientCredential::secret("secret-value"),
    )
    .into_provider();
    let graph = crate::GraphClient::new(http, &profile(&server), provider);
    let orgs = graph.organization().await.unwrap();
    assert_eq!(orgs[0].id, "t");
}

#[tokio::test]
async fn graph_401_hint_says_token_expired() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}})))
        .mount(&server)
        .await;
    let err = graph(&server).organization().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.hint().unwrap().contains("expired"));
    assert!(!format!("{err} {err:?}").contains("graph-token-value"));
}

#[test]
fn a_device_code_answer_cannot_make_the_poll_wait_past_the_code() {
    let url = "https://login.example/devicecode";
    let body = json!({
        "device_code": "d", "user_code": "u", "verification_uri": "https://v.example",
        "expires_in": 600, "interval": u64::MAX,
    });
    let prompt =
        crate::DeviceCodePrompt::from_response(url, 200, body.to_string().as_bytes()).unwrap();
    assert_eq!(prompt.interval, Duration::from_secs(600));
    let body = json!({
        "device_code": "d", "user_code": "u", "verification_uri": "https://v.example",
        "expires_in": u64::MAX,
    });
    let prompt =
        crate::DeviceCodePrompt::from_response(url, 200, body.to_string().as_bytes()).unwrap();
    assert_eq!(prompt.interval, Duration::from_secs(5));
    assert!(
        prompt.expires_at > jiff::Timestamp::now(),
        "a huge lifetime is not in the past"
    );
}
