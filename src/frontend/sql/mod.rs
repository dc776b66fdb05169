//! SQL front end: `sqlparser` tokens and AST lowered into facts.
//!
//! The text is tokenized once, then statements are parsed, lowered and
//! dropped one at a time, so memory is bounded by the largest statement. A
//! statement the parser rejects becomes one `Unparsable` fact and parsing
//! resumes after the semicolon that ends it; a tokenizer error keeps every
//! complete statement before it. Either way the rest is still checked.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterTableOperation, Assignment, AssignmentTarget, CommentObject, CopyPayload, CopySource, Expr, FromTable, Ident,
    MergeAction, MergeUpdateKind, ObjectName, ObjectNamePart, ObjectType, OnConflict, OnConflictAction, OnInsert,
    Query, RenameTableNameKind, Select, SelectItem, SetExpr, Statement, TableFactor, TableObject, TableWithJoins,
    UpdateTableFromKind, Visit, Visitor,
};
use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::facts::{AccessMode, ColumnAction, Comment, FactKind, FileFacts, Name, TableAction};
use crate::source::{LineIndex, OffsetCursor, Span};

pub mod dialect;
mod recover;
mod templates;
pub use dialect::SqlDialect;

/// Statements that, by SQL's own meaning, never create, alter or touch a
/// table's rows or columns (a language fact, not a policy one). When the
/// parser cannot read one of these (`DO $$ … $$`, `DROP INDEX CONCURRENTLY`,
/// `CLUSTER`, …) nothing that could be judged is lost, so no `Unparsable`
/// fact is made. Each entry is a sequence of leading keywords.
const IGNORABLE: &[&[&str]] = &[
    &["CLUSTER"],
    &["REINDEX"],
    &["VACUUM"],
    &["ANALYZE"],
    &["ANALYSE"],
    &["CHECKPOINT"],
    // SQLite's settings (`PRAGMA journal_mode=wal`), often run from code
    // whose policy dialect is another one.
    &["PRAGMA"],
    &["DISCARD"],
    &["NOTIFY"],
    &["LISTEN"],
    &["UNLISTEN"],
    &["SET"],
    &["RESET"],
    &["SHOW"],
    &["BEGIN"],
    &["START"],
    &["COMMIT"],
    &["END"],
    &["ROLLBACK"],
    &["SAVEPOINT"],
    &["RELEASE"],
    &["GRANT"],
    &["REVOKE"],
    &["SECURITY"],
    &["REFRESH"],
    &["DROP", "INDEX"],
    &["ALTER", "INDEX"],
    // Comments on anything but tables and columns (triggers, constraints,
    // policies, functions, ...) are documentation.
    &["COMMENT", "ON", "INDEX"],
    &["COMMENT", "ON", "FUNCTION"],
    &["COMMENT", "ON", "PROCEDURE"],
    &["COMMENT", "ON", "SCHEMA"],
    &["COMMENT", "ON", "TYPE"],
    &["COMMENT", "ON", "EXTENSION"],
    &["COMMENT", "ON", "TRIGGER"],
    &["COMMENT", "ON", "CONSTRAINT"],
    &["COMMENT", "ON", "POLICY"],
    &["COMMENT", "ON", "SEQUENCE"],
    &["COMMENT", "ON", "VIEW"],
    &["COMMENT", "ON", "DOMAIN"],
    &["COMMENT", "ON", "ROLE"],
    &["COMMENT", "ON", "DATABASE"],
    &["CREATE", "STATISTICS"],
    &["CREATE", "EVENT"],
];

/// Object kinds whose `CREATE`/`ALTER`/`DROP` never concern tables' schema.
const IGNORABLE_OBJECTS: &[&str] = &[
    "FUNCTION",
    "PROCEDURE",
    "EXTENSION",
    "TYPE",
    "DOMAIN",
    "SCHEMA",
    "SEQUENCE",
    "ROLE",
    "USER",
    "GROUP",
    "COLLATION",
    "AGGREGATE",
    "OPERATOR",
    "LANGUAGE",
    "CAST",
    "CONVERSION",
    "PUBLICATION",
    "SUBSCRIPTION",
    "SERVER",
    "DATABASE",
    "TABLESPACE",
    "DEFAULT",
];

fn is_ignorable(words: &[String]) -> bool {
    let matches_prefix =
        |prefix: &[&str]| prefix.iter().zip(words).filter(|(p, w)| **p == w.as_str()).count() == prefix.len();
    if IGNORABLE.iter().any(|p| words.len() >= p.len() && matches_prefix(p)) {
        return true;
    }
    // CREATE [OR REPLACE] <object>, ALTER <object>, DROP <object>
    let mut rest = words;
    if rest.first().is_some_and(|w| w == "CREATE" || w == "ALTER" || w == "DROP") {
        rest = &rest[1..];
        if rest.len() >= 2 && rest[0] == "OR" && rest[1] == "REPLACE" {
            rest = &rest[2..];
        }
        return rest.first().is_some_and(|w| IGNORABLE_OBJECTS.contains(&w.as_str()));
    }
    false
}

/// Lower SQL text into facts; spans are byte offsets into `sql`.
pub fn lower(sql: &str, dialect: SqlDialect) -> FileFacts {
    lower_indexed(sql, &LineIndex::new(sql), dialect)
}

