//! SQL front end: `sqlparser` tokens and AST lowered into facts.
//!
//! The file is tokenized once. The token stream is parsed whole; when the
//! parser rejects it, the stream is split at top-level semicolons and each
//! statement is parsed on its own, so one bad statement becomes one
//! `Unparsable` fact and the rest of the file is still checked.

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterTableOperation, AssignmentTarget, FromTable, Ident, ObjectName, ObjectNamePart, ObjectType, Query,
    RenameTableNameKind, SetExpr, Statement, TableFactor, TableWithJoins, Visit, Visitor,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::facts::{AccessMode, ColumnAction, Comment, FactKind, FileFacts, Name, TableAction};
use crate::source::{LineIndex, Span};

/// The SQL dialects a policy may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqlDialect {
    /// PostgreSQL (the default).
    #[default]
    Postgres,
    /// MySQL / MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
    /// Anything `sqlparser` accepts generically.
    Generic,
}

impl SqlDialect {
    fn parser_dialect(self) -> Box<dyn Dialect> {
        match self {
            SqlDialect::Postgres => Box::new(PostgreSqlDialect {}),
            SqlDialect::Mysql => Box::new(MySqlDialect {}),
            SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
            SqlDialect::Generic => Box::new(GenericDialect {}),
        }
    }
}

/// Lower SQL text into facts; spans are byte offsets into `sql`.
pub fn lower(sql: &str, dialect: SqlDialect) -> FileFacts {
    let mut out = FileFacts::default();
    let lines = LineIndex::new(sql);
    let pos = |loc: Location| -> usize { lines.offset(sql, loc.line as usize, loc.column as usize) };
    let dialect = dialect.parser_dialect();
    let tokens = match Tokenizer::new(dialect.as_ref(), sql).with_unescape(false).tokenize_with_location() {
        Ok(tokens) => tokens,
        Err(err) => {
            let at = pos(err.location);
            out.push(FactKind::Unparsable { message: err.message }, Span::new(at, at), at);
            return out;
        }
    };
    collect_comments(&tokens, &pos, &mut out);

    let chunks = split_statements(&tokens);
    let starts: Vec<usize> = chunks.iter().map(|&(first, _)| pos(tokens[first].span.start)).collect();
    let mut parser = Parser::new(dialect.as_ref()).with_tokens_with_locations(tokens);
    match parser.parse_statements() {
        Ok(statements) if statements.len() == starts.len() => {
            for (stmt, &start) in statements.iter().zip(&starts) {
                Lowerer::new(&pos, &mut out, start).statement(stmt);
            }
        }
        Ok(statements) => {
            // Statement bodies with inner semicolons: no reliable chunk starts,
            // so each statement is anchored at its first token's position.
            for stmt in &statements {
                let start = statement_start(stmt, &pos);
                Lowerer::new(&pos, &mut out, start).statement(stmt);
            }
        }
        Err(_) => {
            // Recover: parse statement by statement, so one bad statement
            // does not hide the rest of the file.
            let tokens = parser.into_tokens();
            for (&(first, end), &start) in chunks.iter().zip(&starts) {
                let chunk = tokens[first..end].to_vec();
                match Parser::new(dialect.as_ref()).with_tokens_with_locations(chunk).parse_statements() {
                    Ok(statements) => {
                        for stmt in &statements {
                            Lowerer::new(&pos, &mut out, start).statement(stmt);
                        }
                    }
                    Err(err) => {
                        let message = err.to_string();
                        let at = error_location(&message).map(&pos).unwrap_or(start);
                        let message = clean_error(&message);
                        out.push(FactKind::Unparsable { message }, Span::new(at, at), start);
                    }
                }
            }
        }
    }
    out
}

