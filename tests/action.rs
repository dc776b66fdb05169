//! The composite GitHub Action: `action.yml` against GitHub's schema and
//! its own conventions, and `action/entrypoint.sh` run locally with a
//! simulated GitHub environment on temporary git repositories.
//!
//! Nothing here needs the network: the pull request's base is in the local
//! history, or fetched from another local repository over `file://`.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{git, root};
use tempfile::TempDir;

// ---------------------------------------------------------------- helpers

/// The action's inputs, their defaults, and the environment variable each
/// is passed to the script in.
const INPUTS: &[(&str, &str, &str)] = &[
    ("paths", ".", "INPUT_PATHS"),
    ("policy", "", "INPUT_POLICY"),
    ("format", "github", "INPUT_FORMAT"),
    ("fail-on", "error", "INPUT_FAIL_ON"),
    ("version", "source", "INPUT_VERSION"),
    ("sarif-file", "authguard.sarif", "INPUT_SARIF_FILE"),
    ("base", "", "INPUT_BASE"),
];

const OUTPUTS: &[&str] = &["findings", "errors", "warnings", "sarif-file"];

const BASELINE_SCHEMA: &str = "CREATE TABLE userbase (id uuid primary key, plan_tier text);\n";
/// Already on the base branch, and a violation (AUTH003): a whole-tree check
/// reports it, a check of the pull request's changes must not.
const BASELINE_LEGACY: &str = "UPDATE userbase SET email = lower(email);\n";
const MFA_MIGRATION: &str = "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n";
const HARMLESS_MIGRATION: &str = "ALTER TABLE userbase ADD COLUMN feature_flags jsonb;\n";

/// The annotation of the AUTH001 in MFA_MIGRATION (`mfa_secret`: columns
/// 33 to 43, end exclusive).
const MFA_ANNOTATION: &str = "::error file=backend/migrations/002_mfa.sql,line=1,col=33,endLine=1,endColumn=43,\
                              title=AUTH001 auth-field-on-mirror::the auth-owned field `mfa_secret`";

fn write_files(base: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let full = base.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
}

/// Run git in `dir` with a fixed identity and dates and no user or system
/// Whether `dir`'s repository has the commit `sha`.
fn has_commit(dir: &Path, sha: &str) -> bool {
    Command::new("git")
        .args(["cat-file", "-e", &format!("{sha}^{{commit}}")])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stderr(std::process::Stdio::null())
        .status()
        .expect("git runs")
        .success()
}

/// A temporary directory with a repository in `repo/`: on `main` a commit
/// with the baseline schema and the legacy AUTH003, then
/// `main_commits` more commits on `main`; on the branch `feature`
/// `branch_commits` harmless commits and then one adding `branch_files`.
struct PullRequest {
    dir: TempDir,
    /// The pull request's base: the tip of `main`.
    base: String,
}

impl PullRequest {
    fn new(branch_files: &[(&str, &str)]) -> Self {
        Self::with_history(branch_files, 0, 0)
    }

    fn with_history(branch_files: &[(&str, &str)], main_commits: usize, branch_commits: usize) -> Self {
        let dir = tempfile::Builder::new().prefix("authguard-action-").tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        write_files(
            &repo,
            &[
                ("backend/migrations/001_init.sql", BASELINE_SCHEMA),
                ("backend/jobs/normalise_emails.sql", BASELINE_LEGACY),
            ],
        );
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "baseline"]);
        for i in 0..main_commits {
            std::fs::write(repo.join("CHANGELOG"), format!("main {i}\n")).unwrap();
            git(&repo, &["add", "CHANGELOG"]);
            git(&repo, &["commit", "-q", "-m", &format!("main {i}")]);
        }
        let base = git(&repo, &["rev-parse", "HEAD"]);
        git(&repo, &["checkout", "-q", "-b", "feature"]);
        for i in 0..branch_commits {
            std::fs::write(repo.join("NOTES"), format!("feature {i}\n")).unwrap();
            git(&repo, &["add", "NOTES"]);
            git(&repo, &["commit", "-q", "-m", &format!("feature {i}")]);
        }
        write_files(&repo, branch_files);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "the pull request"]);
        PullRequest { dir, base }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// A `pull_request` event payload whose base is this pull request's base.
    fn event(&self) -> PathBuf {
        let path = self.dir.path().join("event.json");
        let payload = serde_json::json!({
            "action": "opened",
            "number": 1,
            "pull_request": { "number": 1, "base": { "ref": "main", "sha": self.base }, "head": { "ref": "feature" } },
        });
        std::fs::write(&path, serde_json::to_string_pretty(&payload).unwrap()).unwrap();
        path
    }
}