/// [`lower`], for a caller that has already indexed the lines of `sql`.
pub fn lower_indexed(sql: &str, lines: &LineIndex, dialect: SqlDialect) -> FileFacts {
    let mut out = FileFacts::default();
    // Template placeholders become identifiers of the same length, so
    // offsets and lines stay the file's.
    let masked = templates::mask(sql);
    let sql: &str = &masked;
    let cursor = OffsetCursor::new(lines, sql);
    let pos = |loc: Location| -> usize { cursor.offset(loc.line as usize, loc.column as usize) };
    let sql_dialect = dialect;
    let dialect = dialect.parser_dialect();
    let mut variables: HashMap<String, Vec<recover::Literal>> = HashMap::new();
    let budget = std::cell::Cell::new(recover::DYNAMIC_SQL_BUDGET);
    let mut tokens = take_token_buffer();
    tokens.reserve(sql.len() / 2 + 16);
    let token_error =
        Tokenizer::new(dialect.as_ref(), sql).with_unescape(false).tokenize_with_location_into_buf(&mut tokens).err();
    collect_comments(&tokens, &pos, &mut out);
    normalize_placeholders(&mut tokens);
    expand_postfix_null_tests(&mut tokens);
    let ends = statement_ends(&tokens);
    let complexity = operator_counts(&tokens, &ends);

    // After a tokenizer error only complete statements are parsed; the
    // broken one is reported from where it starts.
    let mut broken_start = None;
    if token_error.is_some() {
        let cut = ends.last().map_or(0, |&e| e + 1);
        broken_start =
            tokens[cut..].iter().find(|t| !matches!(t.token, Token::Whitespace(_))).map(|t| pos(t.span.start));
        tokens.truncate(cut);
    }

    let mut parser = Parser::new(dialect.as_ref()).with_tokens_with_locations(tokens);
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let first = parser.peek_token_ref();
        if first.token == Token::EOF {
            break;
        }
        let start = pos(first.span.start);
        let start_index = parser.index();
        let words = leading_words(&parser);
        // The parser builds operator chains left-deep and they are dropped
        // recursively: a statement of hundreds of thousands of `AND`s would
        // overflow the stack. No migration needs that many.
        let segment = ends.partition_point(|&end| end < start_index);
        if complexity.get(segment).is_some_and(|&n| n > MAX_OPERATORS) {
            let message = format!("cannot parse: statement too complex to analyse (over {MAX_OPERATORS} operators)");
            out.push(FactKind::unparsable(message), Span::new(start, start), start);
            match ends.get(segment) {
                Some(&end) => {
                    skip_through(&mut parser, end);
                    continue;
                }
                None => break,
            }
        }
        let parsed = parser.parse_statement();
        let complete = matches!(parser.peek_token_ref().token, Token::SemiColon | Token::EOF);
        // `EXECUTE 'sql'` and `EXECUTE format(…)` parse as a call, but run
        // SQL this file shows: recovery reads that SQL.
        let dynamic = words.first().is_some_and(|w| w == "EXECUTE");
        let error = match parsed {
            Ok(_) if dynamic => Some((None, None)),
            Ok(stmt) if complete => {
                Lowerer::new(&pos, &mut out, start).statement(&stmt);
                // Inline COPY data runs to a `\\.` line; without one the rest
                // of the file was swallowed as data and never checked.
                if let Statement::Copy { payload: Some(CopyPayload { terminated: false, .. }), .. } = &stmt {
                    let message =
                        "cannot parse: COPY FROM STDIN data has no terminating `\\.` line, so the rest of the file is read as data"
                            .to_string();
                    out.push(FactKind::unparsable(message), Span::new(start, start), start);
                }
                if words.first().is_some_and(|w| w == "SET") {
                    let end = parser.index();
                    remember_variable(&parser, start_index, end, &pos, &mut variables);
                }
                None
            }
            // The parser read a statement but stopped before its end (an
            // option it does not know): recovery reads it whole, and what it
            // cannot read falls back on the part that parsed.
            Ok(stmt) => {
                let err = parser.expected_ref::<()>("end of statement", parser.peek_token_ref()).err();
                Some((err, Some(stmt)))
            }
            Err(err) => Some((Some(err), None)),
        };
        if let Some((err, prefix)) = error {
            // Resume after the semicolon that ends the broken statement: the
            // first one from its start, or from where the parser stopped if it
            // read further (a body with inner semicolons). Each pass moves past
            // a semicolon after the statement's start, so this always ends.
            let from = start_index.max(parser.index().saturating_sub(1));
            let end = ends.iter().copied().find(|&end| end >= from);
            if !is_ignorable(&words) {
                let last = end.unwrap_or(usize::MAX);
                let statement: Vec<TokenWithSpan> = (start_index..)
                    .map(|i| parser.token_at(i))
                    .take_while(|t| t.token != Token::EOF)
                    .take(last.saturating_sub(start_index))
                    .cloned()
                    .collect();
                let recovery = recover::Recovery {
                    dialect: dialect.as_ref(),
                    sql_dialect,
                    pos: &pos,
                    variables: &variables,
                    budget: &budget,
                };
                if let recover::Outcome::Unread { tables, reason } = recovery.statement(&statement, start, &mut out) {
                    if let Some(stmt) = prefix {
                        Lowerer::new(&pos, &mut out, start).statement(&stmt);
                    }
                    let message = err.map(|e| e.to_string()).unwrap_or_default();
                    let at = error_location(&message).map(&pos).unwrap_or(start);
                    let message = match reason {
                        Some(reason) => format!("cannot read: {reason}"),
                        None => format!("cannot parse: {}", clean_error(&message)),
                    };
                    out.push(FactKind::Unparsable { message, tables, help: None }, Span::new(at, at), start);
                }
            }
            match end {
                Some(end) => skip_through(&mut parser, end),
                None => break,
            }
        }
    }
    give_back_token_buffer(parser.into_tokens());
    if let Some(err) = token_error {
        let at = pos(err.location);
        let message = format!("cannot parse: {}", err.message);
        out.push(FactKind::unparsable(message), Span::new(at, at), broken_start.unwrap_or(at));
    }
    out
}

/// Parse `tokens` as exactly one statement and lower it into `out`; `Err`
/// (and nothing recorded) when the parser rejects it or stops before the end.
fn parse_and_lower(
    tokens: Vec<TokenWithSpan>,
    dialect: &dyn Dialect,
    pos: &dyn Fn(Location) -> usize,
    out: &mut FileFacts,
    start: usize,
) -> Result<(), ()> {
    let mut parser = Parser::new(dialect).with_tokens_with_locations(tokens);
    let stmt = parser.parse_statement().map_err(|_| ())?;
    while parser.consume_token(&Token::SemiColon) {}
    if parser.peek_token_ref().token != Token::EOF {
        return Err(());
    }
    Lowerer::new(pos, out, start).statement(&stmt);
    Ok(())
}

/// `SET @v = …` (MySQL): the string literals assigned to `@v`, which a
/// later `PREPARE s FROM @v` runs as SQL.
fn remember_variable(
    parser: &Parser<'_>,
    from: usize,
    to: usize,
    pos: &dyn Fn(Location) -> usize,
    variables: &mut HashMap<String, Vec<recover::Literal>>,
) {
    let mut name = None;
    let mut literals = Vec::new();
    for i in from..to {
        let t = parser.token_at(i);
        match &t.token {
            Token::Word(w) if name.is_none() && w.value.starts_with('@') => name = Some(w.value.to_ascii_lowercase()),
            Token::SingleQuotedString(text) if name.is_some() => {
                literals.push(recover::Literal { text: text.clone(), offset: pos(t.span.start) + 1 });
            }
            _ => {}
        }
    }
    if let Some(name) = name {
        variables.insert(name, literals);
    }
}

