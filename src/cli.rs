//! Command-line definitions (clap) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// authguard: a schema-ownership linter and migration guard for products that
/// split authentication into its own service.
///
/// It reads SQL migrations, Python (Alembic, SQLAlchemy, application code),
/// Rust (Diesel, sqlx, SeaORM, application code) and environment files,
/// checks them against an ownership policy (which service owns which tables,
/// fields and credentials) and reports precise diagnostics. Exit status: 0 no error, 1 errors found,
/// 2 the check could not be made.
#[derive(Debug, Parser)]
#[command(name = "authguard", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files against the ownership policy.
    #[command(after_help = "Examples:\n  \
        authguard check                                  # the current directory\n  \
        authguard check backend/migrations               # one folder\n  \
        authguard check --base origin/main               # only what a pull request changes\n  \
        authguard check --format json -o report.json     # for other tools\n  \
        authguard check --policy ci/authguard.yaml --exclude 'vendor/**'\n  \
        authguard check --write-baseline authguard-baseline.json   # adopt on an existing codebase\n  \
        authguard check --baseline authguard-baseline.json         # then report only new findings")]
    Check(CheckArgs),
    /// List every rule: code, name, default severity, summary.
    Rules(RulesArgs),
    /// Explain a rule: what it does, why, a bad and a good example, how to fix.
    Explain(ExplainArgs),
    /// Validate a policy and print it as resolved (or print its JSON Schema).
    Policy(PolicyArgs),
    /// Write a commented starter authguard.yaml (the bundled default policy).
    Init(InitArgs),
    /// List every inline suppression: its codes, reason and place, and
    /// whether it still suppresses anything.
    Suppressions(SuppressionsArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        authguard completions bash > ~/.local/share/bash-completion/completions/authguard\n  \
        authguard completions zsh > \"${fpath[1]}/_authguard\"\n  \
        authguard completions fish > ~/.config/fish/completions/authguard.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  authguard man > ~/.local/share/man/man1/authguard.1")]
    Man,
}

/// Arguments of `authguard completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `authguard suppressions`.
#[derive(Debug, Args)]
pub struct SuppressionsArgs {
    /// Files or directories to look in.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Policy file (as for `check`): it decides which suppressions are used.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
    /// Do not honour .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Leave out paths matching GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

/// `FORMAT:FILE` of `--report`.
#[derive(Debug, Clone)]
pub struct ExtraReport {
    /// The format.
    pub format: Format,
    /// Where to write it.
    pub path: PathBuf,
}

fn extra_report(value: &str) -> Result<ExtraReport, String> {
    let (format, path) = value.split_once(':').ok_or("expected FORMAT:FILE, e.g. sarif:authguard.sarif")?;
    let format = Format::from_str(format, true)
        .map_err(|_| format!("unknown format `{format}` (human, json, sarif or github)"))?;
    if path.is_empty() {
        return Err("the file is missing after the colon".to_string());
    }
    Ok(ExtraReport { format, path: PathBuf::from(path) })
}

/// When to colour the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `authguard check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Policy file. Default: authguard.yaml or .authguard.yaml, searched from the
    /// current directory up to the repository root; else the bundled default.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (repeatable), e.g.
    /// `--format github --report sarif:authguard.sarif`: one run, several reports.
    #[arg(long, value_name = "FORMAT:FILE", value_parser = extra_report)]
    pub report: Vec<ExtraReport>,
    /// Report only findings not in the baseline FILE; say how many it
    /// accepted and which of its entries no longer occur.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE as the baseline, and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Check only files changed since the merge-base of GIT_REF and HEAD
    /// (committed, staged, unstaged and untracked).
    #[arg(long, value_name = "GIT_REF")]
    pub base: Option<String>,
    /// Do not honour .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Leave out paths matching GLOB (matched against the path and the file or
    /// directory name). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Also list on standard error what was not read and why it is not a
    /// finding (statements that name only tables the policy does not guard).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

/// Output format of `authguard rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Human,
    /// A JSON array.
    Json,
}

/// Arguments of `authguard rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Arguments of `authguard explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (AUTH001) or name (auth-field-on-mirror).
    #[arg(value_name = "CODE|NAME")]
    pub rule: String,
}

/// Arguments of `authguard policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Policy file to validate. Default: the one `check` would use.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print the JSON Schema of the policy format instead (for editors).
    #[arg(long)]
    pub schema: bool,
}

/// Arguments of `authguard init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the policy.
    #[arg(default_value = "authguard.yaml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}
