//! Errors as data: every problem platgen reports is a [`Diagnostic`] with a code, a message,
//! an optional span in the input file and an optional help line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Stops the run: nothing is written.
    Error,
    /// Reported, but the run goes on.
    Warning,
}

/// A stable error code; the first digit names the stage that found it.
///
/// `E01xx` load (TOML syntax), `E02xx` schema, `E03xx` semantic checks, `E04xx` rendering and
/// verification of output, `E05xx` the output directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Code(pub &'static str);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One problem, located in the input when it has a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code such as `E0203`.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Byte range in the input file, when the problem has a place there.
    pub span: Option<Range<usize>>,
    /// Label under the caret (boxed: a diagnostic stays small enough to return by value).
    pub label: Option<Box<str>>,
    /// How to fix it ("did you mean `replicas`?"); boxed, as the label.
    pub help: Option<Box<str>>,
    /// A second place that explains the first ("first defined here"), with its label.
    pub secondary: Option<Box<(Range<usize>, String)>>,
    /// The file the spans are in when it is not the one the run read (a template, say).
    pub file: Option<Box<SourceFile>>,
}

impl Diagnostic {
    /// A new error with a code and message and no location yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code: Code(code),
            message: message.into(),
            span: None,
            label: None,
            help: None,
            secondary: None,
            file: None,
        }
    }

    /// Places the diagnostic at a byte range of the input.
    #[must_use]
    pub fn at(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    /// Adds a label printed under the caret.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into().into_boxed_str());
        self
    }

    /// Adds a help line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into().into_boxed_str());
        self
    }

    /// Marks a second place in the input with a label ("first defined here").
    #[must_use]
    pub fn secondary(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.secondary = Some(Box::new((span, label.into())));
        self
    }

    /// Places the diagnostic in `file` instead of the file the run read: spans are then byte
    /// ranges of `file`'s text.
    #[must_use]
    pub fn in_file(mut self, file: SourceFile) -> Self {
        self.file = Some(Box::new(file));
        self
    }

    /// Adds a help line only when there is one.
    #[must_use]
    pub fn maybe_help(self, help: Option<String>) -> Self {
        match help {
            Some(help) => self.help(help),
            None => self,
        }
    }
}

/// The text of an input file, with its display path, for locating spans: the whole file, or
/// an excerpt of a few of its lines (see [`SourceFile::excerpt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path as the user named it.
    pub path: PathBuf,
    /// The file's contents (from line `first_line` on).
    pub text: String,
    /// The line of the file `text` starts at: 1 but for an excerpt.
    pub first_line: usize,
    /// Whether `text` is an excerpt, chosen to be shown whole.
    pub excerpt: bool,
}

impl SourceFile {
    /// Creates a source file from its path and text.
    pub fn new(path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            text: text.into(),
            first_line: 1,
            excerpt: false,
        }
    }

    /// The lines of `text` around its one-based `line` (`context` lines on either side), as
    /// a source file named `path`, with the span of the character at one-based `column` (of
    /// the line's end when the line is shorter). For a place in a large text that is not kept
    /// (a rendered file): a diagnostic holds only these lines. `None` when `text` has no such
    /// line.
    pub fn excerpt(
        path: impl AsRef<Path>,
        text: &str,
        line: usize,
        column: usize,
        context: usize,
    ) -> Option<(Self, Range<usize>)> {
        let Range {
            start: at,
            end: line_end,
        } = line_span(text, line)?;
        let first = line.saturating_sub(context).max(1);
        let start = line_span(text, first)?.start;
        // The last line there is, up to `context` lines below.
        let end = (line..=line + context)
            .map_while(|l| line_span(text, l))
            .last()?
            .end;
        let offset = text[at..line_end]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_end, |(i, _)| at + i);
        let width = text[offset..line_end]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        let excerpt = Self {
            path: path.as_ref().to_path_buf(),
            text: text[start..end].to_owned(),
            first_line: first,
            excerpt: true,
        };
        Some((excerpt, offset - start..offset - start + width))
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + self.first_line;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

/// The byte range of one-based line `line` of `text`, without its line break.
pub(crate) fn line_span(text: &str, line: usize) -> Option<Range<usize>> {
    let start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line.checked_sub(2)?)?.0 + 1
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    Some(start..end)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiagnosticFormat {
    /// A source snippet with a caret, for people.
    #[default]
    Human,
    /// `file:line:col: error[CODE]: message`, for editors and pre-commit.
    Short,
}

/// Renders diagnostics against their source file.
pub fn render_diagnostics(
    diagnostics: &[Diagnostic],
    source: Option<&SourceFile>,
    format: DiagnosticFormat,
    styled: bool,
) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        match format {
            DiagnosticFormat::Short => out.push_str(&render_short(diagnostic, source)),
            DiagnosticFormat::Human => out.push_str(&render_human(diagnostic, source, styled)),
        }
        out.push('\n');
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `text` on one line: control characters (a line break in a path, say) escaped as `\n`, so
/// "one line per problem" holds for whatever the user named.
pub fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut line = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