thread_local! {
    /// A token buffer reused from file to file: growing a fresh one for every
    /// file made the allocator fault in and zero new pages, a sixth of the run.
    static TOKEN_BUFFER: std::cell::RefCell<Vec<TokenWithSpan>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers above this many tokens (a huge file's) are not kept.
const MAX_KEPT_TOKENS: usize = 1 << 20;

fn take_token_buffer() -> Vec<TokenWithSpan> {
    TOKEN_BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

fn give_back_token_buffer(mut tokens: Vec<TokenWithSpan>) {
    if tokens.capacity() <= MAX_KEPT_TOKENS {
        tokens.clear();
        TOKEN_BUFFER.with(|b| *b.borrow_mut() = tokens);
    }
}

/// Move the parser past token `end` (a semicolon), to the next statement.
fn skip_through(parser: &mut Parser<'_>, end: usize) {
    while parser.index() <= end {
        parser.next_token();
    }
}

/// The first few keywords of the statement the parser is about to read.
fn leading_words(parser: &Parser<'_>) -> Vec<String> {
    parser
        .peek_tokens_ref::<4>()
        .iter()
        .map_while(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .collect()
}

/// Comments become suppression candidates.
fn collect_comments(tokens: &[TokenWithSpan], pos: &dyn Fn(Location) -> usize, out: &mut FileFacts) {
    for t in tokens {
        let text = match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => comment.as_str(),
            Token::Whitespace(Whitespace::MultiLineComment(comment)) => comment.as_str(),
            _ => continue,
        };
        out.comments.push(Comment { text: text.to_string(), span: Span::new(pos(t.span.start), pos(t.span.end)) });
    }
}

/// Whether a token ends an operand, so what follows is an operator: `data ?
/// 'k'` is Postgres' JSON operator, `= ?` a placeholder.
fn ends_operand(t: &Token) -> bool {
    match t {
        Token::Word(w) => w.keyword == Keyword::NoKeyword || w.quote_style.is_some(),
        Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::RParen
        | Token::RBracket
        | Token::Placeholder(_) => true,
        _ => false,
    }
}

/// Rewrite the placeholders of the common drivers that a dialect does not
/// know (`?`, `?1`, `%s`, `%(name)s`, `:name`) into placeholder tokens, so
/// query files and SQL strings written for those drivers parse. Only in
/// operand position and only when the pieces touch.
fn normalize_placeholders(tokens: &mut Vec<TokenWithSpan>) {
    // Most SQL has none of these tokens: leave it untouched.
    if !tokens.iter().any(|t| matches!(t.token, Token::Question | Token::Mod | Token::Colon)) {
        return;
    }
    let touches = |a: &TokenWithSpan, b: &TokenWithSpan| a.span.end == b.span.start;
    let word_at = |tokens: &[TokenWithSpan], k: usize| match tokens.get(k).map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.clone()),
        _ => None,
    };
    // Compacts in place: `w` is where the next kept token goes.
    let mut w = 0;
    let mut prev_significant: Option<usize> = None;
    let mut i = 0;
    while i < tokens.len() {
        let operand_position = !prev_significant.is_some_and(|p| ends_operand(&tokens[p].token));
        let mut merged: Option<(String, usize)> = None;
        if operand_position {
            let t = &tokens[i];
            match &t.token {
                Token::Question => {
                    merged = match tokens.get(i + 1) {
                        Some(n) if touches(t, n) && matches!(&n.token, Token::Number(..)) => {
                            Some((format!("?{}", n.token), 1))
                        }
                        _ => Some(("?".to_string(), 0)),
                    };
                }
                Token::Mod => {
                    let next = tokens.get(i + 1);
                    if next.is_some_and(|n| touches(t, n)) && word_at(tokens, i + 1).as_deref() == Some("s") {
                        merged = Some(("%s".to_string(), 1));
                    } else if tokens.len() > i + 4
                        && (0..4).all(|k| touches(&tokens[i + k], &tokens[i + k + 1]))
                        && tokens[i + 1].token == Token::LParen
                        && tokens[i + 3].token == Token::RParen
                        && word_at(tokens, i + 4).as_deref() == Some("s")
                    {
                        if let Some(name) = word_at(tokens, i + 2) {
                            merged = Some((format!("%({name})s"), 4));
                        }
                    }
                }
                Token::Colon => {
                    if let (Some(n), Some(name)) = (tokens.get(i + 1), word_at(tokens, i + 1)) {
                        if touches(t, n) {
                            merged = Some((format!(":{name}"), 1));
                        }
                    }
                }
                _ => {}
            }
        }
        match merged {
            Some((text, extra)) => {
                let span = sqlparser::tokenizer::Span::new(tokens[i].span.start, tokens[i + extra].span.end);
                tokens[w] = TokenWithSpan { token: Token::Placeholder(text), span };
                prev_significant = Some(w);
                i += extra + 1;
            }
            None => {
                if !matches!(tokens[i].token, Token::Whitespace(_)) {
                    prev_significant = Some(w);
                }
                tokens.swap(w, i);
                i += 1;
            }
        }
        w += 1;
    }
    tokens.truncate(w);
}

/// PostgreSQL's postfix `x ISNULL` / `x NOTNULL` are `x IS NULL` / `x IS
/// NOT NULL`, which the parser reads: each word becomes those keywords,
/// with its span. Only after an operand and not before `(`, so MySQL's
/// `ISNULL(x)` function stays a call.
fn expand_postfix_null_tests(tokens: &mut Vec<TokenWithSpan>) {
    let is_test = |t: &Token| {
        matches!(t, Token::Word(w) if w.quote_style.is_none()
        && (w.value.eq_ignore_ascii_case("isnull") || w.value.eq_ignore_ascii_case("notnull")))
    };
    if !tokens.iter().any(|t| is_test(&t.token)) {
        return;
    }
    let mut out = Vec::with_capacity(tokens.len() + 4);
    let mut prev_significant: Option<Token> = None;
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens[i + 1..].iter().find(|n| !matches!(n.token, Token::Whitespace(_)));
        let postfix = is_test(&t.token)
            && prev_significant.as_ref().is_some_and(|p| ends_operand(p) || is_column_like_keyword(p))
            && next.is_none_or(|n| n.token != Token::LParen);
        if postfix {
            let not = matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case("notnull"));
            let word = |k: &str| TokenWithSpan { token: Token::make_keyword(k), span: t.span };
            let space = TokenWithSpan { token: Token::Whitespace(Whitespace::Space), span: t.span };
            out.push(word("IS"));
            out.push(space.clone());
            if not {
                out.push(word("NOT"));
                out.push(space);
            }
            out.push(word("NULL"));
        } else {
            out.push(t.clone());
        }
        if !matches!(t.token, Token::Whitespace(_)) {
            prev_significant = Some(t.token.clone());
        }
    }
    *tokens = out;
}

/// A keyword that often names a column (`name`, `type`, `key`, `value`):
/// before `ISNULL` it is an operand, unless it is one of the words that
/// start or join conditions.
fn is_column_like_keyword(t: &Token) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && !matches!(
        w.keyword,
        Keyword::AND | Keyword::OR | Keyword::NOT | Keyword::WHERE | Keyword::WHEN | Keyword::THEN | Keyword::ELSE
            | Keyword::ON | Keyword::HAVING | Keyword::SELECT | Keyword::SET | Keyword::IS | Keyword::CASE
            | Keyword::RETURN | Keyword::BY | Keyword::IF
    ))
}

/// Operators allowed in one statement; see [`operator_counts`].
const MAX_OPERATORS: usize = 50_000;

/// For each statement (the tokens up to and including each semicolon, then
/// the rest), how many binary operators it holds.
fn operator_counts(tokens: &[TokenWithSpan], ends: &[usize]) -> Vec<usize> {
    let mut counts = vec![0; ends.len() + 1];
    let mut segment = 0;
    for (i, t) in tokens.iter().enumerate() {
        let is_operator = match &t.token {
            Token::Word(w) => matches!(w.keyword, Keyword::AND | Keyword::OR),
            Token::Whitespace(_)
            | Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::Comma
            | Token::LParen
            | Token::RParen
            | Token::SemiColon
            | Token::Period
            | Token::EOF => false,
            _ => true,
        };
        if is_operator {
            counts[segment] += 1;
        }
        if ends.get(segment) == Some(&i) {
            segment += 1;
        }
    }
    counts
}

/// Token indices of the semicolons, where parsing may resume after an error.
/// Parentheses are not counted: one unbalanced `(` must not hide the rest of
/// the file, and semicolons inside parentheses are rare in SQL.
fn statement_ends(tokens: &[TokenWithSpan]) -> Vec<usize> {
    tokens.iter().enumerate().filter(|(_, t)| t.token == Token::SemiColon).map(|(i, _)| i).collect()
}

