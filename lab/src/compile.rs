//! Builds compiled benchmark programs (Go, C) once per source hash into the cache
//! folder (`target/lab-go-cache/<hash>/bench`), so repeated runs never pay for a build
//! and a changed source or toolchain never reuses a stale binary.
//!
//! Which languages are compiled, and with which executable, is decided in `lang`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Failures while building a benchmark program.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Reading the source or writing the cache failed.
    #[error("cannot build {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The compiler ran and reported errors.
    #[error("build failed for {path}: {message}")]
    Compiler { path: PathBuf, message: String },
}

/// 64-bit FNV-1a: a stable hash (unlike std's `DefaultHasher`) for cache keys.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate the parts so that ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Builds `source` with `go build`; returns the cached binary.
pub fn build_go(go: &Path, version: &str, source: &Path, cache: &Path) -> Result<PathBuf, BuildError> {
    build_cached(source, version, cache, |out| {
        let mut cmd = Command::new(go);
        cmd.arg("build").arg("-o").arg(out).arg(source);
        // A private GOCACHE/GOPATH under target/ keeps builds working when HOME is unset
        // or read-only, and GOPATH mode avoids looking for a go.mod above the benchmark.
        cmd.env("GOCACHE", cache.join("gocache"))
            .env("GOPATH", cache.join("gopath"))
            .env("GO111MODULE", "off")
            .env("GOFLAGS", "");
        cmd
    })
}

/// Builds `source` with `cc -O2`; returns the cached binary.
pub fn build_c(cc: &Path, version: &str, source: &Path, cache: &Path) -> Result<PathBuf, BuildError> {
    build_cached(source, version, cache, |out| {
        let mut cmd = Command::new(cc);
        cmd.arg("-O2").arg("-o").arg(out).arg(source).arg("-lm");
        cmd
    })
}

fn build_cached(
    source: &Path,
    toolchain: &str,
    cache: &Path,
    command: impl Fn(&Path) -> Command,
) -> Result<PathBuf, BuildError> {
    let io = |source: std::io::Error| BuildError::Io { path: cache.to_path_buf(), source };
    let code = std::fs::read(source).map_err(|e| BuildError::Io { path: source.to_path_buf(), source: e })?;
    let key = fnv1a(&[&code, toolchain.as_bytes(), source.extension().unwrap_or_default().as_encoded_bytes()]);
    let dir = cache.join(format!("{key:016x}"));
    let out = dir.join("bench");
    if out.is_file() {
        return Ok(out);
    }
    std::fs::create_dir_all(&dir).map_err(io)?;
    // Build to a private name and rename, so a concurrent lab never runs half a binary.
    let tmp = dir.join(format!("bench.tmp{}", std::process::id()));
    let output = command(&tmp).output().map_err(|e| BuildError::Io { path: source.to_path_buf(), source: e })?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(4).collect();
        return Err(BuildError::Compiler {
            path: source.to_path_buf(),
            message: if message.is_empty() {
                format!("compiler exited with {}", output.status)
            } else {
                message.join(" | ")
            },
        });
    }
    std::fs::rename(&tmp, &out).map_err(io)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable_and_separates_parts() {
        assert_eq!(fnv1a(&[b""]), fnv1a(&[b""]));
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
    }
}
