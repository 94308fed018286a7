//! A source file with its line table: byte offset to line/column, and the
//! "source line plus caret" snippet used by every rendered diagnostic and runtime
//! error.

use super::Span;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// One source file: its display name, its text and the byte offset of each line start.
#[derive(Debug)]
pub struct Source {
    name: String,
    text: String,
    line_starts: Vec<u32>,
}

impl Source {
    /// Builds the line table. `\n`, `\r\n` and a lone `\r` all end a line.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i as u32 + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    line_starts.push(i as u32 + 1);
                }
                _ => {}
            }
            i += 1;
        }
        Source { name: name.into(), text, line_starts }
    }

    /// The name the file was given on the command line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = offset as usize;
        let col = self.text.get(start..end).map_or(end - start, |s| s.chars().count());
        LineCol { line: line as u32 + 1, col: col as u32 + 1 }
    }

    /// The text of a 1-based line without its line ending.
    pub fn line_text(&self, line: u32) -> &str {
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(idx) else { return "" };
        let end = self.line_starts.get(idx + 1).map_or(self.text.len(), |&e| e as usize);
        self.text.get(start as usize..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }

    /// `   |` source line and a caret line under the span's first line.
    pub fn snippet(&self, span: Span) -> String {
        let at = self.line_col(span.start);
        let line = self.line_text(at.line);
        let gutter = at.line.to_string();
        let pad = " ".repeat(gutter.len());
        let shown: String = line.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
        let width = {
            let end = self.line_col(span.end.max(span.start));
            if end.line == at.line && end.col > at.col {
                (end.col - at.col) as usize
            } else {
                1
            }
        };
        let caret = format!("{}{}", " ".repeat(at.col as usize - 1), "^".repeat(width));
        format!("{pad} |\n{gutter} | {shown}\n{pad} | {caret}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_handles_all_line_endings() {
        let s = Source::new("t", "a\nbc\r\nd\re");
        assert_eq!(s.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(s.line_col(3), LineCol { line: 2, col: 2 });
        assert_eq!(s.line_col(6), LineCol { line: 3, col: 1 });
        assert_eq!(s.line_col(8), LineCol { line: 4, col: 1 });
        assert_eq!(s.line_text(2), "bc");
    }

    #[test]
    fn columns_count_characters() {
        let s = Source::new("t", "é = x");
        assert_eq!(s.line_col(5), LineCol { line: 1, col: 5 });
    }

    #[test]
    fn snippet_points_at_span() {
        let s = Source::new("t", "let x := 1 +\n");
        let snip = s.snippet(Span::new(4, 5));
        assert!(snip.contains("1 | let x := 1 +"));
        assert!(snip.contains("  |     ^\n"));
    }
}
