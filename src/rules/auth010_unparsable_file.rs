use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind};
use crate::policy::Policy;
use crate::rules::{violation, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Reports a file in scope that cannot be read or parsed (not UTF-8, binary,
    /// too large, a syntax error), and a SQL string passed to a SQL-executing
    /// call that does not parse. The rest of a file is still checked wherever
    /// the parser can resume.
    ///
    /// A SQL statement the parser rejects is first taken apart on its tokens
    /// (action by action, column by column); what still cannot be read is
    /// reported when it names a table the policy guards (a database's table,
    /// the mirror) or names no table that can be identified. A statement that
    /// names only other tables cannot break the split: it is not a finding,
    /// but is counted (`unread_statements` in the JSON summary) and listed by
    /// `check --verbose`.
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
    /// (`sql.dialect`, or `sql.dialects` for the files of some paths). If
    /// the file is valid and authguard is wrong, suppress the finding with a
    /// reason and report the parser bug.
    "AUTH010", "unparsable-file", Error,
    "A file in scope cannot be read or parsed"
}

/// Fires on every `Unparsable` fact whatever the file's service, except a
/// statement that names only tables the policy does not guard (see
/// [`is_unread_only`]).
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    for fact in facts {
        let FactKind::Unparsable { message, help, tables } = &fact.kind else { continue };
        if is_unread_only(ctx.policy, &fact.kind) {
            continue;
        }
        let message = match tables.iter().find(|t| ctx.policy.guards_table(&t.norm)) {
            Some(t) => format!("{message} (the statement names `{}`, a table the policy guards)", t.norm),
            None => message.clone(),
        };
        let help = help.clone().unwrap_or_else(|| {
            "fix the file so it can be read (for SQL, check its dialect: `sql.dialect` and `sql.dialects` in the policy); authguard does not pass what it cannot read"
                .to_string()
        });
        out.push(violation(&RULE, fact, message, help));
    }
}

/// Whether an `Unparsable` fact is a statement that names tables, none of
/// which the policy guards: it cannot break the split, so it is counted
/// (`unread_statements`) rather than reported. A statement that names no
/// table that can be identified could touch any, and is reported.
pub fn is_unread_only(policy: &Policy, kind: &FactKind) -> bool {
    match kind {
        FactKind::Unparsable { tables, .. } => {
            !tables.is_empty() && !tables.iter().any(|t| policy.guards_table(&t.norm))
        }
        _ => false,
    }
}
