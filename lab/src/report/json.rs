//! The JSON exporter: the run record exactly as saved under `results/`, pretty-printed.
//! The layout is documented in `lab/SCHEMA.md`; reading records back is `baseline`'s job.

use super::ReportError;
use crate::record::Report;

/// The report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}
