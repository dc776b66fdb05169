//! Helpers shared by the integration tests: running the built binary and
//! comparing golden files.
#![allow(dead_code)]

pub mod pytools;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set to re-bless golden files from the current output.
pub const BLESS_VAR: &str = "AUTHGUARD_BLESS";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run of the binary printed and returned.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `authguard` with `args` in `cwd`, colour and terminal effects off.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_authguard"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("the authguard binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Compare `actual` with the golden file at `path`; with AUTHGUARD_BLESS set,
/// write it instead. On a mismatch, fail with a line diff.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os(BLESS_VAR).is_some() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("missing golden file {}; run with {BLESS_VAR}=1 to create it", path.display()));
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual);
        let mut shown = String::new();
        for change in diff.iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Equal => " ",
            };
            shown.push_str(&format!("{sign}{change}"));
            if change.missing_newline() {
                shown.push('\n');
            }
        }
        panic!(
            "golden file {} differs (- expected, + actual); re-bless with {BLESS_VAR}=1 if the change is intended:\n{shown}",
            path.display()
        );
    }
}

/// Parse a JSON report.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr))
}

/// The codes of a JSON report's findings, in order.
pub fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

/// Each finding of a JSON report as `CODE path:line`, in order.
pub fn places(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}:{}", f["code"].as_str().unwrap(), f["path"].as_str().unwrap(), f["line"]))
        .collect()
}

/// Run git in `dir` with a fixed identity, fixed dates and no user or system
/// configuration, so tests behave the same on every machine; returns its
/// trimmed standard output and fails the test when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=authguard tests", "-c", "user.email=tests@authguard.invalid"])
        .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
