mod common;

use breakglass_store::qr::QrPartError;
use breakglass_store::secrecy::ExposeSecret as _;
use breakglass_store::{CredentialKind, CredentialPayload, PAYLOAD_PREFIX, PayloadError};
use common::*;

#[test]
fn secret_payload_round_trips_exactly() {
    let cred = secret_credential("offline", KEY1);
    let payload = cred.to_payload().unwrap();
    let text = payload.text().expose_secret().to_string();
    assert!(text.starts_with(PAYLOAD_PREFIX));
    let rest = &text[PAYLOAD_PREFIX.len()..];
    assert!(
        rest.chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c) || c == ':'),
        "{text}"
    );
    let parsed = CredentialPayload::parse(&text).unwrap();
    assert_same(&cred, parsed.credential());
    assert_eq!(parsed.text().expose_secret(), text);
    assert_eq!(parsed.check(), payload.check());
    assert_eq!(
        payload.qr_texts().len(),
        1,
        "a secret fits one QR code ({} chars)",
        text.len()
    );
    // Re-encoding the parsed credential gives the same text.
    assert_eq!(
        parsed
            .credential()
            .to_payload()
            .unwrap()
            .text()
            .expose_secret(),
        text
    );
}

#[test]
fn certificate_payload_round_trips_exactly() {
    let cred = certificate_credential("rotating", KEY2);
    let payload = cred.to_payload().unwrap();
    let text = payload.text().expose_secret().to_string();
    let parsed = CredentialPayload::parse(&text).unwrap();
    assert_same(&cred, parsed.credential());
    let parts = payload.qr_texts();
    assert!(
        parts.len() >= 2,
        "RSA-3072 key + certificate need several codes ({} chars)",
        text.len()
    );
    let mut scanned: Vec<String> = parts
        .iter()
        .map(|p| p.expose_secret().to_string())
        .collect();
    scanned.reverse();
    let joined = CredentialPayload::from_scanned(&scanned.join("\n")).unwrap();
    assert_eq!(joined.text().expose_secret(), text);
    // PEM comes back in the usual shape.
    let CredentialKind::Certificate(cert) = &parsed.credential().kind else {
        panic!()
    };
    assert!(
        cert.combined_pem()
            .expose_secret()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    assert!(
        cert.certificate_pem()
            .contains("-----BEGIN CERTIFICATE-----")
    );
    assert_eq!(cert.thumbprint_sha1_hex().len(), 40);
    // A missing part is named.
    let err = CredentialPayload::from_scanned(&scanned[1..].join("\n")).unwrap_err();
    assert!(
        matches!(err, PayloadError::Parts(QrPartError::Missing { .. })),
        "{err}"
    );
}

#[test]
fn a_stray_code_read_from_the_sheet_is_ignored() {
    // zbarimg reads every symbology; a run of print can come back as a linear barcode.
    let stray = "0171092210264363";
    let secret = secret_credential("offline", KEY1).to_payload().unwrap();
    let text = secret.text().expose_secret();
    let scanned = format!("{stray}\n{text}\n");
    let parsed = CredentialPayload::from_scanned(&scanned).unwrap();
    assert_eq!(parsed.text().expose_secret(), text);

    let certificate = certificate_credential("rotating", KEY2)
        .to_payload()
        .unwrap();
    let mut lines: Vec<String> = certificate
        .qr_texts()
        .iter()
        .map(|p| p.expose_secret().to_string())
        .collect();
    lines.insert(1, stray.to_string());
    let parsed = CredentialPayload::from_scanned(&lines.join("\n")).unwrap();
    assert_eq!(
        parsed.text().expose_secret(),
        certificate.text().expose_secret()
    );
}

#[test]
fn typed_payload_tolerates_case_and_line_breaks() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let text = payload.text().expose_secret();
    let typed: String = text
        .to_lowercase()
        .as_bytes()
        .chunks(40)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n  ");
    let parsed = CredentialPayload::parse(&typed).unwrap();
    assert_eq!(parsed.text().expose_secret(), text);
}

#[test]
fn every_single_character_typo_is_detected() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let text = payload.text().expose_secret().to_string();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut tried = 0;
    for (i, original) in text.char_indices().skip(PAYLOAD_PREFIX.len()) {
        if original == ':' {
            continue;
        }
        // A few substitutions per position, plus a dropped character and a swap.
        for replacement in alphabet.chars().filter(|&c| c != original).step_by(7) {
            let mut typo = text.clone();
            typo.replace_range(i..i + 1, &replacement.to_string());
            assert!(
                CredentialPayload::parse(&typo).is_err(),
                "typo at {i} not detected"
            );
            tried += 1;
        }
        let mut dropped = text.clone();
        dropped.remove(i);
        assert!(CredentialPayload::parse(&dropped).is_err());
    }
    assert!(tried > 1000);
    let mut swapped = text.clone().into_bytes();
    let at = PAYLOAD_PREFIX.len() + 10;
    swapped.swap(at, at + 1);
    if swapped != text.as_bytes() {
        assert_eq!(
            CredentialPayload::parse(std::str::from_utf8(&swapped).unwrap()).unwrap_err(),
            PayloadError::Checksum
        );
    }
}

