//! Migration histories. The migrations of one folder apply in order: an
//! Alembic folder in its revision graph's order, a folder of SQL files in
//! the natural order of their names (`V2__` before `V10__`). A table built
//! in one migration and renamed into the mirror in a later one carries the
//! columns the earlier ones gave it; this pass finds each such column and
//! tells the migration that gave it ([`FactKind::RenamedLater`]), where
//! AUTH001 reports it, with the rename as a second label.
//!
//! Within one file the rule follows the table itself: only columns given by
//! *other* migrations are passed on, and only those the renaming file does
//! not mention again (an `ALTER COLUMN` there is reported there).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::facts::{ColumnAction, Fact, FactKind, Name, TableAction};
use crate::migrations::{self, Migration};
use crate::policy::Policy;
use crate::source::{Location, SourceFile};

/// One checked file, as the history pass sees it.
pub struct Member<'a> {
    /// The file, as shown to users (its folder groups histories).
    pub path: &'a str,
    /// Whether it is a SQL file (ordered by name within its folder).
    pub sql: bool,
    /// Its facts, in source order.
    pub facts: &'a [Fact],
    /// Its text, to locate a rename for the files that learn of it.
    pub file: &'a SourceFile,
}

/// Facts to add to members: for each member index, `(after, fact)` pairs in
/// the order they were found, each to follow the fact at index `after`.
pub type Additions = BTreeMap<usize, Vec<(usize, Fact)>>;

/// The folder of a displayed path.
fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The file name of a displayed path.
fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// Whether a SQL file undoes a migration rather than applying one
/// (`0003_x.down.sql`, `0003_down.sql`, Flyway's `U3__x.sql`): it belongs
/// to no forward history.
pub fn is_down_migration(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".sql").unwrap_or(&lower);
    let undo = ["down", "rollback", "undo"]
        .iter()
        .any(|word| stem == *word || [".", "_", "-"].iter().any(|sep| stem.ends_with(&format!("{sep}{word}"))));
    let mut chars = stem.chars();
    let flyway_undo =
        chars.next() == Some('u') && chars.next().is_some_and(|c| c.is_ascii_digit()) && stem.contains("__");
    undo || flyway_undo
}

/// Names compared with their runs of digits as numbers: `2_x` before `10_x`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.char_indices().peekable(), b.char_indices().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((i, c)), Some((j, d))) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let ((m, lm), (n, ln)) = (digit_run(a, i), digit_run(b, j));
                let order = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if order != Ordering::Equal {
                    return order;
                }
                // Digits are ASCII: one char per byte.
                x.nth(lm - 1);
                y.nth(ln - 1);
            }
            (Some((_, c)), Some((_, d))) => {
                if c != d {
                    return c.cmp(&d);
                }
                x.next();
                y.next();
            }
        }
    }
}

/// The run of digits of `s` from byte `from`, without leading zeros, and
/// the run's length.
fn digit_run(s: &str, from: usize) -> (&str, usize) {
    let len = s[from..].bytes().take_while(u8::is_ascii_digit).count();
    (s[from..from + len].trim_start_matches('0'), len)
}

