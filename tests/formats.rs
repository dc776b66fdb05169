//! The reports of a small end-to-end tree (`fixtures/repos/mixed`: a backend
//! and an auth service with migrations, queries, env files, webhooks, a sync
//! job, clean files and violations) in every format, as golden files with the
//! exit status on the first line; and the structure the contract fixes for
//! each format, checked independently of the golden text.

mod common;

use std::path::{Path, PathBuf};

use authguard::rules;
use common::{assert_golden, json, root, run, Output};
use serde_json::Value;

fn mixed() -> PathBuf {
    root().join("fixtures/repos/mixed")
}

fn golden(name: &str) -> PathBuf {
    root().join("tests/golden").join(name)
}

fn check(dir: &Path, format: &str) -> Output {
    let out = run(dir, &["check", "--format", format, "--color", "never"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

/// The JSON report of the mixed tree.
fn mixed_report() -> (Output, Value) {
    let out = check(&mixed(), "json");
    let report = json(&out);
    (out, report)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// Files of the tree that authguard reads (`*.sql`, `.env`, `.env.*`, `*.env`).
fn files_in_scope(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            n += files_in_scope(&path);
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if name.ends_with(".sql") || name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
            n += 1;
        }
    }
    n
}

// ------------------------------------------------------------ golden files

#[test]
fn the_mixed_tree_uses_the_bundled_policy() {
    // Golden output below assumes no authguard.yaml between the tree and the repository root.
    let out = run(&mixed(), &["policy"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.lines().next().unwrap().contains("bundled default policy"), "{}", out.stdout);
}

#[test]
fn golden_reports_of_the_mixed_tree() {
    for (format, ext) in [("human", "human"), ("json", "json"), ("sarif", "sarif"), ("github", "github")] {
        let out = check(&mixed(), format);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert!(out.stderr.is_empty(), "{format}: nothing on stderr with the bundled policy:\n{}", out.stderr);
        assert_golden(&golden(&format!("mixed.{ext}.snap")), &format!("exit: {}\n{}", out.code, out.stdout));
    }
}

/// A mirror rebuilt twice (`fixtures/repos/rebuild`): findings with a
/// second location in the same file and in another.
fn rebuild() -> PathBuf {
    root().join("fixtures/repos/rebuild")
}

#[test]
fn golden_reports_of_a_rebuilt_mirror_show_the_rename_as_a_second_location() {
    for format in ["human", "json", "sarif", "github"] {
        let out = check(&rebuild(), format);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert_golden(&golden(&format!("rebuild.{format}.snap")), &format!("exit: {}\n{}", out.code, out.stdout));
    }
    let (out, report) = (check(&rebuild(), "json"), json(&check(&rebuild(), "json")));
    let got: Vec<String> = findings(&report)
        .iter()
        .map(|f| {
            let r = &f["related"][0];
            format!(
                "{} {}:{} -> {}:{}:{} {}",
                f["code"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"],
                r["path"].as_str().unwrap(),
                r["line"],
                r["column"],
                r["message"].as_str().unwrap()
            )
        })
        .collect();
    let m = "backend/migrations";
    assert_eq!(
        got,
        [
            format!("AUTH001 {m}/0002_rebuild_userbase.sql:5 -> {m}/0002_rebuild_userbase.sql:10:36 renamed into the mirror `userbase` here"),
            format!("AUTH001 {m}/0003_userbase_v2.sql:2 -> {m}/0004_swap.sql:2:35 renamed into the mirror `userbase` here"),
        ]
    );
    // `related` comes after `field`, before `fingerprint`, its keys in this order.
    let keys = keys_at(&out.stdout, 6);
    let at = keys.iter().position(|k| k == "related").unwrap();
    assert_eq!(&keys[at - 1..at + 2], ["field", "related", "fingerprint"]);
    assert_eq!(keys_at(&out.stdout, 10)[..6], ["path", "line", "column", "end_line", "end_column", "message"]);
    // SARIF: one related location per result, numbered from 1.
    let sarif: Value = serde_json::from_str(&check(&rebuild(), "sarif").stdout).unwrap();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let related = result["relatedLocations"].as_array().unwrap();
        assert_eq!(related.len(), 1);
        assert_eq!(related[0]["id"], 1);
        assert!(related[0]["message"]["text"].as_str().unwrap().starts_with("renamed into the mirror"));
    }
}

#[test]
fn the_expected_findings_of_the_mixed_tree() {
    // What the golden files hold, said once more in a form a reviewer can check by eye.
    let (_, report) = mixed_report();
    let got: Vec<String> = findings(&report)
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}:{} {}",
                f["code"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "AUTH009 auth_service/.env:2:1 error",
            "AUTH002 auth_service/migrations/002_backfill.sql:1:13 error",
            "AUTH009 backend/.env.production:2:8 error",
            "AUTH001 backend/migrations/002_add_mfa.sql:2:33 error",
            "AUTH007 backend/migrations/003_activity_report.sql:4:6 error",
            "AUTH008 backend/migrations/003_activity_report.sql:4:6 error",
            "AUTH010 backend/migrations/004_broken.sql:2:32 error",
            "AUTH012 backend/migrations/005_cleanup.sql:2:1 warning",
            "AUTH011 backend/migrations/005_cleanup.sql:4:1 error",
            "AUTH004 backend/queries/login.sql:2:25 error",
            "AUTH003 backend/queries/profile.sql:2:21 error",
            "AUTH006 backend/queries/profile.sql:3:13 error",
        ]
    );
}

// ------------------------------------------------------------------- JSON

/// Keys of the lines indented by `indent` spaces in pretty-printed JSON, in order.
fn keys_at(text: &str, indent: usize) -> Vec<String> {
    let prefix = format!("{}\"", " ".repeat(indent));
    text.lines()
        .filter(|l| l.starts_with(&prefix) && !l[indent + 1..].starts_with(' '))
        .filter_map(|l| l[indent + 1..].split('"').next().map(str::to_string))
        .collect()
}

#[test]
fn json_top_level_keys_are_in_contract_order() {
    let (out, report) = mixed_report();
    assert_eq!(keys_at(&out.stdout, 2), ["version", "tool", "findings", "summary"]);
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "authguard");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(out.stdout.ends_with("}\n"), "one object and a newline");
}

