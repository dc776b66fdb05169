//! Rules: each judges one file's facts against the policy.
//!
//! One rule per file. A rule file declares its metadata with
//! [`declare_rule!`], whose doc comment is the text `authguard explain`
//! prints, and a `check` function. Adding a rule touches its file, its
//! `mod` line and its line in `rule_list!` below, its fixtures and its
//! golden files.

use crate::diagnostic::{Severity, Violation};
use crate::facts::Fact;
use crate::policy::Policy;

/// What the catalogue knows of a rule.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code, e.g. `AUTH001`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `auth-field-on-mirror`.
    pub name: &'static str,
    /// Severity unless the policy says otherwise.
    pub default_severity: Severity,
    /// One line for `authguard rules`.
    pub summary: &'static str,
    /// The rule's documentation (Markdown): what, why, example, fix.
    pub docs: &'static str,
}

impl RuleMeta {
    /// The docs with the one leading space of each `///` line removed.
    pub fn docs_text(&self) -> String {
        self.docs.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")
    }
}

/// What a rule sees of the file being judged.
pub struct FileContext<'a> {
    /// The policy.
    pub policy: &'a Policy,
    /// The service the file belongs to (index into `policy.services`).
    pub service: Option<usize>,
    /// Whether the file is sync code.
    pub sync: bool,
    /// What the file imports (`Import` facts): a method call matches a
    /// trait's entry only when the trait is in scope.
    pub imports: Vec<String>,
    /// The file's copies between versions of one table, found once for
    /// every rule that exempts them.
    pub copies: VersionCopies,
}

