//! Where the lab finds its files: the workspace root (the directory whose `Cargo.toml`
//! has a `[workspace]` table) and the folders below it that the lab reads and writes.
//! Which files live in those folders is decided by `suite`, `baseline` and `report`.

use std::path::{Path, PathBuf};

/// Failures while locating the workspace.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No ancestor of the starting directory holds a workspace manifest.
    #[error("no Cargo workspace found above {0}: run ruff-lab inside the Ruff Lab repository or pass --root")]
    NotFound(PathBuf),
}

/// The folders the lab works with. All paths are absolute.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The repository root (holds the workspace `Cargo.toml`).
    pub root: PathBuf,
    /// `benchmarks/`: one folder per suite.
    pub benchmarks: PathBuf,
    /// `results/`: machine-written run records.
    pub results: PathBuf,
    /// `dashboards/`: generated HTML.
    pub dashboards: PathBuf,
    /// `target/lab-go-cache/`: compiled benchmark programs, keyed by source hash.
    pub build_cache: PathBuf,
}

impl Workspace {
    /// Uses `root` as given, or walks up from the current directory to find it.
    pub fn locate(root: Option<&Path>) -> Result<Self, WorkspaceError> {
        let start = match root {
            Some(r) => r.to_path_buf(),
            None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        };
        let start = start.canonicalize().unwrap_or(start);
        let root = if root.is_some() {
            start.clone()
        } else {
            find_root(&start).ok_or_else(|| WorkspaceError::NotFound(start.clone()))?
        };
        Ok(Self::at(root))
    }

    /// The standard layout under `root`.
    pub fn at(root: PathBuf) -> Self {
        Self {
            benchmarks: root.join("benchmarks"),
            results: root.join("results"),
            dashboards: root.join("dashboards"),
            build_cache: root.join("target").join("lab-go-cache"),
            root,
        }
    }

    /// The default `ruff` binary: `target/release/ruff` under the root.
    pub fn default_ruff(&self) -> PathBuf {
        self.root.join("target").join("release").join("ruff")
    }
}

/// Walks up from `start` to the first directory whose `Cargo.toml` declares `[workspace]`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let manifest = d.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            if text.lines().any(|l| l.trim() == "[workspace]") {
                return Some(d.to_path_buf());
            }
        }
        dir = d.parent();
    }
    None
}
