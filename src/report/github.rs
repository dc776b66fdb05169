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
        // An annotation has one place: the others are named in its text.
        for r in &f.related {
            let at = &r.location;
            message.push_str(&format!("\nsee {}:{}:{}: {}", at.path, at.start.line, at.start.column, r.message));
        }
        out.push_str(&format!("::{level} {props},title={title}::{}\n", escape_data(&message)));
    }
    out
}

/// GitHub's limit on a step summary (1 MiB), less room for the closing note.
const SUMMARY_LIMIT: usize = (1 << 20) - 4096;

/// A Markdown summary for `$GITHUB_STEP_SUMMARY`: counts per rule and a
/// table of findings, cut short with a note past GitHub's size limit.
pub fn step_summary(report: &Report) -> String {
    step_summary_within(report, SUMMARY_LIMIT)
}

fn step_summary_within(report: &Report, limit: usize) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let mut s = String::from("## authguard\n\n");
    let mut extra = String::new();
    if report.suppressed > 0 {
        extra.push_str(&format!(", {} suppressed", report.suppressed));
    }
    if let Some(n) = report.baselined.filter(|n| *n > 0) {
        extra.push_str(&format!(", {n} in the baseline"));
    }
    s.push_str(&format!(
        "**{errors} error(s), {warnings} warning(s)** in {} file(s){extra}.\n\n",
        report.files_scanned
    ));
    if report.findings.is_empty() {
        s.push_str("No findings.\n");
        return s;
    }
    let mut per_rule: std::collections::BTreeMap<(&str, &str), usize> = std::collections::BTreeMap::new();
    for f in &report.findings {
        *per_rule.entry((f.rule.code, f.rule.name)).or_insert(0) += 1;
    }
    s.push_str("| rule | findings |\n| --- | ---: |\n");
    for ((code, name), n) in &per_rule {
        s.push_str(&format!("| {code} {name} | {n} |\n"));
    }
    s.push_str("\n| | location | rule | message |\n| --- | --- | --- | --- |\n");
    for (i, f) in report.findings.iter().enumerate() {
        let mark = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let row = format!(
            "| {mark} | `{}:{}:{}` | {} | {} |\n",
            cell(&f.path).replace('`', "'"),
            f.start.line,
            f.start.column,
            f.rule.code,
            cell(&f.message)
        );
        if s.len() + row.len() > limit {
            let left = report.findings.len() - i;
            s.push_str(&format!(
                "\n{left} more finding(s) not shown: GitHub limits a step summary to 1 MiB. \
                 The annotations and the SARIF or JSON report have them all.\n"
            ));
            return s;
        }
        s.push_str(&row);
    }
    s
}

/// Text safe in a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Finding;
    use crate::source::{LineCol, Span};

    fn report(n: usize) -> Report {
        let finding = |i: usize| Finding {
            rule: &crate::rules::auth004_direct_password_verification::RULE,
            severity: Severity::Error,
            path: format!("backend/a|b_{i}.py"),
            span: Span::default(),
            start: LineCol { line: i + 1, column: 5 },
            end: LineCol { line: i + 3, column: 2 },
            message: "`bcrypt.checkpw` verifies a password\nin the main backend: 100%".to_string(),
            help: Some("ask the auth service".to_string()),
            service: None,
            table: None,
            field: None,
            related: Vec::new(),
            fingerprint: String::new(),
        };
        Report { findings: (0..n).map(finding).collect(), files_scanned: n, ..Report::default() }
    }

    #[test]
    fn annotations_escape_data_and_properties_and_drop_columns_of_multiline_spans() {
        let out = render(&report(1));
        assert_eq!(
            out,
            "::error file=backend/a|b_0.py,line=1,endLine=3,title=AUTH004 direct-password-verification::\
             `bcrypt.checkpw` verifies a password%0Ain the main backend: 100%25%0Ahelp: ask the auth service\n"
        );
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn the_summary_counts_per_rule_escapes_cells_and_stops_at_the_limit() {
        let s = step_summary(&report(2));
        assert!(s.contains("**2 error(s), 0 warning(s)** in 2 file(s)."), "{s}");
        assert!(s.contains("| AUTH004 direct-password-verification | 2 |"), "{s}");
        assert!(s.contains("| error | `backend/a\\|b_0.py:1:5` | AUTH004 | `bcrypt.checkpw` verifies a password in the main backend: 100% |"), "{s}");
        let cut = step_summary_within(&report(50), 1500);
        assert!(cut.len() < 1800, "{}", cut.len());
        assert!(cut.contains("more finding(s) not shown"), "{cut}");
        assert!(step_summary(&Report::default()).contains("No findings."));
    }
}
