//! The ownership policy: loaded from YAML ([`raw`]), validated into the
//! structure rules consult ([`Policy`]), with every entry's position kept
//! ([`spans`]) so errors and warnings point into the policy file.

pub mod dialects;
pub mod names;
pub mod raw;
pub mod spans;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Severity;
use crate::frontend::SqlDialect;
use crate::rules::{self, RuleMeta};
use dialects::PathDialect;
use names::{NameSet, PathSet, PolicyPath};
use raw::{RawPolicy, RawRuleSetting, RawSeverity};
use spans::Spans;

/// The bundled default policy: the architecture document, as YAML.
pub const DEFAULT_POLICY: &str = include_str!("../../rules/default.yaml");

/// File names searched for a policy, in order.
pub const POLICY_FILE_NAMES: [&str; 2] = ["authguard.yaml", ".authguard.yaml"];

/// A policy file that could not be loaded, with the position of the problem.
#[derive(Debug, Clone)]
pub struct PolicyError {
    /// The policy file as shown to users.
    pub file: String,
    /// Its text (for the snippet), when it could be read.
    pub text: Option<Arc<str>>,
    /// 1-based line and column of the problem (0 when unknown).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for PolicyError {}

/// Where the policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The bundled default.
    Bundled,
    /// A file on disk.
    File(PathBuf),
}

/// A database and what belongs to it.
#[derive(Debug, Clone)]
pub struct Database {
    /// Its key in the policy.
    pub name: String,
    /// Tables it owns, lower-cased.
    pub tables: Vec<String>,
    /// Upper-cased prefixes of its connection variables.
    pub env_prefixes: Vec<String>,
    /// Upper-cased names of its connection variables.
    pub env_names: Vec<String>,
    /// Help text for findings about it.
    pub instructions: Option<String>,
}

/// A service.
#[derive(Debug, Clone)]
pub struct Service {
    /// Its key in the policy.
    pub name: String,
    /// Index into [`Policy::databases`].
    pub database: usize,
    /// Files that belong to it.
    pub paths: PathSet,
    /// Whether unmatched files belong to it.
    pub default: bool,
    /// Help text for findings in its files.
    pub instructions: Option<String>,
}

/// The mirror table, or tables.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The mirror tables, lower-cased, in policy order (at least one).
    pub tables: Vec<String>,
    /// The auth tables they mirror, lower-cased (at least one).
    pub sources: Vec<String>,
    /// Whether `table` and `source` were written as lists, so the resolved
    /// policy shows them as written.
    pub lists: (bool, bool),
    /// Auth-owned fields it may hold, lower-cased.
    pub may_hold: Vec<String>,
    /// Help text for findings about it.
    pub instructions: Option<String>,
}

/// Functions of one language that implement auth logic.
#[derive(Debug, Clone, Default)]
pub struct FunctionLists {
    /// Password verifiers (AUTH004).
    pub password_verifiers: Vec<String>,
    /// Password hashers (AUTH005).
    pub password_hashers: Vec<String>,
    /// Token validators (AUTH007).
    pub token_validators: Vec<String>,
}

impl FunctionLists {
    /// Whether a call whose path ends in `last` could be on any list: every
    /// match needs the last segments to be equal (see
    /// [`crate::rules::call_listed`]).
    pub fn may_list(&self, last: &str) -> bool {
        [&self.password_verifiers, &self.password_hashers, &self.token_validators]
            .into_iter()
            .flatten()
            .any(|entry| entry.rsplit('.').next() == Some(last))
    }
}

/// Settings of one rule.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    /// `None` when the rule is off.
    pub severity: Option<Severity>,
    /// Extra help text.
    pub instructions: Option<String>,
    /// Severity overrides by path; the first match wins.
    pub overrides: Vec<(PathSet, Option<Severity>)>,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it came from.
    pub origin: Origin,
    /// The YAML text it was read from.
    pub text: Arc<str>,
    /// Positions of its entries.
    pub spans: Spans,
    /// Dialect for SQL that nothing else decides (`sql.dialect`).
    pub dialect: SqlDialect,
    /// Dialects by path, first match wins (`sql.dialects`).
    pub dialects: Vec<PathDialect>,
    /// Whether a database named by a file's path sets its dialect (`sql.detect`).
    pub detect_dialect: bool,
    /// Databases, in policy order.
    pub databases: Vec<Database>,
    /// Services, in policy order.
    pub services: Vec<Service>,
    /// Auth-owned fields.
    pub auth_owned: NameSet,
    /// Password fields.
    pub password_fields: NameSet,
    /// Backend-owned fields.
    pub backend_owned: NameSet,
    /// The mirror, if the policy has one.
    pub mirror: Option<Mirror>,
    /// Sync code.
    pub sync_code: PathSet,
    /// Tables holding sessions, lower-cased.
    pub session_tables: Vec<String>,
    /// Python functions.
    pub python: FunctionLists,
    /// Rust functions.
    pub rust: FunctionLists,
    rules: HashMap<&'static str, RuleSettings>,
    table_owner: HashMap<String, usize>,
}

