//! One pass of a small lexer over a Rust file, before `syn` parses it:
//!
//! - comments, for suppressions (`syn` drops them), skipping string,
//!   raw-string and character literals;
//! - how deeply the syntax tree will nest. `syn` parses, and its visitors
//!   walk, recursively: 4,000 nested parentheses or a 20,000-link method
//!   chain overflow even a 64 MiB stack. The estimate counts open brackets
//!   plus, per bracket level, the operators, `.` links and `else`s since the
//!   last `;` or `,` of that level (each can nest the tree one deeper),
//!   weighted by what each costs.

use crate::facts::{Comment, FileFacts};
use crate::source::Span;

/// The deepest estimated nesting of a file and where it is reached.
pub(super) struct Nesting {
    /// The estimate (see the module docs).
    pub depth: usize,
    /// Byte offset where it is reached.
    pub at: usize,
}

/// Collect `//` and `/* */` comments into `out` and estimate the nesting.
pub(super) fn scan(text: &str, out: &mut FileFacts) -> Nesting {
    let b = text.as_bytes();
    let mut i = 0;
    // Per open bracket level: the weight of its links since its last `;` or
    // `,` (operators and `.` since its last closed `{}` too: a block ends a
    // match arm or a statement). Weights are in sixteenths of a bracket,
    // roughly the stack each costs `syn` relative to a nested bracket
    // (measured: about 3,000 parentheses, 15,000 `.` links, 12,000 calls or
    // 50,000 `+` overflow 64 MiB); closures and unary operators cost more
    // than their weight, which the large stack of deep files absorbs.
    let mut levels: Vec<Level> = vec![Level::default()];
    let mut total = 0usize;
    let mut deepest = Nesting { depth: 0, at: 0 };
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
            b'(' | b'[' | b'{' => {
                levels.push(Level::default());
                total += BRACKET;
                i += 1;
            }
            b')' | b']' | b'}' => {
                if levels.len() > 1 {
                    let closed = levels.pop().unwrap_or_default();
                    total -= BRACKET + closed.weight();
                    if let Some(parent) = levels.last_mut() {
                        if b[i] == b'}' {
                            total -= parent.links;
                            parent.links = 0;
                        } else {
                            // A call or an index: a postfix link (`f()()`, `a[0][1]`).
                            parent.links += POSTFIX;
                            total += POSTFIX;
                        }
                    }
                }
                i += 1;
            }
            b';' | b',' => {
                if let Some(level) = levels.last_mut() {
                    total -= level.weight();
                    *level = Level::default();
                }
                i += 1;
            }
            b'.' => {
                if let Some(l) = levels.last_mut() {
                    l.links += DOT;
                }
                total += DOT;
                i += 1;
            }
            c @ (b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'!' | b'<' | b'>' | b'=' | b'?') => {
                // `<` may open generics, which nest like brackets.
                let w = if c == b'<' { BRACKET } else { OPERATOR };
                if let Some(l) = levels.last_mut() {
                    l.links += w;
                }
                total += w;
                i += 1;
            }
            b'e' if text[i..].starts_with("else") && (i == 0 || !is_ident(b[i - 1])) => {
                if let Some(l) = levels.last_mut() {
                    l.elses += ELSE;
                }
                total += ELSE;
                i += 4;
            }
            c if is_ident(c) => {
                // The rest of an identifier or number (`r` in `for`, `e` in `else_x`).
                let start = i;
                while i < b.len() && is_ident(b[i]) {
                    i += 1;
                }
                // A cast nests the expression cast (`a as u8 as u16`).
                if &b[start..i] == b"as" && (start == 0 || !is_ident(b[start - 1])) {
                    if let Some(l) = levels.last_mut() {
                        l.links += POSTFIX;
                    }
                    total += POSTFIX;
                }
            }
            _ => i += 1,
        }
        if total / BRACKET > deepest.depth {
            deepest = Nesting { depth: total / BRACKET, at: i.min(b.len()).saturating_sub(1) };
        }
    }
    deepest
}

const BRACKET: usize = 16;
const DOT: usize = 4;
const ELSE: usize = 4;
const POSTFIX: usize = 4;
const OPERATOR: usize = 1;

/// Links of one bracket level (see [`scan`]).
#[derive(Default)]
struct Level {
    links: usize,
    elses: usize,
}

impl Level {
    fn weight(&self) -> usize {
        self.links + self.elses
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