#[test]
fn json_finding_keys_are_in_contract_order() {
    let (out, report) = mixed_report();
    let order = [
        "code",
        "rule",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "help",
        "service",
        "table",
        "field",
        "fingerprint",
    ];
    // Split the findings array into its objects' texts, then read each one's keys.
    let start = out.stdout.find("\"findings\": [").unwrap();
    let end = out.stdout.find("\"summary\":").unwrap();
    let objects: Vec<&str> = out.stdout[start..end].split("\n    }").filter(|c| c.contains("\"code\"")).collect();
    assert_eq!(objects.len(), findings(&report).len());
    for (text, f) in objects.iter().zip(findings(&report)) {
        let keys = keys_at(text, 6);
        let expected: Vec<&str> = order.iter().copied().filter(|k| f.get(*k).is_some()).collect();
        assert_eq!(keys, expected, "keys of {f}");
        for required in &order[..9] {
            assert!(f.get(*required).is_some(), "{required} is always present: {f}");
        }
        for optional in ["help", "service", "table", "field"] {
            if let Some(v) = f.get(optional) {
                assert!(
                    v.as_str().is_some_and(|s| !s.is_empty()),
                    "{optional} is a non-empty string when present: {f}"
                );
            }
        }
    }
}

#[test]
fn json_findings_are_sorted_by_path_line_column_code() {
    let (_, report) = mixed_report();
    let keys: Vec<(String, u64, u64, String)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // The tree has two findings at one position: they are ordered by code.
    assert!(keys.windows(2).any(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1 && w[0].2 == w[1].2 && w[0].3 < w[1].3));
}

