//! Rust front end: `syn` syntax trees lowered into facts.
//!
//! - Schema declarations: Diesel `table!` blocks, structs with
//!   `#[diesel(table_name = t)]`, SeaORM entities (`#[sea_orm(table_name =
//!   "t")]`, known by their module: `user::ActiveModel`), and sqlx `FromRow`
//!   structs whose table a query of the same file names
//!   (`query_as::<_, User>("SELECT .. FROM t")`).
//! - SQL in string literals (and in `const` / `static` strings passed by
//!   name) given to sqlx, Diesel `sql_query`, postgres, tokio-postgres and
//!   rusqlite goes through the SQL front end, spans moved into the Rust file.
//! - ORM writes: Diesel `update(t).set(..)` (columns, tuples, `AsChangeset`
//!   structs), `insert_into(t)`, `.save_changes()`; SeaORM `ActiveModel`
//!   literals with `Set(..)` fields, `.insert()`, `Entity::insert`,
//!   `col_expr`; field assignment of a variable whose type is a model.
//! - Reads: Diesel `t::table` and `t::col` (of table `t`), model fields of
//!   typed variables,
//!   SeaORM `Entity::find*`.
//! - Every call is a `Call` fact, its path resolved through `use` items
//!   (`use bcrypt::verify as check;` makes `check(..)` `bcrypt.verify`);
//!   imported traits and globs are `Import` facts, so a method call can be
//!   matched to the trait in scope.
//!
//! A variable's type is known from a parameter's type, a `let` annotation,
//! a struct literal or a turbofish (`.first::<User>(c)`); nothing is
//! inferred beyond that. Macros other than the ones named here are opaque
//! and left alone. A file `syn` cannot parse is one `Unparsable` fact.

mod diesel;
mod drivers;
mod items;
mod lexer;

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span as PmSpan, TokenTree};
use syn::visit::Visit;
use syn::{Expr, ExprCall, ExprMethodCall, FnArg, Lit, LitStr, Macro, Member, Pat, Type};

use crate::facts::{AccessMode, CodeLanguage, ColumnAction, FactKind, FileFacts, Name, TableAction};
use crate::frontend::sql::{self, SqlDialect};
use crate::source::{LineIndex, Span};
use items::{string_lit, Items};

/// Lower Rust source into facts. `module` is the file's module name (its
/// stem, or its folder's name for `mod.rs`): SeaORM entities are known by it.
pub fn lower(text: &str, lines: &LineIndex, dialect: SqlDialect, module: &str) -> FileFacts {
    let mut out = FileFacts::default();
    let nesting = lexer::scan(text, &mut out);
    if nesting.depth > MAX_NESTING {
        let at = nesting.at;
        let message =
            format!("too deeply nested to analyse: nesting of about {} here (limit {MAX_NESTING})", nesting.depth);
        out.push(FactKind::unparsable(message), Span::new(at, at), at);
        return out;
    }
    if nesting.depth > DEEP {
        // Deep files are parsed on a thread of their own with a large stack
        // (reserved, not committed, until used).
        let lowered = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(DEEP_STACK)
                .spawn_scoped(scope, || parse_and_lower(text, lines, dialect, module, out))
                .ok()
                .map(|handle| handle.join())
        });
        return match lowered {
            Some(Ok(out)) => out,
            _ => {
                let mut out = FileFacts::default();
                let at = nesting.at;
                let message = "too deeply nested to analyse: no thread could be started for it".to_string();
                out.push(FactKind::unparsable(message), Span::new(at, at), at);
                out
            }
        };
    }
    parse_and_lower(text, lines, dialect, module, out)
}

/// Parse with `syn` and lower; comments are already in `out`.
fn parse_and_lower(text: &str, lines: &LineIndex, dialect: SqlDialect, module: &str, mut out: FileFacts) -> FileFacts {
    let file = match syn::parse_file(text) {
        Ok(file) => file,
        Err(err) => {
            let at = offset(text, lines, err.span());
            out.push(FactKind::unparsable(format!("cannot parse: {err}")), Span::new(at, at), at);
            drop(err);
            proc_macro2::extra::invalidate_current_thread_spans();
            return out;
        }
    };
    let items = items::collect(&file);
    let file_dialect = drivers::file_dialect(&file, &items.uses);
    let field_dialects = drivers::field_dialects(&file, &items.uses);
    let mut lowerer = Lowerer::new(text, lines, dialect, module, items, out);
    lowerer.file_dialect = file_dialect;
    lowerer.field_dialects = field_dialects;
    lowerer.declarations();
    lowerer.visit_file(&file);
    lowerer.row_structs();
    drop(file);
    // proc-macro2 keeps every parsed file's text for span locations until
    // told otherwise: with thousands of files that is all of them.
    proc_macro2::extra::invalidate_current_thread_spans();
    lowerer.out
}

/// Byte offset of a span's start (proc-macro2 columns count characters).
fn offset(text: &str, lines: &LineIndex, span: PmSpan) -> usize {
    let start = span.start();
    lines.offset(text, start.line, start.column + 1)
}

fn span_of(text: &str, lines: &LineIndex, span: PmSpan) -> Span {
    let end = span.end();
    Span::new(offset(text, lines, span), lines.offset(text, end.line, end.column + 1))
}

/// The deepest nesting (see [`lexer`]) parsed: a third of what overflows the
/// 64 MiB stacks of the worker threads, and far beyond what people write
/// (the deepest of the 4,800 files of cargo's registry here scores 420, a
/// generated Unicode table).
const MAX_NESTING: usize = 1000;

/// Files nested deeper than this are parsed on a thread with [`DEEP_STACK`].
const DEEP: usize = 200;

/// 1 GiB: sixteen times the workers' stacks, for what the estimate underrates.
const DEEP_STACK: usize = 1 << 30;

/// Functions and macros whose first string argument is SQL, by last segment.
const SQL_TAKERS: &[&str] =
    &["query", "query_as", "query_scalar", "query_unchecked", "query_as_unchecked", "sql_query"];

/// Methods of database clients whose first string argument is SQL.
const SQL_METHODS: &[&str] = &["execute", "query", "query_one", "query_opt", "query_row", "prepare", "batch_execute"];

/// Macros of the standard library and `log` whose arguments are
/// comma-separated expressions.
const EXPR_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "format",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "dbg",
    "todo",
    "unreachable",
    "info",
    "warn",
    "error",
    "debug",
    "trace",
];

