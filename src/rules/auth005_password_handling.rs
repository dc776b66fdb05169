use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind, Name};
use crate::rules::{callee_shown, violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code that hashes a password (a call to one of the
    /// policy's password hashers: bcrypt `hash` / `hashpw`, argon2
    /// `hash_password`, a `hash_password` helper, …) or assigns a password field
    /// of any model or row. Handing a password to the auth service client,
    /// request schemas with a `password` field, and the database's own
    /// connection password are fine.
    ///
    /// So is copying rows between two versions of one table in a rebuild
    /// (`INSERT INTO users_new SELECT … password_hash … FROM users`): no
    /// password is stored that the table did not hold, and the column's
    /// declaration is what is judged (AUTH001 on the mirror). Versions are
    /// told as AUTH004 tells them; a copy from another table (`INSERT INTO
    /// userbase (password_hash) SELECT password_hash FROM users`) is reported.
    ///
    /// ## Why is this bad?
    /// A password hashed in the main backend is a password the main backend has
    /// decided to store. The auth service is the only place passwords live.
    ///
    /// ## Example
    /// ```python
    /// user.hashed_password = hash_password(new_password)
    /// db.commit()
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// await auth_client.change_password(user_id, old_password, new_password)
    /// ```
    ///
    /// ## How to fix
    /// Pass the plain password straight to the auth service client and keep no
    /// copy of it or its hash.
    "AUTH005", "password-handling", Error,
    "Main-backend code hashes or stores a password"
}

/// Fires on each password field assigned, by an update or an insert, in any
/// table. Calls to hashers are call facts, which the Python and Rust front
/// ends produce.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() {
        return;
    }
    let policy = ctx.policy;
    let copies = &ctx.copies;
    let fire = |out: &mut Vec<Violation>, fact: &Fact, table: &Name, field: &Name| {
        let mut v = violation(
            &RULE,
            fact,
            match table.norm.as_str() {
                "" => format!("`{}` is a password field; the main backend must not store passwords", field.norm),
                t => format!("`{t}.{}` is a password field; the main backend must not store passwords", field.norm),
            },
            "hand the password to the auth service client and keep no copy of it or its hash".to_string(),
        );
        v.span = field.span;
        v.table = Some(table.norm.clone()).filter(|t| !t.is_empty());
        v.field = Some(field.norm.clone());
        out.push(v);
    };
    for fact in facts {
        match &fact.kind {
            FactKind::Call { callee, resolved, language }
                if ctx.calls(callee, *resolved, &policy.functions(*language).password_hashers) =>
            {
                out.push(violation(
                    &RULE,
                    fact,
                    format!("`{}` hashes a password in the main backend", callee_shown(callee, *language)),
                    "hand the password to the auth service client and keep no copy of it or its hash".to_string(),
                ));
            }
            FactKind::FieldWrite { table, field, upsert }
                if policy.password_fields.matches(&field.norm) && !(*upsert && copies.writes(fact, &table.norm)) =>
            {
                fire(out, fact, table, field);
            }
            FactKind::RowInsert { table, columns } if !copies.writes(fact, &table.norm) => {
                for column in columns.iter().filter(|c| policy.password_fields.matches(&c.norm)) {
                    fire(out, fact, table, column);
                }
            }
            _ => {}
        }
    }
}
