//! Which database a Rust file's SQL strings are written for, as far as its
//! code says: the driver crates and types it names (`rusqlite`, sqlx's
//! `Sqlite` / `SqlitePool` / `MySqlPool` / `PgPool`, Diesel's `sqlite` /
//! `mysql` / `pg` backends, the `mysql` and `postgres` crates).
//!
//! A SQL string takes the dialect of the driver it is given to where the call
//! says it (a typed executor, a turbofish), else the file's when the file
//! names exactly one family of drivers, else the policy's.

use std::collections::{BTreeSet, HashMap};

use syn::visit::Visit;

use crate::frontend::SqlDialect;

/// Crates that speak to one database only.
const CRATES: &[(&str, SqlDialect)] = &[
    ("rusqlite", SqlDialect::Sqlite),
    ("tokio_rusqlite", SqlDialect::Sqlite),
    ("r2d2_sqlite", SqlDialect::Sqlite),
    ("deadpool_sqlite", SqlDialect::Sqlite),
    ("async_sqlite", SqlDialect::Sqlite),
    ("libsql", SqlDialect::Sqlite),
    ("mysql", SqlDialect::Mysql),
    ("mysql_async", SqlDialect::Mysql),
    ("r2d2_mysql", SqlDialect::Mysql),
    ("postgres", SqlDialect::Postgres),
    ("tokio_postgres", SqlDialect::Postgres),
    ("deadpool_postgres", SqlDialect::Postgres),
    ("bb8_postgres", SqlDialect::Postgres),
    ("r2d2_postgres", SqlDialect::Postgres),
];

/// Crates that speak to several databases, and say which by a module
/// (`sqlx::sqlite`, `diesel::pg`) or a type (`SqlitePool`, `PgConnection`).
const MULTI: &[&str] = &["sqlx", "diesel", "sea_orm", "sea_query", "diesel_async", "deadpool_diesel"];

/// The dialect a `.`-separated path (resolved through `use`) belongs to.
pub(super) fn dialect_of_path(path: &str) -> Option<SqlDialect> {
    let mut segments = path.split('.');
    let first = segments.next()?;
    if let Some((_, d)) = CRATES.iter().find(|(c, _)| *c == first) {
        return Some(*d);
    }
    if MULTI.contains(&first) {
        return segments.find_map(|s| module_dialect(s).or_else(|| type_dialect(s)));
    }
    // A bare type name brought in by a glob (`use sqlx::*`): `SqlitePool`.
    if path.contains('.') {
        None
    } else {
        type_dialect(first)
    }
}

/// `sqlx::sqlite`, `diesel::mysql`, `diesel::pg`.
fn module_dialect(segment: &str) -> Option<SqlDialect> {
    match segment {
        "sqlite" => Some(SqlDialect::Sqlite),
        "mysql" => Some(SqlDialect::Mysql),
        "pg" | "postgres" => Some(SqlDialect::Postgres),
        _ => None,
    }
}

/// `Sqlite`, `SqlitePool`, `MySql`, `MysqlConnection`, `Postgres`, `PgPool`:
/// the database's name as a whole word at the start of a type's name.
fn type_dialect(segment: &str) -> Option<SqlDialect> {
    let word = |prefix: &str| {
        segment
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase()))
    };
    if word("Sqlite") {
        Some(SqlDialect::Sqlite)
    } else if word("MySql") || word("Mysql") {
        Some(SqlDialect::Mysql)
    } else if segment == "Postgres"
        || word("Postgres")
        || segment.strip_prefix("Pg").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        Some(SqlDialect::Postgres)
    } else {
        None
    }
}

/// The one dialect a set of families names, if exactly one.
fn only(found: BTreeSet<SqlDialect>) -> Option<SqlDialect> {
    let mut it = found.into_iter();
    match (it.next(), it.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Every path below a node, resolved through `use`, by the dialect it names.
struct Paths<'u> {
    uses: &'u HashMap<String, String>,
    found: BTreeSet<SqlDialect>,
}

impl Paths<'_> {
    fn resolve(&self, path: &syn::Path) -> String {
        let mut segments = path.segments.iter().map(|s| s.ident.to_string());
        let Some(first) = segments.next() else { return String::new() };
        let mut out = self.uses.get(&first).cloned().unwrap_or(first);
        for s in segments {
            out.push('.');
            out.push_str(&s);
        }
        out
    }
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if let Some(d) = dialect_of_path(&self.resolve(path)) {
            self.found.insert(d);
        }
        syn::visit::visit_path(self, path);
    }
}

