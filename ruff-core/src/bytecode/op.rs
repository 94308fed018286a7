//! The instruction set. This enum is the one list of opcodes: names, stack effects
//! (`Proto::stack_effect`, which needs the constants), the frame slots each one
//! reads (`Op::slot_reads`) and disassembly are exhaustive matches on it, so a new
//! op that is missing anywhere is a compile error. Jump targets are absolute
//! instruction indexes.

/// Where a variable lives, resolved at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    /// A frame slot of the running function.
    Local(u16),
    /// A captured copy owned by the running closure.
    Capture(u16),
    /// A global slot.
    Global(u32),
}

/// The frame slots one instruction reads: [`Op::slot_reads`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotReads {
    /// None.
    None,
    /// This one.
    One(u16),
    /// These two.
    Two(u16, u16),
    /// Any of them (which ones depends on more than the instruction).
    Any,
}

/// The comparison of a fused compare-and-branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// The arithmetic of a superinstruction (see [`super::fuse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
}

impl Cmp {
    /// Whether `a cmp b` holds (for floats, IEEE ordering and exact equality;
    /// the VM keeps float `==`/`!=` with its epsilon rule elsewhere).
    #[inline(always)]
    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

/// Which tagged value a `MakeTagged` or `MatchTag` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `Ok`
    Ok,
    /// `Err`
    Err,
    /// `Some`
    Some,
    /// `None`
    None,
}

