//! Builtin functions. Each library is one table of [`Builtin`]s (name, arity,
//! function) in its own file; [`LIBRARIES`] lists the tables. Dispatch, the
//! `ruff builtins` listing and arity errors are all derived from these tables, so a
//! builtin is defined in exactly one place. Builtins are ordinary, shadowable
//! globals: the VM seeds a global slot with a builtin only when the program names it.

mod arg;
mod array;
mod assert;
mod collections;
mod dict;
mod fs;
mod functional;
mod io;
mod json;

/// A JSON string literal (quotes and escapes), for tools that print JSON.
pub use json::write_string as write_json_string;
mod math;
mod string;
mod text;
mod time;
mod types;

pub use arg::arg_str;

use super::error::RuntimeError;
use super::value::Value;
use super::vm::Vm;

/// How many arguments a builtin takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly N.
    Exact(u8),
    /// Between min and max (inclusive).
    Range(u8, u8),
    /// Any number.
    Any,
}

impl Arity {
    /// True when `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exact(k) => n == k as usize,
            Arity::Range(lo, hi) => (lo as usize..=hi as usize).contains(&n),
            Arity::Any => true,
        }
    }

    /// Human form for listings (`2`, `1-3`, `any`).
    pub fn describe(self) -> String {
        match self {
            Arity::Exact(k) => k.to_string(),
            Arity::Range(lo, hi) => format!("{lo}-{hi}"),
            Arity::Any => "any".to_string(),
        }
    }
}

/// The signature every builtin has. Arguments are owned by the callee for the
/// duration of the call: a builtin may `std::mem::take` an argument (to extend an
/// unshared array in place) but only after it has validated every argument, so an
/// error never loses a value the caller still holds.
pub type NativeFn = fn(&mut Vm, &mut [Value]) -> Result<Value, RuntimeError>;

/// One builtin function.
#[derive(Debug)]
pub struct Builtin {
    /// Global name.
    pub name: &'static str,
    /// Accepted argument counts.
    pub arity: Arity,
    /// The implementation.
    pub func: NativeFn,
    /// True when it may call back into Ruff code (then `CallUpdate` must not move
    /// the argument out of its variable, since the callback could observe it).
    pub calls_back: bool,
    /// True for `push` and its alias: `arr = push(arr, x)` on an unshared array
    /// appends in place (see `vm::call::appends_in_place`, and compiled code's
    /// inline append, which reads this flag at [`Builtin::APPENDS_OFFSET`]).
    pub appends: bool,
    /// True for `len`: compiled code reads an array's length itself, while
    /// the callee is this builtin.
    pub length: bool,
}

impl Builtin {
    /// A builtin that never calls back into Ruff.
    pub const fn new(name: &'static str, arity: Arity, func: NativeFn) -> Builtin {
        Builtin { name, arity, func, calls_back: false, appends: false, length: false }
    }

    /// This builtin, marked as the array append (see [`Builtin::appends`]).
    pub const fn appending(self) -> Builtin {
        Builtin { appends: true, ..self }
    }

    /// This builtin, marked as the length (see [`Builtin::length`]).
    pub const fn measuring(self) -> Builtin {
        Builtin { length: true, ..self }
    }

    /// Where compiled code finds the `appends` flag (one byte) in a builtin.
    pub const APPENDS_OFFSET: i32 = std::mem::offset_of!(Builtin, appends) as i32;

    /// A builtin that calls Ruff functions it is given.
    pub const fn with_callbacks(name: &'static str, arity: Arity, func: NativeFn) -> Builtin {
        Builtin { name, arity, func, calls_back: true, appends: false, length: false }
    }

    /// The error for a wrong argument count.
    pub fn arity_error(&self, got: usize) -> RuntimeError {
        let expected = match self.arity {
            Arity::Exact(k) => k.to_string(),
            Arity::Range(lo, hi) => format!("{lo} to {hi}"),
            Arity::Any => "any number of".to_string(),
        };
        RuntimeError::new(format!("{} expects {expected} arguments, got {got}", self.name))
    }
}

/// A library: a name for listings and its table.
pub struct Library {
    /// Name shown by `ruff builtins`.
    pub name: &'static str,
    /// The builtins.
    pub table: &'static [Builtin],
}

/// Every library, in listing order.
pub static LIBRARIES: &[Library] = &[
    Library { name: "io", table: io::TABLE },
    Library { name: "fs", table: fs::TABLE },
    Library { name: "types", table: types::TABLE },
    Library { name: "string", table: string::TABLE },
    Library { name: "text", table: text::TABLE },
    Library { name: "array", table: array::TABLE },
    Library { name: "functional", table: functional::TABLE },
    Library { name: "dict", table: dict::TABLE },
    Library { name: "math", table: math::TABLE },
    Library { name: "assert", table: assert::TABLE },
    Library { name: "json", table: json::TABLE },
    Library { name: "collections", table: collections::TABLE },
    Library { name: "time", table: time::TABLE },
];

/// Global constants that are not functions (`PI`, `E`), seeded like builtins.
pub fn constant(name: &str) -> Option<Value> {
    math::constant(name)
}

/// Looks a builtin up by name.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    LIBRARIES.iter().flat_map(|l| l.table.iter()).find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_across_libraries() {
        let mut seen = std::collections::HashSet::new();
        for lib in LIBRARIES {
            for b in lib.table {
                assert!(seen.insert(b.name), "builtin {} defined twice", b.name);
            }
        }
    }

    #[test]
    fn constants_are_not_builtins() {
        assert!(constant("PI").is_some() && constant("E").is_some());
        assert!(lookup("PI").is_none() && constant("len").is_none());
    }
}
