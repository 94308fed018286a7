//! Lays out the `ruff` binary's machine code in the order of
//! `link-order/symbols.txt`: the functions a run usually executes come first,
//! together, ahead of everything else. A short program (and a program's first
//! JIT compile, which runs cold) then touches fewer pages of code: fewer page
//! faults, fewer TLB misses. Why and the figures: `link-order/README.md`.
//!
//! Only release builds of x86_64 Linux, which rustc links with its own lld
//! (the default since Rust 1.90; `--symbol-ordering-file` is an lld option).
//! Builds that name another linker are left alone, and `RUFF_LINK_ORDER=off`
//! turns it off. A symbol of the list that the binary lacks (renamed, inlined,
//! from an older build) is skipped: a stale list costs speed, never a build.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=link-order/symbols.txt");
    println!("cargo:rerun-if-env-changed=RUFF_LINK_ORDER");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let other_linker = flags.contains("linker")
        || flags.contains("fuse-ld")
        || !var("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_empty();
    if var("RUFF_LINK_ORDER") == "off"
        || var("PROFILE") != "release"
        || var("TARGET") != "x86_64-unknown-linux-gnu"
        || other_linker
    {
        return;
    }
    let list = PathBuf::from(var("CARGO_MANIFEST_DIR")).join("link-order/symbols.txt");
    if list.is_file() {
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}", list.display());
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