/// What is known of a variable: the model class of its type.
#[derive(Debug, Clone)]
struct Local {
    class: String,
    /// A SeaORM `ActiveModel` (its writes are `Set(..)` fields).
    active: bool,
    /// Bound to an `ActiveModel` literal already reported as a new row.
    created: bool,
}

struct Lowerer<'t> {
    text: &'t str,
    lines: &'t LineIndex,
    /// The policy's dialect for this file.
    dialect: SqlDialect,
    /// The dialect of the one family of drivers the file names, if one.
    file_dialect: Option<SqlDialect>,
    /// The dialect of the driver the call being lowered gives its SQL to.
    call_dialect: Option<SqlDialect>,
    /// Variables of the current function that hold a driver's pool or connection.
    drivers: HashMap<String, SqlDialect>,
    /// Struct fields typed as one driver's pool or connection, by name.
    field_dialects: HashMap<String, SqlDialect>,
    module: String,
    out: FileFacts,
    items: Items,
    /// Tables whose columns are in scope by bare name (`use users::dsl::*`).
    dsl: Vec<String>,
    /// Variables of the function being lowered.
    locals: HashMap<String, Local>,
    /// The type of `Self` in the `impl` being lowered.
    impl_self: Option<String>,
    /// Variables of the current function that receive `.insert(..)`.
    inserted: HashSet<String>,
    /// Whether the file mentions `ActiveModel` (gates a per-function scan).
    sea_orm: bool,
    /// Starts of struct literals that are new rows (`ActiveModel {..}.insert()`).
    new_rows: HashSet<usize>,
    /// Starts of struct literals given to `.set(..)`: changesets.
    changeset_literals: HashSet<usize>,
    /// Starts of paths already judged as write targets (not also reads).
    written: HashSet<usize>,
    /// Tables each `const` SQL string reads, once lowered.
    const_tables: HashMap<String, Vec<String>>,
    /// Tables read by the queries each `FromRow` struct is fetched with.
    row_tables: HashMap<String, Vec<String>>,
}

impl<'t> Lowerer<'t> {
    fn new(
        text: &'t str,
        lines: &'t LineIndex,
        dialect: SqlDialect,
        module: &str,
        items: Items,
        out: FileFacts,
    ) -> Self {
        let dsl = items
            .imports
            .iter()
            .filter_map(|(path, _)| {
                let rest = path.strip_suffix(".dsl.*")?;
                Some(rest.rsplit('.').next().unwrap_or(rest).to_string())
            })
            .collect();
        Lowerer {
            text,
            lines,
            dialect,
            file_dialect: None,
            call_dialect: None,
            drivers: HashMap::new(),
            field_dialects: HashMap::new(),
            module: module.to_string(),
            out,
            sea_orm: text.contains("ActiveModel"),
            items,
            dsl,
            locals: HashMap::new(),
            impl_self: None,
            inserted: HashSet::new(),
            new_rows: HashSet::new(),
            changeset_literals: HashSet::new(),
            written: HashSet::new(),
            const_tables: HashMap::new(),
            row_tables: HashMap::new(),
        }
    }

    fn span(&self, s: PmSpan) -> Span {
        span_of(self.text, self.lines, s)
    }

    /// The dialect of SQL met now: the driver's the call gives it to, else
    /// the file's, else the policy's.
    fn sql_dialect(&self) -> SqlDialect {
        self.call_dialect.or(self.file_dialect).unwrap_or(self.dialect)
    }

    /// The dialect of the driver an expression is (a typed variable or
    /// field, a connection opened or taken from a typed pool), if known.
    fn expr_dialect(&self, expr: &Expr) -> Option<SqlDialect> {
        match strip(expr) {
            Expr::Path(p) if p.qself.is_none() => {
                let name = p.path.get_ident()?.to_string();
                self.drivers.get(&name).copied()
            }
            Expr::Field(f) => match &f.member {
                Member::Named(id) => self.field_dialects.get(&id.to_string()).copied(),
                Member::Unnamed(_) => None,
            },
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.expr_dialect(&u.expr),
            Expr::Try(t) => self.expr_dialect(&t.expr),
            Expr::Await(a) => self.expr_dialect(&a.base),
            // `pool.get()?`, `pool.acquire().await?`, `PgPoolOptions::new().connect(..)`.
            Expr::MethodCall(m) => self.expr_dialect(&m.receiver),
            Expr::Call(c) => match c.func.as_ref() {
                Expr::Path(p) if p.qself.is_none() => drivers::dialect_of_path(&self.resolve(&p.path))
                    .or_else(|| drivers::generics_dialect(&p.path, &self.items.uses)),
                _ => None,
            },
            _ => None,
        }
    }

    fn name(&self, text: &str, s: PmSpan) -> Name {
        Name::new(text, self.span(s))
    }

    fn push(&mut self, kind: FactKind, span: Span) {
        // No statement spans: syn can only give a statement's span by
        // re-printing it, which cost more than parsing. A fact is its own
        // statement; suppressions apply to its line and the line above.
        self.out.push(kind, span, span.start);
    }

    /// A table, its columns and the class that maps it, as declared.
    fn declare(&mut self, class: &str, table: Name, columns: &[(String, PmSpan)], schema: bool) {
        let s = table.span;
        let fields = columns.iter().map(|(c, _)| c.to_lowercase()).collect();
        self.push(FactKind::Model { class: class.to_string(), table: table.clone(), fields }, s);
        if schema {
            self.push(FactKind::TableSchema { table: table.clone(), action: TableAction::Declare }, s);
        }
        for (col, span) in columns {
            let column = self.name(col, *span);
            let cs = column.span;
            self.push(FactKind::ColumnSchema { table: table.clone(), column, action: ColumnAction::Declare }, cs);
        }
    }

    /// Imports, and the structs that declare tables by attribute.
    fn declarations(&mut self) {
        for (path, span) in std::mem::take(&mut self.items.imports) {
            let s = self.span(span);
            self.push(FactKind::Import { path: path.clone() }, s);
            self.items.imports.push((path, span));
        }
        let structs = std::mem::take(&mut self.items.structs);
        for decl in &structs {
            let Some((table, span)) = &decl.table else { continue };
            let table = self.name(table, *span);
            let class = if decl.sea_orm {
                decl.module.clone().unwrap_or_else(|| self.module.clone())
            } else {
                decl.name.clone()
            };
            self.declare(&class, table, &decl.fields, true);
        }
        self.items.structs = structs;
    }

