//! The compiler: AST to bytecode. Names resolve to frame slots, captured copies or
//! global indexes here, so the VM never looks a local up by name. Statements live in
//! `stmt`, expressions in `expr`, destructuring and `match` patterns in `pattern`,
//! per-function state in `scope`.

mod expr;
mod pattern;
mod scope;
mod stmt;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::bytecode::{Op, Proto, Var};
use crate::diag::{Diagnostic, Source, Span};
use crate::syntax::ast::{AssignOp, DeclKind, PatElem, Pattern, Program, Stmt, StmtKind};

use scope::{Binding, FuncState};

/// Global variable names by index; the VM sizes its global table from this. Each
/// module has its own namespace: a name is interned together with the module that
/// owns it (module 0 is the main program).
#[derive(Clone, Debug, Default)]
pub struct GlobalNames {
    names: Vec<Rc<str>>,
    index: HashMap<(u32, String), u32>,
    module: u32,
    /// One shared copy of each field, method and struct name in the program, so
    /// the runtime finds a name by pointer before comparing text.
    atoms: HashSet<Rc<str>>,
    /// One shared copy of each list of field names a struct literal writes, so
    /// that structs made by different literals with the same fields in the same
    /// order (a tree's leaves and inner nodes) have one shape, and compiled
    /// code's field caches hit for all of them.
    shapes: HashSet<Rc<[Rc<str>]>>,
}

impl GlobalNames {
    /// The program's shared copy of `name`.
    pub fn atom(&mut self, name: &str) -> Rc<str> {
        if let Some(a) = self.atoms.get(name) {
            return a.clone();
        }
        let a: Rc<str> = Rc::from(name);
        self.atoms.insert(a.clone());
        a
    }

    /// The program's shared copy of the field list `fields`.
    pub fn shape(&mut self, fields: Vec<Rc<str>>) -> Rc<[Rc<str>]> {
        if let Some(s) = self.shapes.get(fields.as_slice()) {
            return s.clone();
        }
        let s: Rc<[Rc<str>]> = fields.into();
        self.shapes.insert(s.clone());
        s
    }

    /// Index of a global of the current module, allocating one on first use.
    pub fn intern(&mut self, name: &str) -> u32 {
        self.intern_in(self.module, name)
    }

    /// Index of a global of `module`, allocating one on first use.
    pub fn intern_in(&mut self, module: u32, name: &str) -> u32 {
        if let Some(&i) = self.index.get(&(module, name.to_string())) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(Rc::from(name));
        self.index.insert((module, name.to_string()), i);
        i
    }

    /// The index of an existing global of the current module.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(&(self.module, name.to_string())).copied()
    }

    /// Makes `module` the current namespace; returns the previous one.
    pub fn set_module(&mut self, module: u32) -> u32 {
        std::mem::replace(&mut self.module, module)
    }

    /// The current namespace.
    pub fn current_module(&self) -> u32 {
        self.module
    }

    /// All names (without their module), by index.
    pub fn names(&self) -> &[Rc<str>] {
        &self.names
    }
}

/// A compiled file: its top-level code and the names it exports.
#[derive(Debug)]
pub struct Compiled {
    /// The top-level code (`<main>`).
    pub main: Rc<Proto>,
    /// Names declared with `export`, in order.
    pub exports: Vec<String>,
}

/// What a name means at one point of the program.
#[derive(Clone, Copy, Debug)]
enum Resolved {
    Local(u16, Binding),
    Capture(u16, Binding),
    Global(u32),
    SelfFunc,
}

/// Compiles a parsed file into the current module of `globals`. Returns every
/// compile-time diagnostic on failure.
pub fn compile(program: &Program, source: Rc<Source>, globals: &mut GlobalNames) -> Result<Compiled, Vec<Diagnostic>> {
    compile_chunk(program, source, globals, "<main>")
}

/// Like [`compile`], naming the top-level code `chunk` in traces (`<module m>`).
pub fn compile_chunk(
    program: &Program,
    source: Rc<Source>,
    globals: &mut GlobalNames,
    chunk: &str,
) -> Result<Compiled, Vec<Diagnostic>> {
    let module = globals.module;
    let mut c = Compiler {
        source,
        globals,
        funcs: vec![FuncState::new(chunk, true)],
        diags: Vec::new(),
        known: HashSet::new(),
    };
    c.collect_known_globals(&program.stmts);
    c.hoist_functions(&program.stmts);
    for stmt in &program.stmts {
        c.stmt(stmt);
    }
    let end = program.stmts.last().map_or(Span::default(), |s| Span::new(s.span.end, s.span.end));
    c.emit(Op::Halt, end);
    if !c.diags.is_empty() {
        return Err(c.diags);
    }
    let main = c.funcs.pop().expect("main state");
    let exports = exported_names(&program.stmts);
    Ok(Compiled { main: Rc::new(main.finish(c.source.clone(), module)), exports })
}

