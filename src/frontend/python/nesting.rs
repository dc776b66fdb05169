//! How deeply a Python file's syntax tree will nest, estimated from its
//! bytes before it is parsed.
//!
//! The parser and the lowering walk the tree recursively: a 300,000-term
//! `+` chain or a 100,000-link method chain overflows a 64 MiB stack. As
//! for Rust, the estimate counts open brackets plus, per bracket level,
//! the operators and `.` links since that level's last `,` or `;` (or, at
//! the top level, the end of the line), weighted in sixteenths of a
//! bracket. Strings and comments are skipped.

/// The deepest estimated nesting and the byte offset where it is reached.
pub(super) fn estimate(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    let mut levels: Vec<usize> = vec![0];
    let mut total = 0usize;
    let (mut deepest, mut at) = (0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            q @ (b'"' | b'\'') => {
                i = skip_string(b, i, q);
                continue;
            }
            b'(' | b'[' | b'{' => {
                levels.push(0);
                total += BRACKET;
            }
            // An unbalanced closer is left for the parser to report.
            b')' | b']' | b'}' if levels.len() > 1 => {
                total -= BRACKET + levels.pop().unwrap_or(0);
                if let Some(parent) = levels.last_mut() {
                    // A call or a subscript: a postfix link.
                    *parent += POSTFIX;
                    total += POSTFIX;
                }
            }
            b',' | b';' => reset(&mut levels, &mut total),
            b'\n' if levels.len() == 1 => reset(&mut levels, &mut total),
            b'.' => link(&mut levels, &mut total, DOT),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'~' | b'<' | b'>' | b'=' | b'@' => {
                link(&mut levels, &mut total, OPERATOR)
            }
            // `not`, `lambda`, `if`, `and`, `or` nest like unary or binary operators.
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if matches!(&b[start..i], b"not" | b"lambda" | b"and" | b"or" | b"if" | b"await") {
                    link(&mut levels, &mut total, KEYWORD);
                }
                continue;
            }
            _ => {}
        }
        i += 1;
        if total / BRACKET > deepest {
            (deepest, at) = (total / BRACKET, i - 1);
        }
    }
    (deepest, at)
}

const BRACKET: usize = 16;
const DOT: usize = 4;
const POSTFIX: usize = 4;
const KEYWORD: usize = 4;
const OPERATOR: usize = 1;

fn link(levels: &mut [usize], total: &mut usize, weight: usize) {
    if let Some(l) = levels.last_mut() {
        *l += weight;
    }
    *total += weight;
}

fn reset(levels: &mut [usize], total: &mut usize) {
    if let Some(l) = levels.last_mut() {
        *total -= *l;
        *l = 0;
    }
}

/// Past a string starting at `i` with quote `q` (triple-quoted or not;
/// prefixes such as `r`, `b`, `f` are plain letters before it).
fn skip_string(b: &[u8], i: usize, q: u8) -> usize {
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q && (!triple || (b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q))) {
            return j + if triple { 3 } else { 1 };
        }
        if b[j] == b'\n' && !triple {
            return j;
        }
        j += 1;
    }
    b.len()
}
