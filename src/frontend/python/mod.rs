//! Python front end: Alembic migrations, SQLAlchemy models and application
//! code, parsed with ruff's error-recovering parser and lowered into facts.
//!
//! - Alembic `op.*` operations (also inside `batch_alter_table` blocks)
//!   become schema facts; raw SQL given to `op.execute`, `text(...)` or any
//!   `.execute(...)` goes through the SQL front end with its spans moved to
//!   the string's place in the file.
//! - SQLAlchemy models (`__tablename__` + `Column` / `mapped_column`) and
//!   `Table("t", metadata, Column(...))` declare tables and columns.
//! - Every call becomes a `Call` fact with its path resolved through imports
//!   ([`scope`]); attribute assignments become field writes.
//!
//! A syntax error is one `Unparsable` fact at the first error; the parser
//! recovers, so the rest of the file is still lowered.

mod drivers;
mod nesting;
pub mod scope;

use std::collections::{BTreeSet, HashMap, HashSet};

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{Expr, ExprCall, ExprStringLiteral, Mod, Stmt, StringFlags};
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};
use ruff_text_size::{Ranged, TextRange};

use crate::facts::{CodeLanguage, ColumnAction, Comment, FactKind, FileFacts, Name, TableAction};
use crate::frontend::sql::{self, SqlDialect};
use crate::source::Span;
use scope::Scope;

/// Nesting (see [`nesting`]) past which a file is not parsed: AUTH010.
const MAX_NESTING: usize = 2000;

/// Files nested deeper than this are parsed on a thread of their own with
/// a 1 GiB stack (reserved, not committed, until used).
const DEEP: usize = 200;

/// Lower Python source into facts.
pub fn lower(text: &str, dialect: SqlDialect) -> FileFacts {
    let (depth, at) = nesting::estimate(text);
    if depth > MAX_NESTING {
        let mut out = FileFacts::default();
        let message = format!("too deeply nested to analyse: nesting of about {depth} here (limit {MAX_NESTING})");
        out.push(FactKind::unparsable(message), Span::new(at, at), at);
        return out;
    }
    if depth > DEEP {
        let lowered = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(1 << 30)
                .spawn_scoped(scope, || lower_parsed(text, dialect))
                .ok()
                .map(|handle| handle.join())
        });
        if let Some(Ok(out)) = lowered {
            return out;
        }
        let mut out = FileFacts::default();
        let message = "too deeply nested to analyse: no thread could be started for it".to_string();
        out.push(FactKind::unparsable(message), Span::new(at, at), at);
        return out;
    }
    lower_parsed(text, dialect)
}

fn lower_parsed(text: &str, dialect: SqlDialect) -> FileFacts {
    let parsed = parse_unchecked(text, ParseOptions::from(Mode::Module));
    let mut out = FileFacts::default();
    for token in parsed.tokens().iter() {
        if token.kind() == TokenKind::Comment {
            let r = span(token.range());
            let body = text[r.start..r.end].trim_start_matches('#').to_string();
            out.comments.push(Comment { text: body, span: r });
        }
    }
    if let Some(err) = parsed.errors().first() {
        let at = span(err.location).start;
        let message = format!("cannot parse: {}", err.error);
        out.push(FactKind::unparsable(message), Span::new(at, at), at);
    }
    let Mod::Module(module) = parsed.syntax() else { return out };
    revision(&module.body, &mut out);
    let scope = Scope::of_module(&module.body);
    // A file that imports one family of drivers writes its SQL for it.
    let families: BTreeSet<SqlDialect> = scope.imported().filter_map(drivers::dialect_of_module).collect();
    let file_dialect = match families.len() {
        1 => families.into_iter().next(),
        _ => None,
    };
    let mut lowerer = Lowerer {
        text,
        dialect,
        file_dialect,
        call_dialect: None,
        branch_dialect: None,
        drivers: HashMap::new(),
        dialect_vars: HashSet::new(),
        conditions: HashMap::new(),
        out,
        scope,
        batch: HashMap::new(),
        tables: HashMap::new(),
        statement: 0,
        types: HashMap::new(),
        current_class: None,
        seen_sql: Default::default(),
    };
    for stmt in &module.body {
        lowerer.visit_stmt(stmt);
    }
    lowerer.out
}

