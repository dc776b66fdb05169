//! The subcommands: resolve arguments into settings, run, print, and map the
//! outcome to an exit status.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

use crate::baseline::Baseline;
use crate::check::{self, Report, Settings};
use crate::cli::{
    CheckArgs, ColorChoice, Command, CompletionsArgs, ExplainArgs, InitArgs, ListFormat, PolicyArgs, RulesArgs,
    SuppressionsArgs,
};
use crate::discover::WalkOptions;
use crate::policy::{Origin, Policy, PolicyError, DEFAULT_POLICY};
use crate::report::{self, human, Format, RenderOptions};
use crate::rules;
use crate::source::LineIndex;

/// Exit status: no error found.
pub const EXIT_OK: u8 = 0;
/// Exit status: at least one finding of severity error.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: the check could not be made.
pub const EXIT_TROUBLE: u8 = 2;

/// Stack of each analysis thread.
const STACK_BYTES: usize = 64 << 20;

/// Run a subcommand; returns the exit status.
pub fn run(command: Command) -> u8 {
    match command {
        Command::Check(args) => check(args),
        Command::Rules(args) => list_rules(args),
        Command::Explain(args) => explain(args),
        Command::Policy(args) => policy(args),
        Command::Init(args) => init(args),
        Command::Suppressions(args) => suppressions(args),
        Command::Completions(args) => completions(args),
        Command::Man => man(),
    }
}

/// Write to standard output; a reader that went away (`| head`) is not an error.
fn print_out(text: &str) -> Result<(), String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}

fn fail(message: impl fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_TROUBLE
}

fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A policy error rendered with a snippet of the policy file.
struct PolicyDiagnostic {
    message: String,
    help: String,
    source: NamedSource<Arc<str>>,
    at: Option<usize>,
    severity: miette::Severity,
}

impl fmt::Debug for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for PolicyDiagnostic {}
impl Diagnostic for PolicyDiagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.at.map(|_| &self.source as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let at = self.at?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some("here".into()), SourceSpan::new(at.into(), 0)))))
    }
}

fn print_diagnostic(d: &PolicyDiagnostic) {
    let mut out = String::new();
    let _ = human::handler(stderr_color()).render_report(&mut out, d);
    eprint!("{out}");
}

/// Print a policy error: `file:line:col: message`, then the snippet.
fn report_policy_error(e: &PolicyError) -> u8 {
    if e.line == 0 {
        // Nothing to point at (the file could not be read at all).
        eprintln!("error: invalid policy {}: {}\n  help: {}", e.file, e.message, e.help);
        return EXIT_TROUBLE;
    }
    eprintln!("error: invalid policy {}:{}:{}: {}", e.file, e.line, e.column, e.message);
    let text = e.text.clone().unwrap_or_else(|| Arc::from(""));
    let at = e.text.as_ref().filter(|_| e.line > 0).map(|t| LineIndex::new(t).offset(t, e.line, e.column));
    print_diagnostic(&PolicyDiagnostic {
        message: e.message.clone(),
        help: e.help.clone(),
        source: NamedSource::new(e.file.clone(), text),
        at,
        severity: miette::Severity::Error,
    });
    EXIT_TROUBLE
}

fn load_policy(explicit: Option<&Path>, cwd: &Path) -> Result<Policy, u8> {
    Policy::discover(explicit, cwd).map_err(|e| report_policy_error(&e))
}

/// What `check` and `suppressions` share: the settings of a run.
struct RunArgs {
    paths: Vec<std::path::PathBuf>,
    policy: Option<std::path::PathBuf>,
    no_ignore: bool,
    exclude: Vec<String>,
    threads: Option<usize>,
    base: Option<String>,
    /// List what was not read (`check --verbose`).
    verbose: bool,
}

