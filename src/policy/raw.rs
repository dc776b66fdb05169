//! The policy file as written: serde types mirroring the YAML, nothing checked
//! beyond shape. [`super::Policy`] is what the rest of the tool uses.
//!
//! Every top-level section is optional: a section left out of a policy file
//! is taken from the bundled default, so a policy can change one thing.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

/// An authguard ownership policy.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Format version; only 1 exists.
    pub version: Option<u32>,
    /// How SQL is parsed.
    pub sql: Option<RawSql>,
    /// Each database and the tables it owns.
    pub databases: Option<IndexMap<String, RawDatabase>>,
    /// Services, the files that belong to each and the database each owns.
    pub services: Option<IndexMap<String, RawService>>,
    /// Field ownership.
    pub fields: Option<RawFields>,
    /// The read-only mirror of the auth service's users table.
    pub mirror: Option<RawMirror>,
    /// Code allowed to create mirror rows and write mirrored fields.
    pub sync_code: Option<RawSync>,
    /// Tables that hold login sessions: reading one is validating a session locally.
    pub session_tables: Option<Vec<String>>,
    /// Functions that verify or hash passwords or validate tokens, per language.
    pub functions: Option<RawFunctions>,
    /// Per-rule severity and instructions, keyed by rule code.
    pub rules: Option<IndexMap<String, RawRuleSetting>>,
}

/// SQL settings: which dialect reads each file.
///
/// A file's dialect is the first that applies: the first entry of `dialects`
/// whose globs match it; else, with `detect` on, a database named by its path
/// (a folder `mysql/`, a file `0001.sqlite.sql` or `0001.sql.postgres`); else
/// `dialect`. SQL strings in code follow the driver the code gives them to,
/// when it says.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    /// The dialect of files nothing else decides: `postgres` (default),
    /// `mysql`, `sqlite`, `cockroach` or `generic`.
    pub dialect: Option<RawDialect>,
    /// Dialects by path; the first entry whose globs match a file wins, over
    /// detection and over `dialect`.
    #[serde(default)]
    pub dialects: Vec<RawPathDialect>,
    /// Whether a folder or file-name part that names a database (`mysql`,
    /// `mariadb`, `sqlite`, `sqlite3`, `postgres`, `postgresql`, `pg`,
    /// `cockroach`) sets the dialect of the files under it (default: true).
    pub detect: Option<bool>,
}

/// A dialect for the files matching some globs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPathDialect {
    /// Globs of the files this entry applies to.
    pub paths: Vec<String>,
    /// Their dialect.
    pub dialect: RawDialect,
}

/// A SQL dialect name.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawDialect {
    /// PostgreSQL (also `postgresql`, `pg`).
    #[serde(alias = "postgresql", alias = "pg")]
    Postgres,
    /// MySQL (also `mariadb`).
    #[serde(alias = "mariadb")]
    Mysql,
    /// SQLite (also `sqlite3`).
    #[serde(alias = "sqlite3")]
    Sqlite,
    /// CockroachDB, read as PostgreSQL (also `cockroachdb`).
    #[serde(alias = "cockroachdb")]
    Cockroach,
    /// Generic SQL.
    Generic,
}

/// A database: the tables it owns and the variables that connect to it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    /// Tables this database owns.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Environment variables holding this database's connection settings.
    #[serde(default)]
    pub env: RawEnv,
    /// Shown in the help of findings about this database's tables.
    pub instructions: Option<String>,
}

/// Environment variables of a database connection.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEnv {
    /// Variable name prefixes, such as `DB_`.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Whole variable names, such as `DATABASE_URL`.
    #[serde(default)]
    pub names: Vec<String>,
}

/// A service: which files belong to it and which database it owns.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// The database (a key of `databases`) this service owns.
    pub database: String,
    /// Globs of the files that belong to this service.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Files that match no service's globs belong to this one.
    #[serde(default)]
    pub default: bool,
    /// Shown in the help of findings in this service's files.
    pub instructions: Option<String>,
}

/// Field ownership.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFields {
    /// Fields only the auth service writes.
    pub auth_owned: Option<RawNames>,
    /// Fields that hold a password or its hash.
    pub password: Option<RawNames>,
    /// Fields only the main backend writes.
    pub backend_owned: Option<RawNames>,
}

