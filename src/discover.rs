//! Finding the files to check: a parallel walk honouring ignore files, then a
//! sort, so the result is the same whatever the thread count.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::frontend::Language;
use crate::paths::absolute;

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Do not honour `.gitignore`, `.ignore` and git excludes.
    pub no_ignore: bool,
    /// Globs of paths to leave out.
    pub exclude: Vec<String>,
    /// Worker threads (0: automatic).
    pub threads: usize,
}

/// A file to check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// The path as found (joined to the root it was found under).
    pub path: PathBuf,
    /// The language it is read as.
    pub language: Language,
}

/// Something the walk could not do, reported but not fatal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalkIssue {
    /// The path concerned, when known.
    pub path: Option<PathBuf>,
    /// What happened.
    pub message: String,
    /// Whether it may hide files in scope (an unreadable directory) rather
    /// than being harmless (a symlink loop already walked).
    pub hides_files: bool,
}

/// The outcome of a walk.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files in scope, sorted by path.
    pub files: Vec<Candidate>,
    /// Problems met on the way, sorted.
    pub issues: Vec<WalkIssue>,
}

/// An error that stops the check before it starts.
#[derive(Debug)]
pub enum DiscoverError {
    /// A path given on the command line does not exist or cannot be read.
    BadRoot(PathBuf, std::io::Error),
    /// An `--exclude` glob does not compile.
    BadExclude(String, String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::BadRoot(p, e) => write!(f, "cannot read `{}`: {e}", p.display()),
            DiscoverError::BadExclude(g, e) => write!(f, "invalid --exclude glob `{g}`: {e}"),
        }
    }
}

impl std::error::Error for DiscoverError {}

/// Directories of version-control systems: never walked, even with hidden files on.
const VCS_DIRS: [&str; 3] = [".git", ".hg", ".svn"];

fn exclude_set(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pattern = g.trim_end_matches('/');
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let glob = Glob::new(pattern).map_err(|e| DiscoverError::BadExclude(g.clone(), e.kind().to_string()))?;
        b.add(glob);
    }
    b.build().map_err(|e| DiscoverError::BadExclude(globs.join(" "), e.to_string()))
}

fn is_excluded(set: &GlobSet, path: &Path) -> bool {
    if set.is_empty() {
        return false;
    }
    let shown = path.strip_prefix(".").unwrap_or(path);
    set.is_match(shown) || path.file_name().is_some_and(|n| set.is_match(n))
}

/// Walk `roots`: files in scope, honouring ignore files unless told not to.
/// A file named on the command line is taken even when ignored, as in ripgrep.
/// A file reached through several spellings (`a.sql ./a.sql`, `. backend`)
/// is listed once; `cwd` resolves relative spellings.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, cwd: &Path) -> Result<Walk, DiscoverError> {
    let excludes = exclude_set(&opts.exclude)?;
    let mut result = Walk::default();
    let mut dirs = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| DiscoverError::BadRoot(root.clone(), e))?;
        if meta.is_dir() {
            std::fs::read_dir(root).map_err(|e| DiscoverError::BadRoot(root.clone(), e))?;
            dirs.push(root.clone());
        } else if !meta.is_file() {
            // A FIFO or device would block or never end.
            let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file or directory");
            return Err(DiscoverError::BadRoot(root.clone(), e));
        } else if let Some(language) = Language::of(root) {
            // A file named on the command line must be readable (exit 2 if not).
            std::fs::File::open(root).map_err(|e| DiscoverError::BadRoot(root.clone(), e))?;
            if !is_excluded(&excludes, root) {
                result.files.push(Candidate { path: root.clone(), language });
            }
        }
    }
    if let Some((first, rest)) = dirs.split_first() {
        let mut builder = WalkBuilder::new(first);
        for d in rest {
            builder.add(d);
        }
        builder
            .hidden(false)
            .follow_links(true)
            .require_git(false)
            .threads(opts.threads)
            .git_ignore(!opts.no_ignore)
            .git_global(!opts.no_ignore)
            .git_exclude(!opts.no_ignore)
            .ignore(!opts.no_ignore)
            .parents(!opts.no_ignore);
        let ex = excludes.clone();
        builder.filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if is_dir && e.depth() > 0 && e.file_name().to_str().is_some_and(|n| VCS_DIRS.contains(&n)) {
                return false;
            }
            e.depth() == 0 || !is_excluded(&ex, e.path())
        });
        let files = Mutex::new(Vec::new());
        let issues = Mutex::new(Vec::new());
        builder.build_parallel().run(|| {
            let files = &files;
            let issues = &issues;
            Box::new(move |entry| {
                match entry {
                    Ok(e) => {
                        if e.file_type().is_some_and(|t| t.is_file()) {
                            if let Some(language) = Language::of(e.path()) {
                                let path = e.into_path();
                                files.lock().unwrap_or_else(|p| p.into_inner()).push(Candidate { path, language });
                            }
                        }
                    }
                    Err(err) => {
                        let issue = walk_issue(&err);
                        issues.lock().unwrap_or_else(|p| p.into_inner()).push(issue);
                    }
                }
                WalkState::Continue
            })
        });
        result.files.extend(files.into_inner().unwrap_or_else(|p| p.into_inner()));
        result.issues = issues.into_inner().unwrap_or_else(|p| p.into_inner());
    }
    result.files.sort();
    let mut seen = std::collections::HashSet::new();
    result.files.retain(|c| seen.insert(absolute(cwd, &c.path)));
    result.issues.sort();
    Ok(result)
}

fn walk_issue(err: &ignore::Error) -> WalkIssue {
    match err {
        ignore::Error::WithPath { path, err } => {
            let mut issue = walk_issue(err);
            // A dangling link or unreadable entry named like a file out of
            // scope (docs/README.md) hides nothing authguard would read.
            let out_of_scope = path.extension().is_some() && Language::of(path).is_none();
            if out_of_scope {
                issue.hides_files = false;
            }
            issue.path.get_or_insert_with(|| path.clone());
            issue
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_issue(err),
        ignore::Error::Loop { child, ancestor } => WalkIssue {
            path: Some(child.clone()),
            message: format!("symbolic link loop back to `{}`, not followed", ancestor.display()),
            hides_files: false,
        },
        // A broken ignore file or glob in it loses filters, not files.
        ignore::Error::Glob { .. } | ignore::Error::UnrecognizedFileType(_) | ignore::Error::InvalidDefinition => {
            WalkIssue { path: None, message: err.to_string(), hides_files: false }
        }
        other => WalkIssue { path: None, message: other.to_string(), hides_files: true },
    }
}
