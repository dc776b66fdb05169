//! What can still be read of a statement `sqlparser` rejected.
//!
//! Real migration histories hold valid SQL the parser does not know: a
//! PostgreSQL `ADD CONSTRAINT n NOT NULL c`, CockroachDB's `STORING (…)`, a
//! MySQL `VARCHAR(255) BINARY`. Failing the whole statement would hide the
//! part that matters, so a rejected statement is taken apart on the parser's
//! own tokens, in this order:
//!
//! 1. statements that by SQL's meaning touch no table (`DROP OWNED BY`,
//!    `DEALLOCATE PREPARE`) are dropped;
//! 2. statements whose target alone matters are read from their head
//!    (`CREATE … INDEX … ON t` alters `t`, whatever extension follows);
//! 3. `ALTER TABLE` is read action by action and `CREATE TABLE` element by
//!    element, each piece parsed on its own by `sqlparser`; pieces that are
//!    pure constraints or storage clauses are known not to declare columns;
//! 4. dynamic SQL (`PREPARE s FROM @v`) is read from the string literals the
//!    file assigns to the variable;
//! 5. whatever is left is *unread*: the tables it names, as far as its tokens
//!    tell, go with it, so the rules can decide whether it matters.

use std::collections::HashMap;

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use super::{parse_and_lower, SqlDialect};
use crate::facts::{ColumnAction, FactKind, FileFacts, Name, TableAction};
use crate::source::Span;

/// What recovery made of a rejected statement.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Every part was read; its facts were recorded.
    Read,
    /// Part of it could not be read; these are the tables it names (empty
    /// when none can be identified). Facts of the parts that were read are
    /// recorded all the same.
    Unread {
        /// The tables named by what was not read, in order of appearance.
        tables: Vec<Name>,
        /// Why, when the parser's own words would mislead.
        reason: Option<String>,
    },
}

/// The context a rejected statement is recovered in.
pub(super) struct Recovery<'d, 'p, 'v> {
    /// The dialect the file is read in.
    pub dialect: &'d dyn Dialect,
    /// The same, as authguard names it (for SQL held in string literals).
    pub sql_dialect: SqlDialect,
    /// Maps a token location to a byte offset of the file.
    pub pos: &'p dyn Fn(Location) -> usize,
    /// `SET @v = …` string literals seen so far in the file, for `PREPARE`.
    pub variables: &'v HashMap<String, Vec<Literal>>,
    /// Bytes of dynamic SQL this file may still have read (see
    /// [`DYNAMIC_SQL_BUDGET`]).
    pub budget: &'v std::cell::Cell<usize>,
}

/// Bytes of dynamic SQL read per file: one variable holding a large text,
/// run by many `PREPARE`s, must not make a file's time grow with their
/// product. Past it, dynamic SQL is unread (AUTH010: it could touch anything).
pub(super) const DYNAMIC_SQL_BUDGET: usize = 16 << 20;

/// A string literal of the file: its text between the quotes and where
/// that text starts.
#[derive(Debug, Clone)]
pub(super) struct Literal {
    /// The literal's text as written (escapes not undone).
    pub text: String,
    /// Byte offset of the text's first character in the file.
    pub offset: usize,
}

