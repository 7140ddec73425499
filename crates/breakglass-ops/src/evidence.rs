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

fn create_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| {
        config_error(format!("cannot create {}: {e}", dir.display()))
            .hinted("pass `--out DIR` for a folder you can write to")
    })
}

/// Writes `contents` as `dir/name` and returns its manifest entry.
fn write_entry(
    dir: &Path,
    name: &str,
    what: &str,
    contents: &[u8],
) -> Result<ManifestEntry, Error> {
    write(&dir.join(name), contents)?;
    Ok(ManifestEntry {
        name: name.to_string(),
        what: what.to_string(),
        bytes: contents.len(),
        sha256: hex_sha256(contents),
    })
}

/// Writes the pack into `dir` and returns its manifest and the entries of `SHA256SUMS` and
/// `manifest.json` themselves, which a pack across tenants also sums.
fn write_pack_parts(
    dir: &Path,
    tenant_id: &str,
    files: Vec<EvidenceFile>,
    missing: Vec<String>,
) -> Result<(Manifest, [ManifestEntry; 2]), Error> {
    create_dir(dir)?;
    for file in &files {
        write(&dir.join(&file.name), &file.contents)?;
    }
    let entries = entries(&files);
    let sums = write_entry(
        dir,
        "SHA256SUMS",
        "the SHA-256 of each file, for `sha256sum -c`",
        sums(&entries).as_bytes(),
    )?;
    let manifest = manifest(tenant_id, entries, missing);
    let written = write_entry(
        dir,
        "manifest.json",
        "what each file is, and its SHA-256",
        &encode(&manifest)?,
    )?;
    Ok((manifest, [sums, written]))
}

/// Writes the pack into `dir` (created when missing): the files, `SHA256SUMS`, then
/// `manifest.json`.
pub fn write_pack(
    dir: &Path,
    tenant_id: &str,
    files: Vec<EvidenceFile>,
    missing: Vec<String>,
) -> Result<(Manifest, PathBuf), Error> {
    let (manifest, _) = write_pack_parts(dir, tenant_id, files, missing)?;
    Ok((manifest, dir.join("manifest.json")))
}

/// One tenant's pack in a pack across tenants: its subfolder and what was written there.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantPack {
    pub folder: String,
    pub manifest: Manifest,
    /// Every file written in the folder, `SHA256SUMS` and `manifest.json` too, named
    /// `folder/file` as the top `SHA256SUMS` lists them.
    #[serde(skip)]
    pub written: Vec<ManifestEntry>,
}

/// Writes one tenant's pack into `dir/folder`, as `write_pack` writes a tenant's alone.
/// `folder` must be a safe name (one path component, no `..`).
pub fn write_tenant_pack(
    dir: &Path,
    folder: &str,
    tenant_id: &str,
    files: Vec<EvidenceFile>,
    missing: Vec<String>,
) -> Result<TenantPack, Error> {
    if folder.is_empty() || folder.starts_with('.') || folder.contains(['/', '\\']) {
        return Err(internal_error(format!("`{folder}` is not a folder name")));
    }
    let (manifest, own) = write_pack_parts(&dir.join(folder), tenant_id, files, missing)?;
    let written = manifest
        .files
        .iter()
        .chain(&own)
        .map(|entry| ManifestEntry {
            name: format!("{folder}/{}", entry.name),
            ..entry.clone()
        })
        .collect();
    Ok(TenantPack {
        folder: folder.to_string(),
        manifest,
        written,
    })
}

/// The top `manifest.json` of a pack across tenants.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantsManifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub created: Timestamp,
    /// Every file of the pack, each tenant's under its folder.
    pub files: Vec<ManifestEntry>,
    /// The tenants not in the pack, and why.
    pub missing: Vec<String>,
}

/// Writes the top of a pack across tenants into `dir`, after each tenant's
/// [`write_tenant_pack`]: `top` (the summary), then a `SHA256SUMS` of every file of the pack
/// (so `sha256sum -c SHA256SUMS` in `dir` checks them all), then `manifest.json`.
pub fn write_tenants_top(
    dir: &Path,
    packs: &[TenantPack],
    top: Vec<EvidenceFile>,
    missing: Vec<String>,
) -> Result<(TenantsManifest, PathBuf), Error> {
    create_dir(dir)?;
    for file in &top {
        write(&dir.join(&file.name), &file.contents)?;
    }
    let mut all = entries(&top);
    all.extend(packs.iter().flat_map(|pack| pack.written.iter().cloned()));
    write(&dir.join("SHA256SUMS"), sums(&all).as_bytes())?;
    let manifest = TenantsManifest {
        tool: "breakglass",
        version: env!("CARGO_PKG_VERSION"),
        created: Timestamp::now(),
        files: all,
        missing,
    };
    let encoded = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| internal_error(format!("cannot encode the manifest: {e}")))?;
    let path = dir.join("manifest.json");
    write(&path, &encoded)?;
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

    #[test]
    fn the_top_sums_cover_every_tenant_file_under_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let abc = || EvidenceFile {
            name: "a.txt".into(),
            what: "a".into(),
            contents: b"abc".to_vec(),
        };
        let pack = write_tenant_pack(dir.path(), "contoso", "t", vec![abc()], vec![]).unwrap();
        assert!(write_tenant_pack(dir.path(), "..", "t", vec![abc()], vec![]).is_err());
        let summary = EvidenceFile {
            name: "summary.json".into(),
            what: "s".into(),
            contents: b"{}".to_vec(),
        };
        let (manifest, _) = write_tenants_top(
            dir.path(),
            &[pack],
            vec![summary],
            vec!["x: not read".into()],
        )
        .unwrap();
        let names: Vec<&str> = manifest.files.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "summary.json",
                "contoso/a.txt",
                "contoso/SHA256SUMS",
                "contoso/manifest.json"
            ]
        );
        let sums = std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
        for entry in &manifest.files {
            let on_disk = std::fs::read(dir.path().join(&entry.name)).unwrap();
            assert_eq!(hex_sha256(&on_disk), entry.sha256, "{}", entry.name);
            assert!(sums.contains(&format!("{}  {}\n", entry.sha256, entry.name)));
        }
    }
}
