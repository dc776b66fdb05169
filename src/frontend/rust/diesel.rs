//! Diesel: `table!` declarations, and the tables and columns named by the
//! query builder (`users::table`, `userbase::email.eq(..)`, and the bare
//! names a `use schema::users::dsl::*` brings in).

use proc_macro2::{Delimiter, Span as PmSpan, TokenStream, TokenTree};
use syn::Expr;

/// One table of a `table!` block: its name and columns, with spans.
pub(super) struct TableDecl {
    pub name: (String, PmSpan),
    pub columns: Vec<(String, PmSpan)>,
}

/// The tables of `table! { [schema.]name (pk, ..) { col -> Type, .. } .. }`.
/// Attributes (`#[sql_name = ..]`) and doc comments between them are skipped.
pub(super) fn tables(tokens: &TokenStream) -> Vec<TableDecl> {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let TokenTree::Ident(first) = &tokens[i] else {
            i += 1;
            continue;
        };
        // `schema.name`: the name is the last identifier before the groups.
        let mut name = first;
        let mut j = i + 1;
        while let (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(next))) = (tokens.get(j), tokens.get(j + 1)) {
            if p.as_char() != '.' {
                break;
            }
            name = next;
            j += 2;
        }
        match (tokens.get(j), tokens.get(j + 1)) {
            (Some(TokenTree::Group(pk)), Some(TokenTree::Group(body)))
                if pk.delimiter() == Delimiter::Parenthesis && body.delimiter() == Delimiter::Brace =>
            {
                out.push(TableDecl { name: (name.to_string(), name.span()), columns: columns(&body.stream()) });
                i = j + 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// `col -> Type,` entries of a table body.
fn columns(body: &TokenStream) -> Vec<(String, PmSpan)> {
    let body: Vec<TokenTree> = body.clone().into_iter().collect();
    let punct = |k: usize, c: char| matches!(body.get(k), Some(TokenTree::Punct(p)) if p.as_char() == c);
    body.iter()
        .enumerate()
        .filter_map(|(k, tt)| match tt {
            TokenTree::Ident(col) if punct(k + 1, '-') && punct(k + 2, '>') => {
                Some((col.to_string().trim_start_matches("r#").to_string(), col.span()))
            }
            _ => None,
        })
        .collect()
}

/// Which bare names are Diesel tables and columns: those of a
/// `use schema::users::dsl::*` glob, and those imported by name from a
/// `dsl` module (`use schema::users::dsl::{users, email}`).
pub(super) struct Dsl<'a> {
    /// Tables whose dsl module is glob-imported.
    pub globs: &'a [String],
    /// The file's imports: local name → path.
    pub uses: &'a std::collections::HashMap<String, String>,
}

impl Dsl<'_> {
    /// `(table, name)` when a bare name comes from a table's dsl module.
    fn named(&self, name: &str) -> Option<(String, String)> {
        let path = self.uses.get(name)?;
        let mut rev = path.rsplit('.');
        let (item, dsl, table) = (rev.next()?, rev.next()?, rev.next()?);
        (dsl == "dsl").then(|| (table.to_string(), item.to_string()))
    }

    /// Whether a bare name is a table.
    fn table(&self, name: &str) -> bool {
        match self.named(name) {
            Some((table, item)) => table == item,
            None => self.globs.iter().any(|g| g == name),
        }
    }

    /// The table of a bare column name.
    fn column_table(&self, name: &str) -> Option<String> {
        match (self.named(name), self.globs) {
            (Some((table, item)), _) if table != item => Some(table),
            (Some(_), _) => None,
            (None, [table]) => Some(table.clone()),
            _ => None,
        }
    }
}

/// What a Diesel expression names: tables (`users::table`, or `users` from
/// a dsl import) and assigned columns (`userbase::email.eq(..)`), each with
/// its identifier's span.
#[derive(Default)]
pub(super) struct Refs {
    pub tables: Vec<(String, PmSpan)>,
    pub assignments: Vec<((String, PmSpan), (String, PmSpan))>,
}

impl Refs {
    /// Collect below `expr`; `dsl` says which bare names are tables and columns.
    pub fn collect(&mut self, expr: &Expr, dsl: &Dsl<'_>) {
        match expr {
            Expr::Path(p) => {
                let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
                match segs.as_slice() {
                    [.., t, last] if last.ident == "table" => {
                        self.tables.push((t.ident.to_string(), t.ident.span()));
                    }
                    [one] if dsl.table(&one.ident.to_string()) => {
                        self.tables.push((one.ident.to_string(), one.ident.span()));
                    }
                    _ => {}
                }
            }
            Expr::MethodCall(m) => {
                if m.method == "eq" {
                    if let Some(assigned) = column(&m.receiver, dsl) {
                        self.assignments.push(assigned);
                    }
                }
                self.collect(&m.receiver, dsl);
                for a in &m.args {
                    self.collect(a, dsl);
                }
            }
            Expr::Call(c) => {
                for a in &c.args {
                    self.collect(a, dsl);
                }
            }
            Expr::Tuple(t) => {
                for e in &t.elems {
                    self.collect(e, dsl);
                }
            }
            Expr::Reference(r) => self.collect(&r.expr, dsl),
            Expr::Paren(p) => self.collect(&p.expr, dsl),
            _ => {}
        }
    }
}

/// `t::col` → (t, col); a bare `col` of a table's dsl module.
fn column(expr: &Expr, dsl: &Dsl<'_>) -> Option<((String, PmSpan), (String, PmSpan))> {
    let Expr::Path(p) = expr else { return None };
    let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
    match segs.as_slice() {
        [.., t, col] => Some(((t.ident.to_string(), t.ident.span()), (col.ident.to_string(), col.ident.span()))),
        [col] => {
            let table = dsl.column_table(&col.ident.to_string())?;
            Some(((table, col.ident.span()), (col.ident.to_string(), col.ident.span())))
        }
        _ => None,
    }
}
