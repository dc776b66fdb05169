//! Which database a Python file's SQL strings are written for, as far as its
//! code says: the driver modules it imports and calls (`sqlite3`, `pymysql`,
//! `MySQLdb`, `mysql.connector`, `psycopg`, `psycopg2`, `asyncpg`, ...), an
//! engine's URL (`create_engine("sqlite:///app.db")`), and in Alembic
//! migrations a branch on the connection's dialect
//! (`if op.get_bind().dialect.name == "mysql":`).

use ruff_python_ast::{CmpOp, Expr, UnaryOp};

use crate::frontend::SqlDialect;

/// Driver modules, by their top-level package, and the database each speaks to.
const MODULES: &[(&str, SqlDialect)] = &[
    ("sqlite3", SqlDialect::Sqlite),
    ("aiosqlite", SqlDialect::Sqlite),
    ("pysqlite2", SqlDialect::Sqlite),
    ("apsw", SqlDialect::Sqlite),
    ("pymysql", SqlDialect::Mysql),
    ("MySQLdb", SqlDialect::Mysql),
    ("mysql", SqlDialect::Mysql),
    ("aiomysql", SqlDialect::Mysql),
    ("asyncmy", SqlDialect::Mysql),
    ("mariadb", SqlDialect::Mysql),
    ("psycopg", SqlDialect::Postgres),
    ("psycopg2", SqlDialect::Postgres),
    ("psycopg_pool", SqlDialect::Postgres),
    ("asyncpg", SqlDialect::Postgres),
    ("pg8000", SqlDialect::Postgres),
    ("aiopg", SqlDialect::Postgres),
];

/// The dialect of the driver module a dotted path is in (`sqlite3.connect`,
/// `mysql.connector.connect`), or of a SQLAlchemy dialect module
/// (`sqlalchemy.dialects.postgresql`).
pub(super) fn dialect_of_module(path: &str) -> Option<SqlDialect> {
    if let Some(rest) = path.strip_prefix("sqlalchemy.dialects.") {
        return SqlDialect::of_database(rest.split('.').next().unwrap_or(rest));
    }
    let root = path.split('.').next().unwrap_or(path);
    MODULES.iter().find(|(m, _)| *m == root).map(|(_, d)| *d)
}

/// The dialect of a database URL (`sqlite:///app.db`,
/// `mysql+pymysql://...`, `postgresql+asyncpg://...`).
pub(super) fn dialect_of_url(url: &str) -> Option<SqlDialect> {
    let (scheme, _) = url.split_once(':')?;
    let backend = scheme.split('+').next().unwrap_or(scheme);
    SqlDialect::of_database(backend)
}

/// What a test says of the connection's dialect: the dialect of the branch
/// taken when it holds, and of the one taken when it does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Branch {
    /// When the test holds (`== "mysql"`, `in ("mysql", "mariadb")`).
    pub then: Option<SqlDialect>,
    /// When it does not (`!= "mysql"`).
    pub otherwise: Option<SqlDialect>,
}

/// Whether an expression is a connection's dialect name, as SQLAlchemy
/// spells it: `<anything>.dialect.name` (`op.get_bind().dialect.name`,
/// `context.get_context().dialect.name`) or `<anything>.engine.name`.
pub(super) fn is_dialect_name(expr: &Expr) -> bool {
    let Expr::Attribute(name) = expr else { return false };
    if name.attr.id.as_str() != "name" {
        return false;
    }
    matches!(name.value.as_ref(), Expr::Attribute(a) if matches!(a.attr.id.as_str(), "dialect" | "engine"))
}

/// The dialects a test compares a dialect name with. `names_dialect` says
/// whether an expression is one (a variable that holds one, say).
pub(super) fn branch_of(test: &Expr, names_dialect: &dyn Fn(&Expr) -> bool) -> Branch {
    match test {
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => {
            let inner = branch_of(&u.operand, names_dialect);
            Branch { then: inner.otherwise, otherwise: inner.then }
        }
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
            let (left, right) = (c.left.as_ref(), &c.comparators[0]);
            let other = if names_dialect(left) {
                right
            } else if names_dialect(right) && matches!(c.ops[0], CmpOp::Eq | CmpOp::NotEq) {
                left
            } else {
                return Branch::default();
            };
            let Some(dialect) = compared(other) else { return Branch::default() };
            match c.ops[0] {
                CmpOp::Eq | CmpOp::In => Branch { then: Some(dialect), otherwise: None },
                CmpOp::NotEq | CmpOp::NotIn => Branch { then: None, otherwise: Some(dialect) },
                _ => Branch::default(),
            }
        }
        _ => Branch::default(),
    }
}

