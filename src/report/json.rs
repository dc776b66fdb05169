//! `--format json`: the contract's versioned report, with its own types so
//! internal changes never leak into the format.

use serde::Serialize;

use crate::check::Report;
use crate::diagnostic::Severity;
use crate::source::LineCol;

/// Version of the JSON report format.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
    /// Statements not read that name only unguarded tables (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unread: Vec<JsonUnread<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    rule: &'static str,
    severity: &'static str,
    #[serde(flatten)]
    place: JsonPlace<'a>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    /// Second places the finding concerns (where a table is renamed into the mirror).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
    /// Stable across edits elsewhere and line shifts (baselines, SARIF).
    fingerprint: &'a str,
}

/// A statement that could not be read but names only unguarded tables.
#[derive(Serialize)]
struct JsonUnread<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    tables: &'a [String],
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    #[serde(flatten)]
    place: JsonPlace<'a>,
    message: &'a str,
}

/// Where a finding or one of its related places stands: a file and the
/// positions (from 1) of its first and past-the-last characters.
#[derive(Serialize)]
struct JsonPlace<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl<'a> JsonPlace<'a> {
    fn new(path: &'a str, start: LineCol, end: LineCol) -> Self {
        JsonPlace { path, line: start.line, column: start.column, end_line: end.line, end_column: end.column }
    }
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    suppressed: usize,
    /// Statements that could not be read but name only tables the policy
    /// does not guard (listed in `unread`).
    unread_statements: usize,
    /// Findings a baseline accepted (only with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    baselined: Option<usize>,
}

/// Render the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let out = JsonReport {
        version: FORMAT_VERSION,
        tool: Tool { name: "authguard", version: env!("CARGO_PKG_VERSION") },
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                code: f.rule.code,
                rule: f.rule.name,
                severity: f.severity.as_str(),
                place: JsonPlace::new(&f.path, f.start, f.end),
                message: &f.message,
                help: f.help.as_deref(),
                service: f.service.as_deref(),
                table: f.table.as_deref(),
                field: f.field.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        place: JsonPlace::new(&r.location.path, r.location.start, r.location.end),
                        message: &r.message,
                    })
                    .collect(),
                fingerprint: &f.fingerprint,
            })
            .collect(),
        summary: Summary {
            files_scanned: report.files_scanned,
            findings: report.findings.len(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            suppressed: report.suppressed,
            unread_statements: report.unread.len(),
            baselined: report.baselined,
        },
        unread: report
            .unread
            .iter()
            .map(|u| JsonUnread {
                path: &u.path,
                line: u.start.line,
                column: u.start.column,
                message: &u.message,
                tables: &u.tables,
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"));
    s.push('\n');
    s
}
