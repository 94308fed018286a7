//! File-system builtins (§8.1): whole-file reads and writes, appends, existence
//! and size checks, deletion, directory creation and listing. Reads and writes are
//! limited to [`MAX_FILE_BYTES`] (§10). Console I/O lives in `io`.

use std::io::Write;

use super::arg::arg_str;
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// Largest file `read_file`/`read_lines` will load and largest text
/// `write_file`/`append_file` will write (8 MiB, §10).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The fs library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("read_file", Arity::Exact(1), read_file),
    Builtin::new("write_file", Arity::Range(2, 3), write_file),
    Builtin::new("append_file", Arity::Exact(2), append_file),
    Builtin::new("file_exists", Arity::Exact(1), file_exists),
    Builtin::new("read_lines", Arity::Exact(1), read_lines),
    Builtin::new("delete_file", Arity::Exact(1), delete_file),
    Builtin::new("create_dir", Arity::Exact(1), create_dir),
    Builtin::new("file_size", Arity::Exact(1), file_size),
    Builtin::new("list_dir", Arity::Exact(1), list_dir),
];

/// Reads a whole file as UTF-8 text, refusing files over the limit before
/// reading them.
fn load(path: &str) -> Result<String, RuntimeError> {
    let meta = std::fs::metadata(path).map_err(|e| RuntimeError::new(format!("Cannot read file '{path}': {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return fail(format!("Cannot read file '{path}': file is larger than 8 MiB"));
    }
    std::fs::read_to_string(path).map_err(|e| RuntimeError::new(format!("Cannot read file '{path}': {e}")))
}

fn read_file(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "read_file requires a string argument")?;
    Ok(Value::str(load(path)?))
}

fn read_lines(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "read_lines requires a string argument")?;
    let text = load(path)?;
    Ok(Value::array(text.lines().map(Value::str).collect()))
}

fn write_file(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Str(path), Value::Str(text)) = (&args[0], &args[1]) else {
        return fail("write_file requires string arguments");
    };
    let overwrite = match args.get(2) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return fail("write_file optional overwrite flag must be a bool"),
    };
    if text.len() as u64 > MAX_FILE_BYTES {
        return fail(format!("Cannot write file '{path}': content is larger than 8 MiB"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let result = options.open(path.as_str()).and_then(|mut f| f.write_all(text.as_bytes()));
    match result {
        Ok(()) => Ok(Value::Bool(true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            fail(format!("Cannot write file '{path}': file already exists (pass overwrite=true to replace it)"))
        }
        Err(e) => fail(format!("Cannot write file '{path}': {e}")),
    }
}

fn append_file(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Str(path), Value::Str(text)) = (&args[0], &args[1]) else {
        return fail("append_file requires string arguments");
    };
    if text.len() as u64 > MAX_FILE_BYTES {
        return fail(format!("Cannot append to file '{path}': content is larger than 8 MiB"));
    }
    let result = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path.as_str())
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match result {
        Ok(()) => Ok(Value::Bool(true)),
        Err(e) => fail(format!("Cannot append to file '{path}': {e}")),
    }
}

fn file_exists(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "file_exists requires a string argument")?;
    Ok(Value::Bool(std::path::Path::new(path).exists()))
}

fn delete_file(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "delete_file requires a string argument")?;
    match std::fs::remove_file(path) {
        Ok(()) => Ok(Value::Bool(true)),
        Err(e) => fail(format!("Cannot delete file '{path}': {e}")),
    }
}

fn create_dir(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "create_dir requires a string argument")?;
    match std::fs::create_dir_all(path) {
        Ok(()) => Ok(Value::Bool(true)),
        Err(e) => fail(format!("Cannot create directory '{path}': {e}")),
    }
}

fn file_size(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "file_size requires a string argument")?;
    match std::fs::metadata(path) {
        Ok(m) => Ok(Value::Int(m.len() as i64)),
        Err(e) => fail(format!("Cannot get size of file '{path}': {e}")),
    }
}

/// Entry names sorted by byte order (upstream returns directory order, which
/// differs between machines; §8.1 asks for sorted).
fn list_dir(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let path = arg_str(args, 0, "list_dir requires a string argument")?;
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => return fail(format!("Cannot list directory '{path}': {e}")),
    };
    let mut names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    Ok(Value::array(names.into_iter().map(Value::str).collect()))
}