/// What a run of the action's script did.
struct ActionRun {
    code: i32,
    stdout: String,
    stderr: String,
    /// `GITHUB_OUTPUT`'s `name=value` lines.
    outputs: HashMap<String, String>,
    output_text: String,
    summary: String,
}

impl ActionRun {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output `{name}` in GITHUB_OUTPUT:\n{}\n{}", self.output_text, self.log()))
    }

    /// The workflow commands annotating a file (`::error file=…`, `::warning file=…`).
    fn annotations(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| l.starts_with("::") && l.contains(" file=")).collect()
    }

    fn log(&self) -> String {
        format!("exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Run `bash action/entrypoint.sh` in `cwd` as GitHub would on `event_name`
/// (with the payload at `event`), the built binary as AUTHGUARD_BIN, the
/// inputs' defaults overridden by `inputs` (environment variable, value).
/// The environment is cleared first, so nothing leaks in from a CI job
/// running these tests.
fn run_action(cwd: &Path, event_name: &str, event: Option<&Path>, inputs: &[(&str, &str)]) -> ActionRun {
    let scratch = tempfile::Builder::new().prefix("authguard-action-env-").tempdir().unwrap();
    let output_file = scratch.path().join("github_output");
    let summary_file = scratch.path().join("step_summary");
    let runner_temp = scratch.path().join("runner_temp");
    std::fs::create_dir(&runner_temp).unwrap();
    std::fs::write(&output_file, "").unwrap();
    std::fs::write(&summary_file, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action/entrypoint.sh"))
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch.path())
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("GITHUB_WORKSPACE", cwd)
        .env("GITHUB_ACTION_PATH", root())
        .env("RUNNER_TEMP", &runner_temp)
        .env("AUTHGUARD_BIN", env!("CARGO_BIN_EXE_authguard"));
    if let Some(event) = event {
        cmd.env("GITHUB_EVENT_PATH", event);
    }
    for (_, default, var) in INPUTS {
        cmd.env(var, default);
    }
    for (var, value) in inputs {
        cmd.env(var, value);
    }
    let out = cmd.output().expect("bash runs");
    let output_text = std::fs::read_to_string(&output_file).unwrap();
    let outputs =
        output_text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let leftovers: Vec<_> = std::fs::read_dir(&runner_temp).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(leftovers.is_empty(), "the script left files in RUNNER_TEMP: {leftovers:?}");
    ActionRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        output_text,
        summary: std::fs::read_to_string(&summary_file).unwrap(),
    }
}

/// The pull request run of a repository, with the action's defaults.
fn run_pull_request(pr: &PullRequest, inputs: &[(&str, &str)]) -> ActionRun {
    run_action(&pr.repo(), "pull_request", Some(&pr.event()), inputs)
}

/// The assertions every run on the MFA pull request shares: one AUTH001
/// annotation, only on the changed file; the outputs; the SARIF report;
/// the step summary.
fn assert_mfa_findings(run: &ActionRun, cwd: &Path) {
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "one annotation expected:\n{}", run.log());
    assert!(annotations[0].starts_with(MFA_ANNOTATION), "unexpected annotation:\n{}", run.log());
    for baseline in ["001_init.sql", "normalise_emails.sql"] {
        assert!(!run.stdout.contains(baseline), "{baseline} is not in the pull request, yet reported:\n{}", run.log());
    }
    assert_eq!(run.output("findings"), "1", "{}", run.output_text);
    assert_eq!(run.output("errors"), "1", "{}", run.output_text);
    assert_eq!(run.output("warnings"), "0", "{}", run.output_text);
    assert_eq!(run.output("sarif-file"), "authguard.sarif", "{}", run.output_text);

    let sarif_path = cwd.join(run.output("sarif-file"));
    let sarif_text = std::fs::read_to_string(&sarif_path)
        .unwrap_or_else(|e| panic!("no SARIF report at {}: {e}\n{}", sarif_path.display(), run.log()));
    let sarif: serde_json::Value = serde_json::from_str(&sarif_text).expect("the SARIF report is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("runs[0].results");
    assert_eq!(results.len(), 1, "{sarif_text}");
    assert_eq!(results[0]["ruleId"], "AUTH001");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "backend/migrations/002_mfa.sql"
    );

    // authguard itself writes the job summary with --format github.
    assert!(run.summary.contains("AUTH001"), "the step summary does not name AUTH001:\n{}", run.summary);
    assert!(run.summary.contains("002_mfa.sql"), "the step summary does not name the file:\n{}", run.summary);
    assert!(!run.summary.contains("normalise_emails.sql"), "{}", run.summary);
}