#[test]
fn json_summary_counts_agree_with_the_findings() {
    let (_, report) = mixed_report();
    let all = findings(&report);
    let count = |sev: &str| all.iter().filter(|f| f["severity"] == sev).count() as u64;
    let summary = &report["summary"];
    let mut keys: Vec<&String> = summary.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["errors", "files_scanned", "findings", "suppressed", "unread_statements", "warnings"]);
    let listed = report.get("unread").and_then(|u| u.as_array()).map_or(0, Vec::len) as u64;
    assert_eq!(summary["unread_statements"].as_u64().unwrap(), listed, "every unread statement is listed");
    assert_eq!(summary["findings"].as_u64().unwrap(), all.len() as u64);
    assert_eq!(summary["errors"].as_u64().unwrap(), count("error"));
    assert_eq!(summary["warnings"].as_u64().unwrap(), count("warning"));
    assert_eq!(count("error") + count("warning"), all.len() as u64, "no other severity");
    assert_eq!(summary["files_scanned"].as_u64().unwrap(), files_in_scope(&mixed()) as u64, "README.md is not read");
    assert_eq!(summary["suppressed"], 1, "002_add_mfa.sql suppresses one finding with a reason");
}

#[test]
fn json_findings_describe_their_rule_and_file() {
    let (_, report) = mixed_report();
    for f in findings(&report) {
        let rule = rules::find(f["code"].as_str().unwrap()).expect("a known code");
        assert_eq!(f["rule"], rule.name);
        let path = f["path"].as_str().unwrap();
        assert!(!path.starts_with("./") && !path.starts_with('/') && !path.contains('\\'), "{path}");
        assert!(mixed().join(path).is_file(), "{path} names a file of the tree");
        let service = f["service"].as_str().expect("every finding of this tree is in a service");
        let expected = if path.starts_with("auth_service/") { "auth_service" } else { "backend" };
        assert_eq!(service, expected, "{path}");
        let (line, col) = (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
        let (end_line, end_col) = (f["end_line"].as_u64().unwrap(), f["end_column"].as_u64().unwrap());
        assert!(line >= 1 && col >= 1, "{f}");
        assert!((end_line, end_col) >= (line, col), "{f}");
    }
}

/// The text a single-line finding highlights, by character columns.
fn highlighted(dir: &Path, f: &Value) -> String {
    let text = std::fs::read_to_string(dir.join(f["path"].as_str().unwrap())).unwrap();
    let line = text.lines().nth(f["line"].as_u64().unwrap() as usize - 1).unwrap();
    let from = f["column"].as_u64().unwrap() as usize - 1;
    let to = f["end_column"].as_u64().unwrap() as usize - 1;
    line.chars().skip(from).take(to - from).collect()
}

#[test]
fn json_positions_point_at_the_identifier_that_makes_the_violation() {
    let (_, report) = mixed_report();
    let mut checked = 0;
    for f in findings(&report) {
        let code = f["code"].as_str().unwrap();
        let shown = highlighted(&mixed(), f).trim_matches('"').to_lowercase();
        let expected = match (code, f.get("field"), f.get("table")) {
            ("AUTH003" | "AUTH001" | "AUTH004", Some(field), _) => field.as_str().unwrap().to_string(),
            (_, _, Some(table)) if code != "AUTH001" => table.as_str().unwrap().to_string(),
            ("AUTH009", _, _) => f["message"].as_str().unwrap().split('`').nth(1).unwrap().to_lowercase(),
            _ => continue,
        };
        assert_eq!(shown, expected, "{code} at {}:{}:{}", f["path"], f["line"], f["column"]);
        checked += 1;
    }
    assert!(checked >= 9, "most findings name an identifier ({checked})");
}

// ------------------------------------------------------------------ SARIF

#[test]
fn sarif_is_2_1_0_with_the_rules_and_one_result_per_finding() {
    let (_, report) = mixed_report();
    let out = check(&mixed(), "sarif");
    assert_eq!(out.code, 1);
    let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif"), "{}", sarif["$schema"]);
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "authguard");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let sarif_rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = sarif_rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = rules::ALL.iter().map(|r| r.code).collect();
    assert_eq!(ids, codes, "every rule, in code order");
    for (r, meta) in sarif_rules.iter().zip(rules::ALL) {
        assert_eq!(r["name"], meta.name);
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert_eq!(r["defaultConfiguration"]["level"], meta.default_severity.as_str());
    }

    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings(&report).len());
    for (res, f) in results.iter().zip(findings(&report)) {
        assert_eq!(res["ruleId"], f["code"]);
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(sarif_rules[index]["id"], res["ruleId"], "ruleIndex points at the rule");
        assert_eq!(res["level"], f["severity"]);
        assert!(res["message"]["text"].as_str().unwrap().starts_with(f["message"].as_str().unwrap()));
        let locations = res["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let loc = &locations[0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f["path"]);
        let region = &loc["region"];
        assert_eq!(region["startLine"], f["line"]);
        assert_eq!(region["startColumn"], f["column"]);
        assert_eq!(region["endLine"], f["end_line"]);
        assert_eq!(region["endColumn"], f["end_column"]);
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let print = res["partialFingerprints"]["authguard/v1"].as_str().unwrap();
        assert_eq!(print, f["fingerprint"].as_str().unwrap());
        assert_eq!(print.len(), 32);
    }
    // Fingerprints tell every result apart.
    let mut prints: Vec<&str> =
        results.iter().map(|r| r["partialFingerprints"]["authguard/v1"].as_str().unwrap()).collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), results.len());
}

