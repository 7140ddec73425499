//! Interop with independent implementations: pykeepass and keepassxc-cli read the KeePass file;
//! poppler's pdftoppm renders the sheets and zbarimg decodes their QR codes.
//!
//! A missing tool skips its test (with a note on stderr), except with `CI=true`, where it fails.
//! `scripts/install-system-deps` installs the Debian packages; `scripts/test` makes `.venv-peers`.
#![allow(clippy::print_stderr)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use breakglass_store::secrecy::{ExposeSecret as _, SecretString};
use breakglass_store::shamir::ShamirShare;
use breakglass_store::{
    CredentialKind, CredentialPayload, KeePassOptions, KeePassStore, Overwrite, SheetOptions,
    combine, render_recovery_sheet, render_share_sheet, split, write_secret_file,
};
use common::*;

const PASSWORD: &str = "interop: correct horse battery staple";

fn ci() -> bool {
    matches!(
        std::env::var("CI").as_deref(),
        Ok("1" | "true" | "TRUE" | "True" | "yes")
    )
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tool's path, or `None` (skip) when it is missing outside CI.
fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let message = format!(
            "{name} not found: install the Debian package {package} (scripts/install-system-deps)"
        );
        assert!(!ci(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    found
}

fn python_with_pykeepass() -> Option<PathBuf> {
    let python = std::env::var_os("BREAKGLASS_PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-peers/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", "import pykeepass"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let message = format!(
            "pykeepass is not importable with {} (scripts/test installs tests/peers/requirements.txt)",
            python.display()
        );
        assert!(!ci(), "{message}");
        eprintln!("SKIPPED: {message}");
        return None;
    }
    Some(python)
}

fn run_with_stdin(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// A database with a secret entry, a certificate entry and a group of someone else's, written with
/// the full-strength KDF (Argon2id 64 MiB).
fn sample_database(dir: &Path) -> PathBuf {
    let path = dir.join("breakglass.kdbx");
    let pw = SecretString::from(PASSWORD);
    let mut store = KeePassStore::create(&path, &pw, KeePassOptions::default()).unwrap();
    store.upsert(&secret_credential("offline", KEY1)).unwrap();
    store
        .upsert(&certificate_credential("rotating", KEY2))
        .unwrap();
    store.save().unwrap();
    path
}

fn cert_pem() -> String {
    let CredentialKind::Certificate(cert) = certificate_credential("rotating", KEY2).kind else {
        unreachable!()
    };
    cert.combined_pem().expose_secret().to_string()
}

#[test]
fn pykeepass_reads_the_rust_written_database() {
    let Some(python) = python_with_pykeepass() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = sample_database(dir.path());
    let script = repo_root().join("tests/store-peers/read_kdbx.py");
    let out = run_with_stdin(
        Command::new(&python).arg(&script).arg(&path),
        &format!("{PASSWORD}\n"),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["version"][0], 4, "{report}");
    let entries = report["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{report}");

    let secret = &entries[0];
    assert_eq!(secret["title"], "breakglass-sp / offline");
    assert_eq!(secret["username"], CLIENT);
    assert_eq!(
        secret["password"],
        "Xk38Q~aVeryLong.Secret_Value-0123456789abc"
    );
    assert_eq!(
        secret["url"],
        format!("https://login.microsoftonline.com/{TENANT}")
    );
    assert!(
        secret["notes"]
            .as_str()
            .unwrap()
            .contains("Global Administrator")
    );
    let custom = &secret["custom"];
    assert_eq!(custom["TenantId"], TENANT);
    assert_eq!(custom["ClientId"], CLIENT);
    assert_eq!(custom["KeyId"], KEY1);
    assert_eq!(custom["Expires"], "2027-01-01T00:00:00Z");
    assert_eq!(custom["CredentialKind"], "secret");
    let from_python =
        CredentialPayload::parse(custom["BreakglassPayload"].as_str().unwrap()).unwrap();
    assert_same(
        from_python.credential(),
        &secret_credential("offline", KEY1),
    );

    let cert = &entries[1];
    assert_eq!(cert["title"], "breakglass-sp / rotating");
    assert!(
        cert["password"].is_null() || cert["password"] == "",
        "pykeepass reads an empty password as None"
    );
    assert_eq!(cert["custom"]["CredentialKind"], "certificate");
    assert_eq!(cert["custom"]["KeyId"], KEY2);
    assert_eq!(cert["custom"]["Thumbprint"].as_str().unwrap().len(), 40);
    let attachments = cert["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["name"], "rotating.pem");
    assert_eq!(attachments[0]["text"], cert_pem());
}

#[test]
fn keepassxc_cli_reads_the_rust_written_database() {
    let Some(cli) = tool("keepassxc-cli", "keepassxc") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = sample_database(dir.path());
    let kx = |args: &[&str]| {
        let mut command = Command::new(&cli);
        command.env("QT_QPA_PLATFORM", "offscreen").args(args);
        String::from_utf8(run_with_stdin(&mut command, &format!("{PASSWORD}\n")).stdout).unwrap()
    };
    let db = path.to_str().unwrap();

    let info = kx(&["db-info", db]);
    assert!(info.contains("Argon2id"), "{info}");
    assert!(info.contains("65536"), "{info}");

    let listing = kx(&["ls", "-R", "-f", db]);
    assert!(listing.contains("breakglass/"), "{listing}");

    // Titles contain " / ", which keepassxc-cli would read as a path separator; entries are found
    // by search instead (by the unique key id), then shown by their UUID-free path via `show`.
    let found = kx(&["search", db, KEY1]);
    assert!(found.contains("breakglass-sp / offline"), "{found}");
    let entry = found
        .lines()
        .find(|l| l.contains("offline"))
        .unwrap()
        .trim()
        .to_string();
    let shown = kx(&[
        "show",
        "-s",
        "-a",
        "Title",
        "-a",
        "UserName",
        "-a",
        "Password",
        "-a",
        "TenantId",
        "-a",
        "KeyId",
        "-a",
        "CredentialKind",
        db,
        &entry,
    ]);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines,
        [
            "breakglass-sp / offline",
            CLIENT,
            "Xk38Q~aVeryLong.Secret_Value-0123456789abc",
            TENANT,
            KEY1,
            "secret"
        ],
        "{shown}"
    );

    let found = kx(&["search", db, KEY2]);
    let entry = found
        .lines()
        .find(|l| l.contains("rotating"))
        .unwrap()
        .trim()
        .to_string();
    let thumbprint = kx(&["show", "-a", "Thumbprint", db, &entry]);
    let CredentialKind::Certificate(cert) = certificate_credential("rotating", KEY2).kind else {
        unreachable!()
    };
    assert_eq!(thumbprint.trim(), cert.thumbprint_sha1_hex());
    let exported = dir.path().join("exported.pem");
    kx(&[
        "attachment-export",
        db,
        &entry,
        "rotating.pem",
        exported.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), cert_pem());

    // A wrong password is refused by keepassxc-cli as well.
    let out = Command::new(&cli)
        .env("QT_QPA_PLATFORM", "offscreen")
        .args(["ls", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(b"wrong\n")?;
            child.wait()
        })
        .unwrap();
    assert!(!out.success());
}

/// Renders a PDF to PNG pages at 200 dpi and decodes every QR code on them.
/// With `BREAKGLASS_KEEP_SHEETS=DIR`, the sheets are also copied to DIR for a look by eye.
fn scan_pdf(pdf: &Path) -> Option<String> {
    if let Some(keep) = std::env::var_os("BREAKGLASS_KEEP_SHEETS") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(pdf, Path::new(&keep).join(pdf.file_name().unwrap())).unwrap();
    }
    let pdftoppm = tool("pdftoppm", "poppler-utils")?;
    let zbarimg = tool("zbarimg", "zbar-tools")?;
    let dir = pdf.parent().unwrap();
    let prefix = dir.join(pdf.file_stem().unwrap());
    let status = Command::new(pdftoppm)
        .args(["-png", "-r", "200"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    let stem = pdf.file_stem().unwrap().to_str().unwrap().to_string();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with(&format!("{stem}-"))
        })
        .collect();
    pages.sort();
    assert!(!pages.is_empty());
    let mut scanned = String::new();
    for page in pages {
        let out = Command::new(&zbarimg)
            .args(["--raw", "-q"])
            .arg(&page)
            .output()
            .unwrap();
        // zbarimg exits 4 when a page has no code (e.g. the text-only first page of a certificate).
        assert!(
            out.status.success() || out.status.code() == Some(4),
            "zbarimg failed on {}: {}",
            page.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        scanned.push_str(&String::from_utf8(out.stdout).unwrap());
    }
    Some(scanned)
}

fn options() -> SheetOptions {
    SheetOptions {
        report_to: "SOC +1 555 0100, soc@contoso.example".into(),
        generated_at: Some("2026-11-25T10:00:00Z".parse().unwrap()),
        ..SheetOptions::default()
    }
}

fn pdf_text(pdf: &Path) -> Option<String> {
    let pdftotext = tool("pdftotext", "poppler-utils")?;
    let out = Command::new(pdftotext)
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn recovery_sheet_qr_decodes_to_the_exact_secret_payload() {
    let dir = tempfile::tempdir().unwrap();
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let pdf = render_recovery_sheet(&payload, &options()).unwrap();
    let path = dir.path().join("sheet.pdf");
    write_secret_file(&path, &pdf, Overwrite::Refuse).unwrap();
    let Some(scanned) = scan_pdf(&path) else {
        return;
    };
    assert_eq!(
        scanned.trim_end(),
        payload.text().expose_secret(),
        "one QR code with the whole payload"
    );
    let back = CredentialPayload::from_scanned(&scanned).unwrap();
    assert_same(back.credential(), payload.credential());
    let Some(text) = pdf_text(&path) else { return };
    for needle in [
        TENANT,
        CLIENT,
        KEY1,
        "Xk38Q~aVeryLong.Secret_Value-0123456789abc",
        "breakglass token --sheet",
        "soc@contoso.example",
        payload.check(),
    ] {
        assert!(text.contains(needle), "sheet text lacks {needle}:\n{text}");
    }
}

#[test]
fn recovery_sheet_qr_codes_decode_to_the_exact_certificate_payload() {
    let dir = tempfile::tempdir().unwrap();
    let payload = certificate_credential("rotating", KEY2)
        .to_payload()
        .unwrap();
    assert!(payload.qr_texts().len() > 1);
    let pdf = render_recovery_sheet(&payload, &options()).unwrap();
    let path = dir.path().join("cert-sheet.pdf");
    write_secret_file(&path, &pdf, Overwrite::Refuse).unwrap();
    let Some(scanned) = scan_pdf(&path) else {
        return;
    };
    assert_eq!(
        scanned.lines().count(),
        payload.qr_texts().len(),
        "{scanned}"
    );
    let back = CredentialPayload::from_scanned(&scanned).unwrap();
    assert_eq!(back.text().expose_secret(), payload.text().expose_secret());
    assert_same(back.credential(), payload.credential());
    let Some(text) = pdf_text(&path) else { return };
    let CredentialKind::Certificate(cert) = &payload.credential().kind else {
        unreachable!()
    };
    assert!(text.contains(&cert.thumbprint_sha1_hex()[..4]), "{text}");
}

#[test]
fn custodian_sheets_decode_and_combine() {
    let dir = tempfile::tempdir().unwrap();
    for (name, credential) in [
        ("secret", secret_credential("offline", KEY1)),
        ("cert", certificate_credential("rotating", KEY2)),
    ] {
        let payload = credential.to_payload().unwrap();
        let shares = split(&payload, 2, 3).unwrap();
        let mut scanned_shares = Vec::new();
        for share in [&shares[0], &shares[2]] {
            let pdf =
                render_share_sheet(share, &credential, Some("Alex Example"), &options()).unwrap();
            let path = dir
                .path()
                .join(format!("{name}-share-{}.pdf", share.index()));
            write_secret_file(&path, &pdf, Overwrite::Refuse).unwrap();
            let Some(scanned) = scan_pdf(&path) else {
                return;
            };
            let back = ShamirShare::from_scanned(&scanned).unwrap();
            assert_eq!(back.text().expose_secret(), share.text().expose_secret());
            scanned_shares.push(back);
            if let Some(text) = pdf_text(&path) {
                assert!(
                    text.contains(share.set_id()) && text.contains("Alex Example"),
                    "{text}"
                );
            }
        }
        let recovered = combine(&scanned_shares).unwrap();
        assert_eq!(
            recovered.text().expose_secret(),
            payload.text().expose_secret()
        );
    }
}

/// The share format is simple enough to combine by hand: `tests/store-peers/combine_shares.py`
/// (standard-library Python, written from `docs/stores.md`) gives back the exact payload, and
/// the payload's JSON decodes with coreutils `base32 -d`.
#[test]
fn shares_combine_and_payload_decodes_without_breakglass() {
    let python = std::env::var_os("BREAKGLASS_PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| "python3".into());
    if Command::new(&python).arg("--version").output().is_err() {
        assert!(!ci(), "python3 not found");
        eprintln!("SKIPPED: python3 not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for credential in [
        secret_credential("offline", KEY1),
        certificate_credential("rotating", KEY2),
    ] {
        let payload = credential.to_payload().unwrap();
        let shares = split(&payload, 3, 5).unwrap();
        let mut files = Vec::new();
        for share in [&shares[4], &shares[1], &shares[2]] {
            let file = dir.path().join(format!("share-{}.txt", share.index()));
            std::fs::write(&file, share.text().expose_secret()).unwrap();
            files.push(file);
        }
        let out = Command::new(&python)
            .arg(repo_root().join("tests/store-peers/combine_shares.py"))
            .args(&files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim_end(),
            payload.text().expose_secret()
        );

        // By hand: the body between the 2nd and 3rd colon is base32 of JSON, no padding needed.
        let text = payload.text().expose_secret();
        let body = text.split(':').nth(2).unwrap();
        let Ok(mut child) = Command::new("base32")
            .arg("-d")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            continue;
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["t"], TENANT);
        assert_eq!(json["c"], CLIENT);
    }
}