impl FileContext<'_> {
    /// Whether the file is main-backend code (its service's database holds the mirror).
    pub fn in_backend(&self) -> bool {
        self.service.is_some_and(|s| self.policy.holds_mirror(s))
    }

    /// The help text of a mirror finding, with the policy's instructions.
    pub fn mirror_help(&self, help: &str) -> String {
        with_instructions(help.to_string(), self.policy.mirror.as_ref().and_then(|m| m.instructions.as_deref()))
    }

    /// The database owning `table` (its name, or "another"), and `help`
    /// followed by that database's instructions.
    pub fn owner_and_help(&self, table: &str, help: impl FnOnce(&str) -> String) -> (String, String) {
        let owner = self.policy.owner_of(table).map(|d| &self.policy.databases[d]);
        let name = owner.map_or("another", |d| d.name.as_str());
        (name.to_string(), with_instructions(help(name), owner.and_then(|d| d.instructions.as_deref())))
    }

    /// Whether a call is one of `entries` (see [`call_listed`]), with this
    /// file's imports.
    pub fn calls(&self, callee: &str, resolved: bool, entries: &[String]) -> bool {
        call_listed(callee, resolved, entries, &self.imports)
    }

    /// The mirror's source tables as help text names them: "`users`", or
    /// "`users` or `staff`" for a policy that mirrors several.
    pub fn mirror_source(&self) -> String {
        let sources = self.policy.mirror.as_ref().map_or(&[][..], |m| m.sources.as_slice());
        let quoted: Vec<String> = sources.iter().map(|s| format!("`{s}`")).collect();
        match quoted.as_slice() {
            [] => "`users`".to_string(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }
}

/// Whether a call's resolved path is one of the policy's `entries`. A dotted
/// entry (`bcrypt.checkpw`) must be the whole path; a bare one
/// (`verify_password`) names a helper and matches the last segment of a
/// known path (a function defined or imported, not a method of an object of
/// unknown type), unless the call goes through a client object
/// (`auth_client.verify_password` asks the auth service).
///
/// A method call on an object of unknown type (`hasher.verify_password(..)`,
/// unresolved, a bare name) matches an entry naming a trait's method
/// (`argon2.PasswordVerifier.verify_password`) when the file imports that
/// trait from the entry's crate (`use argon2::{Argon2, PasswordVerifier}`,
/// `use argon2::password_hash::PasswordVerifier`) or glob-imports a module
/// of that crate (`use jwt_simple::prelude::*`): Rust calls a trait's
/// methods only when the trait is in scope.
///
/// Paths are `.`-separated on both sides (the policy's `::` are turned into
/// `.` when it is loaded).
pub fn call_listed(callee: &str, resolved: bool, entries: &[String], imports: &[String]) -> bool {
    let (head, last) = callee.rsplit_once('.').unwrap_or(("", callee));
    entries.iter().any(|entry| {
        if !entry.contains('.') {
            return resolved && last == entry && !head.to_ascii_lowercase().contains("client");
        }
        if callee == entry {
            return true;
        }
        !resolved && head.is_empty() && trait_method_in_scope(entry, callee, imports)
    })
}

/// `entry` is `crate.….Trait.method` with this method, and the file
/// imports `Trait` from that crate or a glob of one of its modules.
fn trait_method_in_scope(entry: &str, method: &str, imports: &[String]) -> bool {
    let segs: Vec<&str> = entry.split('.').collect();
    let [krate, .., owner, m] = segs.as_slice() else { return false };
    if segs.len() < 3 || *m != method || !owner.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    imports.iter().any(|import| {
        let mut parts = import.split('.');
        let first = parts.next();
        let tail = import.rsplit('.').next();
        first == Some(krate) && (tail == Some(owner) || tail == Some("*"))
    })
}

/// A call's path as its language writes it (`bcrypt::verify`, `jwt.decode`).
pub fn callee_shown(callee: &str, language: crate::facts::CodeLanguage) -> String {
    match language {
        crate::facts::CodeLanguage::Python => callee.to_string(),
        crate::facts::CodeLanguage::Rust => callee.replace('.', "::"),
    }
}

/// `help`, then the policy's instructions on a line of their own.
pub fn with_instructions(help: String, instructions: Option<&str>) -> String {
    match instructions {
        Some(extra) => format!("{help}\n{extra}"),
        None => help,
    }
}

/// The statements of a file that copy rows between two versions of one
/// table (a rebuild: `INSERT INTO users_new SELECT … FROM users`): no user
/// is created, no password read or stored, that the tables' declarations do
/// not already show. Two tables are versions of one when the file renames
/// one to the other (before or after the copy), or when their names differ
/// only by a version affix ([`version_base`]).
pub struct VersionCopies {
    /// `(into, from)` of each such copy, by statement start (indexed: a
    /// generated file may hold thousands of statements).
    copies: std::collections::HashMap<usize, Vec<(String, String)>>,
    /// `(statement start, table)` of reads of a table in a statement that
    /// inserts into a version of it: a rebuild that may also join other
    /// tables to fill the new version.
    rebuild_reads: std::collections::HashSet<(usize, String)>,
}

impl VersionCopies {
    /// The version copies among a file's facts.
    pub fn of(facts: &[Fact]) -> Self {
        use crate::facts::{FactKind, TableAction};
        let renames: std::collections::HashSet<(&str, &str)> = facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::TableSchema { table, action: TableAction::Rename { to } } => {
                    Some((table.norm.as_str(), to.norm.as_str()))
                }
                _ => None,
            })
            .collect();
        let mut copies: std::collections::HashMap<usize, Vec<(String, String)>> = Default::default();
        for f in facts {
            let FactKind::RowCopy { into, from } = &f.kind else { continue };
            let (into, from) = (into.norm.as_str(), from.norm.as_str());
            let renamed = renames.contains(&(into, from)) || renames.contains(&(from, into));
            if into != from && (renamed || version_base(into) == version_base(from)) {
                copies.entry(f.statement_start).or_default().push((into.to_string(), from.to_string()));
            }
        }
        let mut inserted: std::collections::HashMap<usize, Vec<&str>> = Default::default();
        for f in facts {
            if let FactKind::RowInsert { table, .. } = &f.kind {
                inserted.entry(f.statement_start).or_default().push(table.norm.as_str());
            }
        }
        let rebuild_reads = facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::TableAccess { table, mode: crate::facts::AccessMode::Read } => {
                    let into = inserted.get(&f.statement_start)?;
                    into.iter()
                        .any(|t| *t != table.norm && version_base(t) == version_base(&table.norm))
                        .then(|| (f.statement_start, table.norm.clone()))
                }
                _ => None,
            })
            .collect();
        VersionCopies { copies, rebuild_reads }
    }

    /// Whether `fact` reads `table` in a statement that fills a version of
    /// it, through a plain copy or a join.
    pub fn rebuild_reads(&self, fact: &Fact, table: &str) -> bool {
        self.reads(fact, table) || self.rebuild_reads.contains(&(fact.statement_start, table.to_string()))
    }

    /// Whether `fact` writes `table` in a version copy.
    pub fn writes(&self, fact: &Fact, table: &str) -> bool {
        self.copies.get(&fact.statement_start).is_some_and(|c| c.iter().any(|(into, _)| into == table))
    }

    /// Whether `fact` reads `table` in a version copy.
    pub fn reads(&self, fact: &Fact, table: &str) -> bool {
        self.copies.get(&fact.statement_start).is_some_and(|c| c.iter().any(|(_, from)| from == table))
    }
}