/// `sqlparser` reports positions only inside its message: "... at Line: 3, Column: 7".
fn error_location(message: &str) -> Option<Location> {
    let rest = &message[message.rfind("Line: ")? + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(Location { line: line.trim().parse().ok()?, column: column.parse().ok()? })
}

fn clean_error(message: &str) -> String {
    let message = message.strip_prefix("sql parser error: ").unwrap_or(message);
    match message.rfind(" at Line: ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A table in a FROM clause or an UPDATE target list: its name and alias.
struct TableRef {
    table: Name,
    alias: Option<String>,
}

/// Walks one statement and records its facts.
struct Lowerer<'a, 'p> {
    pos: &'p dyn Fn(Location) -> usize,
    out: &'a mut FileFacts,
    start: usize,
    /// Names bound by an enclosing `WITH`, which are not tables.
    ctes: HashSet<String>,
}

impl<'a, 'p> Lowerer<'a, 'p> {
    fn new(pos: &'p dyn Fn(Location) -> usize, out: &'a mut FileFacts, start: usize) -> Self {
        Lowerer { pos, out, start, ctes: HashSet::new() }
    }

    fn name_of(&self, ident: &Ident) -> Name {
        name_of(self.pos, self.start, ident)
    }

    /// The table part of a possibly schema-qualified name.
    fn table_name(&self, name: &ObjectName) -> Option<Name> {
        last_ident(name).map(|i| self.name_of(i))
    }

    fn push(&mut self, kind: FactKind, span: Span) {
        self.out.push(kind, span, self.start);
    }

    fn table_schema(&mut self, table: Name, action: TableAction) {
        let span = table.span;
        self.push(FactKind::TableSchema { table, action }, span);
    }

    fn column_schema(&mut self, table: &Name, column: Name, action: ColumnAction) {
        let span = column.span;
        self.push(FactKind::ColumnSchema { table: table.clone(), column, action }, span);
    }

    fn access(&mut self, table: Name, mode: AccessMode) {
        let span = table.span;
        self.push(FactKind::TableAccess { table, mode }, span);
    }

    fn insert(&mut self, table: Name, columns: Vec<Name>) {
        let span = table.span;
        self.access(table.clone(), AccessMode::Write);
        self.push(FactKind::RowInsert { table, columns }, span);
    }

    fn field_write(&mut self, table: Name, field: Name, upsert: bool) {
        let span = field.span;
        self.push(FactKind::FieldWrite { table, field, upsert }, span);
    }

    /// The assignments of `ON CONFLICT DO UPDATE` / `ON DUPLICATE KEY UPDATE`.
    fn upsert_writes(&mut self, table: &Name, on: Option<&OnInsert>) {
        let assignments = match on {
            Some(OnInsert::DuplicateKeyUpdate(a)) => a,
            Some(OnInsert::OnConflict(OnConflict { action: OnConflictAction::DoUpdate(d), .. })) => &d.assignments,
            _ => return,
        };
        let refs = vec![TableRef { table: table.clone(), alias: None }];
        for a in assignments {
            for (t, field) in self.assignment_fields(a, &refs) {
                self.field_write(t, field, true);
            }
        }
    }

    fn table_of(&mut self, name: &ObjectName, action: TableAction) {
        if let Some(table) = self.table_name(name) {
            self.table_schema(table, action);
        }
    }

    fn statement(&mut self, stmt: &Statement) {
        match stmt {
            Statement::CreateTable(ct) => {
                let Some(table) = self.table_name(&ct.name) else { return };
                self.table_schema(table.clone(), TableAction::Create);
                for col in &ct.columns {
                    let column = self.name_of(&col.name);
                    self.column_schema(&table, column, ColumnAction::Add);
                }
                if let Some(query) = &ct.query {
                    // `CREATE TABLE t AS SELECT a, b AS c ...` declares t's columns.
                    if ct.columns.is_empty() {
                        for column in self.projection_names(query) {
                            self.column_schema(&table, column, ColumnAction::Add);
                        }
                    }
                    self.reads(query.as_ref(), &HashSet::new());
                }
            }
            Statement::CreateView(view) => self.reads(view.query.as_ref(), &HashSet::new()),
            Statement::AlterTable(at) => self.alter_table(&at.name, &at.operations),
            Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                for name in names {
                    self.table_of(name, TableAction::Drop);
                }
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    if let (Some(from), Some(to)) = (self.table_name(&r.old_name), self.table_name(&r.new_name)) {
                        self.table_schema(from, TableAction::Rename { to });
                    }
                }
            }
            Statement::CreateIndex(ci) => self.table_of(&ci.table_name, TableAction::Alter),
            Statement::CreateTrigger(t) => self.table_of(&t.table_name, TableAction::Alter),
            Statement::DropTrigger(t) => {
                if let Some(name) = &t.table_name {
                    self.table_of(name, TableAction::Alter);
                }
            }
            Statement::CreatePolicy(p) => self.table_of(&p.table_name, TableAction::Alter),
            Statement::AlterPolicy(p) => self.table_of(&p.table_name, TableAction::Alter),
            Statement::DropPolicy(p) => self.table_of(&p.table_name, TableAction::Alter),
            Statement::Comment { object_type: CommentObject::Table, object_name, .. } => {
                self.table_of(object_name, TableAction::Alter);
            }
            Statement::Comment { object_type: CommentObject::Column, object_name, .. } => {
                // `COMMENT ON COLUMN [schema.]table.column`
                let parts = &object_name.0;
                if parts.len() >= 2 {
                    if let ObjectNamePart::Identifier(t) = &parts[parts.len() - 2] {
                        let table = self.name_of(t);
                        self.table_schema(table, TableAction::Alter);
                    }
                }
            }
            Statement::Insert(ins) => {
                let mut targets = HashSet::new();
                if let TableObject::TableName(name) = &ins.table {
                    if let Some(table) = self.table_name(name) {
                        targets.insert(table.span);
                        let columns = ins.columns.iter().filter_map(|c| self.table_name(c)).collect();
                        self.insert(table.clone(), columns);
                        if let Some(from) = ins.source.as_deref().and_then(|q| self.single_source(q)) {
                            let span = from.span;
                            self.push(FactKind::RowCopy { into: table.clone(), from }, span);
                        }
                        self.upsert_writes(&table, ins.on.as_ref());
                    }
                }
                self.reads(stmt, &targets);
            }
            Statement::Update(up) => {
                let mut refs = Vec::new();
                self.collect_refs(&up.table, &mut refs);
                let mut targets: HashSet<Span> = refs.iter().map(|r| r.table.span).collect();
                let mut written = HashSet::new();
                for assignment in &up.assignments {
                    for (table, field) in self.assignment_fields(assignment, &refs) {
                        written.insert(table.span);
                        self.field_write(table, field, false);
                    }
                }
                // With no resolvable assignment, the first table is the target.
                if written.is_empty() {
                    if let Some(first) = refs.first() {
                        written.insert(first.table.span);
                    }
                }
                for r in &refs {
                    let mode = if written.contains(&r.table.span) { AccessMode::Write } else { AccessMode::Read };
                    self.access(r.table.clone(), mode);
                }
                // Tables of the FROM clause are reads, found by the visitor.
                if up.from.is_some() {
                    targets.retain(|s| refs.iter().any(|r| r.table.span == *s));
                }
                self.reads(stmt, &targets);
            }
            Statement::Delete(del) => {
                let mut targets = HashSet::new();
                let from = match &del.from {
                    FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
                };
                let written: Vec<&ObjectName> = if del.tables.is_empty() {
                    from.iter().filter_map(table_factor_name).collect()
                } else {
                    del.tables.iter().collect()
                };
                for name in written {
                    if let Some(table) = self.table_name(name) {
                        targets.insert(table.span);
                        self.access(table, AccessMode::Write);
                    }
                }
                self.reads(stmt, &targets);
            }
            Statement::Truncate(tr) => {
                for target in &tr.table_names {
                    if let Some(table) = self.table_name(&target.name) {
                        self.access(table, AccessMode::Write);
                    }
                }
            }
            Statement::Copy { source, to, .. } => match source {
                CopySource::Table { table_name, columns } => {
                    let Some(table) = self.table_name(table_name) else { return };
                    if *to {
                        self.access(table, AccessMode::Read);
                    } else {
                        // `COPY t FROM ...` creates rows.
                        let columns = columns.iter().map(|c| self.name_of(c)).collect();
                        self.insert(table, columns);
                    }
                }
                CopySource::Query(query) => self.reads(query.as_ref(), &HashSet::new()),
            },
            Statement::Merge(merge) => {
                let mut targets = HashSet::new();
                if let TableFactor::Table { name, alias, .. } = &merge.table {
                    if let Some(table) = self.table_name(name) {
                        targets.insert(table.span);
                        let refs = vec![TableRef {
                            table: table.clone(),
                            alias: alias.as_ref().map(|a| a.name.value.to_lowercase()),
                        }];
                        let inserts: Vec<_> = merge
                            .clauses
                            .iter()
                            .filter_map(|c| match &c.action {
                                MergeAction::Insert(i) => Some(i),
                                _ => None,
                            })
                            .collect();
                        let upsert = !inserts.is_empty();
                        if upsert {
                            // Like an upsert: a MERGE that can create rows is an insert.
                            let columns = inserts
                                .iter()
                                .flat_map(|i| i.columns.iter())
                                .filter_map(|c| self.table_name(c))
                                .collect();
                            self.insert(table, columns);
                        } else {
                            self.access(table, AccessMode::Write);
                        }
                        for clause in &merge.clauses {
                            if let MergeAction::Update(u) = &clause.action {
                                if let MergeUpdateKind::Set(assignments) = &u.kind {
                                    for a in assignments {
                                        for (t, field) in self.assignment_fields(a, &refs) {
                                            self.field_write(t, field, upsert);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                self.reads(stmt, &targets);
            }
            // The statement inside runs (EXPLAIN ANALYZE) or will run.
            Statement::Explain { statement, .. } | Statement::Prepare { statement, .. } => self.statement(statement),
            Statement::Declare { stmts, .. } => {
                for d in stmts {
                    if let Some(q) = &d.for_query {
                        self.reads(q.as_ref(), &HashSet::new());
                    }
                }
            }
            Statement::Query(query) => {
                // `SELECT ... INTO t` creates t with the projection's columns.
                if let SetExpr::Select(select) = query.body.as_ref() {
                    if let Some(into) = &select.into {
                        if let [Expr::Identifier(_) | Expr::CompoundIdentifier(_)] = into.targets.as_slice() {
                            let ident = match &into.targets[0] {
                                Expr::Identifier(i) => Some(i),
                                Expr::CompoundIdentifier(parts) => parts.last(),
                                _ => None,
                            };
                            if let Some(ident) = ident {
                                let table = self.name_of(ident);
                                self.table_schema(table.clone(), TableAction::Create);
                                for column in self.projection_names(query) {
                                    self.column_schema(&table, column, ColumnAction::Add);
                                }
                            }
                        }
                    }
                }
                self.reads(query.as_ref(), &HashSet::new())
            }
            _ => {}
        }
    }

    /// The one table a plain `SELECT … FROM t [WHERE …]` reads: no join, no
    /// set operation, no `WITH` (whose names are no tables).
    fn single_source(&self, query: &Query) -> Option<Name> {
        let SetExpr::Select(select) = query.body.as_ref() else { return None };
        let [twj] = select.from.as_slice() else { return None };
        if query.with.is_some() || !twj.joins.is_empty() {
            return None;
        }
        let TableFactor::Table { name, args: None, .. } = &twj.relation else { return None };
        self.table_name(name).filter(|t| !self.ctes.contains(&t.norm))
    }

    /// The column names a query's projection produces, when they are plain.
    fn projection_names(&self, query: &Query) -> Vec<Name> {
        let SetExpr::Select(select) = query.body.as_ref() else { return Vec::new() };
        select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::ExprWithAlias { alias, .. } => Some(self.name_of(alias)),
                SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(self.name_of(i)),
                SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().map(|i| self.name_of(i)),
                _ => None,
            })
            .collect()
    }

    /// The plain tables of a FROM item, with their aliases.
    fn collect_refs(&self, twj: &TableWithJoins, out: &mut Vec<TableRef>) {
        let factors = std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation));
        for factor in factors {
            if let TableFactor::Table { name, alias, args: None, .. } = factor {
                if let Some(table) = self.table_name(name) {
                    out.push(TableRef { table, alias: alias.as_ref().map(|a| a.name.value.to_lowercase()) });
                }
            }
        }
    }

    /// The (table, field) pairs an assignment writes: `col`, `alias.col`,
    /// `(a, b)`. Unqualified columns belong to the first table.
    fn assignment_fields(&self, assignment: &Assignment, refs: &[TableRef]) -> Vec<(Name, Name)> {
        let columns: Vec<&ObjectName> = match &assignment.target {
            AssignmentTarget::ColumnName(c) => vec![c],
            AssignmentTarget::Tuple(cs) => cs.iter().collect(),
        };
        let mut out = Vec::new();
        for column in columns {
            let parts = &column.0;
            let Some(field) = self.table_name(column) else { continue };
            let owner = if parts.len() < 2 {
                refs.first()
            } else {
                match &parts[parts.len() - 2] {
                    ObjectNamePart::Identifier(q) => {
                        let q = q.value.to_lowercase();
                        refs.iter().find(|r| {
                            r.alias.as_deref() == Some(q.as_str()) || (r.alias.is_none() && r.table.norm == q)
                        })
                    }
                    ObjectNamePart::Function(_) => None,
                }
            };
            if let Some(owner) = owner {
                out.push((owner.table.clone(), field));
            }
        }
        out
    }

    fn alter_table(&mut self, name: &ObjectName, operations: &[AlterTableOperation]) {
        let Some(table) = self.table_name(name) else { return };
        let rename = operations.iter().find_map(|op| match op {
            AlterTableOperation::RenameTable { table_name } => match table_name {
                RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => self.table_name(n),
            },
            _ => None,
        });
        match rename {
            Some(to) => self.table_schema(table.clone(), TableAction::Rename { to }),
            None => self.table_schema(table.clone(), TableAction::Alter),
        }
        for op in operations {
            match op {
                AlterTableOperation::AddColumn { column_def, .. } => {
                    let column = self.name_of(&column_def.name);
                    self.column_schema(&table, column, ColumnAction::Add);
                }
                AlterTableOperation::DropColumn { column_names, .. } => {
                    for c in column_names {
                        let column = self.name_of(c);
                        self.column_schema(&table, column, ColumnAction::Drop);
                    }
                }
                AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                    let to = self.name_of(new_column_name);
                    let column = self.name_of(old_column_name);
                    self.column_schema(&table, column, ColumnAction::Rename { to });
                }
                AlterTableOperation::ChangeColumn { old_name, new_name, .. } => {
                    let to = self.name_of(new_name);
                    let column = self.name_of(old_name);
                    if to.norm == column.norm {
                        self.column_schema(&table, column, ColumnAction::Alter);
                    } else {
                        self.column_schema(&table, column, ColumnAction::Rename { to });
                    }
                }
                AlterTableOperation::ModifyColumn { col_name, .. } => {
                    let column = self.name_of(col_name);
                    self.column_schema(&table, column, ColumnAction::Alter);
                }
                AlterTableOperation::AlterColumn { column_name, .. } => {
                    let column = self.name_of(column_name);
                    self.column_schema(&table, column, ColumnAction::Alter);
                }
                _ => {}
            }
        }
    }

    /// Every table relation below `node` is a read, except the statement's
    /// own write targets (`skip`) and names bound by `WITH`; every column of
    /// a known table is a field read. Statements nested in queries
    /// (`WITH x AS (UPDATE ...)`) are lowered as statements of their own.
    fn reads<V: Visit>(&mut self, node: &V, skip: &HashSet<Span>) {
        let outer = self.ctes.clone();
        let mut c = Collector::new(self.pos, self.start, &outer);
        let _ = node.visit(&mut c);
        let Collector { relations, fields, nested, .. } = c;
        let mut skip = skip.clone();
        for (nested, ctes) in nested {
            let before = self.out.facts.len();
            let saved = std::mem::replace(&mut self.ctes, ctes);
            self.statement(&nested);
            self.ctes = saved;
            skip.extend(self.out.facts[before..].iter().map(|f| f.span));
        }
        for table in relations {
            if !skip.contains(&table.span) {
                self.access(table, AccessMode::Read);
            }
        }
        for (table, field) in fields {
            if !skip.contains(&field.span) {
                let span = field.span;
                self.push(FactKind::FieldRead { table, field }, span);
            }
        }
    }
}

fn name_of(pos: &dyn Fn(Location) -> usize, fallback: usize, ident: &Ident) -> Name {
    let span = if ident.span.start.line == 0 {
        Span::new(fallback, fallback)
    } else {
        Span::new(pos(ident.span.start), pos(ident.span.end))
    };
    Name::new(&ident.value, span)
}

fn last_ident(name: &ObjectName) -> Option<&Ident> {
    match name.0.last()? {
        ObjectNamePart::Identifier(ident) => Some(ident),
        ObjectNamePart::Function(_) => None,
    }
}

fn table_factor_name(t: &TableWithJoins) -> Option<&ObjectName> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    }
}

/// The names a `WITH` binds, and how many of them are visible right now:
/// inside the k-th CTE body only the earlier ones (and itself if recursive).
struct CteScope {
    names: Vec<String>,
    bodies: Vec<*const Query>,
    visible: usize,
    recursive: bool,
}

/// Tables in scope of a SELECT, for attributing column references.
struct SelectScope {
    /// (table, alias) of plain tables; `None` for derived tables and functions.
    tables: Vec<Option<(Name, Option<String>)>>,
}

/// Collects relations read, columns read, and DML nested in queries.
struct Collector<'p> {
    pos: &'p dyn Fn(Location) -> usize,
    start: usize,
    outer_ctes: &'p HashSet<String>,
    ctes: Vec<CteScope>,
    selects: Vec<SelectScope>,
    /// Spans of table-function names (`FROM users()`), which are not tables.
    functions: HashSet<Span>,
    relations: Vec<Name>,
    fields: Vec<(Name, Name)>,
    nested: Vec<(Statement, HashSet<String>)>,
    depth: usize,
}

