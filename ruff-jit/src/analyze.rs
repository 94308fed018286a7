//! Kind inference: an abstract interpretation of one function's bytecode that gives
//! every slot and operand-stack position a static kind at every reachable
//! instruction, starting from the kinds of the values at hand (the arguments of the
//! call that made the function hot, or the slots at a hot loop's header).
//!
//! This is the analysis of *pure* units (the framed tier has its own, `framed::plan`).
//! Pure code is code whose every value is a scalar kept in a register and
//! which has no side effect (no stores outside its own frame, no output, no calls
//! other than to functions compiled the same way). That is what makes bail-out by
//! replay correct (see `runtime::tier`). Anything else is a [`Rejection`] with the
//! reason.

use ruff_core::bytecode::{Const, Op, Proto};
use ruff_core::runtime::tier::Rejection;
use ruff_core::runtime::value::Value;

/// The static kind of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value reaches here (yet).
    Bottom,
    /// `null`.
    Null,
    /// A bool in an `i8`.
    Bool,
    /// An int in an `i64`.
    Int,
    /// A float in an `f64`.
    Float,
    /// A known function (index into [`Analysis::callees`]); only callable.
    Callee(u16),
    /// Different kinds meet here: the value may not be read.
    Top,
}

impl Kind {
    /// Whether values of this kind live unboxed in a Cranelift variable (an
    /// int, a float or a bool).
    pub fn unboxed(self) -> bool {
        matches!(self, Kind::Int | Kind::Float | Kind::Bool)
    }

    /// Whether values of this kind own no heap memory and are checked by tag
    /// alone (the unboxed kinds and `null`).
    pub fn scalar(self) -> bool {
        self.unboxed() || self == Kind::Null
    }

    /// The kind of a runtime value (`Top` for heap values).
    pub fn of(v: &Value) -> Kind {
        match v {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) => Kind::Int,
            Value::Float(_) => Kind::Float,
            _ => Kind::Top,
        }
    }

    pub(crate) fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Bottom, k) | (k, Kind::Bottom) => k,
            (a, b) if a == b => a,
            _ => Kind::Top,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Bottom => "nothing",
            Kind::Null => "null",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Callee(_) => "function",
            Kind::Top => "mixed kinds",
        }
    }

    pub(crate) fn numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Float)
    }
}

/// A function the compiled code calls directly.
#[derive(Clone, Debug)]
pub struct Callee {
    /// The global it is loaded from (guarded to still hold `closure`); `None` for
    /// `LoadSelf` and for the unit's own function.
    pub global: Option<u32>,
    /// The closure's address (the guard compares the global's payload to it).
    pub closure: usize,
    /// What is called.
    pub target: Target,
    /// Parameter kinds.
    pub params: Vec<Kind>,
    /// Result kind.
    pub ret: Kind,
    /// Its function has captured variables: whoever calls its pure code
    /// directly says which closure it enters (`JitCtx::closure`).
    pub captures: bool,
}

/// The code a [`Callee`] runs.
#[derive(Clone, Debug)]
pub enum Target {
    /// The function being compiled (recursion).
    Itself,
    /// A compiled variant (index in the tier's registry).
    Variant(usize),
    /// A function without native code yet, and the kinds of the captured
    /// values of the closure called.
    Missing(std::rc::Rc<Proto>, Vec<Kind>),
}

/// Why the analysis stopped.
#[derive(Debug)]
pub enum Failure {
    /// The function cannot be compiled.
    Reject(Rejection),
    /// A callee must be compiled first, for arguments of these kinds (and
    /// captured values of those).
    Need(std::rc::Rc<Proto>, Vec<Kind>, Vec<Kind>),
}

impl From<Rejection> for Failure {
    fn from(r: Rejection) -> Failure {
        Failure::Reject(r)
    }
}

/// Kinds of the slots and the operand stack before one instruction.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Frame slots.
    pub slots: Vec<Kind>,
    /// Operand stack, bottom first.
    pub stack: Vec<Kind>,
}

impl State {
    pub(crate) fn join_from(&mut self, other: &State) -> Result<bool, Rejection> {
        if self.stack.len() != other.stack.len() {
            return Err(Rejection::new("operand stack depths differ where control flow meets"));
        }
        let mut changed = false;
        for (a, b) in self.slots.iter_mut().zip(&other.slots).chain(self.stack.iter_mut().zip(&other.stack)) {
            let j = a.join(*b);
            changed |= j != *a;
            *a = j;
        }
        Ok(changed)
    }
}