fn severity(raw: RawSeverity) -> Option<Severity> {
    match raw {
        RawSeverity::Error => Some(Severity::Error),
        RawSeverity::Warning => Some(Severity::Warning),
        RawSeverity::Off => None,
    }
}

impl Policy {
    /// The bundled default policy.
    pub fn bundled() -> Policy {
        Policy::parse(DEFAULT_POLICY, Origin::Bundled, "<bundled default policy>")
            .unwrap_or_else(|e| unreachable!("the bundled policy is valid (tested): {e}"))
    }

    /// Find the policy per the contract: `explicit`, else `authguard.yaml` or
    /// `.authguard.yaml` from `cwd` up to the repository root, else bundled.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Policy, PolicyError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => find_policy_file(cwd),
        };
        match path {
            None => Ok(Policy::bundled()),
            Some(path) => Policy::load(&path),
        }
    }

    /// Load a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| PolicyError {
            file: shown.clone(),
            text: None,
            line: 0,
            column: 0,
            message: format!("cannot read the policy file: {e}"),
            help: "check the path given to --policy".to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| PolicyError {
            file: shown.clone(),
            text: None,
            line: 0,
            column: 0,
            message: format!("the policy file is not UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            help: "save the policy as UTF-8".to_string(),
        })?;
        Policy::parse(&text, Origin::File(path.to_path_buf()), &shown)
    }

    /// Parse and validate policy text; sections it leaves out come from the default.
    pub fn parse(text: &str, origin: Origin, shown: &str) -> Result<Policy, PolicyError> {
        let text: Arc<str> = Arc::from(text);
        let spans = Spans::index(&text);
        let fail = |pos: Option<spans::Pos>, message: String, help: &str| PolicyError {
            file: shown.to_string(),
            text: Some(text.clone()),
            line: pos.map_or(1, |p| p.line),
            column: pos.map_or(1, |p| p.column),
            message,
            help: help.to_string(),
        };
        if let Some((path, pos)) = spans.duplicates.first() {
            let key = path.rsplit('.').next().unwrap_or(path);
            return Err(fail(
                Some(*pos),
                format!("duplicate key `{key}` (in `{path}`)"),
                "YAML keys must be unique; keep one",
            ));
        }
        let user: RawPolicy = if is_blank_yaml(&text) {
            RawPolicy::default()
        } else {
            yaml_serde::from_str(&text).map_err(|e| {
                let pos = e.location().map(|l| spans::Pos { line: l.line(), column: l.column() });
                let message = strip_positions(&e.to_string());
                fail(pos, message, "see `authguard policy --schema` for the format, or `authguard init` for an example")
            })?
        };
        let merged = if origin == Origin::Bundled {
            user
        } else {
            let default: RawPolicy = yaml_serde::from_str(DEFAULT_POLICY)
                .unwrap_or_else(|e| unreachable!("the bundled policy is valid (tested): {e}"));
            merge(default, user)
        };
        Validator { spans: &spans, fail: &fail }.build(merged, origin, text.clone(), spans.clone())
    }

    /// The service a file belongs to.
    pub fn service_of(&self, path: &PolicyPath) -> Option<usize> {
        self.services
            .iter()
            .position(|s| s.paths.is_match(path))
            .or_else(|| self.services.iter().position(|s| s.default))
    }

    /// Whether a file is sync code.
    pub fn is_sync(&self, path: &PolicyPath) -> bool {
        self.sync_code.is_match(path)
    }

    /// The database owning a lower-cased table.
    pub fn owner_of(&self, table: &str) -> Option<usize> {
        self.table_owner.get(table).copied()
    }

    /// Whether the policy guards `table` (lower-cased): a database owns it
    /// or it is the mirror. What could touch such a table and was not read
    /// is a finding; what names only other tables is counted, not reported.
    pub fn guards_table(&self, table: &str) -> bool {
        self.owner_of(table).is_some() || self.is_mirror(table)
    }

    /// Whether `table` belongs to another database than `service`'s.
    pub fn is_foreign(&self, service: usize, table: &str) -> bool {
        matches!(self.owner_of(table), Some(db) if db != self.services[service].database)
    }

    /// Whether `service` is a main backend: its database holds the mirror.
    pub fn holds_mirror(&self, service: usize) -> bool {
        match &self.mirror {
            Some(m) => m.tables.iter().any(|t| self.owner_of(t) == Some(self.services[service].database)),
            None => false,
        }
    }

    /// The function lists of a language.
    pub fn functions(&self, language: crate::facts::CodeLanguage) -> &FunctionLists {
        match language {
            crate::facts::CodeLanguage::Python => &self.python,
            crate::facts::CodeLanguage::Rust => &self.rust,
        }
    }

    /// Whether `table` is the mirror (one of the mirror tables).
    pub fn is_mirror(&self, table: &str) -> bool {
        self.mirror.as_ref().is_some_and(|m| m.tables.iter().any(|t| t == table))
    }

    /// Whether the mirror may not hold `field`: auth-owned and not allowed.
    pub fn mirror_forbids(&self, field: &str) -> bool {
        self.auth_owned.matches(field) && !self.mirror.as_ref().is_some_and(|m| m.may_hold.iter().any(|f| f == field))
    }

    /// Effective severity of `rule` at `path`; `None` when off.
    pub fn severity(&self, rule: &RuleMeta, path: &PolicyPath) -> Option<Severity> {
        match self.rules.get(rule.code) {
            None => Some(rule.default_severity),
            Some(s) => {
                for (paths, sev) in &s.overrides {
                    if paths.is_match(path) {
                        return *sev;
                    }
                }
                s.severity
            }
        }
    }

    /// The policy's instructions for a rule, if any.
    pub fn rule_instructions(&self, rule: &RuleMeta) -> Option<&str> {
        self.rules.get(rule.code)?.instructions.as_deref()
    }

    /// Every glob in the policy with its YAML path, for unused-entry warnings.
    pub fn all_globs(&self) -> Vec<&names::PathEntry> {
        let mut all: Vec<&names::PathEntry> = Vec::new();
        for s in &self.services {
            all.extend(&s.paths.entries);
        }
        all.extend(&self.sync_code.entries);
        for d in &self.dialects {
            all.extend(&d.paths.entries);
        }
        // In code order, not the map's, so warnings come out the same every run.
        for r in rules::ALL.iter().filter_map(|r| self.rules.get(r.code)) {
            for (p, _) in &r.overrides {
                all.extend(&p.entries);
            }
        }
        all
    }

    /// Every owned table with its YAML path.
    pub fn all_tables(&self) -> Vec<(&str, String)> {
        let mut all = Vec::new();
        for d in &self.databases {
            for (i, t) in d.tables.iter().enumerate() {
                all.push((t.as_str(), format!("databases.{}.tables[{i}]", d.name)));
            }
        }
        all
    }

    /// The policy rendered back as YAML, with every default filled in.
    pub fn resolved_yaml(&self) -> String {
        use serde_json::{json, Map, Value};
        let databases: Map<String, Value> = self
            .databases
            .iter()
            .map(|d| {
                let mut v = json!({
                    "tables": d.tables,
                    "env": { "prefixes": d.env_prefixes, "names": d.env_names },
                });
                if let Some(i) = &d.instructions {
                    v["instructions"] = json!(i);
                }
                (d.name.clone(), v)
            })
            .collect();
        let services: Map<String, Value> = self
            .services
            .iter()
            .map(|s| {
                let paths: Vec<&str> = s.paths.entries.iter().map(|e| e.pattern.as_str()).collect();
                let mut v =
                    json!({ "database": self.databases[s.database].name, "paths": paths, "default": s.default });
                if let Some(i) = &s.instructions {
                    v["instructions"] = json!(i);
                }
                (s.name.clone(), v)
            })
            .collect();
        let names = |n: &NameSet| {
            let (names, contains, except) = n.parts();
            json!({ "names": names, "contains": contains, "except": except })
        };
        let lists = |f: &FunctionLists| {
            json!({
                "password_verifiers": f.password_verifiers,
                "password_hashers": f.password_hashers,
                "token_validators": f.token_validators,
            })
        };
        let mut sql = json!({ "dialect": self.dialect.name(), "detect": self.detect_dialect });
        if !self.dialects.is_empty() {
            let entries: Vec<Value> = self
                .dialects
                .iter()
                .map(|d| {
                    let globs: Vec<&str> = d.paths.entries.iter().map(|e| e.pattern.as_str()).collect();
                    json!({ "paths": globs, "dialect": d.dialect.name() })
                })
                .collect();
            sql["dialects"] = json!(entries);
        }
        let rules: Map<String, Value> = rules::ALL
            .iter()
            .map(|rule| {
                let settings = self.rules.get(rule.code);
                let sev = |s: Option<Severity>| s.map_or("off", Severity::as_str);
                let severity = sev(settings.map_or(Some(rule.default_severity), |r| r.severity));
                let mut v = json!({ "severity": severity });
                if let Some(r) = settings {
                    if let Some(i) = &r.instructions {
                        v["instructions"] = json!(i);
                    }
                    let overrides: Vec<Value> = r
                        .overrides
                        .iter()
                        .map(|(p, s)| {
                            let globs: Vec<&str> = p.entries.iter().map(|e| e.pattern.as_str()).collect();
                            json!({ "paths": globs, "severity": sev(*s) })
                        })
                        .collect();
                    if !overrides.is_empty() {
                        v["paths"] = json!(overrides);
                    }
                }
                (rule.code.to_string(), v)
            })
            .collect();
        let mut doc = json!({
            "version": 1,
            "sql": sql,
            "databases": databases,
            "services": services,
            "fields": {
                "auth_owned": names(&self.auth_owned),
                "password": names(&self.password_fields),
                "backend_owned": names(&self.backend_owned),
            },
            "sync_code": { "paths": self.sync_code.entries.iter().map(|e| e.pattern.as_str()).collect::<Vec<_>>() },
            "session_tables": self.session_tables,
            "functions": { "python": lists(&self.python), "rust": lists(&self.rust) },
            "rules": rules,
        });
        if let Some(m) = &self.mirror {
            let one_or_list = |names: &[String], list: bool| match names {
                [one] if !list => json!(one),
                _ => json!(names),
            };
            let mut v = json!({
                "table": one_or_list(&m.tables, m.lists.0),
                "source": one_or_list(&m.sources, m.lists.1),
                "may_hold": m.may_hold,
            });
            if let Some(i) = &m.instructions {
                v["instructions"] = json!(i);
            }
            doc["mirror"] = v;
        }
        yaml_serde::to_string(&doc).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"))
    }
}

