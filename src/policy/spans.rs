//! Where each entry of a policy file stands, so errors and warnings can point
//! at the line and column of the entry that caused them.
//!
//! serde gives positions only for its own errors; this reads the same YAML
//! once more as events and records the position of every key and value under
//! a dotted path such as `services.backend.paths[1]`.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

/// A 1-based line and column in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Positions of the keys and values of a YAML document, by path.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    keys: HashMap<String, Pos>,
    values: HashMap<String, Pos>,
    /// Keys written twice in one mapping (YAML forbids it), in order.
    pub duplicates: Vec<(String, Pos)>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

impl Spans {
    /// Index `text`; YAML that fails to scan yields what was read before the error.
    pub fn index(text: &str) -> Spans {
        let mut spans = Spans::default();
        let mut stack: Vec<Frame> = Vec::new();
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { break };
            let pos = Pos { line: span.start.line(), column: span.start.col() + 1 };
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map { path, key: key @ None }) = stack.last_mut() {
                        let full = join(path, &value);
                        match spans.keys.entry(full) {
                            Entry::Occupied(e) => spans.duplicates.push((e.key().clone(), pos)),
                            Entry::Vacant(e) => {
                                e.insert(pos);
                            }
                        }
                        *key = Some(value.into_owned());
                        continue;
                    }
                    if let Some(path) = value_path(&stack) {
                        spans.values.insert(path, pos);
                    }
                    advance(&mut stack);
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let path = value_path(&stack).unwrap_or_default();
                    spans.values.insert(path.clone(), pos);
                    stack.push(match event {
                        Event::MappingStart(..) => Frame::Map { path, key: None },
                        _ => Frame::Seq { path, index: 0 },
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    advance(&mut stack);
                }
                _ => {}
            }
        }
        spans
    }

    /// Where the value at `path` starts, else where its key stands.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.values.get(path).or_else(|| self.keys.get(path)).copied()
    }

    /// Where the key of `path` stands, else where its value starts.
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.keys.get(path).or_else(|| self.values.get(path)).copied()
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The path of the value about to be read, given the enclosing frames.
fn value_path(stack: &[Frame]) -> Option<String> {
    match stack.last() {
        None => Some(String::new()),
        Some(Frame::Map { path, key: Some(key) }) => Some(join(path, key)),
        Some(Frame::Map { key: None, .. }) => None,
        Some(Frame::Seq { path, index }) => Some(format!("{path}[{index}]")),
    }
}

/// A value was completed: the enclosing map wants a key next, a sequence its next item.
fn advance(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map { key, .. }) => *key = None,
        Some(Frame::Seq { index, .. }) => *index += 1,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found() {
        let s = Spans::index("rules:\n  AUTH001: off\n  AUTH001: warning\nrules: {}\n");
        let found: Vec<_> = s.duplicates.iter().map(|(p, pos)| (p.as_str(), pos.line)).collect();
        assert_eq!(found, vec![("rules.AUTH001", 3), ("rules", 4)]);
    }

    #[test]
    fn paths_point_at_entries() {
        let yaml = "services:\n  backend:\n    paths: [\"a/**\", b]\n    database: main\nrules:\n  AUTH012: off\n";
        let s = Spans::index(yaml);
        assert_eq!(s.value("services.backend.paths[1]"), Some(Pos { line: 3, column: 21 }));
        assert_eq!(s.key("services.backend.database"), Some(Pos { line: 4, column: 5 }));
        assert_eq!(s.key("rules.AUTH012"), Some(Pos { line: 6, column: 3 }));
        assert_eq!(s.value("rules.AUTH012"), Some(Pos { line: 6, column: 12 }));
    }
}