struct Compiler<'g> {
    source: Rc<Source>,
    globals: &'g mut GlobalNames,
    funcs: Vec<FuncState>,
    diags: Vec<Diagnostic>,
    /// Names the top level declares or assigns: assignments to them from functions
    /// and blocks update the global instead of creating a local.
    known: HashSet<String>,
}

impl Compiler<'_> {
    fn f(&mut self) -> &mut FuncState {
        self.funcs.last_mut().expect("no function")
    }

    /// A name constant (field, method or key name), shared program-wide.
    fn name_const(&mut self, name: &str) -> u32 {
        let a = self.globals.atom(name);
        self.f().constant(crate::bytecode::Const::Name(a))
    }

    fn emit(&mut self, op: Op, span: Span) -> usize {
        self.f().emit(op, span)
    }

    fn error(&mut self, msg: impl Into<String>, span: Span) {
        self.diags.push(Diagnostic::compiler(msg, span));
    }

    /// Emits a runtime raise of `msg` (used for errors the compiler can see coming
    /// but the language reports at run time, so earlier output still happens).
    fn raise(&mut self, msg: String, span: Span) {
        let k = self.f().str_const(&msg);
        self.emit(Op::Raise(k), span);
    }

    fn collect_known_globals(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::Decl { pattern, .. } | StmtKind::PatternAssign { pattern, .. } => {
                    pattern_names(pattern, &mut |n| {
                        self.known.insert(n.to_string());
                    });
                }
                StmtKind::Func(f) => {
                    self.known.insert(f.name.name.clone());
                }
                StmtKind::Struct(_) | StmtKind::Enum(_) => {}
                StmtKind::Import(imp) => {
                    for n in imp.names.iter().flatten() {
                        self.known.insert(n.name.clone());
                    }
                    if imp.names.is_none() {
                        if let Some(last) = imp.path.last() {
                            self.known.insert(last.name.clone());
                        }
                    }
                }
                StmtKind::Export(inner) => self.collect_known_globals(std::slice::from_ref(inner)),
                StmtKind::Assign { target, op: AssignOp::Set, .. } if target.path.is_empty() => {
                    self.known.insert(target.root.name.clone());
                }
                _ => {}
            }
        }
    }

    /// Top-level `func` declarations are defined before any other code runs.
    fn hoist_functions(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            let decl = match &s.kind {
                StmtKind::Func(f) => f,
                StmtKind::Export(inner) => match &inner.kind {
                    StmtKind::Func(f) => f,
                    _ => continue,
                },
                _ => continue,
            };
            self.closure(decl, None, false, &[]);
            let g = self.globals.intern(&decl.name.name);
            self.emit(Op::StoreGlobal(g), decl.name.span);
        }
    }

    /// Resolves a name for reading.
    fn resolve(&mut self, name: &str) -> Resolved {
        let depth = self.funcs.len() - 1;
        if let Some(r) = self.resolve_in(depth, name) {
            return r;
        }
        Resolved::Global(self.globals.intern(name))
    }

    fn resolve_in(&mut self, depth: usize, name: &str) -> Option<Resolved> {
        let f = &self.funcs[depth];
        if let Some((slot, b)) = f.find_local(name) {
            return Some(Resolved::Local(slot, b));
        }
        if f.self_name.as_deref() == Some(name) {
            return Some(Resolved::SelfFunc);
        }
        if let Some((i, b)) = f.find_capture(name) {
            return Some(Resolved::Capture(i, b));
        }
        if depth == 0 {
            return None;
        }
        let (source, binding) = match self.resolve_in(depth - 1, name)? {
            Resolved::Local(slot, b) => (Var::Local(slot), b),
            Resolved::Capture(i, b) => (Var::Capture(i), b),
            Resolved::Global(_) | Resolved::SelfFunc => return None,
        };
        let f = &mut self.funcs[depth];
        f.captures.push((name.to_string(), source, binding));
        Some(Resolved::Capture(f.captures.len() as u16 - 1, binding))
    }

    /// Declares `name` in the current scope and stores the value on top of the
    /// stack into it.
    fn declare_and_store(&mut self, name: &str, binding: Binding, span: Span) {
        if self.f().at_global_scope() {
            let g = self.globals.intern(name);
            self.emit(Op::DefineGlobal(g, binding.code()), span);
            return;
        }
        if self.f().declared_here(name) {
            self.emit(Op::Pop, span);
            self.raise(format!("Duplicate declaration in the same scope: {name}"), span);
            return;
        }
        match self.f().declare(name, binding) {
            Some(slot) => {
                self.emit(Op::StoreLocal(slot), span);
            }
            None => self.error("too many local variables in one function (limit 65535)", span),
        }
    }

    /// Binds a destructuring pattern to the value on top of the stack (consumed).
    fn bind_pattern(&mut self, pattern: &Pattern, binding: Binding) {
        match pattern {
            Pattern::Ident(id) => self.declare_and_store(&id.name, binding, id.span),
            Pattern::Wildcard(span) => {
                self.emit(Op::Pop, *span);
            }
            Pattern::Array { elems, span } => {
                for (i, e) in elems.iter().enumerate() {
                    let Ok(i) = u16::try_from(i) else {
                        self.error("too many elements in a pattern", *span);
                        return;
                    };
                    self.emit(Op::Dup, *span);
                    match e {
                        PatElem::Pat(p) => {
                            self.emit(Op::ElemOrNull(i), *span);
                            self.bind_pattern(p, binding);
                        }
                        PatElem::Rest(id) => {
                            self.emit(Op::RestFrom(i), *span);
                            self.declare_and_store(&id.name, binding, id.span);
                        }
                    }
                }
                self.emit(Op::Pop, *span);
            }
            Pattern::Dict { keys, rest, span } => {
                for k in keys {
                    self.emit(Op::Dup, *span);
                    let kc = self.name_const(&k.name);
                    self.emit(Op::KeyOrNull(kc), k.span);
                    self.declare_and_store(&k.name, binding, k.span);
                }
                if let Some(r) = rest {
                    self.emit(Op::Dup, *span);
                    let names: Rc<[Rc<str>]> = keys.iter().map(|k| Rc::from(k.name.as_str())).collect();
                    let kc = self.f().constant(crate::bytecode::Const::Names(names));
                    self.emit(Op::RestWithout(kc), r.span);
                    self.declare_and_store(&r.name, binding, r.span);
                }
                self.emit(Op::Pop, *span);
            }
        }
    }
}