fn render_short(diagnostic: &Diagnostic, source: Option<&SourceFile>) -> String {
    let source = diagnostic.file.as_deref().or(source);
    let location = match (source, &diagnostic.span) {
        (Some(file), Some(span)) => {
            let (line, col) = file.line_col(span.start);
            format!("{}:{line}:{col}: ", file.path.display())
        }
        (Some(file), None) => format!("{}: ", file.path.display()),
        _ => String::new(),
    };
    let help = diagnostic
        .help
        .as_ref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    one_line(&format!(
        "{location}{}[{}]: {}{help}",
        severity_word(diagnostic.severity),
        diagnostic.code,
        diagnostic.message
    ))
}

fn render_human(diagnostic: &Diagnostic, source: Option<&SourceFile>, styled: bool) -> String {
    let source = diagnostic.file.as_deref().or(source);
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let path_text;
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.0);
    let mut group = Group::with_title(title);
    if let Some(file) = source {
        path_text = file.path.display().to_string();
        match &diagnostic.span {
            Some(span) => {
                let end = span.end.max(span.start).min(file.text.len());
                let start = span.start.min(end);
                let mut annotation = AnnotationKind::Primary.span(start..end);
                if let Some(label) = &diagnostic.label {
                    annotation = annotation.label(&**label);
                }
                let mut snippet = Snippet::source(file.text.as_str())
                    .line_start(file.first_line)
                    .fold(!file.excerpt)
                    .path(path_text.as_str())
                    .annotation(annotation);
                if let Some((span, label)) = diagnostic.secondary.as_deref() {
                    let end = span.end.max(span.start).min(file.text.len());
                    let start = span.start.min(end);
                    snippet = snippet.annotation(
                        AnnotationKind::Context
                            .span(start..end)
                            .label(label.as_str()),
                    );
                }
                group = group.element(snippet);
            }
            None => {
                group = group.element(annotate_snippets::Origin::path(path_text.as_str()));
            }
        }
    }
    let mut report = vec![group];
    if let Some(help) = &diagnostic.help {
        report.push(Group::with_title(Level::HELP.secondary_title(&**help)));
    }
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&report)
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    joined(items, "and")
}

/// `a`, `a or b`, `a, b or c`.
pub fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    joined(items, "or")
}

fn joined<S: AsRef<str>>(items: &[S], word: &str) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} {word} {last}", rest.join(", ")),
        _ => items.concat(),
    }
}

