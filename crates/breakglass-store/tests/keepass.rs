mod common;

use std::path::Path;

use breakglass_store::secrecy::{ExposeSecret as _, SecretString};
use breakglass_store::{CredentialKind, KeePassError, KeePassOptions, KeePassStore, UpsertOutcome};
use common::*;
use keepass::db::fields;
use keepass::{Database, DatabaseKey};
use uuid::Uuid;

fn pw() -> SecretString {
    SecretString::from("correct horse battery staple")
}

fn raw_open(path: &Path) -> Database {
    let bytes = std::fs::read(path).unwrap();
    Database::parse(
        &bytes,
        DatabaseKey::new().with_password("correct horse battery staple"),
    )
    .unwrap()
}

#[test]
fn write_then_reopen_with_the_rust_crate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    let mut store = KeePassStore::open_or_create(&path, &pw(), fast_kdf()).unwrap();
    assert_eq!(
        store.upsert(&secret_credential("offline", KEY1)).unwrap(),
        UpsertOutcome::Added
    );
    assert_eq!(
        store
            .upsert(&certificate_credential("rotating", KEY2))
            .unwrap(),
        UpsertOutcome::Added
    );
    store.save().unwrap();

    // Through our API.
    let store = KeePassStore::open(&path, &pw()).unwrap();
    let list = store.list();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].title, "breakglass-sp / offline");
    assert_eq!(list[1].kind, "certificate");
    assert_same(
        &store.get(Uuid::parse_str(KEY1).unwrap()).unwrap().unwrap(),
        &secret_credential("offline", KEY1),
    );
    assert_same(
        &store.get(Uuid::parse_str(KEY2).unwrap()).unwrap().unwrap(),
        &certificate_credential("rotating", KEY2),
    );
    assert!(store.get(Uuid::parse_str(KEY3).unwrap()).unwrap().is_none());

    // Straight through the keepass crate: the layout other tools see.
    let db = raw_open(&path);
    let root = db.root();
    let group = root.group_by_name("breakglass").expect("group breakglass");
    let entry = group.entry_by_name("breakglass-sp / offline").unwrap();
    assert_eq!(entry.get(fields::USERNAME), Some(CLIENT));
    assert_eq!(
        entry.get(fields::PASSWORD),
        Some("Xk38Q~aVeryLong.Secret_Value-0123456789abc")
    );
    assert_eq!(entry.get("TenantId"), Some(TENANT));
    assert_eq!(entry.get("ClientId"), Some(CLIENT));
    assert_eq!(entry.get("KeyId"), Some(KEY1));
    assert_eq!(entry.get("Expires"), Some("2027-01-01T00:00:00Z"));
    assert_eq!(entry.get("CredentialKind"), Some("secret"));
    assert!(entry.fields["Password"].is_protected());
    assert!(entry.fields["BreakglassPayload"].is_protected());
    assert!(
        entry
            .get(fields::NOTES)
            .unwrap()
            .contains("Global Administrator")
    );
    let cert_entry = group.entry_by_name("breakglass-sp / rotating").unwrap();
    let CredentialKind::Certificate(cert) = certificate_credential("rotating", KEY2).kind else {
        panic!()
    };
    assert_eq!(
        cert_entry.get("Thumbprint"),
        Some(cert.thumbprint_sha1_hex())
    );
    let attachment = cert_entry
        .attachment_by_name("rotating.pem")
        .expect("PEM attachment");
    assert_eq!(
        attachment.data.get().as_slice(),
        cert.combined_pem().expose_secret().as_bytes()
    );
    assert!(attachment.data.is_protected());
}

#[test]
fn new_database_uses_argon2id_64mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    let mut store = KeePassStore::create(&path, &pw(), KeePassOptions::default()).unwrap();
    store.upsert(&secret_credential("offline", KEY1)).unwrap();
    store.save().unwrap();
    let db = raw_open(&path);
    match db.config.kdf_config {
        keepass::config::KdfConfig::Argon2id {
            iterations,
            memory,
            parallelism,
            ..
        } => {
            assert_eq!((iterations, memory, parallelism), (3, 64 * 1024 * 1024, 2));
        }
        other => panic!("KDF is {other:?}"),
    }
    assert!(matches!(
        db.config.outer_cipher_config,
        keepass::config::OuterCipherConfig::AES256
    ));
}

#[test]
fn wrong_password_is_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    let mut store = KeePassStore::create(&path, &pw(), fast_kdf()).unwrap();
    store.save().unwrap();
    let err = KeePassStore::open(&path, &SecretString::from("nope")).unwrap_err();
    assert!(matches!(err, KeePassError::WrongPassword { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("the KeePass password is wrong"),
        "{err}"
    );
    assert!(err.hint().contains("BREAKGLASS_KEEPASS_PASSWORD"));
}

#[test]
fn missing_file_is_not_found_and_create_refuses_existing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.kdbx");
    let err = KeePassStore::open(&path, &pw()).unwrap_err();
    assert!(matches!(err, KeePassError::NotFound { .. }), "{err:?}");
    std::fs::write(&path, b"x").unwrap();
    assert!(matches!(
        KeePassStore::create(&path, &pw(), fast_kdf()).unwrap_err(),
        KeePassError::AlreadyExists { .. }
    ));
    assert!(matches!(
        KeePassStore::create(&dir.path().join("y"), &SecretString::from(""), fast_kdf())
            .unwrap_err(),
        KeePassError::EmptyPassword
    ));
}