/// One bytecode instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// push constant K
    Const(u32),
    /// push a small int
    Int(i32),
    /// push null
    Null,
    /// push true
    True,
    /// push false
    False,
    /// pop and discard
    Pop,
    /// push a copy of the top
    Dup,
    /// push local slot
    LoadLocal(u16),
    /// pop into local slot
    StoreLocal(u16),
    /// push captured copy
    LoadCapture(u16),
    /// pop into captured copy
    StoreCapture(u16),
    /// push global (error if undefined)
    LoadGlobal(u32),
    /// pop into global: defines it (mutable) if undefined, else checks let/const
    StoreGlobal(u32),
    /// pop, declare global with kind (0 mut, 1 let, 2 const); duplicate declaration is an error
    DefineGlobal(u32, u8),
    /// push the running closure (a named nested function calling itself)
    LoadSelf,
    /// pop b, pop a, push a + b
    Add,
    /// pop b, pop a, push a - b
    Sub,
    /// pop b, pop a, push a * b
    Mul,
    /// pop b, pop a, push a / b
    Div,
    /// pop b, pop a, push a % b
    Mod,
    /// pop b, pop a, push a == b
    Eq,
    /// pop b, pop a, push a != b
    Ne,
    /// pop b, pop a, push a < b
    Lt,
    /// pop b, pop a, push a <= b
    Le,
    /// pop b, pop a, push a > b
    Gt,
    /// pop b, pop a, push a >= b
    Ge,
    /// pop a, push -a
    Neg,
    /// pop a, push !a
    Not,
    /// pop a, push truthiness of a as a bool
    ToBool,
    /// pop e, local slot := slot + e (in place for strings; same checks as Add)
    AddLocal(u16),
    /// pop e, global G := G + e (in place for strings; checks as StoreGlobal and Add)
    AddGlobal(u32),
    /// local slot := slot + small int (same checks as Add)
    IncLocal(u16, i32),
    /// jump to target
    Jump(u32),
    /// loop back-edge: count it for the tier, then jump to target
    Loop(u32),
    /// pop a, jump if falsy
    JumpIfFalse(u32),
    /// pop a, jump if truthy
    JumpIfTrue(u32),
    /// if top is not null jump (keeping it), else pop it
    JumpIfNotNull(u32),
    /// pop b, pop a; jump unless `a CMP b` is truthy (fused compare and branch)
    JumpIfNot(Cmp, u32),
    /// push local slot + K (checks as Add; `n + 1` in one instruction)
    LocalAddInt(u16, i32),
    /// push local slot - K (checks as Sub; `n - 1` in one instruction)
    LocalSubInt(u16, i32),
    /// pop callee and N args, push the result
    Call(u8),
    /// like Call; arg 0 came from var V and the result is stored back to V, so a
    /// builtin may take arg 0 without a copy (`arr := push(arr, x)`)
    CallUpdate(u8, Var),
    /// pop receiver and N args, call method named by constant K
    CallMethod(u32, u8),
    /// pop a value and return it from the running function
    Return,
    /// pop index, pop target, push target[index]
    Index,
    /// pop target, push field named by constant K
    Field(u32),
    /// pop target, push null if it is null, else its field named by constant K
    OptField(u32),
    /// pop value, pop N path keys, assign var.path := value; `fields` bit i set when
    /// step i is a field (constant index on the stack) rather than an index
    SetPath(Var, u8, u32),
    /// pop N values, push an array
    MakeArray(u16),
    /// pop v, push v onto the array below it
    ArrayPush,
    /// pop array v, append its elements to the array below it
    ArrayExtend,
    /// pop N key/value pairs, push a dict
    MakeDict(u16),
    /// pop v, pop k, insert into the dict below
    DictInsert,
    /// pop dict d, merge into the dict below
    DictExtend,
    /// pop field values, push a struct (constant K holds name and field names)
    MakeStruct(u32),
    /// make a closure from nested proto P, copying its captures from this frame
    MakeClosure(u32),
    /// pop payload (none for None), push a tagged value
    MakeTagged(Tag),
    /// pop N payloads, push enum value (constant K holds enum and variant names)
    MakeEnum(u32, u8),
    /// register struct type (constant K) with its M methods popped from the stack
    DefineStruct(u32, u8),
    /// pop N values, push the concatenation of their display forms
    Concat(u16),
    /// pop a value and raise it as an error
    Throw,
    /// raise the error message constant K
    Raise(u32),
    /// push an exception handler that resumes at target
    TryBegin(u32),
    /// pop the innermost handler
    TryEnd,
    /// pop iterable, push its iteration snapshot (array, int count)
    IterPrepare,
    /// seq at slot S, index at slot S+1: push next element, or jump to target when done
    IterNext(u16, u32),
    /// pop scrutinee; if its tag matches push its payload (null for None), else jump
    MatchTag(Tag, u32),
    /// pop scrutinee; if it is enum variant K push its first payload (or null), else jump
    MatchEnum(u32, u32),
    /// pop scrutinee; if it is the string (or float printing as) K push null, else jump
    MatchName(u32, u32),
    /// pop e: if Ok(v)/Some(v) push v, else return e from the function
    Unwrap,
    /// pop array-ish, push its element I or null
    ElemOrNull(u16),
    /// pop array-ish, push the elements from I on as an array (or empty array)
    RestFrom(u16),
    /// pop dict-ish, push its key named by constant K or null
    KeyOrNull(u32),
    /// pop dict-ish, push a dict without the keys listed in constant K
    RestWithout(u32),
    /// import module named by constant K (running it the first time), push its
    /// namespace; with `true` (plain `import m`) also define every export here
    Import(u32, bool),
    /// stop the program successfully (top-level `return` and `?`)
    Halt,
    // Superinstructions: the dispatch loop's copy of the code only (see
    // `bytecode::fuse`). Each stands for the instructions at its own pc and the
    // next ones, which stay in place after it; `Proto::code`, the JIT and the
    // disassembler never see them.
    /// LOAD_LOCAL S; INT K; JUMP_IF_NOT C -> T
    JumpIfNotLocalInt(Cmp, u16, i32, u32),
    /// LOAD_LOCAL A; LOAD_LOCAL B; ADD|SUB|MUL; STORE_LOCAL D
    LocalsArithStore(Arith, u16, u16, u16),
    /// LOAD_LOCAL A; LOAD_LOCAL B; ADD|SUB|MUL
    LocalsArith(Arith, u16, u16),
    /// LOAD_LOCAL S; ADD|SUB|MUL (the top of the stack with local S)
    ArithLocal(Arith, u16),
    /// LOAD_LOCAL A; LOAD_LOCAL B
    LoadLocal2(u16, u16),
    /// LOAD_LOCAL S; RETURN
    ReturnLocal(u16),
    /// ITER_NEXT S -> T; STORE_LOCAL D
    IterNextStore(u16, u16, u32),
}