/// Alembic's module-level `revision = "..."` and `down_revision = "..." |
/// None | ("a", "b")`, as a `Revision` fact at the `revision` assignment.
fn revision(body: &[Stmt], out: &mut FileFacts) {
    let mut id = None;
    let mut parents = None;
    for stmt in body {
        let (target, value) = match stmt {
            Stmt::Assign(a) => match a.targets.as_slice() {
                [Expr::Name(t)] => (t, a.value.as_ref()),
                _ => continue,
            },
            Stmt::AnnAssign(a) => match (a.target.as_ref(), a.value.as_deref()) {
                (Expr::Name(t), Some(v)) => (t, v),
                _ => continue,
            },
            _ => continue,
        };
        let strings = |e: &Expr| -> Option<Vec<String>> {
            match e {
                Expr::StringLiteral(s) => Some(vec![s.value.to_str().to_string()]),
                Expr::NoneLiteral(_) => Some(Vec::new()),
                Expr::Tuple(t) => t
                    .elts
                    .iter()
                    .map(|x| match x {
                        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        };
        match target.id.as_str() {
            "revision" => id = strings(value).and_then(|v| v.into_iter().next()).map(|v| (v, span(stmt.range()))),
            "down_revision" => parents = strings(value),
            _ => {}
        }
    }
    if let (Some((id, at)), Some(parents)) = (id, parents) {
        out.push(FactKind::Revision { id, parents }, at, at.start);
    }
}

fn span(r: TextRange) -> Span {
    Span::new(r.start().to_usize(), r.end().to_usize())
}

/// Alembic operations that change a table's schema.
const ALEMBIC_OPS: &[&str] = &[
    "add_column",
    "drop_column",
    "alter_column",
    "create_table",
    "drop_table",
    "rename_table",
    "create_index",
    "drop_index",
    "create_foreign_key",
    "create_unique_constraint",
    "create_check_constraint",
    "create_primary_key",
    "drop_constraint",
    "bulk_insert",
    "execute",
];

/// What a variable holds: an instance of a class (by its name), and where
/// it was constructed, with the fields given, if it was built here.
#[derive(Debug, Clone)]
struct Typed {
    class: String,
    ctor: Option<(Span, Vec<Name>)>,
}

/// Methods whose first argument names the model class queried
/// (`db.query(User)`, `session.get(User, id)`, `select(User)`).
const QUERY_METHODS: &[&str] = &["query", "get", "select", "get_or_404", "scalars", "exec"];

/// Whether text begins like a SQL statement (after blanks and `--` comments).
fn starts_like_sql(text: &str) -> bool {
    const VERBS: &[&str] = &[
        "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "ALTER", "DROP", "TRUNCATE", "MERGE", "COPY",
        "GRANT", "REVOKE", "REPLACE", "UPSERT", "EXPLAIN", "VALUES", "CALL", "SET", "SHOW", "PRAGMA", "LOCK",
        "COMMENT", "BEGIN", "COMMIT", "ROLLBACK", "REFRESH", "VACUUM", "ANALYZE", "DO",
    ];
    let mut rest = text.trim_start();
    while let Some(after) = rest.strip_prefix("--") {
        rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    VERBS.iter().any(|v| v.eq_ignore_ascii_case(&word))
}

fn is_class_name(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

struct Lowerer<'t> {
    text: &'t str,
    /// The policy's dialect for this file.
    dialect: SqlDialect,
    /// The dialect of the one family of drivers the file imports, if one.
    file_dialect: Option<SqlDialect>,
    /// The dialect of the connection the call being lowered runs SQL on.
    call_dialect: Option<SqlDialect>,
    /// The dialect an enclosing `if` on the connection's dialect name chose.
    branch_dialect: Option<SqlDialect>,
    /// Variables holding a driver's connection, cursor, pool or engine.
    drivers: HashMap<String, SqlDialect>,
    /// Variables holding a connection's dialect name (`op.get_bind().dialect.name`).
    dialect_vars: HashSet<String>,
    /// Variables holding a test of the dialect name (`is_mysql = ... == "mysql"`).
    conditions: HashMap<String, drivers::Branch>,
    out: FileFacts,
    scope: Scope,
    /// `with op.batch_alter_table("t") as batch_op:` aliases → table.
    batch: HashMap<String, Name>,
    /// Variables holding `sa.table("t", ...)` objects (for `bulk_insert`) → table.
    tables: HashMap<String, Name>,
    /// Start of the statement being lowered (for suppressions above it).
    statement: usize,
    /// Variables known to hold a model-class instance (in the current function).
    types: HashMap<String, Typed>,
    /// The class whose body is being lowered, if any.
    current_class: Option<String>,
    /// Literals already lowered as SQL (`execute(text("..."))` meets the
    /// literal twice: through `execute` and through `text`).
    seen_sql: std::collections::HashSet<usize>,
}

impl Lowerer<'_> {
    fn push(&mut self, kind: FactKind, span: Span) {
        self.out.push(kind, span, self.statement);
    }

    /// The dialect of SQL met now: the connection's the call runs it on,
    /// else the dialect branch's it is under, else the file's, else the policy's.
    fn sql_dialect(&self) -> SqlDialect {
        self.call_dialect.or(self.branch_dialect).or(self.file_dialect).unwrap_or(self.dialect)
    }

    /// The dialect of the driver object an expression is: a variable that
    /// holds one, a call into a driver module (`sqlite3.connect(..)`), an
    /// engine made from a URL, or a method of one (`conn.cursor()`).
    fn driver_of(&self, expr: &Expr) -> Option<SqlDialect> {
        match expr {
            Expr::Name(n) => self.drivers.get(n.id.as_str()).copied(),
            Expr::Await(a) => self.driver_of(&a.value),
            Expr::Attribute(a) => self.driver_of(&a.value),
            Expr::Call(call) => {
                if let Some(r) = self.scope.resolve(&call.func).filter(|r| r.known) {
                    let tail = r.path.rsplit('.').next().unwrap_or(&r.path);
                    if matches!(tail, "create_engine" | "create_async_engine" | "engine_from_config") {
                        let url = call.arguments.args.first().and_then(|e| self.scope.string(e));
                        return url.as_deref().and_then(drivers::dialect_of_url);
                    }
                    if let Some(d) = drivers::dialect_of_module(&r.path) {
                        return Some(d);
                    }
                }
                match call.func.as_ref() {
                    Expr::Attribute(a) => self.driver_of(&a.value),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether an expression holds the connection's dialect name.
    fn names_dialect(&self, expr: &Expr) -> bool {
        drivers::is_dialect_name(expr) || matches!(expr, Expr::Name(n) if self.dialect_vars.contains(n.id.as_str()))
    }

    /// What an `if` test says of the dialect: directly, or through a
    /// variable that holds such a test.
    fn branch_of(&self, test: &Expr) -> drivers::Branch {
        if let Expr::Name(n) = test {
            return self.conditions.get(n.id.as_str()).copied().unwrap_or_default();
        }
        if let Expr::UnaryOp(u) = test {
            if let (ruff_python_ast::UnaryOp::Not, Expr::Name(n)) = (u.op, u.operand.as_ref()) {
                let b = self.conditions.get(n.id.as_str()).copied().unwrap_or_default();
                return drivers::Branch { then: b.otherwise, otherwise: b.then };
            }
        }
        drivers::branch_of(test, &|e| self.names_dialect(e))
    }

    /// An `if` whose branches may each be for one dialect: each body is
    /// lowered in the dialect its test chooses.
    fn if_stmt(&mut self, s: &ruff_python_ast::StmtIf) {
        self.visit_expr(&s.test);
        let branch = self.branch_of(&s.test);
        let outer = self.branch_dialect;
        self.branch_dialect = branch.then.or(outer);
        for stmt in &s.body {
            self.visit_stmt(stmt);
        }
        // Only a lone `else` is the test's negation; after an `elif` it is not.
        let lone_else = matches!(s.elif_else_clauses.as_slice(), [c] if c.test.is_none());
        for clause in &s.elif_else_clauses {
            self.branch_dialect = match &clause.test {
                Some(test) => {
                    self.branch_dialect = outer;
                    self.visit_expr(test);
                    self.branch_of(test).then.or(outer)
                }
                None if lone_else => branch.otherwise.or(outer),
                None => outer,
            };
            for stmt in &clause.body {
                self.visit_stmt(stmt);
            }
        }
        self.branch_dialect = outer;
    }

    /// What an assignment to a plain variable tells of drivers and dialects.
    fn bind_dialect(&mut self, target: &str, value: &Expr) {
        match self.driver_of(value) {
            Some(d) => self.drivers.insert(target.to_string(), d),
            None => self.drivers.remove(target),
        };
        if self.names_dialect(value) {
            self.dialect_vars.insert(target.to_string());
        } else {
            self.dialect_vars.remove(target);
        }
        let branch = drivers::branch_of(value, &|e| self.names_dialect(e));
        if branch == drivers::Branch::default() {
            self.conditions.remove(target);
        } else {
            self.conditions.insert(target.to_string(), branch);
        }
    }

    /// A name given as a string literal (or a constant holding one), with
    /// the literal's span (quotes included).
    fn name_arg(&self, expr: &Expr) -> Option<Name> {
        let value = self.scope.string(expr)?;
        Some(Name::new(&value, span(expr.range())))
    }

    /// Positional argument `i`, else keyword `kw`.
    fn arg<'c>(&self, call: &'c ExprCall, i: usize, kw: &str) -> Option<&'c Expr> {
        call.arguments.args.get(i).or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == kw))
                .map(|k| &k.value)
        })
    }

    fn keyword<'c>(&self, call: &'c ExprCall, kw: &str) -> Option<&'c Expr> {
        call.arguments.keywords.iter().find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == kw)).map(|k| &k.value)
    }

    /// The last segment of a call's resolved path (`Column`, `add_column`).
    fn callee_tail(&self, call: &ExprCall) -> Option<String> {
        let r = self.scope.resolve(&call.func)?;
        Some(r.path.rsplit('.').next().unwrap_or(&r.path).to_string())
    }

    /// The column a `Column("name", ...)` / `sa.Column("name")` expression declares.
    fn column_of(&self, expr: &Expr) -> Option<Name> {
        let Expr::Call(call) = expr else { return None };
        let tail = self.callee_tail(call)?;
        if tail != "Column" && tail != "mapped_column" {
            return None;
        }
        self.name_arg(call.arguments.args.first()?)
    }

    fn table_schema(&mut self, table: Name, action: TableAction) {
        let s = table.span;
        self.push(FactKind::TableSchema { table, action }, s);
    }

    fn column_schema(&mut self, table: &Name, column: Name, action: ColumnAction) {
        let s = column.span;
        self.push(FactKind::ColumnSchema { table: table.clone(), column, action }, s);
    }

    /// An Alembic operation on `op` (or on a `batch_op` bound to `batch_table`).
    fn alembic(&mut self, op: &str, call: &ExprCall, batch_table: Option<Name>) {
        // In a batch block the table is implied and arguments shift left by
        // one; the block itself was reported as the table's alteration.
        let shift = usize::from(batch_table.is_none());
        let in_batch = batch_table.is_some();
        let table = match &batch_table {
            Some(t) => Some(t.clone()),
            None => self.arg(call, 0, "table_name").and_then(|e| self.name_arg(e)),
        };
        match op {
            "add_column" => {
                let Some(table) = table else { return };
                if !in_batch {
                    self.table_schema(table.clone(), TableAction::Alter);
                }
                if let Some(col) = self.arg(call, shift, "column").and_then(|e| self.column_of(e)) {
                    self.column_schema(&table, col, ColumnAction::Add);
                }
            }
            "drop_column" | "alter_column" => {
                let Some(table) = table else { return };
                if !in_batch {
                    self.table_schema(table.clone(), TableAction::Alter);
                }
                let Some(col) = self.arg(call, shift, "column_name").and_then(|e| self.name_arg(e)) else { return };
                let action = match self.keyword(call, "new_column_name").and_then(|e| self.name_arg(e)) {
                    _ if op == "drop_column" => ColumnAction::Drop,
                    Some(to) => ColumnAction::Rename { to },
                    None => ColumnAction::Alter,
                };
                self.column_schema(&table, col, action);
            }
            "create_table" => {
                let Some(table) = table else { return };
                self.table_schema(table.clone(), TableAction::Create);
                for arg in call.arguments.args.iter().skip(1) {
                    if let Some(col) = self.column_of(arg) {
                        self.column_schema(&table, col, ColumnAction::Add);
                    }
                }
            }
            "drop_table" => {
                if let Some(table) = table {
                    self.table_schema(table, TableAction::Drop);
                }
            }
            "rename_table" => {
                let to = self.arg(call, 1, "new_table_name").and_then(|e| self.name_arg(e));
                if let (Some(from), Some(to)) = (table, to) {
                    self.table_schema(from, TableAction::Rename { to });
                }
            }
            "create_index"
            | "drop_index"
            | "create_unique_constraint"
            | "create_check_constraint"
            | "create_primary_key"
            | "drop_constraint"
            | "create_foreign_key" => {
                // The table is the second argument (after the index or constraint name).
                let table = match batch_table {
                    Some(_) => return,
                    None => {
                        let kw = if op == "create_foreign_key" { "source_table" } else { "table_name" };
                        self.arg(call, 1, kw).and_then(|e| self.name_arg(e))
                    }
                };
                if let Some(table) = table {
                    self.table_schema(table, TableAction::Alter);
                }
            }
            "bulk_insert" => {
                let target = call.arguments.args.first().and_then(|e| match e {
                    Expr::Name(n) => self.tables.get(n.id.as_str()).cloned(),
                    Expr::Call(c) => self.table_object(c),
                    _ => None,
                });
                if let Some(table) = target {
                    let s = table.span;
                    self.push(FactKind::TableAccess { table: table.clone(), mode: crate::facts::AccessMode::Write }, s);
                    self.push(FactKind::RowInsert { table, columns: Vec::new() }, s);
                }
            }
            "execute" => {
                if let Some(sql) = call.arguments.args.first() {
                    self.embedded_sql(sql);
                }
            }
            _ => {}
        }
    }

    /// `sa.table("t", ...)` / `table("t")` / `Table("t", ...)`: the table it names.
    fn table_object(&self, call: &ExprCall) -> Option<Name> {
        let tail = self.callee_tail(call)?;
        if tail != "table" && tail != "Table" {
            return None;
        }
        self.name_arg(call.arguments.args.first()?)
    }

    /// SQL in a string (or in `text("...")`): lowered by the SQL front end,
    /// spans moved to the string's place. Strings assembled at run time
    /// (f-strings, concatenation) are not judged.
    fn embedded_sql(&mut self, expr: &Expr) {
        let expr = match expr {
            Expr::Call(c) if self.callee_tail(c).as_deref() == Some("text") => match c.arguments.args.first() {
                Some(e) => e,
                None => return,
            },
            other => other,
        };
        if !self.seen_sql.insert(expr.range().start().to_usize()) {
            return;
        }
        if let Expr::Name(n) = expr {
            // A module-level constant holding the SQL: judged, pointing at the use.
            if let Some(sql) = self.scope.constants.get(n.id.as_str()).cloned() {
                let mut facts = sql::lower(&sql, self.sql_dialect());
                facts.comments.clear();
                facts.collapse_to(span(expr.range()));
                self.adopt(facts);
            }
            return;
        }
        let Expr::StringLiteral(lit) = expr else {
            // SQL assembled at run time is judged on its constant parts and
            // is never AUTH010: a value spliced in may be what makes it parse.
            if let Some(sql) = self.assembled(expr) {
                let mut facts = sql::lower(&sql, self.sql_dialect());
                facts.facts.retain(|f| !matches!(f.kind, FactKind::Unparsable { .. }));
                facts.comments.clear();
                facts.collapse_to(span(expr.range()));
                self.adopt(facts);
            }
            return;
        };
        let sql = lit.value.to_str();
        let mut facts = sql::lower(sql, self.sql_dialect());
        match self.exact_content_start(lit) {
            Some(start) => facts.shift(start),
            // Escapes or implicit concatenation: offsets inside the value do
            // not map onto the source, so everything points at the string.
            None => facts.collapse_to(span(lit.range())),
        }
        self.adopt(facts);
    }

    /// SQL that may be a fragment: its facts count, a parse failure does not.
    fn fragment_sql(&mut self, expr: &Expr) {
        let before = self.out.facts.len();
        self.embedded_sql(expr);
        let mut i = before;
        while i < self.out.facts.len() {
            if matches!(self.out.facts[i].kind, FactKind::Unparsable { .. }) {
                self.out.facts.remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// Take facts (and comments) of embedded SQL as part of the current statement.
    fn adopt(&mut self, facts: FileFacts) {
        for mut f in facts.facts {
            f.statement_start = self.statement;
            self.out.facts.push(f);
        }
        self.out.comments.extend(facts.comments);
    }

    /// The constant text of SQL built at run time — f-strings and `+`
    /// concatenations — with `?` where a value is spliced in.
    fn assembled(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            Expr::FString(f) => {
                let mut out = String::new();
                for part in f.value.iter() {
                    match part {
                        ruff_python_ast::FStringPart::Literal(l) => out.push_str(&l.value),
                        ruff_python_ast::FStringPart::FString(fs) => {
                            for el in fs.elements.iter() {
                                match el {
                                    ruff_python_ast::InterpolatedStringElement::Literal(l) => out.push_str(&l.value),
                                    ruff_python_ast::InterpolatedStringElement::Interpolation(_) => out.push('?'),
                                }
                            }
                        }
                    }
                }
                Some(out)
            }
            Expr::BinOp(b) if b.op == ruff_python_ast::Operator::Add => {
                let left = self.assembled(&b.left).unwrap_or_else(|| "?".to_string());
                let right = self.assembled(&b.right).unwrap_or_else(|| "?".to_string());
                Some(left + &right)
            }
            _ => None,
        }
    }

    /// Where the value of a one-part literal starts in the source, when the
    /// source between the quotes is exactly the value (no escapes).
    fn exact_content_start(&self, lit: &ExprStringLiteral) -> Option<usize> {
        if lit.value.is_implicit_concatenated() {
            return None;
        }
        let part = lit.value.iter().next()?;
        let start = part.range.start().to_usize() + part.flags.opener_len().to_usize();
        let end = part.range.end().to_usize().checked_sub(part.flags.closer_len().to_usize())?;
        (self.text.get(start..end)? == lit.value.to_str()).then_some(start)
    }

    /// The class an expression evaluates to an instance of, if it is plain:
    /// a constructor call `User(...)`, or a query for a class
    /// (`db.query(User).filter(...).first()`, `await session.get(User, id)`).
    fn type_of(&self, expr: &Expr) -> Option<Typed> {
        match expr {
            Expr::Await(a) => self.type_of(&a.value),
            Expr::Call(call) => {
                let r = self.scope.resolve(&call.func).unwrap_or(scope::Resolved { path: String::new(), known: false });
                let tail = r.path.rsplit('.').next().unwrap_or(&r.path);
                if r.known && is_class_name(tail) {
                    let at = match call.func.as_ref() {
                        Expr::Attribute(a) => span(a.attr.range),
                        other => span(other.range()),
                    };
                    let fields = call
                        .arguments
                        .keywords
                        .iter()
                        .filter_map(|k| k.arg.as_ref().map(|a| Name::new(a.id.as_str(), span(a.range))))
                        .collect();
                    return Some(Typed { class: tail.to_string(), ctor: Some((at, fields)) });
                }
                self.queried_class(expr).map(|class| Typed { class, ctor: None })
            }
            Expr::Attribute(_) => self.queried_class(expr).map(|class| Typed { class, ctor: None }),
            _ => None,
        }
    }

    /// The class named by the first query method found down a call chain.
    fn queried_class(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Call(call) => {
                let tail = match call.func.as_ref() {
                    Expr::Attribute(a) => Some(a.attr.id.as_str()),
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                };
                if tail.is_some_and(|t| QUERY_METHODS.contains(&t)) {
                    if let Some(first) = call.arguments.args.first() {
                        if let Some(class) = self.class_ref(first) {
                            return Some(class);
                        }
                    }
                }
                call.arguments
                    .args
                    .first()
                    .and_then(|a| self.queried_class(a))
                    .or_else(|| self.queried_class(&call.func))
            }
            Expr::Attribute(a) => self.queried_class(&a.value),
            Expr::Await(a) => self.queried_class(&a.value),
            _ => None,
        }
    }

    /// A reference to a class by name (`User`, `models.User`).
    fn class_ref(&self, expr: &Expr) -> Option<String> {
        let r = self.scope.resolve(expr)?;
        let tail = r.path.rsplit('.').next().unwrap_or(&r.path);
        (matches!(expr, Expr::Name(_) | Expr::Attribute(_)) && is_class_name(tail)).then(|| tail.to_string())
    }

    /// `session.add(obj)`, `add_all([...])`, `merge(obj)`: rows created.
    fn session_add(&mut self, call: &ExprCall) {
        let mut items: Vec<&Expr> = Vec::new();
        for arg in call.arguments.args.iter() {
            match arg {
                Expr::List(l) => items.extend(l.elts.iter()),
                Expr::Tuple(t) => items.extend(t.elts.iter()),
                other => items.push(other),
            }
        }
        for item in items {
            let typed = match item {
                Expr::Name(n) => self.types.get(n.id.as_str()).cloned(),
                other => self.type_of(other),
            };
            if let Some(Typed { class, ctor: Some((at, fields)) }) = typed {
                self.push(FactKind::ModelCreate { model: class, columns: fields }, at);
            }
        }
    }

    fn call(&mut self, call: &ExprCall) {
        // `db.query(User)`, `select(User)`, `session.get(User, id)`: a query of User's table.
        let method = match call.func.as_ref() {
            Expr::Attribute(a) => Some(a.attr.id.as_str()),
            Expr::Name(n) => Some(n.id.as_str()),
            _ => None,
        };
        if method.is_some_and(|m| QUERY_METHODS.contains(&m)) {
            if let Some(first) = call.arguments.args.first() {
                if let Some(model) = self.class_ref(first) {
                    let at = match first {
                        Expr::Attribute(a) => span(a.attr.range),
                        other => span(other.range()),
                    };
                    self.push(FactKind::ModelQuery { model }, at);
                }
            }
        }
        let Some(resolved) = self.scope.resolve(&call.func) else { return };
        let name_span = match call.func.as_ref() {
            Expr::Attribute(a) => span(a.attr.range),
            other => span(other.range()),
        };
        self.push(
            FactKind::Call { callee: resolved.path.clone(), resolved: resolved.known, language: CodeLanguage::Python },
            name_span,
        );
        let mut parts = resolved.path.split('.');
        let root = parts.next().unwrap_or("");
        let tail = resolved.path.rsplit('.').next().unwrap_or("");
        // `op.get_bind().execute(...)` is not an operation of `op`: it falls
        // through to the generic `.execute` below.
        let alembic_op = resolved.path.strip_prefix("alembic.op.").filter(|op| ALEMBIC_OPS.contains(op));
        if let Some(op) = alembic_op {
            self.alembic(op, call, None);
        } else if let Some(table) = self.batch.get(root).cloned().filter(|_| !resolved.known) {
            if ALEMBIC_OPS.contains(&tail) {
                self.alembic(tail, call, Some(table));
            }
        } else if tail == "Table" {
            // `Table("t", metadata, Column(...), ...)` declares a table.
            if let Some(table) = self.table_object(call) {
                self.table_schema(table.clone(), TableAction::Declare);
                for arg in call.arguments.args.iter().skip(1) {
                    if let Some(col) = self.column_of(arg) {
                        self.column_schema(&table, col, ColumnAction::Declare);
                    }
                }
            }
        } else if !resolved.known && matches!(tail, "add" | "add_all" | "merge") {
            self.session_add(call);
        } else if tail == "text" {
            // `text(...)` alone is often a fragment (`server_default=text("now()")`,
            // `postgresql_where=text("type = 'x'")`): judged only when it reads
            // like a statement, and never AUTH010. Executed, it is judged in full.
            if let Some(first) = call.arguments.args.first() {
                if self.scope.string(first).is_some_and(|t| starts_like_sql(&t)) {
                    self.fragment_sql(first);
                }
            }
        } else if tail == "execute" || tail == "executemany" || tail == "exec_driver_sql" {
            // `.execute` is not only SQL's (GraphQL's `schema.execute("{ q }")`):
            // a string is SQL when it begins like a SQL statement.
            if let Some(first) = call.arguments.args.first() {
                let looks_like_sql = match first {
                    Expr::Call(_) => true,
                    other => {
                        self.assembled(other).or_else(|| self.scope.string(other)).is_some_and(|t| starts_like_sql(&t))
                    }
                };
                if looks_like_sql {
                    self.embedded_sql(first);
                }
            }
        }
    }

    /// A SQLAlchemy model class: `__tablename__` plus its column attributes.
    fn model(&mut self, class: &str, body: &[Stmt]) {
        let mut table = None;
        for stmt in body {
            if let Stmt::Assign(a) = stmt {
                if let ([Expr::Name(t)], true) = (a.targets.as_slice(), true) {
                    if t.id.as_str() == "__tablename__" {
                        table = self.name_arg(&a.value);
                    }
                }
            }
        }
        let Some(table) = table else { return };
        let s = table.span;
        self.push(FactKind::Model { class: class.to_string(), table: table.clone(), fields: Vec::new() }, s);
        self.table_schema(table.clone(), TableAction::Declare);
        for stmt in body {
            let (target, value) = match stmt {
                Stmt::Assign(a) => match (a.targets.as_slice(), a.value.as_ref()) {
                    ([t], v) => (t, v),
                    _ => continue,
                },
                Stmt::AnnAssign(a) => match &a.value {
                    Some(v) => (a.target.as_ref(), v.as_ref()),
                    // SQLAlchemy 2.0: `mfa_secret: Mapped[str]` alone declares a column.
                    None => {
                        let is_mapped = match a.annotation.as_ref() {
                            Expr::Subscript(sub) => {
                                self.scope.resolve(&sub.value).is_some_and(|r| r.path.ends_with("Mapped"))
                            }
                            _ => false,
                        };
                        if let (true, Expr::Name(attr)) = (is_mapped, a.target.as_ref()) {
                            let column = Name::new(attr.id.as_str(), span(attr.range));
                            self.column_schema(&table, column, ColumnAction::Declare);
                        }
                        continue;
                    }
                },
                _ => continue,
            };
            let (Expr::Name(attr), Expr::Call(call)) = (target, value) else { continue };
            let tail = self.callee_tail(call);
            if tail.as_deref() != Some("Column") && tail.as_deref() != Some("mapped_column") {
                continue;
            }
            // An explicit column name (first argument or `name=`) wins over the attribute's.
            let column = call
                .arguments
                .args
                .first()
                .and_then(|e| self.name_arg(e))
                .or_else(|| self.keyword(call, "name").and_then(|e| self.name_arg(e)))
                .unwrap_or_else(|| Name::new(attr.id.as_str(), span(attr.range)));
            self.column_schema(&table, column, ColumnAction::Declare);
        }
    }
}