/// A table's name without the affix that marks a version of it during a
/// rebuild: `users_new`, `users_old`, `users_tmp`, `users_backup`,
/// `users_v2`, `users2`, `new_users`, `old_users`, `tmp_users`, `__temp__users`
/// (SQLAlchemy-style batch copies), `_alembic_tmp_users` and `new__users`
/// (Django's SQLite rebuilds) are all `users`.
pub fn version_base(table: &str) -> &str {
    const PREFIXES: [&str; 8] = ["_alembic_tmp_", "__temp__", "new__", "new_", "old_", "tmp_", "temp_", "backup_"];
    const SUFFIXES: [&str; 8] = ["_new", "_old", "_tmp", "_temp", "_backup", "_bak", "_copy", "__temp__"];
    for p in PREFIXES {
        if let Some(rest) = table.strip_prefix(p).filter(|r| !r.is_empty()) {
            return rest;
        }
    }
    for s in SUFFIXES {
        if let Some(rest) = table.strip_suffix(s).filter(|r| !r.is_empty()) {
            return rest;
        }
    }
    // `_v2`, `_v10`: a version number.
    if let Some((rest, v)) = table.rsplit_once("_v") {
        if !rest.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            return rest;
        }
    }
    // `access_tokens2`: a number right after a name of some length.
    let rest = table.trim_end_matches(|c: char| c.is_ascii_digit());
    if rest.len() < table.len() && rest.len() >= 4 && rest.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return rest;
    }
    table
}

/// A rule's check: reads the facts, pushes violations.
pub type CheckFn = fn(&FileContext<'_>, &[Fact], &mut Vec<Violation>);

/// Declares a rule's metadata from its doc comment.
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $code:literal, $name:literal, $severity:ident, $summary:literal) => {
        /// This rule's entry in the catalogue.
        pub static RULE: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            code: $code,
            name: $name,
            default_severity: $crate::diagnostic::Severity::$severity,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
        };
    };
}

macro_rules! rule_list {
    ($($module:ident),* $(,)?) => {
        /// Every rule, in code order.
        pub static ALL: &[&RuleMeta] = &[$(&$module::RULE),*];

        /// Every rule's check, in code order.
        pub static CHECKS: &[(&RuleMeta, CheckFn)] = &[$((&$module::RULE, $module::check as CheckFn)),*];
    };
}