// ---------------------------------------------------------------- action.yml

#[test]
fn action_yml_is_valid_for_github() {
    let bin = common::pytools::bin();
    let validate = |path: &Path| {
        Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-actions"])
            .arg(path)
            .output()
            .expect("check-jsonschema runs")
    };
    let out = validate(&root().join("action.yml"));
    assert!(
        out.status.success(),
        "action.yml does not validate:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The validation can fail: a composite action without its steps does not pass.
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let (head, _) = text.split_once("\n  steps:\n").expect("action.yml has runs.steps");
    assert!(head.trim_end().ends_with("using: composite"), "runs.steps follows runs.using");
    let dir = tempfile::Builder::new().prefix("authguard-action-yml-").tempdir().unwrap();
    let broken = dir.path().join("action.yml");
    std::fs::write(&broken, format!("{head}\n")).unwrap();
    let out = validate(&broken);
    assert!(
        !out.status.success(),
        "a composite action without steps validates:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn action_yml_passes_every_input_to_the_script_and_every_output_back() {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let action: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();

    let inputs = action["inputs"].as_mapping().expect("inputs");
    let names: Vec<&str> = inputs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, INPUTS.iter().map(|(name, _, _)| *name).collect::<Vec<_>>());
    for (name, default, _) in INPUTS {
        assert_eq!(action["inputs"][*name]["default"].as_str(), Some(*default), "default of input {name}");
        assert!(action["inputs"][*name]["description"].as_str().is_some(), "input {name} has no description");
    }

    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_sequence().expect("runs.steps");
    assert_eq!(steps.len(), 1, "one step: the script");
    let step = &steps[0];
    let id = step["id"].as_str().expect("the step has an id");
    assert_eq!(step["shell"].as_str(), Some("bash"));
    let run = step["run"].as_str().unwrap();
    assert!(run.contains("\"$GITHUB_ACTION_PATH/action/entrypoint.sh\""), "run: {run}");
    assert!(!run.contains("${{"), "no expressions in run: bodies (script injection): {run}");
    let env = step["env"].as_mapping().expect("the step's env");
    assert_eq!(env.len(), INPUTS.len(), "env holds the inputs, nothing else");
    for (name, _, var) in INPUTS {
        assert_eq!(step["env"][*var].as_str(), Some(format!("${{{{ inputs.{name} }}}}").as_str()), "env {var}");
    }

    let outputs = action["outputs"].as_mapping().expect("outputs");
    let names: Vec<&str> = outputs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, OUTPUTS);
    for name in OUTPUTS {
        assert_eq!(
            action["outputs"][*name]["value"].as_str(),
            Some(format!("${{{{ steps.{id}.outputs.{name} }}}}").as_str()),
            "output {name}"
        );
    }

    let script = std::fs::read_to_string(root().join("action/entrypoint.sh")).unwrap();
    assert!(script.starts_with("#!/usr/bin/env bash\n"), "entrypoint.sh starts with a bash shebang");
    assert!(script.contains("\nset -euo pipefail\n"));
    let syntax = Command::new("bash").arg("-n").arg(root().join("action/entrypoint.sh")).output().unwrap();
    assert!(syntax.status.success(), "bash -n: {}", String::from_utf8_lossy(&syntax.stderr));
}