/// A set of names: exact names, substrings, and exceptions.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNames {
    /// Names that match exactly.
    #[serde(default)]
    pub names: Vec<String>,
    /// A name containing one of these matches.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Names that never match.
    #[serde(default)]
    pub except: Vec<String>,
}

/// The mirror table.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMirror {
    /// The mirror table in the main database, or a list of them: the names
    /// it had over the migration history, or a product's several user tables.
    pub table: RawNameList,
    /// The auth table it mirrors, or a list of them.
    pub source: RawNameList,
    /// Auth-owned fields the mirror may hold as read-only copies.
    #[serde(default)]
    pub may_hold: Vec<String>,
    /// Shown in the help of findings about the mirror.
    pub instructions: Option<String>,
}

/// One name, or a list of names: `table: userbase` or `table: [userbase, accounts]`.
// Deserialized by hand rather than `untagged`, so that a bad value is
// reported as itself at its own position.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum RawNameList {
    /// A single name.
    One(String),
    /// Several names.
    Many(Vec<String>),
}

impl Default for RawNameList {
    fn default() -> Self {
        RawNameList::Many(Vec::new())
    }
}

impl RawNameList {
    /// The names, in policy order.
    pub fn names(&self) -> &[String] {
        match self {
            RawNameList::One(n) => std::slice::from_ref(n),
            RawNameList::Many(v) => v,
        }
    }

    /// Whether it was written as a list (its entries are then `key[i]`).
    pub fn is_list(&self) -> bool {
        matches!(self, RawNameList::Many(_))
    }
}

impl<'de> Deserialize<'de> for RawNameList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawNameList;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table name or a list of table names")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawNameList::One(v.to_string()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<String>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(RawNameList::Many)
            }
        }
        d.deserialize_any(V)
    }
}

/// Sync code.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSync {
    /// Globs of sync code files.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Function lists per language.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFunctions {
    /// Python functions, as `module.function` or `module.Class.method`.
    pub python: Option<RawFunctionLists>,
    /// Rust functions, as `crate::path::function` or `crate::Trait::method`.
    pub rust: Option<RawFunctionLists>,
}

/// The three kinds of auth logic the main backend must not run itself.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFunctionLists {
    /// Functions that verify a password (AUTH004).
    #[serde(default)]
    pub password_verifiers: Vec<String>,
    /// Functions that hash a password (AUTH005).
    #[serde(default)]
    pub password_hashers: Vec<String>,
    /// Functions that validate a token or session locally (AUTH007).
    #[serde(default)]
    pub token_validators: Vec<String>,
}

/// A rule's settings: a bare severity, or a map.
///
/// Deserialized by hand rather than `untagged`, so that a bad value is
/// reported as itself ("unknown severity `lowd`") at its own position.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum RawRuleSetting {
    /// Just a severity.
    Severity(RawSeverity),
    /// Severity, instructions and per-path overrides.
    Full(RawRuleDetail),
}

impl<'de> Deserialize<'de> for RawRuleSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawRuleSetting;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a severity (error, warning, off) or a map with severity, instructions and paths")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                RawSeverity::deserialize(serde::de::value::StrDeserializer::<E>::new(v)).map(RawRuleSetting::Severity)
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawRuleDetail::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(RawRuleSetting::Full)
            }
        }
        d.deserialize_any(V)
    }
}

/// A rule's settings in full.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRuleDetail {
    /// The rule's severity (default: the rule's own).
    pub severity: Option<RawSeverity>,
    /// Shown in the help of this rule's findings: what to do instead.
    pub instructions: Option<String>,
    /// Severity by path; the first override whose globs match wins.
    #[serde(default)]
    pub paths: Vec<RawPathSeverity>,
}

/// A severity for files matching some globs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPathSeverity {
    /// Globs of the files this override applies to.
    pub paths: Vec<String>,
    /// The severity there.
    pub severity: RawSeverity,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawSeverity {
    /// Fails the check (exit 1).
    Error,
    /// Reported, does not fail the check.
    Warning,
    /// Not reported.
    Off,
}