// Declared outside `rule_list!` so rustfmt sees the files.
pub mod auth001_auth_field_on_mirror;
pub mod auth002_foreign_table_schema;
pub mod auth003_auth_field_write;
pub mod auth004_direct_password_verification;
pub mod auth005_password_handling;
pub mod auth006_direct_user_creation;
pub mod auth007_local_session_validation;
pub mod auth008_foreign_table_access;
pub mod auth009_foreign_db_credentials;
pub mod auth010_unparsable_file;
pub mod auth011_unjustified_suppression;
pub mod auth012_unused_suppression;

rule_list! {
    auth001_auth_field_on_mirror,
    auth002_foreign_table_schema,
    auth003_auth_field_write,
    auth004_direct_password_verification,
    auth005_password_handling,
    auth006_direct_user_creation,
    auth007_local_session_validation,
    auth008_foreign_table_access,
    auth009_foreign_db_credentials,
    auth010_unparsable_file,
    auth011_unjustified_suppression,
    auth012_unused_suppression,
}

/// A rule by code or name, case-insensitively.
pub fn find(key: &str) -> Option<&'static RuleMeta> {
    ALL.iter().copied().find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// Run every rule over one file's facts.
pub fn check_file(ctx: &FileContext<'_>, facts: &[Fact]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (_, check) in CHECKS {
        check(ctx, facts, &mut out);
    }
    out
}

/// A violation of `rule` at `fact`, with the common fields filled in.
pub fn violation(rule: &'static RuleMeta, fact: &Fact, message: String, help: String) -> Violation {
    Violation {
        rule,
        span: fact.span,
        statement_start: fact.statement_start,
        message,
        help: Some(help),
        table: None,
        field: None,
        related: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{call_listed, version_base};

    #[test]
    fn version_affixes_come_off_once() {
        for t in ["users_new", "users_old", "users_tmp", "users_backup", "users_v2", "users_v10", "new_users", "users2"]
        {
            assert_eq!(version_base(t), "users", "{t}");
        }
        for t in ["old_users", "tmp_users", "__temp__users", "_alembic_tmp_users", "new__users", "users"] {
            assert_eq!(version_base(t), "users", "{t}");
        }
        // Other names keep theirs: `userbase` is not a version of `users`.
        for t in ["userbase", "users_v", "users_vx", "_new", "new_", "renewals", "user_news", "s3", "md5", "ab_2"] {
            assert_eq!(version_base(t), t, "{t}");
        }
    }

    fn entries() -> Vec<String> {
        [
            "bcrypt.verify",
            "argon2.PasswordVerifier.verify_password",
            "jwt_simple.algorithms.MACLike.verify_token",
            "verify_password",
        ]
        .map(String::from)
        .to_vec()
    }

    fn imports(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn paths_match_whole_and_helpers_by_last_segment() {
        assert!(call_listed("bcrypt.verify", true, &entries(), &[]));
        assert!(!call_listed("mylib.verify", true, &entries(), &[]));
        assert!(call_listed("crate.auth.verify_password", true, &entries(), &[]));
        assert!(!call_listed("auth_client.verify_password", true, &entries(), &[]));
    }

    #[test]
    fn methods_match_a_trait_in_scope_only() {
        let argon = imports(&["argon2.Argon2", "argon2.PasswordVerifier"]);
        assert!(call_listed("verify_password", false, &entries(), &argon));
        let nested = imports(&["argon2.password_hash.PasswordVerifier"]);
        assert!(call_listed("verify_password", false, &entries(), &nested));
        let glob = imports(&["jwt_simple.prelude.*"]);
        assert!(call_listed("verify_token", false, &entries(), &glob));
        // Another crate's trait of the same name, or no import at all.
        assert!(!call_listed("verify_password", false, &entries(), &imports(&["mylib.PasswordVerifier"])));
        assert!(!call_listed("verify_password", false, &entries(), &[]));
        assert!(!call_listed("verify_token", false, &entries(), &imports(&["diesel.prelude.*"])));
        // A free function is never a method.
        assert!(!call_listed("verify", false, &entries(), &imports(&["bcrypt.*"])));
    }
}
