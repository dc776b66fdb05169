//! Which SQL dialect reads a file: the policy's `sql.dialects` entries, then
//! a database named by the file's path, then `sql.dialect`. And, when a SQL
//! file fails in its dialect but another reads it, the advice that says so.

use super::names::{PathSet, PolicyPath};
use super::raw::RawDialect;
use super::Policy;
use crate::frontend::sql::dialect::dialect_of_path;
use crate::frontend::SqlDialect;

/// An entry of `sql.dialects`: the files its globs match are read in its dialect.
#[derive(Debug, Clone)]
pub struct PathDialect {
    /// The files it applies to.
    pub paths: PathSet,
    /// Their dialect.
    pub dialect: SqlDialect,
}

/// Why a file is read in its dialect, for advice that names what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialectSource {
    /// Entry `i` of `sql.dialects` matched it.
    Entry(usize),
    /// A folder or file-name part of its path names a database.
    Path(String),
    /// Nothing else decided: `sql.dialect`.
    Policy,
}

/// A file's dialect and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialectChoice {
    /// The dialect.
    pub dialect: SqlDialect,
    /// Why.
    pub source: DialectSource,
}

impl From<RawDialect> for SqlDialect {
    fn from(raw: RawDialect) -> SqlDialect {
        match raw {
            RawDialect::Postgres => SqlDialect::Postgres,
            RawDialect::Mysql => SqlDialect::Mysql,
            RawDialect::Sqlite => SqlDialect::Sqlite,
            RawDialect::Cockroach => SqlDialect::Cockroach,
            RawDialect::Generic => SqlDialect::Generic,
        }
    }
}

impl Policy {
    /// The dialect that reads the file at `path`, and why.
    pub fn dialect_of(&self, path: &PolicyPath) -> DialectChoice {
        if let Some(i) = self.dialects.iter().position(|d| d.paths.is_match(path)) {
            return DialectChoice { dialect: self.dialects[i].dialect, source: DialectSource::Entry(i) };
        }
        if self.detect_dialect {
            // With the root's own name: a service checked from inside its
            // `mysql/` folder is still MySQL. The file's own parts come first.
            let spelt = path.named.as_deref().unwrap_or(&path.relative);
            if let Some(found) = dialect_of_path(spelt) {
                return DialectChoice { dialect: found.dialect, source: DialectSource::Path(found.part) };
            }
        }
        DialectChoice { dialect: self.dialect, source: DialectSource::Policy }
    }
}

/// The `sql.dialects` globs that would cover the file at `relative`: its
/// folder and everything below it, or the file itself at the root.
fn suggested_glob(relative: &str) -> String {
    match relative.rsplit_once('/') {
        Some((folder, _)) if !folder.is_empty() => format!("{}/**", globset::escape(folder)),
        _ => globset::escape(relative),
    }
}

