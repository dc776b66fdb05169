//! authguard: a schema-ownership linter and migration guard.
//!
//! The pipeline, in module order: [`discover`] finds files; [`frontend`]
//! lowers each into language-neutral [`facts`]; [`rules`] judge facts against
//! the [`policy`]; [`suppress`] applies inline suppressions; [`report`]
//! renders. [`check`] runs the pipeline; [`app`] and [`cli`] are the command line.

pub mod app;
pub mod baseline;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod facts;
pub mod fingerprint;
pub mod frontend;
pub mod git;
pub mod history;
pub mod migrations;
pub mod models;
pub mod paths;
pub mod policy;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
