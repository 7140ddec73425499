//! AZURE_CLIENT_CERTIFICATE_PATH: the operator signs in with a certificate assertion.

use base64::Engine as _;
use breakglass_entra::graph::models::NewKeyCredential;
use breakglass_entra::{
    ClientCredential, ClientCredentialsFlow, GraphClient, HttpClient, HttpOptions,
};

use crate::common::{Simulator, TestEnv};

/// A fresh RSA key and self-signed certificate: (PEM with key and certificate, DER).
fn rsa_certificate() -> (String, Vec<u8>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("an RSA key");
    let cert = rcgen::CertificateParams::new(vec!["breakglass-cli-test".to_string()])
        .expect("certificate parameters")
        .self_signed(&key)
        .expect("a self-signed certificate");
    (
        format!("{}{}", key.serialize_pem(), cert.pem()),
        cert.der().to_vec(),
    )
}

/// Registers `der` on the operator's own application, using its secret (as an admin would).
fn register_certificate_on_operator(simulator: &Simulator, der: &[u8]) {
    let text = std::fs::read_to_string(simulator.cloud_profile()).expect("read cloud.json");
    let profile = breakglass_core::CloudProfile::from_json(&text, &simulator.cloud_profile())
        .expect("valid cloud.json");
    let operator = simulator.operator_env();
    let tenant: breakglass_core::TenantId = operator["AZURE_TENANT_ID"].parse().expect("tenant id");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let http = HttpClient::new(&profile, HttpOptions::default()).expect("an HTTP client");
        let flow = ClientCredentialsFlow::new(
            &http,
            &profile,
            &tenant,
            &operator["AZURE_CLIENT_ID"],
            ClientCredential::secret(operator["AZURE_CLIENT_SECRET"].clone()),
        );
        let graph = GraphClient::new(http, &profile, flow.into_provider());
        let app = graph
            .application_by_app_id(&operator["AZURE_CLIENT_ID"])
            .await
            .expect("read the operator application")
            .expect("the operator application exists");
        graph
            .set_key_credentials(
                &app.id,
                &[NewKeyCredential {
                    display_name: "CN=breakglass-cli-test".to_string(),
                    kind: "AsymmetricX509Cert".to_string(),
                    usage: "Verify".to_string(),
                    key: base64::engine::general_purpose::STANDARD.encode(der),
                    end_date_time: None,
                }],
            )
            .await
            .expect("register the certificate");
    });
}

#[test]
fn operator_signs_in_with_a_certificate() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    let (pem, der) = rsa_certificate();
    register_certificate_on_operator(&simulator, &der);
    let pem_path = env.write_file("operator.pem", &pem);
    env.remove_env("AZURE_CLIENT_SECRET");
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PATH",
        pem_path.display().to_string(),
    );

    let output = env.run(["whoami", "-o", "json"]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["signIn"], "client certificate");
    assert_eq!(json["appId"], simulator.operator_env()["AZURE_CLIENT_ID"]);

    let output = env.run(["admins", "list", "-o", "json"]);
    output.assert_success();
    assert!(!output.stdout.contains("PRIVATE KEY"));
    assert!(!output.stderr.contains("PRIVATE KEY"));
}

#[test]
fn an_unregistered_certificate_is_refused() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let (pem, _) = rsa_certificate();
    let pem_path = env.write_file("stranger.pem", &pem);
    env.remove_env("AZURE_CLIENT_SECRET");
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PATH",
        pem_path.display().to_string(),
    );
    let output = env.run(["whoami"]);
    output.assert_code(4);
    assert!(output.stderr.contains("AADSTS700027"), "{output}");
}

#[test]
fn an_unusable_certificate_file_is_a_configuration_error() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    let pem_path = env.write_file(
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
    );
    env.remove_env("AZURE_CLIENT_SECRET");
    env.set_env(
        "AZURE_CLIENT_CERTIFICATE_PATH",
        pem_path.display().to_string(),
    );
    let output = env.run(["whoami"]);
    output.assert_code(3);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(output.stderr.contains("broken.pem"), "{output}");
}
