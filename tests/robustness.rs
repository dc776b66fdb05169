//! Bad input: every case must end with a clear message and the right exit
//! status, never a panic, never a hang. Odd files are built at test time in
//! temporary directories; nothing here is committed to the repository.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{codes, Output};
use tempfile::TempDir;

/// How long a run may take before it counts as a hang.
const DEADLINE: Duration = Duration::from_secs(60);

/// Run the binary with a deadline; a run past it is killed and fails the test.
fn run_within(cwd: &Path, args: &[&str], deadline: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_authguard"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the authguard binary runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("authguard {args:?} did not finish within {deadline:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let out = Output {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
    };
    assert!(!out.stderr.contains("panicked"), "authguard {args:?} panicked:\n{}", out.stderr);
    assert!(!out.stderr.contains("stack overflow"), "authguard {args:?} overflowed its stack:\n{}", out.stderr);
    assert!(matches!(out.code, 0..=2), "authguard {args:?} died (status {:?}):\n{}", status, out.stderr);
    (out, elapsed)
}

fn run_timed(cwd: &Path, args: &[&str]) -> Output {
    run_within(cwd, args, DEADLINE).0
}

/// `check --format json`, parsed.
fn check_json(cwd: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_timed(cwd, &args);
    assert!(out.code == 0 || out.code == 1, "exit {}:\n{}", out.code, out.stderr);
    let report = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", out.stdout));
    (out, report)
}

fn tempdir() -> TempDir {
    tempfile::Builder::new().prefix("authguard-robust-").tempdir().unwrap()
}

/// A temporary directory holding `files`, as bytes.
fn tree(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempdir();
    for (path, bytes) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    dir
}

/// The one finding of `code` in a report.
fn finding<'a>(report: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    let all: Vec<&serde_json::Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).collect();
    assert_eq!(all.len(), 1, "one {code} finding expected in {report:#}");
    all[0]
}

fn position(f: &serde_json::Value) -> (u64, u64, u64, u64) {
    (
        f["line"].as_u64().unwrap(),
        f["column"].as_u64().unwrap(),
        f["end_line"].as_u64().unwrap(),
        f["end_column"].as_u64().unwrap(),
    )
}

fn is_root() -> bool {
    // Without libc: the effective uid is the second field of the Uid line.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

const AUTH001_SQL: &[u8] = b"ALTER TABLE userbase ADD COLUMN mfa_secret text;\n";

// ---------------------------------------------------------------- encodings

#[test]
fn invalid_utf8_sql_is_auth010_at_the_bad_byte() {
    let dir =
        tree(&[("backend/bad.sql", b"SELECT 1;\nSELECT 2;\nSELECT '\xff';\n"), ("backend/other.sql", AUTH001_SQL)]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(out.code, 1);
    let f = finding(&report, "AUTH010");
    assert_eq!(f["path"], "backend/bad.sql");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(3), Some(9)), "{f}");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("UTF-8"), "{message}");
    // The rest of the tree is still checked.
    assert_eq!(codes(&report), ["AUTH010", "AUTH001"]);
}

#[test]
fn invalid_utf8_after_multibyte_characters_counts_characters() {
    let dir = tree(&[(
        "backend/bad.sql",
        "-- é\nSELECT 'ü', '".bytes().chain(*b"\xc3\x28';\n").collect::<Vec<u8>>().as_slice(),
    )]);
    let (_, report) = check_json(dir.path(), &[]);
    let f = finding(&report, "AUTH010");
    // `SELECT 'ü', '` is 13 characters: the bad byte is in column 14.
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(2), Some(14)), "{f}");
}

#[test]
fn invalid_utf8_env_file_is_auth010() {
    let dir = tree(&[("backend/.env", b"DB_HOST=main\nDB_NAME=caf\xe9\n")]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(out.code, 1);
    let f = finding(&report, "AUTH010");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(2), Some(12)), "{f}");
}

