use crate::diagnostic::Violation;
use crate::facts::Fact;
use crate::rules::FileContext;

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code that verifies a password itself: a call to one of
    /// the policy's password verifiers (bcrypt `verify` / `checkpw`, argon2
    /// `verify_password`, passlib `.verify`, werkzeug `check_password_hash`, a
    /// local `verify_password` helper, …) or a read of a password field of the
    /// mirror.
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

/// Password verification is a call or attribute fact; the SQL and environment
/// front ends produce neither, so this rule has nothing to judge in them.
pub fn check(_ctx: &FileContext<'_>, _facts: &[Fact], _out: &mut Vec<Violation>) {}