impl<'p> Collector<'p> {
    fn new(pos: &'p dyn Fn(Location) -> usize, start: usize, outer_ctes: &'p HashSet<String>) -> Self {
        Collector {
            pos,
            start,
            outer_ctes,
            ctes: Vec::new(),
            selects: Vec::new(),
            functions: HashSet::new(),
            relations: Vec::new(),
            fields: Vec::new(),
            nested: Vec::new(),
            depth: 0,
        }
    }

    fn name(&self, ident: &Ident) -> Name {
        name_of(self.pos, self.start, ident)
    }

    fn is_cte(&self, name: &str) -> bool {
        self.outer_ctes.contains(name) || self.ctes.iter().any(|s| s.names[..s.visible].iter().any(|n| n == name))
    }

    fn visible_ctes(&self) -> HashSet<String> {
        let mut all = self.outer_ctes.clone();
        for s in &self.ctes {
            all.extend(s.names[..s.visible].iter().cloned());
        }
        all
    }

    /// A FROM item as a column scope: a plain table with its alias, or
    /// `None` for what has no known columns (derived tables, functions, CTEs).
    fn scope_entry(&self, factor: &TableFactor) -> Option<(Name, Option<String>)> {
        match factor {
            TableFactor::Table { name, alias, args: None, .. } => {
                let ident = last_ident(name)?;
                let table = self.name(ident);
                // A CTE reference is not the table of the same name.
                if name.0.len() == 1 && self.is_cte(&table.norm) {
                    return None;
                }
                Some((table, alias.as_ref().map(|a| a.name.value.to_lowercase())))
            }
            _ => None,
        }
    }