/// A compiled variant the analysis may call.
#[derive(Clone, Debug)]
pub struct Signature {
    /// Parameter kinds.
    pub params: Vec<Kind>,
    /// Result kind.
    pub ret: Kind,
    /// The kinds of the captured values it was compiled for (empty for a
    /// function without captured variables): code reaching it directly
    /// through a global calls it only for a closure holding these kinds.
    pub captures: Vec<Kind>,
}

/// The kinds of `values` (arguments, slots, captured values).
pub fn kinds_of(values: &[Value]) -> Vec<Kind> {
    values.iter().map(Kind::of).collect()
}

/// The kinds of closure `c`'s captured values.
pub fn capture_kinds(c: &ruff_core::runtime::object::Closure) -> Vec<Kind> {
    kinds_of(&c.captures.borrow())
}

/// Where the analysis starts.
pub enum Start {
    /// A call with arguments of these kinds (other slots start as `null`).
    Call(Vec<Kind>),
    /// A loop header with slots of these kinds and an empty stack.
    Loop(u32, Vec<Kind>),
}

/// What the analysis found.
#[derive(Debug)]
pub struct Analysis {
    /// The state before each instruction (`None`: unreachable from the entry).
    pub states: Vec<Option<State>>,
    /// The kind each instruction pushes (for loads, the speculated kind).
    pub results: Vec<Kind>,
    /// The functions called.
    pub callees: Vec<Callee>,
    /// The function's result kind.
    pub ret: Kind,
    /// The entry instruction.
    pub entry: usize,
}

/// What pure code assumes a global holds: a scalar of this tag, or this
/// closure. Pure code never runs VM code, so globals cannot change while it
/// runs: the assumptions are checked once, where the VM enters native code,
/// and not at every load or call inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlobalGuard {
    pub global: u32,
    pub tag: u8,
    pub closure: Option<usize>,
}

impl Analysis {
    /// The assumptions of this unit's own global loads (not its callees').
    pub fn global_guards(&self, code: &[Op]) -> Vec<GlobalGuard> {
        let mut out = Vec::new();
        for (pc, op) in code.iter().enumerate() {
            let Op::LoadGlobal(g) = *op else { continue };
            if self.states[pc].is_none() {
                continue;
            }
            let (tag, closure) = match self.results[pc] {
                k @ (Kind::Int | Kind::Float | Kind::Bool) => (crate::translate::tag_of(k), None),
                Kind::Callee(c) => (ruff_core::runtime::value::TAG_FUNC, Some(self.callees[c as usize].closure)),
                _ => continue,
            };
            out.push(GlobalGuard { global: g, tag, closure });
        }
        out
    }
}

/// Looks up compiled variants: the registry index and signature of a function's
/// call entry, if it has one.
pub trait Variants {
    /// The variant compiled for `proto`.
    fn variant(&self, proto: &Proto) -> Option<(usize, Signature)>;
}

/// Infers kinds for `proto` from `start`, iterating on the result kind of
/// recursive calls until it is stable.
/// `captures`: the kinds of the captured values of the closure at hand (its
/// code reads them through `JitCtx::closure`, guarding each kind); empty when
/// no closure is at hand.
pub fn analyze(
    proto: &Proto,
    start: &Start,
    captures: &[Kind],
    globals: &[Value],
    variants: &dyn Variants,
) -> Result<Analysis, Failure> {
    let mut ret = Kind::Bottom;
    for _ in 0..4 {
        let a = Walker { proto, captures, globals, variants, start, ret_guess: ret }.run()?;
        if a.ret == ret || a.callees.iter().all(|c| !matches!(c.target, Target::Itself)) {
            if a.ret == Kind::Bottom {
                return Err(Rejection::new("the function never returns normally").into());
            }
            if matches!(a.ret, Kind::Top | Kind::Callee(_)) {
                return Err(Rejection::new("returns values of different kinds").into());
            }
            return Ok(a);
        }
        ret = a.ret;
    }
    Err(Rejection::new("result kind of recursive calls does not settle").into())
}

