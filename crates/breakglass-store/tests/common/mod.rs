//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use std::sync::OnceLock;

use breakglass_store::secrecy::SecretString;
use breakglass_store::{CertificateCredential, CredentialKind, KeePassOptions, StoredCredential};
use jiff::Timestamp;
use uuid::Uuid;

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const CLIENT: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";

/// Fast KDF settings for tests that do not check the KDF itself.
pub fn fast_kdf() -> KeePassOptions {
    KeePassOptions {
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        argon2_parallelism: 1,
    }
}

pub fn secret_credential(label: &str, key_id: &str) -> StoredCredential {
    StoredCredential {
        label: label.to_string(),
        display_name: Some("breakglass-sp".to_string()),
        tenant_id: TENANT.to_string(),
        client_id: Uuid::parse_str(CLIENT).unwrap(),
        key_id: Uuid::parse_str(key_id).unwrap(),
        kind: CredentialKind::secret(SecretString::from(
            "Xk38Q~aVeryLong.Secret_Value-0123456789abc",
        )),
        start: "2026-01-01T00:00:00Z".parse::<Timestamp>().unwrap(),
        end: "2027-01-01T00:00:00Z".parse::<Timestamp>().unwrap(),
        cloud: "public".to_string(),
        authority_host: "https://login.microsoftonline.com".to_string(),
        note: "Sealed envelope in safe A, office 3.14.".to_string(),
    }
}

/// An RSA-3072 key and self-signed certificate (generated once per test binary).
pub fn certificate() -> CertificateCredential {
    static PEMS: OnceLock<(String, String)> = OnceLock::new();
    let (key, cert) = PEMS.get_or_init(|| {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
                .unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["breakglass-sp".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "breakglass-sp emergency access");
        let cert = params.self_signed(&key).unwrap();
        (key.serialize_pem(), cert.pem())
    });
    CertificateCredential::from_pem(&SecretString::from(key.clone()), Some(cert)).unwrap()
}

pub fn certificate_credential(label: &str, key_id: &str) -> StoredCredential {
    StoredCredential {
        kind: CredentialKind::Certificate(certificate()),
        ..secret_credential(label, key_id)
    }
}

pub const KEY1: &str = "11111111-1111-4111-8111-111111111111";
pub const KEY2: &str = "22222222-2222-4222-8222-222222222222";
pub const KEY3: &str = "33333333-3333-4333-8333-333333333333";

/// Field-by-field equality, secrets included.
pub fn assert_same(a: &StoredCredential, b: &StoredCredential) {
    use breakglass_store::secrecy::ExposeSecret as _;
    assert_eq!(a.label, b.label);
    assert_eq!(a.display_name, b.display_name);
    assert_eq!(a.tenant_id, b.tenant_id);
    assert_eq!(a.client_id, b.client_id);
    assert_eq!(a.key_id, b.key_id);
    assert_eq!(a.start, b.start);
    assert_eq!(a.end, b.end);
    assert_eq!(a.cloud, b.cloud);
    assert_eq!(a.authority_host, b.authority_host);
    assert_eq!(a.note, b.note);
    match (&a.kind, &b.kind) {
        (
            CredentialKind::Secret { value: x, hint: hx },
            CredentialKind::Secret { value: y, hint: hy },
        ) => {
            assert_eq!(x.expose_secret(), y.expose_secret());
            assert_eq!(hx, hy);
        }
        (CredentialKind::Certificate(x), CredentialKind::Certificate(y)) => {
            assert_eq!(
                x.private_key_der().expose_secret(),
                y.private_key_der().expose_secret()
            );
            assert_eq!(x.certificate_der(), y.certificate_der());
            assert_eq!(x.key_format(), y.key_format());
            assert_eq!(x.thumbprint_sha1_hex(), y.thumbprint_sha1_hex());
        }
        _ => panic!("kinds differ"),
    }
}
