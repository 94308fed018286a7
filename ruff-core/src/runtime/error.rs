//! Runtime errors: what raised them, where, and the Ruff call stack at that moment.
//! Every runtime error is catchable by `try`/`except` except a request to exit.

use std::rc::Rc;

use super::value::Value;
use crate::diag::{Source, Span};

/// What kind of unwinding this is.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorKind {
    /// An ordinary, catchable error.
    Error,
    /// `exit(code)`: not catchable; ends the program with `code`.
    Exit(i32),
}

/// A location in a source file.
#[derive(Clone, Debug)]
pub struct Location {
    /// The file.
    pub source: Rc<Source>,
    /// The byte range.
    pub span: Span,
}

impl Location {
    /// `FILE:LINE:COL`.
    pub fn render(&self) -> String {
        let lc = self.source.line_col(self.span.start);
        format!("{}:{}:{}", self.source.name(), lc.line, lc.col)
    }
}

/// One active call when the error was raised.
#[derive(Clone, Debug)]
pub struct TraceFrame {
    /// Function name as shown in traces (`f`, `<lambda>`, `Point.norm`).
    pub function: Rc<str>,
    /// Where that frame was executing.
    pub location: Option<Location>,
}

/// A runtime error travelling up the Ruff call stack: one pointer, so that the
/// VM's many `Result<_, RuntimeError>` stay as small as their success values
/// (the details are reached through `Deref`).
#[derive(Clone, Debug)]
pub struct RuntimeError(Box<ErrorData>);

/// What a [`RuntimeError`] carries.
#[derive(Clone, Debug)]
pub struct ErrorData {
    /// Catchable error or exit request.
    pub kind: ErrorKind,
    /// The message (§7.5 texts).
    pub message: String,
    /// The value given to `throw`, when there was one.
    pub thrown: Option<Value>,
    /// Where it was raised (filled in by the VM).
    pub location: Option<Location>,
    /// Active calls, innermost first, `<main>` excluded (filled in by the VM).
    pub trace: Vec<TraceFrame>,
    /// True once the VM has filled in location and trace.
    pub located: bool,
}

impl std::ops::Deref for RuntimeError {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for RuntimeError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl RuntimeError {
    /// A catchable error with a message.
    pub fn new(message: impl Into<String>) -> RuntimeError {
        RuntimeError(Box::new(ErrorData {
            kind: ErrorKind::Error,
            message: message.into(),
            thrown: None,
            location: None,
            trace: Vec::new(),
            located: false,
        }))
    }

    /// The uncatchable exit request of `exit(code)`.
    pub fn exit(code: i32) -> RuntimeError {
        let mut e = RuntimeError::new("exit");
        e.kind = ErrorKind::Exit(code);
        e
    }

    /// True for errors `try` may catch.
    pub fn catchable(&self) -> bool {
        self.kind == ErrorKind::Error
    }

    /// The report of §7.4 (with a real location and the source line).
    pub fn render(&self) -> String {
        let mut out = format!("[RUFVM001] [vm] Runtime Error: {}\n", self.message);
        match &self.location {
            Some(loc) => {
                out.push_str(&format!("  --> {}\n", loc.render()));
                out.push_str(&loc.source.snippet(loc.span));
            }
            None => out.push_str("  --> <unknown>\n"),
        }
        out.push('\n');
        if !self.trace.is_empty() {
            out.push_str("Call stack:\n");
            for (i, f) in self.trace.iter().enumerate() {
                match &f.location {
                    Some(loc) => out.push_str(&format!("  {i} at {} ({})\n", f.function, loc.render())),
                    None => out.push_str(&format!("  {i} at {}\n", f.function)),
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Shorthand for a catchable error result.
pub fn fail<T>(message: impl Into<String>) -> Result<T, RuntimeError> {
    Err(RuntimeError::new(message))
}
