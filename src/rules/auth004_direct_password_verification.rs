use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind};
use crate::rules::{callee_shown, violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code that verifies a password itself: a call to one of
    /// the policy's password verifiers (bcrypt `verify` / `checkpw`, argon2
    /// `verify_password`, passlib `.verify`, werkzeug `check_password_hash`, a
    /// local `verify_password` helper, …) or a read of a password field of the
    /// mirror.
    ///
    /// Copying rows between two versions of the mirror in a rebuild
    /// (`INSERT INTO userbase_new SELECT … password_hash … FROM userbase`)
    /// verifies nothing and is not reported: the field's declaration is
    /// (AUTH001). Two tables are versions of one when the file renames one to
    /// the other, or their names differ by a version affix (`_new`, `_old`,
    /// `_tmp`, `_backup`, `_v2`, `new_`, `old_`, `tmp_`, `__temp__`, …).
    ///
    /// ## Why is this bad?
    /// Only the auth service knows the password hash, the lock-out state and the
    /// login attempts. Verifying locally bypasses rate limiting, lock-outs and
    /// audit, and needs a hash the main backend must never hold.
    ///
    /// ## Example
    /// ```python
    /// user = db.query(User).filter(User.email == email).first()
    /// if verify_password(password, user.hashed_password):
    ///     ...
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// result = await auth_client.login(email, password)
    /// if result and result.get("valid"):
    ///     ...
    /// ```
    ///
    /// ## How to fix
    /// Send the credentials to the auth service (`auth_client.login`) and use
    /// the user id it returns.
    "AUTH004", "direct-password-verification", Error,
    "Main-backend code verifies a password itself"
}

/// Fires on calls to the policy's password verifiers and on reads of a
/// password field of the mirror.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() {
        return;
    }
    let policy = ctx.policy;
    let copies = &ctx.copies;
    for fact in facts {
        if let FactKind::Call { callee, resolved, language } = &fact.kind {
            if ctx.calls(callee, *resolved, &policy.functions(*language).password_verifiers) {
                out.push(violation(
                    &RULE,
                    fact,
                    format!("`{}` verifies a password in the main backend", callee_shown(callee, *language)),
                    "send the credentials to the auth service (auth_client.login) and use the user id it returns"
                        .to_string(),
                ));
            }
            continue;
        }
        let FactKind::FieldRead { table, field } = &fact.kind else { continue };
        if !policy.is_mirror(&table.norm)
            || !policy.password_fields.matches(&field.norm)
            || copies.reads(fact, &table.norm)
        {
            continue;
        }
        let mut v = violation(
            &RULE,
            fact,
            format!("`{}.{}` is a password field: reading it means verifying passwords here", table.norm, field.norm),
            ctx.mirror_help(
                "send the credentials to the auth service (auth_client.login) and use the user id it returns",
            ),
        );
        v.table = Some(table.norm.clone());
        v.field = Some(field.norm.clone());
        out.push(v);
    }
}
