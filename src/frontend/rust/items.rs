//! A first pass over a Rust file's items: what later expressions need to
//! know before they are met.
//!
//! - `use` items anywhere in the file: local name → path, and the traits
//!   and globs in scope (for trait-method calls);
//! - `const` / `static` string items, so SQL passed by name is followed;
//! - structs that map a table: Diesel `#[diesel(table_name = t)]` (and the
//!   older `#[table_name = "t"]`), SeaORM `#[sea_orm(table_name = "t")]`
//!   entities, sqlx `FromRow` structs (their table comes later, from a query
//!   in the same file), and `AsChangeset` / `Insertable` derives.

use std::collections::HashMap;

use proc_macro2::{Span as PmSpan, TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, UseTree};

/// A struct that may map a table.
pub(super) struct StructDecl {
    /// The struct's name.
    pub name: String,
    /// Where the name stands.
    pub name_span: PmSpan,
    /// The inline module it sits in (`mod user { .. }`), if any.
    pub module: Option<String>,
    /// The table named by a Diesel or SeaORM attribute, with its span.
    pub table: Option<(String, PmSpan)>,
    /// Mapped by a SeaORM attribute (its class is its module).
    pub sea_orm: bool,
    /// `#[derive(FromRow)]`.
    pub from_row: bool,
    /// `#[derive(AsChangeset)]`: a literal of it is a set of writes.
    pub changeset: bool,
    /// Columns its fields map, with the field identifiers' spans.
    pub fields: Vec<(String, PmSpan)>,
}

/// What the first pass learned.
#[derive(Default)]
pub(super) struct Items {
    /// Local name → `.`-separated path.
    pub uses: HashMap<String, String>,
    /// Imported traits and types (capitalised) and globs (`a.b.*`).
    pub imports: Vec<(String, PmSpan)>,
    /// `const` / `static` string items by name.
    pub consts: HashMap<String, LitStr>,
    /// Structs with a mapping attribute or derive, in file order.
    pub structs: Vec<StructDecl>,
    /// Other structs of the file: a name declared here is not a model
    /// of the same name declared elsewhere (a DTO `User` is not the model).
    pub plain: std::collections::HashSet<String>,
}

/// Run the first pass.
pub(super) fn collect(file: &syn::File) -> Items {
    let mut c = Collector { items: Items::default(), modules: Vec::new() };
    c.visit_file(file);
    c.items
}

struct Collector {
    items: Items,
    modules: Vec<String>,
}

impl Collector {
    fn uses(&mut self, tree: &UseTree, prefix: String) {
        let join = |p: &str, s: &str| if p.is_empty() { s.to_string() } else { format!("{p}.{s}") };
        match tree {
            UseTree::Path(p) => self.uses(&p.tree, join(&prefix, &p.ident.to_string())),
            UseTree::Name(n) => {
                let name = n.ident.to_string();
                let path = join(&prefix, &name);
                self.import(&name, &path, n.ident.span());
                self.items.uses.insert(name, path);
            }
            // `use bcrypt::verify as check;`, and `use argon2::PasswordVerifier as _;`
            // which brings a trait's methods into scope without its name.
            UseTree::Rename(r) => {
                let path = join(&prefix, &r.ident.to_string());
                self.import(&r.ident.to_string(), &path, r.ident.span());
                self.items.uses.insert(r.rename.to_string(), path);
            }
            UseTree::Group(g) => {
                for t in &g.items {
                    self.uses(t, prefix.clone());
                }
            }
            UseTree::Glob(g) => self.items.imports.push((join(&prefix, "*"), g.star_token.span)),
        }
    }

    fn import(&mut self, name: &str, path: &str, span: PmSpan) {
        if name.starts_with(|c: char| c.is_ascii_uppercase()) {
            self.items.imports.push((path.to_string(), span));
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.uses(&u.tree, String::new());
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.modules.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.modules.pop();
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        if let Some(s) = string_lit(&c.expr) {
            self.items.consts.insert(c.ident.to_string(), s.clone());
        }
        syn::visit::visit_item_const(self, c);
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        if let Some(s) = string_lit(&c.expr) {
            self.items.consts.insert(c.ident.to_string(), s.clone());
        }
        syn::visit::visit_impl_item_const(self, c);
    }

    fn visit_item_static(&mut self, c: &'ast syn::ItemStatic) {
        if let Some(s) = string_lit(&c.expr) {
            self.items.consts.insert(c.ident.to_string(), s.clone());
        }
        syn::visit::visit_item_static(self, c);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        match struct_decl(s, self.modules.last().cloned()) {
            Some(decl) => self.items.structs.push(decl),
            None => {
                self.items.plain.insert(s.ident.to_string());
            }
        }
        syn::visit::visit_item_struct(self, s);
    }
}

/// A string literal, possibly behind `&`.
pub(super) fn string_lit(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s),
        Expr::Reference(r) => string_lit(&r.expr),
        Expr::Paren(p) => string_lit(&p.expr),
        _ => None,
    }
}

