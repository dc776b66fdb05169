//! Stable fingerprints of findings, for baselines and SARIF's
//! `partialFingerprints`.
//!
//! A fingerprint survives unrelated edits and code moving up or down: it is
//! made of the rule, the path (relative to the project root — the policy
//! file's folder or the git repository — so it does not change with the
//! directory authguard runs from), the table and field concerned, the text of
//! the identifier the finding points at and the text of its line(s) with
//! whitespace collapsed — never a line number. Findings identical in all of
//! that within a file are told apart by their order.

use std::collections::HashMap;

use crate::diagnostic::Finding;

/// Give each finding of one file its fingerprint. `text` is the file's
/// text, `path` its path relative to the project root.
pub fn assign(findings: &mut [Finding], text: &str, path: &str) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| (findings[i].span.start, findings[i].rule.code));
    for i in order {
        let f = &findings[i];
        let ident = normalise(text.get(f.span.start..f.span.end).unwrap_or(""));
        let line = normalise(lines_of(text, f.span.start, f.span.end));
        let key =
            [f.rule.code, path, f.table.as_deref().unwrap_or(""), f.field.as_deref().unwrap_or(""), &ident, &line]
                .join("\u{0}");
        let n = seen.entry(key.clone()).or_insert(0);
        let input = format!("{key}\u{0}{n}");
        *n += 1;
        findings[i].fingerprint = hex(&input);
    }
}

/// The whole lines a byte span touches.
fn lines_of(text: &str, start: usize, end: usize) -> &str {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i);
    text.get(from..to).unwrap_or("")
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 128 bits of two FNV-1a hashes with different offsets, as 32 hex digits:
/// stable across platforms and versions, unlike `std`'s hasher.
fn hex(input: &str) -> String {
    let fnv = |offset: u64| input.bytes().fold(offset, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{:016x}{:016x}", fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::source::{LineCol, Span};

    fn finding(text: &str, at: &str, nth: usize) -> Finding {
        let start = text.match_indices(at).nth(nth).map(|(i, _)| i).unwrap();
        Finding {
            rule: &crate::rules::auth001_auth_field_on_mirror::RULE,
            severity: Severity::Error,
            path: "m.sql".into(),
            span: Span::new(start, start + at.len()),
            start: LineCol { line: 1, column: 1 },
            end: LineCol { line: 1, column: 1 },
            message: String::new(),
            help: None,
            service: None,
            table: Some("userbase".into()),
            field: Some(at.into()),
            related: Vec::new(),
            fingerprint: String::new(),
        }
    }

    fn prints(text: &str, at: &[(&str, usize)]) -> Vec<String> {
        let mut fs: Vec<Finding> = at.iter().map(|(a, n)| finding(text, a, *n)).collect();
        assign(&mut fs, text, "db/m.sql");
        fs.into_iter().map(|f| f.fingerprint).collect()
    }

    #[test]
    fn moving_code_keeps_fingerprints_and_edits_elsewhere_too() {
        let sql = "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n";
        let moved = format!("{}-- reformatted\n{}", "\n".repeat(20), sql.replace("ADD COLUMN", "ADD   COLUMN"));
        assert_eq!(prints(sql, &[("mfa_secret", 0)]), prints(&moved, &[("mfa_secret", 0)]));
        // Another column on the same table is another finding.
        let other = sql.replace("mfa_secret", "mfa_secret2");
        assert_ne!(prints(sql, &[("mfa_secret", 0)]), prints(&other, &[("mfa_secret2", 0)]));
        assert_eq!(prints(sql, &[("mfa_secret", 0)])[0].len(), 32);
    }

    #[test]
    fn identical_findings_are_told_apart_by_order() {
        let sql =
            "ALTER TABLE userbase ADD COLUMN mfa_secret text;\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n";
        let p = prints(sql, &[("mfa_secret", 0), ("mfa_secret", 1)]);
        assert_ne!(p[0], p[1]);
    }
}