    /// `FromRow` structs mapped to the one table their queries read.
    fn row_structs(&mut self) {
        let structs = std::mem::take(&mut self.items.structs);
        for decl in structs.iter().filter(|d| d.from_row && d.table.is_none()) {
            let Some(tables) = self.row_tables.get(&decl.name) else { continue };
            let [table] = tables.as_slice() else { continue };
            let table = self.name(table, decl.name_span);
            self.declare(&decl.name.clone(), table, &decl.fields, false);
        }
    }

    /// A path's dotted form, its first segment resolved through `use`.
    fn resolve(&self, path: &syn::Path) -> String {
        let mut segs = path.segments.iter().map(|s| s.ident.to_string());
        let Some(first) = segs.next() else { return String::new() };
        // A path of several segments names its crate itself; a bare
        // name is a function of this file (or the prelude).
        let mut p = self.items.uses.get(&first).cloned().unwrap_or(first);
        for s in segs {
            p.push('.');
            p.push_str(&s);
        }
        p
    }

    /// The model class a type path names, and whether it is a SeaORM
    /// `ActiveModel`. `user::ActiveModel`, `user::Model` → `user`; `Self` →
    /// the `impl`'s type; a capitalised name → itself, unless the file
    /// declares a plain struct of that name.
    fn class_of_path(&self, path: &syn::Path) -> Option<(String, bool)> {
        let resolved = self.resolve(path);
        let segs: Vec<&str> = resolved.split('.').collect();
        let last = *segs.last()?;
        match (last, segs.len()) {
            ("ActiveModel" | "Model" | "Entity", n) => {
                let module = if n >= 2 { segs[n - 2].to_string() } else { self.module.clone() };
                Some((module, last == "ActiveModel"))
            }
            ("Self", _) => self.impl_self.clone().map(|c| (c, false)),
            (name, _) if name.starts_with(|c: char| c.is_ascii_uppercase()) && !self.items.plain.contains(name) => {
                Some((name.to_string(), false))
            }
            _ => None,
        }
    }

    fn class_of_type(&self, ty: &Type) -> Option<(String, bool)> {
        match ty {
            Type::Reference(r) => self.class_of_type(&r.elem),
            Type::Paren(p) => self.class_of_type(&p.elem),
            Type::Path(p) if p.qself.is_none() => self.class_of_path(&p.path),
            _ => None,
        }
    }

    /// The class of a `let`'s value: a struct literal or a turbofish
    /// (`users::table.find(id).first::<User>(c)?`).
    fn class_of_value(&self, expr: &Expr) -> Option<(String, bool)> {
        match expr {
            Expr::Struct(s) => self.class_of_path(&s.path),
            Expr::Try(t) => self.class_of_value(&t.expr),
            Expr::Await(a) => self.class_of_value(&a.base),
            Expr::MethodCall(m) => {
                let ty = m.turbofish.as_ref()?.args.iter().find_map(|a| match a {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })?;
                self.class_of_type(ty)
            }
            _ => None,
        }
    }

    /// The variable a simple expression names (`user`, `&user`, `self`).
    fn local_of(&self, expr: &Expr) -> Option<(String, Local)> {
        match expr {
            Expr::Path(p) if p.qself.is_none() => {
                let name = p.path.get_ident()?.to_string();
                self.locals.get(&name).map(|l| (name, l.clone()))
            }
            Expr::Reference(r) => self.local_of(&r.expr),
            Expr::Paren(p) => self.local_of(&p.expr),
            _ => None,
        }
    }

    fn bind(&mut self, pat: &Pat, ty: Option<&Type>, value: Option<&Expr>) {
        let (pat, ty) = match pat {
            Pat::Type(pt) => (pt.pat.as_ref(), Some(pt.ty.as_ref())),
            p => (p, ty),
        };
        let Pat::Ident(id) = pat else { return };
        let name = id.ident.to_string();
        let driver = ty
            .and_then(|t| drivers::type_dialect_of(t, &self.items.uses))
            .or_else(|| value.and_then(|v| self.expr_dialect(v)));
        match driver {
            Some(d) => self.drivers.insert(name.clone(), d),
            None => self.drivers.remove(&name),
        };
        let class = ty.and_then(|t| self.class_of_type(t)).or_else(|| value.and_then(|v| self.class_of_value(v)));
        match class {
            Some((class, active)) => {
                let created = active && self.inserted.contains(&name) && matches!(value, Some(Expr::Struct(_)));
                self.locals.insert(name, Local { class, active, created });
            }
            None => {
                // Shadowed by a value of unknown type.
                self.locals.remove(&name);
            }
        }
    }

    /// SQL in a string literal, lowered with spans moved into the file when
    /// the literal's source text is its value (no escapes). Returns the
    /// tables it reads or writes.
    fn sql_literal(&mut self, lit: &LitStr) -> Vec<String> {
        let value = lit.value();
        let mut facts = sql::lower(&value, self.sql_dialect());
        let whole = self.span(lit.span());
        let source = &self.text[whole.start..whole.end];
        // `"..."` or `r#"..."#`: find where the value starts inside the token.
        let opener = match source.strip_prefix('r') {
            Some(raw) => 2 + raw.chars().take_while(|c| *c == '#').count(),
            None => 1,
        };
        let start = whole.start + opener;
        if self.text.get(start..start + value.len()) == Some(value.as_str()) {
            facts.shift(start);
        } else {
            facts.collapse_to(whole);
        }
        self.adopt(facts, whole.start)
    }

    /// Take the facts (and comments) of SQL found in the file as statements
    /// starting at `statement_start`; return the tables they touch.
    fn adopt(&mut self, facts: FileFacts, statement_start: usize) -> Vec<String> {
        let mut tables = Vec::new();
        for mut f in facts.facts {
            if let FactKind::TableAccess { table, .. } = &f.kind {
                if !tables.contains(&table.norm) {
                    tables.push(table.norm.clone());
                }
            }
            f.statement_start = statement_start;
            self.out.facts.push(f);
        }
        self.out.comments.extend(facts.comments);
        tables
    }

    /// SQL given as a literal or by the name of a `const` / `static` string
    /// of this file (lowered once, where it is defined).
    fn sql_arg(&mut self, expr: &Expr) -> Option<Vec<String>> {
        if let Some(lit) = string_lit(expr) {
            return Some(self.sql_literal(lit));
        }
        match strip(expr) {
            Expr::Path(p) => self.sql_const(&p.path.segments.last()?.ident.to_string()),
            Expr::Macro(m) => self.sql_format(&m.mac),
            // `format!(..).as_str()`
            Expr::MethodCall(m) if m.method == "as_str" && m.args.is_empty() => match strip(&m.receiver) {
                Expr::Macro(mac) => self.sql_format(&mac.mac),
                _ => None,
            },
            _ => None,
        }
    }