/// Calls `f` with every name a pattern binds.
fn pattern_names(p: &Pattern, f: &mut dyn FnMut(&str)) {
    match p {
        Pattern::Ident(id) => f(&id.name),
        Pattern::Wildcard(_) => {}
        Pattern::Array { elems, .. } => {
            for e in elems {
                match e {
                    PatElem::Pat(p) => pattern_names(p, f),
                    PatElem::Rest(id) => f(&id.name),
                }
            }
        }
        Pattern::Dict { keys, rest, .. } => {
            for k in keys {
                f(&k.name);
            }
            if let Some(r) = rest {
                f(&r.name);
            }
        }
    }
}

/// The names a file exports, in order.
fn exported_names(stmts: &[Stmt]) -> Vec<String> {
    let mut out = Vec::new();
    for s in stmts {
        let StmtKind::Export(inner) = &s.kind else { continue };
        match &inner.kind {
            StmtKind::Func(f) => out.push(f.name.name.clone()),
            StmtKind::Decl { pattern, .. } | StmtKind::PatternAssign { pattern, .. } => {
                pattern_names(pattern, &mut |n| out.push(n.to_string()))
            }
            StmtKind::Assign { target, .. } if target.path.is_empty() => out.push(target.root.name.clone()),
            _ => {}
        }
    }
    out
}

/// The binding a declaration keyword makes.
fn binding_of(kind: DeclKind) -> Binding {
    match kind {
        DeclKind::Let => Binding::Let,
        DeclKind::Mut => Binding::Mut,
        DeclKind::Const => Binding::Const,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::{Const, Proto};

    /// The shape constants of `p` and of the functions nested in it, in order.
    fn shapes(p: &Proto, out: &mut Vec<(String, Rc<[Rc<str>]>)>) {
        for k in &p.consts {
            if let Const::Shape { name, fields } = k {
                out.push((name.to_string(), fields.clone()));
            }
        }
        for inner in &p.protos {
            shapes(inner, out);
        }
    }

    #[test]
    fn literals_with_the_same_fields_in_the_same_order_share_one_shape() {
        let text = "struct N { l r }\nstruct M { l r }\n\
                    func leaf() { return N { l: null, r: null } }\n\
                    func node(a, b) { return N { l: a, r: b } }\n\
                    let m := M { l: 1, r: 2 }\nlet x := N { r: 1, l: 2 }\nlet y := N { l: 1 }\n";
        let program = crate::syntax::parse(text).expect("parses");
        let mut globals = GlobalNames::default();
        let compiled = compile(&program, Rc::new(Source::new("t", text)), &mut globals).expect("compiles");
        let mut found = Vec::new();
        shapes(&compiled.main, &mut found);
        let fields = |i: usize| -> Vec<String> { found[i].1.iter().map(|f| f.to_string()).collect() };
        assert_eq!(found.len(), 5, "{found:?}");
        // Top level first (M, N reversed, N with one field), then leaf and node.
        let (m, reversed, one, leaf, node) = (&found[0].1, &found[1].1, &found[2].1, &found[3].1, &found[4].1);
        assert_eq!(
            (fields(0), fields(1), fields(2)),
            (vec!["l".into(), "r".into()], vec!["r".into(), "l".into()], vec!["l".to_string()])
        );
        assert!(Rc::ptr_eq(leaf, node), "two N literals with the same fields");
        assert!(Rc::ptr_eq(m, node), "a shape is a list of field names, whatever the type");
        assert!(!Rc::ptr_eq(reversed, node) && !Rc::ptr_eq(one, node), "other orders and field sets are other shapes");
    }
}