/// Remove " at line N column M" from a YAML error: the position is shown apart.
fn strip_positions(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + " at line ".len()..];
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        let after = &tail[digits..];
        match after.strip_prefix(" column ") {
            Some(col) if digits > 0 => {
                let n = col.chars().take_while(char::is_ascii_digit).count();
                rest = &col[n..];
            }
            _ => {
                out.push_str(" at line ");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    })
}

fn find_policy_file(cwd: &Path) -> Option<PathBuf> {
    // Inside a repository the search climbs to its root; outside one it
    // looks in the current directory only, never in unrelated parents.
    let in_repo = cwd.ancestors().any(|d| d.join(".git").exists());
    for dir in cwd.ancestors() {
        for name in POLICY_FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if !in_repo || dir.join(".git").exists() {
            break;
        }
    }
    None
}

/// A user section replaces the default's; rule settings merge per rule.
fn merge(default: RawPolicy, user: RawPolicy) -> RawPolicy {
    let rules = match (default.rules, user.rules) {
        (Some(mut d), Some(u)) => {
            for (k, v) in u {
                d.shift_remove(&k);
                d.insert(k, v);
            }
            Some(d)
        }
        (d, u) => u.or(d),
    };
    RawPolicy {
        version: user.version.or(default.version),
        sql: user.sql.or(default.sql),
        databases: user.databases.or(default.databases),
        services: user.services.or(default.services),
        fields: match (default.fields, user.fields) {
            (Some(d), Some(u)) => Some(raw::RawFields {
                auth_owned: u.auth_owned.or(d.auth_owned),
                password: u.password.or(d.password),
                backend_owned: u.backend_owned.or(d.backend_owned),
            }),
            (d, u) => u.or(d),
        },
        mirror: user.mirror.or(default.mirror),
        sync_code: user.sync_code.or(default.sync_code),
        session_tables: user.session_tables.or(default.session_tables),
        functions: match (default.functions, user.functions) {
            (Some(d), Some(u)) => Some(raw::RawFunctions { python: u.python.or(d.python), rust: u.rust.or(d.rust) }),
            (d, u) => u.or(d),
        },
        rules,
    }
}

