use std::collections::HashMap;

use crate::diagnostic::{RelatedAt, RelatedSpan, Violation};
use crate::facts::{ColumnAction, Fact, FactKind, Name, TableAction};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend schema code (SQL DDL, migrations, models) that adds,
    /// declares, renames into or alters an auth-owned field on the user mirror
    /// (`userbase`, or any table `mirror.table` lists), other than the
    /// read-only copies the mirror may hold (`id`, `email`).
    ///
    /// Migrations are followed as a history: the SQL files of a folder in the
    /// natural order of their names (`V2__` before `V10__`; down migrations
    /// apart), an Alembic folder in its revision graph's order. A table built
    /// under another name and renamed into the mirror (a SQLite rebuild:
    /// `CREATE TABLE userbase_new (…); DROP TABLE userbase; ALTER TABLE
    /// userbase_new RENAME TO userbase`) is flagged at each auth-owned column
    /// it still has, where the column was declared (in that migration or an
    /// earlier one), with the rename as a second label. A mirror renamed away
    /// (`ALTER TABLE userbase RENAME TO userbase_old`) is judged up to the
    /// rename; what later happens to `userbase_old` is not this rule's.
    ///
    /// ## Why is this bad?
    /// The auth service alone owns password hashes, MFA secrets, login state and
    /// lock-outs. A copy in the main database is a second place to leak them and
    /// a second source of truth that drifts from the auth service.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE userbase ADD COLUMN mfa_secret text;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE userbase ADD COLUMN plan_tier text;
    /// ```
    ///
    /// ## How to fix
    /// Keep only business fields on the mirror. Ask the auth service for
    /// authentication state (`auth_client`), and add auth fields to the auth
    /// service's own `users` table instead. Dropping such a field from the mirror
    /// is always fine.
    "AUTH001", "auth-field-on-mirror", Error,
    "Main-backend schema adds an auth-owned field to the user mirror"
}

/// Fires on auth-owned columns reaching the mirror; tracks the file's tables
/// so a table built elsewhere and renamed into the mirror is reported at
/// each auth-owned column it was given, with the rename as a second label.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() {
        return;
    }
    let policy = ctx.policy;
    let mut columns: HashMap<String, Vec<(Name, usize)>> = HashMap::new();
    // `related`: the rename that makes the table the mirror, for a column given before it.
    let fire = |out: &mut Vec<Violation>,
                fact: &Fact,
                span,
                table: &str,
                field: &str,
                message: String,
                related: Option<RelatedAt>| {
        let mut v = violation(
            &RULE,
            fact,
            message,
            ctx.mirror_help(&format!(
                "keep auth fields in the auth service's {} table and ask the auth service for them",
                ctx.mirror_source()
            )),
        );
        v.span = span;
        v.table = Some(table.to_string());
        v.field = Some(field.to_string());
        if let Some(at) = related {
            v.related.push(RelatedSpan { at, message: format!("renamed into the mirror `{table}` here") });
        }
        out.push(v);
    };
    let becomes = |from: &str, to: &str, col: &str| {
        format!("`{from}` becomes the mirror `{to}` with the auth-owned field `{col}`")
    };
    for (index, fact) in facts.iter().enumerate() {
        match &fact.kind {
            FactKind::TableSchema { table, action: TableAction::Create } => {
                columns.insert(table.norm.clone(), Vec::new());
            }
            FactKind::TableSchema { table, action: TableAction::Drop } => {
                columns.remove(&table.norm);
            }
            FactKind::TableSchema { table, action: TableAction::Rename { to } } => {
                let moved = columns.remove(&table.norm).unwrap_or_default();
                if policy.is_mirror(&to.norm) && !policy.is_mirror(&table.norm) {
                    // Reported where each column was given, so the line to
                    // change is the one shown; suppressions there apply.
                    for (col, at) in moved.iter().filter(|(c, _)| policy.mirror_forbids(&c.norm)) {
                        let message = becomes(&table.norm, &to.norm, &col.norm);
                        let related = Some(RelatedAt::Here(to.span));
                        fire(out, &facts[*at], col.span, &to.norm, &col.norm, message, related);
                    }
                }
                columns.insert(to.norm.clone(), moved);
            }
            FactKind::RenamedLater { table, column, to, at }
                if policy.is_mirror(to) && !policy.is_mirror(&table.norm) && policy.mirror_forbids(&column.norm) =>
            {
                let message = becomes(&table.norm, to, &column.norm);
                fire(out, fact, column.span, to, &column.norm, message, Some(RelatedAt::Elsewhere(at.clone())));
            }
            FactKind::ColumnSchema { table, column, action } => {
                let cols = columns.entry(table.norm.clone()).or_default();
                match action {
                    ColumnAction::Add | ColumnAction::Declare | ColumnAction::Alter => {
                        // An altered column the file has not seen was given
                        // by an earlier migration: it is reported here, at
                        // the alteration, if the table becomes the mirror.
                        if !cols.iter().any(|(c, _)| c.norm == column.norm) || *action != ColumnAction::Alter {
                            cols.retain(|(c, _)| c.norm != column.norm);
                            cols.push((column.clone(), index));
                        }
                        if policy.is_mirror(&table.norm) && policy.mirror_forbids(&column.norm) {
                            let (t, c) = (&table.norm, &column.norm);
                            let message = match action {
                                ColumnAction::Alter => {
                                    format!("the auth-owned field `{c}` of the mirror `{t}` is altered")
                                }
                                ColumnAction::Declare => {
                                    format!("the mirror `{t}` declares the auth-owned field `{c}`")
                                }
                                _ => format!("the auth-owned field `{c}` is added to the mirror `{t}`"),
                            };
                            fire(out, fact, column.span, t, c, message, None);
                        }
                    }
                    ColumnAction::Rename { to } => {
                        cols.retain(|(c, _)| c.norm != column.norm);
                        cols.push((to.clone(), index));
                        if policy.is_mirror(&table.norm) && policy.mirror_forbids(&to.norm) {
                            let message = format!(
                                "`{}` of the mirror `{}` is renamed to the auth-owned field `{}`",
                                column.norm, table.norm, to.norm
                            );
                            fire(out, fact, to.span, &table.norm, &to.norm, message, None);
                        }
                    }
                    ColumnAction::Drop => cols.retain(|(c, _)| c.norm != column.norm),
                }
            }
            _ => {}
        }
    }
}
