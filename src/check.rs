//! The check pipeline: discover → read → lower to facts → judge → suppress →
//! locate. Files are analysed in parallel and results sorted, so the report
//! is the same bytes whatever the thread count.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Finding, Related, RelatedAt, Severity, Violation};
use crate::discover::{self, Candidate, DiscoverError, WalkOptions};
use crate::facts::{Fact, FactKind, FileFacts};
use crate::frontend::{self, Language};
use crate::git::{self, GitError};
use crate::history;
use crate::migrations;
use crate::models::ModelMap;
use crate::paths::{absolute, display_path, slash_path};
use crate::policy::dialects::DialectChoice;
use crate::policy::names::PolicyPath;
use crate::policy::{Origin, Policy};
use crate::rules::{self, FileContext};
use crate::source::{LineCol, Location, SourceFile, Span};
use crate::suppress;

/// Files larger than this are reported as AUTH010 instead of parsed: no
/// migration or env file is this large, and parsing one would take the
/// memory of a much larger machine.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Everything a check needs, resolved from the command line and the policy.
#[derive(Debug)]
pub struct Settings {
    /// Paths to check.
    pub paths: Vec<PathBuf>,
    /// The policy.
    pub policy: Policy,
    /// Walk options.
    pub walk: WalkOptions,
    /// `--base`: check only files changed since the merge-base of this ref and HEAD.
    pub base: Option<String>,
    /// The current directory (for display paths and git).
    pub cwd: PathBuf,
}

/// A warning about the policy itself (an entry that matched nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWarning {
    /// The YAML path of the entry.
    pub yaml_path: String,
    /// What is wrong.
    pub message: String,
}

/// The result of a check.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings, sorted by path, line, column, code.
    pub findings: Vec<Finding>,
    /// Files in scope that were read.
    pub files_scanned: usize,
    /// Findings removed by suppression comments.
    pub suppressed: usize,
    /// Text of the files that have findings, for rendering snippets.
    pub sources: BTreeMap<String, Arc<str>>,
    /// Harmless problems met on the way (a symbolic link loop).
    pub notices: Vec<String>,
    /// Policy entries that matched nothing in the checked tree.
    pub policy_warnings: Vec<PolicyWarning>,
    /// Every inline suppression of the checked files, in path order.
    pub suppressions: Vec<suppress::Listed>,
    /// The checked files, as shown to users.
    pub paths: BTreeSet<String>,
    /// With a baseline: how many findings it accepted.
    pub baselined: Option<usize>,
    /// Statements that could not be read but name only tables the policy
    /// does not guard: not findings, counted and listed on request.
    pub unread: Vec<UnreadStatement>,
}

/// A statement that could not be read and names only unguarded tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadStatement {
    /// The file, as shown to users.
    pub path: String,
    /// Where the parser gave up.
    pub start: LineCol,
    /// Why, in the parser's words.
    pub message: String,
    /// The tables it names.
    pub tables: Vec<String>,
}

