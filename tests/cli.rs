//! The command line of the built binary: exit codes, subcommands, flags,
//! policy discovery and errors, ignore files, `--base`.
//!
//! Every tree is built in a temporary directory (outside any repository
//! unless the test makes one), so nothing here depends on the checkout.

mod common;

use std::path::Path;
use std::process::Command;

use authguard::rules;
use common::{codes, git, json, places, root, run, Output};
use tempfile::TempDir;

// ---------------------------------------------------------------- helpers

/// A temporary directory holding `files` (path, contents).
fn tree(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::Builder::new().prefix("authguard-cli-").tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

fn write_files(base: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let full = base.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
}

fn git_init(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// `check --format json` with extra arguments, parsed.
fn check_json(cwd: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(cwd, &args);
    assert!(out.code == 0 || out.code == 1, "exit {}:\n{}", out.code, out.stderr);
    let report = json(&out);
    (out, report)
}

/// The finding paths of a report, in order.
fn paths(report: &serde_json::Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
}

fn files_scanned(report: &serde_json::Value) -> u64 {
    report["summary"]["files_scanned"].as_u64().unwrap()
}

/// The policy `authguard policy` printed, parsed from its YAML.
fn resolved(out: &Output) -> serde_json::Value {
    assert_eq!(out.code, 0, "{}", out.stderr);
    yaml_serde::from_str(&out.stdout).unwrap_or_else(|e| panic!("`policy` prints YAML ({e}):\n{}", out.stdout))
}

/// A rule's severity in a resolved policy: a bare severity or `{severity: ...}`.
fn rule_severity(policy: &serde_json::Value, code: &str) -> String {
    let setting = &policy["rules"][code];
    let severity = setting.as_str().or_else(|| setting["severity"].as_str());
    severity.unwrap_or_else(|| panic!("no severity for {code} in {setting}")).to_string()
}

fn assert_no_panic(out: &Output) {
    assert!(!out.stderr.contains("panicked"), "the binary panicked:\n{}", out.stderr);
}

/// Assert an exit status of 2, no report on stdout, and every `needle` in stderr.
fn assert_trouble(out: &Output, needles: &[&str]) {
    assert_no_panic(out);
    assert_eq!(out.code, 2, "expected exit 2\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert!(out.stdout.trim().is_empty(), "nothing on stdout on exit 2, got:\n{}", out.stdout);
    for needle in needles {
        assert!(out.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", out.stderr);
    }
}

const CLEAN_SQL: &str = "CREATE TABLE userbase (id uuid PRIMARY KEY, email text, full_name text);\n";
const AUTH001_SQL: &str = "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n";
const AUTH008_SQL: &str = "SELECT id FROM users;\n";

// ------------------------------------------------------------ exit codes

#[test]
fn check_exits_0_on_a_clean_tree() {
    let dir = tree(&[
        ("backend/migrations/001.sql", CLEAN_SQL),
        ("backend/.env", "DATABASE_URL=postgres://main\nAUTH_SERVICE_URL=http://auth:8001\n"),
        ("auth_service/.env", "AUTH_DATABASE_URL=postgres://auth\n"),
    ]);
    let out = run(dir.path(), &["check"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("No findings in 3 files."), "{}", out.stdout);
}

#[test]
fn check_exits_1_on_a_violation() {
    let dir = tree(&[("backend/migrations/001.sql", CLEAN_SQL), ("backend/migrations/002.sql", AUTH001_SQL)]);
    let out = run(dir.path(), &["check"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("AUTH001"), "{}", out.stdout);
    assert!(out.stdout.contains("Found 1 error and 0 warnings in 2 files."), "{}", out.stdout);
}

#[test]
fn check_exits_0_when_only_warnings_are_found() {
    // An unused suppression is AUTH012, a warning by default.
    let dir = tree(&[("backend/a.sql", "-- authguard-ignore AUTH008: reads nothing foreign\nSELECT 1;\n")]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH012"]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(out.code, 0);
}

#[test]
fn check_default_path_is_the_current_directory() {
    let dir = tree(&[("a.sql", AUTH001_SQL)]);
    let explicit = run(dir.path(), &["check", ".", "--format", "json"]);
    let implicit = run(dir.path(), &["check", "--format", "json"]);
    assert_eq!(explicit.code, 1);
    assert_eq!(explicit.stdout, implicit.stdout);
}

#[test]
fn check_exits_2_on_a_nonexistent_path() {
    let dir = tree(&[("a.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check", "does/not/exist"]);
    assert_trouble(&out, &["cannot read", "does/not/exist"]);
    // Also when given next to a good path: the check cannot be made as asked.
    let out = run(dir.path(), &["check", "a.sql", "missing.sql"]);
    assert_trouble(&out, &["missing.sql"]);
}

#[test]
fn check_exits_2_on_an_invalid_policy_file() {
    let dir = tree(&[("a.sql", CLEAN_SQL), ("bad.yaml", "version: 1\nbogus: 3\n")]);
    let out = run(dir.path(), &["check", "--policy", "bad.yaml"]);
    assert_trouble(&out, &["bad.yaml:2:1", "bogus"]);
}

#[test]
fn check_exits_2_on_a_missing_policy_file() {
    let dir = tree(&[("a.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check", "--policy", "nowhere.yaml"]);
    assert_trouble(&out, &["nowhere.yaml", "cannot read"]);
}

#[test]
fn check_exits_2_on_an_unknown_base_ref() {
    let dir = tree(&[("a.sql", CLEAN_SQL)]);
    git_init(dir.path());
    commit_all(dir.path(), "base");
    let out = run(dir.path(), &["check", "--base", "no-such-branch"]);
    assert_trouble(&out, &["unknown git ref", "no-such-branch"]);
}

#[test]
fn check_exits_2_on_base_outside_a_git_repository() {
    let dir = tree(&[("a.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check", "--base", "main"]);
    assert_trouble(&out, &["--base", "git repository"]);
}

#[test]
fn check_exits_2_on_an_invalid_exclude_glob() {
    let dir = tree(&[("a.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check", "--exclude", "legacy/[abc"]);
    assert_trouble(&out, &["invalid --exclude glob", "legacy/[abc"]);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tree(&[("a.sql", CLEAN_SQL)]);
    assert_trouble(&run(dir.path(), &["check", "--format", "xml"]), &["xml", "--format"]);
    assert_trouble(&run(dir.path(), &["check", "--no-such-flag"]), &["--no-such-flag"]);
    assert_trouble(&run(dir.path(), &["frobnicate"]), &["frobnicate"]);
    assert_trouble(&run(dir.path(), &[]), &["Usage"]);
}

#[test]
fn version_and_help_exit_0() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["--version"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", out.stdout);
    let out = run(dir.path(), &["check", "--help"]);
    assert_eq!(out.code, 0);
    for flag in ["--policy", "--format", "--output", "--base", "--no-ignore", "--exclude"] {
        assert!(out.stdout.contains(flag), "check --help lacks {flag}:\n{}", out.stdout);
    }
}

// ------------------------------------------------------ rules and explain

#[test]
fn rules_lists_all_twelve_codes_with_name_and_severity() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["rules"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 12, "{}", out.stdout);
    let expected = [
        ("AUTH001", "auth-field-on-mirror"),
        ("AUTH002", "foreign-table-schema"),
        ("AUTH003", "auth-field-write"),
        ("AUTH004", "direct-password-verification"),
        ("AUTH005", "password-handling"),
        ("AUTH006", "direct-user-creation"),
        ("AUTH007", "local-session-validation"),
        ("AUTH008", "foreign-table-access"),
        ("AUTH009", "foreign-db-credentials"),
        ("AUTH010", "unparsable-file"),
        ("AUTH011", "unjustified-suppression"),
        ("AUTH012", "unused-suppression"),
    ];
    for (line, (code, name)) in lines.iter().zip(expected) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], code, "{line}");
        assert_eq!(words[1], name, "{line}");
        let severity = if code == "AUTH012" { "warning" } else { "error" };
        assert_eq!(words[2], severity, "{line}");
        assert!(words.len() > 3, "a summary follows: {line}");
    }
}

#[test]
fn rules_json_is_an_array_of_the_catalogue() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 12);
    for (item, rule) in list.iter().zip(rules::ALL) {
        assert_eq!(item["code"], rule.code);
        assert_eq!(item["name"], rule.name);
        assert_eq!(item["severity"], rule.default_severity.as_str());
        assert!(!item["summary"].as_str().unwrap().is_empty());
        let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "name", "severity", "summary"]);
    }
}

#[test]
fn explain_by_code_and_by_name_print_the_docs() {
    let dir = tree(&[]);
    let by_code = run(dir.path(), &["explain", "AUTH001"]);
    let by_name = run(dir.path(), &["explain", "auth-field-on-mirror"]);
    let lower = run(dir.path(), &["explain", "auth001"]);
    for out in [&by_code, &by_name, &lower] {
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    assert_eq!(by_code.stdout, by_name.stdout);
    assert_eq!(by_code.stdout, lower.stdout);
    let text = &by_code.stdout;
    assert!(text.starts_with("AUTH001 auth-field-on-mirror"), "{text}");
    for section in ["## What it does", "## Why is this bad?", "## Example", "Use instead", "## How to fix"] {
        assert!(text.contains(section), "explain lacks {section:?}:\n{text}");
    }
    assert!(text.contains("mfa_secret"), "the bad example is shown:\n{text}");
}

#[test]
fn explain_covers_every_rule() {
    let dir = tree(&[]);
    for rule in rules::ALL {
        let out = run(dir.path(), &["explain", rule.code]);
        assert_eq!(out.code, 0, "{}: {}", rule.code, out.stderr);
        for section in ["## What it does", "## Why is this bad?", "## Example", "## How to fix"] {
            assert!(out.stdout.contains(section), "{} lacks {section:?}", rule.code);
        }
        assert!(out.stdout.contains(rule.default_severity.as_str()));
    }
}

#[test]
fn explain_an_unknown_rule_exits_2() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["explain", "NOPE"]);
    assert_trouble(&out, &["unknown rule", "NOPE", "authguard rules"]);
}

// ------------------------------------------------------------------ policy

#[test]
fn policy_prints_the_resolved_default_and_exits_0() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["policy"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = out.stdout.lines().next().unwrap_or("");
    assert!(first.starts_with('#') && first.contains("bundled default policy") && first.contains("valid"), "{first}");
    let policy = resolved(&out);
    assert_eq!(policy["version"], 1);
    assert_eq!(policy["sql"]["dialect"], "postgres");
    let tables = |db: &str| policy["databases"][db]["tables"].as_array().unwrap().clone();
    assert_eq!(
        tables("auth"),
        ["users", "sessions", "oauth_tokens", "refresh_tokens", "password_resets", "login_attempts"]
    );
    assert_eq!(tables("main"), ["userbase", "secrets", "tool_usage_logs", "agent_sessions", "corpus_data"]);
    assert_eq!(policy["services"]["auth_service"]["database"], "auth");
    assert_eq!(policy["services"]["backend"]["database"], "main");
    assert_eq!(policy["services"]["backend"]["default"], true);
    assert_eq!(policy["mirror"]["table"], "userbase");
    assert_eq!(policy["mirror"]["source"], "users");
    assert!(out.stdout.contains("webhooks"), "sync code is shown");
    for rule in rules::ALL {
        assert_eq!(rule_severity(&policy, rule.code), rule.default_severity.as_str(), "{}", rule.code);
    }
}

#[test]
fn policy_shows_the_sql_dialects_detection_and_their_schema() {
    let dir = tree(&[(
        "p.yaml",
        "sql:\n  dialect: cockroach\n  detect: false\n  dialects:\n    - paths: [\"legacy/**\"]\n      dialect: mariadb\n",
    )]);
    let policy = resolved(&run(dir.path(), &["policy", "--policy", "p.yaml"]));
    assert_eq!(policy["sql"]["dialect"], "cockroach");
    assert_eq!(policy["sql"]["detect"], false);
    assert_eq!(policy["sql"]["dialects"], serde_json::json!([{ "paths": ["legacy/**"], "dialect": "mysql" }]));
    let bundled = resolved(&run(dir.path(), &["policy"]));
    assert_eq!(bundled["sql"]["detect"], true, "detection is on by default");

    let out = run(dir.path(), &["policy", "--schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let text = schema.to_string();
    for words in ["first entry whose globs match", "names a database", "cockroach", "mariadb"] {
        assert!(text.contains(words), "the schema documents {words:?}:\n{text}");
    }
}

#[test]
fn policy_output_is_itself_a_valid_policy() {
    let dir = tree(&[("custom.yaml", TESTS_AS_WARNING)]);
    for source in [None, Some("custom.yaml")] {
        let mut args = vec!["policy"];
        args.extend(source.map(|p| ["--policy", p]).into_iter().flatten());
        let out = run(dir.path(), &args);
        let first = resolved(&out);
        assert!(out.stdout.contains("hashed_password"), "field ownership is shown:\n{}", out.stdout);
        std::fs::write(dir.path().join("resolved.yaml"), &out.stdout).unwrap();
        let again = run(dir.path(), &["policy", "--policy", "resolved.yaml"]);
        assert_eq!(resolved(&again), first, "{source:?}: resolving the resolved policy changes nothing");
    }
}

/// A policy error: the text, the `line:col` it must be reported at, and words of the message.
struct BadPolicy {
    what: &'static str,
    text: &'static str,
    at: (usize, usize),
    words: &'static [&'static str],
}

const BAD_POLICIES: &[BadPolicy] = &[
    BadPolicy {
        what: "YAML syntax: a flow mapping closed by a bracket",
        text: "version: 1\nrules: {AUTH001: off]\n",
        at: (2, 21),
        words: &["did not find expected ',' or '}'"],
    },
    BadPolicy {
        what: "YAML syntax: a key indented less than its siblings",
        text: "version: 1\nrules:\n  AUTH001: off\n AUTH002: off\n",
        at: (4, 2),
        words: &["did not find expected key"],
    },
    BadPolicy {
        what: "YAML syntax: a reserved indicator starting a value",
        text: "rules:\n  AUTH001: @off\n",
        at: (2, 12),
        words: &["cannot start any token"],
    },
    BadPolicy {
        what: "YAML syntax: a tab used for indentation",
        text: "rules:\n\tAUTH001: off\n",
        at: (2, 1),
        words: &["cannot start any token"],
    },
    BadPolicy {
        what: "an unknown top-level key",
        text: "version: 1\nrules:\n  AUTH001: off\nbogus: 3\n",
        at: (4, 1),
        words: &["unknown field `bogus`"],
    },
    BadPolicy {
        what: "an unknown nested key",
        text: "services:\n  backend:\n    database: main\n    defualt: true\n",
        at: (4, 5),
        words: &["unknown field `defualt`", "services.backend"],
    },
    BadPolicy {
        what: "a wrong type (a string for the version)",
        text: "version: \"one\"\n",
        at: (1, 10),
        words: &["version", "invalid type"],
    },
    BadPolicy {
        what: "a wrong type (a string for a list of globs)",
        text: "sync_code:\n  paths: \"webhooks/**\"\n",
        at: (2, 10),
        words: &["sync_code.paths", "expected a sequence"],
    },
    BadPolicy {
        what: "an unsupported version",
        text: "version: 2\n",
        at: (1, 10),
        words: &["unsupported policy version 2"],
    },
    BadPolicy {
        what: "an unknown rule code under rules:",
        text: "rules:\n  AUTH001: off\n  AUTH999: warning\n",
        at: (3, 3),
        words: &["unknown rule `AUTH999`"],
    },
    BadPolicy {
        what: "an invalid glob in a service",
        text: "services:\n  auth_service:\n    database: auth\n    paths:\n      - \"auth/**\"\n      - \"auth_[svc/**\"\n  backend:\n    database: main\n    default: true\n",
        at: (6, 9),
        words: &["invalid glob `auth_[svc/**`"],
    },
    BadPolicy {
        what: "an invalid glob in a per-path severity override",
        text: "rules:\n  AUTH008:\n    paths:\n      - paths: [\"tests/**\", \"fixtures/[x\"]\n        severity: warning\n",
        at: (4, 29),
        words: &["invalid glob `fixtures/[x`"],
    },
    BadPolicy {
        what: "a service naming an unknown database",
        text: "services:\n  backend:\n    database: mian\n    default: true\n",
        at: (3, 15),
        words: &["unknown database `mian`", "backend"],
    },
    BadPolicy {
        what: "a table owned by two databases",
        text: "databases:\n  auth:\n    tables: [users]\n  main:\n    tables: [userbase, users]\n",
        at: (5, 24),
        words: &["`users` is already owned by database `auth`"],
    },
    BadPolicy {
        what: "an invalid glob in a per-path dialect",
        text: "sql:\n  dialects:\n    - paths: [\"legacy/**\", \"db/{mysql\"]\n      dialect: mysql\n",
        at: (3, 28),
        words: &["invalid glob `db/{mysql`", "globs use"],
    },
    BadPolicy {
        what: "an unknown dialect in a per-path entry",
        text: "sql:\n  dialects:\n    - paths: [\"legacy/**\"]\n      dialect: oracle\n",
        at: (4, 16),
        words: &["sql.dialects[0].dialect", "unknown variant `oracle`", "mysql"],
    },
    BadPolicy {
        what: "a dialect entry without globs",
        text: "sql:\n  dialects:\n    - dialect: mysql\n",
        at: (3, 7),
        words: &["missing field `paths`"],
    },
    BadPolicy {
        what: "a list where a map is expected",
        text: "databases: [auth, main]\n",
        at: (1, 12),
        words: &["databases", "expected a map"],
    },
];

#[test]
fn policy_errors_name_the_file_line_and_column() {
    let dir = tree(&[]);
    for case in BAD_POLICIES {
        std::fs::write(dir.path().join("bad.yaml"), case.text).unwrap();
        for args in [&["policy", "--policy", "bad.yaml"][..], &["check", "--policy", "bad.yaml"][..]] {
            let out = run(dir.path(), args);
            assert_no_panic(&out);
            assert_eq!(out.code, 2, "{}: {args:?} exits 2:\n{}", case.what, out.stderr);
            assert!(out.stdout.trim().is_empty(), "{}: no report on stdout", case.what);
            let first = out.stderr.lines().next().unwrap_or("");
            let at = format!("bad.yaml:{}:{}:", case.at.0, case.at.1);
            assert!(first.starts_with("error: invalid policy "), "{}: {first}", case.what);
            assert!(first.contains(&at), "{}: expected {at} in the first line:\n{}", case.what, out.stderr);
            for word in case.words {
                assert!(out.stderr.contains(word), "{}: stderr lacks {word:?}:\n{}", case.what, out.stderr);
            }
        }
    }
}

#[test]
fn policy_error_for_a_bad_severity_points_at_the_value() {
    let dir = tree(&[]);
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("rules:\n  AUTH001: lowd\n", (2, 12), "lowd"),
        ("rules:\n  AUTH008:\n    paths:\n      - paths: [\"tests/**\"]\n        severity: loud\n", (5, 19), "loud"),
        ("rules:\n  AUTH008:\n    severty: warning\n", (3, 5), "severty"),
    ];
    for (text, (line, col), word) in cases {
        std::fs::write(dir.path().join("bad.yaml"), text).unwrap();
        let out = run(dir.path(), &["policy", "--policy", "bad.yaml"]);
        assert_eq!(out.code, 2);
        assert!(out.stderr.contains(&format!("bad.yaml:{line}:{col}:")), "{text}\n{}", out.stderr);
        assert!(out.stderr.contains(word), "the message names {word:?}:\n{}", out.stderr);
        assert!(!out.stderr.contains("untagged enum"), "no serde internals:\n{}", out.stderr);
    }
}

#[test]
fn policy_error_shows_a_snippet_with_a_help() {
    let dir = tree(&[("bad.yaml", "rules:\n  AUTH001: off\n  AUTH999: warning\n")]);
    let out = run(dir.path(), &["policy", "--policy", "bad.yaml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("AUTH999: warning"), "the offending line is shown:\n{}", out.stderr);
    assert!(out.stderr.contains("help:"), "{}", out.stderr);
}

#[test]
fn policy_schema_is_json_with_properties() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["policy", "--schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).expect("the schema is JSON");
    let props = schema["properties"].as_object().expect("a properties object");
    for key in ["version", "sql", "databases", "services", "fields", "mirror", "sync_code", "functions", "rules"] {
        assert!(props.contains_key(key), "schema lacks property {key}");
    }
}

#[test]
fn policy_accepts_a_partial_policy_and_merges_the_default() {
    let dir = tree(&[("p.yaml", "rules:\n  AUTH001: off\n  AUTH008: warning\n")]);
    let out = run(dir.path(), &["policy", "--policy", "p.yaml"]);
    let policy = resolved(&out);
    assert!(out.stdout.lines().next().unwrap().contains("p.yaml"), "names where it came from:\n{}", out.stdout);
    assert_eq!(rule_severity(&policy, "AUTH001"), "off");
    assert_eq!(rule_severity(&policy, "AUTH008"), "warning");
    assert_eq!(rule_severity(&policy, "AUTH002"), "error");
    assert_eq!(rule_severity(&policy, "AUTH012"), "warning");
    assert_eq!(policy["mirror"]["table"], "userbase", "defaults fill the rest");
}

#[test]
fn policy_accepts_an_empty_or_comment_only_file() {
    let dir = tree(&[("empty.yaml", ""), ("comments.yaml", "# nothing to change\n---\n")]);
    for file in ["empty.yaml", "comments.yaml"] {
        let out = run(dir.path(), &["policy", "--policy", file]);
        assert_eq!(rule_severity(&resolved(&out), "AUTH001"), "error", "{file}");
    }
}

// -------------------------------------------------------------------- init

#[test]
fn init_writes_a_policy_that_validates_and_refuses_to_overwrite() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = dir.path().join("authguard.yaml");
    let written = std::fs::read_to_string(&path).expect("init wrote authguard.yaml");
    assert!(written.lines().any(|l| l.trim_start().starts_with('#')), "the starter policy is commented");
    assert!(written.contains("userbase"));

    let out = run(dir.path(), &["policy", "--policy", "authguard.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("valid"));

    // A second init must not overwrite (the user may have edited it).
    std::fs::write(&path, "# edited\nrules:\n  AUTH001: off\n").unwrap();
    let out = run(dir.path(), &["init"]);
    assert_trouble(&out, &["authguard.yaml", "--force"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# edited\nrules:\n  AUTH001: off\n");

    let out = run(dir.path(), &["init", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
}

#[test]
fn init_to_another_path() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["init", "conf/policy.yaml"]);
    // The directory does not exist: either created or a clear error, never a panic.
    assert_no_panic(&out);
    if out.code == 2 {
        assert!(out.stderr.contains("conf/policy.yaml"), "{}", out.stderr);
    } else {
        assert_eq!(out.code, 0);
        assert!(dir.path().join("conf/policy.yaml").is_file());
    }
    let out = run(dir.path(), &["init", "other.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(run(dir.path(), &["policy", "--policy", "other.yaml"]).code, 0);
}

#[test]
fn the_init_policy_finds_what_the_bundled_default_finds() {
    let dir = tree(&[
        ("backend/m.sql", "ALTER TABLE userbase ADD COLUMN mfa_secret text;\nSELECT * FROM login_attempts;\n"),
        ("backend/.env", "AUTH_DB_HOST=x\n"),
        ("auth_service/m.sql", "ALTER TABLE userbase ADD COLUMN x int;\n"),
    ]);
    let (_, bundled) = check_json(dir.path(), &[]);
    assert_eq!(run(dir.path(), &["init", "starter.yaml"]).code, 0);
    let (_, from_file) = check_json(dir.path(), &["--policy", "starter.yaml"]);
    assert_eq!(bundled["findings"], from_file["findings"]);
    assert_eq!(codes(&bundled), ["AUTH002", "AUTH009", "AUTH001", "AUTH008"]);
}

// -------------------------------------------------------- policy discovery

#[test]
fn an_authguard_yaml_in_the_current_directory_is_used() {
    let dir = tree(&[("backend/m.sql", AUTH001_SQL)]);
    assert_eq!(run(dir.path(), &["check"]).code, 1);
    std::fs::write(dir.path().join("authguard.yaml"), "rules:\n  AUTH001: off\n").unwrap();
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(out.code, 0);
    let out = run(dir.path(), &["policy"]);
    assert!(out.stdout.lines().next().unwrap().contains("authguard.yaml"), "{}", out.stdout);
    assert_eq!(rule_severity(&resolved(&out), "AUTH001"), "off");
}

#[test]
fn a_dot_authguard_yaml_is_used_too() {
    let dir = tree(&[("backend/m.sql", AUTH001_SQL), (".authguard.yaml", "rules:\n  AUTH001: warning\n")]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH001"]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(out.code, 0);
}

#[test]
fn authguard_yaml_wins_over_dot_authguard_yaml() {
    let dir = tree(&[
        ("backend/m.sql", AUTH001_SQL),
        ("authguard.yaml", "rules:\n  AUTH001: off\n"),
        (".authguard.yaml", "rules:\n  AUTH001: warning\n"),
    ]);
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), Vec::<String>::new());
}

#[test]
fn an_explicit_policy_wins_over_a_discovered_one() {
    let dir = tree(&[
        ("backend/m.sql", AUTH001_SQL),
        ("authguard.yaml", "rules:\n  AUTH001: off\n"),
        ("strict.yaml", "rules:\n  AUTH001: error\n"),
    ]);
    let (out, report) = check_json(dir.path(), &["--policy", "strict.yaml"]);
    assert_eq!(codes(&report), ["AUTH001"]);
    assert_eq!(out.code, 1);
}

#[test]
fn a_broken_discovered_policy_is_an_error_not_ignored() {
    let dir = tree(&[("backend/m.sql", CLEAN_SQL), ("authguard.yaml", "rules:\n  AUTH042: off\n")]);
    let out = run(dir.path(), &["check"]);
    assert_trouble(&out, &["authguard.yaml:2:3", "AUTH042"]);
}

#[test]
fn in_a_git_repository_the_policy_is_found_from_a_subdirectory() {
    let dir = tree(&[
        ("authguard.yaml", "rules:\n  AUTH001: off\n"),
        ("backend/migrations/002.sql", AUTH001_SQL),
        ("backend/migrations/003.sql", AUTH008_SQL),
    ]);
    git_init(dir.path());
    let sub = dir.path().join("backend/migrations");
    let (out, report) = check_json(&sub, &[]);
    assert_eq!(codes(&report), ["AUTH008"], "AUTH001 is off by the root policy:\n{}", out.stdout);
    assert_eq!(paths(&report), ["003.sql"], "paths are relative to the current directory");
    let out = run(&sub, &["policy"]);
    assert_eq!(rule_severity(&resolved(&out), "AUTH001"), "off");
}

#[test]
fn in_a_git_repository_the_nearest_policy_wins() {
    let dir = tree(&[
        ("authguard.yaml", "rules:\n  AUTH001: off\n"),
        ("backend/.authguard.yaml", "rules:\n  AUTH008: off\n"),
        ("backend/m/002.sql", AUTH001_SQL),
        ("backend/m/003.sql", AUTH008_SQL),
    ]);
    git_init(dir.path());
    let (_, report) = check_json(&dir.path().join("backend/m"), &[]);
    assert_eq!(codes(&report), ["AUTH001"]);
}

#[test]
fn the_policy_search_stops_at_the_repository_root() {
    let outer = tree(&[("authguard.yaml", "rules:\n  AUTH001: off\n")]);
    let repo = outer.path().join("repo");
    write_files(&repo, &[("backend/m.sql", AUTH001_SQL)]);
    git_init(&repo);
    let (_, report) = check_json(&repo.join("backend"), &[]);
    assert_eq!(codes(&report), ["AUTH001"], "a policy above the repository root is not used");
}

// ------------------------------------------------------ per-path severity

const TESTS_AS_WARNING: &str =
    "rules:\n  AUTH008:\n    paths:\n      - paths: [\"tests/**\"]\n        severity: warning\n";

#[test]
fn a_per_path_override_turns_findings_into_warnings() {
    let dir = tree(&[("authguard.yaml", TESTS_AS_WARNING), ("tests/fixtures/seed.sql", AUTH008_SQL)]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(codes(&report), ["AUTH008"]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(out.code, 0, "warnings do not fail the check");

    // The same finding elsewhere stays an error.
    write_files(dir.path(), &[("backend/report.sql", AUTH008_SQL)]);
    let (out, report) = check_json(dir.path(), &[]);
    let sev: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(sev, [("backend/report.sql", "error"), ("tests/fixtures/seed.sql", "warning")]);
    assert_eq!(out.code, 1);
}

#[test]
fn a_per_path_override_can_turn_a_rule_off() {
    let policy = "rules:\n  AUTH008:\n    severity: warning\n    paths:\n      - paths: [\"legacy/**\"]\n        severity: off\n";
    let dir = tree(&[("authguard.yaml", policy), ("legacy/a.sql", AUTH008_SQL), ("backend/b.sql", AUTH008_SQL)]);
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(paths(&report), ["backend/b.sql"]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(out.code, 0);
}

// ----------------------------------------------------------------- formats

#[test]
fn every_format_works_and_exits_alike() {
    let dir = tree(&[("backend/m.sql", AUTH001_SQL)]);
    let human = run(dir.path(), &["check", "--format", "human"]);
    let json_out = run(dir.path(), &["check", "--format", "json"]);
    let sarif = run(dir.path(), &["check", "--format", "sarif"]);
    let github = run(dir.path(), &["check", "--format", "github"]);
    for out in [&human, &json_out, &sarif, &github] {
        assert_no_panic(out);
        assert_eq!(out.code, 1, "{}", out.stderr);
    }
    assert!(human.stdout.contains("AUTH001(auth-field-on-mirror)"), "{}", human.stdout);
    assert!(human.stdout.contains("backend/m.sql:1:33"), "{}", human.stdout);
    assert_eq!(codes(&json(&json_out)), ["AUTH001"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "AUTH001");
    assert!(
        github.stdout.starts_with(
            "::error file=backend/m.sql,line=1,col=33,endLine=1,endColumn=43,title=AUTH001 auth-field-on-mirror::"
        ),
        "{}",
        github.stdout
    );
}

#[test]
fn the_human_format_is_the_default() {
    let dir = tree(&[("backend/m.sql", AUTH001_SQL)]);
    assert_eq!(run(dir.path(), &["check"]).stdout, run(dir.path(), &["check", "--format", "human"]).stdout);
}

#[test]
fn colour_follows_the_color_flag() {
    let dir = tree(&[("backend/m.sql", AUTH001_SQL)]);
    let never = run(dir.path(), &["check", "--color", "never"]);
    let always = run(dir.path(), &["check", "--color", "always"]);
    assert!(!never.stdout.contains('\u{1b}'), "no escapes with --color never");
    assert!(always.stdout.contains('\u{1b}'), "escapes with --color always");
    // Piped output (as in these tests) is not coloured by default.
    assert!(!run(dir.path(), &["check"]).stdout.contains('\u{1b}'));
}

#[test]
fn output_writes_the_report_to_a_file() {
    let dir = tree(&[("backend/m.sql", AUTH001_SQL)]);
    let to_stdout = run(dir.path(), &["check", "--format", "json"]);
    for format in ["json", "sarif", "github", "human"] {
        let file = format!("report.{format}");
        let out = run(dir.path(), &["check", "--format", format, "--output", &file]);
        assert_eq!(out.code, 1, "{format}: the exit status does not change: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{format}: nothing on stdout:\n{}", out.stdout);
        let written = std::fs::read_to_string(dir.path().join(&file)).expect("the report file");
        assert!(!written.is_empty());
        if format == "json" {
            assert_eq!(written, to_stdout.stdout);
        }
        if format != "human" {
            assert!(out.stderr.contains("Found 1 error"), "{format}: a summary on stderr:\n{}", out.stderr);
        }
    }
}

#[test]
fn output_to_an_unwritable_place_exits_2() {
    let dir = tree(&[("backend/m.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check", "--output", "no/such/dir/report.json", "--format", "json"]);
    assert_trouble(&out, &["cannot write", "no/such/dir/report.json"]);
}

// ---------------------------------------------------- ignore files, exclude

fn ignore_tree() -> TempDir {
    tree(&[
        ("backend/kept.sql", AUTH001_SQL),
        ("generated/out.sql", AUTH008_SQL),
        ("scratch/tmp.sql", AUTH008_SQL),
        (".gitignore", "generated/\n"),
        (".ignore", "scratch/\n"),
    ])
}

#[test]
fn gitignore_and_ignore_are_honoured_outside_a_git_repository() {
    let dir = ignore_tree();
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(paths(&report), ["backend/kept.sql"]);
    assert_eq!(files_scanned(&report), 1);
    let (_, report) = check_json(dir.path(), &["--no-ignore"]);
    assert_eq!(paths(&report), ["backend/kept.sql", "generated/out.sql", "scratch/tmp.sql"]);
    assert_eq!(files_scanned(&report), 3);
}

#[test]
fn gitignore_and_ignore_are_honoured_inside_a_git_repository() {
    let dir = ignore_tree();
    git_init(dir.path());
    write_files(
        dir.path(),
        &[("backend/nested/.gitignore", "*.local.sql\n"), ("backend/nested/x.local.sql", AUTH008_SQL)],
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(paths(&report), ["backend/kept.sql"]);
    let (_, report) = check_json(dir.path(), &["--no-ignore"]);
    assert_eq!(files_scanned(&report), 4);
    // From a subdirectory, the root's ignore files still apply.
    let (_, report) = check_json(&dir.path().join("backend"), &[".."]);
    assert_eq!(files_scanned(&report), 1, "{report}");
}

#[test]
fn git_info_exclude_is_honoured_in_a_git_repository() {
    let dir = tree(&[("backend/kept.sql", CLEAN_SQL), ("local/mine.sql", AUTH008_SQL)]);
    git_init(dir.path());
    std::fs::write(dir.path().join(".git/info/exclude"), "local/\n").unwrap();
    let (out, report) = check_json(dir.path(), &[]);
    assert_eq!(files_scanned(&report), 1);
    assert_eq!(out.code, 0);
}

#[test]
fn exclude_leaves_out_matching_paths() {
    let dir = tree(&[
        ("backend/kept.sql", AUTH001_SQL),
        ("legacy/old.sql", AUTH008_SQL),
        ("backend/legacy/old.sql", AUTH008_SQL),
        ("backend/seed.env", "AUTH_DB_HOST=x\n"),
    ]);
    let (_, all) = check_json(dir.path(), &[]);
    assert_eq!(files_scanned(&all), 4);
    // A bare name matches a directory anywhere.
    let (_, report) = check_json(dir.path(), &["--exclude", "legacy"]);
    assert_eq!(paths(&report), ["backend/kept.sql", "backend/seed.env"]);
    // A path glob, relative to the walk.
    let (_, report) = check_json(dir.path(), &["--exclude", "legacy/**"]);
    assert_eq!(paths(&report), ["backend/kept.sql", "backend/legacy/old.sql", "backend/seed.env"]);
    // Repeatable, and file-name globs.
    let (out, report) = check_json(dir.path(), &["--exclude", "legacy", "--exclude", "*.env", "--exclude", "kept.sql"]);
    assert_eq!(files_scanned(&report), 0);
    assert_eq!(out.code, 0);
}

#[test]
fn explicit_file_paths_are_checked_alone() {
    let dir = tree(&[
        ("backend/a.sql", AUTH001_SQL),
        ("backend/b.sql", AUTH008_SQL),
        ("backend/.env", "AUTH_DB_HOST=x\n"),
        ("ignored/c.sql", AUTH008_SQL),
        (".gitignore", "ignored/\n"),
    ]);
    let (_, report) = check_json(dir.path(), &["backend/a.sql", "backend/.env"]);
    assert_eq!(paths(&report), ["backend/.env", "backend/a.sql"]);
    assert_eq!(files_scanned(&report), 2);
    // A file named on the command line is checked even when ignored.
    let (_, report) = check_json(dir.path(), &["ignored/c.sql"]);
    assert_eq!(paths(&report), ["ignored/c.sql"]);
}

#[test]
fn a_file_named_twice_is_checked_once() {
    let dir = tree(&[("backend/a.sql", AUTH001_SQL)]);
    let cases: [&[&str]; 4] = [
        &["backend/a.sql", "./backend/a.sql"],
        &["backend", "backend/a.sql"],
        &["backend", "./backend"],
        &[".", "backend"],
    ];
    for args in cases {
        let (_, report) = check_json(dir.path(), args);
        assert_eq!(files_scanned(&report), 1, "{args:?}: {report}");
        assert_eq!(codes(&report), ["AUTH001"], "{args:?}");
    }
}

#[test]
fn paths_are_shown_relative_to_the_current_directory() {
    let dir = tree(&[("backend/m/a.sql", AUTH001_SQL), ("other/readme.txt", "")]);
    let (_, report) = check_json(dir.path(), &["./backend"]);
    assert_eq!(paths(&report), ["backend/m/a.sql"]);
    let (_, report) = check_json(&dir.path().join("backend"), &["m"]);
    assert_eq!(paths(&report), ["m/a.sql"]);
    // Reached through `..` but below the current directory: still relative.
    let (_, report) = check_json(&dir.path().join("backend/m"), &["../../backend"]);
    assert_eq!(paths(&report), ["a.sql"]);
    // Not below the current directory: an absolute path to the file.
    let (_, report) = check_json(&dir.path().join("other"), &["../backend"]);
    let shown = &paths(&report)[0];
    let expected = dir.path().join("backend/m/a.sql");
    assert_eq!(Path::new(shown), expected.as_path(), "{shown}");
}

#[test]
fn thread_count_does_not_change_the_report() {
    let mixed = root().join("fixtures/repos/mixed");
    let one = run(&mixed, &["check", "--format", "json", "-j", "1"]);
    let eight = run(&mixed, &["check", "--format", "json", "-j", "8"]);
    let auto = run(&mixed, &["check", "--format", "json"]);
    assert_eq!(one.code, 1);
    assert_eq!(one.stdout, eight.stdout, "-j 1 and -j 8 print the same bytes");
    assert_eq!(one.stdout, auto.stdout);
    let one = run(&mixed, &["check", "--format", "human", "-j", "1"]);
    let eight = run(&mixed, &["check", "--format", "human", "-j", "8"]);
    assert_eq!(one.stdout, eight.stdout);

    // A wider tree, so the parallel walk really interleaves.
    let dir = tree(&[]);
    let mut files = Vec::new();
    for i in 0..300 {
        let text = match i % 3 {
            0 => AUTH001_SQL.to_string(),
            1 => format!("SELECT {i} FROM users;\n"),
            _ => format!("AUTH_DB_PORT={i}\n"),
        };
        let path = if i % 3 == 2 {
            format!("svc{}/d{}/f{i}.env", i % 7, i % 5)
        } else {
            format!("svc{}/d{}/f{i}.sql", i % 7, i % 5)
        };
        files.push((path, text));
    }
    for (p, t) in &files {
        write_files(dir.path(), &[(p.as_str(), t.as_str())]);
    }
    let one = run(dir.path(), &["check", "--format", "json", "-j", "1"]);
    let eight = run(dir.path(), &["check", "--format", "json", "-j", "8"]);
    assert_eq!(one.stdout, eight.stdout);
    assert_eq!(files_scanned(&json(&one)), 300);
}

// -------------------------------------------------------------------- --base

/// A repository where main holds a clean base and an old violation, and the
/// `feature` branch (checked out) has a committed, a staged, an unstaged and
/// an untracked violation. Main then moves on and touches the old violation,
/// so only a merge-base diff leaves it out.
fn base_repo() -> TempDir {
    let dir = tree(&[
        ("backend/migrations/001_base.sql", CLEAN_SQL),
        ("backend/migrations/000_old.sql", AUTH008_SQL),
        ("backend/queries/other.sql", "SELECT id FROM userbase;\n"),
        ("backend/queries/removed.sql", AUTH008_SQL),
        (".gitignore", "*.local.sql\n"),
    ]);
    git_init(dir.path());
    commit_all(dir.path(), "base");
    git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    write_files(dir.path(), &[("backend/migrations/002_committed.sql", AUTH001_SQL)]);
    git(dir.path(), &["rm", "-q", "backend/queries/removed.sql"]);
    commit_all(dir.path(), "feature work");
    // Main moves on after the branch point.
    git(dir.path(), &["checkout", "-q", "main"]);
    write_files(dir.path(), &[("backend/migrations/000_old.sql", "-- touched on main\nSELECT id FROM users;\n")]);
    commit_all(dir.path(), "main moves on");
    git(dir.path(), &["checkout", "-q", "feature"]);
    // Staged, unstaged, untracked, and an ignored untracked file.
    write_files(dir.path(), &[("backend/migrations/003_staged.sql", "UPDATE userbase SET email = $1;\n")]);
    git(dir.path(), &["add", "backend/migrations/003_staged.sql"]);
    write_files(
        dir.path(),
        &[
            ("backend/queries/other.sql", "SELECT id FROM userbase;\nSELECT attempted_at FROM login_attempts;\n"),
            ("backend/.env.untracked", "AUTH_DB_PASSWORD=x\n"),
            ("backend/scratch.local.sql", AUTH008_SQL),
        ],
    );
    dir
}

#[test]
fn base_checks_exactly_the_changed_files() {
    let dir = base_repo();
    let (out, report) = check_json(dir.path(), &["--base", "main"]);
    assert_eq!(out.code, 1);
    assert_eq!(files_scanned(&report), 4, "{report}");
    assert_eq!(
        paths(&report),
        [
            "backend/.env.untracked",
            "backend/migrations/002_committed.sql",
            "backend/migrations/003_staged.sql",
            "backend/queries/other.sql",
        ],
        "the old violation on main is not reported"
    );
    assert_eq!(codes(&report), ["AUTH009", "AUTH001", "AUTH003", "AUTH008"]);
    // The line of the unstaged change is the one reported.
    assert_eq!(report["findings"][3]["line"], 2);

    // Without --base the old violation is there too.
    let (_, all) = check_json(dir.path(), &[]);
    assert!(paths(&all).contains(&"backend/migrations/000_old.sql".to_string()));
}

#[test]
fn base_accepts_any_commit_ish_and_works_from_a_subdirectory() {
    let dir = base_repo();
    let main = {
        let out = Command::new("git").args(["rev-parse", "main"]).current_dir(dir.path()).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (_, by_name) = check_json(dir.path(), &["--base", "main"]);
    let (_, by_sha) = check_json(dir.path(), &["--base", &main]);
    assert_eq!(by_name, by_sha);
    let (_, by_rel) = check_json(dir.path(), &["--base", "HEAD~1"]);
    assert_eq!(files_scanned(&by_rel), 4, "HEAD~1 is the merge-base here");

    let (_, sub) = check_json(&dir.path().join("backend/queries"), &["--base", "main"]);
    assert_eq!(paths(&sub), ["other.sql"], "paths given (.) restrict the changed files");
    let (_, sub) = check_json(&dir.path().join("backend/queries"), &["--base", "main", "../migrations"]);
    assert_eq!(files_scanned(&sub), 2);
}

#[test]
fn base_with_nothing_changed_checks_nothing() {
    let dir = tree(&[("backend/old.sql", AUTH001_SQL)]);
    git_init(dir.path());
    commit_all(dir.path(), "base");
    let (out, report) = check_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(files_scanned(&report), 0);
    assert_eq!(out.code, 0);
}

#[test]
fn base_honours_exclude() {
    let dir = base_repo();
    let (_, report) = check_json(dir.path(), &["--base", "main", "--exclude", "queries"]);
    assert_eq!(files_scanned(&report), 3);
    assert!(!paths(&report).iter().any(|p| p.contains("queries")));
}

// ---------------------------------------------------- unused policy entries

#[test]
fn an_unused_policy_glob_is_a_warning_with_its_position() {
    let policy =
        "rules:\n  AUTH008:\n    paths:\n      - paths: [\"tests/**\", \"spec/**\"]\n        severity: warning\n";
    let dir = tree(&[("authguard.yaml", policy), ("tests/a.sql", AUTH008_SQL), ("backend/clean.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check", "--format", "json"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "a warning about the policy does not change the exit status:\n{}", out.stderr);
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("spec/**"))
        .unwrap_or_else(|| panic!("a warning names the unused glob:\n{}", out.stderr));
    assert!(line.starts_with("warning:"), "{line}");
    assert!(line.contains("authguard.yaml:4:29"), "{line}");
    assert!(!out.stderr.lines().any(|l| l.starts_with("warning:") && l.contains("`tests/**`")), "used globs are quiet");
    // With an error in the tree, the exit status is still that of the findings.
    write_files(dir.path(), &[("backend/bad.sql", AUTH001_SQL)]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("spec/**"), "{}", out.stderr);
}

#[test]
fn an_unused_policy_table_is_a_warning_with_its_position() {
    let policy =
        "databases:\n  auth:\n    tables: [users, sessions]\n  main:\n    tables: [userbase, billing_events]\n";
    let dir = tree(&[
        ("authguard.yaml", policy),
        ("backend/a.sql", "SELECT * FROM userbase; SELECT 1 FROM sessions;\n"),
        ("auth_service/u.sql", "SELECT 1 FROM users;\n"),
    ]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let line = out.stderr.lines().find(|l| l.contains("billing_events")).unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(line.starts_with("warning:") && line.contains("authguard.yaml:5:24"), "{line}");
}

#[test]
fn unused_entry_warnings_only_name_entries_of_the_policy_file() {
    let dir = tree(&[("authguard.yaml", "rules:\n  AUTH001: off\n"), ("backend/a.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, 0);
    for line in out.stderr.lines().filter(|l| l.starts_with("warning: policy entry")) {
        assert!(line.contains("authguard.yaml:"), "every warning has a position in the file: {line}");
    }
    assert!(
        !out.stderr.contains("**/sync_*"),
        "entries of the bundled default are not the user's to remove:\n{}",
        out.stderr
    );
}

#[test]
fn the_bundled_default_never_warns_about_itself() {
    let dir = tree(&[("backend/a.sql", CLEAN_SQL)]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn policy_instructions_of_rules_and_services_reach_the_help() {
    let dir = tree(&[
        ("backend/q.sql", "SELECT * FROM users;\n"),
        (
            "authguard.yaml",
            "services:\n  auth_service:\n    database: auth\n    paths: [\"auth_service/**\"]\n  backend:\n    database: main\n    default: true\n    instructions: See docs/backend-auth.md.\nrules:\n  AUTH008:\n    instructions: Call auth_client.get_user() instead.\n",
        ),
    ]);
    let out = run(dir.path(), &["check", "--format", "json"]);
    let report = json(&out);
    let help = report["findings"][0]["help"].as_str().unwrap();
    assert!(help.ends_with("Call auth_client.get_user() instead.\nSee docs/backend-auth.md."), "{help}");
}

// ------------------------------------------------ where policy globs look

#[test]
fn a_policy_outside_the_checked_folders_still_applies_its_path_overrides() {
    let dir = tree(&[
        ("tests/t.sql", "UPDATE userbase SET email = 'x';\n"),
        ("backend/b.sql", "UPDATE userbase SET email = 'x';\n"),
        (
            "ci/authguard.yaml",
            "rules:\n  AUTH003:\n    paths:\n      - paths: [\"tests/**\"]\n        severity: warning\n",
        ),
    ]);
    git(dir.path(), &["init", "-q"]);
    let report = json(&run(dir.path(), &["check", "--policy", "ci/authguard.yaml", "--format", "json"]));
    let sev: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        sev,
        vec![("backend/b.sql".to_string(), "error".to_string()), ("tests/t.sql".to_string(), "warning".to_string())]
    );
}

#[test]
fn folders_above_the_project_never_decide_a_service() {
    // A checkout that happens to live under a folder named `sync`.
    let outer = tree(&[("sync/app/backend/b.sql", "UPDATE userbase SET email = 'x';\n")]);
    let app = outer.path().join("sync/app");
    git(&app, &["init", "-q"]);
    let report = json(&run(&app, &["check", "--format", "json"]));
    assert_eq!(codes(&report), vec!["AUTH003"]);
}

#[test]
fn checking_from_inside_the_auth_service_folder_keeps_its_service() {
    let dir = tree(&[
        ("auth_service/migrations/001.sql", "CREATE TABLE users (id uuid, hashed_password text);\n"),
        ("auth_service/.env", "AUTH_DB_HOST=auth-db\n"),
    ]);
    let inside = dir.path().join("auth_service");
    let from_root = json(&run(dir.path(), &["check", "--format", "json"]));
    let from_inside = json(&run(&inside, &["check", "--format", "json"]));
    assert_eq!(codes(&from_root), Vec::<String>::new());
    assert_eq!(codes(&from_inside), Vec::<String>::new(), "{from_inside}");
}

#[test]
fn files_of_no_service_are_announced() {
    let dir = tree(&[
        ("backend/a.sql", "SELECT * FROM users;\n"),
        ("authguard.yaml", "services:\n  auth_service:\n    database: auth\n    paths: [\"services/auth/**\"]\n"),
    ]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("1 file(s) belong to no service") && out.stderr.contains("backend/a.sql"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    for args in [&["policy"][..], &["explain", "AUTH001"], &["rules"], &["policy", "--schema"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_authguard"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close our end at once, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn a_dangling_link_to_a_file_out_of_scope_is_only_a_notice() {
    let dir = tree(&[("a.sql", "SELECT 1;\n")]);
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::os::unix::fs::symlink("../nowhere.md", dir.path().join("docs/README.md")).unwrap();
    let out = run(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(codes(&json(&out)), Vec::<String>::new());
    assert!(out.stderr.contains("docs/README.md"), "{}", out.stderr);
}

#[test]
fn broken_alembic_revision_graphs_are_warnings() {
    let dir = tree(&[
        ("backend/alembic/versions/a1.py", "revision = \"a1\"\ndown_revision = None\n"),
        ("backend/alembic/versions/b2.py", "revision = \"b2\"\ndown_revision = \"a1\"\n"),
        ("backend/alembic/versions/c3.py", "revision = \"c3\"\ndown_revision = \"a1\"\n"),
        ("backend/alembic/versions/d4.py", "revision = \"d4\"\ndown_revision = (\"zz\", \"b2\")\n"),
        ("auth_service/alembic/versions/x1.py", "revision = \"x1\"\ndown_revision = None\n"),
    ]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, 0, "warnings do not fail the check: {}", out.stderr);
    assert!(out.stderr.contains("d4.py: revision `d4` follows `zz`"), "{}", out.stderr);
    assert!(out.stderr.contains("2 heads (c3, d4)"), "{}", out.stderr);
    assert!(!out.stderr.contains("auth_service/alembic/versions/: "), "{}", out.stderr);
    // Files named one by one are a partial view: no graph warnings.
    let out = run(dir.path(), &["check", "backend/alembic/versions/d4.py"]);
    assert!(!out.stderr.contains("heads") && !out.stderr.contains("follows"), "{}", out.stderr);
}

#[test]
fn orm_models_are_known_across_files_and_services() {
    let dir = tree(&[
        (
            "auth_service/models.py",
            "from sqlalchemy import Column, String\nclass Session(Base):\n    __tablename__ = \"sessions\"\n    token = Column(String)\nclass User(Base):\n    __tablename__ = \"users\"\n    hashed_password = Column(String)\n",
        ),
        (
            "backend/app/models.py",
            "from sqlalchemy import Column, String\nclass User(Base):\n    __tablename__ = \"userbase\"\n    email = Column(String)\n    plan_tier = Column(String)\n",
        ),
        (
            "backend/app/views.py",
            "from auth_service.models import Session\nfrom app.models import User\n\ndef current(db, token, uid):\n    s = db.query(Session).filter(Session.token == token).first()\n    u = db.query(User).get(uid)\n    u.plan_tier = \"pro\"\n    u.email = \"x@example.com\"\n    db.add(User(id=uid, email=\"e\"))\n",
        ),
        (
            "backend/webhooks/users.py",
            "from app.models import User\n\ndef created(db, data):\n    user = User(id=data[\"id\"], email=data[\"email\"], plan_tier=\"free\")\n    db.add(user)\n    user.email = data[\"email\"]\n",
        ),
    ]);
    let report = json(&run(dir.path(), &["check", "--format", "json"]));
    let got = places(&report);
    assert_eq!(
        got,
        vec![
            "AUTH007 backend/app/views.py:5",
            "AUTH008 backend/app/views.py:5",
            "AUTH003 backend/app/views.py:8",
            "AUTH006 backend/app/views.py:9",
        ]
    );
}

#[test]
fn migrations_apply_in_graph_order_so_renames_carry_earlier_columns() {
    let dir = tree(&[
        (
            // Named so that file order and graph order differ.
            "backend/alembic/versions/z9_create.py",
            "from alembic import op\nimport sqlalchemy as sa\nrevision = \"a1\"\ndown_revision = None\n\ndef upgrade():\n    op.create_table(\"userbase_new\", sa.Column(\"id\", sa.Integer()), sa.Column(\"totp_secret\", sa.String()))\n",
        ),
        (
            "backend/alembic/versions/a0_swap.py",
            "from alembic import op\nimport sqlalchemy as sa\nrevision = \"b2\"\ndown_revision = \"a1\"\n\ndef upgrade():\n    op.add_column(\"userbase_new\", sa.Column(\"mfa_enabled\", sa.Boolean()))\n    op.rename_table(\"userbase_new\", \"userbase\")\n",
        ),
    ]);
    let report = json(&run(dir.path(), &["check", "--format", "json"]));
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related = &f["related"][0];
            format!(
                "{} {}:{}:{} {} (renamed at {}:{}:{})",
                f["code"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["field"].as_str().unwrap(),
                related["path"].as_str().unwrap(),
                related["line"],
                related["column"]
            )
        })
        .collect();
    // Each column is reported where it was given, the rename a second label.
    let swap = "backend/alembic/versions/a0_swap.py";
    assert_eq!(
        got,
        vec![
            format!("AUTH001 {swap}:7:45 mfa_enabled (renamed at {swap}:8:37)"),
            format!("AUTH001 backend/alembic/versions/z9_create.py:7:78 totp_secret (renamed at {swap}:8:37)"),
        ]
    );
}

#[test]
fn a_copy_between_versions_of_the_mirror_creates_no_user_but_a_copy_from_the_auth_table_does() {
    let dir = tree(&[
        (
            "backend/migrations/0001_rebuild.sql",
            "ALTER TABLE userbase RENAME TO userbase_old;\nCREATE TABLE userbase (id bigint, email text);\nINSERT INTO userbase (id, email) SELECT id, email FROM userbase_old;\nDROP TABLE userbase_old;\n",
        ),
        (
            "backend/migrations/0002_import.sql",
            "INSERT INTO userbase (id, email, password_hash)\nSELECT id, email, password_hash FROM users;\n",
        ),
    ]);
    let report = json(&run(dir.path(), &["check", "--format", "json"]));
    let got = places(&report);
    let import = "backend/migrations/0002_import.sql";
    // Sorted by position: the insert target (AUTH006) stands before its column (AUTH005).
    assert_eq!(got, vec![format!("AUTH006 {import}:1"), format!("AUTH005 {import}:1"), format!("AUTH008 {import}:2")]);
}

// ---------------------------------------------------------------- baseline

const MFA: &str = "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n";

#[test]
fn a_baseline_accepts_existing_findings_and_reports_only_new_ones() {
    let dir = tree(&[
        ("backend/migrations/001.sql", MFA),
        ("backend/app/login.py", "import bcrypt\n\n\ndef ok(p, h):\n    return bcrypt.checkpw(p, h)\n"),
    ]);
    // Written on a tree with violations: exit 0, one entry per finding.
    let out = run(dir.path(), &["check", "--write-baseline", "authguard-baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Wrote 2 finding(s)"), "{}", out.stderr);
    let written = std::fs::read_to_string(dir.path().join("authguard-baseline.json")).unwrap();
    let b: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(b["version"], 1);
    assert_eq!(b["findings"].as_array().unwrap().len(), 2);

    // The next run passes and says how many the baseline accepted.
    let (out, report) = check_json(dir.path(), &["--baseline", "authguard-baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(codes(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["baselined"], 2);
    let human = run(dir.path(), &["check", "--baseline", "authguard-baseline.json"]);
    assert!(human.stdout.contains("2 findings in the baseline"), "{}", human.stdout);

    // Code moved down by 20 lines, and an unrelated edit: still accepted.
    let moved = format!("{}{}", "-- reformatted\n".repeat(20), MFA.replace("ADD COLUMN", "ADD  COLUMN"));
    write_files(dir.path(), &[("backend/migrations/001.sql", &moved)]);
    let py = "import bcrypt\nimport os\n\n\n\ndef ok(p, h):\n    # checked below\n    return bcrypt.checkpw(p, h)\n";
    write_files(dir.path(), &[("backend/app/login.py", py)]);
    let (out, report) = check_json(dir.path(), &["--baseline", "authguard-baseline.json"]);
    assert_eq!(out.code, 0, "{}\n{report}", out.stderr);
    assert_eq!(report["summary"]["baselined"], 2);

    // A new violation fails the run, naming only the new one.
    write_files(
        dir.path(),
        &[("backend/migrations/002.sql", "ALTER TABLE userbase ADD COLUMN last_login timestamptz;\n")],
    );
    let (out, report) = check_json(dir.path(), &["--baseline", "authguard-baseline.json"]);
    assert_eq!(out.code, 1);
    assert_eq!(codes(&report), vec!["AUTH001"]);
    assert_eq!(paths(&report), vec!["backend/migrations/002.sql"]);
    assert_eq!(report["findings"][0]["field"], "last_login");
    assert_eq!(report["summary"]["baselined"], 2);

    // A second identical violation in a baselined file is new too.
    write_files(dir.path(), &[("backend/migrations/001.sql", &format!("{moved}{MFA}"))]);
    let (out, report) = check_json(dir.path(), &["--baseline", "authguard-baseline.json"]);
    assert_eq!(out.code, 1);
    assert_eq!(paths(&report), vec!["backend/migrations/001.sql", "backend/migrations/002.sql"]);
}

#[test]
fn a_baseline_holds_whatever_directory_authguard_runs_from() {
    let dir = tree(&[("backend/migrations/001.sql", MFA)]);
    git_init(dir.path());
    assert_eq!(run(dir.path(), &["check", "--write-baseline", "b.json"]).code, 0);
    let (out, report) = check_json(&dir.path().join("backend"), &["--baseline", "../b.json", "."]);
    assert_eq!(out.code, 0, "{}\n{report}", out.stderr);
    assert_eq!(report["summary"]["baselined"], 1);
}

#[test]
fn baseline_entries_that_no_longer_occur_are_named_so_the_file_shrinks() {
    let dir = tree(&[("backend/migrations/001.sql", MFA), ("backend/migrations/002.sql", MFA)]);
    assert_eq!(run(dir.path(), &["check", "--write-baseline", "b.json"]).code, 0);
    write_files(dir.path(), &[("backend/migrations/002.sql", "ALTER TABLE userbase ADD COLUMN plan_tier text;\n")]);
    let out = run(dir.path(), &["check", "--baseline", "b.json"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("1 entry of the baseline b.json no longer occur"), "{}", out.stderr);
    assert!(out.stderr.contains("AUTH001 backend/migrations/002.sql:1"), "{}", out.stderr);
    assert!(!out.stderr.contains("001.sql"), "{}", out.stderr);
    // Files not checked this time (a partial run) are not judged stale.
    let out = run(dir.path(), &["check", "--baseline", "b.json", "backend/migrations/001.sql"]);
    assert!(!out.stderr.contains("no longer occur"), "{}", out.stderr);
}

#[test]
fn a_bad_baseline_is_exit_2_with_its_position() {
    let dir = tree(&[
        ("backend/a.sql", MFA),
        ("b.json", "{\"version\": 1, \"findings\": [}\n"),
        ("v9.json", "{\"version\": 9, \"findings\": []}"),
    ]);
    let out = run(dir.path(), &["check", "--baseline", "b.json"]);
    assert_trouble(&out, &["invalid baseline `b.json`:1:"]);
    let out = run(dir.path(), &["check", "--baseline", "v9.json"]);
    assert_trouble(&out, &["version 9"]);
    let out = run(dir.path(), &["check", "--baseline", "missing.json"]);
    assert_trouble(&out, &["cannot read the baseline `missing.json`"]);
    let out = run(dir.path(), &["check", "--baseline", "b.json", "--write-baseline", "c.json"]);
    assert_eq!(out.code, 2, "the two flags conflict: {}", out.stderr);
}

// ---------------------------------------------------------------- several reports, one run

#[test]
fn extra_reports_are_written_from_the_same_run() {
    let dir = tree(&[("backend/a.sql", MFA)]);
    let out =
        run(dir.path(), &["check", "--format", "github", "--report", "sarif:out.sarif", "--report", "json:out.json"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("::error file=backend/a.sql,line=1,col=33,"), "{}", out.stdout);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "AUTH001");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(codes(&report), vec!["AUTH001"]);
    let out = run(dir.path(), &["check", "--report", "xml:a.xml"]);
    assert_trouble(&out, &["unknown format `xml`"]);
    let out = run(dir.path(), &["check", "--report", "sarif"]);
    assert_trouble(&out, &["FORMAT:FILE"]);
}

#[test]
fn the_github_format_appends_a_step_summary() {
    let dir = tree(&[("backend/a.sql", MFA)]);
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_authguard"))
        .args(["check", "--format", "github"])
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n## authguard\n"), "appended, not overwritten: {text}");
    assert!(text.contains("| AUTH001 auth-field-on-mirror | 1 |"), "{text}");
    assert!(text.contains("`backend/a.sql:1:33`"), "{text}");
    // Other formats leave it alone.
    let out = Command::new(env!("CARGO_BIN_EXE_authguard"))
        .args(["check", "--format", "json"])
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), text);
}

// ---------------------------------------------------------------- suppressions audit

#[test]
fn suppressions_lists_each_with_its_state() {
    let dir = tree(&[
        (
            "backend/a.sql",
            "-- authguard-ignore AUTH001: migrated away in PLAT-12\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n\
             -- authguard-ignore AUTH008: nothing here any more\nSELECT 1;\n-- authguard-ignore AUTH001\nSELECT 2;\n",
        ),
        ("backend/b.py", "x = 1  # authguard-ignore AUTH004, AUTH005: fixture data\n"),
    ]);
    let out = run(dir.path(), &["suppressions"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "backend/a.sql:1:1: AUTH001 migrated away in PLAT-12 [used]",
            "backend/a.sql:3:1: AUTH008 nothing here any more [unused: suppresses nothing]",
            "backend/a.sql:5:1: AUTH001 (no reason) [invalid: suppression gives no reason]",
            "backend/b.py:1:8: AUTH004,AUTH005 fixture data [unused: suppresses nothing]",
            "4 suppression(s), 3 suppress nothing.",
        ],
        "{}",
        out.stdout
    );
    let out = run(dir.path(), &["suppressions", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["suppressions"], 4);
    assert_eq!(v["summary"]["unused"], 3);
    assert_eq!(v["suppressions"][0]["used"], true);
    assert_eq!(v["suppressions"][1]["codes"][0], "AUTH008");
    assert_eq!(v["suppressions"][3]["line"], 1);
}

// ---------------------------------------------------------------- completions and man page

#[test]
fn completions_and_the_man_page_come_from_the_cli_definitions() {
    let dir = tree(&[]);
    for (shell, needle) in [("bash", "_authguard()"), ("zsh", "#compdef authguard"), ("fish", "complete -c authguard")]
    {
        let out = run(dir.path(), &["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains(needle), "{shell}: {}", &out.stdout[..out.stdout.len().min(300)]);
        // fish writes long options without their dashes (`-l write-baseline`).
        for flag in ["write-baseline", "report", "suppressions"] {
            assert!(out.stdout.contains(flag), "{shell} completes {flag}");
        }
    }
    assert_eq!(run(dir.path(), &["completions", "tcsh"]).code, 2);
    let man = run(dir.path(), &["man"]);
    assert_eq!(man.code, 0);
    assert!(man.stdout.starts_with(".ie \\n(.g .ds Aq"), "{}", &man.stdout[..200]);
    assert!(man.stdout.contains(".TH authguard 1"), "{}", &man.stdout[..400]);
    assert!(man.stdout.contains("suppressions"), "subcommands are listed");
}
