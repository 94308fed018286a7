//! Disassembly: a listing of a proto (and its nested protos), interleaved with the
//! source lines the instructions came from. Used by `ruff disasm` and the bytecode
//! goldens.

use std::fmt::Write;

use super::{Const, Op, Proto};

/// The listing of `proto` and every function nested in it.
pub fn disassemble(proto: &Proto) -> String {
    let mut out = String::new();
    write_proto(&mut out, proto);
    out
}

fn write_proto(out: &mut String, proto: &Proto) {
    let _ = writeln!(
        out,
        "== {} (arity {}, slots {}, captures {}) ==",
        proto.name,
        proto.arity,
        proto.nslots,
        proto.captures.len()
    );
    let mut last_line = 0;
    for (pc, op) in proto.code.iter().enumerate() {
        let line = proto.source.line_col(proto.span_at(pc).start).line;
        if line != last_line {
            let _ = writeln!(out, "{line:>4} | {}", proto.source.line_text(line).trim());
            last_line = line;
        }
        let _ = writeln!(out, "       {pc:>4}  {:<18}{}", op.name(), operands(proto, op));
    }
    out.push('\n');
    for p in &proto.protos {
        write_proto(out, p);
    }
}

fn operands(proto: &Proto, op: &Op) -> String {
    let konst = |k: &u32| match proto.consts.get(*k as usize) {
        Some(Const::Int(i)) => i.to_string(),
        Some(Const::Float(f)) => format!("{f:?}"),
        Some(Const::Str(s)) => format!("{:?}", s.as_str()),
        Some(Const::Name(n)) => n.to_string(),
        Some(Const::Names(ns)) => ns.join(","),
        Some(Const::Shape { name, fields }) => format!("{name} {{{}}}", fields.join(",")),
        Some(Const::Variant { enum_name, variant }) => format!("{enum_name}::{variant}"),
        Some(Const::StructDecl { name, .. }) => format!("struct {name}"),
        None => "?".to_string(),
    };
    match op {
        Op::Const(k) | Op::Field(k) | Op::OptField(k) | Op::MakeStruct(k) | Op::Raise(k) | Op::KeyOrNull(k) => konst(k),
        Op::RestWithout(k) | Op::Import(k, _) => konst(k),
        Op::MakeEnum(k, n) | Op::DefineStruct(k, n) => format!("{} {n}", konst(k)),
        Op::CallMethod(k, n) => format!("{} argc={n}", konst(k)),
        Op::MatchEnum(k, t) | Op::MatchName(k, t) => format!("{} -> {t}", konst(k)),
        Op::Int(i) => i.to_string(),
        Op::LoadLocal(s) | Op::StoreLocal(s) | Op::AddLocal(s) => format!("%{s}"),
        Op::IncLocal(s, k) | Op::LocalAddInt(s, k) => format!("%{s} {k:+}"),
        Op::LocalSubInt(s, k) => format!("%{s} -{k}"),
        Op::JumpIfNot(c, t) => format!("{c:?} -> {t}"),
        Op::LoadCapture(i) | Op::StoreCapture(i) => format!("^{i}"),
        Op::LoadGlobal(g) | Op::StoreGlobal(g) | Op::AddGlobal(g) => format!("@{g}"),
        Op::DefineGlobal(g, k) => format!("@{g} kind={k}"),
        Op::Call(n) => format!("argc={n}"),
        Op::CallUpdate(n, v) => format!("argc={n} {v:?}"),
        Op::SetPath(v, n, f) => format!("{v:?} depth={n} fields={f:#b}"),
        Op::MakeArray(n) | Op::MakeDict(n) | Op::Concat(n) => n.to_string(),
        Op::MakeClosure(i) => format!("proto#{i} {}", proto.protos.get(*i as usize).map_or("?", |p| &*p.name)),
        Op::MakeTagged(t) => format!("{t:?}"),
        Op::IterNext(s, t) => format!("%{s} -> {t}"),
        Op::MatchTag(tag, t) => format!("{tag:?} -> {t}"),
        Op::ElemOrNull(i) | Op::RestFrom(i) => i.to_string(),
        other => other.target().map(|t| format!("-> {t}")).unwrap_or_default(),
    }
}
