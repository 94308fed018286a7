//! Diagnostics: byte spans, source files, and the rendering of lexer, parser and
//! compiler diagnostics. Runtime errors live in `runtime::error`; this module only
//! knows how to turn a byte offset into `LINE:COL` and how a diagnostic looks.

mod source;

pub use source::{LineCol, Source};

/// A half-open byte range `[start, end)` into one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// Builds a span; `start <= end` is the caller's invariant.
    pub fn new(start: u32, end: u32) -> Span {
        debug_assert!(start <= end, "span start after end");
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// Which stage of the front end produced a diagnostic; decides the prefix, the help
/// line and the exit status (lexer/parser 3, compiler 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Tokenising: `[RUFLEX00N] [lexer]`.
    Lexer,
    /// Parsing: `[RUFPARSE0NN] [parser]`.
    Parser,
    /// Name resolution and code generation: `[RUFVM001] [vm] error: Compilation error`.
    Compiler,
}

/// One problem found before the program runs. Collected, never thrown.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Stable code such as `RUFLEX003` or `RUFPARSE001`.
    pub code: &'static str,
    /// The stage that found it.
    pub stage: Stage,
    /// Human text, no final period.
    pub message: String,
    /// Where in the source.
    pub span: Span,
    /// Extra lines rendered as `= note: ...`.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A lexer diagnostic with the given code.
    pub fn lexer(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { code, stage: Stage::Lexer, message: message.into(), span, notes: Vec::new() }
    }

    /// A parser diagnostic with the given code.
    pub fn parser(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { code, stage: Stage::Parser, message: message.into(), span, notes: Vec::new() }
    }

    /// A compile-time diagnostic (`break` outside a loop and similar).
    pub fn compiler(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { code: "RUFVM001", stage: Stage::Compiler, message: message.into(), span, notes: Vec::new() }
    }

    /// Adds a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Renders the diagnostic in the reference format, followed by the source line
    /// and a caret under the span.
    pub fn render(&self, src: &Source) -> String {
        let at = src.line_col(self.span.start);
        let mut out = match self.stage {
            Stage::Lexer => format!("[{}] [lexer] error: {}\n", self.code, self.message),
            Stage::Parser => format!("[{}] [parser] error: {}\n", self.code, self.message),
            Stage::Compiler => {
                format!("[{}] [vm] error: Compilation error: {}\n", self.code, self.message)
            }
        };
        out.push_str(&format!("  --> {}:{}:{}\n", src.name(), at.line, at.col));
        out.push_str(&src.snippet(self.span));
        for note in &self.notes {
            out.push_str(&format!("  = note: {note}\n"));
        }
        match self.stage {
            Stage::Lexer => out.push_str("  = help: Fix the lexical error in source and run again.\n"),
            Stage::Parser => out.push_str("  = help: Fix the parse error and rerun Ruff.\n"),
            Stage::Compiler => {}
        }
        out
    }
}
