use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind, Name, TableAction};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags schema code of one service (SQL DDL, migrations, models, schema
    /// declarations) that creates, declares, alters, renames or drops a table
    /// owned by another service's database.
    ///
    /// ## Why is this bad?
    /// Each database has one owner. A main-backend migration that touches the
    /// auth service's `users` or `sessions` either fails (the table lives in
    /// another database) or, worse, quietly creates a second copy that code then
    /// trusts.
    ///
    /// ## Example
    /// ```sql
    /// -- in the main backend's migrations
    /// ALTER TABLE users ADD COLUMN plan_tier text;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE userbase ADD COLUMN plan_tier text;
    /// ```
    ///
    /// ## How to fix
    /// Move the change to the migrations of the service that owns the table, or
    /// change the service's own table (for the main backend, the `userbase`
    /// mirror) instead.
    "AUTH002", "foreign-table-schema", Error,
    "A service's schema code changes a table owned by another service's database"
}

/// Fires once per table-level schema fact on a foreign table.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    let Some(service) = ctx.service else { return };
    let policy = ctx.policy;
    for fact in facts {
        let FactKind::TableSchema { table, action } = &fact.kind else { continue };
        let (target, verb): (&Name, &str) = match action {
            TableAction::Create => (table, "creates"),
            TableAction::Declare => (table, "declares"),
            TableAction::Alter => (table, "alters"),
            TableAction::Drop => (table, "drops"),
            TableAction::Rename { to } if policy.is_foreign(service, &table.norm) => (table, "renames"),
            TableAction::Rename { to } => (to, "renames a table into"),
        };
        if !policy.is_foreign(service, &target.norm) {
            continue;
        }
        let (owner, help) = ctx.owner_and_help(&target.norm, |owner| {
            format!("make this change in the migrations of the service that owns the `{owner}` database")
        });
        let svc = &policy.services[service].name;
        let mut v =
            violation(&RULE, fact, format!("{svc} {verb} `{}`, a table of the `{owner}` database", target.norm), help);
        v.span = target.span;
        v.table = Some(target.norm.clone());
        out.push(v);
    }
}
