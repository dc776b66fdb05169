//! Rust front end (first part): `syn` syntax trees lowered into facts.
//!
//! - Diesel `table! { t (id) { col -> Type, ... } }` declares a table and
//!   its columns.
//! - SQL string literals given to sqlx (`query!`, `query_as!`,
//!   `query_scalar!`, `query(...)`, `query_as(...)`), Diesel `sql_query`, and
//!   `execute` / `query*` / `prepare` methods of postgres, tokio-postgres and
//!   rusqlite go through the SQL front end, spans moved into the Rust file.
//! - Every call is a `Call` fact, its path resolved through `use` items
//!   (`use bcrypt::verify as check;` makes `check(..)` `bcrypt.verify`).
//!
//! A file `syn` cannot parse is one `Unparsable` fact. Macros other than
//! the ones above are opaque and left alone.

use std::collections::HashMap;

use proc_macro2::{Span as PmSpan, TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, ExprCall, ExprLit, ExprMethodCall, Lit, LitStr, Macro, UseTree};

use crate::facts::{AccessMode, CodeLanguage, ColumnAction, Comment, FactKind, FileFacts, Name, TableAction};
use crate::frontend::sql::{self, SqlDialect};
use crate::source::{LineIndex, Span};

/// Lower Rust source into facts.
pub fn lower(text: &str, lines: &LineIndex, dialect: SqlDialect) -> FileFacts {
    let mut out = FileFacts::default();
    comments(text, &mut out);
    let file = match syn::parse_file(text) {
        Ok(file) => file,
        Err(err) => {
            let at = offset(text, lines, err.span());
            out.push(FactKind::Unparsable { message: format!("cannot parse: {err}") }, Span::new(at, at), at);
            drop(err);
            proc_macro2::extra::invalidate_current_thread_spans();
            return out;
        }
    };
    let mut uses = HashMap::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            collect_uses(&u.tree, String::new(), &mut uses);
        }
    }
    let mut lowerer = Lowerer { text, lines, dialect, out, uses };
    lowerer.visit_file(&file);
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

/// `use a::b::{c as d, e::*}` → local name → dotted path.
fn collect_uses(tree: &UseTree, prefix: String, out: &mut HashMap<String, String>) {
    let join = |p: &str, s: &str| if p.is_empty() { s.to_string() } else { format!("{p}.{s}") };
    match tree {
        UseTree::Path(p) => collect_uses(&p.tree, join(&prefix, &p.ident.to_string()), out),
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            out.insert(name.clone(), join(&prefix, &name));
        }
        UseTree::Rename(r) => {
            out.insert(r.rename.to_string(), join(&prefix, &r.ident.to_string()));
        }
        UseTree::Group(g) => {
            for t in &g.items {
                collect_uses(t, prefix.clone(), out);
            }
        }
        // `use argon2::*`: names from it resolve to themselves (bare), which
        // bare policy entries still match.
        UseTree::Glob(_) => {}
    }
}

/// `//` and `/* */` comments, found by a small lexer that skips string,
/// raw-string and character literals (syn drops comments).
fn comments(text: &str, out: &mut FileFacts) {
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

/// What a Diesel expression names: tables (`users::table`) and assigned
/// columns (`userbase::email.eq(..)`), each with its identifier's span.
#[derive(Default)]
struct DieselRefs {
    tables: Vec<Name>,
    assignments: Vec<(Name, Name)>,
}

impl DieselRefs {
    fn collect(&mut self, expr: &Expr, l: &Lowerer<'_>) {
        match expr {
            Expr::Path(p) => {
                let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
                if let [.., t, last] = segs.as_slice() {
                    if last.ident == "table" {
                        self.tables.push(Name::new(&t.ident.to_string(), l.span(t.ident.span())));
                    }
                }
            }
            Expr::MethodCall(m) => {
                if m.method == "eq" {
                    if let Expr::Path(p) = m.receiver.as_ref() {
                        let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
                        if let [.., t, col] = segs.as_slice() {
                            let table = Name::new(&t.ident.to_string(), l.span(t.ident.span()));
                            let column = Name::new(&col.ident.to_string(), l.span(col.ident.span()));
                            self.assignments.push((table, column));
                        }
                    }
                }
                self.collect(&m.receiver, l);
                for a in &m.args {
                    self.collect(a, l);
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.collect(a, l);
                }
            }
            Expr::Tuple(t) => {
                for e in &t.elems {
                    self.collect(e, l);
                }
            }
            Expr::Reference(r) => self.collect(&r.expr, l),
            Expr::Paren(p) => self.collect(&p.expr, l),
            _ => {}
        }
    }
}

/// Functions and macros whose first string argument is SQL, by last segment.
const SQL_TAKERS: &[&str] =
    &["query", "query_as", "query_scalar", "query_unchecked", "query_as_unchecked", "sql_query"];

/// Methods of database clients whose first string argument is SQL.
const SQL_METHODS: &[&str] = &["execute", "query", "query_one", "query_opt", "query_row", "prepare", "batch_execute"];

struct Lowerer<'t> {
    text: &'t str,
    lines: &'t LineIndex,
    dialect: SqlDialect,
    out: FileFacts,
    uses: HashMap<String, String>,
}

