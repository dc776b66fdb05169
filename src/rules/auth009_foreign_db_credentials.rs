use crate::diagnostic::Violation;
use crate::facts::{Fact, FactKind};
use crate::policy::Database;
use crate::rules::{violation, with_instructions, FileContext};

crate::declare_rule! {
    /// ## What it does
    /// Flags a service's environment file that sets another database's
    /// connection settings: the main backend setting `AUTH_DB_*` or
    /// `AUTH_DATABASE_URL`, the auth service setting `DB_*` or `DATABASE_URL`.
    ///
    /// ## Why is this bad?
    /// Credentials are capabilities. A main backend that can connect to the auth
    /// database will, sooner or later, be used to read password hashes or
    /// sessions directly.
    ///
    /// ## Example
    /// ```sh
    /// # backend/.env
    /// AUTH_DB_HOST=auth-db.internal
    /// ```
    ///
    /// Use instead:
    /// ```sh
    /// # backend/.env
    /// AUTH_SERVICE_URL=http://auth-service.internal:8001
    /// ```
    ///
    /// ## How to fix
    /// Remove the variable; give the service the URL and API key of the other
    /// service's API instead.
    "AUTH009", "foreign-db-credentials", Error,
    "A service's environment file sets another database's connection settings"
}

fn configures(db: &Database, var: &str) -> bool {
    db.env_names.iter().any(|n| n == var) || db.env_prefixes.iter().any(|p| var.starts_with(p.as_str()))
}

/// Fires on a variable of another database that is not also one of the service's own.
pub fn check(ctx: &FileContext<'_>, facts: &[Fact], out: &mut Vec<Violation>) {
    let Some(service) = ctx.service else { return };
    let policy = ctx.policy;
    let own = &policy.databases[policy.services[service].database];
    for fact in facts {
        let FactKind::EnvVar { raw, .. } = &fact.kind else { continue };
        let var = raw.to_uppercase();
        if configures(own, &var) {
            continue;
        }
        let Some(other) = policy.databases.iter().find(|d| d.name != own.name && configures(d, &var)) else {
            continue;
        };
        let help = with_instructions(
            "remove it; reach the other service through its API (its URL and API key)".to_string(),
            other.instructions.as_deref(),
        );
        out.push(violation(
            &RULE,
            fact,
            format!(
                "{} sets `{raw}`, a connection setting of the `{}` database",
                policy.services[service].name, other.name
            ),
            help,
        ));
    }
}