#[test]
fn binary_sql_with_nul_bytes_is_auth010() {
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend((0..4096u32).map(|i| (i % 251) as u8));
    let dir = tree(&[("backend/data.sql", &bytes)]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(out.code, 1);
    let f = finding(&report, "AUTH010");
    assert!(f["message"].as_str().unwrap().contains("binary"), "{f}");
    assert_eq!(f["line"], 1);
}

#[test]
fn a_nul_byte_past_the_first_kilobytes_is_still_auth010() {
    let mut bytes = b"SELECT 1;\n".repeat(2000);
    bytes.extend_from_slice(b"\0\0\0\x01\x02\x7fELF\n");
    let dir = tree(&[("backend/late_nul.sql", &bytes)]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH010"], "{report:#}");
    assert_eq!(finding(&report, "AUTH010")["line"], 2001);
    assert_eq!(out.code, 1);
}

#[test]
fn a_utf8_bom_does_not_break_parsing() {
    let dir = tree(&[
        ("backend/bom.sql", b"\xef\xbb\xbfALTER TABLE userbase\n  ADD COLUMN mfa_secret text;\n"),
        ("backend/bom.env", b"\xef\xbb\xbf# settings\nAUTH_DB_HOST=auth-db\n"),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH009", "AUTH001"], "no AUTH010 for a BOM");
    // Below the first line the BOM changes nothing.
    assert_eq!(position(finding(&report, "AUTH009")), (2, 1, 2, 13));
    assert_eq!(position(finding(&report, "AUTH001")), (2, 14, 2, 24));
}

#[test]
fn a_utf8_bom_does_not_shift_columns_on_the_first_line() {
    let dir = tree(&[
        ("backend/bom.sql", b"\xef\xbb\xbfALTER TABLE userbase ADD COLUMN mfa_secret text;\n"),
        ("backend/bom.env", b"\xef\xbb\xbfAUTH_DB_HOST=auth-db\n"),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(position(finding(&report, "AUTH009")), (1, 1, 1, 13), "columns as an editor shows them");
    assert_eq!(position(finding(&report, "AUTH001")), (1, 33, 1, 43));
}

#[test]
fn crlf_files_have_the_same_positions() {
    let dir = tree(&[
        ("backend/crlf.sql", b"-- header\r\nALTER TABLE userbase\r\n  ADD COLUMN mfa_secret text;\r\n"),
        ("backend/lf.sql", b"-- header\nALTER TABLE userbase\n  ADD COLUMN mfa_secret text;\n"),
        ("backend/.env", b"DB_HOST=main\r\nAUTH_DB_HOST=auth-db\r\n"),
        (
            "backend/suppressed.sql",
            b"-- authguard-ignore AUTH001: read-only copy for the export job\r\nALTER TABLE userbase ADD COLUMN last_login timestamptz;\r\n",
        ),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH009", "AUTH001", "AUTH001"], "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(position(&findings[0]), (2, 1, 2, 13));
    assert_eq!(findings[1]["path"], "backend/crlf.sql");
    assert_eq!(position(&findings[1]), (3, 14, 3, 24));
    assert_eq!(position(&findings[1]), position(&findings[2]), "CRLF and LF agree");
    assert_eq!(report["summary"]["suppressed"], 1, "a suppression works across CRLF");
    // The human snippet shows no stray carriage returns.
    let out = run_timed(dir.path(), &["check", "--format", "human"]);
    assert!(!out.stdout.contains('\r'), "{:?}", out.stdout);
}

#[test]
fn multibyte_characters_before_a_finding_count_as_one_column() {
    let dir =
        tree(&[("backend/m.sql", "/* é ü 日本 */ ALTER TABLE userbase ADD COLUMN mfa_secret text;\n".as_bytes())]);
    let (_, report) = check_json(dir.path(), &[]);
    // `/* é ü 日本 */ ` is 13 characters.
    assert_eq!(position(finding(&report, "AUTH001")), (1, 46, 1, 56));
}

// ---------------------------------------------------------- empty and odd

#[test]
fn an_empty_sql_file_has_no_finding() {
    let dir = tree(&[("backend/empty.sql", b""), ("backend/.env", b""), ("backend/blank.sql", b"\n\n   \n\t\n")]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["files_scanned"], 3);
    assert_eq!(out.code, 0);
}

#[test]
fn a_sql_file_of_only_comments_has_no_finding() {
    let dir = tree(&[
        (
            "backend/comments.sql",
            b"-- nothing yet\n/* a block\n   comment */\n-- ALTER TABLE userbase ADD COLUMN mfa_secret text;\n",
        ),
        ("backend/comments.env", b"# only a comment\n   # indented\n"),
    ]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(out.code, 0);
}

#[test]
fn an_unterminated_block_comment_is_auth010() {
    let dir = tree(&[(
        "backend/open.sql",
        b"SELECT 1;\n/* never closed\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n",
    )]);
    let (out, report) = check_json(dir.path(), &[]);
    assert!(codes(&report).contains(&"AUTH010".to_string()), "{report:#}");
    assert_eq!(out.code, 1);
}

#[test]
fn malformed_env_lines_are_auth010_at_their_line() {
    let dir = tree(&[("backend/.env", b"DB_HOST=main\nDB_PASSWORD=\"unterminated\n")]);
    let (out, report) = check_json(dir.path(), &[]);
    let f = finding(&report, "AUTH010");
    assert_eq!(f["path"], "backend/.env");
    assert_eq!(out.code, 1);
    let dir = tree(&[("backend/.env", b"DB_HOST=main\n=no_name\nAUTH_DB_HOST=x\n")]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH010", "AUTH009"], "the line after a bad one is still read: {report:#}");
    assert_eq!(finding(&report, "AUTH010")["line"], 2);
}

#[test]
fn a_directory_named_like_a_sql_file_is_walked_not_read() {
    let dir = tree(&[("backend/migrations.sql/001.sql", AUTH001_SQL)]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH001"]);
    assert_eq!(report["summary"]["files_scanned"], 1);
}

// ---------------------------------------------------------------- big input

#[test]
fn fifty_megabytes_of_sql_finish() {
    let dir = tempdir();
    let path = dir.path().join("backend/big.sql");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let line = "INSERT INTO tool_usage_logs (id, user_id, tool, used_at) VALUES (1, 'u', 'search', now());\n";
    let lines = (50 << 20) / line.len();
    let mut text = line.repeat(lines);
    text.push_str("ALTER TABLE userbase ADD COLUMN mfa_secret text;\n");
    std::fs::write(&path, &text).unwrap();
    drop(text);
    // A debug build needs tens of seconds for this; a hang is minutes.
    let (out, took) = run_within(dir.path(), &["check", "--format", "json"], Duration::from_secs(300));
    println!("50 MB of SQL ({} statements) checked in {:.1} s", lines + 1, took.as_secs_f64());
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(codes(&report), ["AUTH001"]);
    assert_eq!(finding(&report, "AUTH001")["line"].as_u64(), Some(lines as u64 + 1));
}

#[test]
fn a_file_over_the_size_limit_is_auth010_without_reading_it() {
    let dir = tempdir();
    let path = dir.path().join("backend/dump.sql");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Sparse: large on paper, cheap on disk.
    std::fs::File::create(&path).unwrap().set_len(authguard::check::MAX_FILE_BYTES + 1).unwrap();
    let (out, took) = run_within(dir.path(), &["check", "--format", "json"], DEADLINE);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let f = finding(&report, "AUTH010");
    assert!(f["message"].as_str().unwrap().contains("too large"), "{f}");
    assert_eq!(out.code, 1);
    assert!(took < Duration::from_secs(20), "the file is not read: {took:?}");
}

#[test]
fn ten_thousand_nested_parentheses_are_auth010_not_a_crash() {
    let mut sql = format!("SELECT {}1{};\n", "(".repeat(10_000), ")".repeat(10_000));
    sql.push_str("ALTER TABLE userbase ADD COLUMN mfa_secret text;\n");
    let unbalanced = format!("SELECT {}1;\n", "(".repeat(10_000));
    let dir = tree(&[("backend/deep.sql", sql.as_bytes()), ("backend/open.sql", unbalanced.as_bytes())]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(out.code, 1);
    let got: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().into(), f["code"].as_str().unwrap().into(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("backend/deep.sql".into(), "AUTH010".into(), 1),
            ("backend/deep.sql".into(), "AUTH001".into(), 2),
            ("backend/open.sql".into(), "AUTH010".into(), 1),
        ],
        "the statement after the deep one is still checked"
    );
}

#[test]
fn a_huge_single_line_is_checked_with_the_right_column() {
    // 2 MB on one line, the violation at its end.
    let repeats = 200_000;
    let mut sql = "SELECT 1; ".repeat(repeats);
    sql.push_str("ALTER TABLE userbase ADD COLUMN mfa_secret text;");
    let dir = tree(&[("backend/line.sql", sql.as_bytes())]);
    let (out, took) = run_within(dir.path(), &["check", "--format", "json"], DEADLINE);
    println!("a 2 MB line checked in {:.1} s", took.as_secs_f64());
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let col = repeats as u64 * 10 + 33;
    assert_eq!(position(finding(&report, "AUTH001")), (1, col, 1, col + 10));
    for format in ["sarif", "github"] {
        let out = run_timed(dir.path(), &["check", "--format", format]);
        assert_eq!(out.code, 1, "{format}");
        assert!(out.stdout.contains(&col.to_string()), "{format}");
    }
}

#[test]
fn a_huge_single_line_renders_in_the_human_format() {
    let repeats = 7_000; // the finding at column 70033
    let mut sql = "SELECT 1; ".repeat(repeats);
    sql.push_str("ALTER TABLE userbase ADD COLUMN mfa_secret text;");
    let dir = tree(&[("backend/line.sql", sql.as_bytes())]);
    let out = run_timed(dir.path(), &["check", "--format", "human"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("AUTH001"), "{}", out.stdout);
    assert!(out.stdout.contains("backend/line.sql:1:70033"), "{}", out.stdout);
}

#[test]
fn a_deep_directory_tree_is_walked() {
    let mut path = String::from("backend");
    for i in 0..120 {
        path.push_str(&format!("/d{i}"));
    }
    path.push_str("/m.sql");
    let dir = tree(&[(path.as_str(), AUTH001_SQL)]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH001"]);
    assert_eq!(report["findings"][0]["path"], path);
}

// ------------------------------------------------ symlinks, unreadable files

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_a_warning_and_the_rest_is_checked() {
    let dir =
        tree(&[("backend/clean.sql", b"SELECT id FROM userbase;\n"), ("backend/sub/keep.env", b"DB_HOST=main\n")]);
    std::os::unix::fs::symlink("..", dir.path().join("backend/sub/loop")).unwrap();
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(out.code, 0, "a loop alone does not fail the check:\n{}", out.stderr);
    assert_eq!(report["summary"]["files_scanned"], 2);
    let warning = out.stderr.lines().find(|l| l.contains("loop")).unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(warning.starts_with("warning:"), "{warning}");
    assert!(warning.contains("backend/sub/loop"), "the warning names the link: {warning}");

    std::fs::write(dir.path().join("backend/bad.sql"), AUTH001_SQL).unwrap();
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH001"], "findings are not duplicated through the loop");
    assert_eq!(out.code, 1);
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_file_is_checked_once_under_its_link_name() {
    let dir = tree(&[("shared/m.sql", AUTH001_SQL)]);
    std::fs::create_dir_all(dir.path().join("backend")).unwrap();
    std::os::unix::fs::symlink("../shared/m.sql", dir.path().join("backend/linked.sql")).unwrap();
    let (_, report) = check_json(dir.path(), &["backend"]);
    assert_eq!(codes(&report), ["AUTH001"]);
    assert_eq!(report["findings"][0]["path"], "backend/linked.sql");
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_in_the_tree_is_auth010() {
    let dir = tree(&[("backend/ok.sql", b"SELECT 1;\n")]);
    std::os::unix::fs::symlink("/nonexistent/authguard/target.sql", dir.path().join("backend/x.sql")).unwrap();
    let (out, report) = check_json(dir.path(), &[]);
    let f = finding(&report, "AUTH010");
    assert_eq!(f["path"], "backend/x.sql");
    assert!(f["message"].as_str().unwrap().contains("cannot read"), "{f}");
    assert_eq!(out.code, 1, "fail closed");
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_named_on_the_command_line_exits_2() {
    let dir = tree(&[]);
    std::os::unix::fs::symlink("/nonexistent/authguard/target.sql", dir.path().join("x.sql")).unwrap();
    let out = run_timed(dir.path(), &["check", "x.sql"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("x.sql") && out.stderr.contains("cannot read"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_auth010() {
    use std::os::unix::fs::PermissionsExt;
    if is_root() {
        println!("skipped: running as root, permissions do not stop reads (dangling symlinks cover this)");
        return;
    }
    let dir = tree(&[
        ("backend/locked/m.sql", AUTH001_SQL),
        ("backend/secret.sql", b"SELECT 1;\n"),
        ("backend/ok.sql", b"SELECT 1;\n"),
    ]);
    let locked = dir.path().join("backend/locked");
    let secret = dir.path().join("backend/secret.sql");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let result = std::panic::catch_unwind(|| check_json(dir.path(), &[]));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (out, report) = result.unwrap();
    let paths: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(codes(&report), ["AUTH010", "AUTH010"], "{report:#}");
    assert!(paths.contains(&"backend/locked") && paths.contains(&"backend/secret.sql"), "{paths:?}");
    assert_eq!(out.code, 1);
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_not_skipped_silently() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[("backend/ok.sql", b"SELECT 1;\n")]);
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.sql");
    std::fs::write(dir.path().join("backend").join(name), AUTH001_SQL).unwrap();
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(report["summary"]["files_scanned"], 2, "{report:#}");
    assert!(!codes(&report).is_empty(), "checked (AUTH001) or reported (AUTH010)");
    assert_eq!(out.code, 1);
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo").arg(path).status().map(|s| s.success()).unwrap_or(false)
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_tree_does_not_hang_the_walk() {
    let dir = tree(&[("backend/ok.sql", AUTH001_SQL)]);
    if !mkfifo(&dir.path().join("backend/pipe.sql")) {
        println!("skipped: mkfifo is not available");
        return;
    }
    let (out, _) = run_within(dir.path(), &["check", "--format", "json"], Duration::from_secs(30));
    assert_eq!(out.code, 1);
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_does_not_hang() {
    let dir = tree(&[]);
    if !mkfifo(&dir.path().join("pipe.sql")) {
        println!("skipped: mkfifo is not available");
        return;
    }
    let (out, _) = run_within(dir.path(), &["check", "pipe.sql"], Duration::from_secs(15));
    assert!(out.code == 1 || out.code == 2);
    assert!(out.stderr.contains("pipe.sql") || out.stdout.contains("pipe.sql"), "{}{}", out.stdout, out.stderr);
}

// --------------------------------------------------------- malformed policy

/// Run `policy --policy bad.yaml` and `check --policy bad.yaml` on `text`:
/// both exit 2 with `bad.yaml:line:col` in the first line of stderr.
fn assert_bad_policy(text: &[u8], at: Option<(usize, usize)>, words: &[&str]) {
    let dir = tree(&[("bad.yaml", text), ("backend/a.sql", b"SELECT 1;\n")]);
    for cmd in ["policy", "check"] {
        let out = run_timed(dir.path(), &[cmd, "--policy", "bad.yaml"]);
        assert_eq!(out.code, 2, "{cmd}: {}", out.stderr);
        assert!(out.stdout.trim().is_empty(), "{cmd}: {}", out.stdout);
        let first = out.stderr.lines().next().unwrap_or("");
        assert!(first.starts_with("error:") && first.contains("bad.yaml"), "{cmd}: {first}");
        if let Some((line, col)) = at {
            assert!(first.contains(&format!("bad.yaml:{line}:{col}:")), "{cmd}: expected {line}:{col}: {first}");
        }
        for w in words {
            assert!(out.stderr.contains(w), "{cmd}: stderr lacks {w:?}:\n{}", out.stderr);
        }
    }
}

#[test]
fn a_truncated_policy_is_an_error_with_its_position() {
    let default = authguard::policy::DEFAULT_POLICY;
    // Cut inside a flow list: the file ends before the list does.
    let cut = default.find("tables: [users").unwrap() + "tables: [users, sess".len();
    let text = &default[..cut];
    let lines = text.lines().count();
    assert_bad_policy(text.as_bytes(), None, &["bad.yaml:"]);
    let dir = tree(&[("bad.yaml", text.as_bytes())]);
    let out = run_timed(dir.path(), &["policy", "--policy", "bad.yaml"]);
    let first = out.stderr.lines().next().unwrap();
    let line: usize = first.split("bad.yaml:").nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
    assert!(line >= lines - 1 && line <= lines + 1, "the error is at the cut (line {lines}): {first}");
    // Cut in the middle of a key.
    let cut = default.find("prefixes: [AUTH_DB_]").unwrap() + 5;
    let text = &default[..cut];
    assert_bad_policy(text.as_bytes(), Some((text.lines().count(), 7)), &["env"]);
}

#[test]
fn a_policy_indented_with_tabs_is_an_error() {
    assert_bad_policy(b"rules:\n\tAUTH001: off\n", Some((2, 1)), &["cannot start any token"]);
    assert_bad_policy(b"rules:\n  AUTH001:\toff\n  AUTH002:\n\t\tseverity: off\n", Some((4, 1)), &[]);
}

#[test]
fn a_list_where_a_map_is_expected_is_an_error() {
    assert_bad_policy(b"services: [auth_service, backend]\n", Some((1, 11)), &["services", "expected a map"]);
    assert_bad_policy(b"version: 1\nrules:\n  - AUTH001\n", Some((3, 3)), &["rules", "expected a map"]);
    assert_bad_policy(b"- version: 1\n", Some((1, 1)), &["sequence"]);
    assert_bad_policy(b"just a sentence\n", Some((1, 1)), &["string"]);
}

#[test]
fn a_policy_that_is_not_utf8_or_not_a_file_is_an_error() {
    assert_bad_policy(b"rules:\n  AUTH001: off # caf\xe9\n", None, &["UTF-8"]);
    let dir = tree(&[("backend/a.sql", b"SELECT 1;\n")]);
    std::fs::create_dir(dir.path().join("policy.yaml")).unwrap();
    let out = run_timed(dir.path(), &["check", "--policy", "policy.yaml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("policy.yaml"), "{}", out.stderr);
}

#[test]
fn deeply_nested_or_self_referencing_policies_do_not_crash() {
    let deep = format!("rules: {}\n", "{a: ".repeat(10_000));
    assert_bad_policy(deep.as_bytes(), None, &[]);
    let deep = format!("rules: {}\n", "[".repeat(10_000));
    assert_bad_policy(deep.as_bytes(), None, &[]);
    // Anchors and aliases multiplying: finishes fast, rejected or accepted, never a hang.
    let mut bomb = String::from("sync_code:\n  paths: &a [\"x/**\", \"y/**\", \"z/**\"]\n");
    bomb.push_str("fields: &b {auth_owned: {names: *a, contains: *a, except: *a}, password: {names: *a}}\n");
    let dir = tree(&[("bomb.yaml", bomb.as_bytes())]);
    let (out, took) = run_within(dir.path(), &["policy", "--policy", "bomb.yaml"], Duration::from_secs(30));
    assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
    assert!(took < Duration::from_secs(20));
}

#[test]
fn duplicate_keys_in_a_policy_are_an_error() {
    assert_bad_policy(b"rules:\n  AUTH001: off\n  AUTH001: warning\n", Some((3, 3)), &["AUTH001"]);
    assert_bad_policy(b"rules:\n  AUTH001: off\nrules:\n  AUTH002: off\n", Some((3, 1)), &["rules"]);
}

#[test]
fn an_error_right_after_a_semicolon_does_not_loop() {
    // On a guarded table the broken statement is a finding...
    let dir = tree(&[("backend/h.sql", b"SELECT 1;FROM userbase")]);
    let (out, _) = run_within(dir.path(), &["check", "--format", "json"], Duration::from_secs(60));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(codes(&serde_json::from_str(&out.stdout).unwrap()), vec!["AUTH010"]);
    // ...on another table it is counted as unread, and the run still ends.
    let dir = tree(&[("backend/h.sql", b"SELECT 1;FROM x")]);
    let (out, _) = run_within(dir.path(), &["check", "--format", "json"], Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["summary"]["unread_statements"], 1);
}

#[test]
fn a_huge_operator_chain_is_auth010_not_a_stack_overflow() {
    let chain = vec!["a = 1"; 300_000].join(" AND ");
    let sql = format!("SELECT * FROM t WHERE {chain};\nDROP TABLE sessions;\n");
    let dir = tree(&[("backend/b.sql", sql.as_bytes())]);
    let (out, _) = run_within(dir.path(), &["check", "--format", "json"], Duration::from_secs(120));
    assert!(!out.stderr.contains("overflow"), "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(codes(&report), vec!["AUTH010", "AUTH002"]);
    assert!(report["findings"][0]["message"].as_str().unwrap().contains("too complex"));
}

/// Deep Rust and Python: each file is either analysed or AUTH010 "too
/// deeply nested", never a stack overflow; the files beside them are
/// still checked.
#[test]
fn deeply_nested_rust_and_python_are_auth010_or_analysed_never_a_crash() {
    let n = 10_000;
    let rust: Vec<(String, String)> = vec![
        ("parens.rs".into(), format!("fn f() {{ let x = {}1{}; }}\n", "(".repeat(n), ")".repeat(n))),
        ("blocks.rs".into(), format!("fn f() {{ {}{} }}\n", "{".repeat(n), "}".repeat(n))),
        ("chain.rs".into(), format!("fn f() {{ x{}; }}\n", ".a()".repeat(100_000))),
        ("sum.rs".into(), format!("fn f() {{ let x = 1{}; }}\n", " + 1".repeat(200_000))),
        // Below the limit but costlier than their estimate: the large stack takes them.
        ("closures.rs".into(), format!("fn f() {{ let x = {}1; }}\n", "|a| ".repeat(7_200))),
        ("unary.rs".into(), format!("fn f() {{ let x = {}a; }}\n", "!".repeat(14_400))),
        ("generics.rs".into(), format!("type T = {}u8{};\n", "Vec<".repeat(900), ">".repeat(900))),
        ("else.rs".into(), format!("fn f() {{ if a {{ 1 }}{} else {{ 2 }} }}\n", " else if a { 1 }".repeat(3_000))),
        ("casts.rs".into(), format!("fn f() {{ let x = a{}; }}\n", " as u8".repeat(100_000))),
        ("calls.rs".into(), format!("fn f() {{ let x = a{}; }}\n", "()".repeat(100_000))),
    ];
    let python: Vec<(String, String)> = vec![
        ("parens.py".into(), format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n))),
        ("sum.py".into(), format!("x = 1{}\n", " + 1".repeat(300_000))),
        ("chain.py".into(), format!("x = a{}\n", ".b()".repeat(100_000))),
        ("lambdas.py".into(), format!("x = {}1\n", "lambda: ".repeat(6_000))),
        ("nots.py".into(), format!("x = {}a\n", "not ".repeat(7_000))),
    ];
    let sibling = "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n";
    let mut files: Vec<(String, Vec<u8>)> =
        rust.into_iter().chain(python).map(|(name, text)| (format!("backend/{name}"), text.into_bytes())).collect();
    files.push(("backend/z.sql".into(), sibling.as_bytes().to_vec()));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (p.as_str(), t.as_slice())).collect();
    let dir = tree(&refs);
    let (out, _) = run_within(dir.path(), &["check", "--format", "json"], Duration::from_secs(120));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let got: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["code"].as_str().unwrap().to_string()))
        .collect();
    for deep in
        ["parens.rs", "blocks.rs", "chain.rs", "sum.rs", "casts.rs", "calls.rs", "parens.py", "sum.py", "chain.py"]
    {
        let path = format!("backend/{deep}");
        assert!(got.contains(&(path.clone(), "AUTH010".into())), "{path} is AUTH010: {got:?}");
    }
    for fine in ["closures.rs", "unary.rs", "generics.rs", "else.rs", "lambdas.py", "nots.py"] {
        assert!(!got.iter().any(|(p, _)| p.ends_with(fine)), "{fine} is analysed: {got:?}");
    }
    assert!(got.contains(&("backend/z.sql".into(), "AUTH001".into())), "{got:?}");
    assert_eq!(report["summary"]["files_scanned"], 16);
}