/// Load the policy, run the pipeline, print its notices and policy warnings.
fn run_check(args: RunArgs) -> Result<(Report, Settings), u8> {
    let cwd = std::env::current_dir().map_err(|e| fail(format!("cannot read the current directory: {e}")))?;
    let policy = load_policy(args.policy.as_deref(), &cwd)?;
    let threads = args.threads.unwrap_or(0);
    let args_verbose = args.verbose;
    // Parsers recurse: give workers deep stacks (address space, not memory,
    // until used). A second initialisation in one process is harmless.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).stack_size(STACK_BYTES).build_global();
    let settings = Settings {
        paths: args.paths,
        walk: WalkOptions { no_ignore: args.no_ignore, exclude: args.exclude, threads },
        base: args.base,
        cwd,
        policy,
    };
    let report = check::check(&settings).map_err(fail)?;
    for notice in &report.notices {
        eprintln!("warning: {notice}");
    }
    if args_verbose {
        for u in &report.unread {
            eprintln!(
                "note: {}:{}:{}: not read ({}); it names only tables the policy does not guard: {}",
                u.path,
                u.start.line,
                u.start.column,
                u.message,
                u.tables.join(", ")
            );
        }
    }
    if let Origin::File(path) = &settings.policy.origin {
        for w in &report.policy_warnings {
            let pos = settings.policy.spans.value(&w.yaml_path);
            let text = settings.policy.text.clone();
            let at = pos.map(|p| LineIndex::new(&text).offset(&text, p.line, p.column));
            let shown = path.display().to_string();
            let where_ = pos.map_or(shown.clone(), |p| format!("{shown}:{}:{}", p.line, p.column));
            eprintln!("warning: policy entry {where_}: {}", w.message);
            print_diagnostic(&PolicyDiagnostic {
                message: w.message.clone(),
                help: "remove the entry or fix it, so the policy does not rot".to_string(),
                source: NamedSource::new(shown, text),
                at,
                severity: miette::Severity::Warning,
            });
        }
    }
    Ok((report, settings))
}

fn check(args: CheckArgs) -> u8 {
    let run = RunArgs {
        paths: args.paths,
        policy: args.policy,
        no_ignore: args.no_ignore,
        exclude: args.exclude,
        threads: args.threads,
        base: args.base,
        verbose: args.verbose,
    };
    // Read the baseline first: a bad one is a usage error, before any work.
    let baseline = match args.baseline.as_deref().map(Baseline::load).transpose() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let (mut report, _settings) = match run_check(run) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some(path) = &args.write_baseline {
        let b = Baseline::of(&report);
        if let Err(e) = std::fs::write(path, b.to_text()) {
            return fail(format!("cannot write the baseline `{}`: {e}", path.display()));
        }
        eprintln!(
            "Wrote {} finding(s) to the baseline {}; `authguard check --baseline {}` now reports only new ones.",
            b.findings.len(),
            path.display(),
            path.display()
        );
        return EXIT_OK;
    }
    if let (Some(b), Some(path)) = (&baseline, &args.baseline) {
        let stale = b.apply(&mut report);
        if !stale.is_empty() {
            eprintln!(
                "warning: {} entr{} of the baseline {} no longer occur (fixed or changed); \
                 run `authguard check --write-baseline {}` to drop them:",
                stale.len(),
                if stale.len() == 1 { "y" } else { "ies" },
                path.display(),
                path.display()
            );
            for e in &stale {
                eprintln!("  {} {}:{} {}", e.code, e.path, e.line, e.message);
            }
        }
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let rendered = report::render(&report, args.format, RenderOptions { color });
    let written = match &args.output {
        Some(path) => std::fs::write(path, rendered.as_bytes())
            .map_err(|e| format!("cannot write the report to `{}`: {e}", path.display())),
        None => print_out(&rendered),
    };
    if let Err(e) = written {
        return fail(e);
    }
    for extra in &args.report {
        let text = report::render(&report, extra.format, RenderOptions { color: false });
        if let Err(e) = std::fs::write(&extra.path, text.as_bytes()) {
            return fail(format!("cannot write the report to `{}`: {e}", extra.path.display()));
        }
    }
    if args.format == Format::Github {
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let summary = report::github::step_summary(&report);
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(summary.as_bytes()));
            if let Err(e) = appended {
                eprintln!(
                    "warning: cannot append the summary to GITHUB_STEP_SUMMARY ({}): {e}",
                    Path::new(&path).display()
                );
            }
        }
    }
    if args.output.is_some() && args.format != Format::Human {
        eprintln!("{}", human::summary(&report));
    }
    if report.count(crate::diagnostic::Severity::Error) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// `authguard suppressions`: every inline suppression, and whether it is used.