    /// SQL assembled by `format!("...", ..)`: judged on its constant parts
    /// (each `{..}` a `?`), never unparsable, every fact at the template.
    fn sql_format(&mut self, mac: &Macro) -> Option<Vec<String>> {
        let tail = mac.path.segments.last()?.ident.to_string();
        if tail != "format" {
            return None;
        }
        let args = mac.parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated).ok()?;
        let template = string_lit(args.first()?)?;
        let sql = constant_parts(&template.value());
        let mut facts = sql::lower(&sql, self.sql_dialect());
        facts.facts.retain(|f| !matches!(f.kind, FactKind::Unparsable { .. }));
        facts.comments.clear();
        let whole = self.span(template.span());
        facts.collapse_to(whole);
        Some(self.adopt(facts, whole.start))
    }

    fn sql_const(&mut self, name: &str) -> Option<Vec<String>> {
        if let Some(tables) = self.const_tables.get(name) {
            return Some(tables.clone());
        }
        let lit = self.items.consts.get(name)?.clone();
        let tables = self.sql_literal(&lit);
        self.const_tables.insert(name.to_string(), tables.clone());
        Some(tables)
    }

    /// `query_as!(User, "...")` / `query!("...", id)`: the SQL literal (or
    /// const) among the first arguments; a leading type names a `FromRow`
    /// struct.
    fn macro_sql(&mut self, mac: &Macro) {
        let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
        let mut row_type = None;
        for (k, tt) in tokens.iter().enumerate() {
            match tt {
                TokenTree::Literal(l) => {
                    if let Ok(Lit::Str(s)) = syn::parse2::<Lit>(TokenTree::Literal(l.clone()).into()) {
                        let tables = self.sql_literal(&s);
                        self.map_row_type(row_type, tables);
                    }
                    return;
                }
                TokenTree::Ident(id) => {
                    let next_is_comma = matches!(tokens.get(k + 1), Some(TokenTree::Punct(p)) if p.as_char() == ',');
                    let name = id.to_string();
                    if next_is_comma || k + 1 == tokens.len() {
                        if let Some(tables) = self.sql_const(&name) {
                            self.map_row_type(row_type, tables);
                            return;
                        }
                    }
                    row_type = Some(name);
                }
                TokenTree::Punct(p) if p.as_char() == ',' || p.as_char() == ':' => {}
                _ => return,
            }
        }
    }

    fn map_row_type(&mut self, row_type: Option<String>, tables: Vec<String>) {
        if let Some(t) = row_type {
            let entry = self.row_tables.entry(t).or_default();
            for table in tables {
                if !entry.contains(&table) {
                    entry.push(table);
                }
            }
        }
    }

    /// Diesel references below `expr`; their identifiers are not also reads.
    fn diesel_refs(&mut self, expr: &Expr) -> diesel::Refs {
        let mut refs = diesel::Refs::default();
        refs.collect(expr, &diesel::Dsl { globs: &self.dsl, uses: &self.items.uses });
        for (_, s) in &refs.tables {
            self.written.insert(self.span(*s).start);
        }
        for ((_, t), (_, c)) in &refs.assignments {
            self.written.insert(self.span(*t).start);
            self.written.insert(self.span(*c).start);
        }
        refs
    }

    /// A struct literal's fields, and which of them are SeaORM `Set(..)`.
    fn literal_fields(&self, lit: &syn::ExprStruct) -> Vec<(Name, bool)> {
        lit.fields
            .iter()
            .filter_map(|f| match &f.member {
                Member::Named(id) => {
                    let set = matches!(&f.expr, Expr::Call(c) if matches!(c.func.as_ref(),
                        Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Set")));
                    Some((self.name(id.to_string().trim_start_matches("r#"), id.span()), set))
                }
                Member::Unnamed(_) => None,
            })
            .collect()
    }

    /// Run `f` in a fresh function scope.
    fn in_function(
        &mut self,
        inputs: Option<&syn::punctuated::Punctuated<FnArg, syn::Token![,]>>,
        block: &syn::Block,
        f: impl FnOnce(&mut Self),
    ) {
        let saved = (std::mem::take(&mut self.locals), std::mem::take(&mut self.inserted));
        let saved_drivers = std::mem::take(&mut self.drivers);
        if self.sea_orm {
            let mut scan = InsertScan::default();
            scan.visit_block(block);
            self.inserted = scan.receivers;
        }
        for arg in inputs.into_iter().flatten() {
            match arg {
                FnArg::Receiver(_) => {
                    if let Some(class) = self.impl_self.clone() {
                        self.locals.insert("self".to_string(), Local { class, active: false, created: false });
                    }
                }
                FnArg::Typed(pt) => self.bind(&pt.pat, Some(&pt.ty), None),
            }
        }
        f(self);
        (self.locals, self.inserted) = saved;
        self.drivers = saved_drivers;
    }
}

/// Where a path's last identifier starts, in bytes.
fn path_start(l: &Lowerer<'_>, path: &syn::Path) -> usize {
    path.segments.last().map_or(0, |s| l.span(s.ident.span()).start)
}

/// The variable a `let` binds (`x`, `mut x`, `x: T`).
fn pat_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(id) => Some(id.ident.to_string()),
        Pat::Type(t) => pat_name(&t.pat),
        _ => None,
    }
}

/// `&x`, `(x)` → `x`.
fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Reference(r) => strip(&r.expr),
        Expr::Paren(p) => strip(&p.expr),
        e => e,
    }
}

/// A `format!` template with each `{..}` argument replaced by `?` and
/// `{{` / `}}` unescaped.
fn constant_parts(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                out.push('?');
            }
            c => out.push(c),
        }
    }
    out
}

