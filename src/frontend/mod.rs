//! Language front ends: each lowers one file's text into [`FileFacts`].
//!
//! Front ends know nothing of the policy; the only setting they take is the
//! SQL dialect, which changes what the text *means*.

pub mod env;
pub mod python;
pub mod rust;
pub mod sql;

use std::path::Path;

use crate::facts::FileFacts;
use crate::source::LineIndex;
pub use sql::SqlDialect;

/// The languages authguard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Language {
    /// `*.sql`, and `*.sql.<database>` (`0001_init.sql.postgres`)
    Sql,
    /// `.env`, `.env.*`, `*.env`
    Env,
    /// `*.py`
    Python,
    /// `*.rs`
    Rust,
}

impl Language {
    /// The language of a file by its name, or `None` when out of scope.
    pub fn of(path: &Path) -> Option<Language> {
        // A name that is not UTF-8 is still in scope by its extension.
        let lower = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if lower.ends_with(".sql") || sql::dialect::sql_file_suffix(&lower).is_some() {
            Some(Language::Sql)
        } else if lower.ends_with(".py") {
            Some(Language::Python)
        } else if lower.ends_with(".rs") {
            Some(Language::Rust)
        } else if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
            Some(Language::Env)
        } else {
            None
        }
    }
}

/// Lower the text of the file at `path` (whose line index is `lines`) with
/// the front end for its language.
pub fn lower(language: Language, path: &Path, text: &str, lines: &LineIndex, dialect: SqlDialect) -> FileFacts {
    match language {
        Language::Sql => sql::lower_indexed(text, lines, dialect),
        Language::Env => env::lower(text),
        Language::Python => python::lower(text, dialect),
        Language::Rust => rust::lower(text, lines, dialect, &rust_module(path)),
    }
}

/// A Rust file's module name: its stem, or its folder's name for `mod.rs`.
fn rust_module(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if stem == "mod" {
        if let Some(dir) = path.parent().and_then(|p| p.file_name()) {
            return dir.to_string_lossy().into_owned();
        }
    }
    stem
}