impl Recovery<'_, '_, '_> {
    /// Recover the statement made of `tokens` (no trailing semicolon), which
    /// starts at byte `start`, recording what can be read into `out`.
    pub fn statement(&self, tokens: &[TokenWithSpan], start: usize, out: &mut FileFacts) -> Outcome {
        let sig = Significant::new(tokens);
        let head: Vec<String> = (0..4).map_while(|k| sig.keyword(k)).collect();
        let head: Vec<&str> = head.iter().map(String::as_str).collect();
        match head.as_slice() {
            ["DROP", "OWNED", ..] | ["REASSIGN", "OWNED", ..] | ["DEALLOCATE", ..] => Outcome::Read,
            ["DROP" | "ALTER", "STATISTICS", ..] | ["ALTER", "DEFAULT", "PRIVILEGES", ..] => Outcome::Read,
            ["CREATE", ..] if sig.index_head().is_some() => self.create_index(&sig, start, out),
            ["ALTER", "TABLE", ..] => self.alter_table(&sig, start, out),
            ["CREATE", ..] if sig.table_head().is_some() => self.create_table(&sig, start, out),
            ["CREATE", "MATERIALIZED", "VIEW", ..] => self.materialized_view(&sig, start, out),
            ["CREATE", "VIRTUAL", "TABLE", ..] => self.virtual_table(&sig, start, out),
            ["PREPARE", ..] => self.prepare(&sig, start, out),
            ["DO", ..] => self.do_block(&sig, start, out),
            ["COMMENT", "ON", ..] => self.comment(&sig, start, out),
            ["CREATE", ..] if sig.trigger_head().is_some() => self.create_trigger(&sig, start, out),
            ["EXECUTE", ..] => self.execute(&sig, start, out),
            _ => Outcome::Unread { tables: sig.tables(self.pos, start), reason: None },
        }
    }

    /// `CREATE [UNIQUE] [INVERTED] INDEX … ON t …`: the index's options
    /// (CockroachDB's `STORING`, `USING HASH`, a partial index's `WHERE`)
    /// change nothing that a rule judges; the statement alters `t`.
    fn create_index(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let on = sig.index_head().and_then(|from| (from..sig.len()).find(|&k| sig.keyword(k).as_deref() == Some("ON")));
        let name = on.and_then(|k| {
            let mut k = k + 1;
            if sig.keyword(k).as_deref() == Some("ONLY") {
                k += 1;
            }
            sig.object_name(k, self.pos, start)
        });
        match name {
            Some((table, _)) => {
                let span = table.span;
                out.push(FactKind::TableSchema { table, action: TableAction::Alter }, span, start);
                Outcome::Read
            }
            None => Outcome::Unread { tables: sig.tables(self.pos, start), reason: None },
        }
    }

    /// `ALTER TABLE t a, b, c`: each action is parsed as a statement of its
    /// own (`ALTER TABLE t a`), so one action the parser does not know costs
    /// only itself.
    fn alter_table(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let mut k = 2;
        while matches!(sig.keyword(k).as_deref(), Some("IF" | "EXISTS" | "ONLY")) {
            k += 1;
        }
        let Some((table, after)) = sig.object_name(k, self.pos, start) else {
            return Outcome::Unread { tables: sig.tables(self.pos, start), reason: None };
        };
        let head = &sig.tokens[..sig.raw(after)];
        let mut unread = Vec::new();
        let mut scratch = FileFacts::default();
        for piece in sig.split_commas(after, sig.len()) {
            let body = &sig.tokens[sig.raw(piece.start)..sig.raw_end(piece.end)];
            let mut tokens = Vec::with_capacity(head.len() + body.len() + 1);
            tokens.extend_from_slice(head);
            tokens.push(space());
            tokens.extend_from_slice(body);
            if parse_and_lower(tokens, self.dialect, self.pos, &mut scratch, start).is_ok() {
                continue;
            }
            match self.alter_action(sig, piece.start, piece.end, start) {
                Some(column) => {
                    scratch.push(
                        FactKind::TableSchema { table: table.clone(), action: TableAction::Alter },
                        table.span,
                        start,
                    );
                    if let Some((column, action)) = column {
                        let span = column.span;
                        scratch.push(FactKind::ColumnSchema { table: table.clone(), column, action }, span, start);
                    }
                }
                None => {
                    unread.push(table.clone());
                    unread.extend(sig.slice_tables(piece.start, piece.end, self.pos, start));
                }
            }
        }
        merge(out, scratch);
        finish(unread)
    }

    /// ALTER TABLE actions that `sqlparser` does not know, each read as
    /// what it does to the table: `Some(Some((c, action)))` changes column
    /// `c`, `Some(None)` changes only the table, `None` is not known (also
    /// when the column it changes is not in the text).
    fn alter_action(
        &self,
        sig: &Significant<'_>,
        from: usize,
        to: usize,
        start: usize,
    ) -> Option<Option<(Name, ColumnAction)>> {
        let words: Vec<String> = (from..to.min(from + 8)).map_while(|k| sig.keyword(k)).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let column = |k: usize, action: ColumnAction| sig.name(k, self.pos, start).map(|c| (c, action));
        match words.as_slice() {
            // PostgreSQL 18: a named NOT NULL constraint on a column.
            ["ADD", "CONSTRAINT", ..] => {
                let mut k = from + 2;
                if sig.keyword(k).as_deref() == Some("IF") {
                    k += 3;
                }
                // k is the constraint's name.
                if sig.keyword(k + 1).as_deref() == Some("NOT") && sig.keyword(k + 2).as_deref() == Some("NULL") {
                    return column(k + 3, ColumnAction::Alter).map(Some);
                }
                // Any other constraint (CockroachDB's `IF NOT EXISTS` on a
                // foreign key, say) constrains rows, it declares no column.
                Some(None)
            }
            ["ALTER", "CONSTRAINT", ..] | ["SET", "SCHEMA", ..] | ["VALIDATE", "CONSTRAINT", ..] => Some(None),
            ["CONFIGURE", "ZONE", ..] | ["SET", "LOCALITY", ..] | ["PARTITION", "BY", ..] => Some(None),
            ["ADD", "PRIMARY" | "UNIQUE" | "FOREIGN" | "CHECK" | "INDEX" | "KEY" | "FULLTEXT" | "SPATIAL", ..] => {
                Some(None)
            }
            // A column added with a type or attribute the parser does not
            // know (MySQL's `VARCHAR(255) BINARY`): its name is what is judged.
            ["ADD", "COLUMN", "IF", "NOT", "EXISTS", ..] => column(from + 5, ColumnAction::Add).map(Some),
            ["ADD", "COLUMN", ..] => column(from + 2, ColumnAction::Add).map(Some),
            ["ADD", ..] => column(from + 1, ColumnAction::Add).map(Some),
            // `ALTER [COLUMN] c ADD GENERATED … AS IDENTITY`, `… SET GENERATED`,
            // and other column changes the parser does not know.
            ["ALTER", "COLUMN", ..] => column(from + 2, ColumnAction::Alter).map(Some),
            ["ALTER", ..] => column(from + 1, ColumnAction::Alter).map(Some),
            // MySQL `MODIFY [COLUMN] c type <attributes>`.
            ["MODIFY", "COLUMN", ..] => column(from + 2, ColumnAction::Alter).map(Some),
            ["MODIFY", ..] => column(from + 1, ColumnAction::Alter).map(Some),
            _ => None,
        }
    }

    /// `CREATE TABLE t (elements) options`: the elements are parsed one by
    /// one; constraint-only elements (PostgreSQL's `CONSTRAINT n NOT NULL c`,
    /// MySQL's and CockroachDB's inline `INDEX`/`KEY`, `FAMILY`) declare no
    /// column. `LIKE other` copies columns that cannot be seen here: it is
    /// read when neither table is guarded, and is unread otherwise.
    fn create_table(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let mut k = sig.table_head().unwrap_or(0);
        while matches!(sig.keyword(k).as_deref(), Some("IF" | "NOT" | "EXISTS")) {
            k += 1;
        }
        let Some((table, after)) = sig.object_name(k, self.pos, start) else {
            return Outcome::Unread { tables: sig.tables(self.pos, start), reason: None };
        };
        let Some(close) = (sig.token(after) == Some(&Token::LParen)).then(|| sig.matching_paren(after)).flatten()
        else {
            // `CREATE TABLE t AS …`, `… PARTITION OF …`: nothing column-wise to recover.
            return Outcome::Unread { tables: sig.tables(self.pos, start), reason: None };
        };
        let mut scratch = FileFacts::default();
        scratch.push(FactKind::TableSchema { table: table.clone(), action: TableAction::Create }, table.span, start);
        let head = &sig.tokens[..sig.raw(after)];
        let mut unread = Vec::new();
        let mut like = None;
        for piece in sig.split_commas(after + 1, close) {
            let body = &sig.tokens[sig.raw(piece.start)..sig.raw_end(piece.end)];
            let mut tokens = Vec::with_capacity(head.len() + body.len() + 2);
            tokens.extend_from_slice(head);
            tokens.push(synthetic(Token::LParen));
            tokens.extend_from_slice(body);
            tokens.push(synthetic(Token::RParen));
            let mut element = FileFacts::default();
            if parse_and_lower(tokens, self.dialect, self.pos, &mut element, start).is_ok() {
                scratch
                    .facts
                    .extend(element.facts.into_iter().filter(|f| !matches!(f.kind, FactKind::TableSchema { .. })));
                continue;
            }
            match element_kind(sig, piece.start) {
                Element::Constraint => {}
                // The columns `LIKE` copies are the new table's: judged
                // against the new table alone.
                // When the file created the source table, its columns are
                // known: the new table declares them (at the source's name).
                Element::Like => {
                    let source = sig.slice_tables(piece.start, piece.end, self.pos, start).into_iter().next();
                    let copied = source.as_ref().map(|s| columns_declared(out, &s.norm)).unwrap_or_default();
                    match source {
                        Some(source) if !copied.is_empty() => {
                            for column in copied {
                                let column = Name { norm: column, span: source.span };
                                let kind =
                                    FactKind::ColumnSchema { table: table.clone(), column, action: ColumnAction::Add };
                                scratch.push(kind, source.span, start);
                            }
                        }
                        _ => {
                            unread.push(table.clone());
                            like = source;
                        }
                    }
                }
                // A column whose type or options the parser cannot read: its
                // name is what the rules judge.
                Element::Column => match sig.name(piece.start, self.pos, start) {
                    Some(column) => {
                        let span = column.span;
                        let kind = FactKind::ColumnSchema { table: table.clone(), column, action: ColumnAction::Add };
                        scratch.push(kind, span, start);
                    }
                    None => unread.push(table.clone()),
                },
            }
        }
        merge(out, scratch);
        // Options after the element list (CockroachDB's `INTERLEAVE IN
        // PARENT p (…)`, MySQL's `ENGINE=…`) store the table, they declare
        // no column; a parent named there is only referenced.
        match (finish(unread), like) {
            (Outcome::Unread { tables, .. }, Some(source)) => {
                let reason = format!("`LIKE {}` copies columns this file does not show", source.norm);
                Outcome::Unread { tables, reason: Some(reason) }
            }
            (outcome, _) => outcome,
        }
    }

    /// SQLite's `CREATE VIRTUAL TABLE [IF NOT EXISTS] t USING module(args)`:
    /// creates `t`; the arguments that are plain names are its columns
    /// (`fts4(title, body, tokenize=porter)` declares `title` and `body`).
    fn virtual_table(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let mut k = 3;
        while matches!(sig.keyword(k).as_deref(), Some("IF" | "NOT" | "EXISTS")) {
            k += 1;
        }
        let Some((table, after)) = sig.object_name(k, self.pos, start) else {
            return Outcome::Unread { tables: sig.tables(self.pos, start), reason: None };
        };
        out.push(FactKind::TableSchema { table: table.clone(), action: TableAction::Create }, table.span, start);
        let open = (after..sig.len()).find(|&k| sig.token(k) == Some(&Token::LParen));
        if let Some(open) = open {
            let close = sig.matching_paren(open).unwrap_or(sig.len());
            for piece in sig.split_commas(open + 1, close) {
                if piece.end == piece.start + 1 {
                    if let Some(column) = sig.name(piece.start, self.pos, start) {
                        let span = column.span;
                        let kind = FactKind::ColumnSchema { table: table.clone(), column, action: ColumnAction::Add };
                        out.push(kind, span, start);
                    }
                }
            }
        }
        Outcome::Read
    }

    /// `CREATE MATERIALIZED VIEW v AS query WITH [NO] DATA`: the trailing
    /// clause only says whether to fill it now.
    fn materialized_view(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let n = sig.len();
        let cut = match (n >= 3).then(|| (sig.keyword(n - 3), sig.keyword(n - 2), sig.keyword(n - 1))) {
            Some((Some(w), Some(no), Some(d))) if w == "WITH" && no == "NO" && d == "DATA" => Some(n - 3),
            _ if n >= 2
                && sig.keyword(n - 2).as_deref() == Some("WITH")
                && sig.keyword(n - 1).as_deref() == Some("DATA") =>
            {
                Some(n - 2)
            }
            _ => None,
        };
        if let Some(cut) = cut {
            let tokens = sig.tokens[..sig.raw(cut)].to_vec();
            if parse_and_lower(tokens, self.dialect, self.pos, out, start).is_ok() {
                return Outcome::Read;
            }
        }
        Outcome::Unread { tables: sig.tables(self.pos, start), reason: None }
    }

    /// MySQL's `PREPARE s FROM 'sql'` or `FROM @v`: the SQL is the literal,
    /// or the literals the file assigned to `@v`, each read as SQL of its own.
    /// What none of them shows (text built at run time) names no table.
    fn prepare(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let from = (2..sig.len()).find(|&k| sig.keyword(k).as_deref() == Some("FROM"));
        let literals: Vec<Literal> = match from.and_then(|k| sig.token(k + 1)) {
            Some(Token::SingleQuotedString(text)) => {
                let t = &sig.tokens[sig.raw(from.unwrap_or(0) + 1)];
                vec![Literal { text: text.clone(), offset: (self.pos)(t.span.start) + 1 }]
            }
            Some(Token::Word(w)) if w.value.starts_with('@') => {
                self.variables.get(&w.value.to_ascii_lowercase()).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        };
        self.dynamic(&literals, "PREPARE", Vec::new(), start, out)
    }

    /// PostgreSQL's `DO $$ … $$`: an anonymous PL/pgSQL block run as the
    /// migration runs, so its statements are the migration's. The body is
    /// tokenized and cut into statements at `;` and at the words that open
    /// or close PL/pgSQL blocks and branches; control statements, variable
    /// declarations and assignments are stepped over, `PERFORM` is read as
    /// the `SELECT` it is, `EXECUTE` as dynamic SQL, and every other
    /// statement as SQL. A body in another language cannot be read.
    fn do_block(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let language =
            (1..sig.len()).find(|&k| sig.keyword(k).as_deref() == Some("LANGUAGE")).and_then(|k| sig.keyword(k + 1));
        if language.as_deref().is_some_and(|l| l != "PLPGSQL" && l != "SQL") {
            let reason = "a DO block in another language than PL/pgSQL cannot be read";
            return Outcome::Unread { tables: Vec::new(), reason: Some(reason.to_string()) };
        }
        let Some(k) = (1..sig.len())
            .find(|&k| matches!(sig.token(k), Some(Token::DollarQuotedString(_) | Token::SingleQuotedString(_))))
        else {
            return Outcome::Unread { tables: Vec::new(), reason: Some("a DO block without a body".to_string()) };
        };
        let t = &sig.tokens[sig.raw(k)];
        let (body, opening) = match &t.token {
            Token::DollarQuotedString(d) => (d.value.as_str(), 2 + d.tag.as_ref().map_or(0, String::len)),
            Token::SingleQuotedString(s) => (s.as_str(), 1),
            _ => return Outcome::Read,
        };
        let offset = (self.pos)(t.span.start) + opening;
        let lines = crate::source::LineIndex::new(body);
        let cursor = crate::source::OffsetCursor::new(&lines, body);
        let pos = |loc: Location| offset + cursor.offset(loc.line as usize, loc.column as usize);
        let Ok(tokens) =
            sqlparser::tokenizer::Tokenizer::new(self.dialect, body).with_unescape(false).tokenize_with_location()
        else {
            let reason = "the body of a DO block does not tokenize as SQL";
            return Outcome::Unread { tables: Vec::new(), reason: Some(reason.to_string()) };
        };
        let inner = Recovery {
            dialect: self.dialect,
            sql_dialect: self.sql_dialect,
            pos: &pos,
            variables: self.variables,
            budget: self.budget,
        };
        let mut unread = Vec::new();
        let mut unknown = false;
        let mut why: Option<String> = None;
        for segment in plpgsql_statements(&tokens) {
            let seg = Significant::new(segment);
            let first = seg.keyword(0);
            let second = seg.token(1);
            let control = matches!(
                first.as_deref(),
                Some(
                    "IF" | "ELSIF"
                        | "ELSEIF"
                        | "END"
                        | "WHILE"
                        | "FOR"
                        | "FOREACH"
                        | "EXIT"
                        | "CONTINUE"
                        | "RETURN"
                        | "RAISE"
                        | "ASSERT"
                        | "NULL"
                        | "WHEN"
                        | "GET"
                        | "OPEN"
                        | "CLOSE"
                        | "FETCH"
                        | "MOVE"
                        | "CASE"
                )
            );
            // `v := …`, `v = …`: an assignment to a variable.
            let assignment = matches!(second, Some(Token::Assignment | Token::Eq | Token::Colon))
                || (seg.token(1) == Some(&Token::Period)
                    && matches!(seg.token(3), Some(Token::Assignment | Token::Eq)));
            if seg.len() == 0 || control || assignment {
                continue;
            }
            let outcome = match first.as_deref() {
                Some("PERFORM") => {
                    let mut tokens = segment.to_vec();
                    if let Some(i) = tokens.iter().position(|t| !matches!(t.token, Token::Whitespace(_))) {
                        tokens[i].token = Token::make_keyword("SELECT");
                    }
                    match parse_and_lower(tokens, self.dialect, &pos, out, start) {
                        Ok(()) => Outcome::Read,
                        Err(()) => Outcome::Unread { tables: seg.tables(&pos, start), reason: None },
                    }
                }
                Some("EXECUTE") => inner.execute(&seg, start, out),
                _ => match parse_and_lower(segment.to_vec(), self.dialect, &pos, out, start) {
                    Ok(()) => Outcome::Read,
                    Err(()) => inner.statement(segment, start, out),
                },
            };
            if let Outcome::Unread { tables, reason } = outcome {
                if tables.is_empty() && !unknown {
                    unknown = true;
                    why = reason;
                } else if why.is_none() {
                    why = reason;
                }
                unread.extend(tables);
            }
        }
        let why = why.map_or_else(String::new, |w| format!(": {w}"));
        if unknown {
            let reason =
                format!("a statement of this DO block cannot be read, and names no table that can be identified{why}");
            return Outcome::Unread { tables: Vec::new(), reason: Some(reason) };
        }
        match finish(unread) {
            Outcome::Unread { tables, .. } => {
                Outcome::Unread { tables, reason: Some(format!("a statement of this DO block cannot be read{why}")) }
            }
            read => read,
        }
    }

    /// `COMMENT ON … IS $$text$$`: PostgreSQL takes a dollar-quoted string
    /// wherever a string literal stands; the parser does not here.
    fn comment(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let tokens: Vec<TokenWithSpan> = sig
            .tokens
            .iter()
            .map(|t| match &t.token {
                Token::DollarQuotedString(d) => {
                    TokenWithSpan { token: Token::SingleQuotedString(d.value.clone()), span: t.span }
                }
                _ => t.clone(),
            })
            .collect();
        match parse_and_lower(tokens, self.dialect, self.pos, out, start) {
            Ok(()) => Outcome::Read,
            Err(()) => Outcome::Unread { tables: sig.tables(self.pos, start), reason: None },
        }
    }

    /// `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name … ON t … [BEGIN body END]`:
    /// the trigger alters `t`; a body's statements (split at their
    /// semicolons, so only the first stands here) are read as statements.
    fn create_trigger(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let from = sig.trigger_head().unwrap_or(0);
        let on = (from..sig.len()).find(|&k| sig.keyword(k).as_deref() == Some("ON"));
        let Some((table, _)) = on.and_then(|k| sig.object_name(k + 1, self.pos, start)) else {
            return Outcome::Unread { tables: sig.tables(self.pos, start), reason: None };
        };
        let span = table.span;
        out.push(FactKind::TableSchema { table, action: TableAction::Alter }, span, start);
        let Some(begin) = (from..sig.len()).find(|&k| sig.keyword(k).as_deref() == Some("BEGIN")) else {
            return Outcome::Read;
        };
        if begin + 1 >= sig.len() {
            return Outcome::Read;
        }
        let body = sig.tokens[sig.raw(begin + 1)..].to_vec();
        match parse_and_lower(body, self.dialect, self.pos, out, start) {
            Ok(()) => Outcome::Read,
            Err(()) => {
                Outcome::Unread { tables: sig.slice_tables(begin + 1, sig.len(), self.pos, start), reason: None }
            }
        }
    }

    /// `EXECUTE 'sql'` and PostgreSQL's `EXECUTE format('… %I …', args)`:
    /// the literal is read as SQL, its format specifiers masked by names of
    /// the same length; the string arguments that fill them may be tables,
    /// so they are judged as tables that could not be read. `EXECUTE name`
    /// runs a prepared statement, judged where it was prepared.
    fn execute(&self, sig: &Significant<'_>, start: usize, out: &mut FileFacts) -> Outcome {
        let literal_at = |k: usize| match sig.token(k) {
            Some(Token::SingleQuotedString(text)) => {
                let t = &sig.tokens[sig.raw(k)];
                Some(Literal { text: text.clone(), offset: (self.pos)(t.span.start) + 1 })
            }
            _ => None,
        };
        if let Some(lit) = literal_at(1) {
            return self.dynamic(&[lit], "EXECUTE", Vec::new(), start, out);
        }
        let is_format = sig.keyword(1).as_deref() == Some("FORMAT") && sig.token(2) == Some(&Token::LParen);
        let Some(lit) = is_format.then(|| literal_at(3)).flatten() else { return Outcome::Read };
        let masked = Literal { text: mask_format_specifiers(&lit.text), offset: lit.offset };
        let filled = masked.text != lit.text;
        let close = sig.matching_paren(2).unwrap_or(sig.len());
        // The arguments that are string literals fill the specifiers.
        let arguments: Vec<Name> = (4..close)
            .filter_map(|k| match sig.token(k) {
                Some(Token::SingleQuotedString(v)) if filled => {
                    let t = &sig.tokens[sig.raw(k)];
                    let span = Span::new((self.pos)(t.span.start), (self.pos)(t.span.end));
                    Some(Name::new(v.rsplit('.').next().unwrap_or(v), span))
                }
                _ => None,
            })
            .collect();
        // A specifier filled from a value the file does not show, where a
        // table stands: the statement could touch any table.
        let specifiers = lit.text.matches('%').count() - 2 * lit.text.matches("%%").count();
        if arguments.len() < specifiers {
            let probe = super::lower(&masked.text, self.sql_dialect);
            let masked_table = probe.facts.iter().any(|f| match &f.kind {
                FactKind::TableSchema { table, .. } | FactKind::TableAccess { table, .. } => {
                    table.norm.bytes().all(|b| b == b'_')
                }
                _ => false,
            });
            if masked_table {
                let reason = "dynamic SQL: `EXECUTE format(…)` takes its table from a value this file does not show";
                return Outcome::Unread { tables: Vec::new(), reason: Some(reason.to_string()) };
            }
        }
        self.dynamic(&[masked], "EXECUTE", arguments, start, out)
    }

    /// Read the SQL of dynamic statement `verb` from `literals`; `extra` are
    /// names filled in at run time that may be tables.
    fn dynamic(
        &self,
        literals: &[Literal],
        verb: &str,
        extra: Vec<Name>,
        start: usize,
        out: &mut FileFacts,
    ) -> Outcome {
        if literals.is_empty() {
            let reason =
                format!("dynamic SQL: `{verb}` runs text this file does not show, so what it does cannot be judged");
            return Outcome::Unread { tables: Vec::new(), reason: Some(reason) };
        }
        let size: usize = literals.iter().map(|l| l.text.len()).sum();
        if size > self.budget.get() {
            let reason = format!("dynamic SQL: more `{verb}` text than authguard reads in one file");
            return Outcome::Unread { tables: Vec::new(), reason: Some(reason) };
        }
        self.budget.set(self.budget.get() - size);
        let mut unread = extra;
        // A part of the text whose tables cannot be identified.
        let mut unknown = false;
        let mut first_error = None;
        // Literals that are values (`'userbase'` in a condition beside the
        // SQL) rather than statements are not read as SQL.
        let statements: Vec<&Literal> = literals.iter().filter(|l| starts_a_statement(&l.text)).collect();
        unknown |= statements.is_empty() && unread.is_empty();
        for lit in statements {
            let mut facts = super::lower(&lit.text, self.sql_dialect);
            facts.shift(lit.offset);
            for f in facts.facts {
                match f.kind {
                    FactKind::Unparsable { tables, message, .. } => {
                        // A fragment of SQL built by concatenation: judged on
                        // the tables it names.
                        unknown |= tables.is_empty();
                        unread.extend(tables);
                        first_error.get_or_insert(message);
                    }
                    kind => out.push(kind, f.span, start),
                }
            }
        }
        if unknown {
            let reason = format!("dynamic SQL: the text `{verb}` runs names no table that can be identified");
            return Outcome::Unread { tables: Vec::new(), reason: Some(reason) };
        }
        match finish(unread) {
            Outcome::Unread { tables, .. } => {
                let why = first_error.unwrap_or_else(|| "its tables are filled in at run time".to_string());
                Outcome::Unread { tables, reason: Some(format!("dynamic SQL run by `{verb}`: {why}")) }
            }
            read => read,
        }
    }
}