fn struct_decl(s: &syn::ItemStruct, module: Option<String>) -> Option<StructDecl> {
    let derives: Vec<String> =
        s.attrs.iter().flat_map(lists).filter(|(tool, _)| tool == "derive").flat_map(|(_, t)| idents(&t)).collect();
    let has = |d: &str| derives.iter().any(|x| x == d);
    let diesel = s.attrs.iter().find_map(|a| match &a.meta {
        // Diesel 1: `#[table_name = "users"]`.
        Meta::NameValue(nv) if nv.path.is_ident("table_name") => string_lit(&nv.value).map(|l| (l.value(), l.span())),
        _ => attr_value(a, "diesel", "table_name"),
    });
    let sea = s.attrs.iter().find_map(|a| attr_value(a, "sea_orm", "table_name"));
    let from_row = has("FromRow");
    let changeset = has("AsChangeset");
    if diesel.is_none() && sea.is_none() && !from_row && !changeset {
        return None;
    }
    let mut fields = Vec::new();
    for f in &s.fields {
        let Some(ident) = &f.ident else { continue };
        let skipped = f.attrs.iter().any(|a| {
            attr_flag(a, "diesel", "embed")
                || attr_flag(a, "sea_orm", "ignore")
                || attr_flag(a, "sqlx", "skip")
                || attr_flag(a, "sqlx", "flatten")
        });
        if skipped {
            continue;
        }
        let renamed = f.attrs.iter().find_map(|a| {
            attr_value(a, "diesel", "column_name")
                .or_else(|| attr_value(a, "sea_orm", "column_name"))
                .or_else(|| attr_value(a, "sqlx", "rename"))
        });
        let name = renamed.map_or_else(|| ident.to_string().trim_start_matches("r#").to_string(), |(n, _)| n);
        fields.push((name, ident.span()));
    }
    Some(StructDecl {
        name: s.ident.to_string(),
        name_span: s.ident.span(),
        module,
        sea_orm: sea.is_some(),
        table: diesel.or(sea),
        from_row,
        changeset,
        fields,
    })
}

/// The identifiers of a token list, last segment of each path
/// (`derive(Queryable, diesel::Insertable)` → both names and `diesel`).
fn idents(tokens: &TokenStream) -> Vec<String> {
    tokens
        .clone()
        .into_iter()
        .filter_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        })
        .collect()
}

/// The `tool(tokens)` lists of an attribute: itself, or those inside
/// `#[cfg_attr(feature = "full", derive(..), diesel(..))]`, whose
/// attributes apply in the build that matters.
fn lists(attr: &Attribute) -> Vec<(String, TokenStream)> {
    let Meta::List(list) = &attr.meta else { return Vec::new() };
    let Some(tool) = list.path.get_ident().map(|i| i.to_string()) else { return Vec::new() };
    if tool != "cfg_attr" {
        return vec![(tool, list.tokens.clone())];
    }
    let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    tokens
        .windows(2)
        .filter_map(|w| match (&w[0], &w[1]) {
            (TokenTree::Ident(name), TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis => {
                Some((name.to_string(), g.stream()))
            }
            _ => None,
        })
        .collect()
}

/// `#[tool(.., key = value, ..)]`: the value (a string literal's content,
/// or a path's last identifier) and its span.
fn attr_value(attr: &Attribute, tool: &str, key: &str) -> Option<(String, PmSpan)> {
    lists(attr).into_iter().filter(|(t, _)| t == tool).find_map(|(_, tokens)| list_value(tokens, key))
}

fn list_value(tokens: TokenStream, key: &str) -> Option<(String, PmSpan)> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let at = tokens.iter().enumerate().position(|(i, t)| {
        matches!(t, TokenTree::Ident(id) if id == key)
            && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=')
    })?;
    let mut value = None;
    for t in &tokens[at + 2..] {
        match t {
            TokenTree::Punct(p) if p.as_char() == ',' => break,
            TokenTree::Ident(id) => value = Some((id.to_string(), id.span())),
            TokenTree::Literal(l) => {
                if let Ok(Lit::Str(s)) = syn::parse2::<Lit>(TokenTree::Literal(l.clone()).into()) {
                    value = Some((s.value(), s.span()));
                }
            }
            _ => {}
        }
    }
    value
}

/// `#[tool(.., flag, ..)]`.
fn attr_flag(attr: &Attribute, tool: &str, flag: &str) -> bool {
    lists(attr)
        .into_iter()
        .any(|(t, tokens)| t == tool && tokens.into_iter().any(|t| matches!(t, TokenTree::Ident(i) if i == flag)))
}