/// The SARIF output is valid against the SARIF 2.1.0 JSON Schema (OASIS),
/// checked by check-jsonschema; and a broken log is not, so the check bites.
#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let bin = common::pytools::bin();
    let schema = root().join("tests/schemas/sarif-schema-2.1.0.json");
    let dir = tempfile::tempdir().unwrap();
    let validate = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        std::process::Command::new(bin.join("check-jsonschema"))
            .arg("--schemafile")
            .arg(&schema)
            .arg(&file)
            .output()
            .expect("check-jsonschema runs")
    };
    let out = check(&mixed(), "sarif");
    let ok = validate("mixed.sarif", &out.stdout);
    assert!(ok.status.success(), "{}\n{}", String::from_utf8_lossy(&ok.stdout), String::from_utf8_lossy(&ok.stderr));
    let related = check(&rebuild(), "sarif");
    let ok = validate("rebuild.sarif", &related.stdout);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    let clean = check(&root().join("fixtures/rules/AUTH001/clean"), "sarif");
    let ok = validate("clean.sarif", &clean.stdout);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    // A region with a line 0 breaks the schema's minimum: the validator must say so.
    let broken = out.stdout.replacen("\"startLine\": ", "\"startLine\": -", 1);
    let bad = validate("broken.sarif", &broken);
    assert!(!bad.status.success(), "a broken log must not validate");
}

#[test]
fn sarif_of_a_clean_tree_has_an_empty_results_array() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.sql"), "SELECT 1;\n").unwrap();
    let out = check(dir.path(), "sarif");
    assert_eq!(out.code, 0);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len(), 12);
}

// ----------------------------------------------------------------- GitHub

/// One parsed workflow command.
#[derive(Debug)]
struct Command {
    level: String,
    props: Vec<(String, String)>,
    data: String,
}

fn parse_github(line: &str) -> Command {
    let rest = line.strip_prefix("::").unwrap_or_else(|| panic!("a workflow command: {line}"));
    let (head, data) = rest.split_once("::").unwrap_or_else(|| panic!("`::` before the message: {line}"));
    let (level, props) = head.split_once(' ').unwrap();
    let props = props
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("key=value: {p} in {line}"));
            (k.to_string(), v.to_string())
        })
        .collect();
    Command { level: level.to_string(), props, data: data.to_string() }
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
}

