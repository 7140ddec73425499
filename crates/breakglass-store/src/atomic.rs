//! Atomic, private file writes: temp file in the same folder, mode 0600, fsync, rename, fsync dir.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// What to do when the destination already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse: the existing file is left as it is.
    Refuse,
    /// Replace the file atomically.
    Replace,
}

/// Why a secret file could not be written. The destination is unchanged in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteFileError {
    /// The destination exists and overwriting was not allowed.
    #[error("{} already exists; it was not changed", path.display())]
    AlreadyExists {
        /// The destination.
        path: PathBuf,
    },
    /// The folder or file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The destination.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl WriteFileError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            WriteFileError::AlreadyExists { .. } => {
                "choose another file name, or remove the old file after checking it is no longer needed"
            }
            WriteFileError::Io { .. } => {
                "check that the folder exists, is writable by you and has free space"
            }
        }
    }
}

/// Writes `bytes` to `path` atomically with mode 0600 (owner read/write only).
///
/// The data goes to a temporary file in the same folder, is flushed to disk, and is renamed over
/// the destination; the folder is then flushed too. A crash leaves either the old file or the new
/// one, never a partial file.
pub fn write_secret_file(
    path: &Path,
    bytes: &[u8],
    overwrite: Overwrite,
) -> Result<(), WriteFileError> {
    let io_err = |source| WriteFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if overwrite == Overwrite::Refuse && path.exists() {
        return Err(WriteFileError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".breakglass-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io_err)?;
    restrict_permissions(tmp.as_file()).map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    match overwrite {
        Overwrite::Replace => {
            tmp.persist(path).map_err(|e| io_err(e.error))?;
        }
        Overwrite::Refuse => {
            tmp.persist_noclobber(path).map_err(|e| {
                if e.error.kind() == io::ErrorKind::AlreadyExists {
                    WriteFileError::AlreadyExists {
                        path: path.to_path_buf(),
                    }
                } else {
                    io_err(e.error)
                }
            })?;
        }
    }
    sync_dir(&dir).map_err(io_err)?;
    Ok(())
}

#[cfg(unix)]
fn restrict_permissions(file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_permissions(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_0600_and_refuses_to_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pdf");
        write_secret_file(&path, b"one", Overwrite::Refuse).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = write_secret_file(&path, b"two", Overwrite::Refuse).unwrap_err();
        assert!(matches!(err, WriteFileError::AlreadyExists { .. }));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_secret_file(&path, b"three", Overwrite::Replace).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files left behind");
    }
}