impl Report {
    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

/// Why a check could not be made (exit 2).
#[derive(Debug)]
pub enum CheckError {
    /// A path or `--exclude` problem.
    Discover(DiscoverError),
    /// A `--base` problem.
    Git(GitError),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Discover(e) => e.fmt(f),
            CheckError::Git(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CheckError {}

/// The directories policy globs may be relative to, in order of preference:
/// the policy file's directory, the git repository of the current
/// directory, the current directory, then each path given to check (or its
/// repository). A file is matched relative to the first that contains it;
/// folders above that root never decide its service (a checkout under
/// `/srv/sync/` is not all sync code).
fn project_roots(settings: &Settings) -> Vec<PathBuf> {
    let cwd = &settings.cwd;
    let repo_of = |dir: &Path| dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf);
    let mut roots = Vec::new();
    if let Origin::File(p) = &settings.policy.origin {
        roots.push(absolute(cwd, p.parent().unwrap_or(Path::new("."))));
    }
    roots.extend(repo_of(cwd));
    roots.push(cwd.clone());
    for p in &settings.paths {
        let abs = absolute(cwd, p);
        let dir = if abs.is_dir() { abs.clone() } else { abs.parent().map_or(abs.clone(), Path::to_path_buf) };
        roots.push(repo_of(&dir).unwrap_or(dir));
    }
    roots
}

/// How policy globs see a file: relative to its root, and behind the root's name.
fn policy_path(roots: &[PathBuf], abs: &Path) -> PolicyPath {
    for root in roots {
        if let Ok(rel) = abs.strip_prefix(root) {
            let relative = slash_path(rel);
            let named = root.file_name().map(|n| format!("{}/{relative}", n.to_string_lossy()));
            return PolicyPath { relative, named };
        }
    }
    PolicyPath::relative(&slash_path(abs))
}

/// Run a check.
pub fn check(settings: &Settings) -> Result<Report, CheckError> {
    let walk = discover::walk(&settings.paths, &settings.walk, &settings.cwd).map_err(CheckError::Discover)?;
    let mut files = walk.files;
    if let Some(base) = &settings.base {
        let changed = git::changed_files(&settings.cwd, base).map_err(CheckError::Git)?;
        let changed: HashSet<PathBuf> = changed.iter().map(|p| absolute(&settings.cwd, p)).collect();
        files.retain(|c| changed.contains(&absolute(&settings.cwd, &c.path)));
    }
    let roots = project_roots(settings);
    let ctx = Pipeline { policy: &settings.policy, cwd: &settings.cwd, roots: &roots };

    // Two phases: models declared in one file are used in others.
    let mut lowered: Vec<Lowered> = files.par_iter().map(|c| ctx.lower(c)).collect();
    follow_histories(&mut lowered, &settings.policy);
    let mut models = ModelMap::default();
    let mut revisions = Vec::new();
    for l in &lowered {
        models.add(&l.facts.facts, l.service);
        for f in &l.facts.facts {
            if let FactKind::Revision { id, parents } = &f.kind {
                revisions.push(migrations::Migration {
                    path: l.display.clone(),
                    id: id.clone(),
                    parents: parents.clone(),
                });
            }
        }
    }
    // A partial view (--base, or files named one by one as pre-commit does)
    // would show every graph as broken.
    let whole_tree = settings.base.is_none() && settings.paths.iter().all(|p| p.is_dir());
    let graph_notices = if whole_tree { migrations::check_graphs(&revisions) } else { Vec::new() };
    let results: Vec<FileResult> = lowered.into_par_iter().map(|l| ctx.judge(l, &models)).collect();

    let mut report = Report { files_scanned: files.len(), ..Report::default() };
    let mut tables_seen = BTreeSet::new();
    let mut orphans = Vec::new();
    for r in results {
        if r.orphan {
            orphans.push(r.display.clone());
        }
        report.suppressed += r.suppressed;
        report.suppressions.extend(r.suppressions);
        report.paths.insert(r.display.clone());
        tables_seen.extend(r.tables);
        if !r.findings.is_empty() {
            if let Some(text) = r.text {
                report.sources.insert(r.display.clone(), text);
            }
        }
        report.findings.extend(r.findings);
        report.unread.extend(r.unread);
    }
    for issue in walk.issues {
        let path = issue.path.as_deref().map(|p| display_path(&settings.cwd, p));
        if issue.hides_files {
            let display = path.unwrap_or_else(|| ".".to_string());
            report.findings.push(Finding {
                rule: &rules::auth010_unparsable_file::RULE,
                severity: Severity::Error,
                path: display,
                span: Span::default(),
                start: LineCol { line: 1, column: 1 },
                end: LineCol { line: 1, column: 1 },
                message: format!("cannot read: {}", issue.message),
                help: Some("make it readable, or --exclude it if it holds nothing to check".to_string()),
                service: None,
                table: None,
                field: None,
                related: Vec::new(),
                fingerprint: String::new(),
            });
            let last = report.findings.len() - 1;
            let shown = report.findings[last].path.clone();
            crate::fingerprint::assign(&mut report.findings[last..], "", &shown);
        } else {
            report.notices.push(match path {
                Some(p) => format!("{p}: {}", issue.message),
                None => issue.message,
            });
        }
    }
    report.notices.extend(graph_notices);
    if let Some(first) = orphans.first() {
        // Without a default service these files are judged only for parse
        // errors and suppressions: say so rather than pass them quietly.
        report.notices.push(format!(
            "{} file(s) belong to no service of the policy (first: {first}); only AUTH010-AUTH012 apply to them. \
             Mark one service `default: true` or add their paths to a service",
            orphans.len()
        ));
    }
    report.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if settings.base.is_none() && matches!(settings.policy.origin, Origin::File(_)) {
        report.policy_warnings = unused_entries(&settings.policy, &files, &ctx, &tables_seen);
    }
    Ok(report)
}

/// Migrations apply in order (see [`crate::history`]): each column an
/// earlier migration gave a table that a later one renames into the mirror
/// is made known to the migration that gave it, where AUTH001 reports it.
fn follow_histories(lowered: &mut [Lowered], policy: &Policy) {
    let members: Vec<history::Member<'_>> = lowered
        .iter()
        .map(|l| history::Member {
            path: &l.display,
            sql: l.language == Language::Sql,
            facts: &l.facts.facts,
            file: &l.file,
        })
        .collect();
    let additions = history::follow(&members, policy);
    for (member, added) in additions {
        history::insert(&mut lowered[member].facts.facts, added);
    }
}

/// Policy globs that matched no checked file and tables no file mentioned.
fn unused_entries(
    policy: &Policy,
    files: &[Candidate],
    ctx: &Pipeline<'_>,
    tables_seen: &BTreeSet<String>,
) -> Vec<PolicyWarning> {
    let paths: Vec<PolicyPath> = files.iter().map(|c| policy_path(ctx.roots, &absolute(ctx.cwd, &c.path))).collect();
    let mut out = Vec::new();
    // Only entries written in the policy file: inherited defaults are not the user's to prune.
    let written = |yaml_path: &str| policy.spans.value(yaml_path).is_some();
    for entry in policy.all_globs().into_iter().filter(|e| written(&e.yaml_path)) {
        let glob = crate::policy::names::PathSet::new(std::slice::from_ref(&entry.pattern), "")
            .unwrap_or_else(|_| unreachable!("validated when the policy was loaded"));
        if !paths.iter().any(|p| glob.is_match(p)) {
            out.push(PolicyWarning {
                yaml_path: entry.yaml_path.clone(),
                message: format!("glob `{}` matches no checked file", entry.pattern),
            });
        }
    }
    for (table, yaml_path) in policy.all_tables() {
        if written(&yaml_path) && !tables_seen.contains(table) {
            out.push(PolicyWarning {
                yaml_path,
                message: format!("table `{table}` is not mentioned by any checked file"),
            });
        }
    }
    out
}

struct Pipeline<'a> {
    policy: &'a Policy,
    cwd: &'a Path,
    roots: &'a [PathBuf],
}

/// A file read and lowered, waiting for the model map to be complete.
struct Lowered {
    display: String,
    language: Language,
    file: SourceFile,
    facts: FileFacts,
    matched: PolicyPath,
    service: Option<usize>,
}

struct FileResult {
    display: String,
    /// The file's text, kept only when there are findings to draw.
    text: Option<Arc<str>>,
    findings: Vec<Finding>,
    suppressed: usize,
    suppressions: Vec<suppress::Listed>,
    tables: Vec<String>,
    /// The file belongs to no service, so service rules could not judge it.
    orphan: bool,
    /// Statements that could not be read and name only unguarded tables.
    unread: Vec<UnreadStatement>,
}

/// Read a file's text, or say why it cannot be analysed (and where).
fn read_text(path: &Path) -> Result<String, (String, usize, String)> {
    let meta = std::fs::metadata(path).map_err(|e| (format!("cannot read: {e}"), 0, String::new()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err((
            format!(
                "cannot read: file too large to analyse ({} MiB; the limit is {} MiB)",
                meta.len() >> 20,
                MAX_FILE_BYTES >> 20
            ),
            0,
            String::new(),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| (format!("cannot read: {e}"), 0, String::new()))?;
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(("cannot read: binary file (it contains NUL bytes)".to_string(), 0, String::new()));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            // Show the valid prefix so the finding can point at the bad byte.
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            Err((format!("cannot read: not valid UTF-8 (invalid byte 0x{:02x})", bytes[valid]), valid, prefix))
        }
    }
}

impl Pipeline<'_> {
    /// Phase one: read and lower a file.
    fn lower(&self, c: &Candidate) -> Lowered {
        let abs = absolute(self.cwd, &c.path);
        let display = display_path(self.cwd, &c.path);
        let matched = policy_path(self.roots, &abs);
        let (file, facts) = match read_text(&c.path) {
            Ok(mut text) => {
                // A byte-order mark is not part of the text: columns on line 1
                // count from the first real character.
                if text.starts_with('\u{feff}') {
                    text.drain(..3);
                }
                let file = SourceFile::new(c.path.clone(), display.clone(), text);
                let choice = self.policy.dialect_of(&matched);
                let mut facts = frontend::lower(c.language, &c.path, &file.text, &file.lines, choice.dialect);
                if c.language == frontend::Language::Sql {
                    advise_another_dialect(&mut facts, &file, &choice, &matched.relative);
                }
                // Most calls are on no list: dropped now, they cost memory
                // until every file is lowered and time when judged.
                facts.facts.retain(|f| match &f.kind {
                    FactKind::Call { callee, language, .. } => {
                        self.policy.functions(*language).may_list(callee.rsplit('.').next().unwrap_or(callee))
                    }
                    _ => true,
                });
                (file, facts)
            }
            Err((message, at, prefix)) => {
                let mut facts = FileFacts::default();
                facts.push(FactKind::unparsable(message), Span::new(at, at), at);
                (SourceFile::new(c.path.clone(), display.clone(), prefix), facts)
            }
        };
        let service = self.policy.service_of(&matched);
        Lowered { display, language: c.language, file, facts, matched, service }
    }

    /// Phase two: with every file's models known, judge one file.
    fn judge(&self, lowered: Lowered, models: &ModelMap) -> FileResult {
        let Lowered { display, file, mut facts, matched, service, .. } = lowered;
        models.resolve(&mut facts.facts, service);
        let imports = facts
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Import { path } => Some(path.clone()),
                _ => None,
            })
            .collect();
        let fctx = FileContext {
            policy: self.policy,
            service,
            sync: self.policy.is_sync(&matched),
            imports,
            copies: rules::VersionCopies::of(&facts.facts),
        };
        let mut violations = rules::check_file(&fctx, &facts.facts);
        let unread = facts
            .facts
            .iter()
            .filter(|f| rules::auth010_unparsable_file::is_unread_only(self.policy, &f.kind))
            .map(|f| {
                let FactKind::Unparsable { message, tables, .. } = &f.kind else { unreachable!("filtered above") };
                UnreadStatement {
                    path: display.clone(),
                    start: file.line_col(f.span.start),
                    message: message.clone(),
                    tables: tables.iter().map(|t| t.norm.clone()).collect(),
                }
            })
            .collect();
        let mut sups = suppress::parse(&facts.comments, &file);
        let suppressed = suppress::apply(&mut violations, &mut sups, &file);
        violations.extend(suppress::judge(&sups));
        let mut findings: Vec<Finding> =
            violations.into_iter().filter_map(|v| self.locate(v, &file, service, &matched)).collect();
        crate::fingerprint::assign(&mut findings, &file.text, &matched.relative);
        let text = (!findings.is_empty()).then(|| Arc::from(file.text.as_str()));
        let suppressions = sups.iter().map(|s| suppress::Listed::new(s, &file)).collect();
        FileResult {
            display,
            text,
            findings,
            suppressed,
            suppressions,
            tables: tables_of(&facts.facts),
            orphan: service.is_none(),
            unread,
        }
    }

    fn locate(&self, v: Violation, file: &SourceFile, service: Option<usize>, matched: &PolicyPath) -> Option<Finding> {
        let severity = self.policy.severity(v.rule, matched)?;
        // The policy's own words come after the rule's: what to do instead here.
        let extras = [
            self.policy.rule_instructions(v.rule),
            service.and_then(|s| self.policy.services[s].instructions.as_deref()),
        ];
        let help = extras.into_iter().flatten().fold(v.help, |help, extra| match help {
            Some(h) => Some(rules::with_instructions(h, Some(extra))),
            None => Some(extra.to_string()),
        });
        let related = v
            .related
            .into_iter()
            .map(|r| Related {
                location: match r.at {
                    RelatedAt::Here(span) => Location::of(file, span),
                    RelatedAt::Elsewhere(location) => location,
                },
                message: r.message,
            })
            .collect();
        Some(Finding {
            rule: v.rule,
            severity,
            path: file.display.clone(),
            span: v.span,
            start: file.line_col(v.span.start),
            end: file.line_col(v.span.end),
            message: v.message,
            help,
            service: service.map(|s| self.policy.services[s].name.clone()),
            table: v.table,
            field: v.field,
            related,
            fingerprint: String::new(),
        })
    }
}

