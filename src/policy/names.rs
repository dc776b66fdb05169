//! Name sets and path sets: the two kinds of matcher a policy is made of.

use std::collections::HashSet;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Names matched exactly, by substring, minus exceptions; case-insensitive.
#[derive(Debug, Clone, Default)]
pub struct NameSet {
    names: HashSet<String>,
    contains: Vec<String>,
    except: HashSet<String>,
}

impl NameSet {
    /// Build from the policy's lists (folded to lower case here).
    pub fn new(names: &[String], contains: &[String], except: &[String]) -> Self {
        let lower = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
        NameSet {
            names: lower(names).into_iter().collect(),
            contains: lower(contains),
            except: lower(except).into_iter().collect(),
        }
    }

    /// The exact names (sorted), substrings and exceptions (sorted), for display.
    pub fn parts(&self) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        names.sort_unstable();
        let mut except: Vec<&str> = self.except.iter().map(String::as_str).collect();
        except.sort_unstable();
        (names, self.contains.iter().map(String::as_str).collect(), except)
    }

    /// Whether a lower-cased name is in the set.
    pub fn matches(&self, name: &str) -> bool {
        !self.except.contains(name)
            && (self.names.contains(name) || self.contains.iter().any(|c| name.contains(c.as_str())))
    }
}

/// One glob of a policy and where it was written.
#[derive(Debug, Clone)]
pub struct PathEntry {
    /// The glob as written.
    pub pattern: String,
    /// Its path in the policy document, e.g. `services.auth.paths[0]`.
    pub yaml_path: String,
}

/// A list of globs matched against paths relative to the policy root.
#[derive(Debug, Clone, Default)]
pub struct PathSet {
    set: GlobSet,
    /// The globs, in order.
    pub entries: Vec<PathEntry>,
}

impl PathSet {
    /// Compile globs; the error names the index of the bad glob and why.
    pub fn new(patterns: &[String], yaml_path: &str) -> Result<Self, (usize, String)> {
        let mut builder = GlobSetBuilder::new();
        let mut entries = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let glob = GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|e| (i, e.kind().to_string()))?;
            builder.add(glob);
            entries.push(PathEntry { pattern: p.clone(), yaml_path: format!("{yaml_path}[{i}]") });
        }
        let set = builder.build().map_err(|e| (0, e.to_string()))?;
        Ok(PathSet { set, entries })
    }

    /// Whether any glob matches one spelling of the path.
    pub fn is_match(&self, path: &PolicyPath) -> bool {
        !self.entries.is_empty()
            && (self.set.is_match(&path.relative) || path.named.as_deref().is_some_and(|n| self.set.is_match(n)))
    }
}

/// How a file is spelt for policy globs: relative to the project root
/// (`backend/db/001.sql`), and also with the root's own name in front
/// (`auth-service/db/001.sql`), so a service checked out as its own
/// repository, or checked from inside its folder, is still recognised.
/// Folders above the root never count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPath {
    /// Relative to the project root, `/`-separated.
    pub relative: String,
    /// The same, behind the root directory's name.
    pub named: Option<String>,
}

impl PolicyPath {
    /// A path known only relative to the root (tests, or a root without a name).
    pub fn relative(path: &str) -> Self {
        PolicyPath { relative: path.to_string(), named: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_or_by_substring_with_exceptions() {
        let s = NameSet::new(&["email".into()], &["password".into()], &["password_changed_at".into()]);
        assert!(s.matches("email"));
        assert!(s.matches("password_hash"));
        assert!(!s.matches("password_changed_at"));
        assert!(!s.matches("emails"));
    }

    #[test]
    fn globs_are_case_insensitive_and_stars_stay_in_one_directory() {
        let s = PathSet::new(&["**/sync_*".into(), "**/{auth_service,auth-service}/**".into()], "p").unwrap();
        let m = |p: &str| s.is_match(&PolicyPath::relative(p));
        assert!(m("app/sync_users.py"));
        assert!(!m("sync_dir/users.py"));
        assert!(m("x/Auth-Service/db/001.sql"));
        assert!(m("auth_service/a.sql"));
        assert!(!m("my_auth_service/a.sql"));
        let named = PolicyPath { relative: "db/001.sql".into(), named: Some("auth-service/db/001.sql".into()) };
        assert!(s.is_match(&named));
    }
}