/// Whether `text` begins with a word that begins a SQL statement.
fn starts_a_statement(text: &str) -> bool {
    let word: String = text
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    matches!(
        word.to_ascii_uppercase().as_str(),
        "SELECT"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "MERGE"
            | "UPSERT"
            | "REPLACE"
            | "ALTER"
            | "CREATE"
            | "DROP"
            | "RENAME"
            | "TRUNCATE"
            | "WITH"
            | "GRANT"
            | "REVOKE"
            | "COMMENT"
            | "COPY"
            | "CALL"
            | "SET"
            | "DO"
            | "LOCK"
            | "VALUES"
            | "TABLE"
    )
}

/// `format()`'s specifiers (`%I`, `%s`, `%L`, `%1$I`, `%%`) masked by
/// underscores, so the template reads as SQL with every offset kept.
fn mask_format_specifiers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::from("_");
        while let Some(&(_, d)) = chars.peek() {
            chars.next();
            spec.push('_');
            if !(d.is_ascii_digit() || d == '$' || d == '-') {
                break;
            }
        }
        out.push_str(&spec);
    }
    out
}

/// A PL/pgSQL body cut into statements: at `;`, and after the words that
/// open a block or a branch (`DECLARE`, `BEGIN`, `THEN`, `ELSE`, `LOOP`,
/// `EXCEPTION`), which are dropped. Declarations between `DECLARE` and
/// `BEGIN` are dropped too. Parentheses are respected, so a subquery's
/// words do not cut.
fn plpgsql_statements(tokens: &[TokenWithSpan]) -> Vec<&[TokenWithSpan]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    // `CASE … WHEN … THEN … ELSE … END` inside a statement does not cut it.
    let mut cases = 0usize;
    let mut from = 0;
    let mut declaring = false;
    // Whether the current statement has begun (a significant token since the cut).
    let mut started = false;
    for (i, t) in tokens.iter().enumerate() {
        let cut = match &t.token {
            Token::LParen => {
                depth += 1;
                false
            }
            Token::RParen => {
                depth = depth.saturating_sub(1);
                false
            }
            Token::SemiColon => true,
            Token::Word(w) if depth == 0 && w.quote_style.is_none() => match w.value.to_ascii_uppercase().as_str() {
                "CASE" => {
                    cases += 1;
                    false
                }
                "END" if cases > 0 => {
                    cases -= 1;
                    false
                }
                "THEN" | "ELSE" => cases == 0,
                "DECLARE" => {
                    declaring = true;
                    true
                }
                "BEGIN" => {
                    declaring = false;
                    true
                }
                "LOOP" => true,
                // A block's handler section, not `RAISE EXCEPTION '…'`.
                "EXCEPTION" => !started,
                _ => false,
            },
            _ => false,
        };
        if !matches!(t.token, Token::Whitespace(_)) {
            started = true;
        }
        if cut {
            // Declarations (from `DECLARE` to `BEGIN`) declare variables.
            if !declaring {
                out.push(&tokens[from..i]);
            }
            from = i + 1;
            started = false;
        }
    }
    out.push(&tokens[from..]);
    out
}

