//! Comments of a Rust file, for suppressions: `syn` drops them, so a small
//! lexer finds them, skipping string, raw-string and character literals.

use crate::facts::{Comment, FileFacts};
use crate::source::Span;

/// `//` and `/* */` comments, found by a small lexer that skips string,
/// raw-string and character literals (syn drops comments).
pub(super) fn comments(text: &str, out: &mut FileFacts) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let body = text[i + 2..end].trim_start_matches(['/', '!']).to_string();
                out.comments.push(Comment { text: body, span: Span::new(i, end) });
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(text.len(), |n| i + 2 + n + 2);
                let body = text[i + 2..end.saturating_sub(2).max(i + 2)].to_string();
                out.comments.push(Comment { text: body, span: Span::new(i, end) });
                i = end;
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#')) && (i == 0 || !is_ident(b[i - 1])) => {
                // r"..." or r#"..."#
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    let from = i + 2 + hashes;
                    i = text[from..].find(&close).map_or(text.len(), |n| from + n + close.len());
                } else {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            // A char literal ('a', '\n'), not a lifetime ('a).
            b'\'' if b.get(i + 2) == Some(&b'\'') || (b.get(i + 1) == Some(&b'\\')) => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
