//! authguard as a pre-commit hook (`.pre-commit-hooks.yaml`): the manifest is
//! valid for pre-commit, its `files` regex selects exactly the files authguard
//! reads, and `pre-commit try-repo` really builds the hook (`language: rust`,
//! so `cargo install`) and runs it on a repository's staged files.
//!
//! pre-commit (pinned, from `common::pytools`) is run for real. `try-repo`
//! installs the hook into a temporary store of its own on every run (it does
//! not use `PRE_COMMIT_HOME`'s cache), so each run is a `cargo install`. A
//! shared `CARGO_TARGET_DIR` under `target/` keeps the dependencies built
//! between runs: the first run builds everything in release (minutes), later
//! ones rebuild only the authguard crate itself.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use authguard::frontend::Language;
use serde::Deserialize;

const MANIFEST: &str = ".pre-commit-hooks.yaml";

/// The keys of a hook that the tests pin down.
#[derive(Debug, Deserialize)]
struct Hook {
    id: String,
    name: String,
    entry: String,
    language: String,
    files: String,
    pass_filenames: bool,
    require_serial: bool,
    description: String,
}

fn manifest() -> Vec<Hook> {
    let path = common::root().join(MANIFEST);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{MANIFEST} is not a list of hooks: {e}"))
}

/// What a command printed (stdout and stderr together) and returned.
struct Run {
    code: i32,
    output: String,
}

