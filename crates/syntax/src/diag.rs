//! Diagnostics: what went wrong, where, and how to show it as Alloy does.
//!
//! ```text
//! Error: config.alloy:2:16: expected expression, got +
//!
//! 1 | a = 1
//! 2 | attr = 1 + + 2
//!   |            ^
//! 3 |
//! ```

use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::limits::{cut, MAX_MESSAGE_CHARS, MAX_SNIPPET_CHARS};
use crate::source::{Position, SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in a configuration, with the place it was found when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// The file and span the message is about; `None` for problems that have no place (a missing file).
    pub location: Option<(Arc<SourceFile>, Span)>,
}

impl Diagnostic {
    pub fn error(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: Some((file.clone(), span)),
        }
    }

    pub fn warning(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            location: Some((file.clone(), span)),
        }
    }

    /// An error that belongs to no place in a file.
    pub fn global(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Start position of the diagnostic, if it has a place.
    pub fn start(&self) -> Option<Position> {
        self.location.as_ref().map(|(f, s)| f.position(s.start))
    }

    /// `file:line:col` of the start, as Alloy prints it.
    pub fn place(&self) -> Option<String> {
        self.location
            .as_ref()
            .map(|(f, s)| format!("{}:{}", f.name(), f.position(s.start)))
    }

    /// The one-line form: `file:line:col: message` (a message past [`MAX_MESSAGE_CHARS`] is cut).
    pub fn short(&self) -> String {
        let message = cut(&self.message, MAX_MESSAGE_CHARS);
        match self.place() {
            Some(place) => format!("{place}: {message}"),
            None => message.into_owned(),
        }
    }

    /// The full form with source context and a caret line, as `alloy` prints it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let word = match self.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        let _ = writeln!(out, "{word}: {}", self.short());
        let Some((file, span)) = &self.location else {
            return out;
        };
        let start = file.position(span.start);
        let end = file.position(span.end.max(span.start));
        let first = start.line.saturating_sub(1).max(1);
        let last = (end.line + 1).min(file.line_count());
        let width = last.to_string().len();
        // A line longer than MAX_SNIPPET_CHARS is shown from 40 characters before the start of the place.
        let start_text = file.line_text(start.line).unwrap_or("");
        let window_from = columns(start_text, start.column as usize - 1).saturating_sub(40);
        out.push('\n');
        for line in first..=last {
            let text = file.line_text(line).unwrap_or("");
            let shown = text.replace('\t', "    ");
            let shown = shown.trim_end();
            let long = shown.chars().count() > MAX_SNIPPET_CHARS;
            let (from, to) = if long {
                (window_from, window_from + MAX_SNIPPET_CHARS)
            } else {
                (0, usize::MAX)
            };
            let mut visible: String = shown.chars().skip(from).take(to - from).collect();
            let mut lead = 0;
            if long {
                if from > 0 {
                    visible.insert(0, '…');
                    lead = 1;
                }
                if shown.chars().count() > to {
                    visible.push('…');
                }
            }
            let _ = writeln!(out, "{line:>width$} | {visible}");
            if line >= start.line && line <= end.line {
                let caret_from = if line == start.line {
                    start.column as usize - 1
                } else {
                    0
                };
                let caret_to = if line == end.line {
                    (end.column as usize - 1).max(caret_from + 1)
                } else {
                    text.len()
                };
                let caret_to = caret_to.max(caret_from + 1);
                // Tabs were widened to four spaces above; widen the caret offsets the same way, then keep what
                // the window shows.
                let pad = columns(text, caret_from);
                let end_column = columns(text, caret_to).max(pad + 1);
                let shown_from = pad.max(from);
                let shown_to = end_column.min(to);
                let carets = shown_to.saturating_sub(shown_from).max(1);
                let _ = writeln!(
                    out,
                    "{:width$} | {}{}",
                    "",
                    " ".repeat(shown_from - from + lead),
                    "^".repeat(carets)
                );
            }
        }
        out
    }
}

/// The display column of byte offset `upto` of `text`, tabs counting four; past the end, one per byte.
fn columns(text: &str, upto: usize) -> usize {
    text.char_indices()
        .take_while(|(i, _)| *i < upto)
        .map(|(_, c)| if c == '\t' { 4 } else { 1 })
        .sum::<usize>()
        + upto.saturating_sub(text.len())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl std::error::Error for Diagnostic {}

/// A list of diagnostics, with helpers to ask whether any is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// All diagnostics rendered with context, separated by blank lines.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(Diagnostic::render)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&d.short())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_alloy_with_context_and_caret() {
        let file = SourceFile::new("config.alloy", "a {\n  forward_to = [x.y]\n}\n");
        let d = Diagnostic::error(
            &file,
            Span::new(20, 23),
            "component \"x.y\" does not exist or is out of scope",
        );
        let expected = "Error: config.alloy:2:17: component \"x.y\" does not exist or is out of scope\n\n1 | a {\n2 |   forward_to = [x.y]\n  |                 ^^^\n3 | }\n";
        assert_eq!(d.render(), expected);
    }

    #[test]
    fn a_huge_line_is_shown_around_the_place_it_points_at() {
        // A string of a million characters: the line is cut to 160 characters from its start, and so are the
        // carets.
        let huge = "x".repeat(1_000_000);
        let file = SourceFile::new("c.alloy", format!("a = 1\nattr = \"{huge}\" + x\nb = 2\n"));
        let d = Diagnostic::error(&file, Span::new(13, 13 + 1_000_002), "too long");
        let expected = format!(
            "Error: c.alloy:2:8: too long\n\n1 | a = 1\n2 | attr = \"{}…\n  |        {}\n3 | b = 2\n",
            "x".repeat(152),
            "^".repeat(153)
        );
        assert_eq!(d.render(), expected);
        // Far along a long line, the window starts 40 characters before the place.
        let line = format!("a = [{}-\"s\", 1]", "1, ".repeat(100_000));
        let at = line.find('-').unwrap() as u32;
        let file = SourceFile::new("c.alloy", line.clone());
        let d = Diagnostic::error(&file, Span::new(at + 1, at + 4), "bad");
        let shown: String = line.chars().skip(at as usize + 1 - 40).take(160).collect();
        let expected = format!(
            "Error: c.alloy:1:{}: bad\n\n1 | …{shown}\n  | {}^^^\n",
            at + 2,
            " ".repeat(41)
        );
        assert_eq!(d.render(), expected);
    }

    #[test]
    fn a_huge_message_is_cut() {
        let file = SourceFile::new("c.alloy", "a = 1\n");
        let d = Diagnostic::error(&file, Span::new(0, 1), "m".repeat(100_000));
        let short = d.short();
        assert_eq!(
            short.chars().count(),
            "c.alloy:1:1: ".len() + MAX_MESSAGE_CHARS + 1
        );
        assert!(short.ends_with("m…"));
    }
}