/// A SQL file that fails in its dialect but is read whole in another: its
/// `Unparsable` facts say which, and the policy entry that would read it so.
/// Tried only on failure, so clean files cost nothing more.
fn advise_another_dialect(facts: &mut FileFacts, file: &SourceFile, choice: &DialectChoice, relative: &str) {
    if !facts.facts.iter().any(|f| matches!(f.kind, FactKind::Unparsable { .. })) {
        return;
    }
    let readers = frontend::sql::dialect::readers(&file.text, &file.lines, choice.dialect);
    if readers.is_empty() {
        return;
    }
    let advice = crate::policy::dialects::fallback_help(choice, &readers, relative);
    for f in &mut facts.facts {
        if let FactKind::Unparsable { help, .. } = &mut f.kind {
            *help = Some(advice.clone());
        }
    }
}

fn tables_of(facts: &[Fact]) -> Vec<String> {
    let mut out = Vec::new();
    for f in facts {
        match &f.kind {
            FactKind::Model { table, .. } => out.push(table.norm.clone()),
            FactKind::TableSchema { table, action } => {
                out.push(table.norm.clone());
                if let crate::facts::TableAction::Rename { to } = action {
                    out.push(to.norm.clone());
                }
            }
            FactKind::ColumnSchema { table, .. }
            | FactKind::TableAccess { table, .. }
            | FactKind::RowInsert { table, .. }
            | FactKind::FieldWrite { table, .. }
            | FactKind::FieldRead { table, .. } => out.push(table.norm.clone()),
            _ => {}
        }
    }
    out
}
