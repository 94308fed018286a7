//! The abstract syntax tree produced by the parser and consumed by the compiler.
//! Every node carries a byte [`Span`]. Sugar that needs no runtime support is removed
//! by the parser: `x |> f(a)` arrives as a call `f(x, a)`, `loop while c` as `while c`,
//! `else if` as an `else` block holding one `if`. Type annotations are dropped.

use std::rc::Rc;

use crate::diag::Span;

/// A whole source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Top-level statements in order.
    pub stmts: Vec<Stmt>,
}

/// A name with its location. `self` appears as an `Ident` named `self`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The identifier text.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// `{ ... }`: a block scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A statement with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What kind of statement.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// `let`, `mut` or `const`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    /// Immutable binding.
    Let,
    /// Mutable binding.
    Mut,
    /// Immutable constant (only a plain identifier pattern).
    Const,
}

/// `=`/`:=` and the compound assignments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `:=` or `=`.
    Set,
    /// `+=`.
    Add,
    /// `-=`.
    Sub,
    /// `*=`.
    Mul,
    /// `/=`.
    Div,
    /// `%=`.
    Mod,
}

/// Every statement form of LANGUAGE.md §3.1.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `let|mut|const PATTERN := value`.
    Decl { kind: DeclKind, pattern: Pattern, value: Expr },
    /// `func name(...) { ... }`.
    Func(Rc<FuncDecl>),
    /// `struct Name { fields and methods }`.
    Struct(StructDecl),
    /// `enum Name { A, B }`.
    Enum(EnumDecl),
    /// `import m` / `from a.b import x, y`.
    Import(Import),
    /// `export STMT` (a declaration).
    Export(Box<Stmt>),
    /// `if cond { } else { }`; `else if` is an else block holding one `If`.
    If { cond: Expr, then_block: Block, else_block: Option<Block> },
    /// `while cond { }` and `loop while cond { }`.
    While { cond: Expr, body: Block },
    /// `loop { }`.
    Loop { body: Block },
    /// `for var in iterable { }`.
    For { var: Ident, iterable: Expr, body: Block },
    /// `match scrutinee { case ...: { } default: { } }`.
    Match { scrutinee: Expr, cases: Vec<MatchCase>, default: Option<Block> },
    /// `try { } except name { }`.
    Try { body: Block, err_name: Ident, handler: Block },
    /// `return [expr]`.
    Return(Option<Expr>),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `[a, b] := e` / `{a, b} := e` without a keyword: immutable bindings.
    PatternAssign { pattern: Pattern, value: Expr },
    /// `target op= value` where the target starts with an identifier or `self`.
    Assign { target: AssignTarget, op: AssignOp, value: Expr },
    /// An expression evaluated for its effect.
    Expr(Expr),
}

/// An assignment target: a root name then fields and indexes (`a.b[i].c`).
#[derive(Clone, Debug, PartialEq)]
pub struct AssignTarget {
    /// The variable (or `self`) the path starts from.
    pub root: Ident,
    /// Field and index steps, outermost first; empty for a plain name.
    pub path: Vec<TargetStep>,
}

/// One step of an assignment path.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetStep {
    /// `.name`
    Field(Ident),
    /// `[expr]`
    Index(Expr),
}

/// A destructuring pattern for declarations (§4.10).
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// A plain name.
    Ident(Ident),
    /// `_`: binds nothing.
    Wildcard(Span),
    /// `[p, q, ...rest]`.
    Array { elems: Vec<PatElem>, span: Span },
    /// `{a, b, ...rest}`: keys bound to names of the same spelling.
    Dict { keys: Vec<Ident>, rest: Option<Ident>, span: Span },
}

/// One element of an array pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum PatElem {
    /// A nested pattern (name, `_`, array, dict).
    Pat(Pattern),
    /// `...rest`.
    Rest(Ident),
}

/// `case PATTERN: { body }`.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchCase {
    /// The pattern.
    pub pattern: CasePattern,
    /// The body block.
    pub body: Block,
    /// The whole case.
    pub span: Span,
}

/// A `case` pattern (§4.5 plus the literal and wildcard extensions).
#[derive(Clone, Debug, PartialEq)]
pub enum CasePattern {
    /// `Ok(x)`, `Result::Err`, `None`, `Color::Red(x)`, or a bare identifier `name`
    /// (which matches the string `"name"` unless it is `Ok`/`Err`/`Some`/`None`).
    Variant { enum_name: Option<Ident>, variant: Ident, binding: Option<Ident> },
    /// `_`.
    Wildcard(Span),
    /// `1`, `-2`, `2.5`, `"s"`, `true`, `null`.
    Literal(Literal, Span),
}

