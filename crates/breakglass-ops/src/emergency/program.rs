//! Finding the command `exec` runs, as the shell would, so a typo fails before anyone signs in
//! with an emergency credential (and raises an alert for nothing).

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// Why a command cannot be run; the shell's exit codes tell the two apart (127, 126).
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error("command not found: `{0}`")]
    NotFound(String),
    #[error("`{0}` cannot be run: it is not an executable file")]
    NotExecutable(String),
    #[error("cannot start `{program}`: {reason}")]
    CannotStart { program: String, reason: String },
}

impl ProgramError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ProgramError::NotFound(_) => Some(
                "check its spelling, install it, or give its full path; breakglass searches PATH as the shell does",
            ),
            ProgramError::NotExecutable(_) => Some(
                "check its permissions (`chmod +x`), or run it through its interpreter, e.g. `-- sh script.sh`",
            ),
            ProgramError::CannotStart { .. } => None,
        }
    }

    /// Why starting `program` failed, from the operating system's answer.
    pub fn from_spawn(program: &OsStr, err: &std::io::Error) -> ProgramError {
        let name = program.to_string_lossy().into_owned();
        match err.kind() {
            std::io::ErrorKind::NotFound => ProgramError::NotFound(name),
            std::io::ErrorKind::PermissionDenied => ProgramError::NotExecutable(name),
            _ => ProgramError::CannotStart {
                program: name,
                reason: err.to_string(),
            },
        }
    }
}

fn is_runnable(meta: &std::fs::Metadata) -> bool {
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

/// The file `program` names: itself when it holds a `/`, else the first runnable file of that
/// name in PATH (an empty PATH entry is the current folder).
pub fn find_program(program: &OsStr) -> Result<PathBuf, ProgramError> {
    let shown = || program.to_string_lossy().into_owned();
    let name = Path::new(program);
    if program.is_empty() {
        return Err(ProgramError::NotFound(shown()));
    }
    if program.as_encoded_bytes().contains(&b'/') {
        return match std::fs::metadata(name) {
            Ok(meta) if is_runnable(&meta) => Ok(name.to_path_buf()),
            Ok(_) => Err(ProgramError::NotExecutable(shown())),
            Err(_) => Err(ProgramError::NotFound(shown())),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut found_unrunnable = false;
    for folder in std::env::split_paths(&path) {
        let folder = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        };
        let candidate = folder.join(name);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if is_runnable(&meta) {
                return Ok(candidate);
            }
            found_unrunnable = true;
        }
    }
    if found_unrunnable {
        Err(ProgramError::NotExecutable(shown()))
    } else {
        Err(ProgramError::NotFound(shown()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_path_or_by_path() {
        assert!(find_program(OsStr::new("sh")).is_ok());
        assert!(find_program(OsStr::new("/bin/sh")).is_ok());
        assert!(matches!(
            find_program(OsStr::new("no-such-command-xyz")),
            Err(ProgramError::NotFound(_))
        ));
        assert!(find_program(OsStr::new("/no/such/command")).is_err());
        let plain = tempfile::NamedTempFile::new().unwrap();
        std::fs::set_permissions(plain.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = find_program(plain.path().as_os_str()).unwrap_err();
        assert!(err.to_string().contains("cannot be run"), "{err}");
    }
}