#[test]
fn corrupted_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    let mut store = KeePassStore::create(&path, &pw(), fast_kdf()).unwrap();
    store.upsert(&secret_credential("offline", KEY1)).unwrap();
    store.save().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    for offset in [bytes.len() / 2, 40, bytes.len() - 10] {
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0x55;
        std::fs::write(&path, &damaged).unwrap();
        let err = KeePassStore::open_or_create(&path, &pw(), fast_kdf()).unwrap_err();
        assert!(
            matches!(
                err,
                KeePassError::Corrupted { .. } | KeePassError::WrongPassword { .. }
            ),
            "offset {offset}: {err:?}"
        );
        if let KeePassError::Corrupted { .. } = err {
            assert!(
                err.to_string().contains("the file was not changed"),
                "{err}"
            );
        }
        assert_eq!(std::fs::read(&path).unwrap(), damaged, "file unchanged");
    }
    bytes.truncate(100);
    std::fs::write(&path, &bytes).unwrap();
    let err = KeePassStore::open(&path, &pw()).unwrap_err();
    assert!(matches!(err, KeePassError::Corrupted { .. }), "{err:?}");
    std::fs::write(&path, b"not a database at all").unwrap();
    let err = KeePassStore::open(&path, &pw()).unwrap_err();
    assert!(matches!(err, KeePassError::Corrupted { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"not a database at all");
}

#[test]
fn upsert_keeps_other_entries_and_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    // A database someone already uses, with their own group and entries.
    let mut db = Database::new();
    db.config.kdf_config = keepass::config::KdfConfig::Argon2id {
        iterations: 1,
        memory: 1024 * 1024,
        parallelism: 1,
        version: argon2::Version::Version13,
    };
    let mut root = db.root_mut();
    let mut personal = root.add_group();
    personal.name = "Personal".into();
    personal.add_entry().edit(|e| {
        e.set_unprotected(fields::TITLE, "mail");
        e.set_protected(fields::PASSWORD, "hunter2");
    });
    let mut bytes = Vec::new();
    db.save(
        &mut bytes,
        DatabaseKey::new().with_password("correct horse battery staple"),
    )
    .unwrap();
    std::fs::write(&path, &bytes).unwrap();

    let mut store = KeePassStore::open(&path, &pw()).unwrap();
    store.upsert(&secret_credential("offline", KEY1)).unwrap();
    store.upsert(&secret_credential("rotating", KEY2)).unwrap();
    store.save().unwrap();

    // Rotation: a new key id for label "rotating" replaces the old entry; the key id is updated.
    let mut store = KeePassStore::open(&path, &pw()).unwrap();
    let mut rotated = certificate_credential("rotating", KEY3);
    rotated.note = "rotated".into();
    assert_eq!(store.upsert(&rotated).unwrap(), UpsertOutcome::Replaced);
    // Same key id again: replaced in place.
    assert_eq!(store.upsert(&rotated).unwrap(), UpsertOutcome::Replaced);
    store.save().unwrap();

    let db = raw_open(&path);
    let root = db.root();
    let personal = root.group_by_name("Personal").unwrap();
    assert_eq!(
        personal
            .entry_by_name("mail")
            .unwrap()
            .get(fields::PASSWORD),
        Some("hunter2")
    );
    let store = KeePassStore::open(&path, &pw()).unwrap();
    let list = store.list();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[1].key_id, Some(Uuid::parse_str(KEY3).unwrap()));
    assert_eq!(list[1].kind, "certificate");
    assert!(store.get(Uuid::parse_str(KEY2).unwrap()).unwrap().is_none());
    let root = db.root();
    let group = root.group_by_name("breakglass").unwrap();
    let entry = group.entry_by_name("breakglass-sp / rotating").unwrap();
    assert_eq!(entry.get(fields::PASSWORD), Some(""), "old secret gone");
    assert_eq!(entry.attachments().count(), 1);

    // Remove by key id.
    let mut store = KeePassStore::open(&path, &pw()).unwrap();
    assert!(store.remove(Uuid::parse_str(KEY3).unwrap()));
    assert!(!store.remove(Uuid::parse_str(KEY3).unwrap()));
    store.save().unwrap();
    let store = KeePassStore::open(&path, &pw()).unwrap();
    assert_eq!(store.list().len(), 1);
    let db = raw_open(&path);
    assert_eq!(
        db.num_attachments(),
        0,
        "the PEM attachment went with its entry"
    );
    assert!(db.root().group_by_name("Personal").is_some());
}

#[cfg(unix)]
#[test]
fn database_file_is_0600_and_no_temp_files_remain() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    let mut store = KeePassStore::create(&path, &pw(), fast_kdf()).unwrap();
    store.upsert(&secret_credential("offline", KEY1)).unwrap();
    store.save().unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut store = KeePassStore::open(&path, &pw()).unwrap();
    store.upsert(&secret_credential("rotating", KEY2)).unwrap();
    store.save().unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("bg.kdbx")]);
}

#[test]
fn save_refuses_when_another_program_changed_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.kdbx");
    let mut store = KeePassStore::create(&path, &pw(), fast_kdf()).unwrap();
    store.save().unwrap();
    let mut first = KeePassStore::open(&path, &pw()).unwrap();
    let mut second = KeePassStore::open(&path, &pw()).unwrap();
    second.upsert(&secret_credential("offline", KEY1)).unwrap();
    second.save().unwrap();
    let after_second = std::fs::read(&path).unwrap();
    first.upsert(&secret_credential("rotating", KEY2)).unwrap();
    let err = first.save().unwrap_err();
    assert!(matches!(err, KeePassError::ChangedOnDisk { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), after_second);
}