#[test]
fn github_prints_one_command_per_finding() {
    let (_, report) = mixed_report();
    let out = check(&mixed(), "github");
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), findings(&report).len(), "one line each: newlines in messages are escaped");
    for (line, f) in lines.iter().zip(findings(&report)) {
        let cmd = parse_github(line);
        assert_eq!(cmd.level, f["severity"].as_str().unwrap());
        let keys: Vec<&str> = cmd.props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["file", "line", "col", "endLine", "endColumn", "title"], "{line}");
        let prop = |k: &str| cmd.props.iter().find(|(key, _)| key == k).unwrap().1.clone();
        assert_eq!(unescape(&prop("file")), f["path"].as_str().unwrap());
        assert_eq!(prop("line"), f["line"].to_string());
        assert_eq!(prop("col"), f["column"].to_string());
        assert_eq!(prop("endLine"), f["end_line"].to_string());
        assert_eq!(prop("endColumn"), f["end_column"].to_string());
        assert_eq!(prop("title"), format!("{} {}", f["code"].as_str().unwrap(), f["rule"].as_str().unwrap()));
        let mut message = f["message"].as_str().unwrap().to_string();
        if let Some(help) = f["help"].as_str() {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        assert_eq!(unescape(&cmd.data), message);
    }
}

#[test]
fn github_escapes_percent_newlines_and_property_separators() {
    let dir = tempfile::tempdir().unwrap();
    let backend = dir.path().join("backend");
    std::fs::create_dir_all(&backend).unwrap();
    // The file name holds `,`, `:` and `%`; the suppression names an unknown
    // code holding `%`, so the AUTH011 message does too.
    std::fs::write(
        backend.join("odd,name:50%.sql"),
        "-- authguard-ignore 50%: a reason\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n",
    )
    .unwrap();
    let out = check(dir.path(), "github");
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for line in &lines {
        assert!(line.starts_with("::error file=backend/odd%2Cname%3A50%25.sql,line="), "{line}");
        let cmd = parse_github(line);
        assert_eq!(cmd.props.len(), 6, "no stray separators in properties: {line}");
        assert!(!cmd.data.contains('\n') && !cmd.data.contains('\r'));
        assert!(cmd.data.contains("%0Ahelp: "), "newlines as %0A; `:` stays in data: {line}");
    }
    let auth011 = lines.iter().find(|l| l.contains("title=AUTH011")).expect("AUTH011 for the unknown code");
    assert!(auth011.contains("`50%25`"), "`%` in data is %25: {auth011}");
    assert!(!parse_github(auth011).data.replace("%25", "").replace("%0A", "").contains('%'), "{auth011}");

    // The JSON report of the same tree holds the plain text.
    let report = json(&check(dir.path(), "json"));
    assert_eq!(report["findings"][0]["path"], "backend/odd,name:50%.sql");
}

#[test]
fn github_uses_warning_for_warnings() {
    let (_, report) = mixed_report();
    let out = check(&mixed(), "github");
    let warnings = findings(&report).iter().filter(|f| f["severity"] == "warning").count();
    assert!(warnings > 0);
    assert_eq!(out.stdout.lines().filter(|l| l.starts_with("::warning ")).count(), warnings);
    assert_eq!(out.stdout.lines().filter(|l| l.starts_with("::error ")).count(), findings(&report).len() - warnings);
}

#[test]
fn github_of_a_clean_tree_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.sql"), "SELECT 1;\n").unwrap();
    let out = check(dir.path(), "github");
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "");
}

// ------------------------------------------------------------------ human

#[test]
fn human_shows_every_finding_in_order_then_the_summary() {
    let (_, report) = mixed_report();
    let out = check(&mixed(), "human");
    assert_eq!(out.code, 1);
    let mut from = 0;
    for f in findings(&report) {
        let header = format!("[{}:{}:{}]", f["path"].as_str().unwrap(), f["line"], f["column"]);
        let at =
            out.stdout[from..].find(&header).unwrap_or_else(|| panic!("{header} after byte {from}:\n{}", out.stdout));
        let code = format!("{}({})", f["code"].as_str().unwrap(), f["rule"].as_str().unwrap());
        assert!(out.stdout[from..from + at].contains(&code), "{code} heads {header}");
        from += at + header.len();
    }
    let last = out.stdout.lines().last().unwrap();
    assert_eq!(last, "Found 11 errors and 1 warning in 14 files. 1 finding suppressed.");
    assert!(!out.stdout.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn human_of_a_clean_tree_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.sql"), "SELECT 1;\n").unwrap();
    std::fs::write(dir.path().join("b.sql"), "SELECT 2;\n").unwrap();
    let out = check(dir.path(), "human");
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "No findings in 2 files.\n");
}
