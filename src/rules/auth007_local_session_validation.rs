use crate::diagnostic::Violation;
use crate::facts::Fact;
use crate::rules::FileContext;

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code outside sync code that validates a token or
    /// session itself: a call to one of the policy's token validators (PyJWT
    /// `jwt.decode`, python-jose, `jsonwebtoken::decode`, …) or a read of the
    /// auth service's `sessions` table.
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

/// Token validation is a call fact; the SQL and environment front ends
/// produce none (SQL reads of `sessions` are `AUTH008`).
pub fn check(_ctx: &FileContext<'_>, _facts: &[Fact], _out: &mut Vec<Violation>) {}