/// A literal usable as a case pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// Integer (already negated for `-N`).
    Int(i64),
    /// Float (already negated for `-N.M`).
    Float(f64),
    /// String without interpolation.
    Str(String),
    /// `true`/`false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A function: named declarations, methods and anonymous `func(...) {}`.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDecl {
    /// The declared name; `<lambda>` for anonymous functions.
    pub name: Ident,
    /// Parameters in order (a `self` parameter has the name `self`).
    pub params: Vec<Ident>,
    /// The body.
    pub body: Block,
    /// From `func` to the closing brace.
    pub span: Span,
}

/// `struct Name { fields; methods }`.
#[derive(Clone, Debug, PartialEq)]
pub struct StructDecl {
    /// The struct name.
    pub name: Ident,
    /// Declared field names in order.
    pub fields: Vec<Ident>,
    /// Methods in order.
    pub methods: Vec<Rc<FuncDecl>>,
}

/// `enum Name { A, B }`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    /// The enum name.
    pub name: Ident,
    /// Variant names in order.
    pub variants: Vec<Ident>,
}

/// `import m` (`names: None`) or `from a.b import x, y`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The dotted module path, at least one part.
    pub path: Vec<Ident>,
    /// The imported names for the `from` form.
    pub names: Option<Vec<Ident>>,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// The whole expression.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-e`
    Neg,
    /// `!e`
    Not,
}

/// Binary operators that evaluate both operands (the short-circuit forms are
/// separate [`ExprKind`] variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One element of an array literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Elem {
    /// A value.
    Expr(Expr),
    /// `...array`
    Spread(Expr),
}

/// One entry of a dict literal.
#[derive(Clone, Debug, PartialEq)]
pub enum DictEntry {
    /// `key: value` (the key is an arbitrary expression).
    Pair(Expr, Expr),
    /// `...dict`
    Spread(Expr),
}

/// A piece of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum InterpPart {
    /// Literal text (escapes already processed).
    Lit(String),
    /// `${expr}`.
    Expr(Expr),
}

/// Every expression form of LANGUAGE.md §3.2.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Integer literal.
    Int(i64),
    /// Float literal.
    Float(f64),
    /// String literal without interpolation.
    Str(String),
    /// String with `${...}` parts.
    Interp(Vec<InterpPart>),
    /// `true`/`false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A variable (also `self`).
    Ident(String),
    /// `Enum::Variant` or `Enum::Variant(args)` (`Result::Ok(x)` is folded to `Ok`).
    EnumVariant { enum_name: Ident, variant: Ident, args: Vec<Expr> },
    /// `Ok(e)`.
    Ok(Box<Expr>),
    /// `Err(e)`.
    Err(Box<Expr>),
    /// `Some(e)`.
    Some(Box<Expr>),
    /// `None`.
    NoneLit,
    /// `throw(e)`.
    Throw(Box<Expr>),
    /// `[a, ...b]`.
    Array(Vec<Elem>),
    /// `{k: v, ...d}`.
    Dict(Vec<DictEntry>),
    /// `func(...) { }` (name `<lambda>`).
    Func(Rc<FuncDecl>),
    /// `-e`, `!e`.
    Unary { op: UnaryOp, expr: Box<Expr> },
    /// `a OP b`.
    Binary { op: BinOp, lhs: Box<Expr>, rhs: Box<Expr> },
    /// `a && b`.
    And(Box<Expr>, Box<Expr>),
    /// `a || b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a ?? b`.
    Coalesce(Box<Expr>, Box<Expr>),
    /// `callee(args)` (also the result of desugaring `|>`).
    Call { callee: Box<Expr>, args: Vec<Expr> },
    /// `target[index]`.
    Index { target: Box<Expr>, index: Box<Expr> },
    /// `target.name`.
    Field { target: Box<Expr>, name: Ident },
    /// `target?.name`.
    OptField { target: Box<Expr>, name: Ident },
    /// `target.name(args)`.
    MethodCall { target: Box<Expr>, name: Ident, args: Vec<Expr> },
    /// Postfix `e?`.
    Try(Box<Expr>),
    /// `Name { field: value, ... }`.
    StructLit { name: Ident, fields: Vec<(Ident, Expr)> },
}