impl<'a> Visitor<'a> for Lowerer<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let saved = self.statement;
        self.statement = stmt.range().start().to_usize();
        match stmt {
            Stmt::ClassDef(c) => {
                self.model(c.name.id.as_str(), &c.body);
                // In its methods, `self` is an instance of the class, with
                // the attributes its methods set.
                let outer = self.current_class.replace(c.name.id.to_string());
                let outer_attrs = std::mem::take(&mut self.scope.self_attrs);
                self.scope.bind_self_attributes(&c.body);
                walk_stmt(self, stmt);
                self.scope.self_attrs = outer_attrs;
                self.current_class = outer;
                self.statement = saved;
                return;
            }
            Stmt::If(s) => {
                self.if_stmt(s);
                self.statement = saved;
                return;
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(Expr::Name(alias)) = item.optional_vars.as_deref() {
                        self.bind_dialect(alias.id.as_str(), &item.context_expr);
                    }
                    if let (Expr::Call(call), Some(Expr::Name(alias))) =
                        (&item.context_expr, item.optional_vars.as_deref())
                    {
                        let is_batch =
                            self.scope.resolve(&call.func).is_some_and(|r| r.path == "alembic.op.batch_alter_table");
                        if is_batch {
                            if let Some(table) = self.arg(call, 0, "table_name").and_then(|e| self.name_arg(e)) {
                                self.table_schema(table.clone(), TableAction::Alter);
                                self.batch.insert(alias.id.to_string(), table);
                            }
                        }
                    }
                }
            }
            Stmt::Assign(a) => {
                if let ([Expr::Name(target)], Expr::Call(call)) = (a.targets.as_slice(), a.value.as_ref()) {
                    if let Some(table) = self.table_object(call) {
                        self.tables.insert(target.id.to_string(), table);
                    }
                }
                if let [Expr::Name(target)] = a.targets.as_slice() {
                    self.bind_dialect(target.id.as_str(), &a.value);
                    match self.type_of(&a.value) {
                        Some(t) => self.types.insert(target.id.to_string(), t),
                        None => self.types.remove(target.id.as_str()),
                    };
                }
                // `obj.field = value` on an instance of a class: a field write
                // of that class's table, once models are known.
                for target in &a.targets {
                    if let Expr::Attribute(attr) = target {
                        if let Expr::Name(obj) = attr.value.as_ref() {
                            if let Some(t) = self.types.get(obj.id.as_str()) {
                                let field = Name::new(attr.attr.id.as_str(), span(attr.attr.range));
                                let s = field.span;
                                self.push(FactKind::ModelWrite { model: t.class.clone(), field }, s);
                            }
                        }
                    }
                }
                // The targets themselves are stores, not reads.
                self.visit_expr(&a.value);
                self.statement = saved;
                return;
            }
            Stmt::For(f) => {
                if let (Expr::Name(target), Some(class)) = (f.target.as_ref(), self.queried_class(&f.iter)) {
                    self.types.insert(target.id.to_string(), Typed { class, ctor: None });
                }
            }
            Stmt::FunctionDef(f) => {
                // Names bound inside a function are its own.
                let outer = self.scope.enter_function();
                let outer_types = std::mem::take(&mut self.types);
                // A function sees the module's drivers; its own end with it.
                let outer_dialects = (self.drivers.clone(), self.dialect_vars.clone(), self.conditions.clone());
                if let (Some(class), Some(first)) = (&self.current_class, f.parameters.args.first()) {
                    self.types.insert(first.parameter.name.id.to_string(), Typed { class: class.clone(), ctor: None });
                }
                self.scope.bind_block(&f.body);
                // `def handler(user: User)`: the parameter holds a User.
                let params = f.parameters.posonlyargs.iter().chain(&f.parameters.args).chain(&f.parameters.kwonlyargs);
                for p in params {
                    if let Some(class) = p.parameter.annotation.as_deref().and_then(|a| self.class_ref(a)) {
                        self.types.insert(p.parameter.name.id.to_string(), Typed { class, ctor: None });
                    }
                }
                walk_stmt(self, stmt);
                self.types = outer_types;
                (self.drivers, self.dialect_vars, self.conditions) = outer_dialects;
                self.scope.leave_function(outer);
                self.statement = saved;
                return;
            }
            _ => {}
        }
        walk_stmt(self, stmt);
        self.statement = saved;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                // `conn.execute(..)` on a driver's connection: its dialect.
                let outer = self.call_dialect;
                if let Expr::Attribute(a) = call.func.as_ref() {
                    self.call_dialect = self.driver_of(&a.value).or(outer);
                }
                self.call(call);
                self.call_dialect = outer;
            }
            // `user.hashed_password` read from a model instance.
            Expr::Attribute(a) => {
                if let Expr::Name(obj) = a.value.as_ref() {
                    if let Some(t) = self.types.get(obj.id.as_str()) {
                        let field = Name::new(a.attr.id.as_str(), span(a.attr.range));
                        let s = field.span;
                        let model = t.class.clone();
                        self.push(FactKind::ModelRead { model, field }, s);
                    }
                }
            }
            _ => {}
        }
        walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(src: &str) -> Vec<String> {
        let out = lower(src, SqlDialect::Postgres);
        out.facts
            .iter()
            .filter_map(|f| {
                let at = &src[f.span.start..f.span.end];
                Some(match &f.kind {
                    FactKind::TableSchema { table, action } => match action {
                        TableAction::Rename { to } => format!("table {} rename->{} @{at}", table.norm, to.norm),
                        other => format!("table {} {other:?} @{at}", table.norm),
                    },
                    FactKind::ColumnSchema { table, column, action } => match action {
                        ColumnAction::Rename { to } => {
                            format!("column {}.{} rename->{} @{at}", table.norm, column.norm, to.norm)
                        }
                        other => format!("column {}.{} {other:?} @{at}", table.norm, column.norm),
                    },
                    FactKind::Call { callee, resolved, .. } => format!("call {callee} {resolved} @{at}"),
                    FactKind::FieldWrite { table, field, .. } => format!("write {}.{} @{at}", table.norm, field.norm),
                    FactKind::RowInsert { table, .. } => format!("insert {} @{at}", table.norm),
                    FactKind::TableAccess { table, mode } => format!("access {} {mode:?} @{at}", table.norm),
                    FactKind::Unparsable { message, .. } => format!("unparsable {message}"),
                    _ => return None,
                })
            })
            .filter(|s| {
                !s.starts_with("call ") || s.contains("bcrypt") || s.contains("passlib") || s.contains("helper")
            })
            .collect()
    }

    #[test]
    fn alembic_operations_become_schema_facts() {
        let src = r#"
from alembic import op as alembic_op
import sqlalchemy as sa
from sqlalchemy import Column, String
T = "userbase"

def upgrade():
    alembic_op.add_column(T, Column("mfa_secret", String()))
    alembic_op.alter_column("userbase", "notes", new_column_name="password_hash")
    alembic_op.drop_column(table_name="userbase", column_name="legacy")
    alembic_op.create_table("tmp", sa.Column("id", sa.Integer()), sa.Column("totp_secret", sa.String()))
    alembic_op.rename_table("tmp", "userbase")
    with alembic_op.batch_alter_table("userbase") as batch_op:
        batch_op.add_column(sa.Column("last_login", sa.DateTime()))
"#;
        let got: Vec<String> = facts(src).into_iter().filter(|f| !f.starts_with("call")).collect();
        assert_eq!(
            got,
            vec![
                "table userbase Alter @T",
                "column userbase.mfa_secret Add @\"mfa_secret\"",
                "table userbase Alter @\"userbase\"",
                "column userbase.notes rename->password_hash @\"notes\"",
                "table userbase Alter @\"userbase\"",
                "column userbase.legacy Drop @\"legacy\"",
                "table tmp Create @\"tmp\"",
                "column tmp.id Add @\"id\"",
                "column tmp.totp_secret Add @\"totp_secret\"",
                "table tmp rename->userbase @\"tmp\"",
                "table userbase Alter @\"userbase\"",
                "column userbase.last_login Add @\"last_login\"",
            ]
        );
    }

    #[test]
    fn sql_in_strings_keeps_its_positions() {
        let src = "from alembic import op\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.execute(sa.text(\"UPDATE userbase SET email = lower(email)\"))\n";
        let got = facts(src);
        assert!(got.contains(&"write userbase.email @email".to_string()), "{got:?}");
        assert_eq!(got.iter().filter(|g| g.starts_with("write")).count(), 1, "lowered once: {got:?}");
    }

    #[test]
    fn imports_resolve_calls_and_same_names_elsewhere_do_not() {
        let src = "import bcrypt as b\nfrom passlib.context import CryptContext\nfrom mylib import checkpw\nctx = CryptContext()\n\ndef f(p, h):\n    b.checkpw(p, h)\n    ctx.verify(p, h)\n    checkpw(p, h)\n";
        let got = facts(src);
        assert!(got.contains(&"call bcrypt.checkpw true @checkpw".to_string()), "{got:?}");
        assert!(got.contains(&"call passlib.context.CryptContext.verify true @verify".to_string()), "{got:?}");
        let out = lower(src, SqlDialect::Postgres);
        assert!(out
            .facts
            .iter()
            .any(|f| matches!(&f.kind, FactKind::Call { callee, .. } if callee == "mylib.checkpw")));
    }

    #[test]
    fn sql_assembled_at_run_time_is_judged_on_its_constant_parts() {
        let src = "def f(cur, uid, cols):\n    cur.execute(f\"SELECT * FROM users WHERE id = {uid}\")\n    cur.execute(\"SELECT \" + cols + \" FROM sessions\")\n    cur.execute(f\"SELEC {cols}\")\n";
        let got = facts(src);
        assert!(got.iter().any(|g| g.starts_with("access users Read")), "{got:?}");
        assert!(got.iter().any(|g| g.starts_with("access sessions Read")), "{got:?}");
        assert!(got.iter().all(|g| !g.starts_with("unparsable")), "{got:?}");
    }

    #[test]
    fn more_ways_of_declaring_and_executing() {
        let src = "from sqlalchemy import Column, String\nfrom sqlalchemy.orm import Mapped\nfrom alembic import op\nSQL = \"ALTER TABLE userbase ADD COLUMN totp_secret text\"\ntry:\n    from passlib.context import CryptContext\nexcept ImportError:\n    CryptContext = None\nclass U(Base):\n    __tablename__ = \"userbase\"\n    mfa_secret: Mapped[str]\n    other = Column(String, name=\"last_login\")\n\ndef upgrade(schema):\n    op.execute(SQL)\n    schema.execute(\"{ hello }\")\n";
        let got = facts(src);
        for want in [
            "column userbase.mfa_secret Declare @mfa_secret",
            "column userbase.last_login Declare @\"last_login\"",
            "column userbase.totp_secret Add @SQL",
        ] {
            assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
        }
        assert!(got.iter().all(|g| !g.starts_with("unparsable")), "{got:?}");
    }

    #[test]
    fn text_fragments_are_not_statements_and_get_bind_executes_sql() {
        let src = "from alembic import op\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.add_column(\"dag\", sa.Column(\"a\", sa.Boolean(), server_default=sa.text(\"(false)\")))\n    op.alter_column(\"dag\", \"c\", server_default=sa.text(\"'{}'::jsonb\"))\n    op.create_index(\"ix\", \"dag\", [\"d\"], postgresql_where=sa.text(\"type = 'standard'\"))\n    op.get_bind().execute(\"UPDATE userbase SET email = lower(email)\")\n    conn = op.get_bind()\n    conn.execute(\"UPDATE userbase SET hashed_password = 'x'\")\n    conn.execute(\"UPDATE userbase SET SET\")\n";
        let got = facts(src);
        assert_eq!(
            got.iter().filter(|g| g.starts_with("unparsable")).count(),
            1,
            "only the broken executed SQL: {got:?}"
        );
        assert!(got.iter().any(|g| g == "write userbase.email @email"), "{got:?}");
        assert!(got.iter().any(|g| g == "write userbase.hashed_password @hashed_password"), "{got:?}");
    }

    #[test]
    fn attributes_of_self_keep_their_class() {
        let src = "from passlib.context import CryptContext\n\nclass Auth:\n    def __init__(self):\n        self.ctx = CryptContext(schemes=[\"bcrypt\"])\n\n    def check(self, p, h):\n        return self.ctx.verify(p, h)\n";
        let got = facts(src);
        assert!(got.contains(&"call passlib.context.CryptContext.verify true @verify".to_string()), "{got:?}");
    }

    #[test]
    fn models_declare_their_table_and_columns() {
        let src = "from sqlalchemy import Column, String\nfrom sqlalchemy.orm import Mapped, mapped_column\n\nclass User(Base):\n    __tablename__ = \"userbase\"\n    id = Column(String, primary_key=True)\n    mfa_secret: Mapped[str] = mapped_column(String)\n    legacy = Column(\"password_hash\", String)\n";
        let got: Vec<String> = facts(src).into_iter().filter(|f| !f.starts_with("call")).collect();
        assert_eq!(
            got,
            vec![
                "table userbase Declare @\"userbase\"",
                "column userbase.id Declare @id",
                "column userbase.mfa_secret Declare @mfa_secret",
                "column userbase.password_hash Declare @\"password_hash\"",
            ]
        );
    }

    #[test]
    fn a_syntax_error_is_reported_and_the_rest_is_read() {
        let src = "from alembic import op\nimport sqlalchemy as sa\ndef upgrade():\n    x = (\n\ndef downgrade():\n    op.add_column('userbase', sa.Column('mfa_secret', sa.String()))\n";
        let got = facts(src);
        assert!(got[0].starts_with("unparsable cannot parse"), "{got:?}");
        assert!(got.iter().any(|g| g.contains("mfa_secret")), "{got:?}");
    }
}

