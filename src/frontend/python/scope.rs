//! Name resolution for Python: what a name in the file stands for, through
//! imports, aliases, module-level string constants and instances of known
//! classes, so `import bcrypt as b; b.checkpw(...)` is `bcrypt.checkpw` and a
//! local `checkpw` from another module is not.

use std::collections::HashMap;

use ruff_python_ast::{Expr, Stmt};

/// A dotted path and whether it is known (through an import, a definition
/// or a constructor) rather than a method on an object of unknown type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// `.`-separated path.
    pub path: String,
    /// Whether the root of the path is known.
    pub known: bool,
}

/// What names mean in one file. Function bodies share the module's view,
/// plus the instances they create themselves (kept in `locals`).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// Imported names: local name → dotted path (`b` → `bcrypt`).
    imports: HashMap<String, String>,
    /// Functions and classes defined in the file: name → name.
    defined: HashMap<String, String>,
    /// Module-level string constants: name → value.
    pub constants: HashMap<String, String>,
    /// Variables holding an instance of a known class: name → class path.
    instances: HashMap<String, String>,
    /// Attributes of `self` holding an instance of a known class, set in a
    /// class's methods (`self.ctx = CryptContext(...)`): attribute → class path.
    pub self_attrs: HashMap<String, String>,
}

impl Scope {
    /// Record what the module's top-level statements bind.
    pub fn of_module(body: &[Stmt]) -> Scope {
        let mut scope = Scope::default();
        scope.bind_block(body);
        scope
    }

    /// Bind a block's statements, looking into `if`, `try`, `with` and loop
    /// bodies (`try: import x except ImportError: ...`), not into functions
    /// or classes.
    pub fn bind_block(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.bind(stmt);
            match stmt {
                Stmt::If(s) => {
                    self.bind_block(&s.body);
                    for clause in &s.elif_else_clauses {
                        self.bind_block(&clause.body);
                    }
                }
                Stmt::Try(s) => {
                    self.bind_block(&s.body);
                    for handler in &s.handlers {
                        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                        self.bind_block(&h.body);
                    }
                    self.bind_block(&s.orelse);
                    self.bind_block(&s.finalbody);
                }
                Stmt::With(s) => self.bind_block(&s.body),
                Stmt::For(s) => self.bind_block(&s.body),
                Stmt::While(s) => self.bind_block(&s.body),
                _ => {}
            }
        }
    }

    /// Start a function body: what it binds is dropped by [`Scope::leave_function`].
    pub fn enter_function(&self) -> Scope {
        // Functions rarely bind much; only these small maps are saved.
        Scope {
            imports: HashMap::new(),
            defined: HashMap::new(),
            constants: self.constants.clone(),
            instances: self.instances.clone(),
            self_attrs: HashMap::new(),
        }
    }

    /// Record the `self.x = KnownClass(...)` assignments in a class's methods.
    pub fn bind_self_attributes(&mut self, class_body: &[Stmt]) {
        for stmt in class_body {
            let Stmt::FunctionDef(f) = stmt else { continue };
            for s in &f.body {
                let Stmt::Assign(a) = s else { continue };
                let [Expr::Attribute(target)] = a.targets.as_slice() else { continue };
                let Expr::Name(obj) = target.value.as_ref() else { continue };
                if obj.id.as_str() != "self" {
                    continue;
                }
                if let Expr::Call(call) = a.value.as_ref() {
                    if let Some(class) = self.resolve(&call.func).filter(|r| r.known) {
                        self.self_attrs.insert(target.attr.id.to_string(), class.path);
                    }
                }
            }
        }
    }

    /// End a function body, restoring what `enter_function` saved. Imports
    /// and definitions inside functions are rare and kept.
    pub fn leave_function(&mut self, saved: Scope) {
        self.constants = saved.constants;
        self.instances = saved.instances;
    }

    /// Record one statement's bindings (imports, definitions, constants, instances).
    pub fn bind(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(imp) => {
                for alias in &imp.names {
                    let full = alias.name.id.to_string();
                    match &alias.asname {
                        Some(asname) => {
                            self.imports.insert(asname.id.to_string(), full);
                        }
                        // `import a.b` binds `a`, which stands for itself.
                        None => {
                            let root = full.split('.').next().unwrap_or(&full).to_string();
                            self.imports.insert(root.clone(), root);
                        }
                    }
                }
            }
            Stmt::ImportFrom(imp) => {
                let module = imp.module.as_ref().map(|m| m.id.to_string()).unwrap_or_default();
                for alias in &imp.names {
                    let name = alias.name.id.to_string();
                    let local = alias.asname.as_ref().map_or(name.clone(), |a| a.id.to_string());
                    let path = if module.is_empty() { name } else { format!("{module}.{name}") };
                    self.imports.insert(local, path);
                }
            }
            Stmt::FunctionDef(f) => {
                self.defined.insert(f.name.id.to_string(), f.name.id.to_string());
            }
            Stmt::ClassDef(c) => {
                self.defined.insert(c.name.id.to_string(), c.name.id.to_string());
            }
            Stmt::Assign(a) => {
                if let [Expr::Name(target)] = a.targets.as_slice() {
                    self.assign(target.id.as_str(), &a.value);
                }
            }
            Stmt::AnnAssign(a) => {
                if let (Expr::Name(target), Some(value)) = (a.target.as_ref(), &a.value) {
                    self.assign(target.id.as_str(), value);
                }
            }
            _ => {}
        }
    }

    fn assign(&mut self, name: &str, value: &Expr) {
        match value {
            Expr::StringLiteral(s) => {
                self.constants.insert(name.to_string(), s.value.to_str().to_string());
            }
            // `ctx = CryptContext(...)`: `ctx.verify` is `CryptContext.verify`.
            Expr::Call(call) => {
                if let Some(class) = self.resolve(&call.func).filter(|r| r.known) {
                    self.instances.insert(name.to_string(), class.path);
                }
            }
            _ => {}
        }
    }

    /// The dotted path an expression stands for, if it is a name, an
    /// attribute chain, or a call of a known class (`PasswordHasher()`).
    pub fn resolve(&self, expr: &Expr) -> Option<Resolved> {
        match expr {
            Expr::Name(n) => {
                let id = n.id.as_str();
                if let Some(path) =
                    self.imports.get(id).or_else(|| self.instances.get(id)).or_else(|| self.defined.get(id))
                {
                    Some(Resolved { path: path.clone(), known: true })
                } else {
                    Some(Resolved { path: id.to_string(), known: false })
                }
            }
            Expr::Attribute(a) => {
                if let (Expr::Name(obj), false) = (a.value.as_ref(), self.self_attrs.is_empty()) {
                    if obj.id.as_str() == "self" {
                        if let Some(class) = self.self_attrs.get(a.attr.id.as_str()) {
                            return Some(Resolved { path: class.clone(), known: true });
                        }
                    }
                }
                let base = self.resolve(&a.value)?;
                Some(Resolved { path: format!("{}.{}", base.path, a.attr.id), known: base.known })
            }
            Expr::Call(c) => self.resolve(&c.func).filter(|r| r.known),
            _ => None,
        }
    }

    /// The dotted paths the file imports (`sqlite3`, `mysql.connector`).
    pub fn imported(&self) -> impl Iterator<Item = &str> {
        self.imports.values().map(String::as_str)
    }

    /// The string a name or literal stands for (`"userbase"`, or a constant holding it).
    pub fn string(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            Expr::Name(n) => self.constants.get(n.id.as_str()).cloned(),
            _ => None,
        }
    }
}
