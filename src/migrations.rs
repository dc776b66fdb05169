//! Migration revision graphs (Alembic's `revision` / `down_revision`): each
//! folder of migrations should form one chain with one head. A missing
//! parent or a second head means migrations were lost or branched; it is
//! reported as a warning, since it does not break ownership by itself.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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

/// Problems listed one by one per folder before the rest are counted.
const MAX_LISTED: usize = 3;

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
        let mut missing = Vec::new();
        for m in &ms {
            for p in &m.parents {
                if ids.contains(p.as_str()) {
                    with_children.insert(p.as_str());
                } else {
                    missing.push(format!(
                        "{}: revision `{}` follows `{p}`, which no migration in {dir}/ defines (a migration is missing)",
                        m.path, m.id
                    ));
                }
            }
        }
        // A folder that is not one graph at all would print a line a file:
        // the first few say enough.
        let extra = missing.len().saturating_sub(MAX_LISTED);
        warnings.extend(missing.into_iter().take(MAX_LISTED));
        if extra > 0 {
            warnings.push(format!("{dir}/: {extra} more migrations follow revisions no migration there defines"));
        }
        let heads: Vec<&str> = ids.iter().copied().filter(|id| !with_children.contains(id)).collect();
        if heads.len() > 1 {
            let shown: Vec<&str> = heads.iter().copied().take(MAX_LISTED).collect();
            let more = if heads.len() > MAX_LISTED { ", …" } else { "" };
            warnings.push(format!(
                "{dir}/: the migrations have {} heads ({}{more}); merge them so they apply in one order",
                heads.len(),
                shown.join(", ")
            ));
        }
    }
    warnings
}

/// The order migrations of one folder apply in: parents before children,
/// ties and cycles broken by id. Returns indices into `migrations`.
///
/// Kahn's algorithm over the ids: a migration is ready once every parent
/// present in the folder has been placed; the smallest ready id goes first,
/// and when none is ready (a cycle) the smallest remaining one does.
pub fn order(migrations: &[&Migration]) -> Vec<usize> {
    let present: HashSet<&str> = migrations.iter().map(|m| m.id.as_str()).collect();
    // Per migration: parents present and not yet placed.
    let mut waiting: Vec<usize> = vec![0; migrations.len()];
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, m) in migrations.iter().enumerate() {
        let parents: BTreeSet<&str> =
            m.parents.iter().map(String::as_str).filter(|p| present.contains(p) && *p != m.id).collect();
        waiting[i] = parents.len();
        for p in parents {
            children.entry(p).or_default().push(i);
        }
    }
    let mut remaining: BTreeSet<(&str, usize)> =
        migrations.iter().enumerate().map(|(i, m)| (m.id.as_str(), i)).collect();
    let mut ready: BTreeSet<(&str, usize)> = remaining.iter().copied().filter(|&(_, i)| waiting[i] == 0).collect();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(migrations.len());
    while let Some(next) = ready.pop_first().or_else(|| remaining.first().copied()) {
        remaining.remove(&next);
        let (id, i) = next;
        out.push(i);
        if !placed.insert(id) {
            continue;
        }
        for &c in children.get(id).into_iter().flatten() {
            waiting[c] = waiting[c].saturating_sub(1);
            let key = (migrations[c].id.as_str(), c);
            if waiting[c] == 0 && remaining.contains(&key) {
                ready.insert(key);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str, id: &str, parents: &[&str]) -> Migration {
        Migration { path: path.into(), id: id.into(), parents: parents.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn a_linear_chain_is_fine_and_ordered() {
        let ms = vec![m("v/b.py", "b", &["a"]), m("v/a.py", "a", &[]), m("v/c.py", "c", &["b"])];
        assert!(check_graphs(&ms).is_empty());
        let refs: Vec<&Migration> = ms.iter().collect();
        let ids: Vec<&str> = order(&refs).into_iter().map(|i| ms[i].id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b", "c"]);
    }

    #[test]
    fn long_chains_merges_and_cycles_are_ordered() {
        // 3,000 migrations in one chain whose ids sort in no useful order.
        let n = 3000;
        let id = |i: usize| format!("{:08x}", (i as u64).wrapping_mul(2654435761) % 4294967291);
        let ms: Vec<Migration> = (0..n)
            .map(|i| {
                let parents: Vec<String> = if i == 0 { vec![] } else { vec![id(i - 1)] };
                Migration { path: format!("v/{i}.py"), id: id(i), parents }
            })
            .collect();
        let refs: Vec<&Migration> = ms.iter().collect();
        assert_eq!(order(&refs), (0..n).collect::<Vec<_>>());
        // A merge waits for both parents; a cycle is broken by id.
        let ms =
            [m("v/m.py", "m", &["b", "c"]), m("v/c.py", "c", &["a"]), m("v/b.py", "b", &["a"]), m("v/a.py", "a", &[])];
        let refs: Vec<&Migration> = ms.iter().collect();
        let ids: Vec<&str> = order(&refs).into_iter().map(|i| ms[i].id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b", "c", "m"]);
        let ms = [m("v/y.py", "y", &["x"]), m("v/x.py", "x", &["y"]), m("v/z.py", "z", &["y"])];
        let refs: Vec<&Migration> = ms.iter().collect();
        let ids: Vec<&str> = order(&refs).into_iter().map(|i| ms[i].id.as_str()).collect();
        assert_eq!(ids, vec!["x", "y", "z"]);
    }

    #[test]
    fn missing_parents_and_two_heads_are_reported() {
        let ms =
            vec![m("v/a.py", "a", &[]), m("v/b.py", "b", &["a"]), m("v/c.py", "c", &["a"]), m("v/d.py", "d", &["zz"])];
        let w = check_graphs(&ms);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("`zz`"));
        assert!(w[1].contains("3 heads (b, c, d)"));
        // Many problems are summed up, not listed one a line.
        let many: Vec<Migration> = (0..10).map(|i| m(&format!("v/{i}.py"), &format!("r{i}"), &["gone"])).collect();
        let w = check_graphs(&many);
        assert_eq!(w.len(), 5, "{w:?}");
        assert!(w[3].contains("7 more migrations") && w[4].contains("10 heads (r0, r1, r2, …)"), "{w:?}");
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