#[cfg(test)]
mod typing_tests {
    use super::*;

    fn kinds(src: &str) -> Vec<String> {
        lower(src, SqlDialect::Postgres)
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Model { class, table, .. } => Some(format!("model {class}={}", table.norm)),
                FactKind::ModelWrite { model, field } => Some(format!("write {model}.{}", field.norm)),
                FactKind::ModelRead { model, field } => Some(format!("read {model}.{}", field.norm)),
                FactKind::ModelCreate { model, columns } => Some(format!(
                    "create {model}({}) @{}",
                    columns.iter().map(|c| c.norm.as_str()).collect::<Vec<_>>().join(","),
                    &src[f.span.start..f.span.end]
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn instances_are_typed_by_constructor_query_parameter_and_loop() {
        let src = r#"
from app.models import User
class Invoice(Base):
    __tablename__ = "invoices"

def f(db, uid, other: User):
    u = db.query(User).filter(User.id == uid).first()
    u.email = "x"
    print(u.hashed_password)
    other.plan_tier = "pro"
    for row in db.query(User).all():
        row.role = "a"
    new = User(id=1, email="e")
    db.add(new)
    db.add_all([User(id=2)])
    plain = make_thing()
    plain.email = "not a model"

class Account(Base):
    __tablename__ = "userbase"
    def set_password(self, pw):
        self.hashed_password = pw
"#;
        assert_eq!(
            kinds(src),
            vec![
                "model Invoice=invoices",
                "write User.email",
                "read User.hashed_password",
                "write User.plan_tier",
                "write User.role",
                "create User(id,email) @User",
                "create User(id) @User",
                "model Account=userbase",
                "write Account.hashed_password",
            ]
        );
    }
}