/// The dialect of a file's SQL when it names exactly one family of drivers,
/// in its `use` items or anywhere in its code.
pub(super) fn file_dialect(file: &syn::File, uses: &HashMap<String, String>) -> Option<SqlDialect> {
    let mut paths = Paths { uses, found: BTreeSet::new() };
    paths.found.extend(uses.values().filter_map(|p| dialect_of_path(p)));
    paths.visit_file(file);
    only(paths.found)
}

/// The dialect a type names, when it names one family: `&SqlitePool`,
/// `Pool<Sqlite>`, `&mut rusqlite::Connection`.
pub(super) fn type_dialect_of(ty: &syn::Type, uses: &HashMap<String, String>) -> Option<SqlDialect> {
    let mut paths = Paths { uses, found: BTreeSet::new() };
    paths.visit_type(ty);
    only(paths.found)
}

/// The dialect of a path's generic arguments (`query::<Sqlite>`,
/// `query_as::<MySql, User>`), when they name one family.
pub(super) fn generics_dialect(path: &syn::Path, uses: &HashMap<String, String>) -> Option<SqlDialect> {
    let mut paths = Paths { uses, found: BTreeSet::new() };
    for segment in &path.segments {
        paths.visit_path_arguments(&segment.arguments);
    }
    only(paths.found)
}