/// How many of the latest facts a `LIKE` looks back through for its source.
const LIKE_WINDOW: usize = 4096;

/// The columns `table` has after the statements of `out` so far: those
/// added, less those dropped; renames followed. Empty when the file never
/// created it.
fn columns_declared(out: &FileFacts, table: &str) -> Vec<String> {
    // Only the last facts are searched, so a file of many `LIKE`s stays
    // linear; a source created further back is treated as unseen.
    let window = &out.facts[out.facts.len().saturating_sub(LIKE_WINDOW)..];
    let mut created = false;
    let mut columns: Vec<String> = Vec::new();
    for f in window {
        match &f.kind {
            FactKind::TableSchema { table: t, action: TableAction::Create } if t.norm == table => {
                created = true;
                columns.clear();
            }
            FactKind::ColumnSchema { table: t, column, action } if t.norm == table => match action {
                ColumnAction::Add | ColumnAction::Declare if !columns.contains(&column.norm) => {
                    columns.push(column.norm.clone())
                }
                ColumnAction::Drop => columns.retain(|c| *c != column.norm),
                ColumnAction::Rename { to } => {
                    columns.iter_mut().filter(|c| **c == column.norm).for_each(|c| *c = to.norm.clone());
                }
                _ => {}
            },
            _ => {}
        }
    }
    if created {
        columns
    } else {
        Vec::new()
    }
}

