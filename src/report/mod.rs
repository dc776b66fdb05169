//! Reporters: each renders a [`Report`] in one format and knows nothing of
//! languages or policies.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use crate::check::Report;

/// Output formats of `authguard check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labels and help, for people.
    Human,
    /// The versioned JSON report of the contract.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub workflow commands (annotations).
    Github,
}

/// Options that change how a report looks, not what it says.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Use colour (only for the human format).
    pub color: bool,
}

/// Render a report.
pub fn render(report: &Report, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, opts.color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
    }
}
