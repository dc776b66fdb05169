//! Path spelling: absolute forms for comparing, `/`-separated forms for showing.

use std::path::{Component, Path, PathBuf};

/// Lexically normalised absolute path (no `.`, `..` resolved without touching the disk).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path with `/` separators, whatever the platform.
pub fn slash_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// How a file is named in reports: relative to the current directory when below it.
pub fn display_path(cwd: &Path, path: &Path) -> String {
    let abs = absolute(cwd, path);
    match abs.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => slash_path(rel),
        _ => slash_path(&abs),
    }
}
