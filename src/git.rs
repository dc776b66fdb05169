//! `--base REF`: which files changed since the merge-base of REF and HEAD.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the changed files could not be listed.
#[derive(Debug)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitError {}

fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| GitError(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(GitError(stderr.lines().next().unwrap_or("git failed").trim().to_string()));
    }
    Ok(out.stdout)
}

fn nul_paths<'a>(root: &'a Path, bytes: &'a [u8]) -> impl Iterator<Item = PathBuf> + 'a {
    bytes.split(|b| *b == 0).filter(|p| !p.is_empty()).map(move |p| root.join(path_from_bytes(p)))
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// Absolute paths of files changed since the merge-base of `base` and HEAD:
/// committed, staged, unstaged and untracked (not ignored). Deleted files are
/// left out, as there is nothing to check.
pub fn changed_files(cwd: &Path, base: &str) -> Result<HashSet<PathBuf>, GitError> {
    let top = git(cwd, &["rev-parse", "--show-toplevel"])
        .map_err(|e| GitError(format!("--base needs a git repository: {e}")))?;
    let root = PathBuf::from(String::from_utf8_lossy(&top).trim().to_string());
    let commit = format!("{base}^{{commit}}");
    git(cwd, &["rev-parse", "--verify", "--quiet", "--end-of-options", &commit])
        .map_err(|_| GitError(format!("unknown git ref `{base}`")))?;
    let merge_base = git(cwd, &["merge-base", base, "HEAD"])
        .map_err(|e| GitError(format!("no merge-base between `{base}` and HEAD: {e}")))?;
    let merge_base = String::from_utf8_lossy(&merge_base).trim().to_string();
    let diff = git(&root, &["diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", &merge_base, "--"])?;
    let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    Ok(nul_paths(&root, &diff).chain(nul_paths(&root, &untracked)).collect())
}
