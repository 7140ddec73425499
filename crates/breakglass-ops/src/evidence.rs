//! The evidence pack (`breakglass evidence`): the files an auditor asks for after a drill or a
//! use of the emergency access, in one folder or one zip archive, with a manifest that names each file, says
//! what it is and gives its SHA-256, and a `SHA256SUMS` that `sha256sum -c` checks.
//!
//! The CLI gathers the contents (the audit it runs, the last drill record, the configuration,
//! the monitored identities, the rules' status); this writes them, each file atomically and
//! readable by its owner only, the manifest last, so a pack with a manifest is complete.

use std::path::{Path, PathBuf};

use aws_lc_rs::digest;
use breakglass_store::{Overwrite, write_secret_file};
use jiff::Timestamp;
use serde::Serialize;

use crate::error::{Error, config_error, internal_error};
use crate::zip_archive::{self, ZipEntry};

/// One file of the pack.
pub struct EvidenceFile {
    pub name: String,
    /// For the auditor: what the file is.
    pub what: String,
    pub contents: Vec<u8>,
}

/// A manifest entry.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    pub name: String,
    pub what: String,
    pub bytes: usize,
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub tenant_id: String,
    pub created: Timestamp,
    pub files: Vec<ManifestEntry>,
    /// What is not in the pack, and why.
    pub missing: Vec<String>,
}

fn hex_sha256(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_secret_file(path, bytes, Overwrite::Replace).map_err(|e| {
        config_error(format!("cannot write {}: {e}", path.display()))
            .hinted("pass `--out` a folder (or a .zip path) you can write to")
    })
}

fn entries(files: &[EvidenceFile]) -> Vec<ManifestEntry> {
    files
        .iter()
        .map(|file| ManifestEntry {
            name: file.name.clone(),
            what: file.what.clone(),
            bytes: file.contents.len(),
            sha256: hex_sha256(&file.contents),
        })
        .collect()
}

/// `SHA256SUMS`, in the form `sha256sum -c` reads.
fn sums(entries: &[ManifestEntry]) -> String {
    entries
        .iter()
        .map(|e| format!("{}  {}\n", e.sha256, e.name))
        .collect()
}

fn manifest(tenant_id: &str, files: Vec<ManifestEntry>, missing: Vec<String>) -> Manifest {
    Manifest {
        tool: "breakglass",
        version: env!("CARGO_PKG_VERSION"),
        tenant_id: tenant_id.to_string(),
        created: Timestamp::now(),
        files,
        missing,
    }
}

fn encode(manifest: &Manifest) -> Result<Vec<u8>, Error> {
    serde_json::to_vec_pretty(manifest)
        .map_err(|e| internal_error(format!("cannot encode the manifest: {e}")))
}

/// Writes the pack into `dir` (created when missing): the files, `SHA256SUMS`, then
/// `manifest.json`.
pub fn write_pack(
    dir: &Path,
    tenant_id: &str,
    files: Vec<EvidenceFile>,
    missing: Vec<String>,
) -> Result<(Manifest, PathBuf), Error> {
    std::fs::create_dir_all(dir).map_err(|e| {
        config_error(format!("cannot create {}: {e}", dir.display()))
            .hinted("pass `--out DIR` for a folder you can write to")
    })?;
    for file in &files {
        write(&dir.join(&file.name), &file.contents)?;
    }
    let entries = entries(&files);
    write(&dir.join("SHA256SUMS"), sums(&entries).as_bytes())?;
    let manifest = manifest(tenant_id, entries, missing);
    let path = dir.join("manifest.json");
    write(&path, &encode(&manifest)?)?;
    Ok((manifest, path))
}

/// Whether `--out` names an archive rather than a folder.
pub fn is_zip(out: &Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Writes the pack as one zip archive at `path`: the same files, `SHA256SUMS` and
/// `manifest.json` as the folder form, written atomically (a temporary file in the same
/// folder, synced, then renamed) and readable by its owner only. An archive already there is
/// replaced, as the folder form replaces its files.
pub fn write_pack_zip(
    path: &Path,
    tenant_id: &str,
    files: Vec<EvidenceFile>,
    missing: Vec<String>,
) -> Result<(Manifest, PathBuf), Error> {
    if path.is_dir() {
        return Err(config_error(format!(
            "{} is a folder, not an archive; nothing was written",
            path.display()
        ))
        .hinted("pass `--out` a new .zip file path, or the folder's path without .zip for a folder pack"));
    }
    let entries = entries(&files);
    let sums = sums(&entries);
    let manifest = manifest(tenant_id, entries, missing);
    let manifest_json = encode(&manifest)?;
    let mut members: Vec<ZipEntry<'_>> = files
        .iter()
        .map(|f| ZipEntry {
            name: &f.name,
            contents: &f.contents,
        })
        .collect();
    members.push(ZipEntry {
        name: "SHA256SUMS",
        contents: sums.as_bytes(),
    });
    members.push(ZipEntry {
        name: "manifest.json",
        contents: &manifest_json,
    });
    let bytes = zip_archive::archive(&members, manifest.created)
        .map_err(|e| internal_error(format!("cannot build {}: {e}", path.display())))?;
    write(path, &bytes)?;
    Ok((manifest, path.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_hashes_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![EvidenceFile {
            name: "a.txt".into(),
            what: "a".into(),
            contents: b"abc".to_vec(),
        }];
        let (manifest, path) = write_pack(dir.path(), "t", files, vec!["no drill".into()]).unwrap();
        // FIPS 180-2's example for "abc".
        assert_eq!(
            manifest.files[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(path.exists());
        let sums = std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
        assert_eq!(
            sums,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.txt\n"
        );
    }
}
