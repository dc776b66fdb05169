//! Source files, byte spans and the one place where line/column arithmetic lives.
//!
//! Front ends work in byte offsets; everything a user sees (line, column) is
//! computed here, so CRLF handling and Unicode columns are decided once.

use std::path::PathBuf;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given backwards).
    pub fn new(start: usize, end: usize) -> Self {
        if end < start {
            Span { start: end, end: start }
        } else {
            Span { start, end }
        }
    }

    /// The span shifted right by `offset` bytes (for text embedded in a literal).
    pub fn shifted(self, offset: usize) -> Self {
        Span { start: self.start + offset, end: self.end + offset }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A 1-based line and column; columns count Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// A place in a file, located: for a finding's second label in another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as shown to users.
    pub path: String,
    /// Byte span in that file.
    pub span: Span,
    /// Start position.
    pub start: LineCol,
    /// End position (exclusive).
    pub end: LineCol,
}

impl Location {
    /// The place `span` of `file`.
    pub fn of(file: &SourceFile, span: Span) -> Location {
        Location { path: file.display.clone(), span, start: file.line_col(span.start), end: file.line_col(span.end) }
    }
}

/// Byte offsets of line starts, for converting between offsets and positions.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// When the text is ASCII, columns are byte offsets and conversions are O(1).
    ascii: bool,
}

impl LineIndex {
    /// Index the lines of `text`. Only `\n` ends a line, so `\r\n` works unchanged.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts, ascii: text.is_ascii() }
    }

    /// Number of lines (a file without a trailing newline still has its last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 1-based `line` starts, clamped to the last line.
    pub fn line_start(&self, line: usize) -> usize {
        let idx = line.saturating_sub(1).min(self.starts.len() - 1);
        self.starts[idx]
    }

    /// The 1-based line and character column of byte `offset` in `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line_idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line_idx];
        let column = if self.ascii { offset - start + 1 } else { text[start..offset].chars().count() + 1 };
        LineCol { line: line_idx + 1, column }
    }

    /// The byte offset of a 1-based line and character column, clamped to the line's end.
    pub fn offset(&self, text: &str, line: usize, column: usize) -> usize {
        if line == 0 || line > self.starts.len() {
            return if line == 0 { 0 } else { text.len() };
        }
        let start = self.starts[line - 1];
        let end = self.starts.get(line).copied().unwrap_or(text.len());
        let skip = column.saturating_sub(1);
        if self.ascii {
            return (start + skip).min(end);
        }
        let line_text = &text[start..end];
        match line_text.char_indices().nth(skip) {
            Some((i, _)) => start + i,
            None => end,
        }
    }
}

/// Converts line/column positions to offsets for positions that mostly
/// move forward (a tokenizer's), in time linear in the text even when it
/// is one long non-ASCII line.
#[derive(Debug)]
pub struct OffsetCursor<'a> {
    index: &'a LineIndex,
    text: &'a str,
    /// The last answer: (line, column, byte offset).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> OffsetCursor<'a> {
    /// A cursor over `text`, indexed by `index`.
    pub fn new(index: &'a LineIndex, text: &'a str) -> Self {
        OffsetCursor { index, text, last: std::cell::Cell::new((0, 0, 0)) }
    }

    /// The byte offset of a 1-based line and character column.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        if self.index.ascii || line == 0 || line > self.index.starts.len() {
            return self.index.offset(self.text, line, column);
        }
        let (last_line, last_column, last_offset) = self.last.get();
        let (mut at, mut col) = if last_line == line && last_column <= column && last_column > 0 {
            (last_offset, last_column)
        } else {
            (self.index.starts[line - 1], 1)
        };
        let end = self.index.starts.get(line).copied().unwrap_or(self.text.len());
        let mut chars = self.text[at..end].chars();
        while col < column {
            match chars.next() {
                Some(c) => {
                    at += c.len_utf8();
                    col += 1;
                }
                None => break,
            }
        }
        self.last.set((line, col, at));
        at
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One file read from disk: where it is, how to name it, and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path used to open the file.
    pub path: PathBuf,
    /// Path shown to users: relative to the current directory when below
    /// it, with `/` separators.
    pub display: String,
    /// The file's text (empty when it could not be read as UTF-8).
    pub text: String,
    /// Line starts of `text`.
    pub lines: LineIndex,
}

impl SourceFile {
    /// Wrap already-read text.
    pub fn new(path: PathBuf, display: String, text: String) -> Self {
        let lines = LineIndex::new(&text);
        SourceFile { path, display, text, lines }
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_with_crlf_and_unicode() {
        let text = "ab\r\nçé x\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        let x = text.find('x').unwrap();
        assert_eq!(idx.line_col(text, x), LineCol { line: 2, column: 4 });
        assert_eq!(idx.offset(text, 2, 4), x);
        assert_eq!(idx.line_col(text, text.len()), LineCol { line: 3, column: 5 });
        assert_eq!(idx.offset(text, 9, 1), text.len());
    }

    #[test]
    fn the_cursor_agrees_with_the_index() {
        let text = "é a é b\nçc d";
        let idx = LineIndex::new(text);
        let cursor = OffsetCursor::new(&idx, text);
        for (line, col) in [(1, 3), (1, 7), (1, 5), (2, 2), (2, 4), (1, 1), (2, 9)] {
            assert_eq!(cursor.offset(line, col), idx.offset(text, line, col), "{line}:{col}");
        }
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let text = "é";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 1), LineCol { line: 1, column: 1 });
    }
}