/// `snake_case` of a SeaORM `Column` variant (`PasswordHash` → `password_hash`).
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Names of the variables a function calls `.insert(..)` on (SeaORM:
/// an `ActiveModel` bound to one is a new row, not a set of field writes).
#[derive(Default)]
struct InsertScan {
    receivers: HashSet<String>,
}

impl<'ast> Visit<'ast> for InsertScan {
    fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
        if m.method == "insert" {
            if let Expr::Path(p) = strip(&m.receiver) {
                if let Some(id) = p.path.get_ident() {
                    self.receivers.insert(id.to_string());
                }
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    // Nested functions have their own scope.
    fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
}

impl<'ast> Visit<'ast> for Lowerer<'_> {
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved = self.impl_self.take();
        if let Type::Path(p) = i.self_ty.as_ref() {
            self.impl_self = self.class_of_path(&p.path).map(|(c, _)| c);
        }
        syn::visit::visit_item_impl(self, i);
        self.impl_self = saved;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.in_function(Some(&f.sig.inputs), &f.block, |l| syn::visit::visit_item_fn(l, f));
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.in_function(Some(&f.sig.inputs), &f.block, |l| syn::visit::visit_impl_item_fn(l, f));
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        // An `ActiveModel` literal bound to a variable that is inserted
        // later is a new row: known before the literal is lowered.
        if let (Some(init), Some(name)) = (&local.init, pat_name(&local.pat)) {
            if let Expr::Struct(lit) = init.expr.as_ref() {
                let active = self.class_of_path(&lit.path).is_some_and(|(_, a)| a);
                if active && self.inserted.contains(&name) {
                    self.new_rows.insert(path_start(self, &lit.path));
                }
            }
        }
        // The value first: `let user = user;` sees the old binding.
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind(&local.pat, None, local.init.as_ref().map(|i| i.expr.as_ref()));
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        let path = self.resolve(&mac.path);
        let tail = path.rsplit('.').next().unwrap_or(&path);
        if tail == "table" {
            for t in diesel::tables(&mac.tokens) {
                let table = self.name(&t.name.0, t.name.1);
                self.declare(&t.name.0, table, &t.columns, true);
            }
        } else if SQL_TAKERS.contains(&tail) {
            self.macro_sql(mac);
        } else if EXPR_MACROS.contains(&tail) {
            // Standard macros whose arguments are expressions (`assert!`,
            // `format!`): parsed as such and lowered like any code.
            let args = mac.parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated);
            for arg in args.iter().flatten() {
                self.visit_expr(arg);
            }
        }
        syn::visit::visit_macro(self, mac);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        let Expr::Path(p) = call.func.as_ref() else {
            syn::visit::visit_expr_call(self, call);
            return;
        };
        let path = self.resolve(&p.path);
        // `query::<Sqlite>(..)`: the SQL is SQLite's.
        let outer = self.call_dialect;
        self.call_dialect = drivers::generics_dialect(&p.path, &self.items.uses).or(outer);
        let name_span = p.path.segments.last().map_or(Span::default(), |s| self.span(s.ident.span()));
        let segs: Vec<&str> = path.split('.').collect();
        let tail = segs.last().copied().unwrap_or_default();
        self.push(FactKind::Call { callee: path.clone(), resolved: true, language: CodeLanguage::Rust }, name_span);
        if SQL_TAKERS.contains(&tail) {
            if let Some(tables) = call.args.first().and_then(|a| self.sql_arg(a)) {
                // `query_as::<_, User>(..)`: the rows are `User`s.
                let row = p.path.segments.last().and_then(|s| match &s.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().rev().find_map(|g| match g {
                        syn::GenericArgument::Type(Type::Path(t)) => {
                            t.path.segments.last().map(|s| s.ident.to_string())
                        }
                        _ => None,
                    }),
                    _ => None,
                });
                self.map_row_type(row, tables);
            }
        }
        // Diesel: `insert_into(t::table)` creates rows; `update(t::table)`
        // and `delete(t::table)` write them.
        if matches!(tail, "insert_into" | "update" | "delete") && segs.len() <= 2 {
            if let Some(arg) = call.args.first() {
                for (table, span) in self.diesel_refs(arg).tables {
                    let table = self.name(&table, span);
                    let s = table.span;
                    self.push(FactKind::TableAccess { table: table.clone(), mode: AccessMode::Write }, s);
                    if tail == "insert_into" {
                        self.push(FactKind::RowInsert { table, columns: Vec::new() }, s);
                    }
                }
            }
        }
        // SeaORM: `user::Entity::insert(am)` creates a row; `find*` reads.
        if let [.., module, "Entity", method] = segs.as_slice() {
            let model = module.to_string();
            if matches!(*method, "insert" | "insert_many") {
                let created = call.args.first().and_then(|a| self.local_of(a)).is_some_and(|(_, l)| l.created);
                if !created {
                    self.push(FactKind::ModelCreate { model, columns: Vec::new() }, name_span);
                }
            } else if method.starts_with("find") {
                self.push(FactKind::ModelQuery { model }, name_span);
            }
        }
        // The function's path is not a value read: only its arguments are.
        for a in &call.args {
            self.visit_expr(a);
        }
        self.call_dialect = outer;
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        // `conn.execute("..")` on a typed connection, or a chain that ends
        // in `.fetch_one(&pool)`: the SQL is that driver's.
        let outer = self.call_dialect;
        let here = self.expr_dialect(&call.receiver).or_else(|| call.args.iter().find_map(|a| self.expr_dialect(a)));
        self.call_dialect = here.or(outer);
        let method = call.method.to_string();
        let at = self.span(call.method.span());
        // The receiver's type is unknown: the method name alone, unresolved.
        self.push(FactKind::Call { callee: method.clone(), resolved: false, language: CodeLanguage::Rust }, at);
        if SQL_METHODS.contains(&method.as_str()) {
            if let Some(arg) = call.args.first() {
                self.sql_arg(arg);
            }
        }
        match method.as_str() {
            // Diesel `.set(t::col.eq(..))`, `.set((.., ..))`, `.set(&changes)`,
            // `.set(&Changes { .. })`: the fields written.
            "set" => {
                for arg in &call.args {
                    match strip(arg) {
                        Expr::Struct(lit) => {
                            self.changeset_literals.insert(path_start(self, &lit.path));
                        }
                        e => {
                            if let Some((_, local)) = self.local_of(e) {
                                let s = self.span(syn::spanned::Spanned::span(e));
                                self.push(FactKind::ModelSave { model: local.class }, s);
                                continue;
                            }
                            for ((table, ts), (field, fs)) in self.diesel_refs(arg).assignments {
                                let (table, field) = (self.name(&table, ts), self.name(&field, fs));
                                let s = field.span;
                                self.push(FactKind::FieldWrite { table, field, upsert: false }, s);
                            }
                        }
                    }
                }
            }
            // SeaORM: an `ActiveModel` inserted is a new row.
            "insert" => match strip(&call.receiver) {
                Expr::Struct(lit) => {
                    if self.class_of_path(&lit.path).is_some_and(|(_, active)| active) {
                        self.new_rows.insert(path_start(self, &lit.path));
                    }
                }
                e => {
                    if let Some((_, l)) = self.local_of(e).filter(|(_, l)| l.active && !l.created) {
                        self.push(FactKind::ModelCreate { model: l.class, columns: Vec::new() }, at);
                    }
                }
            },
            // SeaORM `update_many().col_expr(user::Column::Email, ..)`.
            "col_expr" => {
                if let Some(Expr::Path(p)) = call.args.first() {
                    let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
                    if let [.., module, column, variant] = segs.as_slice() {
                        if column.ident == "Column" {
                            let field = self.name(&snake(&variant.ident.to_string()), variant.ident.span());
                            let s = field.span;
                            self.push(FactKind::ModelWrite { model: module.ident.to_string(), field }, s);
                        }
                    }
                }
            }
            _ => {}
        }
        syn::visit::visit_expr_method_call(self, call);
        self.call_dialect = outer;
    }

    fn visit_expr_struct(&mut self, lit: &'ast syn::ExprStruct) {
        if let Some((class, active)) = self.class_of_path(&lit.path) {
            let start = path_start(self, &lit.path);
            let fields = self.literal_fields(lit);
            let at = lit.path.segments.last().map_or(Span::default(), |s| self.span(s.ident.span()));
            if active && self.new_rows.contains(&start) {
                let columns = fields.into_iter().filter(|(_, set)| *set).map(|(n, _)| n).collect();
                self.push(FactKind::ModelCreate { model: class, columns }, at);
            } else if active {
                for (field, _) in fields.into_iter().filter(|(_, set)| *set) {
                    let s = field.span;
                    self.push(FactKind::ModelWrite { model: class.clone(), field }, s);
                }
            } else if self.changeset_literals.contains(&start)
                || self.items.structs.iter().any(|d| d.changeset && d.name == class)
            {
                for (field, _) in fields {
                    let s = field.span;
                    self.push(FactKind::ModelWrite { model: class.clone(), field }, s);
                }
            }
        }
        syn::visit::visit_expr_struct(self, lit);
    }

    fn visit_expr_assign(&mut self, assign: &'ast syn::ExprAssign) {
        if let Expr::Field(f) = assign.left.as_ref() {
            if let (Some((_, local)), Member::Named(id)) = (self.local_of(&f.base), &f.member) {
                let field = self.name(&id.to_string(), id.span());
                let s = field.span;
                self.push(FactKind::ModelWrite { model: local.class, field }, s);
                self.visit_expr(&assign.right);
                return;
            }
        }
        syn::visit::visit_expr_assign(self, assign);
    }

    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        if let (Some((_, local)), Member::Named(id)) = (self.local_of(&f.base), &f.member) {
            let field = self.name(&id.to_string(), id.span());
            let s = field.span;
            self.push(FactKind::ModelRead { model: local.class, field }, s);
        }
        syn::visit::visit_expr_field(self, f);
    }

    /// Diesel paths in expressions: `t::table` reads the table, `t::col` a
    /// column (unless already judged as a write target). Diesel's table
    /// modules are named after their tables, so the table is `t` itself.
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
        if let [.., t, last] = segs.as_slice() {
            let lower = |s: &syn::PathSegment| s.ident.to_string().starts_with(|c: char| c.is_ascii_lowercase());
            let start = self.span(t.ident.span()).start;
            if lower(t) && lower(last) && !self.written.contains(&start) {
                let table = self.name(&t.ident.to_string(), t.ident.span());
                if last.ident == "table" {
                    let s = table.span;
                    self.push(FactKind::TableAccess { table, mode: AccessMode::Read }, s);
                } else {
                    let field = self.name(&last.ident.to_string(), last.ident.span());
                    let s = field.span;
                    self.push(FactKind::FieldRead { table, field }, s);
                }
            }
        }
        syn::visit::visit_expr_path(self, p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(src: &str) -> Vec<String> {
        let lines = LineIndex::new(src);
        lower(src, &lines, SqlDialect::Postgres, "m")
            .facts
            .iter()
            .filter_map(|f| {
                let at = &src[f.span.start..f.span.end];
                Some(match &f.kind {
                    FactKind::TableSchema { table, action } => format!("table {} {action:?} @{at}", table.norm),
                    FactKind::ColumnSchema { table, column, .. } => {
                        format!("column {}.{} @{at}", table.norm, column.norm)
                    }
                    FactKind::Call { callee, resolved: true, .. } => format!("call {callee} @{at}"),
                    FactKind::FieldWrite { table, field, .. } => format!("write {}.{} @{at}", table.norm, field.norm),
                    FactKind::TableAccess { table, mode } => format!("access {} {mode:?} @{at}", table.norm),
                    FactKind::FieldRead { table, field } => format!("read {}.{} @{at}", table.norm, field.norm),
                    FactKind::Unparsable { message, .. } => format!("unparsable {message}"),
                    FactKind::Model { class, table, fields } => format!("model {class}={} {fields:?}", table.norm),
                    FactKind::ModelWrite { model, field } => format!("mwrite {model}.{} @{at}", field.norm),
                    FactKind::ModelRead { model, field } => format!("mread {model}.{} @{at}", field.norm),
                    FactKind::ModelCreate { model, columns } => {
                        let cols: Vec<&str> = columns.iter().map(|c| c.norm.as_str()).collect();
                        format!("mcreate {model} {cols:?} @{at}")
                    }
                    FactKind::ModelSave { model } => format!("msave {model} @{at}"),
                    FactKind::ModelQuery { model } => format!("mquery {model} @{at}"),
                    FactKind::Import { path } => format!("import {path}"),
                    FactKind::RowInsert { table, .. } => format!("insert {} @{at}", table.norm),
                    _ => return None,
                })
            })
            .collect()
    }

    #[test]
    fn diesel_tables_declare_columns() {
        let got = facts(
            "diesel::table! {\n    userbase (id) {\n        id -> Uuid,\n        mfa_secret -> Text,\n    }\n}\n",
        );
        assert_eq!(
            got,
            vec![
                "model userbase=userbase [\"id\", \"mfa_secret\"]",
                "table userbase Declare @userbase",
                "column userbase.id @id",
                "column userbase.mfa_secret @mfa_secret"
            ]
        );
    }

    #[test]
    fn calls_resolve_through_use_and_renames() {
        let got = facts("use bcrypt::verify as check;\nuse argon2::{Argon2, PasswordVerifier};\nfn f() { check(\"a\", \"b\"); jsonwebtoken::decode(t); mylib::verify(x); }\n");
        assert!(got.contains(&"call bcrypt.verify @check".to_string()), "{got:?}");
        assert!(got.contains(&"call jsonwebtoken.decode @decode".to_string()), "{got:?}");
        assert!(got.contains(&"call mylib.verify @verify".to_string()), "{got:?}");
    }

    #[test]
    fn sql_strings_keep_their_positions() {
        let src = "async fn f(pool: &PgPool) {\n    sqlx::query!(\"UPDATE userbase SET email = $1\", e).execute(pool).await;\n    sqlx::query(r#\"SELECT * FROM users\"#).fetch_all(pool).await;\n    client.execute(\"DELETE FROM sessions\", &[]).await;\n}\n";
        let got = facts(src);
        assert!(got.contains(&"write userbase.email @email".to_string()), "{got:?}");
        assert!(got.contains(&"access users Read @users".to_string()), "{got:?}");
        assert!(got.contains(&"access sessions Write @sessions".to_string()), "{got:?}");
    }

    #[test]
    fn diesel_writes_and_inserts() {
        let src = "use diesel::prelude::*;\nfn f(c: &mut PgConnection) {\n    diesel::update(userbase::table.find(1)).set((userbase::email.eq(\"x\"), userbase::plan_tier.eq(\"pro\"))).execute(c);\n    diesel::insert_into(userbase::table).values(&new).execute(c);\n}\n";
        let got = facts(src);
        for want in
            ["write userbase.email @email", "write userbase.plan_tier @plan_tier", "access userbase Write @userbase"]
        {
            assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
        }
        let lines = LineIndex::new(src);
        let out = lower(src, &lines, SqlDialect::Postgres, "m");
        assert!(out
            .facts
            .iter()
            .any(|f| matches!(&f.kind, FactKind::RowInsert { table, .. } if table.norm == "userbase")));
    }

    #[test]
    fn comments_are_found_outside_strings() {
        let src = "// authguard-ignore AUTH008: legacy\nlet s = \"// not a comment\"; let r = r#\"/* nor */\"#; let c = '/'; /* block */\n";
        let mut out = FileFacts::default();
        lexer::scan(src, &mut out);
        let texts: Vec<&str> = out.comments.iter().map(|c| c.text.trim()).collect();
        assert_eq!(texts, vec!["authguard-ignore AUTH008: legacy", "block"]);
    }

    #[test]
    fn a_syntax_error_is_unparsable() {
        let got = facts("fn f( {\n");
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("unparsable cannot parse"), "{got:?}");
    }

    fn has(got: &[String], want: &[&str]) {
        for w in want {
            assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
        }
    }

    fn lacks(got: &[String], prefix: &str) {
        assert!(!got.iter().any(|g| g.starts_with(prefix)), "unexpected {prefix:?} in {got:#?}");
    }

    #[test]
    fn diesel_structs_declare_their_table_and_columns() {
        let src = "#[derive(Queryable, Selectable)]\n#[diesel(table_name = crate::schema::userbase, check_for_backend(Pg))]\npub struct User {\n    pub id: i32,\n    #[diesel(column_name = pw)]\n    pub password: String,\n    #[diesel(embed)]\n    pub extra: Extra,\n}\n#[derive(Insertable)]\n#[table_name = \"invoices\"]\nstruct NewInvoice { total: i64 }\n";
        let got = facts(src);
        has(
            &got,
            &[
                "model User=userbase [\"id\", \"pw\"]",
                "table userbase Declare @userbase",
                "column userbase.id @id",
                "column userbase.pw @password",
                "model NewInvoice=invoices [\"total\"]",
            ],
        );
        lacks(&got, "column userbase.extra");
    }

    #[test]
    fn sea_orm_entities_are_known_by_their_module() {
        let src = "mod user {\n    #[derive(Clone, DeriveEntityModel)]\n    #[sea_orm(table_name = \"userbase\")]\n    pub struct Model {\n        #[sea_orm(primary_key)]\n        pub id: i32,\n        pub password_hash: String,\n        #[sea_orm(ignore)]\n        pub cache: u8,\n    }\n}\n";
        let got = facts(src);
        has(&got, &["model user=userbase [\"id\", \"password_hash\"]", "column userbase.password_hash @password_hash"]);
        lacks(&got, "column userbase.cache");
        // Outside an inline module, the file's own module names the entity.
        let got = facts("#[sea_orm(table_name = \"userbase\")]\npub struct Model { pub id: i32 }\n");
        has(&got, &["model m=userbase [\"id\"]"]);
    }

    #[test]
    fn from_row_structs_take_the_table_of_their_query() {
        let src = "#[derive(sqlx::FromRow)]\nstruct Row { id: i64, #[sqlx(rename = \"pw\")] password: String }\n#[derive(FromRow)]\nstruct Joined { id: i64 }\nasync fn f(p: &PgPool) {\n    sqlx::query_as::<_, Row>(\"SELECT id, pw FROM userbase\").fetch_one(p).await;\n    sqlx::query_as!(Joined, \"SELECT u.id FROM userbase u JOIN invoices i ON i.user_id = u.id\").fetch_all(p).await;\n}\n";
        let got = facts(src);
        has(&got, &["model Row=userbase [\"id\", \"pw\"]", "column userbase.pw @password"]);
        // Two tables: which one the struct maps is not known.
        lacks(&got, "model Joined");
        // A struct no query names maps nothing.
        let got = facts("#[derive(FromRow)]\nstruct Lone { email: String }\n");
        lacks(&got, "model");
    }

    #[test]
    fn const_sql_is_followed_once() {
        let src = "const Q: &str = \"UPDATE userbase SET email = $1\";\nstatic R: &str = r#\"SELECT * FROM sessions\"#;\nconst NOT_SQL: &str = \"hello\";\nasync fn f(p: &PgPool) {\n    sqlx::query(Q).execute(p).await;\n    sqlx::query(Q).execute(p).await;\n    client.query(R, &[]).await;\n    println!(\"{}\", NOT_SQL);\n}\n";
        let got = facts(src);
        assert_eq!(got.iter().filter(|g| *g == "write userbase.email @email").count(), 1, "{got:#?}");
        has(&got, &["access sessions Read @sessions"]);
    }

    #[test]
    fn typed_variables_give_model_writes_and_reads() {
        let src = "use crate::models::User;\nstruct MailMessage { to: String, email: String }\nfn f(user: &mut User, msg: &mut MailMessage, conn: &mut PgConnection) {\n    user.email = x;\n    let h = user.password_hash.clone();\n    msg.email = y;\n    let u: User = load();\n    u.plan_tier = p;\n    let v = users::table.find(1).first::<User>(conn)?;\n    v.email = z;\n}\nimpl User {\n    fn rename(&mut self) { self.email = n; }\n}\n";
        let got = facts(src);
        has(
            &got,
            &[
                "mwrite User.email @email",
                "mread User.password_hash @password_hash",
                "mwrite User.plan_tier @plan_tier",
                "access users Read @users",
            ],
        );
        assert_eq!(got.iter().filter(|g| *g == "mwrite User.email @email").count(), 3, "{got:#?}");
        // The mail message is a plain struct of this file.
        lacks(&got, "mwrite MailMessage");
    }

    #[test]
    fn changesets_write_their_fields() {
        let src = "#[derive(AsChangeset)]\n#[diesel(table_name = userbase)]\nstruct Changes { email: Option<String>, plan_tier: Option<String> }\nfn f(c: &mut PgConnection, changes: Changes) {\n    diesel::update(userbase::table).set(&changes).execute(c);\n    diesel::update(userbase::table).set(&Profile { display_name: n }).execute(c);\n    user.save_changes::<User>(c);\n}\nfn g(user: User, c: &mut PgConnection) { user.save_changes::<User>(c); }\n";
        let got = facts(src);
        has(&got, &["msave Changes @changes", "mwrite Profile.display_name @display_name"]);
        // Saving a model writes the fields assigned, reported where they are.
        lacks(&got, "msave User");
    }

    #[test]
    fn sea_orm_active_models() {
        let src = "use sea_orm::{ActiveValue::Set, NotSet};\nuse entity::user::ActiveModel as UserActive;\nasync fn create(db: &Db) {\n    let am = user::ActiveModel { email: Set(e), plan_tier: NotSet, ..Default::default() };\n    am.insert(db).await?;\n    user::ActiveModel { id: Set(1), ..Default::default() }.insert(db).await?;\n}\nasync fn change(db: &Db, mut am: UserActive) {\n    let patch = user::ActiveModel { email: Set(e), ..Default::default() };\n    patch.update(db).await?;\n    am.mfa_secret = Set(s);\n    user::Entity::update_many().col_expr(user::Column::PasswordHash, Expr::value(h)).exec(db).await?;\n    let found = user::Entity::find_by_id(1).one(db).await?;\n}\n";
        let got = facts(src);
        has(
            &got,
            &[
                "mcreate user [\"email\"] @ActiveModel",
                "mcreate user [\"id\"] @ActiveModel",
                "mwrite user.email @email",
                "mwrite user.mfa_secret @mfa_secret",
                "mwrite user.password_hash @PasswordHash",
                "mquery user @find_by_id",
            ],
        );
        // The inserted literal is one new row, not also writes; NotSet writes nothing.
        assert_eq!(got.iter().filter(|g| g.starts_with("mcreate")).count(), 2, "{got:#?}");
        assert_eq!(got.iter().filter(|g| *g == "mwrite user.email @email").count(), 1, "{got:#?}");
        lacks(&got, "mwrite user.plan_tier");
    }

    #[test]
    fn diesel_dsl_names_and_column_reads() {
        let src = "use crate::schema::userbase::dsl::*;\nfn f(c: &mut PgConnection) {\n    diesel::update(userbase.filter(id.eq(1))).set(email.eq(e)).execute(c);\n    users::table.select((users::id, users::password_hash)).load(c);\n}\n";
        let got = facts(src);
        has(
            &got,
            &[
                "access userbase Write @userbase",
                "write userbase.email @email",
                "access users Read @users",
                "read users.password_hash @password_hash",
                "import crate.schema.userbase.dsl.*",
            ],
        );
        // The updated table is a write, not also a read.
        lacks(&got, "access userbase Read");
    }

    #[test]
    fn standard_macros_are_seen_into_and_others_left_alone() {
        let got = facts("fn t() {\n    assert!(bcrypt::verify(\"pw\", h).unwrap());\n    assert_eq!(x, jsonwebtoken::decode(t), \"msg {}\", y);\n    my_dsl!(bcrypt::hash(p));\n    vec![a; 3];\n}\n");
        has(&got, &["call bcrypt.verify @verify", "call jsonwebtoken.decode @decode"]);
        lacks(&got, "call bcrypt.hash");
    }

    #[test]
    fn format_sql_is_judged_on_its_constant_parts() {
        let src = "fn f(c: &Client, t: &str, col: &str) {\n    sqlx::query(&format!(\"UPDATE userbase SET email = $1 WHERE {} = $2\", col)).execute(p);\n    c.execute(format!(\"SELECT * FROM {t} WHERE\").as_str(), &[]);\n    c.execute(&format!(\"DELETE FROM sessions WHERE id IN ({})\", ids), &[]);\n}\n";
        let got = facts(src);
        has(&got, &["access sessions Write @\"DELETE FROM sessions WHERE id IN ({})\""]);
        assert!(got.iter().any(|g| g.starts_with("write userbase.email @")), "{got:#?}");
        // A template that does not parse on its own is not AUTH010.
        lacks(&got, "unparsable");
        assert_eq!(constant_parts("a {{b}} {c:?} {}"), "a {b} ? ?");
    }

    #[test]
    fn dsl_names_imported_one_by_one_and_cfg_attr_mappings() {
        let src = "use crate::schema::local_user::dsl::{local_user, password_encrypted};\n#[cfg_attr(feature = \"full\", derive(Queryable, Identifiable))]\n#[cfg_attr(feature = \"full\", diesel(table_name = local_user))]\npub struct LocalUser { pub id: i32, pub password_encrypted: String }\nfn f(c: &mut PgConnection) {\n    diesel::update(local_user.find(1)).set(password_encrypted.eq(h)).execute(c);\n}\n";
        let got = facts(src);
        has(
            &got,
            &[
                "model LocalUser=local_user [\"id\", \"password_encrypted\"]",
                "access local_user Write @local_user",
                "write local_user.password_encrypted @password_encrypted",
            ],
        );
    }

    #[test]
    fn traits_and_globs_are_imports() {
        let got = facts("use argon2::{Argon2, PasswordVerifier as _, password_hash::SaltString};\nuse jwt_simple::prelude::*;\nuse std::fmt;\n");
        has(
            &got,
            &[
                "import argon2.Argon2",
                "import argon2.PasswordVerifier",
                "import argon2.password_hash.SaltString",
                "import jwt_simple.prelude.*",
            ],
        );
        lacks(&got, "import std.fmt");
    }
}
