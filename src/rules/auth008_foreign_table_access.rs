use crate::diagnostic::Violation;
use crate::facts::{AccessMode, Fact, FactKind};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags a service's code that reads or writes a table owned by another
    /// service's database: SQL in files or strings (`SELECT`, joins, subqueries,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`), and ORM queries on a model of
    /// that table.
    ///
    /// ## Why is this bad?
    /// The main backend has no connection to the auth database, and should not:
    /// a query on `users` or `sessions` from the main backend either fails in
    /// production or means someone gave it credentials it must not have. The
    /// auth service reading `userbase` couples it to the backend's schema.
    ///
    /// ## Example
    /// ```sql
    /// -- in the main backend
    /// SELECT u.email FROM users u JOIN userbase b ON b.id = u.id;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// SELECT b.email FROM userbase b;
    /// ```
    ///
    /// ## How to fix
    /// Read the service's own tables (the main backend's `userbase` mirror holds
    /// `id` and `email`), or ask the owning service's API.
    "AUTH008", "foreign-table-access", Error,
    "A service's code reads or writes a table owned by another service's database"
}

/// Fires on each access to a foreign table.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    let Some(service) = ctx.service else { return };
    let policy = ctx.policy;
    for fact in facts {
        let FactKind::TableAccess { table, mode } = &fact.kind else { continue };
        if !policy.is_foreign(service, &table.norm) {
            continue;
        }
        let verb = match mode {
            AccessMode::Read => "reads",
            AccessMode::Write => "writes",
        };
        let svc = &policy.services[service].name;
        let (owner, help) = ctx.owner_and_help(&table.norm, |_| {
            format!("use {svc}'s own tables, or ask the API of the service that owns `{}`", table.norm)
        });
        let mut v =
            violation(&RULE, fact, format!("{svc} {verb} `{}`, a table of the `{owner}` database", table.norm), help);
        v.table = Some(table.norm.clone());
        out.push(v);
    }
}
