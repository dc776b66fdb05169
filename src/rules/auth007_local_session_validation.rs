use crate::diagnostic::Violation;
use crate::facts::{AccessMode, Fact, FactKind};
use crate::rules::{callee_shown, violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code outside sync code that validates a token or
    /// session itself: a call to one of the policy's token validators (PyJWT
    /// `jwt.decode`, python-jose, `jsonwebtoken::decode`, …) or a read of the
    /// auth service's `sessions` table. Copying a session table's rows into
    /// its next version during a rebuild (`INSERT INTO sessions_new SELECT …
    /// FROM sessions`) validates nothing and is not reported.
    ///
    /// ## Why is this bad?
    /// Only the auth service knows whether a session was revoked, a password
    /// changed or an account locked. A token checked locally stays valid after
    /// all of those.
    ///
    /// ## Example
    /// ```python
    /// claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// validation = await auth_client.validate_token(token)
    /// if not validation or not validation.get("valid"):
    ///     raise Unauthorized()
    /// ```
    ///
    /// ## How to fix
    /// Validate every request's token with the auth service; cache the answer
    /// briefly if you must, and fail closed when the auth service is down.
    "AUTH007", "local-session-validation", Error,
    "Main-backend code validates a token or session itself"
}

/// Fires on reads of a session table outside sync code. Calls to token
/// validators are call facts, which the Python and Rust front ends produce.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    if !ctx.in_backend() || ctx.sync {
        return;
    }
    for fact in facts {
        if let FactKind::Call { callee, resolved, language } = &fact.kind {
            if ctx.calls(callee, *resolved, &ctx.policy.functions(*language).token_validators) {
                out.push(violation(
                    &RULE,
                    fact,
                    format!(
                        "`{}` validates a token in the main backend instead of asking the auth service",
                        callee_shown(callee, *language)
                    ),
                    "validate the token with the auth service (auth_client.validate_token) on every request"
                        .to_string(),
                ));
            }
            continue;
        }
        let FactKind::TableAccess { table, mode: AccessMode::Read } = &fact.kind else { continue };
        // Copying a session table's rows into its next version (a rebuild)
        // validates nothing.
        if !ctx.policy.session_tables.contains(&table.norm) || ctx.copies.rebuild_reads(fact, &table.norm) {
            continue;
        }
        let mut v = violation(
            &RULE,
            fact,
            format!("reading `{}` validates sessions here instead of asking the auth service", table.norm),
            "validate the token with the auth service (auth_client.validate_token) on every request".to_string(),
        );
        v.table = Some(table.norm.clone());
        out.push(v);
    }
}
