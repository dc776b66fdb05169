//! The SQL dialects authguard reads: their names, how each maps to a
//! `sqlparser` dialect, and how a file's path names one.

use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};

use crate::facts::FactKind;
use crate::source::LineIndex;

/// The SQL dialects a policy may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
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
    /// CockroachDB: read as PostgreSQL, whose syntax it speaks; kept apart
    /// so messages name the database the user wrote for.
    Cockroach,
}

/// Every spelling a policy or a path may use, with the dialect it names.
/// The first spelling of each dialect is its canonical (policy) name.
const NAMES: &[(&str, SqlDialect)] = &[
    ("postgres", SqlDialect::Postgres),
    ("postgresql", SqlDialect::Postgres),
    ("pg", SqlDialect::Postgres),
    ("mysql", SqlDialect::Mysql),
    ("mariadb", SqlDialect::Mysql),
    ("sqlite", SqlDialect::Sqlite),
    ("sqlite3", SqlDialect::Sqlite),
    ("cockroach", SqlDialect::Cockroach),
    ("cockroachdb", SqlDialect::Cockroach),
    ("generic", SqlDialect::Generic),
];

impl SqlDialect {
    /// Every dialect, in the order a file that fails in its own is tried in
    /// the others (CockroachDB reads as PostgreSQL, so is never a second try).
    pub const ALL: [SqlDialect; 5] =
        [SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite, SqlDialect::Generic, SqlDialect::Cockroach];

    /// The dialect a name stands for, case-insensitively: a policy value or
    /// a database's name (`postgresql`, `pg`, `mariadb`, `sqlite3`, ...).
    pub fn from_name(name: &str) -> Option<SqlDialect> {
        NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, d)| *d)
    }

    /// The dialect a database's name stands for: [`SqlDialect::from_name`]
    /// without `generic`, which names no database (a folder called
    /// `generic` says nothing about SQL).
    pub fn of_database(name: &str) -> Option<SqlDialect> {
        Self::from_name(name).filter(|d| *d != SqlDialect::Generic)
    }

    /// The canonical name, as a policy writes it.
    pub fn name(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "postgres",
            SqlDialect::Mysql => "mysql",
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Generic => "generic",
            SqlDialect::Cockroach => "cockroach",
        }
    }

    /// The name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "PostgreSQL",
            SqlDialect::Mysql => "MySQL",
            SqlDialect::Sqlite => "SQLite",
            SqlDialect::Generic => "generic SQL",
            SqlDialect::Cockroach => "CockroachDB",
        }
    }

    /// Whether two dialects read SQL the same way (CockroachDB is PostgreSQL
    /// to the parser).
    pub fn reads_like(self, other: SqlDialect) -> bool {
        self.parser_family() == other.parser_family()
    }

    fn parser_family(self) -> SqlDialect {
        match self {
            SqlDialect::Cockroach => SqlDialect::Postgres,
            d => d,
        }
    }

    /// The `sqlparser` dialect that reads this one.
    pub(crate) fn parser_dialect(self) -> Box<dyn Dialect> {
        match self {
            SqlDialect::Postgres | SqlDialect::Cockroach => Box::new(PostgreSqlDialect {}),
            SqlDialect::Mysql => Box::new(MySqlDialect {}),
            SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
            SqlDialect::Generic => Box::new(GenericDialect {}),
        }
    }
}

/// Where a path names a database, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDialect {
    /// The dialect named.
    pub dialect: SqlDialect,
    /// The folder name or file-name part that names it, as written.
    pub part: String,
}

/// The dialect a `/`-separated path names, if any: a folder whose whole name
/// is a database's (`migrations/mysql/0001.sql`), or a dot-separated part of
/// the file name (`0001_init.mysql.up.sql`, `0001_init.sql.postgres`).
///
/// Only whole names count: `pgadmin/`, `upgrade.sql` and `postgres_exporter/`
/// name nothing. The part nearest the file wins: the file name's parts (the
/// last first), then the folders from the innermost out, so
/// `db/postgres/legacy/mysql/x.sql` is MySQL.
pub fn dialect_of_path(path: &str) -> Option<PathDialect> {
    let mut segments = path.split(['/', '\\']).filter(|s| !s.is_empty()).rev();
    let file = segments.next()?;
    // A leading dot hides a file (`.mysql`), it does not split off a part.
    let file_parts = file.strip_prefix('.').unwrap_or(file).split('.').rev();
    file_parts
        .chain(segments)
        .find_map(|part| SqlDialect::of_database(part).map(|dialect| PathDialect { dialect, part: part.to_string() }))
}

