//! Migration revision graphs (Alembic's `revision` / `down_revision`): each
//! folder of migrations should form one chain with one head. A missing
//! parent or a second head means migrations were lost or branched; it is
//! reported as a warning, since it does not break ownership by itself.

use std::collections::{BTreeMap, BTreeSet};

/// One migration file's place in its graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The file, as shown in reports.
    pub path: String,
    /// Its revision id.
    pub id: String,
    /// The revisions it follows.
    pub parents: Vec<String>,
}

/// The folder a migration lives in: one graph per folder.
fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Warnings for graphs with a missing parent or more than one head.
pub fn check_graphs(migrations: &[Migration]) -> Vec<String> {
    let mut by_folder: BTreeMap<&str, Vec<&Migration>> = BTreeMap::new();
    for m in migrations {
        by_folder.entry(folder(&m.path)).or_default().push(m);
    }
    let mut warnings = Vec::new();
    for (dir, ms) in by_folder {
        let ids: BTreeSet<&str> = ms.iter().map(|m| m.id.as_str()).collect();
        let mut with_children = BTreeSet::new();
        for m in &ms {
            for p in &m.parents {
                if ids.contains(p.as_str()) {
                    with_children.insert(p.as_str());
                } else {
                    warnings.push(format!(
                        "{}: revision `{}` follows `{p}`, which no migration in {dir}/ defines (a migration is missing)",
                        m.path, m.id
                    ));
                }
            }
        }
        let heads: Vec<&str> = ids.iter().copied().filter(|id| !with_children.contains(id)).collect();
        if heads.len() > 1 {
            warnings.push(format!(
                "{dir}/: the migrations have {} heads ({}); merge them so they apply in one order",
                heads.len(),
                heads.join(", ")
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str, id: &str, parents: &[&str]) -> Migration {
        Migration { path: path.into(), id: id.into(), parents: parents.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn a_linear_chain_is_fine() {
        let ms = vec![m("v/b.py", "b", &["a"]), m("v/a.py", "a", &[]), m("v/c.py", "c", &["b"])];
        assert!(check_graphs(&ms).is_empty());
    }

    #[test]
    fn missing_parents_and_two_heads_are_reported() {
        let ms =
            vec![m("v/a.py", "a", &[]), m("v/b.py", "b", &["a"]), m("v/c.py", "c", &["a"]), m("v/d.py", "d", &["zz"])];
        let w = check_graphs(&ms);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("`zz`"));
        assert!(w[1].contains("3 heads (b, c, d)"));
        // A merge revision joins the heads.
        let merged = vec![
            m("v/a.py", "a", &[]),
            m("v/b.py", "b", &["a"]),
            m("v/c.py", "c", &["a"]),
            m("v/m.py", "m", &["b", "c"]),
        ];
        assert!(check_graphs(&merged).is_empty());
        // Separate folders are separate graphs.
        let two = vec![m("auth/v/a.py", "a", &[]), m("backend/v/x.py", "x", &[])];
        assert!(check_graphs(&two).is_empty());
    }
}
