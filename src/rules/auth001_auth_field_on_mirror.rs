use std::collections::HashMap;

use crate::diagnostic::Violation;
use crate::facts::{ColumnAction, Fact, FactKind, Name, TableAction};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend schema code (SQL DDL, migrations, models) that adds,
    /// declares, renames into or alters an auth-owned field on the user mirror
    /// (`userbase`), other than the read-only copies the mirror may hold (`id`,
    /// `email`). A table created with such a field and then renamed into the
    /// mirror is flagged at the rename.
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
/// so a table built elsewhere and renamed into the mirror is caught.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() {
        return;
    }
    let policy = ctx.policy;
    let mut columns: HashMap<String, Vec<Name>> = HashMap::new();
    let fire = |out: &mut Vec<Violation>, fact: &Fact, span, table: &str, field: &str, message: String| {
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
        out.push(v);
    };
    for fact in facts {
        match &fact.kind {
            FactKind::TableSchema { table, action: TableAction::Create } => {
                columns.insert(table.norm.clone(), Vec::new());
            }
            FactKind::TableSchema { table, action: TableAction::Rename { to } } => {
                let moved = columns.remove(&table.norm).unwrap_or_default();
                if policy.is_mirror(&to.norm) && !policy.is_mirror(&table.norm) {
                    for col in moved.iter().filter(|c| policy.mirror_forbids(&c.norm)) {
                        let message = format!(
                            "`{}` becomes the mirror `{}` with the auth-owned field `{}`",
                            table.norm, to.norm, col.norm
                        );
                        fire(out, fact, to.span, &to.norm, &col.norm, message);
                    }
                }
                columns.insert(to.norm.clone(), moved);
            }
            FactKind::ColumnSchema { table, column, action } => {
                let cols = columns.entry(table.norm.clone()).or_default();
                match action {
                    ColumnAction::Add | ColumnAction::Declare | ColumnAction::Alter => {
                        cols.push(column.clone());
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
                            fire(out, fact, column.span, t, c, message);
                        }
                    }
                    ColumnAction::Rename { to } => {
                        cols.retain(|c| c.norm != column.norm);
                        cols.push(to.clone());
                        if policy.is_mirror(&table.norm) && policy.mirror_forbids(&to.norm) {
                            let message = format!(
                                "`{}` of the mirror `{}` is renamed to the auth-owned field `{}`",
                                column.norm, table.norm, to.norm
                            );
                            fire(out, fact, to.span, &table.norm, &to.norm, message);
                        }
                    }
                    ColumnAction::Drop => cols.retain(|c| c.norm != column.norm),
                }
            }
            _ => {}
        }
    }
}