/// The dialect named by the last extension of a file named
/// `*.sql.<dialect>` (`0001_init.sql.postgres`): such a file is SQL.
pub fn sql_file_suffix(file_name: &str) -> Option<SqlDialect> {
    let (rest, last) = file_name.rsplit_once('.')?;
    let (stem, sql) = rest.rsplit_once('.')?;
    if stem.is_empty() || !sql.eq_ignore_ascii_case("sql") {
        return None;
    }
    SqlDialect::of_database(last)
}

/// The dialects other than `failed` that read `sql` without an unparsable
/// statement, most specific first: PostgreSQL, MySQL, SQLite, and generic
/// SQL only when none of those does (it reads much that no database does).
pub fn readers(sql: &str, lines: &LineIndex, failed: SqlDialect) -> Vec<SqlDialect> {
    let reads = |d: SqlDialect| {
        !super::lower_indexed(sql, lines, d).facts.iter().any(|f| matches!(f.kind, FactKind::Unparsable { .. }))
    };
    let others = |list: &[SqlDialect]| -> Vec<SqlDialect> {
        list.iter().copied().filter(|d| !d.reads_like(failed) && reads(*d)).collect()
    };
    let specific = others(&[SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite]);
    if specific.is_empty() {
        others(&[SqlDialect::Generic])
    } else {
        specific
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_case_insensitively_and_round_trip() {
        for (name, dialect) in [
            ("postgres", SqlDialect::Postgres),
            ("PostgreSQL", SqlDialect::Postgres),
            ("PG", SqlDialect::Postgres),
            ("MySQL", SqlDialect::Mysql),
            ("mariadb", SqlDialect::Mysql),
            ("SQLite3", SqlDialect::Sqlite),
            ("cockroach", SqlDialect::Cockroach),
            ("CockroachDB", SqlDialect::Cockroach),
            ("generic", SqlDialect::Generic),
        ] {
            assert_eq!(SqlDialect::from_name(name), Some(dialect), "{name}");
        }
        for unknown in ["oracle", "mssql", "postgre", "sql", "", "my sql"] {
            assert_eq!(SqlDialect::from_name(unknown), None, "{unknown}");
        }
        assert_eq!(SqlDialect::of_database("generic"), None);
        for d in SqlDialect::ALL {
            assert_eq!(SqlDialect::from_name(d.name()), Some(d));
            assert!(!d.display_name().is_empty());
        }
        assert_eq!(SqlDialect::Cockroach.display_name(), "CockroachDB");
        assert!(SqlDialect::Cockroach.reads_like(SqlDialect::Postgres));
        assert!(!SqlDialect::Mysql.reads_like(SqlDialect::Postgres));
    }

    #[test]
    fn a_path_names_a_dialect_by_a_whole_folder_or_file_name_part() {
        let cases: &[(&str, Option<SqlDialect>)] = &[
            ("migrations/mysql/0001.sql", Some(SqlDialect::Mysql)),
            ("db/MariaDB/0001.sql", Some(SqlDialect::Mysql)),
            ("migrations/sqlite/0001_init.sql", Some(SqlDialect::Sqlite)),
            ("sqlite3/schema.sql", Some(SqlDialect::Sqlite)),
            ("migrations/postgresql/0001.sql", Some(SqlDialect::Postgres)),
            ("migrations/pg/0001.sql", Some(SqlDialect::Postgres)),
            ("deploy/cockroach/0001.sql", Some(SqlDialect::Cockroach)),
            ("0001_init.mysql.up.sql", Some(SqlDialect::Mysql)),
            ("0001_init.sql.postgres", Some(SqlDialect::Postgres)),
            ("0001_init.sql.SQLITE", Some(SqlDialect::Sqlite)),
            ("schema/pg.sql", Some(SqlDialect::Postgres)),
            ("app/db/sqlite.py", Some(SqlDialect::Sqlite)),
            ("windows\\mysql\\0001.sql", Some(SqlDialect::Mysql)),
            (".mysql", Some(SqlDialect::Mysql)),
            // The part nearest the file wins.
            ("db/postgres/legacy/mysql/x.sql", Some(SqlDialect::Mysql)),
            ("mysql/0001.sqlite.sql", Some(SqlDialect::Sqlite)),
            ("0001.mysql.sql.postgres", Some(SqlDialect::Postgres)),
            // Substrings and compound names never count.
            ("pgadmin/0001.sql", None),
            ("upgrade/0001.sql", None),
            ("migrations/0002_upgrade.sql", None),
            ("postgres_exporter/queries.sql", None),
            ("mysql-legacy/0001.sql", None),
            ("mysql_0001.sql", None),
            ("db/postgres-16/0001.sql", None),
            ("tools/pg_dump/x.sql", None),
            ("tools/sqlite-utils/x.sql", None),
            ("mysqlx/0001.sql", None),
            ("generic/0001.sql", None),
            ("migrations/0001.sql", None),
            ("", None),
            ("/", None),
        ];
        for (path, expected) in cases {
            assert_eq!(dialect_of_path(path).map(|d| d.dialect), *expected, "{path}");
        }
        let found = dialect_of_path("migrations/MySQL/0001.sql").unwrap();
        assert_eq!(found.part, "MySQL");
    }

    #[test]
    fn sql_files_may_end_in_a_dialect_name() {
        assert_eq!(sql_file_suffix("0001_init.sql.postgres"), Some(SqlDialect::Postgres));
        assert_eq!(sql_file_suffix("a.SQL.MySQL"), Some(SqlDialect::Mysql));
        assert_eq!(sql_file_suffix("a.sql.pg"), Some(SqlDialect::Postgres));
        assert_eq!(sql_file_suffix("a.sql.sqlite3"), Some(SqlDialect::Sqlite));
        assert_eq!(sql_file_suffix("a.sql.cockroach"), Some(SqlDialect::Cockroach));
        for not in ["a.sql", "a.sql.orig", "a.sql.generic", ".sql.mysql", "sql.mysql", "a.mysql", "a.sqlx.mysql", ""] {
            assert_eq!(sql_file_suffix(not), None, "{not}");
        }
    }

    #[test]
    fn a_file_that_fails_is_tried_in_the_other_dialects() {
        let read = |sql: &str, failed| readers(sql, &LineIndex::new(sql), failed);
        let mysql = "UPDATE `userbase` SET `plan` = 'free' ORDER BY `id` LIMIT 10;\n";
        assert_eq!(read(mysql, SqlDialect::Postgres), vec![SqlDialect::Mysql]);
        assert_eq!(read(mysql, SqlDialect::Cockroach), vec![SqlDialect::Mysql]);
        // Every dialect that reads it is named, most specific first.
        let backticks = "CREATE TABLE `userbase` (`id` int PRIMARY KEY);\n";
        assert_eq!(read(backticks, SqlDialect::Postgres), vec![SqlDialect::Mysql, SqlDialect::Sqlite]);
        let sqlite = "SELECT id FROM userbase WHERE name GLOB 'a*';\n";
        assert_eq!(read(sqlite, SqlDialect::Postgres), vec![SqlDialect::Sqlite]);
        // The dialect that failed is never suggested, nor its twin.
        let pg = "SELECT id FROM userbase WHERE data ? 'k';\n";
        assert!(!read(pg, SqlDialect::Cockroach).contains(&SqlDialect::Postgres));
        assert_eq!(read("ALTER TABLE userbase ADD COLUMN;\n", SqlDialect::Postgres), Vec::<SqlDialect>::new());
    }

    /// What each `sqlparser` dialect makes of syntax the fixtures rely on.
    #[test]
    fn each_dialect_reads_its_own_syntax() {
        use sqlparser::parser::Parser;
        let parses = |d: SqlDialect, sql: &str| Parser::parse_sql(d.parser_dialect().as_ref(), sql).is_ok();
        let backticks = "CREATE TABLE `userbase` (`id` int PRIMARY KEY, `password_hash` varchar(255));";
        assert!(parses(SqlDialect::Mysql, backticks));
        assert!(!parses(SqlDialect::Postgres, backticks));
        let key = "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);";
        assert!(parses(SqlDialect::Sqlite, key) && parses(SqlDialect::Postgres, key));
        assert!(!parses(SqlDialect::Mysql, key) && !parses(SqlDialect::Generic, key));
        let sqlite_only = "SELECT id FROM userbase WHERE name GLOB 'a*';";
        assert!(SqlDialect::ALL.iter().all(|d| parses(*d, sqlite_only) == (*d == SqlDialect::Sqlite)));
        assert!(parses(SqlDialect::Cockroach, "CREATE TABLE t (id UUID DEFAULT gen_random_uuid() PRIMARY KEY);"));
    }
}
