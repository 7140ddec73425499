//! Which files a scan reads when it is given folders.

use std::path::PathBuf;

/// The files to scan: each path given, and every file under a folder given, recursively, in
/// name order. Symbolic links to folders are not followed, so a loop cannot hold the scan; an
/// empty or unreadable folder stays in the list and is reported like any unreadable path.
pub fn files_under(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(folder: &std::path::Path, out: &mut Vec<PathBuf>) -> bool {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return false;
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        let before = out.len();
        for child in children {
            match std::fs::symlink_metadata(&child) {
                Ok(meta) if meta.is_dir() => {
                    walk(&child, out);
                }
                Ok(meta) if meta.file_type().is_symlink() && child.is_dir() => {}
                Ok(_) => out.push(child),
                Err(_) => out.push(child),
            }
        }
        out.len() > before
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            if !walk(path, &mut out) {
                out.push(path.clone());
            }
        } else {
            out.push(path.clone());
        }
    }
    out
}
