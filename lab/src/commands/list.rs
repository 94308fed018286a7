//! `ruff-lab list`: the suites and benchmarks with their sizes (canonical and quick
//! marked), which program files each benchmark has, and which languages are available
//! on this machine (with install commands for the missing ones).

use super::{CommandError, EXIT_OK};
use crate::cli::ListArgs;
use crate::lang::{Availability, Lang, Toolchains, LANGS};
use crate::suite;
use crate::workspace::Workspace;
use comfy_table::{presets, Cell, Color, Table};
use std::io::IsTerminal;

/// Prints the listing; always exits 0 when the suites load.
pub fn execute(ws: &Workspace, args: &ListArgs) -> Result<u8, CommandError> {
    let suites = suite::load_all(&ws.benchmarks)?;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let ruff = args.ruff.clone().unwrap_or_else(|| ws.default_ruff());
    let langs: Vec<Lang> = LANGS.iter().map(|s| s.lang).collect();
    let tools = Toolchains::detect(&langs, &ruff, &ws.build_cache);

    let mut t = table(color);
    t.set_header(vec!["suite", "benchmark", "sizes (* canonical, q quick)", "programs", "description"]);
    for s in &suites {
        for (i, b) in s.benchmarks.iter().enumerate() {
            let sizes: Vec<String> = b
                .sizes
                .iter()
                .map(|&n| {
                    let mut label = n.to_string();
                    if n == b.canonical {
                        label.push('*');
                    }
                    if n == b.quick {
                        label.push('q');
                    }
                    label
                })
                .collect();
            let mut programs: Vec<&str> = LANGS
                .iter()
                .filter(|l| !matches!(l.lang, Lang::RuffNojit | Lang::Pypy))
                .filter(|l| b.dir.join(l.file).is_file())
                .map(|l| l.name)
                .collect();
            programs.dedup();
            t.add_row(vec![
                Cell::new(if i == 0 { s.name.as_str() } else { "" }),
                Cell::new(&b.name),
                Cell::new(sizes.join(" ")),
                Cell::new(programs.join(" ")),
                Cell::new(&b.description),
            ]);
        }
    }
    println!("Benchmarks in {}:\n{t}", ws.benchmarks.display());

    let mut t = table(color);
    t.set_header(vec!["language", "program file", "status"]);
    for spec in LANGS {
        let status = match tools.get(spec.lang) {
            Availability::Ready { path, version } => {
                Cell::new(format!("available: {version} ({})", path.display())).fg(Color::Green)
            }
            Availability::Missing { hint } => Cell::new(format!("missing: {hint}")).fg(Color::Red),
        };
        t.add_row(vec![Cell::new(spec.name), Cell::new(spec.file), status]);
    }
    println!("\nLanguages on this machine:\n{t}");
    Ok(EXIT_OK)
}

fn table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}
