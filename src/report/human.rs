//! The human format: miette snippets with a label on the offending
//! identifier, the help, and a one-line summary.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use crate::check::Report;
use crate::diagnostic::{Finding, Severity};

/// Width snippets are wrapped at: fixed, so output does not depend on the terminal.
const WIDTH: usize = 100;

/// A file's text, named, whose positions count columns in characters (as
/// the JSON report does) rather than bytes (as miette does by itself).
pub struct CharSource {
    name: String,
    text: Arc<str>,
}

impl CharSource {
    /// Name some text.
    pub fn new(name: impl Into<String>, text: Arc<str>) -> Self {
        CharSource { name: name.into(), text }
    }
}

impl SourceCode for CharSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_ref().read_span(span, before, after)?;
        let mut column = inner.column();
        if column > 0 {
            let end = span.offset().min(self.text.len());
            let start = end.saturating_sub(column);
            if let Some(prefix) = self.text.get(start..end) {
                column = prefix.chars().count();
            }
        }
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// Lines longer than this are not drawn: miette cannot lay out labels past
/// column 65535, and nobody reads a snippet that wide.
const MAX_SNIPPET_LINE: usize = 2_000;

struct Rendered<'a> {
    finding: &'a Finding,
    source: CharSource,
    /// Whether to draw the snippet (the offending lines are short enough).
    snippet: bool,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.finding;
        if !self.snippet {
            // Without a snippet miette shows no position: say it here.
            write!(f, "{}:{}:{}: ", x.path, x.start.line, x.start.column)?;
        }
        f.write_str(&x.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{}({})", self.finding.rule.code, self.finding.rule.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        // Places miette cannot label (another file, or no snippet drawn) are
        // named after the help.
        let f = self.finding;
        let mut help = f.help.clone();
        for r in f.related.iter().filter(|r| !self.snippet || r.location.path != f.path) {
            let at =
                format!("{}:{}:{}: {}", r.location.path, r.location.start.line, r.location.start.column, r.message);
            help = Some(match help {
                Some(h) => format!("{h}\nsee {at}"),
                None => format!("see {at}"),
            });
        }
        help.map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.snippet.then_some(&self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        let f = self.finding;
        let label = match (&f.table, &f.field) {
            (Some(t), Some(c)) => format!("{t}.{c}"),
            (Some(t), None) => t.clone(),
            _ => f.rule.name.to_string(),
        };
        let span = SourceSpan::new(f.span.start.into(), f.span.len());
        let mut labels = vec![LabeledSpan::new_with_span(Some(label), span)];
        for r in f.related.iter().filter(|r| r.location.path == f.path) {
            let span = SourceSpan::new(r.location.span.start.into(), r.location.span.len());
            labels.push(LabeledSpan::new_with_span(Some(r.message.clone()), span));
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// A miette handler for the chosen colour mode.
pub fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    GraphicalReportHandler::new_themed(theme).with_width(WIDTH).with_links(false)
}

/// Render every finding, then the summary line.
pub fn render(report: &Report, color: bool) -> String {
    let handler = handler(color);
    let mut out = String::new();
    for finding in &report.findings {
        let text = report.sources.get(&finding.path).cloned().unwrap_or_else(|| Arc::from(""));
        let snippet = lines_are_short(&text, finding.span.start, finding.span.end)
            && finding.related.iter().filter(|r| r.location.path == finding.path).all(|r| {
                r.location.span.end <= text.len() && lines_are_short(&text, r.location.span.start, r.location.span.end)
            });
        let d = Rendered { finding, source: CharSource::new(finding.path.clone(), text), snippet };
        if handler.render_report(&mut out, &d).is_err() {
            out.push_str(&format!(
                "{}:{}:{}: {}\n",
                finding.path, finding.start.line, finding.start.column, finding.message
            ));
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// Whether every line the span touches is short enough to draw.
fn lines_are_short(text: &str, start: usize, end: usize) -> bool {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let first = text.as_bytes()[..start].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let last = text.as_bytes()[end..].iter().position(|b| *b == b'\n').map_or(text.len(), |i| end + i);
    text.as_bytes()[first..last].split(|b| *b == b'\n').all(|l| l.len() <= MAX_SNIPPET_LINE)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// One line: what was found in how many files.
pub fn summary(report: &Report) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let files = plural(report.files_scanned, "file");
    let mut s = if errors + warnings == 0 {
        format!("No findings in {files}.")
    } else {
        format!("Found {} and {} in {files}.", plural(errors, "error"), plural(warnings, "warning"))
    };
    if report.suppressed > 0 {
        s.push_str(&format!(" {} suppressed.", plural(report.suppressed, "finding")));
    }
    if !report.unread.is_empty() {
        s.push_str(&format!(
            " {} not read: {} only tables the policy does not guard (--verbose lists {}).",
            plural(report.unread.len(), "statement"),
            if report.unread.len() == 1 { "it names" } else { "they name" },
            if report.unread.len() == 1 { "it" } else { "them" },
        ));
    }
    if let Some(n) = report.baselined.filter(|n| *n > 0) {
        s.push_str(&format!(" {} in the baseline.", plural(n, "finding")));
    }
    s
}