/// Advice for a SQL file that fails in the dialect `choice` gave it but is
/// read whole by each of `readers` (best first): which dialects read it, why
/// it was read in the one that failed, and the policy entry that changes it.
pub fn fallback_help(choice: &DialectChoice, readers: &[SqlDialect], relative: &str) -> String {
    let Some(best) = readers.first() else { return String::new() };
    let names: Vec<String> = readers.iter().map(|d| d.display_name().to_string()).collect();
    let reads = match names.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => String::new(),
    };
    let current = choice.dialect.display_name();
    let why = match &choice.source {
        DialectSource::Entry(i) => format!("`sql.dialects[{i}]` of the policy says {current}"),
        DialectSource::Path(part) => format!("its path names `{part}`"),
        DialectSource::Policy => format!("the policy's `sql.dialect` is {current}"),
    };
    let entry = format!("{{paths: [\"{}\"], dialect: {}}}", suggested_glob(relative), best.name());
    let place = match &choice.source {
        DialectSource::Entry(i) => {
            format!("put `{entry}` before `sql.dialects[{i}]` in the policy (the first match wins)")
        }
        DialectSource::Path(_) => {
            format!("add `sql: {{dialects: [{entry}]}}` to the policy (an entry wins over the path)")
        }
        DialectSource::Policy => format!("add `sql: {{dialects: [{entry}]}}` to the policy"),
    };
    format!("this file parses as {reads} but not as {current}, which reads it because {why}; if it is written for {}, {place}", best.display_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Origin;
    use std::path::PathBuf;

    fn policy(yaml: &str) -> Policy {
        Policy::parse(yaml, Origin::File(PathBuf::from("authguard.yaml")), "authguard.yaml").unwrap()
    }

    fn dialect(p: &Policy, path: &str) -> SqlDialect {
        p.dialect_of(&PolicyPath::relative(path)).dialect
    }

    #[test]
    fn entries_win_then_the_path_then_the_policy_dialect() {
        let p = policy(
            "sql:\n  dialect: sqlite\n  dialects:\n    - paths: [\"legacy/**\"]\n      dialect: mysql\n    - paths: [\"**/mysql/crdb/**\"]\n      dialect: cockroach\n",
        );
        assert_eq!(dialect(&p, "legacy/postgres/0001.sql"), SqlDialect::Mysql);
        assert_eq!(dialect(&p, "db/mysql/crdb/0001.sql"), SqlDialect::Cockroach);
        assert_eq!(dialect(&p, "db/mysql/0001.sql"), SqlDialect::Mysql);
        assert_eq!(dialect(&p, "db/0001.sql.postgres"), SqlDialect::Postgres);
        assert_eq!(dialect(&p, "db/0001.sql"), SqlDialect::Sqlite);
        assert_eq!(p.dialect_of(&PolicyPath::relative("legacy/x.sql")).source, DialectSource::Entry(0));
        assert_eq!(p.dialect_of(&PolicyPath::relative("pg/x.sql")).source, DialectSource::Path("pg".into()));
        assert_eq!(p.dialect_of(&PolicyPath::relative("x.sql")).source, DialectSource::Policy);
        // The root's name counts, after the path below it.
        let named = PolicyPath { relative: "0001.sql".into(), named: Some("mysql/0001.sql".into()) };
        assert_eq!(p.dialect_of(&named).dialect, SqlDialect::Mysql);
    }

    #[test]
    fn detection_can_be_turned_off() {
        let p = policy("sql:\n  dialect: postgres\n  detect: false\n");
        assert_eq!(dialect(&p, "db/mysql/0001.sql"), SqlDialect::Postgres);
        assert_eq!(dialect(&p, "db/0001.sql.sqlite"), SqlDialect::Postgres);
        let bundled = Policy::bundled();
        assert!(bundled.detect_dialect);
        assert_eq!(dialect(&bundled, "db/mysql/0001.sql"), SqlDialect::Mysql);
    }

    #[test]
    fn bad_entries_are_errors_at_their_position() {
        let err = |yaml: &str| {
            let e = Policy::parse(yaml, Origin::File(PathBuf::from("p.yaml")), "p.yaml").unwrap_err();
            (e.line, e.column, e.message)
        };
        let (line, col, msg) = err("sql:\n  dialects:\n    - paths: [\"ok/**\", \"bad/[\"]\n      dialect: mysql\n");
        assert_eq!((line, col), (3, 24), "{msg}");
        assert!(msg.contains("invalid glob `bad/[`"), "{msg}");
        let (line, col, msg) = err("sql:\n  dialects:\n    - paths: [\"a/**\"]\n      dialect: oracle\n");
        assert_eq!((line, col), (4, 16), "{msg}");
        assert!(msg.contains("oracle"), "{msg}");
        let (line, _, msg) = err("sql:\n  detect: sometimes\n");
        assert_eq!(line, 2, "{msg}");
        let (line, _, msg) = err("sql:\n  dialects:\n    - dialect: mysql\n");
        assert_eq!(line, 3, "{msg}");
        assert!(msg.contains("paths"), "{msg}");
        // Aliases are accepted as values.
        let p = policy("sql:\n  dialect: mariadb\n");
        assert_eq!(p.dialect, SqlDialect::Mysql);
    }

    #[test]
    fn the_help_names_the_readers_the_reason_and_the_entry() {
        let by_policy = DialectChoice { dialect: SqlDialect::Postgres, source: DialectSource::Policy };
        let help = fallback_help(&by_policy, &[SqlDialect::Mysql], "migrations/legacy/0001.sql");
        assert!(help.contains("parses as MySQL but not as PostgreSQL"), "{help}");
        assert!(help.contains("`sql.dialect` is PostgreSQL"), "{help}");
        assert!(help.contains(r#"`sql: {dialects: [{paths: ["migrations/legacy/**"], dialect: mysql}]}`"#), "{help}");
        let by_entry = DialectChoice { dialect: SqlDialect::Sqlite, source: DialectSource::Entry(2) };
        let help = fallback_help(&by_entry, &[SqlDialect::Postgres, SqlDialect::Generic], "a[1]/x.sql");
        assert!(help.contains("as PostgreSQL or generic SQL but not as SQLite"), "{help}");
        assert!(
            help.contains(r#"put `{paths: ["a[[]1[]]/**"], dialect: postgres}` before `sql.dialects[2]`"#),
            "{help}"
        );
        let by_path = DialectChoice { dialect: SqlDialect::Mysql, source: DialectSource::Path("mysql".into()) };
        let help = fallback_help(&by_path, &[SqlDialect::Sqlite], "x.sql");
        assert!(help.contains("its path names `mysql`") && help.contains(r#"paths: ["x.sql"]"#), "{help}");
    }

    #[test]
    fn the_suggested_glob_matches_the_file() {
        for rel in ["migrations/legacy/0001.sql", "x.sql", "a{b}/c*/x.sql"] {
            let glob = suggested_glob(rel);
            let set = PathSet::new(std::slice::from_ref(&glob), "t").unwrap();
            assert!(set.is_match(&PolicyPath::relative(rel)), "{glob} matches {rel}");
        }
    }
}