struct Walker<'a> {
    proto: &'a Proto,
    captures: &'a [Kind],
    globals: &'a [Value],
    variants: &'a dyn Variants,
    start: &'a Start,
    ret_guess: Kind,
}

fn unsupported(op: &Op) -> Rejection {
    Rejection::new(format!("unsupported op {}", op.name()))
}

fn arith(a: Kind, b: Kind, what: &str) -> Result<Kind, Rejection> {
    match (a, b) {
        (Kind::Bottom, _) | (_, Kind::Bottom) => Ok(Kind::Bottom),
        (Kind::Int, Kind::Int) => Ok(Kind::Int),
        (x, y) if x.numeric() && y.numeric() => Ok(Kind::Float),
        _ => Err(Rejection::new(format!("{what} on {} and {}", a.name(), b.name()))),
    }
}

fn comparable(a: Kind, b: Kind, eq: bool) -> Result<Kind, Rejection> {
    match (a, b) {
        (Kind::Bottom, _) | (_, Kind::Bottom) => Ok(Kind::Bottom),
        (x, y) if x.numeric() && y.numeric() => Ok(Kind::Bool),
        (Kind::Bool, Kind::Bool) | (Kind::Null, Kind::Null) if eq => Ok(Kind::Bool),
        _ => Err(Rejection::new(format!("comparison of {} and {}", a.name(), b.name()))),
    }
}

fn scalar(k: Kind) -> Result<Kind, Rejection> {
    match k {
        Kind::Top | Kind::Callee(_) => Err(Rejection::new(format!("reads a value of {}", k.name()))),
        k => Ok(k),
    }
}