/// A command with git's environment pinned: no inherited repository (as
/// when the tests themselves run from a git hook), no user or system config.
fn isolated(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for var in
        ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"]
    {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_CONFIG_GLOBAL", "/dev/null").env("NO_COLOR", "1");
    cmd
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Run { code: out.status.code().unwrap_or(-1), output }
}

/// Run git in `dir` with a fixed identity; it must succeed.
fn git(dir: &Path, args: &[&str]) {
    let mut cmd = isolated("git");
    cmd.args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{cmd:?} failed:\n{}", out.output);
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The hook repository for `try-repo`: a clone of this repository's
/// committed HEAD (the work tree may be mid-edit) with the current
/// `.pre-commit-hooks.yaml` committed on top, so the manifest under test is
/// the one in the work tree even before it is committed.
fn hook_repo(tmp: &Path) -> PathBuf {
    let repo = tmp.join("hookrepo");
    git(tmp, &["clone", "--quiet", common::root().to_str().unwrap(), "hookrepo"]);
    std::fs::copy(common::root().join(MANIFEST), repo.join(MANIFEST)).expect("copy the manifest into the clone");
    git(&repo, &["add", MANIFEST]);
    // --allow-empty: once the manifest is committed, the copy changes nothing.
    git(&repo, &["commit", "--quiet", "--allow-empty", "-m", "manifest under test"]);
    repo
}

/// A project repository with `committed` files in its first commit and
/// `staged` files added to the index after it.
fn project(tmp: &Path, committed: &[(&str, &str)], staged: &[(&str, &str)]) -> PathBuf {
    let dir = tmp.join("project");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    for (rel, text) in committed {
        write(&dir, rel, text);
    }
    git(&dir, &["add", "--all"]);
    git(&dir, &["commit", "--quiet", "--allow-empty", "-m", "init"]);
    for (rel, text) in staged {
        write(&dir, rel, text);
        git(&dir, &["add", rel]);
    }
    dir
}

/// `pre-commit try-repo <hook repo> authguard` in `project`, on its staged
/// files (no `--all-files`), as a developer would run it before committing.
fn try_repo(project: &Path, hook_repo: &Path) -> Run {
    let target = common::root().join("target");
    let mut cmd = isolated(common::pytools::bin().join("pre-commit"));
    cmd.args(["try-repo", "--color", "never"])
        .arg(hook_repo)
        .arg("authguard")
        .current_dir(project)
        // Reused by every run's `cargo install`: only authguard is rebuilt.
        .env("CARGO_TARGET_DIR", target.join("precommit-cargo"))
        // pre-commit runs `cargo install --path .` without `--locked`, so
        // cargo ignores Cargo.lock and resolves again, updating the index
        // from crates.io. Offline, it resolves from the local registry cache,
        // which the build of these tests filled with Cargo.lock's versions:
        // no network, and no dependency release can change the result.
        .env("CARGO_NET_OFFLINE", "true")
        // try-repo keeps its hook environments in a temporary store; this
        // keeps pre-commit's own files (its log, its db) out of ~/.cache.
        .env("PRE_COMMIT_HOME", target.join("pre-commit-home"));
    let start = Instant::now();
    let out = run(&mut cmd);
    eprintln!(
        "pre-commit try-repo in {}: exit {} after {:.1}s\n{}",
        project.display(),
        out.code,
        start.elapsed().as_secs_f64(),
        out.output
    );
    out
}

/// pre-commit's status line for the hook: `authguard....Passed`.
fn status_line(out: &Run) -> &str {
    out.output
        .lines()
        .find(|l| l.starts_with("authguard.."))
        .unwrap_or_else(|| panic!("no status line for the authguard hook in:\n{}", out.output))
}

#[test]
fn manifest_declares_the_authguard_hook() {
    let hooks = manifest();
    assert_eq!(hooks.len(), 1, "{MANIFEST} declares one hook: {hooks:?}");
    let hook = &hooks[0];
    assert_eq!(hook.id, "authguard");
    assert_eq!(hook.name, "authguard");
    assert_eq!(hook.entry, "authguard check");
    assert_eq!(hook.language, "rust");
    assert!(hook.pass_filenames);
    assert!(hook.require_serial, "one process sees every staged file");
    assert!(!hook.description.trim().is_empty(), "the hook has a description");
}

#[test]
fn manifest_is_valid_for_pre_commit() {
    let out = run(isolated(common::pytools::bin().join("pre-commit"))
        .args(["validate-manifest", MANIFEST])
        .current_dir(common::root()));
    assert_eq!(out.code, 0, "pre-commit validate-manifest rejects {MANIFEST}:\n{}", out.output);
}

/// The `files` regex, applied as pre-commit applies it (Python's
/// `re.search` on the repository-relative path, by the interpreter
/// pre-commit runs on), selects exactly the files authguard reads.
#[test]
fn files_regex_selects_what_authguard_reads() {
    let cases: &[(&str, bool)] = &[
        ("a.sql", true),
        ("x/y.py", true),
        ("src/lib.rs", true),
        (".env", true),
        ("deploy/.env.production", true),
        ("prod.env", true),
        ("README.md", false),
        ("x.sqlite", false),
        ("env.txt", false),
        (".envrc", false),
        // Names are matched case-insensitively, in any directory.
        ("db/MIGRATION.SQL", true),
        ("services/api/.ENV.local", true),
        ("a/b/c/config.Env", true),
        ("backend/migrations/002_mfa.sql", true),
        // Only the file name decides: not a directory's, not a suffix.
        ("a.sql/notes.txt", false),
        ("x.env.bak", false),
        ("schema.sql.orig", false),
        ("pyproject.toml", false),
        ("main.rsx", false),
        ("envs/prod", false),
        // SQL files may name their database after `.sql`, nothing else may.
        ("migrations/0001_init.sql.postgres", true),
        ("0001.SQL.MySQL", true),
        ("a/b.sql.mariadb", true),
        ("x.sql.sqlite", true),
        ("x.sql.sqlite3", true),
        ("x.sql.postgresql", true),
        ("x.sql.pg", true),
        ("x.sql.cockroach", true),
        ("x.sql.cockroachdb", true),
        ("x.sql.generic", false),
        ("x.sql.oracle", false),
        ("x.sql.mysql.bak", false),
        ("x.sql.pgx", false),
        ("x.sqlx.mysql", false),
        (".sql.mysql", false),
        ("0001.mysql.sql", true),
        ("0001.mysql", false),
        ("mysql/x.txt", false),
    ];
    // The expectations are authguard's own: each is what it reads.
    for (path, expected) in cases {
        assert_eq!(Language::of(Path::new(path)).is_some(), *expected, "authguard reads {path}: {}", !expected);
    }

    let hooks = manifest();
    let script = "import re, sys\n\
                  files = re.compile(sys.argv[1])\n\
                  for path in sys.stdin.read().splitlines():\n\
                  \x20   print('1' if files.search(path) else '0')\n";
    let paths: String = cases.iter().map(|(p, _)| format!("{p}\n")).collect();
    let mut child = isolated(common::pytools::bin().join("python"))
        .args(["-c", script, &hooks[0].files])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the venv's python");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), paths.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python rejects the regex {:?}: {}",
        hooks[0].files,
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<bool> = String::from_utf8(out.stdout).unwrap().lines().map(|l| l == "1").collect();
    assert_eq!(verdicts.len(), cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .zip(&verdicts)
        .filter(|((_, expected), got)| expected != *got)
        .map(|((path, expected), _)| format!("{path}: expected {}", if *expected { "a match" } else { "no match" }))
        .collect();
    assert!(wrong.is_empty(), "files: {:?} is wrong for:\n{}", hooks[0].files, wrong.join("\n"));
}

#[test]
fn try_repo_fails_on_a_staged_violation() {
    let tmp = tempfile::tempdir().unwrap();
    let hooks = hook_repo(tmp.path());
    let project = project(
        tmp.path(),
        &[("backend/migrations/001_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);\n")],
        &[("backend/migrations/002_mfa.sql", "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n")],
    );
    let out = try_repo(&project, &hooks);
    assert_ne!(out.code, 0, "try-repo passes a staged violation:\n{}", out.output);
    assert!(status_line(&out).ends_with("Failed"), "{}", out.output);
    assert!(out.output.contains("- exit code: 1"), "authguard exits 1 (error findings):\n{}", out.output);
    assert!(out.output.contains("AUTH001"), "{}", out.output);
    assert!(out.output.contains("backend/migrations/002_mfa.sql"), "{}", out.output);
    assert!(out.output.contains("mfa_secret"), "{}", out.output);
}

#[test]
fn try_repo_passes_a_staged_clean_change() {
    let tmp = tempfile::tempdir().unwrap();
    let hooks = hook_repo(tmp.path());
    // The committed violation is not staged, so the hook does not see it:
    // it checks what is being committed, not the whole tree.
    let project = project(
        tmp.path(),
        &[("backend/migrations/000_legacy.sql", "UPDATE userbase SET email = lower(email);\n")],
        &[("backend/migrations/003_plan.sql", "ALTER TABLE userbase ADD COLUMN plan_tier text;\n")],
    );
    let out = try_repo(&project, &hooks);
    assert_eq!(out.code, 0, "try-repo fails a clean change:\n{}", out.output);
    assert!(status_line(&out).ends_with("Passed"), "{}", out.output);
    assert!(!out.output.contains("AUTH0"), "{}", out.output);
}

#[test]
fn try_repo_skips_files_authguard_does_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let hooks = hook_repo(tmp.path());
    let project = project(
        tmp.path(),
        &[("backend/migrations/001_orders.sql", "CREATE TABLE orders (id bigint PRIMARY KEY);\n")],
        &[("README.md", "Adds `ALTER TABLE userbase ADD COLUMN mfa_secret text;` later.\n")],
    );
    let out = try_repo(&project, &hooks);
    assert_eq!(out.code, 0, "{}", out.output);
    assert!(status_line(&out).ends_with("(no files to check)Skipped"), "{}", out.output);
}
