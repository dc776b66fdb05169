//! `--format sarif`: SARIF 2.1.0, one run, every rule in `tool.driver.rules`.

use serde_json::{json, Value};

use crate::check::Report;
use crate::diagnostic::Severity;
use crate::rules;
use crate::source::LineCol;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The "What it does" paragraph of a rule's docs, as one line.
fn what_it_does(docs: &str) -> String {
    let body = docs.split("## What it does").nth(1).unwrap_or(docs);
    let para = body.split("\n\n").map(str::trim).find(|p| !p.is_empty()).unwrap_or("");
    para.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A path as a relative URI reference: `/`-separated, and every byte that is
/// not unreserved percent-encoded (a space, `#`, `%`, non-ASCII).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Render the report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            let docs = r.docs_text();
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": what_it_does(&docs) },
                "help": { "text": docs, "markdown": docs },
                "defaultConfiguration": { "level": level(r.default_severity) },
                "properties": { "tags": ["security", "auth-separation"] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = rules::ALL.iter().position(|r| r.code == f.rule.code).unwrap_or(0);
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let region = |start: &LineCol, end: &LineCol| {
                json!({
                    "startLine": start.line,
                    "startColumn": start.column,
                    "endLine": end.line,
                    "endColumn": end.column,
                })
            };
            let mut result = json!({
                "ruleId": f.rule.code,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path), "uriBaseId": "%SRCROOT%" },
                        "region": region(&f.start, &f.end),
                    }
                }],
                "partialFingerprints": { "authguard/v1": f.fingerprint },
            });
            if !f.related.is_empty() {
                let related: Vec<Value> = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "id": i + 1,
                            "physicalLocation": {
                                "artifactLocation": { "uri": uri(&r.location.path), "uriBaseId": "%SRCROOT%" },
                                "region": region(&r.location.start, &r.location.end),
                            },
                            "message": { "text": r.message },
                        })
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "authguard",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{ "executionSuccessful": true }],
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("backend/db/001_init.sql"), "backend/db/001_init.sql");
        assert_eq!(uri("my dir/a#1%.sql"), "my%20dir/a%231%25.sql");
        assert_eq!(uri("ü.py"), "%C3%BC.py");
    }

    #[test]
    fn full_descriptions_are_the_first_paragraph() {
        let d = what_it_does(&rules::ALL[0].docs_text());
        assert!(d.starts_with("Flags") && !d.contains('\n'), "{d}");
    }
}