fn suppressions(args: SuppressionsArgs) -> u8 {
    let run = RunArgs {
        paths: args.paths,
        policy: args.policy,
        no_ignore: args.no_ignore,
        exclude: args.exclude,
        threads: None,
        base: None,
        verbose: false,
    };
    let (report, _) = match run_check(run) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let listed = &report.suppressions;
    let out = match args.format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "version": 1,
                "suppressions": listed,
                "summary": {
                    "suppressions": listed.len(),
                    "unused": listed.iter().filter(|s| !s.used).count(),
                    "invalid": listed.iter().filter(|s| s.problem.is_some()).count(),
                },
            }))
            .unwrap_or_else(|e| unreachable!("plain data serialises: {e}"));
            s.push('\n');
            s
        }
        ListFormat::Human => {
            let mut s = String::new();
            for l in listed {
                let state = match (&l.problem, l.used) {
                    (Some(p), _) => format!("invalid: {p}"),
                    (None, true) => "used".to_string(),
                    (None, false) => "unused: suppresses nothing".to_string(),
                };
                let reason = if l.reason.is_empty() { "(no reason)".to_string() } else { l.reason.clone() };
                s.push_str(&format!(
                    "{}:{}:{}: {} {} [{state}]\n",
                    l.path,
                    l.line,
                    l.column,
                    l.codes.join(","),
                    reason
                ));
            }
            let unused = listed.iter().filter(|l| !l.used).count();
            s.push_str(&format!("{} suppression(s), {unused} suppress nothing.\n", listed.len()));
            s
        }
    };
    if let Err(e) = print_out(&out) {
        return fail(e);
    }
    EXIT_OK
}

/// `authguard completions SHELL`.
fn completions(args: CompletionsArgs) -> u8 {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "authguard", &mut out);
    match print_out(&String::from_utf8_lossy(&out)) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}

/// `authguard man`.
fn man() -> u8 {
    let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        return fail(format!("cannot render the man page: {e}"));
    }
    match print_out(&String::from_utf8_lossy(&out)) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}

fn list_rules(args: RulesArgs) -> u8 {
    let mut out = String::new();
    match args.format {
        ListFormat::Human => {
            for r in rules::ALL {
                out.push_str(&format!("{}  {:<30} {:<8} {}\n", r.code, r.name, r.default_severity.as_str(), r.summary));
            }
        }
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules::ALL
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code, "name": r.name,
                        "severity": r.default_severity.as_str(), "summary": r.summary,
                    })
                })
                .collect();
            out = serde_json::to_string_pretty(&list).unwrap_or_default();
            out.push('\n');
        }
    }
    match print_out(&out) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}

fn explain(args: ExplainArgs) -> u8 {
    match rules::find(args.rule.trim()) {
        Some(r) => {
            let text = format!(
                "{} {} (default severity: {})\n\n{}\n",
                r.code,
                r.name,
                r.default_severity.as_str(),
                r.docs_text().trim_end()
            );
            match print_out(&text) {
                Ok(()) => EXIT_OK,
                Err(e) => fail(e),
            }
        }
        None => fail(format!("unknown rule `{}`; `authguard rules` lists them", args.rule)),
    }
}

fn policy(args: PolicyArgs) -> u8 {
    if args.schema {
        let schema = schemars::schema_for!(crate::policy::raw::RawPolicy);
        let text = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap_or_default());
        return match print_out(&text) {
            Ok(()) => EXIT_OK,
            Err(e) => fail(e),
        };
    }
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => return fail(format!("cannot read the current directory: {e}")),
    };
    match load_policy(args.policy.as_deref(), &cwd) {
        Ok(p) => {
            let from = match &p.origin {
                Origin::Bundled => "the bundled default policy".to_string(),
                Origin::File(f) => f.display().to_string(),
            };
            match print_out(&format!("# policy resolved from {from}; valid\n{}", p.resolved_yaml())) {
                Ok(()) => EXIT_OK,
                Err(e) => fail(e),
            }
        }
        Err(code) => code,
    }
}

fn init(args: InitArgs) -> u8 {
    if args.path.exists() && !args.force {
        return fail(format!("`{}` exists; use --force to overwrite it", args.path.display()));
    }
    match std::fs::write(&args.path, DEFAULT_POLICY) {
        Ok(()) => {
            eprintln!(
                "wrote {}; `authguard policy --policy {}` validates it",
                args.path.display(),
                args.path.display()
            );
            EXIT_OK
        }
        Err(e) => fail(format!("cannot write `{}`: {e}", args.path.display())),
    }
}
