//! Error unwinding: attaching location and call stack to an error, turning it into
//! the `Error` struct that `except` binds, and finding the handler that catches it.

use std::rc::Rc;

use super::Vm;
use crate::runtime::error::{Location, RuntimeError, TraceFrame};
use crate::runtime::format::debug;
use crate::runtime::object::StructObj;
use crate::runtime::value::Value;

impl Vm {
    /// Fills in location and trace from the current frames (once).
    pub(crate) fn locate(&self, e: &mut RuntimeError) {
        if e.located {
            return;
        }
        e.located = true;
        let loc = |f: &super::Frame| {
            let proto = &f.closure.proto;
            Some(Location { source: proto.source.clone(), span: proto.span_at(f.pc.saturating_sub(1)) })
        };
        if let Some(top) = self.frames.last() {
            e.location = loc(top);
        }
        e.trace = self
            .frames
            .iter()
            .skip(1)
            .rev()
            .map(|f| TraceFrame { function: f.closure.proto.name.clone(), location: loc(f) })
            .collect();
    }

    /// Unwinds to the innermost handler belonging to a frame above `stop_depth`.
    /// Returns `Err` (with frames popped back to `stop_depth`) when none catches it.
    pub(crate) fn unwind(&mut self, mut e: RuntimeError, stop_depth: usize) -> Result<(), RuntimeError> {
        self.locate(&mut e);
        let catchable = e.catchable();
        match self.handlers.last() {
            Some(h) if catchable && h.frame > stop_depth => {
                let h = self.handlers.pop().expect("handler");
                self.frames.truncate(h.frame);
                self.stack.truncate(h.sp);
                self.below_depth_fence();
                let frame = self.frames.last_mut().expect("frame");
                frame.pc = h.pc as usize;
                let err = error_value(&e);
                self.stack.push(err);
                Ok(())
            }
            _ => {
                while self.handlers.last().is_some_and(|h| h.frame > stop_depth) {
                    self.handlers.pop();
                }
                self.frames.truncate(stop_depth);
                self.below_depth_fence();
                Err(e)
            }
        }
    }
}

/// The message `throw(v)` raises with (§4.6).
pub(crate) fn thrown_message(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Struct(s) => match s.field("message") {
            Some(Value::Str(m)) => m.to_string(),
            Some(other) => crate::runtime::format::display(other),
            None => format!("{} error", s.name),
        },
        other => debug(other),
    }
}

/// The `Error { line, message, stack[, cause] }` struct bound by `except`.
fn error_value(e: &RuntimeError) -> Value {
    let stack: Vec<Value> = e.trace.iter().rev().map(|f| Value::str(f.function.to_string())).collect();
    let mut shape: Vec<Rc<str>> = vec![Rc::from("line"), Rc::from("message"), Rc::from("stack")];
    let mut values = vec![Value::Int(0), Value::str(e.message.clone()), Value::array(stack)];
    if let Some(Value::Struct(s)) = &e.thrown {
        if let Some(cause) = s.field("cause") {
            shape.push(Rc::from("cause"));
            values.push(cause.clone());
        }
    }
    Value::Struct(Rc::new(StructObj { name: Rc::from("Error"), ty: None, shape: shape.into(), values }))
}