    fn column_ref(&mut self, qualifier: Option<&Ident>, column: &Ident) {
        let field = self.name(column);
        let found = match qualifier {
            None => match self.selects.last() {
                Some(scope) if scope.tables.len() == 1 => scope.tables[0].as_ref().map(|(t, _)| t.clone()),
                _ => None,
            },
            Some(q) => {
                let q = q.value.to_lowercase();
                self.selects.iter().rev().find_map(|scope| {
                    scope.tables.iter().flatten().find_map(|(t, alias)| match alias {
                        Some(a) if *a == q => Some(t.clone()),
                        None if t.norm == q => Some(t.clone()),
                        _ => None,
                    })
                })
            }
        };
        if let Some(table) = found {
            self.fields.push((table, field));
        }
    }
}

impl Visitor for Collector<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(scope) = self.ctes.last_mut() {
            if let Some(k) = scope.bodies.iter().position(|b| std::ptr::eq(*b, query)) {
                scope.visible = if scope.recursive { k + 1 } else { k };
            }
        }
        let (names, bodies, recursive) = match &query.with {
            Some(with) => (
                with.cte_tables.iter().map(|c| c.alias.name.value.to_lowercase()).collect::<Vec<_>>(),
                with.cte_tables.iter().map(|c| c.query.as_ref() as *const Query).collect::<Vec<_>>(),
                with.recursive,
            ),
            None => (Vec::new(), Vec::new(), false),
        };
        let visible = names.len();
        self.ctes.push(CteScope { names, bodies, visible, recursive });
        // DML inside a query (a data-modifying CTE, `WITH ... UPDATE`) is
        // lowered as a statement; its relations here are skipped by span.
        if let SetExpr::Update(s) | SetExpr::Insert(s) | SetExpr::Delete(s) = query.body.as_ref() {
            let mut scope = self.visible_ctes();
            if let Some(top) = self.ctes.last() {
                scope.extend(top.names.iter().cloned());
            }
            self.nested.push(((*s).clone(), scope));
        }
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.ctes.pop();
        self.depth -= 1;
        if let Some(scope) = self.ctes.last_mut() {
            if scope.bodies.iter().any(|b| std::ptr::eq(*b, query)) {
                scope.visible = scope.names.len();
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        let mut tables = Vec::new();
        for twj in &select.from {
            for factor in std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation)) {
                tables.push(self.scope_entry(factor));
            }
        }
        self.selects.push(SelectScope { tables });
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, _select: &Select) -> ControlFlow<()> {
        self.selects.pop();
        ControlFlow::Continue(())
    }

    /// UPDATE, DELETE and INSERT read columns too (WHERE, RETURNING, SET values).
    fn pre_visit_statement(&mut self, stmt: &Statement) -> ControlFlow<()> {
        let mut factors: Vec<&TableFactor> = Vec::new();
        let mut plain: Vec<&ObjectName> = Vec::new();
        let twjs: Vec<&TableWithJoins> = match stmt {
            Statement::Update(up) => {
                let mut v = vec![&up.table];
                if let Some(UpdateTableFromKind::BeforeSet(f) | UpdateTableFromKind::AfterSet(f)) = &up.from {
                    v.extend(f.iter());
                }
                v
            }
            Statement::Delete(del) => {
                let (FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f)) = &del.from;
                let mut v: Vec<&TableWithJoins> = f.iter().collect();
                v.extend(del.using.iter().flatten());
                v
            }
            Statement::Insert(ins) => {
                if let TableObject::TableName(name) = &ins.table {
                    plain.push(name);
                }
                Vec::new()
            }
            _ => return ControlFlow::Continue(()),
        };
        for twj in twjs {
            factors.push(&twj.relation);
            factors.extend(twj.joins.iter().map(|j| &j.relation));
        }
        let mut tables: Vec<Option<(Name, Option<String>)>> =
            factors.into_iter().map(|f| self.scope_entry(f)).collect();
        tables.extend(plain.into_iter().map(|n| last_ident(n).map(|i| (self.name(i), None))));
        self.selects.push(SelectScope { tables });
        ControlFlow::Continue(())
    }

    fn post_visit_statement(&mut self, stmt: &Statement) -> ControlFlow<()> {
        if matches!(stmt, Statement::Update(_) | Statement::Delete(_) | Statement::Insert(_)) {
            self.selects.pop();
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, args: Some(_), .. } = factor {
            if let Some(i) = last_ident(name) {
                let span = self.name(i).span;
                self.functions.insert(span);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        let Some(ident) = last_ident(relation) else { return ControlFlow::Continue(()) };
        let table = self.name(ident);
        let shadowed = relation.0.len() == 1 && self.is_cte(&table.norm);
        if !shadowed && !self.functions.contains(&table.span) {
            self.relations.push(table);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(column) => self.column_ref(None, column),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let (column, rest) = parts.split_last().unwrap_or_else(|| unreachable!("two parts or more"));
                self.column_ref(rest.last(), column);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<String> {
        kinds_in(sql, SqlDialect::Postgres)
    }

    fn kinds_in(sql: &str, dialect: SqlDialect) -> Vec<String> {
        let facts = lower(sql, dialect);
        facts
            .facts
            .iter()
            .filter(|f| !matches!(f.kind, FactKind::FieldRead { .. } | FactKind::RowCopy { .. }))
            .map(|f| {
                let text = &sql[f.span.start..f.span.end];
                match &f.kind {
                    FactKind::TableSchema { table, action } => {
                        format!("table {} {:?} @{text}", table.norm, action_name(action))
                    }
                    FactKind::ColumnSchema { table, column, action } => {
                        format!("column {}.{} {:?} @{text}", table.norm, column.norm, column_action_name(action))
                    }
                    FactKind::TableAccess { table, mode } => format!("access {} {mode:?} @{text}", table.norm),
                    FactKind::RowInsert { table, columns } => format!(
                        "insert {} ({}) @{text}",
                        table.norm,
                        columns.iter().map(|c| c.norm.as_str()).collect::<Vec<_>>().join(",")
                    ),
                    FactKind::FieldWrite { table, field, .. } => format!("write {}.{} @{text}", table.norm, field.norm),
                    FactKind::Unparsable { message, .. } => format!("unparsable {message}"),
                    other => unreachable!("{other:?}"),
                }
            })
            .collect()
    }

    fn reads(sql: &str) -> Vec<String> {
        lower(sql, SqlDialect::Postgres)
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::FieldRead { table, field } => Some(format!("{}.{}", table.norm, field.norm)),
                _ => None,
            })
            .collect()
    }

    fn action_name(a: &TableAction) -> String {
        match a {
            TableAction::Rename { to } => format!("rename->{}", to.norm),
            other => format!("{other:?}"),
        }
    }

    fn column_action_name(a: &ColumnAction) -> String {
        match a {
            ColumnAction::Rename { to } => format!("rename->{}", to.norm),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn ddl_is_lowered_with_identifier_spans() {
        let got = kinds(
            "ALTER TABLE public.\"UserBase\" ADD COLUMN mfa_secret text, DROP COLUMN x;\nCREATE TABLE t (a int, \"B\" text);",
        );
        assert_eq!(
            got,
            vec![
                "table userbase \"Alter\" @\"UserBase\"",
                "column userbase.mfa_secret \"Add\" @mfa_secret",
                "column userbase.x \"Drop\" @x",
                "table t \"Create\" @t",
                "column t.a \"Add\" @a",
                "column t.b \"Add\" @\"B\"",
            ]
        );
    }

    #[test]
    fn renames_are_lowered() {
        let got = kinds("ALTER TABLE tmp RENAME TO userbase; ALTER TABLE userbase RENAME COLUMN a TO password;");
        assert_eq!(
            got,
            vec![
                "table tmp \"rename->userbase\" @tmp",
                "table userbase \"Alter\" @userbase",
                "column userbase.a \"rename->password\" @a",
            ]
        );
    }

    #[test]
    fn create_table_as_declares_its_projection() {
        let got = kinds("CREATE TABLE userbase AS SELECT id, s.mfa_secret, x AS plan_tier FROM staging s;");
        assert_eq!(
            got,
            vec![
                "table userbase \"Create\" @userbase",
                "column userbase.id \"Add\" @id",
                "column userbase.mfa_secret \"Add\" @mfa_secret",
                "column userbase.plan_tier \"Add\" @plan_tier",
                "access staging Read @staging",
            ]
        );
    }

    #[test]
    fn inserts_from_one_table_are_copies() {
        let copies = |sql: &str| -> Vec<String> {
            lower(sql, SqlDialect::Postgres)
                .facts
                .iter()
                .filter_map(|f| match &f.kind {
                    FactKind::RowCopy { into, from } => {
                        Some(format!("{} <- {} @{}", into.norm, from.norm, &sql[f.span.start..f.span.end]))
                    }
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            copies("INSERT INTO users_new (id, pw) SELECT id, pw FROM public.Users WHERE id > 0"),
            vec!["users_new <- users @Users"]
        );
        assert_eq!(copies("INSERT INTO t2 SELECT * FROM t1"), vec!["t2 <- t1 @t1"]);
        // Joins, unions, CTEs and VALUES read no single table.
        for sql in [
            "INSERT INTO t2 SELECT a.id FROM t1 a JOIN t3 b ON a.id = b.id",
            "INSERT INTO t2 SELECT id FROM t1 UNION SELECT id FROM t3",
            "WITH x AS (SELECT id FROM t1) INSERT INTO t2 SELECT id FROM x",
            "INSERT INTO t2 SELECT id FROM t1, t3",
            "INSERT INTO t2 (id) VALUES (1)",
        ] {
            assert_eq!(copies(sql), Vec::<String>::new(), "{sql}");
        }
    }

    #[test]
    fn dml_targets_and_reads() {
        let got = kinds(
            "WITH recent AS (SELECT id FROM users) UPDATE userbase u SET email = 'x', u.role = 'a' FROM recent WHERE u.id IN (SELECT id FROM sessions);",
        );
        assert_eq!(
            got,
            vec![
                "write userbase.email @email",
                "write userbase.role @role",
                "access userbase Write @userbase",
                "access sessions Read @sessions",
                "access users Read @users",
            ]
        );
        let got = kinds(
            "INSERT INTO userbase (id, email) SELECT id, email FROM users ON CONFLICT (id) DO UPDATE SET email = excluded.email",
        );
        assert_eq!(
            got,
            vec![
                "access userbase Write @userbase",
                "insert userbase (id,email) @userbase",
                "write userbase.email @email",
                "access users Read @users"
            ]
        );
        let got = kinds("DELETE FROM sessions WHERE user_id IN (SELECT id FROM userbase)");
        assert_eq!(got, vec!["access sessions Write @sessions", "access userbase Read @userbase"]);
    }

    #[test]
    fn cte_scopes_follow_sql() {
        // A non-recursive CTE body refers to the real table of the same name.
        assert_eq!(kinds("WITH users AS (SELECT * FROM users) SELECT * FROM users;"), vec!["access users Read @users"]);
        // A CTE name does not leak out of its subquery.
        let got =
            kinds("SELECT * FROM (WITH users AS (SELECT 1 AS id) SELECT * FROM users) a JOIN users b ON a.id = b.id;");
        assert_eq!(got, vec!["access users Read @users"]);
        let sql = "SELECT * FROM (WITH users AS (SELECT 1 AS id) SELECT * FROM users) a JOIN users b ON a.id = b.id;";
        let facts = lower(sql, SqlDialect::Postgres);
        assert_eq!(facts.facts[0].span.start, sql.rfind("users b").unwrap());
    }

    #[test]
    fn writes_inside_ctes_are_writes() {
        let got = kinds("WITH x AS (UPDATE userbase SET email = 'a' WHERE id = 1 RETURNING id) SELECT * FROM x;");
        assert_eq!(got, vec!["write userbase.email @email", "access userbase Write @userbase"]);
        let got = kinds("WITH y AS (INSERT INTO userbase (id) VALUES (1) RETURNING id) SELECT * FROM y;");
        assert_eq!(got, vec!["access userbase Write @userbase", "insert userbase (id) @userbase"]);
        let got = kinds("WITH z AS (DELETE FROM login_attempts RETURNING user_id) SELECT * FROM z;");
        assert_eq!(got, vec!["access login_attempts Write @login_attempts"]);
    }

    #[test]
    fn copy_merge_and_functions() {
        assert_eq!(kinds("COPY users TO STDOUT;"), vec!["access users Read @users"]);
        assert_eq!(
            kinds("COPY (SELECT * FROM oauth_tokens) TO STDOUT;"),
            vec!["access oauth_tokens Read @oauth_tokens"]
        );
        assert_eq!(
            kinds("COPY userbase (id, email) FROM STDIN;"),
            vec!["access userbase Write @userbase", "insert userbase (id,email) @userbase"]
        );
        let got = kinds("MERGE INTO userbase t USING staging s ON t.id = s.id WHEN MATCHED THEN UPDATE SET email = s.email WHEN NOT MATCHED THEN INSERT (id, email) VALUES (s.id, s.email);");
        assert_eq!(
            got,
            vec![
                "access userbase Write @userbase",
                "insert userbase (id,email) @userbase",
                "write userbase.email @email",
                "access staging Read @staging"
            ]
        );
        assert_eq!(kinds("SELECT * FROM users();"), Vec::<String>::new());
    }

    #[test]
    fn mysql_multi_table_updates_resolve_aliases() {
        let got =
            kinds_in("UPDATE invoices i JOIN userbase u ON u.id = i.user_id SET u.email = i.email;", SqlDialect::Mysql);
        assert_eq!(
            got,
            vec!["write userbase.email @email", "access invoices Read @invoices", "access userbase Write @userbase"]
        );
        let got = kinds_in("ALTER TABLE userbase CHANGE COLUMN legacy mfa_secret text;", SqlDialect::Mysql);
        assert_eq!(
            got,
            vec!["table userbase \"Alter\" @userbase", "column userbase.legacy \"rename->mfa_secret\" @legacy"]
        );
    }

    #[test]
    fn columns_read_are_attributed_to_their_table() {
        assert_eq!(
            reads("SELECT id, hashed_password FROM userbase WHERE email = $1"),
            vec!["userbase.id", "userbase.hashed_password", "userbase.email"]
        );
        assert_eq!(
            reads("SELECT u.hashed_password FROM userbase u JOIN invoices i ON i.uid = u.id"),
            vec!["userbase.hashed_password", "invoices.uid", "userbase.id"]
        );
        // Ambiguous: two tables, unqualified column.
        assert_eq!(reads("SELECT hashed_password FROM userbase, invoices"), Vec::<String>::new());
    }

    #[test]
    fn a_bad_statement_does_not_hide_the_rest() {
        let got = kinds("SELECT FROM WHERE;\nALTER TABLE userbase ADD COLUMN email text;");
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("unparsable"), "{got:?}");
        assert_eq!(got[2], "column userbase.email \"Add\" @email");
    }

    #[test]
    fn an_error_at_the_semicolon_resumes_at_the_next_statement() {
        let got = kinds("ALTER TABLE userbase ADD COLUMN;\nALTER TABLE userbase ADD COLUMN mfa_secret text;");
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[2], "column userbase.mfa_secret \"Add\" @mfa_secret");
    }

    #[test]
    fn recovery_always_moves_forward() {
        // Used to loop forever: the error comes right after the only semicolon.
        let got = kinds("SELECT 1;FROM x");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("unparsable"));
        let got = kinds("SELECT (1;\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n;;FROM;x;");
        assert!(got.iter().any(|g| g.contains("mfa_secret")), "an unbalanced parenthesis hides nothing: {got:?}");
    }

    #[test]
    fn random_fragments_never_hang_or_panic() {
        // A cheap deterministic fuzz: fragments that stress recovery.
        const PIECES: &[&str] = &[
            "SELECT",
            " 1",
            ";",
            "FROM",
            " x",
            "(",
            ")",
            "'",
            "$$",
            "--c\n",
            "\n",
            "ALTER TABLE userbase ADD COLUMN ",
            "mfa_secret text",
            "WITH a AS ",
            ",",
            "BEGIN ATOMIC ",
            "END",
            "COPY t FROM STDIN;\n",
            "\\.\n",
            "\"",
            "/*",
            "*/",
            "UPDATE userbase SET email = 1",
            "INSERT INTO users VALUES (1)",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut sql = String::new();
            for _ in 0..(seed % 12) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                sql.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
            }
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let facts = lower(&sql, SqlDialect::Postgres);
            for f in &facts.facts {
                assert!(f.span.end <= sql.len() && sql.is_char_boundary(f.span.start), "{sql:?}");
            }
        }
    }

    #[test]
    fn unterminated_copy_data_is_unparsable() {
        let got = kinds("COPY invoices (id) FROM STDIN;\n1\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n");
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[2].starts_with("unparsable cannot parse: COPY"), "{got:?}");
        let got = kinds("COPY invoices (id) FROM STDIN;\n1\n\\.\nALTER TABLE userbase ADD COLUMN mfa_secret text;\n");
        assert!(got.iter().all(|g| !g.starts_with("unparsable")), "{got:?}");
        assert!(got.iter().any(|g| g.contains("mfa_secret")), "{got:?}");
    }

    #[test]
    fn upserts_write_fields_as_part_of_an_insert() {
        let facts = lower("INSERT INTO api_clients (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET db_password = EXCLUDED.db_password;", SqlDialect::Postgres);
        assert!(facts.facts.iter().any(
            |f| matches!(&f.kind, FactKind::FieldWrite { field, upsert: true, .. } if field.norm == "db_password")
        ));
    }

    #[test]
    fn columns_read_by_updates_and_deletes() {
        assert_eq!(reads("UPDATE userbase SET plan_tier = 'x' WHERE hashed_password = crypt($1, hashed_password) RETURNING password_hash"), vec!["userbase.hashed_password", "userbase.hashed_password", "userbase.password_hash"]);
        assert_eq!(reads("DELETE FROM userbase u WHERE u.password_hash = $1"), vec!["userbase.password_hash"]);
    }

    #[test]
    fn select_into_creates_a_table() {
        let got = kinds("SELECT id, mfa_secret INTO userbase FROM staging_users;");
        assert_eq!(
            got[..3],
            [
                "table userbase \"Create\" @userbase",
                "column userbase.id \"Add\" @id",
                "column userbase.mfa_secret \"Add\" @mfa_secret"
            ]
        );
    }

    #[test]
    fn driver_placeholders_parse() {
        for sql in [
            "SELECT * FROM userbase WHERE id = ? AND plan_tier = ?2",
            "UPDATE userbase SET plan_tier = %s WHERE id = %(user_id)s",
            "INSERT INTO invoices (id, amount) VALUES (:id, :amount)",
            "SELECT * FROM userbase WHERE id = $1",
            "SELECT arr[lo:hi], 7 % s FROM t",
        ] {
            let got = kinds(sql);
            assert!(got.iter().all(|g| !g.starts_with("unparsable")), "{sql}: {got:?}");
        }
    }

    #[test]
    fn wrapped_statements_are_lowered() {
        assert_eq!(kinds("EXPLAIN ANALYZE SELECT * FROM users;"), vec!["access users Read @users"]);
        assert_eq!(kinds("PREPARE p AS SELECT * FROM users;"), vec!["access users Read @users"]);
        assert_eq!(kinds("DECLARE c CURSOR FOR SELECT * FROM users;"), vec!["access users Read @users"]);
    }

    #[test]
    fn statements_nothing_judges_are_not_unparsable_even_when_unreadable() {
        let got = kinds("DO $$ BEGIN PERFORM 1; END $$;\nPRAGMA journal_mode=wal;\nPRAGMA foreign_keys = OFF;\nDROP INDEX CONCURRENTLY IF EXISTS ix;\nCLUSTER t USING ix;\nCREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\nDROP TABLE sessions;");
        assert_eq!(got, vec!["table sessions \"Drop\" @sessions"]);
    }

    #[test]
    fn huge_operator_chains_are_refused_not_parsed() {
        let sql = format!("SELECT * FROM t WHERE {};\nDROP TABLE sessions;", vec!["a = 1"; 50_001].join(" AND "));
        let got = kinds(&sql);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("unparsable cannot parse: statement too complex"), "{got:?}");
        assert_eq!(got[1], "table sessions \"Drop\" @sessions");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{};", "(".repeat(10_000), ")".repeat(10_000));
        let got = kinds(&sql);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("unparsable"), "{got:?}");
    }

    #[test]
    fn a_tokenizer_error_keeps_the_statements_before_it() {
        let sql = "ALTER TABLE userbase ADD COLUMN mfa_secret text;\n-- authguard-ignore AUTH010: wip\nSELECT 'oops;";
        let facts = lower(sql, SqlDialect::Postgres);
        let got = kinds(sql);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[2].starts_with("unparsable"));
        assert_eq!(facts.comments.len(), 1);
        assert_eq!(facts.facts[2].statement_start, sql.find("SELECT").unwrap());
    }
}