fn statement_start(stmt: &Statement, pos: &dyn Fn(Location) -> usize) -> usize {
    use sqlparser::ast::Spanned;
    let span = stmt.span();
    if span.start.line == 0 {
        0
    } else {
        pos(span.start)
    }
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

/// Token index ranges `[first, end)` of each statement, split at semicolons
/// outside parentheses; ranges holding only whitespace and comments are dropped.
fn split_statements(tokens: &[TokenWithSpan]) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut first: Option<usize> = None;
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match &t.token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::SemiColon if depth == 0 => {
                if let Some(f) = first.take() {
                    chunks.push((f, i + 1));
                }
                continue;
            }
            _ => {}
        }
        first.get_or_insert(i);
    }
    if let Some(f) = first {
        chunks.push((f, tokens.len()));
    }
    chunks
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
        let span = if ident.span.start.line == 0 {
            Span::new(self.start, self.start)
        } else {
            Span::new((self.pos)(ident.span.start), (self.pos)(ident.span.end))
        };
        Name::new(&ident.value, span)
    }

    /// The table part of a possibly schema-qualified name.
    fn table_name(&self, name: &ObjectName) -> Option<Name> {
        match name.0.last()? {
            ObjectNamePart::Identifier(ident) => Some(self.name_of(ident)),
            ObjectNamePart::Function(_) => None,
        }
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
                    self.reads(query.as_ref(), &HashSet::new());
                }
            }
            Statement::CreateView(view) => self.reads(view.query.as_ref(), &HashSet::new()),
            Statement::AlterTable(at) => self.alter_table(&at.name, &at.operations),
            Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                for name in names {
                    if let Some(table) = self.table_name(name) {
                        self.table_schema(table, TableAction::Drop);
                    }
                }
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    if let (Some(from), Some(to)) = (self.table_name(&r.old_name), self.table_name(&r.new_name)) {
                        self.table_schema(from, TableAction::Rename { to });
                    }
                }
            }
            Statement::CreateIndex(ci) => {
                if let Some(table) = self.table_name(&ci.table_name) {
                    self.table_schema(table, TableAction::Alter);
                }
            }
            Statement::Insert(ins) => {
                let mut targets = HashSet::new();
                if let sqlparser::ast::TableObject::TableName(name) = &ins.table {
                    if let Some(table) = self.table_name(name) {
                        targets.insert(table.span);
                        let columns = ins.columns.iter().filter_map(|c| self.table_name(c)).collect();
                        self.access(table.clone(), AccessMode::Write);
                        let span = table.span;
                        self.push(FactKind::RowInsert { table, columns }, span);
                    }
                }
                self.reads(stmt, &targets);
            }
            Statement::Update(up) => {
                let mut targets = HashSet::new();
                if let TableFactor::Table { name, alias, .. } = &up.table.relation {
                    if let Some(table) = self.table_name(name) {
                        targets.insert(table.span);
                        self.access(table.clone(), AccessMode::Write);
                        let alias = alias.as_ref().map(|a| a.name.value.to_lowercase());
                        for assignment in &up.assignments {
                            let columns: Vec<&ObjectName> = match &assignment.target {
                                AssignmentTarget::ColumnName(c) => vec![c],
                                AssignmentTarget::Tuple(cs) => cs.iter().collect(),
                            };
                            for column in columns {
                                if !self.qualifier_matches(column, &table, alias.as_deref()) {
                                    continue;
                                }
                                if let Some(field) = self.table_name(column) {
                                    let span = field.span;
                                    self.push(FactKind::FieldWrite { table: table.clone(), field }, span);
                                }
                            }
                        }
                    }
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
            Statement::Merge(merge) => {
                let mut targets = HashSet::new();
                if let TableFactor::Table { name, .. } = &merge.table {
                    if let Some(table) = self.table_name(name) {
                        targets.insert(table.span);
                        self.access(table, AccessMode::Write);
                    }
                }
                self.reads(stmt, &targets);
            }
            Statement::Query(query) => match query.body.as_ref() {
                // `WITH ... UPDATE/INSERT/DELETE`: the CTEs are reads, the body a write.
                SetExpr::Update(inner) | SetExpr::Insert(inner) | SetExpr::Delete(inner) => {
                    if let Some(with) = &query.with {
                        for cte in &with.cte_tables {
                            self.ctes.insert(cte.alias.name.value.to_lowercase());
                        }
                        for cte in &with.cte_tables {
                            self.reads(cte.query.as_ref(), &HashSet::new());
                        }
                    }
                    self.statement(inner);
                }
                _ => self.reads(query.as_ref(), &HashSet::new()),
            },
            _ => {}
        }
    }

    /// True when an assignment target `[qualifier.]column` refers to the
    /// updated table (unqualified, or qualified by its name or alias).
    fn qualifier_matches(&self, column: &ObjectName, table: &Name, alias: Option<&str>) -> bool {
        let parts = &column.0;
        if parts.len() < 2 {
            return true;
        }
        match &parts[parts.len() - 2] {
            ObjectNamePart::Identifier(q) => {
                let q = q.value.to_lowercase();
                q == table.norm || Some(q.as_str()) == alias
            }
            ObjectNamePart::Function(_) => false,
        }
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
                    if to.norm != column.norm {
                        self.column_schema(&table, column, ColumnAction::Rename { to: to.clone() });
                    }
                    self.column_schema(&table, to, ColumnAction::Alter);
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
    /// own write targets (`skip`) and names bound by `WITH`.
    fn reads<V: Visit>(&mut self, node: &V, skip: &HashSet<Span>) {
        let mut collector = RelationCollector { ctes: self.ctes.clone(), relations: Vec::new() };
        let _ = node.visit(&mut collector);
        for rel in collector.relations {
            let single = rel.0.len() == 1;
            let Some(table) = self.table_name(&rel) else { continue };
            if skip.contains(&table.span) || (single && collector.ctes.contains(&table.norm)) {
                continue;
            }
            self.access(table, AccessMode::Read);
        }
    }
}