// ---------------------------------------------------------------- the script

#[test]
fn pull_request_with_an_auth_field_fails_with_an_annotation_outputs_and_sarif() {
    let pr = PullRequest::new(&[("backend/migrations/002_mfa.sql", MFA_MIGRATION)]);
    let run = run_pull_request(&pr, &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert_mfa_findings(&run, &pr.repo());
    // The base came from the payload.
    assert!(run.stderr.contains(&format!("--base {}", pr.base)), "{}", run.log());
}

#[test]
fn fail_on_never_passes_with_the_same_findings() {
    let pr = PullRequest::new(&[("backend/migrations/002_mfa.sql", MFA_MIGRATION)]);
    let run = run_pull_request(&pr, &[("INPUT_FAIL_ON", "never")]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_mfa_findings(&run, &pr.repo());
}

#[test]
fn clean_pull_request_passes() {
    let pr = PullRequest::new(&[("backend/migrations/002_flags.sql", HARMLESS_MIGRATION)]);
    let run = run_pull_request(&pr, &[]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(!run.stdout.contains("::error"), "{}", run.log());
    assert!(run.annotations().is_empty(), "{}", run.log());
    assert_eq!(run.output("findings"), "0");
    assert_eq!(run.output("errors"), "0");
    assert_eq!(run.output("warnings"), "0");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(pr.repo().join("authguard.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}

#[test]
fn push_event_checks_the_whole_tree() {
    let pr = PullRequest::new(&[("backend/migrations/002_mfa.sql", MFA_MIGRATION)]);
    let run = run_action(&pr.repo(), "push", None, &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(!run.stderr.contains("--base"), "{}", run.log());
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 2, "{}", run.log());
    assert!(annotations[0].starts_with("::error file=backend/jobs/normalise_emails.sql,"), "{}", run.log());
    assert!(annotations[0].contains("title=AUTH003 auth-field-write::"), "{}", run.log());
    assert!(annotations[1].starts_with(MFA_ANNOTATION), "{}", run.log());
    assert_eq!(run.output("findings"), "2");
    assert_eq!(run.output("errors"), "2");
}

#[test]
fn fail_on_warning_counts_warnings() {
    // An unused suppression is AUTH012, a warning.
    let migration =
        "-- authguard-ignore AUTH001: reviewed with the auth team (SEC-12)\n".to_string() + HARMLESS_MIGRATION;
    let pr = PullRequest::new(&[("backend/migrations/002_flags.sql", &migration)]);

    let run = run_pull_request(&pr, &[]);
    assert_eq!(run.code, 0, "fail-on error passes on a warning:\n{}", run.log());
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.log());
    assert!(annotations[0].starts_with("::warning file=backend/migrations/002_flags.sql,line=1,"), "{}", run.log());
    assert!(annotations[0].contains("title=AUTH012 unused-suppression::"), "{}", run.log());
    assert_eq!((run.output("findings"), run.output("errors"), run.output("warnings")), ("1", "0", "1"));

    let run = run_pull_request(&pr, &[("INPUT_FAIL_ON", "warning")]);
    assert_eq!(run.code, 1, "fail-on warning fails on a warning:\n{}", run.log());
    assert_eq!((run.output("findings"), run.output("errors"), run.output("warnings")), ("1", "0", "1"));
}

#[test]
fn inputs_paths_policy_format_and_sarif_file() {
    let pr = PullRequest::new(&[
        ("backend/migrations/002_mfa.sql", MFA_MIGRATION),
        ("backend/other/003_mfa.sql", MFA_MIGRATION),
        ("tools/004_mfa.sql", MFA_MIGRATION),
    ]);
    // A policy that lowers AUTH001 to a warning under tools/.
    write_files(
        &pr.repo(),
        &[(
            "ci/authguard.yaml",
            "rules:\n  AUTH001:\n    paths:\n      - paths: [\"tools/**\"]\n        severity: warning\n",
        )],
    );
    let run = run_pull_request(
        &pr,
        &[
            ("INPUT_PATHS", " backend/migrations\n  tools "),
            ("INPUT_POLICY", "ci/authguard.yaml"),
            ("INPUT_FORMAT", "json"),
            ("INPUT_SARIF_FILE", "reports/authguard.sarif"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.log());
    // The log has the JSON report: backend/other is not among the paths.
    let start = run.stdout.find("{\n").unwrap_or_else(|| panic!("no JSON report in the log:\n{}", run.log()));
    let end = run.stdout.rfind("\n}").expect("the end of the JSON report") + 2;
    let report: serde_json::Value = serde_json::from_str(&run.stdout[start..end]).unwrap();
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("backend/migrations/002_mfa.sql", "error"), ("tools/004_mfa.sql", "warning")]);
    assert_eq!((run.output("findings"), run.output("errors"), run.output("warnings")), ("2", "1", "1"));
    assert_eq!(run.output("sarif-file"), "reports/authguard.sarif");
    assert!(pr.repo().join("reports/authguard.sarif").is_file(), "{}", run.log());
}

#[test]
fn shallow_checkout_fetches_the_base_and_tolerates_an_unreachable_remote() {
    // The repository of the previous tests stands for GitHub; the checkout
    // is a depth-1 clone of the pull request's branch, as actions/checkout
    // makes by default, without the base commit.
    let pr = PullRequest::with_history(&[("backend/migrations/002_mfa.sql", MFA_MIGRATION)], 30, 40);
    let origin = format!("file://{}", pr.repo().display());
    let clone = |name: &str| {
        let path = pr.dir.path().join(name);
        git(pr.dir.path(), &["clone", "-q", "--depth=1", "--branch", "feature", &origin, name]);
        assert!(!has_commit(&path, &pr.base), "the shallow clone must not have the base yet");
        path
    };

    let work = clone("work");
    let run = run_action(&work, "pull_request", Some(&pr.event()), &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(has_commit(&work, &pr.base), "the base was not fetched:\n{}", run.log());
    assert_mfa_findings(&run, &work);

    // With origin unreachable nothing can be fetched: the script warns and
    // checks every file rather than none.
    let offline = clone("offline");
    git(&offline, &["remote", "set-url", "origin", &format!("file://{}", pr.dir.path().join("gone").display())]);
    let run = run_action(&offline, "pull_request", Some(&pr.event()), &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stdout.contains("::warning title=authguard::git fetch from origin failed"), "{}", run.log());
    assert!(run.stdout.contains("checking every file"), "{}", run.log());
    assert_eq!(run.output("findings"), "2", "the legacy AUTH003 and the AUTH001:\n{}", run.log());
}

#[test]
fn a_check_that_cannot_be_made_exits_2() {
    let pr = PullRequest::new(&[("backend/migrations/002_mfa.sql", MFA_MIGRATION)]);

    let run = run_pull_request(&pr, &[("INPUT_POLICY", "missing.yaml")]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout.contains("::error title=authguard::authguard could not make the check (exit 2)"),
        "{}",
        run.log()
    );
    assert!(run.output_text.is_empty(), "no outputs without a check: {}", run.output_text);

    // Even fail-on never does not hide it.
    let run = run_pull_request(&pr, &[("INPUT_POLICY", "missing.yaml"), ("INPUT_FAIL_ON", "never")]);
    assert_eq!(run.code, 2, "{}", run.log());

    // An input out of range stops the script before anything runs.
    let run = run_pull_request(&pr, &[("INPUT_FAIL_ON", "sometimes")]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("::error title=authguard::input fail-on: `sometimes`"), "{}", run.log());
    let run = run_pull_request(&pr, &[("INPUT_VERSION", "latest")]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("::error title=authguard::input version: `latest`"), "{}", run.log());

    // A payload without a base is an error, not a silent whole-tree check.
    let event = pr.dir.path().join("no-base.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 1}}"#).unwrap();
    let run = run_action(&pr.repo(), "pull_request", Some(&event), &[]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(run.stdout.contains("has no pull_request.base.sha"), "{}", run.log());
}
