use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code outside sync code (webhook handlers, sync jobs)
    /// that writes an auth-owned field of existing mirror rows: a SQL `UPDATE`,
    /// an ORM attribute assignment, a Diesel `.set(...)`, a SeaORM `Set(...)`.
    ///
    /// ## Why is this bad?
    /// The mirror is a read-only copy. A write to `email` or `mfa_enabled` in the
    /// main database changes nothing in the auth service, so the two disagree
    /// until the next sync silently reverts it — or the user logs in with the
    /// old value.
    ///
    /// ## Example
    /// ```sql
    /// UPDATE userbase SET email = 'new@example.com' WHERE id = 42;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// UPDATE userbase SET plan_tier = 'premium' WHERE id = 42;
    /// ```
    ///
    /// ## How to fix
    /// Change auth fields through the auth service (for example
    /// `auth_client.change_email(...)`); its webhook updates the mirror. Only
    /// sync code may write mirrored fields.
    "AUTH003", "auth-field-write", Error,
    "Main-backend code outside sync code writes an auth-owned field of the mirror"
}

/// Fires on each auth-owned field written on the mirror outside sync code.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() || ctx.sync {
        return;
    }
    let policy = ctx.policy;
    for fact in facts {
        // A write in a statement that may create the row is AUTH006's, not also ours.
        let FactKind::FieldWrite { table, field, upsert: false } = &fact.kind else { continue };
        if !policy.is_mirror(&table.norm) || !policy.auth_owned.matches(&field.norm) {
            continue;
        }
        let mut v = violation(
            &RULE,
            fact,
            format!(
                "`{}` of the mirror `{}` is owned by the auth service and written here outside sync code",
                field.norm, table.norm
            ),
            ctx.mirror_help("change it through the auth service; its webhook updates the mirror"),
        );
        v.table = Some(table.norm.clone());
        v.field = Some(field.norm.clone());
        out.push(v);
    }
}