impl Walker<'_> {
    fn run(&self) -> Result<Analysis, Failure> {
        let code = &self.proto.code;
        let nslots = self.proto.nslots as usize;
        let mut states: Vec<Option<State>> = vec![None; code.len()];
        let mut results = vec![Kind::Bottom; code.len()];
        let mut callees: Vec<Callee> = Vec::new();
        let mut ret = Kind::Bottom;
        let (entry, first) = match self.start {
            Start::Call(params) => {
                let mut slots = vec![Kind::Null; nslots];
                for (s, k) in slots.iter_mut().zip(params.iter()) {
                    *s = scalar(*k).map_err(|_| Rejection::new(format!("a parameter is a {}", k.name())))?;
                }
                (0usize, State { slots, stack: Vec::new() })
            }
            Start::Loop(pc, slots) => (*pc as usize, State { slots: slots.to_vec(), stack: Vec::new() }),
        };
        states[entry] = Some(first);
        let mut work = vec![entry];
        while let Some(pc) = work.pop() {
            let mut st = states[pc].clone().expect("queued state");
            let op = code[pc];
            let mut jump: Option<(usize, State)> = None;
            let mut falls = true;
            macro_rules! pop {
                () => {
                    st.stack.pop().ok_or_else(|| Rejection::new("operand stack underflow"))?
                };
            }
            macro_rules! push {
                ($k:expr) => {{
                    let k = $k;
                    results[pc] = k;
                    st.stack.push(k);
                }};
            }
            match op {
                Op::Const(k) => match &self.proto.consts[k as usize] {
                    Const::Int(_) => push!(Kind::Int),
                    Const::Float(_) => push!(Kind::Float),
                    _ => return Err(Failure::Reject(Rejection::new("uses a string or other heap constant"))),
                },
                Op::Int(_) => push!(Kind::Int),
                Op::Null => push!(Kind::Null),
                Op::True | Op::False => push!(Kind::Bool),
                Op::Pop => {
                    pop!();
                }
                Op::Dup => {
                    let k = scalar(*st.stack.last().ok_or_else(|| Rejection::new("dup on empty stack"))?)?;
                    push!(k);
                }
                Op::LoadLocal(s) => {
                    let k = scalar(st.slots[s as usize])?;
                    push!(k);
                }
                Op::LoadCapture(i) => match self.captures.get(i as usize) {
                    Some(k @ (Kind::Int | Kind::Float | Kind::Bool)) => push!(*k),
                    Some(_) => {
                        return Err(Rejection::new("reads a captured value that is not a number or a bool").into())
                    }
                    None => return Err(Rejection::new("reads a captured value of unknown kind").into()),
                },
                Op::StoreLocal(s) => {
                    let k = scalar(pop!())?;
                    st.slots[s as usize] = k;
                }
                Op::LoadGlobal(g) => {
                    let k = self.global(g, &mut callees)?;
                    push!(k);
                }
                Op::LoadSelf => {
                    let Start::Call(params) = self.start else {
                        return Err(Failure::Reject(Rejection::new(
                            "a nested function calls itself from a loop entry",
                        )));
                    };
                    callees.push(Callee {
                        global: None,
                        closure: 0,
                        target: Target::Itself,
                        params: params.to_vec(),
                        ret: self.ret_guess,
                        captures: !self.proto.captures.is_empty(),
                    });
                    push!(Kind::Callee((callees.len() - 1) as u16));
                }
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                    let b = scalar(pop!())?;
                    let a = scalar(pop!())?;
                    push!(arith(a, b, "arithmetic")?);
                }
                Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                    let b = scalar(pop!())?;
                    let a = scalar(pop!())?;
                    push!(comparable(a, b, matches!(op, Op::Eq | Op::Ne))?);
                }
                Op::Neg => {
                    let a = scalar(pop!())?;
                    match a {
                        Kind::Int | Kind::Float | Kind::Bottom => push!(a),
                        _ => return Err(Failure::Reject(Rejection::new(format!("negation of {}", a.name())))),
                    }
                }
                Op::Not => {
                    let a = scalar(pop!())?;
                    match a {
                        Kind::Bool | Kind::Bottom => push!(a),
                        _ => return Err(Failure::Reject(Rejection::new(format!("! on {}", a.name())))),
                    }
                }
                Op::ToBool => {
                    scalar(pop!())?;
                    push!(Kind::Bool);
                }
                Op::AddLocal(s) => {
                    let b = scalar(pop!())?;
                    let a = scalar(st.slots[s as usize])?;
                    let k = arith(a, b, "arithmetic")?;
                    results[pc] = k;
                    st.slots[s as usize] = k;
                }
                Op::IncLocal(s, _) => {
                    let a = scalar(st.slots[s as usize])?;
                    let k = arith(a, Kind::Int, "arithmetic")?;
                    results[pc] = k;
                    st.slots[s as usize] = k;
                }
                Op::LocalAddInt(s, _) | Op::LocalSubInt(s, _) => {
                    let a = scalar(st.slots[s as usize])?;
                    push!(arith(a, Kind::Int, "arithmetic")?);
                }
                Op::Jump(t) | Op::Loop(t) => {
                    jump = Some((t as usize, st.clone()));
                    falls = false;
                }
                Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                    scalar(pop!())?;
                    jump = Some((t as usize, st.clone()));
                }
                Op::JumpIfNotNull(t) => match scalar(*st.stack.last().ok_or_else(|| unsupported(&op))?)? {
                    Kind::Null => {
                        pop!();
                    }
                    Kind::Bottom => {
                        jump = Some((t as usize, st.clone()));
                        pop!();
                    }
                    _ => {
                        jump = Some((t as usize, st.clone()));
                        falls = false;
                    }
                },
                Op::JumpIfNot(cmp, t) => {
                    let b = scalar(pop!())?;
                    let a = scalar(pop!())?;
                    let eq = matches!(cmp, ruff_core::bytecode::Cmp::Eq | ruff_core::bytecode::Cmp::Ne);
                    comparable(a, b, eq)?;
                    jump = Some((t as usize, st.clone()));
                }
                Op::Call(n) => {
                    // The callee is below the arguments.
                    let n = n as usize;
                    if st.stack.len() < n + 1 {
                        return Err(Failure::Reject(Rejection::new("operand stack underflow")));
                    }
                    let args = st.stack.split_off(st.stack.len() - n);
                    let Kind::Callee(c) = pop!() else {
                        return Err(Failure::Reject(Rejection::new("calls something other than a compiled function")));
                    };
                    let callee = &callees[c as usize];
                    if let Target::Missing(p, held) = &callee.target {
                        if args.iter().any(|k| matches!(k, Kind::Bottom | Kind::Top | Kind::Callee(_))) {
                            return Err(
                                Rejection::new(format!("calls {} with arguments of unknown kinds", p.name)).into()
                            );
                        }
                        return Err(Failure::Need(p.clone(), args, held.clone()));
                    }
                    if callee.params.len() != n {
                        return Err(Failure::Reject(Rejection::new("call with the wrong number of arguments")));
                    }
                    for (a, p) in args.iter().zip(&callee.params) {
                        if *a != *p && *a != Kind::Bottom {
                            return Err(Failure::Reject(Rejection::new(format!(
                                "passes {} where the callee was compiled for {}",
                                a.name(),
                                p.name()
                            ))));
                        }
                    }
                    push!(callee.ret);
                }
                Op::Return => {
                    let k = scalar(pop!())?;
                    ret = ret.join(k);
                    falls = false;
                }
                Op::IterPrepare => match scalar(pop!())? {
                    Kind::Int | Kind::Float => push!(Kind::Int),
                    Kind::Bottom => push!(Kind::Bottom),
                    k => return Err(Failure::Reject(Rejection::new(format!("iterates over {}", k.name())))),
                },
                Op::IterNext(s, t) => {
                    let s = s as usize;
                    if st.slots[s] != Kind::Int || st.slots[s + 1] != Kind::Int {
                        return Err(Failure::Reject(Rejection::new("iterates over something other than a count")));
                    }
                    jump = Some((t as usize, st.clone()));
                    push!(Kind::Int);
                }
                other => return Err(Failure::Reject(unsupported(&other))),
            }
            if falls {
                if pc + 1 >= code.len() {
                    return Err(Failure::Reject(Rejection::new("falls off the end of the code")));
                }
                merge(&mut states, &mut work, pc + 1, &st)?;
            }
            if let Some((t, s)) = jump {
                merge(&mut states, &mut work, t, &s)?;
            }
        }
        Ok(Analysis { states, results, callees, ret, entry })
    }

    fn global(&self, g: u32, callees: &mut Vec<Callee>) -> Result<Kind, Rejection> {
        let v = self.globals.get(g as usize).ok_or_else(|| Rejection::new("reads a global not yet defined"))?;
        match v {
            Value::Int(_) => Ok(Kind::Int),
            Value::Float(_) => Ok(Kind::Float),
            Value::Bool(_) => Ok(Kind::Bool),
            Value::Func(c) => {
                let closure = v.payload_bits().unwrap_or(0) as usize;
                let captures = !c.proto.captures.is_empty();
                let callee = if std::ptr::eq(&*c.proto, self.proto) {
                    let Start::Call(params) = self.start else {
                        return Err(Rejection::new("recursive call from a loop entry"));
                    };
                    if captures && capture_kinds(c) != self.captures {
                        return Err(Rejection::new("calls another closure of itself, holding other kinds"));
                    }
                    Callee {
                        global: Some(g),
                        closure,
                        target: Target::Itself,
                        params: params.to_vec(),
                        ret: self.ret_guess,
                        captures,
                    }
                } else {
                    match self.variants.variant(&c.proto) {
                        Some((_, sig)) if captures && capture_kinds(c) != sig.captures => {
                            return Err(Rejection::new(format!(
                                "calls {}, whose native code is for captured values of other kinds",
                                c.proto.name
                            )));
                        }
                        Some((idx, sig)) => Callee {
                            global: Some(g),
                            closure,
                            target: Target::Variant(idx),
                            params: sig.params,
                            ret: sig.ret,
                            captures,
                        },
                        None => Callee {
                            global: Some(g),
                            closure,
                            target: Target::Missing(c.proto.clone(), capture_kinds(c)),
                            params: Vec::new(),
                            ret: Kind::Bottom,
                            captures,
                        },
                    }
                };
                callees.push(callee);
                Ok(Kind::Callee((callees.len() - 1) as u16))
            }
            other => Err(Rejection::new(format!("reads a global holding a {}", other.type_name()))),
        }
    }
}

fn merge(states: &mut [Option<State>], work: &mut Vec<usize>, at: usize, st: &State) -> Result<(), Rejection> {
    match &mut states[at] {
        Some(old) => {
            if old.join_from(st)? {
                work.push(at);
            }
        }
        slot @ None => {
            *slot = Some(st.clone());
            work.push(at);
        }
    }
    Ok(())
}