fn table_factor_name(t: &TableWithJoins) -> Option<&ObjectName> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    }
}

/// Collects relation names and the names bound by common table expressions.
struct RelationCollector {
    ctes: HashSet<String>,
    relations: Vec<ObjectName>,
}

impl Visitor for RelationCollector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(cte.alias.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        self.relations.push(relation.clone());
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<String> {
        let facts = lower(sql, SqlDialect::Postgres);
        facts
            .facts
            .iter()
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
                    FactKind::FieldWrite { table, field } => format!("write {}.{} @{text}", table.norm, field.norm),
                    FactKind::Unparsable { message } => format!("unparsable {message}"),
                    FactKind::EnvVar { .. } => unreachable!(),
                }
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
        let got = kinds("ALTER TABLE public.\"UserBase\" ADD COLUMN mfa_secret text, DROP COLUMN x;\nCREATE TABLE t (a int, \"B\" text);");
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
    fn dml_targets_and_reads() {
        let got = kinds(
            "WITH recent AS (SELECT id FROM users) UPDATE userbase u SET email = 'x', u.role = 'a' FROM recent WHERE u.id IN (SELECT id FROM sessions);",
        );
        assert_eq!(
            got,
            vec![
                "access users Read @users",
                "access userbase Write @userbase",
                "write userbase.email @email",
                "write userbase.role @role",
                "access sessions Read @sessions",
            ]
        );
        let got = kinds("INSERT INTO userbase (id, email) SELECT id, email FROM users ON CONFLICT (id) DO UPDATE SET email = excluded.email");
        assert_eq!(
            got,
            vec!["access userbase Write @userbase", "insert userbase (id,email) @userbase", "access users Read @users"]
        );
        let got = kinds("DELETE FROM sessions WHERE user_id IN (SELECT id FROM userbase)");
        assert_eq!(got, vec!["access sessions Write @sessions", "access userbase Read @userbase"]);
    }

    #[test]
    fn a_bad_statement_does_not_hide_the_rest() {
        let got = kinds("SELECT FROM WHERE;\nALTER TABLE userbase ADD COLUMN email text;");
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("unparsable"), "{got:?}");
        assert_eq!(got[2], "column userbase.email \"Add\" @email");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{};", "(".repeat(10_000), ")".repeat(10_000));
        let got = kinds(&sql);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("unparsable"), "{got:?}");
    }

    #[test]
    fn unterminated_string_is_unparsable() {
        let got = kinds("SELECT 'abc");
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("unparsable"));
    }
}
