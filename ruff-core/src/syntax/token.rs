//! Tokens: what the lexer produces and the parser consumes. A token is a kind plus
//! the byte span it was read from. Interpolated strings carry their embedded
//! expressions already lexed (with absolute spans), so the parser never goes back
//! to the source text. The rules for producing tokens live in `lexer`; their
//! meaning lives in `parser`.

use crate::diag::Span;

/// One token with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What was read.
    pub kind: TokenKind,
    /// Where it was read from (byte offsets into the source).
    pub span: Span,
}

/// A piece of an interpolated string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text with escapes already processed.
    Lit(String),
    /// `${ ... }`: the tokens of the embedded expression, always ending with an
    /// [`TokenKind::Eof`] whose span is the closing `}`.
    Expr {
        /// The embedded tokens, terminated by `Eof`.
        tokens: Vec<Token>,
        /// From `$` to the closing `}`.
        span: Span,
    },
}

/// Every kind of token of LANGUAGE.md §2. A token stream always ends with `Eof`.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// Integer literal (fits in i64).
    Int(i64),
    /// Float literal `DIGITS.DIGITS`.
    Float(f64),
    /// String literal without interpolation (escapes processed).
    Str(String),
    /// String literal with at least one `${...}` part.
    Interp(Vec<StrPart>),
    /// An identifier that is not a keyword (`Ok`, `throw` and `_` are identifiers).
    Ident(String),

    /// `let`
    Let,
    /// `mut`
    Mut,
    /// `const`
    Const,
    /// `func`
    Func,
    /// `return`
    Return,
    /// `enum`
    Enum,
    /// `match`
    Match,
    /// `case`
    Case,
    /// `default`
    Default,
    /// `if`
    If,
    /// `else`
    Else,
    /// `loop`
    Loop,
    /// `while`
    While,
    /// `for`
    For,
    /// `in`
    In,
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `try`
    Try,
    /// `except`
    Except,
    /// `import`
    Import,
    /// `export`
    Export,
    /// `from`
    From,
    /// `struct`
    Struct,
    /// `impl` (reserved, no grammar)
    Impl,
    /// `self`
    SelfKw,
    /// `null`
    Null,
    /// `true`
    True,
    /// `false`
    False,
    /// `spawn` (out of scope)
    Spawn,
    /// `test` (out of scope)
    Test,
    /// `test_setup` (out of scope)
    TestSetup,
    /// `test_teardown` (out of scope)
    TestTeardown,
    /// `test_group` (out of scope)
    TestGroup,
    /// `yield` (out of scope)
    Yield,
    /// `async` (out of scope)
    Async,
    /// `await` (out of scope)
    Await,
    /// `int` (type name)
    IntKw,
    /// `float` (type name)
    FloatKw,
    /// `string` (type name)
    StringKw,
    /// `bool` (type name)
    BoolKw,

    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `!`
    Bang,
    /// `:=`
    ColonEq,
    /// `=`
    Eq,
    /// `+=`
    PlusEq,
    /// `-=`
    MinusEq,
    /// `*=`
    StarEq,
    /// `/=`
    SlashEq,
    /// `%=`
    PercentEq,
    /// `->`
    Arrow,
    /// `::`
    ColonColon,
    /// `??`
    QuestionQuestion,
    /// `?.`
    QuestionDot,
    /// `?`
    Question,
    /// `|>`
    PipeGt,
    /// `...`
    Ellipsis,
    /// `.`
    Dot,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `;`
    Semi,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `&` (lexed, never valid in the grammar)
    Amp,
    /// `|` (lexed, never valid in the grammar)
    Bar,
    /// End of input (or of an interpolated expression).
    Eof,
}

impl TokenKind {
    /// The keyword spelled `word`, if it is one (`true`/`false` included).
    pub fn keyword(word: &str) -> Option<TokenKind> {
        use TokenKind::*;
        let kind = match word {
            "let" => Let,
            "mut" => Mut,
            "const" => Const,
            "func" => Func,
            "return" => Return,
            "enum" => Enum,
            "match" => Match,
            "case" => Case,
            "default" => Default,
            "if" => If,
            "else" => Else,
            "loop" => Loop,
            "while" => While,
            "for" => For,
            "in" => In,
            "break" => Break,
            "continue" => Continue,
            "try" => Try,
            "except" => Except,
            "import" => Import,
            "export" => Export,
            "from" => From,
            "struct" => Struct,
            "impl" => Impl,
            "self" => SelfKw,
            "null" => Null,
            "true" => True,
            "false" => False,
            "spawn" => Spawn,
            "test" => Test,
            "test_setup" => TestSetup,
            "test_teardown" => TestTeardown,
            "test_group" => TestGroup,
            "yield" => Yield,
            "async" => Async,
            "await" => Await,
            "int" => IntKw,
            "float" => FloatKw,
            "string" => StringKw,
            "bool" => BoolKw,
            _ => return None,
        };
        Some(kind)
    }

    /// How the token is named in "expected X but found Y" messages: the fixed
    /// spelling in quotes for keywords and punctuation, a category for literals and
    /// names, and `Eof` for the end.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Int(v) => format!("integer {v}"),
            TokenKind::Float(v) => format!("float {v}"),
            TokenKind::Str(_) | TokenKind::Interp(_) => "string literal".to_string(),
            TokenKind::Ident(name) => format!("identifier '{name}'"),
            TokenKind::Eof => "Eof".to_string(),
            other => format!("'{}'", other.spelling()),
        }
    }

    /// The fixed source spelling of a keyword or punctuation token; literals,
    /// identifiers and `Eof` have none and give an empty string.
    pub fn spelling(&self) -> &'static str {
        use TokenKind::*;
        match self {
            Int(_) | Float(_) | Str(_) | Interp(_) | Ident(_) | Eof => "",
            Let => "let",
            Mut => "mut",
            Const => "const",
            Func => "func",
            Return => "return",
            Enum => "enum",
            Match => "match",
            Case => "case",
            Default => "default",
            If => "if",
            Else => "else",
            Loop => "loop",
            While => "while",
            For => "for",
            In => "in",
            Break => "break",
            Continue => "continue",
            Try => "try",
            Except => "except",
            Import => "import",
            Export => "export",
            From => "from",
            Struct => "struct",
            Impl => "impl",
            SelfKw => "self",
            Null => "null",
            True => "true",
            False => "false",
            Spawn => "spawn",
            Test => "test",
            TestSetup => "test_setup",
            TestTeardown => "test_teardown",
            TestGroup => "test_group",
            Yield => "yield",
            Async => "async",
            Await => "await",
            IntKw => "int",
            FloatKw => "float",
            StringKw => "string",
            BoolKw => "bool",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            EqEq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            AndAnd => "&&",
            OrOr => "||",
            Bang => "!",
            ColonEq => ":=",
            Eq => "=",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            PercentEq => "%=",
            Arrow => "->",
            ColonColon => "::",
            QuestionQuestion => "??",
            QuestionDot => "?.",
            Question => "?",
            PipeGt => "|>",
            Ellipsis => "...",
            Dot => ".",
            Comma => ",",
            Colon => ":",
            Semi => ";",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Amp => "&",
            Bar => "|",
        }
    }
}
