use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code outside sync code that creates mirror rows: a SQL
    /// `INSERT`, an ORM constructor added to a session, Diesel `insert_into`, a
    /// SeaORM insert, an Alembic `bulk_insert`. A write that creates a row is
    /// reported here, not also as `AUTH003`.
    ///
    /// Copying the mirror's rows from another version of it in a rebuild
    /// (`INSERT INTO userbase SELECT … FROM userbase_old`, after renaming the
    /// old table away) creates no user and is not reported; versions are told
    /// as AUTH004 tells them.
    ///
    /// ## Why is this bad?
    /// A user exists when the auth service says so. A mirror row created
    /// elsewhere is a user who cannot log in, or a second account for one who
    /// can, and the sync job will fight it.
    ///
    /// ## Example
    /// ```sql
    /// INSERT INTO userbase (id, email, plan_tier) VALUES ($1, $2, 'free');
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # in webhooks/auth.py, the handler of the auth service's user-created webhook
    /// user = User(id=data["user_id"], email=data["email"], plan_tier="free")
    /// db.add(user)
    /// ```
    ///
    /// ## How to fix
    /// Register users through the auth service; create the mirror row in the
    /// webhook handler or the sync job.
    "AUTH006", "direct-user-creation", Error,
    "Main-backend code outside sync code creates mirror rows"
}

/// Fires on each insert into the mirror outside sync code.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() || ctx.sync {
        return;
    }
    let copies = &ctx.copies;
    for fact in facts {
        let FactKind::RowInsert { table, .. } = &fact.kind else { continue };
        if !ctx.policy.is_mirror(&table.norm) || copies.writes(fact, &table.norm) {
            continue;
        }
        let mut v = violation(
            &RULE,
            fact,
            format!("rows of the mirror `{}` are created here, outside sync code", table.norm),
            ctx.mirror_help(
                "register users through the auth service; the webhook handler or the sync job creates the mirror row",
            ),
        );
        v.table = Some(table.norm.clone());
        out.push(v);
    }
}