type Fail<'a> = &'a dyn Fn(Option<spans::Pos>, String, &str) -> PolicyError;

/// Turns a merged raw policy into a [`Policy`], locating every error.
struct Validator<'a> {
    spans: &'a Spans,
    fail: Fail<'a>,
}

impl Validator<'_> {
    fn err(&self, yaml_path: &str, message: String, help: &str) -> PolicyError {
        (self.fail)(self.spans.value(yaml_path), message, help)
    }

    fn key_err(&self, yaml_path: &str, message: String, help: &str) -> PolicyError {
        (self.fail)(self.spans.key(yaml_path), message, help)
    }

    fn paths(&self, globs: &[String], yaml_path: &str) -> Result<PathSet, PolicyError> {
        PathSet::new(globs, yaml_path).map_err(|(i, why)| {
            self.err(
                &format!("{yaml_path}[{i}]"),
                format!("invalid glob `{}`: {why}", globs.get(i).map_or("", String::as_str)),
                "globs use `*`, `**`, `?`, `[...]` and `{a,b}`; `*` stays within one directory",
            )
        })
    }

    /// The lower-cased names of `mirror.<key>`, which may not be an empty list.
    fn mirror_names(&self, names: &raw::RawNameList, key: &str) -> Result<Vec<String>, PolicyError> {
        if names.names().is_empty() {
            return Err(self.err(
                &format!("mirror.{key}"),
                format!("`mirror.{key}` lists no table"),
                "name one table, or list every one",
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for name in names.names() {
            let name = name.to_lowercase();
            if !out.contains(&name) {
                out.push(name);
            }
        }
        Ok(out)
    }

    fn build(&self, raw: RawPolicy, origin: Origin, text: Arc<str>, spans: Spans) -> Result<Policy, PolicyError> {
        if let Some(v) = raw.version {
            if v != 1 {
                return Err(self.err(
                    "version",
                    format!("unsupported policy version {v}"),
                    "this authguard reads version 1",
                ));
            }
        }
        let sql = raw.sql.unwrap_or_default();
        let dialect = sql.dialect.map_or(SqlDialect::Postgres, SqlDialect::from);
        let mut dialects = Vec::new();
        for (i, entry) in sql.dialects.iter().enumerate() {
            let paths = self.paths(&entry.paths, &format!("sql.dialects[{i}].paths"))?;
            dialects.push(PathDialect { paths, dialect: entry.dialect.into() });
        }
        let detect_dialect = sql.detect.unwrap_or(true);

        let mut databases = Vec::new();
        let mut table_owner = HashMap::new();
        for (name, db) in raw.databases.unwrap_or_default() {
            let idx = databases.len();
            let mut tables = Vec::new();
            for (i, t) in db.tables.iter().enumerate() {
                let t = t.to_lowercase();
                if let Some(&other) = table_owner.get(&t) {
                    let other: &Database = &databases[other];
                    return Err(self.err(
                        &format!("databases.{name}.tables[{i}]"),
                        format!("table `{t}` is already owned by database `{}`", other.name),
                        "a table belongs to exactly one database",
                    ));
                }
                table_owner.insert(t.clone(), idx);
                tables.push(t);
            }
            databases.push(Database {
                name,
                tables,
                env_prefixes: db.env.prefixes.iter().map(|s| s.to_uppercase()).collect(),
                env_names: db.env.names.iter().map(|s| s.to_uppercase()).collect(),
                instructions: db.instructions,
            });
        }

        let mut services = Vec::new();
        let mut default_seen: Option<String> = None;
        for (name, svc) in raw.services.unwrap_or_default() {
            let base = format!("services.{name}");
            let Some(database) = databases.iter().position(|d| d.name == svc.database) else {
                let known: Vec<&str> = databases.iter().map(|d| d.name.as_str()).collect();
                return Err(self.err(
                    &format!("{base}.database"),
                    format!("service `{name}` names unknown database `{}`", svc.database),
                    &format!("known databases: {}", known.join(", ")),
                ));
            };
            if svc.default {
                if let Some(first) = &default_seen {
                    return Err(self.err(
                        &format!("{base}.default"),
                        format!("services `{first}` and `{name}` are both marked default"),
                        "at most one service may be the default",
                    ));
                }
                default_seen = Some(name.clone());
            }
            let paths = self.paths(&svc.paths, &format!("{base}.paths"))?;
            services.push(Service { name, database, paths, default: svc.default, instructions: svc.instructions });
        }

        let fields = raw.fields.unwrap_or_default();
        let names = |n: Option<raw::RawNames>| {
            let n = n.unwrap_or_default();
            NameSet::new(&n.names, &n.contains, &n.except)
        };
        let auth_owned = names(fields.auth_owned);
        let password_fields = names(fields.password);
        let backend_owned = names(fields.backend_owned);

        let mirror = match raw.mirror {
            None => None,
            Some(m) => {
                let tables = self.mirror_names(&m.table, "table")?;
                for (i, table) in tables.iter().enumerate() {
                    if !table_owner.contains_key(table) {
                        let at = if m.table.is_list() { format!("mirror.table[{i}]") } else { "mirror.table".into() };
                        return Err(self.err(
                            &at,
                            format!("mirror table `{table}` is owned by no database"),
                            "list the mirror under the tables of the main database",
                        ));
                    }
                }
                Some(Mirror {
                    tables,
                    sources: self.mirror_names(&m.source, "source")?,
                    lists: (m.table.is_list(), m.source.is_list()),
                    may_hold: m.may_hold.iter().map(|s| s.to_lowercase()).collect(),
                    instructions: m.instructions,
                })
            }
        };

        let sync_code = self.paths(&raw.sync_code.unwrap_or_default().paths, "sync_code.paths")?;
        let session_tables = raw.session_tables.unwrap_or_default().iter().map(|t| t.to_lowercase()).collect();

        let functions = raw.functions.unwrap_or_default();
        let lists = |l: Option<raw::RawFunctionLists>| {
            let l = l.unwrap_or_default();
            // Rust paths are written with `::`; calls are matched `.`-separated.
            let dotted = |v: Vec<String>| v.into_iter().map(|e| e.replace("::", ".")).collect();
            FunctionLists {
                password_verifiers: dotted(l.password_verifiers),
                password_hashers: dotted(l.password_hashers),
                token_validators: dotted(l.token_validators),
            }
        };
        let python = lists(functions.python);
        let rust = lists(functions.rust);

        let mut rule_settings = HashMap::new();
        for (key, setting) in raw.rules.unwrap_or_default() {
            let yaml_path = format!("rules.{key}");
            let Some(rule) = rules::find(&key) else {
                return Err(self.key_err(
                    &yaml_path,
                    format!("unknown rule `{key}`"),
                    "`authguard rules` lists every rule code and name",
                ));
            };
            let settings = match setting {
                RawRuleSetting::Severity(s) => {
                    RuleSettings { severity: severity(s), instructions: None, overrides: Vec::new() }
                }
                RawRuleSetting::Full(d) => {
                    let mut overrides = Vec::new();
                    for (i, o) in d.paths.iter().enumerate() {
                        let set = self.paths(&o.paths, &format!("{yaml_path}.paths[{i}].paths"))?;
                        overrides.push((set, severity(o.severity)));
                    }
                    RuleSettings {
                        severity: d.severity.map_or(Some(rule.default_severity), severity),
                        instructions: d.instructions,
                        overrides,
                    }
                }
            };
            rule_settings.insert(rule.code, settings);
        }

        Ok(Policy {
            origin,
            text,
            spans,
            dialect,
            dialects,
            detect_dialect,
            databases,
            services,
            auth_owned,
            password_fields,
            backend_owned,
            mirror,
            sync_code,
            session_tables,
            python,
            rust,
            rules: rule_settings,
            table_owner,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Policy, PolicyError> {
        Policy::parse(yaml, Origin::File(PathBuf::from("authguard.yaml")), "authguard.yaml")
    }

    fn error_at(yaml: &str) -> (usize, usize, String) {
        let e = parse(yaml).expect_err("the policy is invalid");
        (e.line, e.column, e.message)
    }

    #[test]
    fn the_bundled_policy_is_the_architecture() {
        let p = Policy::bundled();
        let auth = p.owner_of("users").unwrap();
        for t in ["users", "sessions", "oauth_tokens", "refresh_tokens", "password_resets", "login_attempts"] {
            assert_eq!(p.owner_of(t), Some(auth), "{t}");
        }
        let main = p.owner_of("userbase").unwrap();
        for t in ["userbase", "secrets", "tool_usage_logs", "agent_sessions", "corpus_data"] {
            assert_eq!(p.owner_of(t), Some(main), "{t}");
        }
        for f in ["hashed_password", "email", "email_verified", "mfa_enabled", "mfa_secret", "last_login"] {
            assert!(p.auth_owned.matches(f), "{f}");
        }
        for f in ["password_changed_at", "failed_login_count", "account_locked", "api_secret", "passwd_x"] {
            assert!(p.auth_owned.matches(f), "{f}");
        }
        assert!(p.password_fields.matches("hashed_password") && p.password_fields.matches("passwd"));
        assert!(!p.password_fields.matches("password_changed_at"));
        for f in ["full_name", "picture", "role", "permissions", "plan_tier", "feature_flags", "tool_permissions"] {
            assert!(p.backend_owned.matches(f) && !p.auth_owned.matches(f), "{f}");
        }
        assert!(!p.mirror_forbids("email") && !p.mirror_forbids("id") && p.mirror_forbids("mfa_secret"));
        let svc = |path: &str| p.services[p.service_of(&PolicyPath::relative(path)).unwrap()].name.clone();
        assert_eq!(svc("services/auth_service/db/001.sql"), "auth_service");
        assert_eq!(svc("Auth-Service/.env"), "auth_service");
        assert_eq!(svc("deploy/auth_service.env"), "auth_service");
        assert_eq!(svc("backend/migrations/001.sql"), "backend");
        assert_eq!(svc("backend/my_auth_service_client/x.sql"), "backend");
        for sync in ["app/webhooks/auth.sql", "app/sync/x.sql", "jobs/sync_users.sql", "jobs/user_sync.sql", "sync.sql"]
        {
            assert!(p.is_sync(&PolicyPath::relative(sync)), "{sync}");
        }
        for not_sync in ["app/syncer/x.sql", "jobs/async_users.sql", "jobs/resync.sql"] {
            assert!(!p.is_sync(&PolicyPath::relative(not_sync)), "{not_sync}");
        }
        assert_eq!(
            p.severity(&crate::rules::auth012_unused_suppression::RULE, &PolicyPath::relative("x")),
            Some(Severity::Warning)
        );
        assert_eq!(
            p.severity(&crate::rules::auth001_auth_field_on_mirror::RULE, &PolicyPath::relative("x")),
            Some(Severity::Error)
        );
    }

    #[test]
    fn a_policy_file_changes_only_what_it_names() {
        let p = parse("rules:\n  AUTH008: off\n  auth-field-write: warning\n").unwrap();
        assert_eq!(p.severity(&crate::rules::auth008_foreign_table_access::RULE, &PolicyPath::relative("x")), None);
        assert_eq!(
            p.severity(&crate::rules::auth003_auth_field_write::RULE, &PolicyPath::relative("x")),
            Some(Severity::Warning)
        );
        assert_eq!(
            p.severity(&crate::rules::auth012_unused_suppression::RULE, &PolicyPath::relative("x")),
            Some(Severity::Warning)
        );
        assert!(p.is_mirror("userbase"));
        assert!(parse("").is_ok() && parse("# only a comment\n").is_ok());
    }

    #[test]
    fn per_path_overrides_win_in_order() {
        let yaml = "rules:\n  AUTH008:\n    instructions: ask auth_client\n    paths:\n      - paths: [\"tests/**\"]\n        severity: warning\n";
        let p = parse(yaml).unwrap();
        let rule = &crate::rules::auth008_foreign_table_access::RULE;
        assert_eq!(p.severity(rule, &PolicyPath::relative("tests/a.sql")), Some(Severity::Warning));
        assert_eq!(p.severity(rule, &PolicyPath::relative("src/a.sql")), Some(Severity::Error));
        assert_eq!(p.rule_instructions(rule), Some("ask auth_client"));
    }

    #[test]
    fn errors_point_at_the_offending_entry() {
        assert_eq!(error_at("sql:\n  dialect: oracle\n").0, 2);
        let (line, col, msg) = error_at("version: 1\nservices:\n  backend:\n    database: main\n    colour: red\n");
        assert_eq!((line, col), (5, 5), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
        let (line, col, msg) = error_at("rules:\n  AUTH999: error\n");
        assert_eq!((line, col), (2, 3));
        assert!(msg.contains("AUTH999"));
        let (line, col, msg) = error_at("sync_code:\n  paths:\n    - \"ok/**\"\n    - \"bad/[\"\n");
        assert_eq!((line, col), (4, 7), "{msg}");
        let (line, col, msg) = error_at("services:\n  api:\n    database: nowhere\n");
        assert_eq!((line, col), (3, 15));
        assert!(msg.contains("nowhere"));
        let (line, _, msg) = error_at("databases:\n  a:\n    tables: [x]\n  b:\n    tables: [y, X]\n");
        assert_eq!(line, 5, "{msg}");
        let (line, _, _) = error_at("mirror:\n  table: nope\n  source: users\n");
        assert_eq!(line, 2);
        let (line, _, msg) = error_at("databases: [1, 2]\n");
        assert_eq!(line, 1, "{msg}");
        let (line, _, _) = error_at("version: 2\n");
        assert_eq!(line, 1);
        let (line, _, _) = error_at("rules:\n  AUTH001: [oops\n");
        assert!(line >= 2);
    }

    #[test]
    fn the_mirror_may_be_several_tables() {
        let dbs = "databases:\n  auth:\n    tables: [users, staff]\n  main:\n    tables: [userbase, Accounts, crew]\n";
        let p = parse(&format!("{dbs}mirror:\n  table: [userbase, ACCOUNTS]\n  source: users\n")).unwrap();
        assert!(p.is_mirror("userbase") && p.is_mirror("accounts") && !p.is_mirror("crew"));
        let m = p.mirror.as_ref().unwrap();
        assert_eq!((m.sources.as_slice(), m.lists), (&["users".to_string()][..], (true, false)));
        // The resolved policy shows the list as a list, the single source as a name.
        let text = p.resolved_yaml();
        assert!(text.contains("table:\n  - userbase\n  - accounts\n") && text.contains("source: users\n"), "{text}");
        assert_eq!(parse(&text).unwrap().resolved_yaml(), text);
        // Sources may be listed too; a one-element list stays a list.
        let p = parse(&format!("{dbs}mirror:\n  table: [crew]\n  source: [users, staff]\n")).unwrap();
        let m = p.mirror.as_ref().unwrap();
        assert_eq!(
            (m.tables.clone(), m.sources.clone()),
            (vec!["crew".to_string()], vec!["users".into(), "staff".into()])
        );
        assert!(p.resolved_yaml().contains("table:\n  - crew\n"));
        // Any mirror table makes its database's services main backends.
        let svc = "services:\n  backend:\n    database: main\n    default: true\n";
        let p = parse(&format!("{dbs}{svc}mirror:\n  table: [accounts]\n  source: users\n")).unwrap();
        assert!(p.holds_mirror(0));
    }

    #[test]
    fn mirror_lists_are_validated_entry_by_entry() {
        let dbs = "databases:\n  auth:\n    tables: [users]\n  main:\n    tables: [userbase]\n";
        let (line, col, msg) =
            error_at(&format!("{dbs}mirror:\n  table:\n    - userbase\n    - nope\n  source: users\n"));
        assert_eq!((line, col), (9, 7), "{msg}");
        assert!(msg.contains("`nope`"), "{msg}");
        let (line, col, msg) = error_at(&format!("{dbs}mirror:\n  table: []\n  source: users\n"));
        assert_eq!((line, col), (7, 10), "{msg}");
        assert!(msg.contains("lists no table"), "{msg}");
        let (line, _, msg) = error_at(&format!("{dbs}mirror:\n  table: {{a: 1}}\n  source: users\n"));
        assert_eq!(line, 7, "{msg}");
        assert!(msg.contains("a table name or a list of table names"), "{msg}");
        let (line, _, msg) = error_at(&format!("{dbs}mirror:\n  table: userbase\n  source: [users, [x]]\n"));
        assert_eq!(line, 8, "{msg}");
    }

    #[test]
    fn resolved_yaml_is_itself_a_valid_policy() {
        let p = Policy::bundled();
        let text = p.resolved_yaml();
        let again = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(again.resolved_yaml(), text);
        assert!(again.is_mirror("userbase") && again.mirror_forbids("mfa_secret"));
    }
}