/// Suggests the closest candidate to a misspelt word, if one is close enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Jaro-Winkler finds most slips; on a short word one swapped, missing, extra or wrong
    // letter (`cup` for `cpu`, `fro` for `for`) already scores low, so one edit counts too.
    // Case is no slip of spelling: `REPLICAS` is as close to `replicas` as `replicas` itself.
    let word = word.to_lowercase();
    let short_slip =
        |candidate: &str| word.chars().count() >= 3 && strsim::osa_distance(&word, candidate) == 1;
    candidates
        .into_iter()
        .map(|candidate| {
            let lower = candidate.to_lowercase();
            let score = strsim::jaro_winkler(&word, &lower);
            let score = if short_slip(&lower) {
                score.max(0.8001)
            } else {
                score
            };
            (score, candidate)
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let file = SourceFile::new("p.toml", "a = 1\nbé = 2\n");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(6), (2, 1));
        assert_eq!(file.line_col(10), (2, 4));
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["`a`"]), "`a`");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(
            or_list(&["a".to_owned(), "b".to_owned(), "c".to_owned()]),
            "a, b or c"
        );
    }

    #[test]
    fn suggestion_finds_close_key_only() {
        let keys = ["replicas", "resources", "autoscaling"];
        assert_eq!(did_you_mean("replcas", keys), Some("replicas"));
        assert_eq!(did_you_mean("zzz", keys), None);
        // Whatever the case, of the word or of the candidates.
        assert_eq!(did_you_mean("REPLICAS", keys), Some("replicas"));
        assert_eq!(did_you_mean("Autoscalng", keys), Some("autoscaling"));
        assert_eq!(
            did_you_mean("database_url", ["DATABASE_URL"]),
            Some("DATABASE_URL")
        );
        assert_eq!(did_you_mean("CUP", ["cpu"]), Some("cpu"));
    }

    #[test]
    fn suggestion_finds_one_slip_in_a_short_word() {
        let pairs = [
            ("cup", "cpu"),
            ("mni", "min"),
            ("fro", "for"),
            ("sol", "slo"),
            ("evn", "env"),
            ("wbe", "web"),
            ("cpuu", "cpu"),
        ];
        let candidates = [
            "cpu", "memory", "min", "max", "for", "slo", "env", "web", "worker",
        ];
        for (slip, meant) in pairs {
            assert_eq!(did_you_mean(slip, candidates), Some(meant), "{slip}");
        }
        // Two letters are too few to guess from, and two slips in three letters too many.
        assert_eq!(did_you_mean("mx", ["max", "min"]), None);
        assert_eq!(did_you_mean("upc", ["cpu"]), None);
    }

    #[test]
    fn short_format_is_one_line_whatever_the_paths_hold() {
        let d = Diagnostic::error("E0501", "cannot read out\nx/a.yaml: denied");
        let text = render_diagnostics(&[d], None, DiagnosticFormat::Short, false);
        assert_eq!(text.trim_end().lines().count(), 1, "{text}");
        assert!(text.contains("out\\nx/a.yaml"), "{text}");
    }

    #[test]
    fn short_format_names_file_line_and_column() {
        let file = SourceFile::new("platform.toml", "[services]\nx = 1\n");
        let d = Diagnostic::error("E0201", "unknown key `x`")
            .at(Some(11..12))
            .help("remove it");
        assert_eq!(
            render_diagnostics(&[d], Some(&file), DiagnosticFormat::Short, false),
            "platform.toml:2:1: error[E0201]: unknown key `x` (remove it)\n"
        );
    }

    #[test]
    fn a_secondary_place_is_shown_with_its_label() {
        let file = SourceFile::new("p.toml", "[a]\nx = 1\nx = 2\n");
        let d = Diagnostic::error("E0101", "duplicate key `x`")
            .at(Some(10..11))
            .label("defined again here")
            .secondary(4..5, "first defined here");
        let text = render_diagnostics(&[d], Some(&file), DiagnosticFormat::Human, false);
        assert!(text.contains("- first defined here"), "{text}");
        assert!(text.contains("^ defined again here"), "{text}");
    }

    #[test]
    fn an_excerpt_keeps_the_lines_around_a_place_and_their_numbers() {
        let text = "l1\nl2\nl3 é x\nl4\nl5\nl6\n";
        let (file, span) = SourceFile::excerpt("f.yaml", text, 3, 6, 1).expect("line 3");
        assert_eq!(file.text, "l2\nl3 é x\nl4");
        assert_eq!((file.first_line, file.excerpt), (2, true));
        // Column 6 is the sixth character, `x`, after the two-byte `é`.
        assert_eq!(&file.text[span.clone()], "x");
        assert_eq!(span, span_of_x());
        assert_eq!(file.line_col(span.start), (3, 6));
        // Clamped at the text's ends, and at the line's end for a column past it.
        let (file, span) = SourceFile::excerpt("f.yaml", text, 1, 9, 2).expect("line 1");
        assert_eq!((file.text.as_str(), file.first_line), ("l1\nl2\nl3 é x", 1));
        assert_eq!((span.clone(), file.line_col(span.start)), (2..2, (1, 3)));
        let (file, _) = SourceFile::excerpt("f.yaml", text, 6, 1, 2).expect("line 6");
        assert_eq!(file.text, "l4\nl5\nl6\n");
        assert!(SourceFile::excerpt("f.yaml", text, 8, 1, 2).is_none());
        assert!(SourceFile::excerpt("f.yaml", text, 0, 1, 2).is_none());
        // Shown whole, with the file's own line numbers.
        let (file, span) = SourceFile::excerpt("f.yaml", text, 3, 6, 1).expect("line 3");
        let d = Diagnostic::error("E0403", "broken")
            .at(Some(span))
            .in_file(file);
        let shown = render_diagnostics(
            std::slice::from_ref(&d),
            None,
            DiagnosticFormat::Human,
            false,
        );
        assert!(shown.contains("--> f.yaml:3:6"), "{shown}");
        for line in ["2 | l2", "3 | l3 é x", "4 | l4"] {
            assert!(shown.contains(line), "{line}: {shown}");
        }
        // The diagnostic's own file, though the run read another.
        let other = SourceFile::new("platform.toml", "x = 1\n");
        let short = render_diagnostics(&[d], Some(&other), DiagnosticFormat::Short, false);
        assert_eq!(short, "f.yaml:3:6: error[E0403]: broken\n");
    }

    /// The span of `x` in the excerpt of lines 2 to 4 above.
    fn span_of_x() -> Range<usize> {
        let start = "l2\nl3 é ".len();
        start..start + 1
    }

    #[test]
    fn line_spans_leave_out_the_line_break() {
        let text = "one\ntwo\n\nfour";
        assert_eq!(line_span(text, 1), Some(0..3));
        assert_eq!(line_span(text, 2), Some(4..7));
        assert_eq!(line_span(text, 3), Some(8..8));
        assert_eq!(line_span(text, 4), Some(9..13));
        assert_eq!(line_span(text, 5), None);
        assert_eq!(line_span(text, 0), None);
    }
}
