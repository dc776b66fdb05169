use crate::diagnostic::Violation;
use crate::facts::Fact;
use crate::rules::FileContext;

crate::declare_rule! {
    /// ## What it does
    /// Reports a suppression comment that suppresses nothing: no finding of the
    /// codes it names stands on its line or the line below.
    ///
    /// ## Why is this bad?
    /// Stale suppressions hide the next real violation that lands on that line,
    /// and make the codebase look more exempt than it is.
    ///
    /// ## Example
    /// ```sql
    /// -- authguard-ignore AUTH003: legacy import
    /// UPDATE userbase SET plan_tier = 'free';
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// UPDATE userbase SET plan_tier = 'free';
    /// ```
    ///
    /// ## How to fix
    /// Delete the comment, or move it next to the finding it is meant for.
    "AUTH012", "unused-suppression", Warning,
    "A suppression comment suppresses nothing"
}

/// Suppressions are judged by the suppression pass, after every other rule.
pub fn check(_ctx: &FileContext<'_>, _facts: &[Fact], _out: &mut Vec<Violation>) {}