/// The one dialect a string, or every string of a tuple, list or set, names.
fn compared(expr: &Expr) -> Option<SqlDialect> {
    let one = |e: &Expr| match e {
        Expr::StringLiteral(s) => SqlDialect::of_database(s.value.to_str()),
        _ => None,
    };
    let items = match expr {
        Expr::Tuple(t) => &t.elts,
        Expr::List(l) => &l.elts,
        Expr::Set(s) => &s.elts,
        other => return one(other),
    };
    let mut dialects = items.iter().map(one);
    let first = dialects.next()??;
    dialects.all(|d| d == Some(first)).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_expression;

    fn branch(src: &str) -> Branch {
        let parsed = parse_expression(src).unwrap();
        let is_var = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "dialect");
        branch_of(parsed.expr(), &|e| is_dialect_name(e) || is_var(e))
    }

    #[test]
    fn modules_and_urls_name_their_database() {
        for (path, d) in [
            ("sqlite3.connect", Some(SqlDialect::Sqlite)),
            ("aiosqlite", Some(SqlDialect::Sqlite)),
            ("mysql.connector.connect", Some(SqlDialect::Mysql)),
            ("MySQLdb.connect", Some(SqlDialect::Mysql)),
            ("pymysql", Some(SqlDialect::Mysql)),
            ("psycopg2.connect", Some(SqlDialect::Postgres)),
            ("psycopg.AsyncConnection.connect", Some(SqlDialect::Postgres)),
            ("asyncpg.create_pool", Some(SqlDialect::Postgres)),
            ("sqlalchemy.dialects.postgresql.JSONB", Some(SqlDialect::Postgres)),
            ("sqlalchemy.dialects.mysql", Some(SqlDialect::Mysql)),
            ("sqlalchemy.create_engine", None),
            ("sqlite_utils", None),
            ("app.mysql", None),
        ] {
            assert_eq!(dialect_of_module(path), d, "{path}");
        }
        for (url, d) in [
            ("sqlite:///app.db", Some(SqlDialect::Sqlite)),
            ("sqlite+aiosqlite:///:memory:", Some(SqlDialect::Sqlite)),
            ("mysql+pymysql://u@h/db", Some(SqlDialect::Mysql)),
            ("mariadb+mariadbconnector://h/db", Some(SqlDialect::Mysql)),
            ("postgresql+asyncpg://h/db", Some(SqlDialect::Postgres)),
            ("postgres://h/db", Some(SqlDialect::Postgres)),
            ("cockroachdb://h/db", Some(SqlDialect::Cockroach)),
            ("mssql+pyodbc://h/db", None),
            ("app.db", None),
        ] {
            assert_eq!(dialect_of_url(url), d, "{url}");
        }
    }

    #[test]
    fn tests_on_the_dialect_name_pick_a_branch() {
        let mysql = Some(SqlDialect::Mysql);
        assert_eq!(branch("op.get_bind().dialect.name == 'mysql'").then, mysql);
        assert_eq!(branch("'mysql' == op.get_bind().dialect.name").then, mysql);
        assert_eq!(branch("context.get_context().dialect.name == 'sqlite'").then, Some(SqlDialect::Sqlite));
        assert_eq!(branch("op.get_context().dialect.name == 'postgresql'").then, Some(SqlDialect::Postgres));
        assert_eq!(branch("bind.engine.name == 'mysql'").then, mysql);
        assert_eq!(branch("dialect == 'mariadb'").then, mysql);
        assert_eq!(branch("bind.dialect.name in ('mysql', 'mariadb')").then, mysql);
        assert_eq!(branch("bind.dialect.name != 'mysql'"), Branch { then: None, otherwise: mysql });
        assert_eq!(branch("bind.dialect.name not in ['mysql']"), Branch { then: None, otherwise: mysql });
        assert_eq!(branch("not bind.dialect.name == 'mysql'"), Branch { then: None, otherwise: mysql });
        // Nothing to go on.
        for unknown in [
            "bind.dialect.name in ('mysql', 'sqlite')",
            "bind.dialect.name == 'mssql'",
            "bind.dialect.name == other",
            "user.name == 'mysql'",
            "bind.dialect.name.startswith('mysql')",
            "x == 'mysql'",
            "'mysql' in bind.dialect.name",
        ] {
            assert_eq!(branch(unknown), Branch::default(), "{unknown}");
        }
    }

    /// How many of a file's SQL strings are unparsable, lowered with `policy` as its dialect.
    fn unparsable(src: &str, policy: SqlDialect) -> usize {
        let out = super::super::lower(src, policy);
        out.facts.iter().filter(|f| matches!(f.kind, crate::facts::FactKind::Unparsable { .. })).count()
    }

    const GLOB: &str = "DELETE FROM app_settings WHERE key GLOB 'tmp.*'";
    const AFTER: &str = "UPDATE orders SET note = 'x' ORDER BY id LIMIT 10";

    #[test]
    fn sql_strings_take_the_dialect_of_their_driver() {
        let file = format!(
            "import sqlite3\n\ndef prune(path):\n    conn = sqlite3.connect(path)\n    conn.execute(\"{GLOB}\")\n"
        );
        assert_eq!(unparsable(&file, SqlDialect::Postgres), 0, "one family: the file's");
        let two = format!(
            "import sqlite3\nimport pymysql\n\n\
             def f():\n\
             \x20   lite = sqlite3.connect('x.db')\n\
             \x20   cur = lite.cursor()\n\
             \x20   cur.execute(\"{GLOB}\")\n\
             \x20   my = pymysql.connect(host='db')\n\
             \x20   my.cursor().execute(\"{AFTER}\")\n\
             \x20   with sqlite3.connect('y.db') as other:\n\
             \x20       other.execute(\"{GLOB}\")\n"
        );
        assert_eq!(unparsable(&two, SqlDialect::Postgres), 0);
        let wrong = format!("import sqlite3\nimport pymysql\n\ndef f():\n    my = pymysql.connect()\n    my.cursor().execute(\"{GLOB}\")\n");
        assert_eq!(unparsable(&wrong, SqlDialect::Sqlite), 1, "the call's driver beats the policy");
        let engine = format!(
            "from sqlalchemy import create_engine, text\n\n\
             engine = create_engine('sqlite:///cache.db')\n\n\
             def f():\n\
             \x20   with engine.connect() as conn:\n\
             \x20       conn.execute(text(\"{GLOB}\"))\n"
        );
        assert_eq!(unparsable(&engine, SqlDialect::Postgres), 0);
        let unsaid = format!("def f(conn):\n    conn.execute(\"{GLOB}\")\n");
        assert_eq!(unparsable(&unsaid, SqlDialect::Postgres), 1);
        assert_eq!(unparsable(&unsaid, SqlDialect::Sqlite), 0);
    }

    #[test]
    fn alembic_sql_under_a_dialect_branch_is_read_in_that_dialect() {
        let src = format!(
            "from alembic import op, context\n\n\
             def upgrade():\n\
             \x20   bind = op.get_bind()\n\
             \x20   if bind.dialect.name == 'mysql':\n\
             \x20       op.execute(\"{AFTER}\")\n\
             \x20   else:\n\
             \x20       op.execute('ALTER TABLE orders ADD COLUMN note text')\n\
             \x20   if op.get_context().dialect.name != 'sqlite':\n\
             \x20       op.execute('ALTER TABLE orders ADD COLUMN flags jsonb')\n\
             \x20   else:\n\
             \x20       op.execute(\"{GLOB}\")\n\
             \x20   name = context.get_context().dialect.name\n\
             \x20   if name in ('mysql', 'mariadb'):\n\
             \x20       op.execute(\"{AFTER}\")\n\
             \x20   elif name == 'sqlite':\n\
             \x20       op.execute(\"{GLOB}\")\n\
             \x20   else:\n\
             \x20       op.execute('ALTER TABLE orders ADD COLUMN note text')\n\
             \x20   is_sqlite = bind.engine.name == 'sqlite'\n\
             \x20   if is_sqlite:\n\
             \x20       op.execute(\"{GLOB}\")\n\
             \x20   if not is_sqlite:\n\
             \x20       op.execute('ALTER TABLE orders ADD COLUMN flags jsonb')\n"
        );
        assert_eq!(unparsable(&src, SqlDialect::Postgres), 0);
        // Outside the branch, and in the branch of another dialect, it is not.
        let outside = format!(
            "from alembic import op\n\n\
             def upgrade():\n\
             \x20   if op.get_bind().dialect.name == 'sqlite':\n\
             \x20       op.execute(\"{AFTER}\")\n\
             \x20   op.execute(\"{AFTER}\")\n"
        );
        assert_eq!(unparsable(&outside, SqlDialect::Postgres), 2);
        // A dialect name variable does not outlive its function.
        let scoped = format!(
            "from alembic import op\n\n\
             def a():\n    name = op.get_bind().dialect.name\n\n\
             def upgrade():\n\
             \x20   if name == 'mysql':\n\
             \x20       op.execute(\"{AFTER}\")\n"
        );
        assert_eq!(unparsable(&scoped, SqlDialect::Postgres), 1);
    }
}
