use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind};
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Reports a file in scope that cannot be read or parsed (not UTF-8, binary,
    /// too large, a syntax error), and a SQL string passed to a SQL-executing
    /// call that does not parse. The rest of a file is still checked wherever
    /// the parser can resume.
    ///
    /// ## Why is this bad?
    /// A guard that skips what it cannot read passes it unseen. authguard fails
    /// closed: what it could not check is a finding until someone looks.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE userbase ADD COLUMN;  -- missing the column
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// ALTER TABLE userbase ADD COLUMN plan_tier text;
    /// ```
    ///
    /// ## How to fix
    /// Fix the syntax error, or pick the right dialect in the policy
    /// (`sql.dialect`). If the file is valid and authguard is wrong, suppress the
    /// finding with a reason and report the parser bug.
    "AUTH010", "unparsable-file", Error,
    "A file in scope cannot be read or parsed"
}

/// Fires on every `Unparsable` fact, whatever the file's service.
pub fn check(_ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    for fact in facts {
        let FactKind::Unparsable { message, help, .. } = &fact.kind else { continue };
        let help = help.clone().unwrap_or_else(|| {
            "fix the file so it can be read (for SQL, check `sql.dialect` in the policy); authguard does not pass what it cannot read"
                .to_string()
        });
        out.push(violation(&RULE, fact, message.clone(), help));
    }
}