/// The histories among `members`, each as member indices in the order the
/// migrations apply: Alembic folders by their graphs, SQL folders by name.
/// Histories of one file are left out: the rule follows a file by itself.
pub fn histories(members: &[Member<'_>]) -> Vec<Vec<usize>> {
    let mut alembic: BTreeMap<&str, Vec<(usize, Migration)>> = BTreeMap::new();
    let mut sql: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        let revision = m.facts.iter().find_map(|f| match &f.kind {
            FactKind::Revision { id, parents } => Some((id, parents)),
            _ => None,
        });
        if let Some((id, parents)) = revision {
            let migration = Migration { path: m.path.to_string(), id: id.clone(), parents: parents.clone() };
            alembic.entry(folder(m.path)).or_default().push((i, migration));
        } else if m.sql && !is_down_migration(file_name(m.path)) {
            sql.entry(folder(m.path)).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (_, ms) in alembic {
        let refs: Vec<&Migration> = ms.iter().map(|(_, m)| m).collect();
        out.push(migrations::order(&refs).into_iter().map(|k| ms[k].0).collect());
    }
    for (_, mut files) in sql {
        files.sort_by(|&a, &b| natural_cmp(file_name(members[a].path), file_name(members[b].path)));
        out.push(files);
    }
    out.retain(|h: &Vec<usize>| h.len() > 1);
    out
}

/// Where a column was last given to a table (added, declared or renamed to).
#[derive(Clone)]
struct Given {
    table: Name,
    column: Name,
    member: usize,
    index: usize,
    statement_start: usize,
}

/// Follow every history: for each column an earlier migration gave a table
/// that a later one renames into the mirror, a [`FactKind::RenamedLater`]
/// for the migration that gave it.
pub fn follow(members: &[Member<'_>], policy: &Policy) -> Additions {
    let mut additions = Additions::new();
    for history in histories(members) {
        follow_one(members, &history, policy, &mut additions);
    }
    additions
}

fn follow_one(members: &[Member<'_>], history: &[usize], policy: &Policy, additions: &mut Additions) {
    // Columns per table, as the history so far leaves them.
    let mut tables: HashMap<String, Vec<Given>> = HashMap::new();
    for &m in history {
        // Columns each table's statements in this file mention: the rule
        // reports those itself.
        let mut here: HashMap<String, Vec<String>> = HashMap::new();
        for (index, fact) in members[m].facts.iter().enumerate() {
            match &fact.kind {
                FactKind::TableSchema { table, action: TableAction::Create } => {
                    tables.insert(table.norm.clone(), Vec::new());
                    here.insert(table.norm.clone(), Vec::new());
                }
                FactKind::TableSchema { table, action: TableAction::Drop } => {
                    tables.remove(&table.norm);
                    here.remove(&table.norm);
                }
                FactKind::TableSchema { table, action: TableAction::Rename { to } } => {
                    let given = tables.remove(&table.norm).unwrap_or_default();
                    let mentioned = here.remove(&table.norm).unwrap_or_default();
                    if policy.is_mirror(&to.norm) && !policy.is_mirror(&table.norm) {
                        let at = Location::of(members[m].file, to.span);
                        for g in given.iter().filter(|g| g.member != m && !mentioned.contains(&g.column.norm)) {
                            let kind = FactKind::RenamedLater {
                                table: g.table.clone(),
                                column: g.column.clone(),
                                to: to.norm.clone(),
                                at: at.clone(),
                            };
                            let fact = Fact { kind, span: g.column.span, statement_start: g.statement_start };
                            additions.entry(g.member).or_default().push((g.index, fact));
                        }
                    }
                    tables.insert(to.norm.clone(), given);
                    here.insert(to.norm.clone(), mentioned);
                }
                FactKind::ColumnSchema { table, column, action } => {
                    let given = tables.entry(table.norm.clone()).or_default();
                    let mentioned = here.entry(table.norm.clone()).or_default();
                    let now = |column: &Name| Given {
                        table: table.clone(),
                        column: column.clone(),
                        member: m,
                        index,
                        statement_start: fact.statement_start,
                    };
                    match action {
                        ColumnAction::Add | ColumnAction::Declare => {
                            given.retain(|g| g.column.norm != column.norm);
                            given.push(now(column));
                            mentioned.push(column.norm.clone());
                        }
                        ColumnAction::Alter => mentioned.push(column.norm.clone()),
                        ColumnAction::Drop => {
                            given.retain(|g| g.column.norm != column.norm);
                            mentioned.retain(|c| *c != column.norm);
                        }
                        ColumnAction::Rename { to } => {
                            given.retain(|g| g.column.norm != column.norm);
                            given.push(now(to));
                            mentioned.retain(|c| *c != column.norm);
                            mentioned.push(to.norm.clone());
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Add a member's facts, each after the fact it follows, keeping the order
/// in which they were found.
pub fn insert(facts: &mut Vec<Fact>, added: Vec<(usize, Fact)>) {
    let mut added: Vec<(usize, usize, Fact)> = added.into_iter().enumerate().map(|(n, (at, f))| (at, n, f)).collect();
    added.sort_by_key(|(at, n, _)| (*at, *n));
    let mut out = Vec::with_capacity(facts.len() + added.len());
    let mut added = added.into_iter().peekable();
    for (i, fact) in facts.drain(..).enumerate() {
        out.push(fact);
        while let Some((_, _, f)) = added.next_if(|(at, _, _)| *at == i) {
            out.push(f);
        }
    }
    out.extend(added.map(|(_, _, f)| f));
    *facts = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_with_numbers_as_numbers() {
        let mut names =
            vec!["V10__c.sql", "V2__b.sql", "V1__a.sql", "002_x.sql", "10_y.sql", "1_z.sql", "b.sql", "a.sql"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            vec!["1_z.sql", "002_x.sql", "10_y.sql", "V1__a.sql", "V2__b.sql", "V10__c.sql", "a.sql", "b.sql"]
        );
        // Equal numbers written differently still have an order.
        assert_eq!(natural_cmp("01_a.sql", "1_a.sql"), "01_a.sql".cmp("1_a.sql"));
        assert_eq!(natural_cmp("é1.sql", "é01.sql"), "é1.sql".cmp("é01.sql"));
    }

    #[test]
    fn down_migrations_are_no_part_of_a_history() {
        for down in ["0003_swap.down.sql", "0003_down.sql", "7-rollback.sql", "U3__swap.sql", "down.sql"] {
            assert!(is_down_migration(down), "{down}");
        }
        for up in ["0003_swap.up.sql", "0003_lockdown.sql", "V3__undo_x.sql", "users.sql", "u.sql"] {
            assert!(!is_down_migration(up), "{up}");
        }
    }
}