#[test]
fn wrong_inputs_are_named() {
    assert_eq!(
        CredentialPayload::parse("hello").unwrap_err(),
        PayloadError::NotAPayload
    );
    assert_eq!(
        CredentialPayload::parse("BREAKGLASS:V9:AAAA:BBBB").unwrap_err(),
        PayloadError::UnsupportedVersion
    );
    assert_eq!(
        CredentialPayload::parse("BGSHARE:V1:K2:N3:I1:X:Y:Z").unwrap_err(),
        PayloadError::IsShare
    );
    let text = secret_credential("offline", KEY1)
        .to_payload()
        .unwrap()
        .text()
        .expose_secret()
        .to_string();
    let mut typo = text.clone();
    typo.replace_range(PAYLOAD_PREFIX.len() + 3..PAYLOAD_PREFIX.len() + 4, "0");
    let err = CredentialPayload::parse(&typo).unwrap_err();
    assert!(
        matches!(err, PayloadError::BadCharacter { found: '0', .. }),
        "{err}"
    );
    assert!(err.hint().contains("letter O"));
    let cut = &text[..text.len() - 9];
    assert!(CredentialPayload::parse(cut).is_err());
}

#[test]
fn debug_output_never_shows_secrets() {
    let cred = secret_credential("offline", KEY1);
    let payload = cred.to_payload().unwrap();
    let debug = format!("{cred:?} {payload:?}");
    assert!(!debug.contains("Xk38Q~"), "{debug}");
    assert!(!debug.contains(payload.text().expose_secret()));
    let cert = certificate_credential("rotating", KEY2);
    let debug = format!("{cert:?}");
    assert!(debug.contains("REDACTED"));
    assert!(!debug.contains("MII"));
}

#[test]
fn invalid_credentials_are_refused() {
    let mut cred = secret_credential("bad label", KEY1);
    assert!(cred.to_payload().is_err());
    cred.label = "offline".into();
    cred.tenant_id = "common".into();
    let err = cred.to_payload().unwrap_err();
    assert!(err.to_string().contains("tenant"), "{err}");
    cred.tenant_id = TENANT.into();
    cred.end = cred.start;
    assert!(cred.to_payload().is_err());
}

#[test]
fn the_json_inside_a_payload_is_read_on_its_own() {
    let json = br#"{"l":"offline","t":"72f988bf-86f1-41af-91ab-2d7cd011db47","c":"6731de76-14a6-49ae-97bc-6eba6914391e","k":"11111111-1111-4111-8111-111111111111","s":"2026-01-01T00:00:00Z","e":"2027-01-01T00:00:00Z","cl":"public","a":"https://login.microsoftonline.com","sec":"a-secret","h":"a-s"}   "#;
    let credential = CredentialPayload::credential_from_json(json).unwrap();
    assert_eq!(credential.label, "offline");
    assert!(matches!(credential.kind, CredentialKind::Secret { .. }));
    let reread =
        CredentialPayload::parse(credential.to_payload().unwrap().text().expose_secret()).unwrap();
    assert_same(&credential, reread.credential());
    for broken in [
        &br#"{"l":"offline"}"#[..],
        b"",
        b"[1]",
        br#"{"l":"offline","t":"72f988bf-86f1-41af-91ab-2d7cd011db47","c":"6731de76-14a6-49ae-97bc-6eba6914391e","k":"11111111-1111-4111-8111-111111111111","s":"2026-01-01T00:00:00Z","e":"2027-01-01T00:00:00Z","cl":"public","a":"https://login.microsoftonline.com","key":"AA","kf":"pkcs8"}"#,
    ] {
        assert!(CredentialPayload::credential_from_json(broken).is_err());
    }
}

/// Found by the `store_payload` fuzz target: a part header claiming 5.7·10¹⁸ parts made the
/// list of missing parts grow until memory ran out. A text is never cut into more parts than
/// the two-digit header allows.
#[test]
fn a_part_count_beyond_the_format_is_refused_at_once() {
    let huge = "BGPART:1/5677777777777777777:73O877R:GOY";
    assert_eq!(
        breakglass_store::qr::join_parts([huge]).unwrap_err(),
        QrPartError::Malformed
    );
    assert!(CredentialPayload::from_scanned(huge).is_err());
    assert!(breakglass_store::ShamirShare::from_scanned(huge).is_err());
    assert_eq!(
        breakglass_store::qr::join_parts(["BGPART:1/100:ABCDEFGH:X"]).unwrap_err(),
        QrPartError::Malformed
    );
    let Err(QrPartError::Missing { missing, total }) =
        breakglass_store::qr::join_parts(["BGPART:1/99:ABCDEFGH:X"])
    else {
        panic!("99 parts are allowed");
    };
    assert_eq!((missing.len(), total), (98, 99));
}