impl Lowerer<'_> {
    fn span(&self, s: PmSpan) -> Span {
        span_of(self.text, self.lines, s)
    }

    fn push(&mut self, kind: FactKind, span: Span) {
        // No statement spans (see below): a fact is its own statement.
        self.out.push(kind, span, span.start);
    }

    /// A path's dotted form, its first segment resolved through `use`.
    fn resolve(&self, path: &syn::Path) -> (String, bool) {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some(first) = segs.first() else { return (String::new(), false) };
        match self.uses.get(first) {
            Some(full) => {
                let mut p = full.clone();
                for s in &segs[1..] {
                    p.push('.');
                    p.push_str(s);
                }
                (p, true)
            }
            // A path of several segments names its crate itself; a bare
            // name is a function of this file (or the prelude).
            None => (segs.join("."), true),
        }
    }

    /// SQL in a string literal: lowered with spans moved into the file
    /// when the literal's source text is its value (no escapes).
    fn sql_literal(&mut self, lit: &LitStr) {
        let value = lit.value();
        let mut facts = sql::lower(&value, self.dialect);
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
        for mut f in facts.facts {
            f.statement_start = whole.start;
            self.out.facts.push(f);
        }
        self.out.comments.extend(facts.comments);
    }

    /// The first string literal of a macro's tokens (`query!("...", id)`,
    /// `query_as!(User, "...")`).
    fn macro_sql(&mut self, mac: &Macro) {
        let tokens: TokenStream = mac.tokens.clone();
        for tt in tokens {
            if let TokenTree::Literal(l) = tt {
                if let Ok(Lit::Str(s)) = syn::parse2::<Lit>(TokenTree::Literal(l).into()) {
                    self.sql_literal(&s);
                    return;
                }
            }
        }
    }

    /// Diesel's `table! { name (pk) { col -> Type, ... } }`.
    fn diesel_table(&mut self, mac: &Macro) {
        let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            // [schema.]name (pk...) { body }
            if let TokenTree::Ident(name) = &tokens[i] {
                let mut j = i + 1;
                while matches!(tokens.get(j), Some(TokenTree::Punct(p)) if p.as_char() == '.') {
                    j += 2;
                }
                let table_ident = if j > i + 1 { tokens.get(j - 1) } else { Some(&tokens[i]) };
                if let (Some(TokenTree::Group(pk)), Some(TokenTree::Group(body))) = (tokens.get(j), tokens.get(j + 1)) {
                    if pk.delimiter() == proc_macro2::Delimiter::Parenthesis
                        && body.delimiter() == proc_macro2::Delimiter::Brace
                    {
                        let Some(TokenTree::Ident(t)) = table_ident else { return };
                        let table = Name::new(&t.to_string(), self.span(t.span()));
                        let s = table.span;
                        self.push(FactKind::Model { class: t.to_string(), table: table.clone() }, s);
                        self.push(FactKind::TableSchema { table: table.clone(), action: TableAction::Declare }, s);
                        let body: Vec<TokenTree> = body.stream().into_iter().collect();
                        for (k, tt) in body.iter().enumerate() {
                            let is_arrow = matches!(body.get(k + 1), Some(TokenTree::Punct(p)) if p.as_char() == '-')
                                && matches!(body.get(k + 2), Some(TokenTree::Punct(p)) if p.as_char() == '>');
                            if let (TokenTree::Ident(col), true) = (tt, is_arrow) {
                                let column = Name::new(&col.to_string(), self.span(col.span()));
                                let cs = column.span;
                                self.push(
                                    FactKind::ColumnSchema {
                                        table: table.clone(),
                                        column,
                                        action: ColumnAction::Declare,
                                    },
                                    cs,
                                );
                            }
                        }
                        i = j + 2;
                        let _ = name;
                        continue;
                    }
                }
            }
            i += 1;
        }
    }

    /// Diesel table references below an expression: `t::table` paths, and
    /// `t::col.eq(..)` assignments inside `.set(...)`.
    fn diesel_refs(&self, expr: &Expr) -> DieselRefs {
        let mut refs = DieselRefs::default();
        refs.collect(expr, self);
        refs
    }

    fn first_str(args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) -> Option<&LitStr> {
        match args.first()? {
            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s),
            Expr::Reference(r) => match r.expr.as_ref() {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
}

impl<'ast> Visit<'ast> for Lowerer<'_> {
    // Statement starts are not tracked: syn can only give a statement's span
    // by re-printing it, which cost more than parsing. Suppressions apply to
    // the finding's line and the line above it.

    fn visit_macro(&mut self, mac: &'ast Macro) {
        let (path, _) = self.resolve(&mac.path);
        let tail = path.rsplit('.').next().unwrap_or(&path);
        if tail == "table" {
            self.diesel_table(mac);
        } else if SQL_TAKERS.contains(&tail) {
            self.macro_sql(mac);
        }
        syn::visit::visit_macro(self, mac);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if let Expr::Path(p) = call.func.as_ref() {
            let (path, resolved) = self.resolve(&p.path);
            let name_span = p.path.segments.last().map_or(Span::default(), |s| self.span(s.ident.span()));
            let tail = path.rsplit('.').next().unwrap_or(&path).to_string();
            self.push(FactKind::Call { callee: path, resolved, language: CodeLanguage::Rust }, name_span);
            if SQL_TAKERS.contains(&tail.as_str()) {
                if let Some(s) = Self::first_str(&call.args) {
                    self.sql_literal(s);
                }
            }
            // Diesel: `insert_into(t::table)` creates rows; `update(t::table)`
            // and `delete(t::table)` write them.
            if matches!(tail.as_str(), "insert_into" | "update" | "delete") {
                if let Some(arg) = call.args.first() {
                    for table in self.diesel_refs(arg).tables {
                        let s = table.span;
                        self.push(FactKind::TableAccess { table: table.clone(), mode: AccessMode::Write }, s);
                        if tail == "insert_into" {
                            self.push(FactKind::RowInsert { table, columns: Vec::new() }, s);
                        }
                    }
                }
            }
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        let method = call.method.to_string();
        let at = self.span(call.method.span());
        // The receiver's type is unknown: the method name alone, unresolved.
        self.push(FactKind::Call { callee: method.clone(), resolved: false, language: CodeLanguage::Rust }, at);
        if SQL_METHODS.contains(&method.as_str()) {
            if let Some(s) = Self::first_str(&call.args) {
                self.sql_literal(s);
            }
        }
        // Diesel `.set(t::col.eq(..))` / `.set((..., ...))`: fields written.
        if method == "set" {
            for arg in &call.args {
                for (table, field) in self.diesel_refs(arg).assignments {
                    let s = field.span;
                    self.push(FactKind::FieldWrite { table, field, upsert: false }, s);
                }
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(src: &str) -> Vec<String> {
        let lines = LineIndex::new(src);
        lower(src, &lines, SqlDialect::Postgres)
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
                    FactKind::Unparsable { message } => format!("unparsable {message}"),
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
        let out = lower(src, &lines, SqlDialect::Postgres);
        assert!(out
            .facts
            .iter()
            .any(|f| matches!(&f.kind, FactKind::RowInsert { table, .. } if table.norm == "userbase")));
    }

    #[test]
    fn comments_are_found_outside_strings() {
        let src = "// authguard-ignore AUTH008: legacy\nlet s = \"// not a comment\"; let r = r#\"/* nor */\"#; let c = '/'; /* block */\n";
        let mut out = FileFacts::default();
        comments(src, &mut out);
        let texts: Vec<&str> = out.comments.iter().map(|c| c.text.trim()).collect();
        assert_eq!(texts, vec!["authguard-ignore AUTH008: legacy", "block"]);
    }

    #[test]
    fn a_syntax_error_is_unparsable() {
        let got = facts("fn f( {\n");
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("unparsable cannot parse"), "{got:?}");
    }
}
