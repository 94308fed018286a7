//! `ruff-lab report`: reads every saved run record in `results/` (skipping, with a
//! note, files it cannot read) and writes the self-contained dashboard page.

use super::{CommandError, EXIT_OK};
use crate::baseline;
use crate::cli::ReportArgs;
use crate::report::html;
use crate::workspace::Workspace;

/// Writes the dashboard and prints its path.
pub fn execute(ws: &Workspace, args: &ReportArgs) -> Result<u8, CommandError> {
    let results = args.results.clone().unwrap_or_else(|| ws.results.clone());
    let out = args.output.clone().unwrap_or_else(|| ws.dashboards.join("index.html"));
    let mut records = Vec::new();
    for path in baseline::result_files(&results) {
        match baseline::load(&path) {
            Ok(r) => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                records.push((name, r));
            }
            Err(e) => eprintln!("note: skipping {e}"),
        }
    }
    // File names start with the UTC time, but sort by the recorded timestamp to be safe.
    records.sort_by(|a, b| a.1.meta.timestamp.cmp(&b.1.meta.timestamp).then(a.0.cmp(&b.0)));
    let page = html::render(&records);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|source| CommandError::Io { path: dir.to_path_buf(), source })?;
    }
    std::fs::write(&out, page).map_err(|source| CommandError::Io { path: out.clone(), source })?;
    println!("wrote {} from {} saved run(s)", out.display(), records.len());
    Ok(EXIT_OK)
}
