//! What rules report and what reporters render: findings with positions.

use serde::Serialize;

use crate::rules::RuleMeta;
use crate::source::{LineCol, Location, Span};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Reported; does not fail the check.
    Warning,
}

impl Severity {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What a rule reports about one file, before positions are computed.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule that fired.
    pub rule: &'static RuleMeta,
    /// The offending identifier.
    pub span: Span,
    /// Start of the enclosing statement (for suppressions above it).
    pub statement_start: usize,
    /// One sentence: what is wrong here.
    pub message: String,
    /// What to do instead; policy instructions are appended later.
    pub help: Option<String>,
    /// The table concerned, if any.
    pub table: Option<String>,
    /// The field concerned, if any.
    pub field: Option<String>,
    /// Other places the violation concerns (where a table is renamed into
    /// the mirror), drawn as second labels.
    pub related: Vec<RelatedSpan>,
}

/// Where a violation's second label stands, before positions are computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelatedAt {
    /// In the violation's own file.
    Here(Span),
    /// In another file (a migration elsewhere in the history), located already.
    Elsewhere(Location),
}

/// A violation's second label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedSpan {
    /// Where.
    pub at: RelatedAt,
    /// What happens there.
    pub message: String,
}

/// A finding's second label, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// Where: the finding's own file or another.
    pub location: Location,
    /// What happens there.
    pub message: String,
}

/// A finding as reported: a violation with its file, position and severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that fired.
    pub rule: &'static RuleMeta,
    /// Its effective severity at this path.
    pub severity: Severity,
    /// The file, as shown to users.
    pub path: String,
    /// Byte span in the file.
    pub span: Span,
    /// Start position.
    pub start: LineCol,
    /// End position (exclusive).
    pub end: LineCol,
    /// What is wrong.
    pub message: String,
    /// What to do instead.
    pub help: Option<String>,
    /// The service the file belongs to.
    pub service: Option<String>,
    /// The table concerned.
    pub table: Option<String>,
    /// The field concerned.
    pub field: Option<String>,
    /// Other places the finding concerns, in order.
    pub related: Vec<Related>,
    /// Stable identity across edits that do not touch it (see
    /// [`crate::fingerprint`]); set once the file's findings are located.
    pub fingerprint: String,
}

impl Finding {
    /// The order of reports: path, line, column, code.
    pub fn sort_key(&self) -> (&str, usize, usize, &'static str, &str) {
        (&self.path, self.start.line, self.start.column, self.rule.code, &self.message)
    }
}
