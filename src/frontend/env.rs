//! Environment-file front end: dotenv syntax lowered to `EnvVar` facts.
//!
//! Understands `export`, single, double and backtick quotes (double-quoted
//! values may span lines), `#` comments on their own line or after a value,
//! and bare `KEY` lines. Anything else is `Unparsable`, since a guard that
//! skipped a line it could not read would pass what it never saw.

use crate::facts::{Comment, FactKind, FileFacts, Name};
use crate::source::Span;

/// Lower an environment file into facts.
pub fn lower(text: &str) -> FileFacts {
    let mut out = FileFacts::default();
    let mut p = Cursor { text, pos: 0 };
    while p.pos < text.len() {
        let line_start = p.pos;
        p.skip_blanks();
        match p.peek() {
            None => break,
            Some('\n') | Some('\r') => {
                p.bump();
                continue;
            }
            Some('#') => {
                p.comment(&mut out);
                continue;
            }
            _ => {}
        }
        if let Err(message) = p.assignment(&mut out) {
            let at = p.pos;
            out.push(FactKind::unparsable(format!("cannot parse: {message}")), Span::new(at, at), line_start);
            p.skip_line();
        }
    }
    out
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some('\n') | Some('\r'))
    }

    /// A `#` comment running to the end of the line.
    fn comment(&mut self, out: &mut FileFacts) {
        let start = self.pos;
        self.bump();
        let body_start = self.pos;
        while !self.at_line_end() {
            self.bump();
        }
        out.comments
            .push(Comment { text: self.text[body_start..self.pos].to_string(), span: Span::new(start, self.pos) });
    }

    fn key(&mut self) -> Option<Span> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
            _ => return None,
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            self.bump();
        }
        Some(Span::new(start, self.pos))
    }

    fn assignment(&mut self, out: &mut FileFacts) -> Result<(), String> {
        let statement_start = self.pos;
        let mut key = self.key().ok_or("expected a variable name")?;
        if &self.text[key.start..key.end] == "export" && matches!(self.peek(), Some(' ' | '\t')) {
            self.skip_blanks();
            key = self.key().ok_or("expected a variable name after `export`")?;
        }
        self.skip_blanks();
        let raw = self.text[key.start..key.end].to_string();
        let name = Name::new(&raw, key);
        match self.peek() {
            Some('=') => {
                self.bump();
                self.value()?;
            }
            // A bare `KEY` declares the variable without a value.
            _ if self.at_line_end() || self.peek() == Some('#') => {}
            Some(c) => return Err(format!("unexpected `{c}` after the variable name")),
            None => {}
        }
        self.skip_blanks();
        if self.peek() == Some('#') {
            self.comment(out);
        }
        if !self.at_line_end() {
            return Err("unexpected text after the value".to_string());
        }
        out.push(FactKind::EnvVar { name, raw }, key, statement_start);
        Ok(())
    }

    fn value(&mut self) -> Result<(), String> {
        self.skip_blanks();
        match self.peek() {
            Some(q @ ('"' | '\'' | '`')) => {
                let open = self.pos;
                self.bump();
                loop {
                    // Only double quotes may span lines; stop before the
                    // newline so the next line is still read.
                    if self.peek() == Some('\n') && q != '"' {
                        return Err(format!("unterminated {q}-quoted value"));
                    }
                    match self.bump() {
                        None => {
                            // Point at the opening quote, not the end of the file.
                            self.pos = open;
                            return Err(format!("unterminated {q}-quoted value"));
                        }
                        Some('\\') if q == '"' => {
                            self.bump();
                        }
                        Some(c) if c == q => return Ok(()),
                        Some(_) => {}
                    }
                }
            }
            _ => {
                // Unquoted: runs to the line end or to a ` #` comment.
                let mut prev_blank = true;
                while !self.at_line_end() {
                    if self.peek() == Some('#') && prev_blank {
                        break;
                    }
                    prev_blank = matches!(self.peek(), Some(' ' | '\t'));
                    self.bump();
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> Vec<String> {
        lower(text)
            .facts
            .iter()
            .map(|f| match &f.kind {
                FactKind::EnvVar { raw, .. } => format!("{raw}@{}", &text[f.span.start..f.span.end]),
                FactKind::Unparsable { message, .. } => format!("error: {message}"),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn dotenv_syntax() {
        let text = "# c\nexport DB_HOST=x # trailing\nA='q # not comment'\r\nB=\"multi\nline\"\nC\nD=a#b\n";
        assert_eq!(vars(text), vec!["DB_HOST@DB_HOST", "A@A", "B@B", "C@C", "D@D"]);
        let facts = lower(text);
        assert_eq!(facts.comments.len(), 2);
        assert_eq!(facts.comments[1].text, " trailing");
    }

    #[test]
    fn malformed_lines_are_reported_and_the_rest_is_read() {
        let got = vars("=oops\nGOOD=1\nBAD='open\nLAST=2");
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].starts_with("error"));
        assert_eq!(got[1], "GOOD@GOOD");
        assert!(got[2].starts_with("error"));
        assert_eq!(got[3], "LAST@LAST");
    }
}
