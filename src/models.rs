//! ORM models across the tree: which class maps which table, so a model
//! used in one file is known by the table it was declared for in another.
//!
//! Front ends report `Model` facts (a class and its table) and model-level
//! facts (`ModelWrite`, `ModelRead`, `ModelCreate`) that name a class. After
//! every file is lowered, [`ModelMap::resolve`] turns the latter into the
//! table-level facts rules judge. Language-neutral: a class is just a name.

use std::collections::HashMap;

use crate::facts::{AccessMode, Fact, FactKind, Name};

/// Every model class of the checked tree.
#[derive(Debug, Default)]
pub struct ModelMap {
    /// class → its declarations, in file order.
    classes: HashMap<String, Vec<Declared>>,
}

/// One declaration of a model class.
#[derive(Debug)]
struct Declared {
    table: String,
    service: Option<usize>,
    fields: Vec<String>,
}

impl ModelMap {
    /// Record the model declarations of one file.
    pub fn add(&mut self, facts: &[Fact], service: Option<usize>) {
        for f in facts {
            if let FactKind::Model { class, table, fields } = &f.kind {
                let declared = Declared { table: table.norm.clone(), service, fields: fields.clone() };
                self.classes.entry(class.clone()).or_default().push(declared);
            }
        }
    }

    /// The table a class maps, seen from a file of `service`: the only one,
    /// or the one declared in that service's files when names collide
    /// (a `User` over `users` in the auth service, one over `userbase` in
    /// the backend). Ambiguous or unknown classes map to nothing.
    pub fn table_of(&self, class: &str, service: Option<usize>) -> Option<&str> {
        let candidates = self.classes.get(class)?;
        let all: Vec<&str> = candidates.iter().map(|d| d.table.as_str()).collect();
        let own: Vec<&str> = candidates.iter().filter(|d| d.service == service).map(|d| d.table.as_str()).collect();
        only_one(all).or_else(|| only_one(own))
    }

    /// The columns of a class's fields, from the declaration of the table
    /// [`ModelMap::table_of`] chose (the first such one that lists fields).
    fn fields_of(&self, class: &str, table: &str) -> &[String] {
        self.classes
            .get(class)
            .and_then(|c| c.iter().find(|d| d.table == table && !d.fields.is_empty()))
            .map_or(&[], |d| d.fields.as_slice())
    }
}

/// The table when a list names exactly one (possibly several times).
fn only_one(mut tables: Vec<&str>) -> Option<&str> {
    tables.sort_unstable();
    tables.dedup();
    match tables.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

impl ModelMap {
    /// Replace model-level facts with table-level ones. Facts about classes
    /// that map no known table (request schemas, DTOs) are dropped: a
    /// `LoginRequest.password` is not a stored password.
    pub fn resolve(&self, facts: &mut Vec<Fact>, service: Option<usize>) {
        let model_level = |k: &FactKind| {
            matches!(
                k,
                FactKind::ModelWrite { .. }
                    | FactKind::ModelRead { .. }
                    | FactKind::ModelCreate { .. }
                    | FactKind::ModelQuery { .. }
                    | FactKind::ModelSave { .. }
            )
        };
        if !facts.iter().any(|f| model_level(&f.kind)) {
            return;
        }
        let mut out = Vec::with_capacity(facts.len());
        for fact in facts.drain(..) {
            let table_of = |class: &str, span| Name::new(self.table_of(class, service).unwrap_or(""), span);
            let (span, statement_start) = (fact.span, fact.statement_start);
            let at = |kind| Fact { kind, span, statement_start };
            match fact.kind {
                FactKind::ModelWrite { model, field } => {
                    let table = table_of(&model, field.span);
                    if !table.norm.is_empty() {
                        out.push(at(FactKind::FieldWrite { table, field, upsert: false }));
                    }
                }
                FactKind::ModelRead { model, field } => {
                    let table = table_of(&model, field.span);
                    if !table.norm.is_empty() {
                        out.push(at(FactKind::FieldRead { table, field }));
                    }
                }
                FactKind::ModelQuery { model } => {
                    let table = table_of(&model, span);
                    if !table.norm.is_empty() {
                        out.push(at(FactKind::TableAccess { table, mode: AccessMode::Read }));
                    }
                }
                FactKind::ModelSave { model } => {
                    let table = table_of(&model, span);
                    for field in self.fields_of(&model, &table.norm) {
                        let (table, field) = (table.clone(), Name::new(field, span));
                        out.push(at(FactKind::FieldWrite { table, field, upsert: false }));
                    }
                }
                FactKind::ModelCreate { model, columns } => {
                    let table = table_of(&model, span);
                    if !table.norm.is_empty() {
                        out.push(at(FactKind::TableAccess { table: table.clone(), mode: AccessMode::Write }));
                        out.push(at(FactKind::RowInsert { table, columns }));
                    }
                }
                kind => out.push(at(kind)),
            }
        }
        *facts = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn model(class: &str, table: &str) -> Fact {
        Fact {
            kind: FactKind::Model {
                class: class.into(),
                table: Name::new(table, Span::default()),
                fields: vec!["email".into()],
            },
            span: Span::default(),
            statement_start: 0,
        }
    }

    #[test]
    fn colliding_class_names_resolve_within_the_service() {
        let mut map = ModelMap::default();
        map.add(&[model("User", "users")], Some(0));
        map.add(&[model("User", "userbase"), model("Invoice", "invoices")], Some(1));
        assert_eq!(map.table_of("User", Some(1)), Some("userbase"));
        assert_eq!(map.table_of("User", Some(0)), Some("users"));
        assert_eq!(map.table_of("User", None), None);
        assert_eq!(map.table_of("Invoice", Some(0)), Some("invoices"));
        assert_eq!(map.table_of("Nope", Some(1)), None);
    }

    #[test]
    fn a_save_writes_every_field_of_the_class() {
        let mut map = ModelMap::default();
        map.add(&[model("Changes", "userbase")], Some(1));
        let at = Span::new(3, 9);
        let save =
            |model: &str| Fact { kind: FactKind::ModelSave { model: model.into() }, span: at, statement_start: 0 };
        let mut facts = vec![save("Changes"), save("Unknown")];
        map.resolve(&mut facts, Some(1));
        assert_eq!(facts.len(), 1);
        assert!(matches!(&facts[0].kind,
            FactKind::FieldWrite { table, field, upsert: false } if table.norm == "userbase" && field.norm == "email" && field.span == at));
    }
}
