use crate::diagnostic::Violation;
use crate::facts::Fact;
use crate::rules::FileContext;

crate::declare_rule! {
    /// ## What it does
    /// Flags main-backend code that hashes a password (a call to one of the
    /// policy's password hashers: bcrypt `hash` / `hashpw`, argon2
    /// `hash_password`, a `hash_password` helper, …) or assigns a password field
    /// of any model or row. Handing a password to the auth service client,
    /// request schemas with a `password` field, and the database's own
    /// connection password are fine.
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

/// Hashing is a call fact and storing an attribute fact; the SQL and
/// environment front ends produce neither, so this rule has nothing to judge in them.
pub fn check(_ctx: &FileContext<'_>, _facts: &[Fact], _out: &mut Vec<Violation>) {}
