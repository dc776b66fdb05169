//! Inline suppressions: `authguard-ignore CODE[, CODE]: reason` in a comment
//! on the offending line or the line above it (or above the statement the
//! offending identifier belongs to).

use crate::diagnostic::Violation;
use crate::facts::Comment;
use crate::rules::{self, RuleMeta};
use crate::source::{SourceFile, Span};

const MARKER: &str = "authguard-ignore";

/// A suppression comment, parsed.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// Where the comment stands.
    pub span: Span,
    /// First and last line of the comment.
    pub lines: (usize, usize),
    /// The rules it names (known ones only).
    pub rules: Vec<&'static RuleMeta>,
    /// The codes as written.
    pub codes: Vec<String>,
    /// The reason, trimmed.
    pub reason: String,
    /// Why it is invalid, if it is (then it suppresses nothing).
    pub problem: Option<String>,
    /// Whether it suppressed at least one finding.
    pub used: bool,
}

/// A suppression as `authguard suppressions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    /// The file, as shown to users.
    pub path: String,
    /// Where the comment starts (from 1).
    pub line: usize,
    /// Its column (from 1, in characters).
    pub column: usize,
    /// The codes as written.
    pub codes: Vec<String>,
    /// The reason given.
    pub reason: String,
    /// Whether it suppressed at least one finding in this run.
    pub used: bool,
    /// Why it is invalid (AUTH011), if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Listed {
    /// The listing of a suppression of `file`, once findings were matched.
    pub fn new(s: &Suppression, file: &SourceFile) -> Self {
        let at = file.line_col(s.span.start);
        Listed {
            path: file.display.clone(),
            line: at.line,
            column: at.column,
            codes: s.codes.clone(),
            reason: s.reason.clone(),
            used: s.used,
            problem: s.problem.clone(),
        }
    }
}

/// Parse the suppressions among a file's comments.
pub fn parse(comments: &[Comment], file: &SourceFile) -> Vec<Suppression> {
    let mut out = Vec::new();
    for c in comments {
        let text = c.text.trim_start_matches(['-', '#', '/', '*', '!']).trim_start();
        let Some(rest) = text.strip_prefix(MARKER) else { continue };
        // `authguard-ignored` or `authguard-ignore-next` are other words, not the marker.
        if rest.starts_with(|ch: char| ch.is_alphanumeric() || ch == '-' || ch == '_') {
            continue;
        }
        let rest = rest.trim_end_matches("*/");
        let (codes_part, reason) = match rest.split_once(':') {
            Some((codes, reason)) => (codes, Some(reason.trim())),
            None => (rest, None),
        };
        let codes: Vec<String> =
            codes_part.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        let mut rules_named = Vec::new();
        let mut problem = None;
        for code in &codes {
            match rules::find(code) {
                Some(rule) => rules_named.push(rule),
                None => {
                    problem.get_or_insert_with(|| format!("suppression names unknown rule `{code}`"));
                }
            }
        }
        if codes.is_empty() {
            problem = Some("suppression names no rule code".to_string());
        } else if reason.is_none_or(str::is_empty) && problem.is_none() {
            problem = Some("suppression gives no reason".to_string());
        }
        let first = file.line_col(c.span.start).line;
        let last = file.line_col(c.span.end.saturating_sub(1).max(c.span.start)).line;
        out.push(Suppression {
            span: c.span,
            lines: (first, last),
            rules: rules_named,
            codes,
            reason: reason.unwrap_or("").trim().to_string(),
            problem,
            used: false,
        });
    }
    out
}

/// Whether `s` covers a violation at `line` in a statement starting on `statement_line`.
fn covers(s: &Suppression, line: usize, statement_line: usize) -> bool {
    let (first, last) = s.lines;
    [line, statement_line].iter().any(|&l| (first..=last + 1).contains(&l))
}

/// Remove suppressed violations; return how many were suppressed.
/// AUTH011 and AUTH012 are judged afterwards and cannot themselves be suppressed.
pub fn apply(violations: &mut Vec<Violation>, suppressions: &mut [Suppression], file: &SourceFile) -> usize {
    let before = violations.len();
    violations.retain(|v| {
        let line = file.line_col(v.span.start).line;
        let statement_line = file.line_col(v.statement_start).line;
        let mut suppressed = false;
        for s in suppressions.iter_mut() {
            if s.problem.is_none() && s.rules.iter().any(|r| r.code == v.rule.code) && covers(s, line, statement_line) {
                s.used = true;
                suppressed = true;
            }
        }
        !suppressed
    });
    before - violations.len()
}

/// AUTH011 for invalid suppressions, AUTH012 for unused valid ones.
pub fn judge(suppressions: &[Suppression]) -> Vec<Violation> {
    let mut out = Vec::new();
    for s in suppressions {
        let (rule, message, help) = match &s.problem {
            Some(problem) => (
                &rules::auth011_unjustified_suppression::RULE,
                format!("{problem}; it suppresses nothing"),
                "write `authguard-ignore CODE: reason`, with codes from `authguard rules`".to_string(),
            ),
            None if !s.used => (
                &rules::auth012_unused_suppression::RULE,
                format!("suppression of {} suppresses nothing", s.codes.join(", ")),
                "delete it, or move it to the line of the finding or the line above".to_string(),
            ),
            None => continue,
        };
        out.push(Violation {
            rule,
            span: s.span,
            statement_start: s.span.start,
            message,
            help: Some(help),
            table: None,
            field: None,
            related: Vec::new(),
        });
    }
    out
}
