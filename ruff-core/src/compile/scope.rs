//! Per-function compile state: block scopes, slot allocation, captures, loop
//! contexts, and the instruction/constant buffers that become a [`Proto`].

use std::collections::HashMap;
use std::rc::Rc;

use crate::bytecode::{Const, Op, Proto, Var};
use crate::diag::{Source, Span};

/// How a binding was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// `mut`, plain `:=`, parameters, `for`/`match`/`except` names.
    Mut,
    /// `let` and destructuring statements.
    Let,
    /// `const`.
    Const,
}

impl Binding {
    /// The byte `DefineGlobal` carries.
    pub fn code(self) -> u8 {
        match self {
            Binding::Mut => 0,
            Binding::Let => 1,
            Binding::Const => 2,
        }
    }
}

/// A local variable of a block scope.
#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub slot: u16,
    pub binding: Binding,
}

/// A loop being compiled: where `continue` goes and which jumps `break` patches.
#[derive(Debug)]
pub struct LoopCtx {
    /// Target of `continue` (the loop header).
    pub continue_to: u32,
    /// Forward jumps to patch to the loop exit.
    pub breaks: Vec<usize>,
    /// Handler depth when the loop started (`break` pops handlers above it).
    pub try_depth: usize,
}

/// One function being compiled.
pub struct FuncState {
    pub name: Rc<str>,
    pub arity: u16,
    pub nparams: u16,
    pub is_method: bool,
    pub is_main: bool,
    /// A named nested function's own name: resolves to `LoadSelf`.
    pub self_name: Option<String>,
    pub scopes: Vec<Vec<Local>>,
    pub next_slot: u16,
    pub max_slots: u16,
    pub captures: Vec<(String, Var, Binding)>,
    pub loops: Vec<LoopCtx>,
    pub try_depth: usize,
    pub code: Vec<Op>,
    pub spans: Vec<Span>,
    pub consts: Vec<Const>,
    const_index: HashMap<ConstKey, u32>,
    pub protos: Vec<Rc<Proto>>,
}

#[derive(Hash, PartialEq, Eq)]
enum ConstKey {
    Int(i64),
    Float(u64),
    Str(String),
    Name(String),
}

impl FuncState {
    /// A fresh function with one (parameter) scope.
    pub fn new(name: &str, is_main: bool) -> FuncState {
        FuncState {
            name: Rc::from(name),
            arity: 0,
            nparams: 0,
            is_method: false,
            is_main,
            self_name: None,
            scopes: vec![Vec::new()],
            next_slot: 0,
            max_slots: 0,
            captures: Vec::new(),
            loops: Vec::new(),
            try_depth: 0,
            code: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            const_index: HashMap::new(),
            protos: Vec::new(),
        }
    }

    /// True when a declaration here creates a global (the top scope of `<main>`).
    pub fn at_global_scope(&self) -> bool {
        self.is_main && self.scopes.len() == 1
    }

    /// Appends an instruction; returns its index.
    pub fn emit(&mut self, op: Op, span: Span) -> usize {
        self.code.push(op);
        self.spans.push(span);
        self.code.len() - 1
    }

    /// Index the next instruction will get.
    pub fn here(&self) -> u32 {
        self.code.len() as u32
    }

    /// Points the branch at `at` to the next instruction.
    pub fn patch_here(&mut self, at: usize) {
        let to = self.here();
        self.code[at].set_target(to);
    }

    /// Adds (or reuses) a constant.
    pub fn constant(&mut self, c: Const) -> u32 {
        let key = match &c {
            Const::Int(i) => Some(ConstKey::Int(*i)),
            Const::Float(f) => Some(ConstKey::Float(f.to_bits())),
            Const::Str(s) => Some(ConstKey::Str(s.to_string())),
            Const::Name(s) => Some(ConstKey::Name(s.to_string())),
            _ => None,
        };
        if let Some(k) = &key {
            if let Some(&i) = self.const_index.get(k) {
                return i;
            }
        }
        self.consts.push(c);
        let i = self.consts.len() as u32 - 1;
        if let Some(k) = key {
            self.const_index.insert(k, i);
        }
        i
    }

    /// A string constant.
    pub fn str_const(&mut self, s: &str) -> u32 {
        self.constant(Const::Str(Rc::new(s.to_string())))
    }

    /// Opens a block scope.
    pub fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes a block scope; its slots become free for reuse.
    pub fn pop_scope(&mut self) {
        let scope = self.scopes.pop().expect("scope underflow");
        if let Some(first) = scope.iter().map(|l| l.slot).min() {
            self.next_slot = self.next_slot.min(first);
        }
    }

    /// Allocates an anonymous slot in the current scope (iteration state, scrutinee).
    pub fn hidden_slot(&mut self) -> Option<u16> {
        self.declare("", Binding::Mut)
    }

    /// Declares a local in the current scope; `None` when slots are exhausted.
    pub fn declare(&mut self, name: &str, binding: Binding) -> Option<u16> {
        let slot = self.next_slot;
        self.next_slot = self.next_slot.checked_add(1)?;
        self.max_slots = self.max_slots.max(self.next_slot);
        self.scopes.last_mut().expect("no scope").push(Local { name: name.to_string(), slot, binding });
        Some(slot)
    }

    /// True when `name` is already declared in the innermost scope.
    pub fn declared_here(&self, name: &str) -> bool {
        self.scopes.last().is_some_and(|s| s.iter().any(|l| l.name == name))
    }

    /// Finds a visible local, innermost first.
    pub fn find_local(&self, name: &str) -> Option<(u16, Binding)> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|l| l.name == name).map(|l| (l.slot, l.binding))
    }

    /// Finds an existing capture.
    pub fn find_capture(&self, name: &str) -> Option<(u16, Binding)> {
        self.captures.iter().position(|(n, _, _)| n == name).map(|i| (i as u16, self.captures[i].2))
    }

    /// Turns the state into a proto.
    pub fn finish(self, source: Rc<Source>, module: u32) -> Proto {
        let n = self.code.len();
        Proto {
            name: self.name,
            arity: self.arity,
            nparams: self.nparams,
            is_method: self.is_method,
            top_level: self.is_main,
            nslots: self.max_slots,
            vm_code: crate::bytecode::fuse::fuse(&self.code),
            code: self.code,
            spans: self.spans,
            consts: self.consts,
            protos: self.protos,
            captures: self.captures.into_iter().map(|(_, v, _)| v).collect(),
            source,
            module,
            calls: Default::default(),
            back_edges: Default::default(),
            feedback: (0..n).map(|_| Default::default()).collect(),
            jit: Default::default(),
        }
    }
}
