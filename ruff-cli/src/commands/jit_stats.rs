//! `ruff run --jit-stats[=json]`: the per-function report printed after a run —
//! tier, calls, compile time, bail-outs, rejection reason, instructions executed
//! in the VM and natively — and the program's JIT coverage.

use std::fmt::Write;
use std::rc::Rc;

use ruff_core::bytecode::Proto;
use ruff_core::runtime::tier::{bail, recompile, JitMode};

/// How to print the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    /// An aligned table.
    Table,
    /// One JSON object (`ruff-lab` reads it).
    Json,
}

struct Row {
    name: String,
    line: usize,
    tier: &'static str,
    calls: u64,
    native_calls: u64,
    osr_entries: u64,
    compiles: u32,
    recompiles: u32,
    recompile_reasons: Vec<(&'static str, u32)>,
    compile_us: f64,
    code_bytes: u64,
    /// Locals whose struct fields loops kept in registers, over the compiles.
    promoted_locals: u32,
    /// Method calls compiled code ran in line, over the compiles.
    inlined_calls: u32,
    bails: Vec<(&'static str, u64)>,
    mismatches: u64,
    rejection: Option<String>,
    vm_insns: u64,
    native_insns: u64,
    stepped_insns: u64,
}

fn collect(p: &Rc<Proto>, rows: &mut Vec<Row>) {
    let s = &p.jit.stats;
    let vm_calls = p.calls.get() as u64;
    let active = vm_calls + s.native_calls.get() + s.vm_insns.get() + s.native_insns.get() > 0;
    if active || s.compiles.get() > 0 || s.rejection.borrow().is_some() {
        let has_call = p.jit.call.get().is_some();
        let has_osr = p.jit.osr.borrow().iter().any(|(_, e)| e.is_some());
        let tier = match (has_call, has_osr) {
            (true, true) => "native+osr",
            (true, false) => "native",
            (false, true) => "osr",
            _ => "vm",
        };
        let line = p.source.line_col(p.span_at(0).start).line as usize;
        rows.push(Row {
            name: p.name.to_string(),
            line,
            tier,
            calls: vm_calls + s.native_calls.get(),
            native_calls: s.native_calls.get(),
            osr_entries: s.osr_entries.get(),
            compiles: s.compiles.get(),
            recompiles: s.recompiles.get(),
            recompile_reasons: (0..3)
                .map(|i| (recompile::NAMES[i], s.recompile_reasons[i].get()))
                .filter(|(_, n)| *n > 0)
                .collect(),
            compile_us: s.compile_ns.get() as f64 / 1000.0,
            code_bytes: s.code_bytes.get(),
            promoted_locals: s.promoted_locals.get(),
            inlined_calls: s.inlined_calls.get(),
            bails: (0..4).map(|i| (bail::NAMES[i], s.bails[i].get())).filter(|(_, n)| *n > 0).collect(),
            mismatches: s.mismatches.get(),
            rejection: s.rejection.borrow().clone(),
            vm_insns: s.vm_insns.get(),
            native_insns: s.native_insns.get(),
            stepped_insns: s.stepped_insns.get(),
        });
    }
    for child in &p.protos {
        collect(child, rows);
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::new();
    ruff_core::runtime::builtins::write_json_string(&mut out, s);
    out
}

/// The report for every function of the run.
pub fn render(roots: &[Rc<Proto>], format: StatsFormat, mode: JitMode) -> String {
    let mut rows = Vec::new();
    for r in roots {
        collect(r, &mut rows);
    }
    let vm: u64 = rows.iter().map(|r| r.vm_insns).sum();
    let native: u64 = rows.iter().map(|r| r.native_insns).sum();
    let stepped: u64 = rows.iter().map(|r| r.stepped_insns).sum();
    let coverage = if vm + native == 0 { 0.0 } else { native as f64 / (vm + native) as f64 };
    let mode = match mode {
        JitMode::Off => "off",
        JitMode::Auto => "auto",
        JitMode::Eager => "eager",
    };
    let mut out = String::new();
    match format {
        StatsFormat::Json => {
            let _ = write!(
                out,
                "{{\"jit\":\"{mode}\",\"vm_insns\":{vm},\"native_insns\":{native},\"stepped_insns\":{stepped},\
                 \"coverage\":{coverage:.6},\"functions\":["
            );
            for (i, r) in rows.iter().enumerate() {
                let bails: Vec<String> = r.bails.iter().map(|(k, n)| format!("\"{k}\":{n}")).collect();
                let why: Vec<String> = r.recompile_reasons.iter().map(|(k, n)| format!("\"{k}\":{n}")).collect();
                let _ = write!(
                    out,
                    "{}{{\"name\":{},\"line\":{},\"tier\":\"{}\",\"calls\":{},\"native_calls\":{},\"osr_entries\":{},\
                     \"compiles\":{},\"recompiles\":{},\"recompile_reasons\":{{{}}},\"compile_us\":{:.1},\"code_bytes\":{},\"promoted_locals\":{},\"inlined_calls\":{},\"bails\":{{{}}},\"mismatches\":{},\
                     \"rejection\":{},\"vm_insns\":{},\"native_insns\":{},\"stepped_insns\":{}}}",
                    if i > 0 { "," } else { "" },
                    json_str(&r.name),
                    r.line,
                    r.tier,
                    r.calls,
                    r.native_calls,
                    r.osr_entries,
                    r.compiles,
                    r.recompiles,
                    why.join(","),
                    r.compile_us,
                    r.code_bytes,
                    r.promoted_locals,
                    r.inlined_calls,
                    bails.join(","),
                    r.mismatches,
                    r.rejection.as_deref().map_or("null".to_string(), json_str),
                    r.vm_insns,
                    r.native_insns,
                    r.stepped_insns
                );
            }
            out.push_str("]}\n");
        }
        StatsFormat::Table => {
            let _ = writeln!(out, "JIT statistics (--jit={mode})");
            let _ = writeln!(
                out,
                "{:<24} {:>5} {:<10} {:>10} {:>9} {:>11} {:>12} {:>12}  bail-outs / rejection",
                "function", "line", "tier", "calls", "compiles", "compile µs", "vm insns", "native insns"
            );
            for r in &rows {
                let mut notes: Vec<String> = r.bails.iter().map(|(k, n)| format!("{k}×{n}")).collect();
                if r.mismatches > 0 {
                    notes.push(format!("kind mismatch×{}", r.mismatches));
                }
                if r.osr_entries > 0 {
                    notes.push(format!("osr entries×{}", r.osr_entries));
                }
                if r.promoted_locals > 0 {
                    notes.push(format!("fields in registers×{}", r.promoted_locals));
                }
                if r.inlined_calls > 0 {
                    notes.push(format!("inlined calls×{}", r.inlined_calls));
                }
                if r.recompiles > 0 {
                    let why: Vec<String> = r.recompile_reasons.iter().map(|(k, n)| format!("{k}×{n}")).collect();
                    notes.push(format!("recompiled×{} ({})", r.recompiles, why.join(", ")));
                }
                if let Some(why) = &r.rejection {
                    notes.push(format!("rejected: {why}"));
                }
                let name: String = r.name.chars().take(24).collect();
                let _ = writeln!(
                    out,
                    "{:<24} {:>5} {:<10} {:>10} {:>9} {:>11.1} {:>12} {:>12}  {}",
                    name,
                    r.line,
                    r.tier,
                    r.calls,
                    r.compiles,
                    r.compile_us,
                    r.vm_insns,
                    r.native_insns,
                    notes.join("; ")
                );
            }
            let _ = writeln!(
                out,
                "JIT coverage: {:.1}% of {} executed instructions ran natively ({} in the VM)",
                coverage * 100.0,
                vm + native,
                vm
            );
            if stepped > 0 {
                let share = stepped as f64 / (vm + native) as f64 * 100.0;
                let _ = writeln!(
                    out,
                    "  of which {stepped} ({share:.1}% of all) were single instructions that native code had the VM run"
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_core::api::{Options, Program};
    use ruff_jit::{Jit, JitOptions};

    const PROGRAM: &str = "func f(n) {\n    mut d := {}\n    mut t := 0\n    for i in n {\n        d = {\"k\": i}\n        t = t + i\n    }\n    return len(d) + t\n}\nprint(f(5000))\n";

    fn report(format: StatsFormat) -> String {
        let program = Program::compile("stats.ruff", PROGRAM).expect("compiles");
        let options = Options { jit: JitMode::Auto, count: true, ..Options::default() };
        let tier = Box::new(Jit::new(JitOptions { counting: true, ..JitOptions::default() }));
        let run = program.run_captured(&options, Some(tier));
        assert_eq!(run.stdout, "12497501\n");
        render(&run.outcome.protos, format, JitMode::Auto)
    }

    /// The first number after `"key":` in `json`.
    fn number(json: &str, key: &str) -> u64 {
        let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {json}")) + key.len() + 3;
        json[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
    }

    #[test]
    fn coverage_counts_add_up_and_steps_are_reported() {
        let json = report(StatsFormat::Json);
        let (vm, native, stepped) =
            (number(&json, "vm_insns"), number(&json, "native_insns"), number(&json, "stepped_insns"));
        // The loop runs 5000 times, 9 instructions each, plus a few outside it.
        assert!((45_000..45_100).contains(&(vm + native)), "{json}");
        assert!(native > vm, "the hot loop ran natively: {json}");
        // The dict literal is run by the VM for native code: one step per
        // native iteration.
        assert!(stepped > 0 && stepped < native, "{json}");
        assert!(json.contains("\"name\":\"f\""), "{json}");
        let table = report(StatsFormat::Table);
        assert!(table.contains("JIT coverage: ") && table.contains("single instructions"), "{table}");
    }
}