fn finish(unread: Vec<Name>) -> Outcome {
    if unread.is_empty() {
        Outcome::Read
    } else {
        Outcome::Unread { tables: dedup(unread), reason: None }
    }
}

fn dedup(mut names: Vec<Name>) -> Vec<Name> {
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.norm.clone()));
    names
}

/// What a `CREATE TABLE` element the parser rejected is.
enum Element {
    /// A constraint, index or storage clause: declares no column.
    Constraint,
    /// `LIKE other …`: copies columns that cannot be seen here.
    Like,
    /// Anything else is a column definition.
    Column,
}

/// Classify the rejected element starting at significant token `k`:
/// PostgreSQL's `CONSTRAINT n NOT NULL c`, MySQL's and CockroachDB's inline
/// `INDEX`/`KEY`, `FAMILY`, `INVERTED INDEX`, `UNIQUE INDEX`.
fn element_kind(sig: &Significant<'_>, k: usize) -> Element {
    let first = sig.keyword(k);
    let second = sig.keyword(k + 1);
    match (first.as_deref(), second.as_deref()) {
        (Some("LIKE"), _) => Element::Like,
        (Some("CONSTRAINT" | "PRIMARY" | "FOREIGN" | "CHECK" | "EXCLUDE" | "FAMILY" | "FULLTEXT" | "SPATIAL"), _) => {
            Element::Constraint
        }
        (Some("INVERTED" | "UNIQUE"), Some("INDEX" | "KEY")) => Element::Constraint,
        (Some("UNIQUE"), _) if sig.token(k + 1) == Some(&Token::LParen) => Element::Constraint,
        // `INDEX name (…)` / `KEY (…)`, not a column named `key`: a column's
        // name is followed by its type, an index's by `(` or its name and `(`.
        (Some("INDEX" | "KEY"), _)
            if sig.token(k + 1) == Some(&Token::LParen)
                || (sig.token(k + 2) == Some(&Token::LParen) && !is_type_with_length(second.as_deref())) =>
        {
            Element::Constraint
        }
        _ => Element::Column,
    }
}