/// Struct fields whose type names one family of drivers (`pool: SqlitePool`),
/// by field name; a name typed differently in two structs is left out.
pub(super) fn field_dialects(file: &syn::File, uses: &HashMap<String, String>) -> HashMap<String, SqlDialect> {
    struct Fields<'u> {
        uses: &'u HashMap<String, String>,
        found: HashMap<String, Option<SqlDialect>>,
    }
    impl<'ast> Visit<'ast> for Fields<'_> {
        fn visit_field(&mut self, field: &'ast syn::Field) {
            if let Some(name) = &field.ident {
                if let Some(d) = type_dialect_of(&field.ty, self.uses) {
                    let entry = self.found.entry(name.to_string()).or_insert(Some(d));
                    if *entry != Some(d) {
                        *entry = None;
                    }
                }
            }
            syn::visit::visit_field(self, field);
        }
    }
    let mut fields = Fields { uses, found: HashMap::new() };
    fields.visit_file(file);
    fields.found.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_database() {
        let cases: &[(&str, Option<SqlDialect>)] = &[
            ("rusqlite.Connection", Some(SqlDialect::Sqlite)),
            ("rusqlite.Connection.open", Some(SqlDialect::Sqlite)),
            ("sqlx.Sqlite", Some(SqlDialect::Sqlite)),
            ("sqlx.SqlitePool", Some(SqlDialect::Sqlite)),
            ("sqlx.sqlite.SqliteConnectOptions", Some(SqlDialect::Sqlite)),
            ("sqlx.MySqlPool", Some(SqlDialect::Mysql)),
            ("sqlx.mysql.MySqlPoolOptions", Some(SqlDialect::Mysql)),
            ("sqlx.PgPool", Some(SqlDialect::Postgres)),
            ("sqlx.Postgres", Some(SqlDialect::Postgres)),
            ("sqlx.postgres.PgPoolOptions", Some(SqlDialect::Postgres)),
            ("diesel.sqlite.SqliteConnection", Some(SqlDialect::Sqlite)),
            ("diesel.SqliteConnection", Some(SqlDialect::Sqlite)),
            ("diesel.mysql.MysqlConnection", Some(SqlDialect::Mysql)),
            ("diesel.pg.PgConnection", Some(SqlDialect::Postgres)),
            ("sea_orm.DbBackend.Sqlite", Some(SqlDialect::Sqlite)),
            ("mysql.Pool", Some(SqlDialect::Mysql)),
            ("postgres.Client", Some(SqlDialect::Postgres)),
            ("tokio_postgres.Client", Some(SqlDialect::Postgres)),
            ("SqlitePool", Some(SqlDialect::Sqlite)),
            ("PgConnection", Some(SqlDialect::Postgres)),
            // Names that merely contain a database's name, and shared types.
            ("sqlx.Pool", None),
            ("sqlx.query", None),
            ("sqlx.AnyPool", None),
            ("diesel.sql_query", None),
            ("crate.sqlite_helpers.open", None),
            ("app.mysql.Pool", None),
            ("Sqlites", None),
            ("Pgx", None),
            ("Page", None),
            ("MySqlish", None),
            ("PostgresStore", Some(SqlDialect::Postgres)),
        ];
        for (path, expected) in cases {
            assert_eq!(dialect_of_path(path), *expected, "{path}");
        }
    }

    fn parse(src: &str) -> (syn::File, HashMap<String, String>) {
        let file = syn::parse_file(src).unwrap();
        let uses = crate::frontend::rust::items::collect(&file).uses;
        (file, uses)
    }

    #[test]
    fn a_file_has_a_dialect_when_it_names_one_family() {
        let (f, u) = parse("use sqlx::SqlitePool;\nasync fn f(p: &SqlitePool) {}\n");
        assert_eq!(file_dialect(&f, &u), Some(SqlDialect::Sqlite));
        let (f, u) = parse("async fn f(p: &sqlx::Pool<sqlx::MySql>) {}\n");
        assert_eq!(file_dialect(&f, &u), Some(SqlDialect::Mysql));
        let (f, u) = parse("use rusqlite::Connection;\nuse sqlx::PgPool;\n");
        assert_eq!(file_dialect(&f, &u), None, "two families: no file dialect");
        let (f, u) = parse("use sqlx::Pool;\nfn f() {}\n");
        assert_eq!(file_dialect(&f, &u), None);
    }

    #[test]
    fn types_generics_and_fields_name_a_family() {
        let (f, u) = parse(
            "use sqlx::{Pool, Sqlite};\nstruct State { pool: Pool<Sqlite>, pg: sqlx::PgPool, name: String }\nstruct Other { pool: sqlx::PgPool }\nfn f() { sqlx::query_as::<Sqlite, User>(\"\"); }\n",
        );
        let fields = field_dialects(&f, &u);
        assert_eq!(fields.get("pg"), Some(&SqlDialect::Postgres));
        assert_eq!(fields.get("pool"), None, "typed differently in two structs");
        assert_eq!(fields.get("name"), None);
        let ty: syn::Type = syn::parse_str("&mut Pool<Sqlite>").unwrap();
        assert_eq!(type_dialect_of(&ty, &u), Some(SqlDialect::Sqlite));
        let path: syn::Path = syn::parse_str("sqlx::query_as::<Sqlite, User>").unwrap();
        assert_eq!(generics_dialect(&path, &u), Some(SqlDialect::Sqlite));
        let path: syn::Path = syn::parse_str("sqlx::query_as::<_, User>").unwrap();
        assert_eq!(generics_dialect(&path, &u), None);
    }

    /// How many of a file's SQL strings are unparsable, lowered with `policy` as its dialect.
    fn unparsable(src: &str, policy: SqlDialect) -> usize {
        let lines = crate::source::LineIndex::new(src);
        let out = super::super::lower(src, &lines, policy, "m");
        out.facts.iter().filter(|f| matches!(f.kind, crate::facts::FactKind::Unparsable { .. })).count()
    }

    const GLOB: &str = "DELETE FROM app_settings WHERE key GLOB 'tmp.*'";
    const AFTER: &str = "ALTER TABLE orders ADD COLUMN note text AFTER total";

    #[test]
    fn without_a_driver_sql_strings_take_the_policy_dialect() {
        let src = format!("fn f(c: &Client) {{ c.execute(\"{GLOB}\", &[]); }}\n");
        assert_eq!(unparsable(&src, SqlDialect::Postgres), 1);
        assert_eq!(unparsable(&src, SqlDialect::Sqlite), 0);
    }

    #[test]
    fn a_file_of_one_driver_family_reads_its_sql_in_that_dialect() {
        for src in [
            format!("use rusqlite::Connection;\nfn f(c: &Connection) {{ c.execute(\"{GLOB}\", []).unwrap(); }}\n"),
            format!("use sqlx::SqlitePool;\nasync fn f(p: &SqlitePool) {{ sqlx::query(\"{GLOB}\").execute(p).await; }}\n"),
            format!("use sqlx::SqlitePool;\nconst Q: &str = \"{GLOB}\";\nasync fn f() {{ sqlx::query!(Q); }}\n"),
            format!("use diesel::sqlite::SqliteConnection;\nfn f(c: &mut SqliteConnection) {{ diesel::sql_query(\"{GLOB}\").execute(c); }}\n"),
            format!("fn f() {{ let c = rusqlite::Connection::open(\"x\").unwrap(); c.execute(\"{GLOB}\", []); }}\n"),
        ] {
            assert_eq!(unparsable(&src, SqlDialect::Postgres), 0, "{src}");
        }
        let mysql = format!(
            "use sqlx::MySqlPool;\nasync fn f(p: &MySqlPool) {{ sqlx::query(\"{AFTER}\").execute(p).await; }}\n"
        );
        assert_eq!(unparsable(&mysql, SqlDialect::Postgres), 0);
        let diesel_mysql = format!("use diesel::mysql::MysqlConnection;\nfn f(c: &mut MysqlConnection) {{ diesel::sql_query(\"{AFTER}\").execute(c); }}\n");
        assert_eq!(unparsable(&diesel_mysql, SqlDialect::Sqlite), 0);
    }

    #[test]
    fn with_two_families_each_call_takes_its_driver_dialect() {
        let src = format!(
            "use sqlx::{{MySqlPool, SqlitePool, Sqlite}};\n\
             struct State {{ cache: SqlitePool }}\n\
             async fn f(lite: &SqlitePool, my: &MySqlPool, state: &State) {{\n\
             sqlx::query(\"{GLOB}\").bind(1).execute(lite).await;\n\
             sqlx::query(\"{AFTER}\").execute(&*my).await;\n\
             sqlx::query_as::<Sqlite, Row>(\"{GLOB}\").fetch_all(&mut conn).await;\n\
             sqlx::query(\"{GLOB}\").execute(&state.cache).await;\n\
             let mut conn = lite.acquire().await.unwrap();\n\
             sqlx::query(\"{GLOB}\").execute(&mut *conn).await;\n\
             }}\n"
        );
        assert_eq!(unparsable(&src, SqlDialect::Postgres), 0);
        // The same SQL given to the MySQL pool is MySQL's, and fails.
        let wrong = format!(
            "use sqlx::{{MySqlPool, SqlitePool}};\nasync fn f(lite: &SqlitePool, my: &MySqlPool) {{ sqlx::query(\"{GLOB}\").execute(my).await; }}\n"
        );
        assert_eq!(unparsable(&wrong, SqlDialect::Sqlite), 1);
        // A call that says nothing falls back to the policy's dialect.
        let unsaid = format!(
            "use sqlx::{{MySqlPool, SqlitePool}};\nasync fn f(x: &Unknown) {{ sqlx::query(\"{GLOB}\").execute(x).await; }}\n"
        );
        assert_eq!(unparsable(&unsaid, SqlDialect::Postgres), 1);
        assert_eq!(unparsable(&unsaid, SqlDialect::Sqlite), 0);
        // A variable's driver ends with its function.
        let scoped = format!(
            "use sqlx::{{MySqlPool, SqlitePool}};\nasync fn a(p: &SqlitePool) {{}}\nasync fn b(p: &MySqlPool) {{}}\nasync fn c(p: &Unknown) {{ sqlx::query(\"{GLOB}\").execute(p).await; }}\n"
        );
        assert_eq!(unparsable(&scoped, SqlDialect::Postgres), 1);
    }
}
