//! Every rule against its fixtures: `fixtures/rules/<CODE>/fire/` must
//! produce findings of that rule and nothing else; `.../clean/` must produce
//! nothing at all. Further cases `fire-<what>/` and `clean-<what>/` may sit
//! beside them (for another SQL dialect, say). A case is checked with
//! `<case>.policy.yaml` when there is one, else the rule directory's
//! `policy.yaml`, else the bundled default. The human and JSON reports of
//! each case are golden files next to it, with the exit status first.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use authguard::rules;
use common::{assert_golden, codes, json, root, run};

fn check_case(dir: &Path, case: &str, snapshots: &mut BTreeSet<String>) -> serde_json::Value {
    let mut args = vec!["check", case, "--color", "never"];
    let own_policy = format!("{case}.policy.yaml");
    if dir.join(&own_policy).exists() {
        args.extend(["--policy", &own_policy]);
    } else if dir.join("policy.yaml").exists() {
        args.extend(["--policy", "policy.yaml"]);
    }
    let json_out = run(dir, &[&args[..], &["--format", "json"]].concat());
    let human_out = run(dir, &[&args[..], &["--format", "human"]].concat());
    assert_eq!(json_out.code, human_out.code, "both formats exit alike in {}", dir.display());
    let report = json(&json_out);
    let errors = report["summary"]["errors"].as_u64().unwrap();
    assert_eq!(json_out.code, if errors > 0 { 1 } else { 0 }, "{}: {}", dir.display(), json_out.stderr);
    for (ext, out) in [("json", &json_out), ("human", &human_out)] {
        let name = format!("{case}.{ext}.snap");
        assert_golden(&dir.join(&name), &format!("exit: {}\n{}", out.code, out.stdout));
        snapshots.insert(dir.join(name).display().to_string());
    }
    report
}

#[test]
fn every_rule_fires_on_its_fixtures_and_stays_silent_on_clean_ones() {
    let base = root().join("fixtures/rules");
    let mut snapshots = BTreeSet::new();
    for rule in rules::ALL {
        let dir = base.join(rule.code);
        let clean = dir.join("clean");
        assert!(clean.is_dir(), "{} has no clean fixtures in {}", rule.code, clean.display());
        let report = check_case(&dir, "clean", &mut snapshots);
        assert_eq!(codes(&report), Vec::<String>::new(), "{}: clean fixtures must stay silent", rule.code);
        assert!(report["summary"]["files_scanned"].as_u64().unwrap() > 0, "{}: clean fixtures are read", rule.code);

        let fire = dir.join("fire");
        assert!(fire.is_dir(), "{} has no firing fixtures in {}", rule.code, fire.display());
        let mut extra: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("fire") || n.starts_with("clean-"))
            .collect();
        extra.sort();
        for case in extra {
            let report = check_case(&dir, &case, &mut snapshots);
            let found = codes(&report);
            if case.starts_with("clean") {
                assert_eq!(found, Vec::<String>::new(), "{} {case}: must stay silent", rule.code);
            } else {
                assert!(!found.is_empty(), "{} {case}: firing fixtures produce no finding", rule.code);
                assert!(found.iter().all(|c| c == rule.code), "{} {case}: other codes: {found:?}", rule.code);
            }
        }
    }
    // Golden files nobody compares against rot silently.
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(&base).unwrap() {
        for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "snap") {
                on_disk.insert(path.display().to_string());
            }
        }
    }
    let unused: Vec<_> = on_disk.difference(&snapshots).collect();
    assert!(unused.is_empty(), "golden files no test uses: {unused:?}");
}

#[test]
fn every_rule_has_complete_docs() {
    for rule in rules::ALL {
        let docs = rule.docs_text();
        for section in ["## What it does", "## Why is this bad?", "## Example", "Use instead:", "## How to fix"] {
            assert!(docs.contains(section), "{} docs lack `{section}`", rule.code);
        }
        assert_eq!(docs.matches("```").count() % 2, 0, "{} docs have an unclosed code block", rule.code);
        assert!(docs.matches("```").count() >= 4, "{} docs need a bad and a good example", rule.code);
        assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'), "{} summary", rule.code);
        let name_ok = rule.name.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        assert!(name_ok, "{} name `{}` is kebab-case", rule.code, rule.name);
    }
}

#[test]
fn rule_codes_are_sequential_and_unique() {
    for (i, rule) in rules::ALL.iter().enumerate() {
        assert_eq!(rule.code, format!("AUTH{:03}", i + 1));
    }
    let names: BTreeSet<_> = rules::ALL.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), rules::ALL.len());
}