/// Type names written with a length or precision, `varchar(255)`: after a
/// column named `key` they are its type, not an index's name.
fn is_type_with_length(word: Option<&str>) -> bool {
    matches!(
        word,
        Some(
            "VARCHAR"
                | "CHAR"
                | "CHARACTER"
                | "NVARCHAR"
                | "NCHAR"
                | "VARBINARY"
                | "BINARY"
                | "DECIMAL"
                | "NUMERIC"
                | "BIT"
                | "FLOAT"
                | "DOUBLE"
                | "INT"
                | "INTEGER"
                | "BIGINT"
                | "SMALLINT"
                | "TINYINT"
                | "MEDIUMINT"
                | "TIMESTAMP"
                | "DATETIME"
                | "TIME"
                | "STRING"
                | "BYTES"
        )
    )
}

/// Append `scratch`'s facts to `out`, leaving out exact repeats (each piece
/// of a statement parsed alone restates the table it belongs to).
fn merge(out: &mut FileFacts, scratch: FileFacts) {
    let mut kept: Vec<crate::facts::Fact> = Vec::with_capacity(scratch.facts.len());
    for f in scratch.facts {
        if !kept.contains(&f) {
            kept.push(f);
        }
    }
    out.facts.extend(kept);
}

fn space() -> TokenWithSpan {
    synthetic(Token::Whitespace(sqlparser::tokenizer::Whitespace::Space))
}

/// A token recovery inserts; its empty span never becomes a finding's place.
fn synthetic(token: Token) -> TokenWithSpan {
    TokenWithSpan { token, span: sqlparser::tokenizer::Span::empty() }
}

/// A piece of a statement: significant-token indices `start..end`.
struct Piece {
    start: usize,
    end: usize,
}

/// A statement's tokens with the whitespace and comments stepped over.
struct Significant<'t> {
    tokens: &'t [TokenWithSpan],
    /// Indices into `tokens` of the significant ones.
    index: Vec<usize>,
}

