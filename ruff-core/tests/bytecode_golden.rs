//! Bytecode goldens: each `tests/bytecode/NAME.ruff` disassembles to exactly
//! `NAME.bc` (instructions interleaved with source lines), so compiler changes show
//! up as reviewable diffs. `RUFF_BLESS=1 cargo test` rewrites the listings.

use std::path::Path;

use ruff_core::api::Program;

#[test]
fn bytecode_listings_match() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bytecode");
    let bless = std::env::var_os("RUFF_BLESS").is_some();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/bytecode exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ruff"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no bytecode goldens");
    let mut failed = Vec::new();
    for f in &files {
        let name = f.file_name().expect("file name").to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).expect("readable");
        let program =
            Program::compile(&name, &text).unwrap_or_else(|e| panic!("{name} does not compile:\n{}", e.render()));
        let listing = program.disassemble();
        let bc = f.with_extension("bc");
        if bless {
            std::fs::write(&bc, &listing).expect("write .bc");
            continue;
        }
        let want = std::fs::read_to_string(&bc).unwrap_or_default();
        if want != listing {
            eprintln!("FAIL {name}\n--- expected\n{want}--- got\n{listing}---");
            failed.push(name);
        }
    }
    eprintln!("bytecode: {} passed, {} failed", files.len() - failed.len(), failed.len());
    assert!(failed.is_empty(), "bytecode listings differ: {}", failed.join(", "));
}
