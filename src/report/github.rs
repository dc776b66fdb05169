//! `--format github`: one workflow command per finding, which GitHub shows
//! as an annotation on the pull request.

use crate::check::Report;
use crate::diagnostic::Severity;

/// Escape a message: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a property value: as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Render the report as workflow commands.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!("file={},line={}", escape_property(&f.path), f.start.line);
        // Columns only make sense for a span on one line.
        if f.start.line == f.end.line {
            props.push_str(&format!(",col={},endLine={},endColumn={}", f.start.column, f.end.line, f.end.column));
        } else {
            props.push_str(&format!(",endLine={}", f.end.line));
        }
        let title = escape_property(&format!("{} {}", f.rule.code, f.rule.name));
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!("::{level} {props},title={title}::{}\n", escape_data(&message)));
    }
    out
}