impl<'t> Significant<'t> {
    fn new(tokens: &'t [TokenWithSpan]) -> Self {
        let index = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
            .map(|(i, _)| i)
            .collect();
        Significant { tokens, index }
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    fn token(&self, k: usize) -> Option<&Token> {
        self.index.get(k).map(|&i| &self.tokens[i].token)
    }

    /// Raw index of significant token `k` (the end of the tokens when past it).
    fn raw(&self, k: usize) -> usize {
        self.index.get(k).copied().unwrap_or(self.tokens.len())
    }

    /// Raw index just after significant token `k - 1`.
    fn raw_end(&self, k: usize) -> usize {
        if k == 0 {
            0
        } else {
            self.index.get(k - 1).map_or(self.tokens.len(), |&i| i + 1)
        }
    }

    /// Significant token `k` as an upper-cased unquoted keyword.
    fn keyword(&self, k: usize) -> Option<String> {
        match self.token(k)? {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// Where `INDEX` stands in `CREATE [UNIQUE] [INVERTED] INDEX`, plus one.
    fn index_head(&self) -> Option<usize> {
        (1..4.min(self.len()))
            .find(|&k| self.keyword(k).as_deref() == Some("INDEX"))
            .filter(|&k| {
                (1..k)
                    .all(|j| matches!(self.keyword(j).as_deref(), Some("UNIQUE" | "INVERTED" | "FULLTEXT" | "SPATIAL")))
            })
            .map(|k| k + 1)
    }

    /// Where the name stands in `CREATE [OR REPLACE] [TEMP] [CONSTRAINT] TRIGGER`.
    fn trigger_head(&self) -> Option<usize> {
        (1..5.min(self.len()))
            .find(|&k| self.keyword(k).as_deref() == Some("TRIGGER"))
            .filter(|&k| {
                (1..k).all(|j| {
                    matches!(self.keyword(j).as_deref(), Some("OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "CONSTRAINT"))
                })
            })
            .map(|k| k + 1)
    }

    /// Where the name stands in `CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE`.
    fn table_head(&self) -> Option<usize> {
        (1..4.min(self.len()))
            .find(|&k| self.keyword(k).as_deref() == Some("TABLE"))
            .filter(|&k| {
                (1..k).all(|j| {
                    matches!(
                        self.keyword(j).as_deref(),
                        Some("GLOBAL" | "LOCAL" | "TEMP" | "TEMPORARY" | "UNLOGGED" | "OR" | "REPLACE")
                    )
                })
            })
            .map(|k| k + 1)
    }

    /// The identifier at `k` (quoted or not) as a name.
    fn name(&self, k: usize, pos: &dyn Fn(Location) -> usize, start: usize) -> Option<Name> {
        let t = &self.tokens[*self.index.get(k)?];
        let Token::Word(w) = &t.token else { return None };
        let span = if t.span.start.line == 0 {
            Span::new(start, start)
        } else {
            Span::new(pos(t.span.start), pos(t.span.end))
        };
        Some(Name::new(&w.value, span))
    }

    /// A possibly qualified name starting at `k` (`a.b.c`): its last part,
    /// and the index after it.
    fn object_name(&self, k: usize, pos: &dyn Fn(Location) -> usize, start: usize) -> Option<(Name, usize)> {
        let mut last = self.name(k, pos, start)?;
        let mut k = k + 1;
        while self.token(k) == Some(&Token::Period) {
            match self.name(k + 1, pos, start) {
                Some(n) => last = n,
                None => break,
            }
            k += 2;
        }
        Some((last, k))
    }

    /// The significant index of the `)` matching the `(` at `open`.
    fn matching_paren(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for k in open..self.len() {
            match self.token(k) {
                Some(Token::LParen) => depth += 1,
                Some(Token::RParen) => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(k);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The comma-separated pieces of `from..to` at bracket depth zero.
    fn split_commas(&self, from: usize, to: usize) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut depth = 0usize;
        let mut piece_start = from;
        for k in from..to.min(self.len()) {
            match self.token(k) {
                Some(Token::LParen | Token::LBracket | Token::LBrace) => depth += 1,
                Some(Token::RParen | Token::RBracket | Token::RBrace) => depth = depth.saturating_sub(1),
                Some(Token::Comma) if depth == 0 => {
                    if k > piece_start {
                        pieces.push(Piece { start: piece_start, end: k });
                    }
                    piece_start = k + 1;
                }
                _ => {}
            }
        }
        if to.min(self.len()) > piece_start {
            pieces.push(Piece { start: piece_start, end: to.min(self.len()) });
        }
        pieces
    }

    /// Every table the whole statement names.
    fn tables(&self, pos: &dyn Fn(Location) -> usize, start: usize) -> Vec<Name> {
        self.slice_tables(0, self.len(), pos, start)
    }

    /// The tables named in `from..to`: the names after the keywords that
    /// introduce a table in SQL (`FROM`, `JOIN`, `INTO`, `UPDATE`, `TABLE`,
    /// `REFERENCES`, `ON` of an index or trigger, `LIKE`, `TRUNCATE`).
    fn slice_tables(&self, from: usize, to: usize, pos: &dyn Fn(Location) -> usize, start: usize) -> Vec<Name> {
        let mut found = Vec::new();
        let to = to.min(self.len());
        let index_or_trigger =
            (0..4).any(|k| matches!(self.keyword(k).as_deref(), Some("INDEX" | "TRIGGER" | "POLICY" | "RULE")));
        let mut k = from;
        while k < to {
            let introduces = match self.keyword(k).as_deref() {
                Some("FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE" | "REFERENCES" | "LIKE" | "TRUNCATE") => true,
                Some("ON") => index_or_trigger,
                _ => false,
            };
            k += 1;
            if !introduces {
                continue;
            }
            while matches!(
                self.keyword(k).as_deref(),
                Some("IF" | "NOT" | "EXISTS" | "ONLY" | "TABLE" | "IGNORE" | "LATERAL")
            ) {
                k += 1;
            }
            if let Some((name, next)) = self.object_name(k, pos, start) {
                // `ON UPDATE CASCADE`, `FOR UPDATE NOWAIT`, `INSERT INTO t
                // VALUES`: words that follow these keywords without being
                // tables. `@v` user variables are not tables either.
                let not_a_table = next == k + 1
                    && matches!(
                        self.keyword(k).as_deref(),
                        Some(
                            "CASCADE"
                                | "RESTRICT"
                                | "SET"
                                | "NO"
                                | "NOWAIT"
                                | "SKIP"
                                | "OF"
                                | "SELECT"
                                | "VALUES"
                                | "DEFAULT"
                                | "WITH"
                        )
                    );
                if !not_a_table && !name.norm.starts_with('@') && !name.norm.is_empty() {
                    found.push(name);
                }
                k = next;
            }
        }
        dedup(found)
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::FactKind;
    use crate::frontend::sql::{lower, SqlDialect};

    /// Each fact as `kind table.column @text-at-span`, unread statements as
    /// `unread [tables]`.
    fn facts(sql: &str, dialect: SqlDialect) -> Vec<String> {
        lower(sql, dialect)
            .facts
            .iter()
            .filter_map(|f| {
                let text = &sql[f.span.start..f.span.end];
                match &f.kind {
                    FactKind::TableSchema { table, .. } => Some(format!("table {} @{text}", table.norm)),
                    FactKind::ColumnSchema { table, column, action } => {
                        let action = format!("{action:?}");
                        let action = action.split_whitespace().next().unwrap_or_default().to_string();
                        Some(format!("column {}.{} {action} @{text}", table.norm, column.norm))
                    }
                    FactKind::Unparsable { tables, .. } => Some(format!(
                        "unread [{}]",
                        tables.iter().map(|t| t.norm.as_str()).collect::<Vec<_>>().join(",")
                    )),
                    _ => None,
                }
            })
            .collect()
    }

    fn pg(sql: &str) -> Vec<String> {
        facts(sql, SqlDialect::Postgres)
    }

    #[test]
    fn a_named_not_null_constraint_alters_its_column() {
        assert_eq!(pg("ALTER TABLE t ADD CONSTRAINT n NOT NULL c;"), ["table t @t", "column t.c Alter @c"]);
        assert_eq!(
            pg("CREATE TABLE t (id int, CONSTRAINT n NOT NULL id, secret text);"),
            ["table t @t", "column t.id Add @id", "column t.secret Add @secret"]
        );
    }

    #[test]
    fn one_unknown_action_costs_only_itself() {
        assert_eq!(
            pg("ALTER TABLE t ADD COLUMN a int, FROBNICATE b, ADD COLUMN c int;"),
            ["table t @t", "column t.a Add @a", "column t.c Add @c", "unread [t]"]
        );
        assert_eq!(
            pg("ALTER TABLE s.t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY, SET SCHEMA x;"),
            ["table t @t", "column t.id Alter @id"]
        );
    }

    #[test]
    fn index_extensions_alter_the_indexed_table() {
        assert_eq!(pg("CREATE INVERTED INDEX i ON t (c);"), ["table t @t"]);
        assert_eq!(pg("CREATE UNIQUE INDEX IF NOT EXISTS i ON public.t (a ASC) STORING (b);"), ["table t @t"]);
        assert_eq!(pg("CREATE INDEX i ON t (a) USING HASH WHERE a IS NOT NULL;"), ["table t @t"]);
    }

    #[test]
    fn an_unreadable_column_is_still_declared_by_its_name() {
        assert_eq!(
            facts("ALTER TABLE t ADD COLUMN password_hash varchar(255) BINARY FROBNICATED;", SqlDialect::Mysql),
            ["table t @t", "column t.password_hash Add @password_hash"]
        );
    }

    #[test]
    fn what_is_left_names_the_tables_its_tokens_show() {
        assert_eq!(pg("UPSERT INTO users (id) VALUES (1);"), ["unread [users]"]);
        assert_eq!(pg("FROBNICATE a JOIN b ON a.id = b.id;"), ["unread [b]"]);
        assert_eq!(pg("FROBNICATE FROM x.y.accounts, other;"), ["unread [accounts]"]);
        // Foreign-key actions and row locks name no table.
        assert_eq!(pg("FROBNICATE REFERENCES p (id) ON UPDATE CASCADE ON DELETE SET NULL;"), ["unread [p]"]);
        assert_eq!(pg("FROBNICATE EVERYTHING;"), ["unread []"]);
        assert_eq!(pg("CREATE TABLE t2 (LIKE t INCLUDING ALL);"), ["table t2 @t2", "unread [t2]"]);
        // A source the file created: its columns are the new table's.
        assert_eq!(
            pg("CREATE TABLE t (a int, b int); ALTER TABLE t DROP COLUMN b; CREATE TABLE t2 (LIKE t INCLUDING ALL);"),
            [
                "table t @t",
                "column t.a Add @a",
                "column t.b Add @b",
                "table t @t",
                "column t.b Drop @b",
                "table t2 @t2",
                "column t2.a Add @t"
            ]
        );
    }

    #[test]
    fn postfix_null_tests_are_read() {
        assert_eq!(
            pg("UPDATE t SET a = 1 WHERE b ISNULL AND c NOTNULL;").iter().filter(|f| f.starts_with("unread")).count(),
            0
        );
        assert!(lower("SELECT ISNULL(a) FROM t;", SqlDialect::Mysql)
            .facts
            .iter()
            .all(|f| !matches!(f.kind, FactKind::Unparsable { .. })));
    }

    #[test]
    fn statements_that_touch_no_table_are_dropped() {
        assert!(pg("DROP OWNED BY r; DROP STATISTICS s; REASSIGN OWNED BY a TO b;").is_empty());
        assert!(facts("EXECUTE s; DEALLOCATE PREPARE s;", SqlDialect::Mysql).is_empty());
        assert!(facts("EXECUTE s USING @a, @b;", SqlDialect::Mysql).is_empty());
    }

    #[test]
    fn materialized_views_read_without_their_data_clause() {
        let out = lower("CREATE MATERIALIZED VIEW v AS SELECT id FROM t WITH NO DATA;", SqlDialect::Postgres);
        assert!(out.facts.iter().any(|f| matches!(&f.kind, FactKind::TableAccess { table, .. } if table.norm == "t")));
        assert!(!out.facts.iter().any(|f| matches!(f.kind, FactKind::Unparsable { .. })));
    }

    #[test]
    fn prepared_sql_is_read_from_the_literals_the_file_shows() {
        let sql = "SET @s = IF(1, 'ALTER TABLE t ADD COLUMN c int', 'SELECT 1');\nPREPARE p FROM @s;\n";
        assert_eq!(facts(sql, SqlDialect::Mysql), ["table t @t", "column t.c Add @c"]);
        assert_eq!(
            facts("PREPARE p FROM 'ALTER TABLE t ADD COLUMN c int';", SqlDialect::Mysql),
            ["table t @t", "column t.c Add @c"]
        );
        assert_eq!(facts("PREPARE p FROM @nowhere;", SqlDialect::Mysql), ["unread []"]);
        let built = "SET @s = CONCAT('ALTER TABLE t ADD ', @col);\nPREPARE p FROM @s;\n";
        assert_eq!(facts(built, SqlDialect::Mysql), ["unread [t]"]);
    }

    #[test]
    fn executed_format_strings_are_judged_on_what_the_file_shows() {
        // A literal is read as SQL, with the file's spans.
        assert_eq!(pg("EXECUTE 'ALTER TABLE t ADD COLUMN c int';"), ["table t @t", "column t.c Add @c"]);
        // Specifiers filled by string literals: those may be tables.
        assert_eq!(
            pg("EXECUTE format('ALTER TABLE %I ADD COLUMN c int', 'userbase');"),
            ["table __ @%I", "column __.c Add @c", "unread [userbase]"]
        );
        // A table from a value the file does not show: could be any.
        assert_eq!(pg("EXECUTE format('ALTER TABLE %I ADD c int', name);"), ["unread []"]);
        // Filled by values the file does not show, on a named table: read.
        assert_eq!(
            pg("EXECUTE format('UPDATE t SET c = %L', v);").iter().filter(|f| f.starts_with("unread")).count(),
            0
        );
    }

    #[test]
    fn dollar_quoted_comments_and_trigger_heads_are_read() {
        assert_eq!(
            pg("COMMENT ON COLUMN t.c IS $$the column$$;").iter().filter(|f| f.starts_with("unread")).count(),
            0
        );
        assert_eq!(
            facts(
                "CREATE TRIGGER IF NOT EXISTS tr BEFORE INSERT ON t FOR EACH ROW BEGIN DELETE FROM u WHERE NOT EXISTS (SELECT 1);",
                SqlDialect::Sqlite
            ),
            ["table t @t"]
        );
    }

    #[test]
    fn templated_names_keep_the_spans_of_the_file() {
        assert_eq!(pg("ALTER TABLE {{ .Schema }}.t ADD COLUMN c int;"), ["table t @t", "column t.c Add @c"]);
        assert_eq!(pg("CREATE TABLE ${schema}.t (c int);"), ["table t @t", "column t.c Add @c"]);
    }

    #[test]
    fn dynamic_sql_read_per_file_is_bounded() {
        let big = "SELECT 1 FROM t WHERE a = 1 ".repeat(20_000);
        let mut sql = format!("SET @s = '{big}';\n");
        sql.push_str(&"PREPARE p FROM @s;\n".repeat(200));
        let start = std::time::Instant::now();
        let out = lower(&sql, SqlDialect::Mysql);
        assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
        // Once the budget is spent, what is left is unread and fails closed.
        assert!(out.facts.iter().any(
            |f| matches!(&f.kind, FactKind::Unparsable { message, .. } if message.contains("more `PREPARE` text"))
        ));
    }

    #[test]
    fn do_blocks_are_read_statement_by_statement() {
        let sql = "DO $$\nDECLARE n int;\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'u') THEN\n    ALTER TABLE u ADD COLUMN c text;\n  ELSE\n    UPDATE u SET d = CASE WHEN d IS NULL THEN 0 ELSE d END;\n  END IF;\n  n := 1;\n  PERFORM 1 FROM v;\n  RAISE NOTICE 'done';\nEND\n$$;";
        assert_eq!(facts(sql, SqlDialect::Postgres), ["table u @u", "column u.c Add @c"]);
        let out = lower(sql, SqlDialect::Postgres);
        assert!(out.facts.iter().any(|f| matches!(&f.kind, FactKind::FieldWrite { field, .. } if field.norm == "d")));
        assert!(out.facts.iter().any(|f| matches!(&f.kind, FactKind::TableAccess { table, .. } if table.norm == "v")));
        // `RAISE EXCEPTION` is a control statement; `EXCEPTION` opens a handler.
        let raise = "DO $$ BEGIN RAISE EXCEPTION 'no'; UPDATE u SET a = 1; EXCEPTION WHEN others THEN NULL; END $$;";
        assert!(!lower(raise, SqlDialect::Postgres)
            .facts
            .iter()
            .any(|f| matches!(f.kind, FactKind::Unparsable { .. })));
        // Dynamic SQL in the block is read as EXECUTE is.
        assert_eq!(
            facts(
                "DO $x$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN c int', 'userbase'); END $x$;",
                SqlDialect::Postgres
            ),
            ["table __ @%I", "column __.c Add @c", "unread [userbase]"]
        );
        // Another language cannot be read.
        assert_eq!(facts("DO LANGUAGE plpython3u $$ plpy.execute('x') $$;", SqlDialect::Postgres), ["unread []"]);
    }

    #[test]
    fn virtual_tables_declare_their_plain_columns() {
        assert_eq!(
            pg("CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts4 (title, body, tokenize=porter);"),
            ["table search @search", "column search.title Add @title", "column search.body Add @body"]
        );
    }

    #[test]
    fn many_like_copies_stay_linear() {
        let mut sql = String::from("CREATE TABLE s (a int, b int);\n");
        for i in 0..20_000 {
            sql.push_str(&format!("CREATE TABLE t{i} (LIKE s INCLUDING ALL);\n"));
        }
        let start = std::time::Instant::now();
        let out = lower(&sql, SqlDialect::Postgres);
        assert!(out.facts.len() > 20_000);
        assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    }

    #[test]
    fn many_rejected_statements_on_one_line_stay_linear() {
        // Every statement is recovered from its own tokens only.
        let sql = "FROBNICATE TABLE t;".repeat(20_000);
        let start = std::time::Instant::now();
        let out = lower(&sql, SqlDialect::Postgres);
        assert_eq!(out.facts.len(), 20_000);
        assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    }
}
