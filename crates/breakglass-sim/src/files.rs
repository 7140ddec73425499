//! Writing the state folder: atomically, and private where it holds secrets.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use crate::SimError;

fn io_error(path: &Path, err: std::io::Error) -> SimError {
    SimError::StateDir {
        path: path.to_path_buf(),
        reason: err.to_string(),
    }
}

/// Reads a file, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, SimError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(io_error(path, err)),
    }
}

/// Writes a file readable only by its owner (0600), atomically.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    write_atomic(path, bytes, 0o600)
}

/// Writes a file readable by everyone (0644), atomically.
pub(crate) fn write_public(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    write_atomic(path, bytes, 0o644)
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SimError> {
    write_atomic_with(path, mode, |out| out.write_all(bytes))
}

/// Writes a file readable only by its owner (0600), atomically, from a writer: a large file
/// (the tenant's snapshot) goes to disk as it is produced, never whole in memory.
pub(crate) fn write_private_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), SimError> {
    write_atomic_with(path, 0o600, write)
}

fn write_atomic_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), SimError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temp)
        .map_err(|e| io_error(&temp, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    write(&mut out).map_err(|e| io_error(&temp, e))?;
    let file = out
        .into_inner()
        .map_err(|e| io_error(&temp, e.into_error()))?;
    file.sync_all().map_err(|e| io_error(&temp, e))?;
    drop(file);
    fs::rename(&temp, path).map_err(|e| io_error(path, e))?;
    sync_folder(folder);
    Ok(())
}

/// Makes a rename or a new file in `folder` durable.
pub(crate) fn sync_folder(folder: &Path) {
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}
