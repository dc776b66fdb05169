//! Baselines: adopting authguard on a codebase that already has violations.
//!
//! `check --write-baseline FILE` records the current findings by their
//! fingerprints (see [`crate::fingerprint`]); `check --baseline FILE` reports
//! only findings the file does not hold, counts those it accepted, and names
//! its entries that no longer occur, so the file only ever shrinks.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::Report;

/// Format version of the baseline file.
const VERSION: u32 = 1;

/// A baseline file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version.
    pub version: u32,
    /// The findings accepted, in report order.
    pub findings: Vec<Entry>,
}

/// One accepted finding. Only the fingerprint is matched; the rest is for
/// the people who read the file in review.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// The rule code.
    pub code: String,
    /// The file.
    pub path: String,
    /// Where it was when recorded (informational: lines move).
    pub line: usize,
    /// The finding's message.
    pub message: String,
}

impl Baseline {
    /// The baseline of a report's findings.
    pub fn of(report: &Report) -> Self {
        let findings = report
            .findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                code: f.rule.code.to_string(),
                path: f.path.clone(),
                line: f.start.line,
                message: f.message.clone(),
            })
            .collect();
        Baseline { version: VERSION, findings }
    }

    /// The file's text: pretty JSON, one entry per finding, ending in a newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"));
        s.push('\n');
        s
    }

    /// Read a baseline file; the error says what is wrong, with the file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the baseline `{}`: {e}", path.display()))?;
        let b: Baseline = serde_json::from_str(&text)
            .map_err(|e| format!("invalid baseline `{}`:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        if b.version != VERSION {
            return Err(format!(
                "baseline `{}` has version {}; this authguard reads version {VERSION}",
                path.display(),
                b.version
            ));
        }
        Ok(b)
    }

    /// Remove the findings the baseline accepts from `report`; return the
    /// entries that no longer occur in the files checked (entries of files
    /// not checked this time, as with `--base`, are not judged).
    pub fn apply(&self, report: &mut Report) -> Vec<Entry> {
        let mut left: HashMap<&str, usize> = HashMap::new();
        for e in &self.findings {
            *left.entry(e.fingerprint.as_str()).or_insert(0) += 1;
        }
        let before = report.findings.len();
        report.findings.retain(|f| match left.get_mut(f.fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        report.baselined = Some(before - report.findings.len());
        let mut stale = Vec::new();
        for e in &self.findings {
            if let Some(n) = left.get_mut(e.fingerprint.as_str()) {
                if *n > 0 && report.paths.contains(&e.path) {
                    *n -= 1;
                    stale.push(e.clone());
                }
            }
        }
        stale
    }
}
