use crate::diagnostic::Violation;
use crate::facts::Fact;
use crate::rules::FileContext;

crate::declare_rule! {
    /// ## What it does
    /// Reports a suppression comment that gives no reason, or names an unknown
    /// rule code. Such a comment suppresses nothing.
    ///
    /// ## Why is this bad?
    /// A suppression is a decision that the next reader must be able to judge.
    /// Without a reason it cannot be reviewed; with a misspelt code it silences
    /// nothing while looking as if it did.
    ///
    /// ## Example
    /// ```sql
    /// -- authguard-ignore AUTH003
    /// UPDATE userbase SET email = lower(email);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// -- authguard-ignore AUTH003: one-off normalisation agreed with the auth team (TICKET-123)
    /// UPDATE userbase SET email = lower(email);
    /// ```
    ///
    /// ## How to fix
    /// Write `authguard-ignore CODE[, CODE]: reason` with known codes
    /// (`authguard rules`) and a reason after the colon.
    "AUTH011", "unjustified-suppression", Error,
    "A suppression comment gives no reason or names an unknown code"
}

/// Suppressions are judged by the suppression pass, after every other rule.
pub fn check(_ctx: &FileContext<'_>, _facts: &[Fact], _out: &mut Vec<Violation>) {}
