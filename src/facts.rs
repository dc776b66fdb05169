//! The language-neutral facts that front ends produce and rules judge.
//!
//! A front end lowers one file into a list of [`Fact`]s in source order. Facts
//! say *what the code does* (adds a column, writes a field, reads a table,
//! calls a function, sets a variable) with the span of the identifier that
//! does it; they know nothing of the policy.

use crate::source::Span;

/// A name as it appears in source, with its normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// Lower-cased, unquoted, without schema qualifier: what policies match.
    pub norm: String,
    /// Where the identifier stands in the file (quotes included).
    pub span: Span,
}

impl Name {
    /// A name normalised per the contract: quotes and schema qualifier are
    /// removed by the caller; case is folded here.
    pub fn new(text: &str, span: Span) -> Self {
        Name { norm: text.to_lowercase(), span }
    }
}

/// What a schema statement does to a whole table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableAction {
    /// `CREATE TABLE`, `create_table`.
    Create,
    /// A model or schema declaration describing an existing table.
    Declare,
    /// `ALTER TABLE` and friends (including indexes and constraints on it).
    Alter,
    /// Renamed to the given name.
    Rename {
        /// The new name.
        to: Name,
    },
    /// `DROP TABLE`.
    Drop,
}

/// What a schema statement does to one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnAction {
    /// Added to an existing table, or declared by `CREATE TABLE`.
    Add,
    /// Declared by a model of an existing table.
    Declare,
    /// Type, default or constraint changed.
    Alter,
    /// Renamed to the given name.
    Rename {
        /// The new name.
        to: Name,
    },
    /// Dropped.
    Drop,
}

/// The language of code whose calls are reported: function names are
/// looked up in the policy's list for that language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeLanguage {
    /// Python.
    Python,
    /// Rust.
    Rust,
}

/// How code touches a table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    /// `SELECT`, a join, a subquery.
    Read,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `MERGE`.
    Write,
}

/// One observation about a file.
///
/// A front end that reports a column-level schema change also reports the
/// table-level one (`ALTER TABLE t ADD c` is a `TableSchema` *and* a
/// `ColumnSchema`), so table rules fire once per statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactKind {
    /// A schema change or declaration of a whole table.
    TableSchema {
        /// The table (for a rename, the old name).
        table: Name,
        /// What happens to it.
        action: TableAction,
    },
    /// A schema change or declaration of one column.
    ColumnSchema {
        /// The table the column belongs to.
        table: Name,
        /// The column (for a rename, the old name).
        column: Name,
        /// What happens to it.
        action: ColumnAction,
    },
    /// Code reads or writes rows of a table.
    TableAccess {
        /// The table.
        table: Name,
        /// Read or write.
        mode: AccessMode,
    },
    /// Code creates rows in a table (an insert), setting these columns.
    RowInsert {
        /// The table.
        table: Name,
        /// The columns given values, when known.
        columns: Vec<Name>,
    },
    /// An insert takes its rows from one other table (`INSERT INTO t2 (…)
    /// SELECT … FROM t1`, no join): reported beside the insert's
    /// `RowInsert` and the reads of its query, with the same statement
    /// start, so rules can tell a copy between two versions of one table
    /// (a rebuild) from a copy of another table's data.
    RowCopy {
        /// The table written (`t2`).
        into: Name,
        /// The one table read (`t1`).
        from: Name,
    },
    /// Code assigns a field of rows (an update).
    FieldWrite {
        /// The table whose rows are written.
        table: Name,
        /// The field assigned.
        field: Name,
        /// The write is part of a statement that may create the row instead
        /// (`ON CONFLICT DO UPDATE`, a `MERGE` with an insert branch).
        upsert: bool,
    },
    /// Code reads a field of a table's rows (a column in a query).
    FieldRead {
        /// The table whose rows are read.
        table: Name,
        /// The field read.
        field: Name,
    },
    /// Code calls a function or method: by its dotted path resolved through
    /// imports (`bcrypt.checkpw`, `passlib.context.CryptContext.verify`), or
    /// its bare name for a helper defined in the file.
    Call {
        /// The resolved path, `.`-separated.
        callee: String,
        /// Whether the path was resolved through an import, a definition or
        /// a known constructor (`false`: a method on an unknown object).
        resolved: bool,
        /// Which language's function lists apply.
        language: CodeLanguage,
    },
    /// A class maps the rows of a table (an ORM model). Model facts of other
    /// files are resolved against these before rules run.
    Model {
        /// The class's name.
        class: String,
        /// The table it maps.
        table: Name,
        /// The columns its fields map, where a front end needs them
        /// (`ModelSave` writes them all); empty otherwise.
        fields: Vec<String>,
    },
    /// A field of an instance of a model class is assigned.
    ModelWrite {
        /// The class's name.
        model: String,
        /// The field.
        field: Name,
    },
    /// A field of an instance of a model class is read.
    ModelRead {
        /// The class's name.
        model: String,
        /// The field.
        field: Name,
    },
    /// Every field of an instance of a model class is written (Diesel
    /// `.set(&changes)` with an `AsChangeset` struct, `.save_changes()`).
    /// The fact's span is the value written.
    ModelSave {
        /// The class's name.
        model: String,
    },
    /// The file brings a name into scope from a module (a Rust `use`):
    /// `argon2.PasswordVerifier`, or `jwt_simple.prelude.*` for a glob.
    /// Methods of an imported trait are matched through it.
    Import {
        /// The imported path, `.`-separated.
        path: String,
    },
    /// Rows of a model class are queried (`db.query(User)`, `select(User)`).
    /// The fact's span is the class name.
    ModelQuery {
        /// The class's name.
        model: String,
    },
    /// An instance of a model class is created and added to a session: a
    /// new row. The fact's span is the class name at the constructor.
    ModelCreate {
        /// The class's name.
        model: String,
        /// The fields given to the constructor.
        columns: Vec<Name>,
    },
    /// The file is a migration in a revision graph (Alembic's `revision` and
    /// `down_revision`).
    Revision {
        /// This migration's id.
        id: String,
        /// The ids it follows (none for the first, several for a merge).
        parents: Vec<String>,
    },
    /// A column this file gives a table is still the table's when a later
    /// migration of the same history renames it into the mirror. Added by
    /// the history pass ([`crate::history`]), never by a front end; the
    /// fact's span is the column's, here.
    RenamedLater {
        /// The table, as this file names it.
        table: Name,
        /// The column, as this file names it.
        column: Name,
        /// The name the later migration gives the table.
        to: String,
        /// The rename, in the later migration.
        at: crate::source::Location,
    },
    /// An environment file sets a variable.
    EnvVar {
        /// The variable, case kept as written in `norm` is lower-cased; see `raw`.
        name: Name,
        /// The variable's name exactly as written.
        raw: String,
    },
    /// Part of the file could not be read or parsed.
    Unparsable {
        /// Why, in the parser's words.
        message: String,
        /// The tables the unread part names, as far as its tokens tell (a
        /// SQL statement the parser rejected). Empty when no table can be
        /// identified, or the front end cannot tell: then what was not read
        /// could touch anything.
        tables: Vec<Name>,
        /// Advice specific to this failure (another dialect reads it), shown
        /// instead of the rule's general help.
        help: Option<String>,
    },
}

