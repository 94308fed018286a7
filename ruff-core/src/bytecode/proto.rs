//! A compiled function: code, constants, nested functions, capture sources, the
//! pc → span table, and the counters the VM keeps for the tier (calls, loop
//! back-edges, per-instruction operand-kind feedback).

use std::cell::Cell;
use std::rc::Rc;

use super::op::{Op, Var};
use crate::diag::{Source, Span};

/// A constant referenced by an instruction.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string value (shared with `Value::Str` so pushing it is a refcount bump).
    Str(Rc<String>),
    /// A name: field, method, struct or module.
    Name(Rc<str>),
    /// A list of names (struct literal fields, keys excluded by `...rest`).
    Names(Rc<[Rc<str>]>),
    /// A struct literal's type name and field names, in literal order.
    Shape { name: Rc<str>, fields: Rc<[Rc<str>]> },
    /// An enum variant.
    Variant { enum_name: Rc<str>, variant: Rc<str> },
    /// A struct declaration: name, declared fields and method names (in the order
    /// their closures are pushed before `DefineStruct`).
    StructDecl { name: Rc<str>, fields: Rc<[Rc<str>]>, methods: Rc<[Rc<str>]> },
}

/// Operand kinds seen by an instruction (bit set, recorded by the VM). For a
/// field read (FIELD, KEY_OR_NULL) the bits are the kinds of the values read.
pub mod feedback {
    /// Both operands were ints.
    pub const INT: u8 = 1;
    /// At least one operand was a float, the rest numbers.
    pub const FLOAT: u8 = 2;
    /// Strings.
    pub const STR: u8 = 4;
    /// Anything else (arrays, dicts, structs, mixed).
    pub const OTHER: u8 = 8;
}

/// A compiled function or top-level chunk.
#[derive(Debug)]
pub struct Proto {
    /// `name`, `<lambda>`, `Struct.method` or `<main>`.
    pub name: Rc<str>,
    /// Parameters the caller must pass (a method's receiver not counted).
    pub arity: u16,
    /// Leading slots filled by the call: receiver (methods) plus parameters.
    pub nparams: u16,
    /// True for methods (slot 0 holds the receiver).
    pub is_method: bool,
    /// True for a file's top-level code (`<main>`, a module's chunk): it runs
    /// once, however long it is.
    pub top_level: bool,
    /// Frame slots in all (parameters, locals, temporaries).
    pub nslots: u16,
    /// The instructions.
    pub code: Vec<Op>,
    /// The instructions the VM's dispatch loop runs: `code` with superinstructions
    /// at the same pcs (see [`super::fuse`]).
    pub vm_code: Vec<Op>,
    /// Source span of each instruction (same length as `code`).
    pub spans: Vec<Span>,
    /// Constants.
    pub consts: Vec<Const>,
    /// Nested functions, referenced by `MakeClosure`.
    pub protos: Vec<Rc<Proto>>,
    /// Where each captured copy comes from in the creating frame.
    pub captures: Vec<Var>,
    /// The file this function was compiled from.
    pub source: Rc<Source>,
    /// The module whose globals this code uses (0 for the main program).
    pub module: u32,
    /// Calls so far (the tier's hotness counter).
    pub calls: Cell<u32>,
    /// Loop back-edges taken so far.
    pub back_edges: Cell<u32>,
    /// Operand kinds seen, per instruction (see [`feedback`]).
    pub feedback: Vec<Cell<u8>>,
    /// Native code and statistics kept for the compiling tier.
    pub jit: crate::runtime::tier::JitSlot,
}

impl Proto {
    /// Forgets native code, counters and statistics of this function and its nested
    /// functions (a program run again starts cold with a fresh tier).
    pub fn reset_tier_state(&self) {
        self.calls.set(0);
        self.back_edges.set(0);
        self.jit.reset();
        for p in &self.protos {
            p.reset_tier_state();
        }
    }

    /// Operands `op` pops and results it pushes when it falls through to the next
    /// instruction; `None` when that depends on the path taken (`JumpIfNotNull`,
    /// `IterNext`, `MatchTag`/`MatchEnum`/`MatchName`, `Unwrap`).
    pub fn stack_effect(&self, op: Op) -> Option<(usize, usize)> {
        Some(match op {
            Op::Const(_) | Op::Int(_) | Op::Null | Op::True | Op::False | Op::LoadLocal(_) => (0, 1),
            Op::LoadCapture(_) | Op::LoadGlobal(_) | Op::LoadSelf | Op::MakeClosure(_) | Op::Import(..) => (0, 1),
            Op::LocalAddInt(..) | Op::LocalSubInt(..) => (0, 1),
            Op::Pop | Op::StoreLocal(_) | Op::StoreCapture(_) | Op::StoreGlobal(_) | Op::DefineGlobal(..) => (1, 0),
            Op::AddLocal(_) | Op::AddGlobal(_) | Op::ArrayPush | Op::ArrayExtend | Op::DictExtend => (1, 0),
            Op::Throw | Op::Return | Op::JumpIfFalse(_) | Op::JumpIfTrue(_) => (1, 0),
            Op::Dup => (1, 2),
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod | Op::Index => (2, 1),
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => (2, 1),
            Op::JumpIfNot(..) | Op::DictInsert => (2, 0),
            Op::Neg | Op::Not | Op::ToBool | Op::Field(_) | Op::OptField(_) | Op::IterPrepare => (1, 1),
            Op::ElemOrNull(_) | Op::RestFrom(_) | Op::KeyOrNull(_) | Op::RestWithout(_) => (1, 1),
            Op::IncLocal(..) | Op::Raise(_) | Op::TryBegin(_) | Op::TryEnd | Op::Jump(_) | Op::Loop(_) => (0, 0),
            Op::Halt => (0, 0),
            Op::Call(n) | Op::CallUpdate(n, _) | Op::CallMethod(_, n) => (n as usize + 1, 1),
            Op::SetPath(_, n, _) => (n as usize + 1, 0),
            Op::MakeArray(n) | Op::Concat(n) => (n as usize, 1),
            Op::MakeDict(n) => (2 * n as usize, 1),
            Op::MakeStruct(k) => match &self.consts[k as usize] {
                Const::Shape { fields, .. } => (fields.len(), 1),
                _ => return None,
            },
            Op::MakeTagged(t) => (usize::from(t != super::op::Tag::None), 1),
            Op::MakeEnum(_, n) => (n as usize, 1),
            Op::DefineStruct(_, m) => (m as usize, 0),
            Op::JumpIfNotNull(_) | Op::IterNext(..) | Op::MatchTag(..) | Op::MatchEnum(..) | Op::MatchName(..) => {
                return None
            }
            Op::Unwrap => return None,
            Op::JumpIfNotLocalInt(..) | Op::LocalsArithStore(..) => (0, 0),
            Op::LocalsArith(..) => (0, 1),
            Op::ArithLocal(..) => (1, 1),
            Op::LoadLocal2(..) => (0, 2),
            Op::ReturnLocal(_) => (0, 0),
            Op::IterNextStore(..) => return None,
        })
    }

    /// The span of the instruction at `pc` (or an empty span).
    pub fn span_at(&self, pc: usize) -> Span {
        self.spans.get(pc).copied().unwrap_or_default()
    }
}