impl Op {
    /// The mnemonic shown by the disassembler.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Const(_) => "CONST",
            Op::Int(_) => "INT",
            Op::Null => "NULL",
            Op::True => "TRUE",
            Op::False => "FALSE",
            Op::Pop => "POP",
            Op::Dup => "DUP",
            Op::LoadLocal(_) => "LOAD_LOCAL",
            Op::StoreLocal(_) => "STORE_LOCAL",
            Op::LoadCapture(_) => "LOAD_CAPTURE",
            Op::StoreCapture(_) => "STORE_CAPTURE",
            Op::LoadGlobal(_) => "LOAD_GLOBAL",
            Op::StoreGlobal(_) => "STORE_GLOBAL",
            Op::DefineGlobal(..) => "DEFINE_GLOBAL",
            Op::LoadSelf => "LOAD_SELF",
            Op::Add => "ADD",
            Op::Sub => "SUB",
            Op::Mul => "MUL",
            Op::Div => "DIV",
            Op::Mod => "MOD",
            Op::Eq => "EQ",
            Op::Ne => "NE",
            Op::Lt => "LT",
            Op::Le => "LE",
            Op::Gt => "GT",
            Op::Ge => "GE",
            Op::Neg => "NEG",
            Op::Not => "NOT",
            Op::ToBool => "TO_BOOL",
            Op::AddLocal(_) => "ADD_LOCAL",
            Op::IncLocal(..) => "INC_LOCAL",
            Op::AddGlobal(_) => "ADD_GLOBAL",
            Op::Jump(_) => "JUMP",
            Op::Loop(_) => "LOOP",
            Op::JumpIfFalse(_) => "JUMP_IF_FALSE",
            Op::JumpIfTrue(_) => "JUMP_IF_TRUE",
            Op::JumpIfNotNull(_) => "JUMP_IF_NOT_NULL",
            Op::JumpIfNot(..) => "JUMP_IF_NOT",
            Op::LocalAddInt(..) => "LOCAL_ADD_INT",
            Op::LocalSubInt(..) => "LOCAL_SUB_INT",
            Op::Call(_) => "CALL",
            Op::CallUpdate(..) => "CALL_UPDATE",
            Op::CallMethod(..) => "CALL_METHOD",
            Op::Return => "RETURN",
            Op::Index => "INDEX",
            Op::Field(_) => "FIELD",
            Op::OptField(_) => "OPT_FIELD",
            Op::SetPath(..) => "SET_PATH",
            Op::MakeArray(_) => "MAKE_ARRAY",
            Op::ArrayPush => "ARRAY_PUSH",
            Op::ArrayExtend => "ARRAY_EXTEND",
            Op::MakeDict(_) => "MAKE_DICT",
            Op::DictInsert => "DICT_INSERT",
            Op::DictExtend => "DICT_EXTEND",
            Op::MakeStruct(_) => "MAKE_STRUCT",
            Op::MakeClosure(_) => "MAKE_CLOSURE",
            Op::MakeTagged(_) => "MAKE_TAGGED",
            Op::MakeEnum(..) => "MAKE_ENUM",
            Op::DefineStruct(..) => "DEFINE_STRUCT",
            Op::Concat(_) => "CONCAT",
            Op::Throw => "THROW",
            Op::Raise(_) => "RAISE",
            Op::TryBegin(_) => "TRY_BEGIN",
            Op::TryEnd => "TRY_END",
            Op::IterPrepare => "ITER_PREPARE",
            Op::IterNext(..) => "ITER_NEXT",
            Op::MatchTag(..) => "MATCH_TAG",
            Op::MatchEnum(..) => "MATCH_ENUM",
            Op::MatchName(..) => "MATCH_NAME",
            Op::Unwrap => "UNWRAP",
            Op::ElemOrNull(_) => "ELEM_OR_NULL",
            Op::RestFrom(_) => "REST_FROM",
            Op::KeyOrNull(_) => "KEY_OR_NULL",
            Op::RestWithout(_) => "REST_WITHOUT",
            Op::Import(..) => "IMPORT",
            Op::Halt => "HALT",
            Op::JumpIfNotLocalInt(..) => "JUMP_IF_NOT_LOCAL_INT",
            Op::LocalsArithStore(..) => "LOCALS_ARITH_STORE",
            Op::LocalsArith(..) => "LOCALS_ARITH",
            Op::ArithLocal(..) => "ARITH_LOCAL",
            Op::LoadLocal2(..) => "LOAD_LOCAL2",
            Op::ReturnLocal(_) => "RETURN_LOCAL",
            Op::IterNextStore(..) => "ITER_NEXT_STORE",
        }
    }

    /// The frame slots the instruction reads (writing a slot is not reading it).
    pub fn slot_reads(&self) -> SlotReads {
        match *self {
            Op::LoadLocal(s)
            | Op::AddLocal(s)
            | Op::IncLocal(s, _)
            | Op::LocalAddInt(s, _)
            | Op::LocalSubInt(s, _)
            | Op::JumpIfNotLocalInt(_, s, ..)
            | Op::ArithLocal(_, s)
            | Op::ReturnLocal(s) => SlotReads::One(s),
            // The sequence at S and the position at S + 1.
            Op::IterNext(s, _) | Op::IterNextStore(s, ..) => SlotReads::Two(s, s + 1),
            Op::LocalsArithStore(_, a, b, _) | Op::LocalsArith(_, a, b) | Op::LoadLocal2(a, b) => SlotReads::Two(a, b),
            // The variable's value is taken, updated and stored back.
            Op::CallUpdate(_, v) | Op::SetPath(v, ..) => match v {
                Var::Local(s) => SlotReads::One(s),
                Var::Capture(_) | Var::Global(_) => SlotReads::None,
            },
            // Copies the locals the new closure captures (listed in its proto).
            Op::MakeClosure(_) => SlotReads::Any,
            Op::Const(_)
            | Op::Int(_)
            | Op::Null
            | Op::True
            | Op::False
            | Op::Pop
            | Op::Dup
            | Op::StoreLocal(_)
            | Op::LoadCapture(_)
            | Op::StoreCapture(_)
            | Op::LoadGlobal(_)
            | Op::StoreGlobal(_)
            | Op::DefineGlobal(..)
            | Op::LoadSelf
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Mod
            | Op::Eq
            | Op::Ne
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Neg
            | Op::Not
            | Op::ToBool
            | Op::AddGlobal(_)
            | Op::Jump(_)
            | Op::Loop(_)
            | Op::JumpIfFalse(_)
            | Op::JumpIfTrue(_)
            | Op::JumpIfNotNull(_)
            | Op::JumpIfNot(..)
            | Op::Call(_)
            | Op::CallMethod(..)
            | Op::Return
            | Op::Index
            | Op::Field(_)
            | Op::OptField(_)
            | Op::MakeArray(_)
            | Op::ArrayPush
            | Op::ArrayExtend
            | Op::MakeDict(_)
            | Op::DictInsert
            | Op::DictExtend
            | Op::MakeStruct(_)
            | Op::MakeTagged(_)
            | Op::MakeEnum(..)
            | Op::DefineStruct(..)
            | Op::Concat(_)
            | Op::Throw
            | Op::Raise(_)
            | Op::TryBegin(_)
            | Op::TryEnd
            | Op::IterPrepare
            | Op::MatchTag(..)
            | Op::MatchEnum(..)
            | Op::MatchName(..)
            | Op::Unwrap
            | Op::ElemOrNull(_)
            | Op::RestFrom(_)
            | Op::KeyOrNull(_)
            | Op::RestWithout(_)
            | Op::Import(..)
            | Op::Halt => SlotReads::None,
        }
    }

    /// The jump target, for ops that branch.
    pub fn target(&self) -> Option<u32> {
        match *self {
            Op::Jump(t)
            | Op::Loop(t)
            | Op::JumpIfFalse(t)
            | Op::JumpIfTrue(t)
            | Op::JumpIfNotNull(t)
            | Op::JumpIfNot(_, t)
            | Op::JumpIfNotLocalInt(.., t)
            | Op::IterNextStore(.., t)
            | Op::TryBegin(t)
            | Op::IterNext(_, t)
            | Op::MatchTag(_, t)
            | Op::MatchEnum(_, t)
            | Op::MatchName(_, t) => Some(t),
            _ => None,
        }
    }

    /// Rewrites the jump target (used when patching forward jumps).
    pub fn set_target(&mut self, to: u32) {
        match self {
            Op::Jump(t)
            | Op::Loop(t)
            | Op::JumpIfFalse(t)
            | Op::JumpIfTrue(t)
            | Op::JumpIfNotNull(t)
            | Op::JumpIfNot(_, t)
            | Op::JumpIfNotLocalInt(.., t)
            | Op::IterNextStore(.., t)
            | Op::TryBegin(t)
            | Op::IterNext(_, t)
            | Op::MatchTag(_, t)
            | Op::MatchEnum(_, t)
            | Op::MatchName(_, t) => *t = to,
            other => unreachable!("set_target on non-branch op {}", other.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_reads_name_the_slots_an_op_reads_and_not_those_it_writes() {
        assert_eq!(Op::LoadLocal(3).slot_reads(), SlotReads::One(3));
        assert_eq!(Op::StoreLocal(3).slot_reads(), SlotReads::None);
        assert_eq!(Op::IncLocal(2, 1).slot_reads(), SlotReads::One(2));
        assert_eq!(Op::IterNext(4, 9).slot_reads(), SlotReads::Two(4, 5));
        assert_eq!(Op::IterNextStore(4, 6, 9).slot_reads(), SlotReads::Two(4, 5));
        assert_eq!(Op::CallUpdate(2, Var::Local(1)).slot_reads(), SlotReads::One(1));
        assert_eq!(Op::SetPath(Var::Global(1), 1, 0).slot_reads(), SlotReads::None);
        assert_eq!(Op::MakeClosure(0).slot_reads(), SlotReads::Any);
    }

    #[test]
    fn ops_stay_small() {
        assert!(std::mem::size_of::<Op>() <= 16, "Op grew to {}", std::mem::size_of::<Op>());
    }
}