impl FactKind {
    /// An `Unparsable` fact that could touch anything, with no advice.
    pub fn unparsable(message: String) -> FactKind {
        FactKind::Unparsable { message, tables: Vec::new(), help: None }
    }
}

/// A fact with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// What was observed.
    pub kind: FactKind,
    /// The identifier that makes the fact (where a finding points).
    pub span: Span,
    /// Start of the enclosing statement, so a suppression above a
    /// multi-line statement covers identifiers further down.
    pub statement_start: usize,
}

/// A comment that may hold a suppression, as found by a front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The comment's text without its marker (`--`, `#`, `//`).
    pub text: String,
    /// Where the whole comment stands.
    pub span: Span,
}

/// Everything a front end learned about one file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// Facts in source order.
    pub facts: Vec<Fact>,
    /// Comments, in source order, for suppressions.
    pub comments: Vec<Comment>,
}

impl FileFacts {
    /// Record a fact whose statement starts at `statement_start`.
    pub fn push(&mut self, kind: FactKind, span: Span, statement_start: usize) {
        self.facts.push(Fact { kind, span, statement_start });
    }

    /// Move every span right by `by` bytes: for text that sits at an offset
    /// of the file (inside a string literal).
    pub fn shift(&mut self, by: usize) {
        if by > 0 {
            self.map_spans(|s| s.shifted(by));
        }
    }

    /// Point every span at `to`: for text whose offsets do not map onto the
    /// file (a string with escapes), so findings point at the string.
    pub fn collapse_to(&mut self, to: Span) {
        self.map_spans(|_| to);
    }

    /// Apply `f` to every span: facts, the names inside them, and comments.
    pub fn map_spans(&mut self, f: impl Fn(Span) -> Span) {
        let name = |n: &mut Name| n.span = f(n.span);
        for fact in &mut self.facts {
            fact.span = f(fact.span);
            fact.statement_start = f(Span::new(fact.statement_start, fact.statement_start)).start;
            match &mut fact.kind {
                FactKind::TableSchema { table, action } => {
                    name(table);
                    if let TableAction::Rename { to } = action {
                        name(to);
                    }
                }
                FactKind::ColumnSchema { table, column, action } => {
                    name(table);
                    name(column);
                    if let ColumnAction::Rename { to } = action {
                        name(to);
                    }
                }
                FactKind::TableAccess { table, .. } => name(table),
                FactKind::RowInsert { table, columns } => {
                    name(table);
                    columns.iter_mut().for_each(name);
                }
                FactKind::FieldWrite { table, field, .. } | FactKind::FieldRead { table, field } => {
                    name(table);
                    name(field);
                }
                FactKind::EnvVar { name: n, .. } => name(n),
                // `at` is a place in another file.
                FactKind::RowCopy { into, from } => {
                    name(into);
                    name(from);
                }
                FactKind::RenamedLater { table, column, .. } => {
                    name(table);
                    name(column);
                }
                FactKind::Model { table, .. } => name(table),
                FactKind::ModelWrite { field, .. } | FactKind::ModelRead { field, .. } => name(field),
                FactKind::ModelCreate { columns, .. } => columns.iter_mut().for_each(name),
                FactKind::Unparsable { tables, .. } => tables.iter_mut().for_each(name),
                FactKind::Call { .. }
                | FactKind::Revision { .. }
                | FactKind::ModelQuery { .. }
                | FactKind::ModelSave { .. }
                | FactKind::Import { .. } => {}
            }
        }
        for c in &mut self.comments {
            c.span = f(c.span);
        }
    }
}
