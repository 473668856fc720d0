//! Stage 1: read `platform.toml` into a JSON value for the schema. Every key's and value's
//! location is at hand for later stages to point at the input: found by parsing the file again
//! when the first diagnostic asks, so a valid platform (the common case, and the one that must
//! be fast) never builds the span map.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, SourceFile};

mod duplicate;
mod json;

use json::{Converter, Datetime};
pub use json::{NumberProblem, UnrepresentableNumber};

/// Where a node of the document sits in the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSpan {
    /// The key naming this node (absent for the root and array items).
    pub key: Option<Range<usize>>,
    /// The value itself.
    pub value: Range<usize>,
}

/// The parsed input: the file, its content as JSON, and spans by JSON pointer.
#[derive(Debug, Clone)]
pub struct Document {
    /// The source file, for rendering diagnostics.
    pub source: SourceFile,
    /// The content as JSON, the shape the schema validates.
    pub value: Value,
    /// Span of every node by JSON pointer (`/services/api/replicas`), made on first use.
    spans: OnceLock<HashMap<String, NodeSpan>>,
    /// Numbers JSON cannot hold (`null` in [`Document::value`]), for validation to report.
    pub unrepresentable: Vec<UnrepresentableNumber>,
}

impl Document {
    /// Whether the file sets the node at `pointer`.
    pub fn has(&self, pointer: &str) -> bool {
        self.value.pointer(pointer).is_some()
    }

    /// Whether the span map was built (tests: a valid platform never needs it).
    #[cfg(test)]
    pub(crate) fn spans_built(&self) -> bool {
        self.spans.get().is_some()
    }

    /// Span of every node by JSON pointer, from the source parsed again.
    fn spans(&self) -> &HashMap<String, NodeSpan> {
        self.spans.get_or_init(|| spans_of(&self.source.text))
    }

    /// The span of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn span_of(&self, pointer: &str) -> Option<Range<usize>> {
        let mut pointer = pointer;
        loop {
            if let Some(span) = self.spans().get(pointer) {
                return Some(span.value.clone());
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }

    /// The span of the key that names the node at `pointer` (falls back to its value).
    pub fn key_span_of(&self, pointer: &str) -> Option<Range<usize>> {
        match self.spans().get(pointer) {
            Some(NodeSpan { key: Some(key), .. }) => Some(key.clone()),
            _ => self.span_of(pointer),
        }
    }
}

/// The help of every platform file that is not UTF-8, before what explains the encoding found.
const SAVE_AS_UTF8: &str = "TOML files are UTF-8: save it with that encoding";

/// The byte order mark some editors write at the start of a UTF-8 file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text of a platform file read as `bytes` (without a byte order mark, its CRLF line
/// endings made LF), and a problem when it is not UTF-8: then the text has the invalid bytes
/// replaced (to show it), and an `E0100` diagnostic points at the first of them.
///
/// TOML lets a multi-line string's line breaks be CRLF or LF, and a Windows checkout
/// (`core.autocrlf`) converts the file: read as written, the same platform would render other
/// bytes there (`"a\r\nb"` in a ConfigMap, and so another `checksum/config`). A CR outside a
/// CRLF pair is left for the TOML parser to reject.
pub fn decode(path: &std::path::Path, mut bytes: Vec<u8>) -> (SourceFile, Option<Diagnostic>) {
    // A UTF-8 byte order mark is not text: kept, it would count as a column of line 1.
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    if let Some(utf16) = Utf16::of(&bytes) {
        let (source, diagnostic) = utf16.problem(path, &bytes);
        return (source, Some(diagnostic));
    }
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(path, crate::line_endings::lf(text)), None),
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let bytes = error.as_bytes();
            let byte = bytes.get(at).copied().unwrap_or_default();
            let source = SourceFile::new(path, String::from_utf8_lossy(bytes).into_owned());
            let (line, col) = source.line_col(at);
            // Invalid bytes become U+FFFD, three bytes long, at the same offset.
            let span = at..(at + char::REPLACEMENT_CHARACTER.len_utf8()).min(source.text.len());
            let latin1 = (byte >= 0xA0).then(|| {
                format!(
                    " (byte 0x{byte:02X} is `{}` in Latin-1: the file is probably Latin-1 or Windows-1252)",
                    char::from(byte)
                )
            });
            let diagnostic = Diagnostic::error(
                "E0100",
                format!(
                    "{} is not UTF-8 text: byte 0x{byte:02X} on line {line}, column {col} is not valid UTF-8",
                    path.display()
                ),
            )
            .at(Some(span))
            .label("not UTF-8")
            .help(format!("{SAVE_AS_UTF8}{}", latin1.unwrap_or_default()));
            (source, Some(diagnostic))
        }
    }
}

/// The byte order of a file saved as UTF-16 (as Windows PowerShell 5 writes with `>` or
/// `Out-File`), which is no UTF-8 even where its text is ASCII: every other byte is NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf16 {
    LittleEndian,
    BigEndian,
}

impl Utf16 {
    /// From a byte order mark, or else from a NUL beside the first character (TOML text never
    /// starts with NUL).
    fn of(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xFE, ..] => Some(Self::LittleEndian),
            [0xFE, 0xFF, ..] => Some(Self::BigEndian),
            [first, 0, ..] if *first != 0 => Some(Self::LittleEndian),
            [0, second, ..] if *second != 0 => Some(Self::BigEndian),
            _ => None,
        }
    }

    /// The file decoded (to show it) and the `E0100` diagnostic at its start.
    fn problem(self, path: &std::path::Path, bytes: &[u8]) -> (SourceFile, Diagnostic) {
        let units = bytes.chunks_exact(2).map(|pair| match self {
            Self::LittleEndian => u16::from_le_bytes([pair[0], pair[1]]),
            Self::BigEndian => u16::from_be_bytes([pair[0], pair[1]]),
        });
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
        let first = text.chars().next().map_or(0, char::len_utf8);
        let order = match self {
            Self::LittleEndian => "little-endian",
            Self::BigEndian => "big-endian",
        };
        let diagnostic = Diagnostic::error(
            "E0100",
            format!("{} is UTF-16 text ({order}), not UTF-8", path.display()),
        )
        .at(Some(0..first))
        .label("UTF-16")
        .help(format!("{SAVE_AS_UTF8} (Windows PowerShell 5 writes UTF-16 with `>` and `Out-File`; use `Out-File -Encoding utf8` or `Set-Content -Encoding utf8`, or PowerShell 7)"));
        (SourceFile::new(path, text), diagnostic)
    }
}

/// Parses TOML text into a [`Document`]. Syntax errors become an `E0101` diagnostic.
pub fn load(source: SourceFile) -> Result<Document, Vec<Diagnostic>> {
    if source.text.trim().is_empty() {
        return Err(vec![
            Diagnostic::error("E0102", "the platform file is empty")
                .at(Some(0..0))
                .help("start from the README's example: it needs at least [platform], [environments.*] and [services.*]"),
        ]);
    }
    let parsed = match DeTable::parse(&source.text) {
        Ok(table) => table,
        Err(error) => return Err(vec![syntax_diagnostic(&source.text, &error)]),
    };
    let (value, unrepresentable) = {
        let mut converter = Converter::default();
        let value = converter.table(parsed.get_ref());
        if !converter.datetimes.is_empty() {
            return Err(converter
                .datetimes
                .iter()
                .map(|datetime| datetime_diagnostic(&source.text, datetime))
                .collect());
        }
        (value, converter.unrepresentable)
    };
    drop(parsed);
    Ok(Document {
        source,
        value,
        spans: OnceLock::new(),
        unrepresentable,
    })
}

/// A TOML datetime: no setting takes one, and turned into a string it would be a value the
/// file does not spell out (`1979-05-27` written unquoted).
fn datetime_diagnostic(text: &str, datetime: &Datetime) -> Diagnostic {
    let written = text.get(datetime.span.clone()).unwrap_or_default().trim();
    Diagnostic::error(
        "E0103",
        format!(
            "`{}` is a TOML date or time, which no platgen setting takes",
            datetime.path
        ),
    )
    .at(Some(datetime.span.clone()))
    .label("a TOML datetime")
    .help(format!("to write it as text, quote it: `\"{written}\"`"))
}

/// A TOML syntax error; a duplicate key also points at its first definition, and a key nested
/// too deep for the reader (which gives no place) at the deepest key of the file.
fn syntax_diagnostic(text: &str, error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim();
    let span = error.span().or_else(|| {
        message
            .contains("recursion limit")
            .then(|| deepest_key(text))
            .flatten()
    });
    let first = span
        .clone()
        .filter(|_| message.starts_with("duplicate key"))
        .and_then(|span| duplicate::first_definition(text, span));
    match (first, span) {
        (Some((name, first)), Some(span)) => {
            let line = text[..first.start].matches('\n').count() + 1;
            let is_header = |at: usize| {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                text[line_start..].trim_start().starts_with('[')
            };
            let fix = if is_header(span.start) && is_header(first.start) {
                "a table is defined once: move the keys of this one into the first and remove this header"
            } else {
                "remove one of the two"
            };
            Diagnostic::error("E0101", format!("invalid TOML: duplicate key `{name}`"))
                .at(Some(span))
                .label("defined again here")
                .secondary(first, "first defined here")
                .help(format!("`{name}` is already defined on line {line}: {fix}"))
        }
        (_, span) if message.contains("recursion limit") => Diagnostic::error(
            "E0101",
            format!("invalid TOML: key nested too deep ({message})"),
        )
        .at(span)
        .label("too many dotted parts")
        .help("platform.toml needs only a few levels of tables: shorten the marked key"),
        (_, span) => Diagnostic::error("E0101", format!("invalid TOML: {message}"))
            .at(span)
            .help("fix the TOML syntax at the marked place"),
    }
}

/// The span of the dotted key (a table header's or a key/value line's) with the most parts: the
/// TOML reader reports a key nested too deep without saying where.
fn deepest_key(text: &str) -> Option<Range<usize>> {
    let mut deepest: Option<(usize, Range<usize>)> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let (open, end) = if rest.starts_with('[') {
            let open = if rest.starts_with("[[") { 2 } else { 1 };
            (open, rest.find(']').unwrap_or(rest.trim_end().len()))
        } else {
            (0, rest.find('=').unwrap_or(0))
        };
        let key = rest.get(open..end).unwrap_or_default();
        let mut quote = None;
        let mut parts = 1;
        for c in key.chars() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '.') => parts += 1,
                _ => {}
            }
        }
        let trimmed = key.trim_end();
        if !trimmed.is_empty() && deepest.as_ref().is_none_or(|(most, _)| parts > *most) {
            let at = start + indent + open + (key.len() - key.trim_start().len());
            deepest = Some((parts, at..start + indent + open + trimmed.len()));
        }
        start += line.len();
    }
    deepest
        .filter(|(parts, _)| *parts > 1)
        .map(|(_, span)| span)
}

/// The span of every node of the TOML `text` by JSON pointer (only the root's when it does not
/// parse, which [`load`] has ruled out).
fn spans_of(text: &str) -> HashMap<String, NodeSpan> {
    let mut spans = HashMap::new();
    spans.insert(
        String::new(),
        NodeSpan {
            key: None,
            value: 0..text.len(),
        },
    );
    if let Ok(table) = DeTable::parse(text) {
        table_spans(table.get_ref(), "", &mut spans);
    }
    spans
}

fn table_spans(table: &DeTable<'_>, pointer: &str, spans: &mut HashMap<String, NodeSpan>) {
    for (key, value) in table {
        let child = format!("{pointer}/{}", pointer_escape(key.get_ref()));
        value_spans(value, &child, spans);
        spans.insert(
            child,
            NodeSpan {
                key: Some(key.span()),
                value: value.span(),
            },
        );
    }
}

fn value_spans(value: &Spanned<DeValue<'_>>, pointer: &str, spans: &mut HashMap<String, NodeSpan>) {
    match value.get_ref() {
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let child = format!("{pointer}/{index}");
                value_spans(item, &child, spans);
                spans.insert(
                    child,
                    NodeSpan {
                        key: None,
                        value: item.span(),
                    },
                );
            }
        }
        DeValue::Table(table) => table_spans(table, pointer, spans),
        _ => {}
    }
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The key a JSON-pointer segment names: the inverse of [`pointer_escape`].
pub fn pointer_unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        load(SourceFile::new("p.toml", text)).expect("valid toml")
    }

    #[test]
    fn converts_values_and_records_spans() {
        let d = doc("[services.api]\nreplicas = 3\nuses = [\"redis\"]\n");
        assert_eq!(d.value["services"]["api"]["replicas"], 3);
        let span = d.span_of("/services/api/replicas").unwrap();
        assert_eq!(&d.source.text[span], "3");
        let key = d.key_span_of("/services/api/replicas").unwrap();
        assert_eq!(&d.source.text[key], "replicas");
        let item = d.span_of("/services/api/uses/0").unwrap();
        assert_eq!(&d.source.text[item], "\"redis\"");
    }

    #[test]
    fn knows_which_nodes_the_file_sets() {
        let d = doc("[services.\"a/b~c\"]\nreplicas = 3\nuses = [\"redis\"]\n");
        assert!(d.has("/services/a~1b~0c/replicas"));
        assert!(d.has("/services/a~1b~0c/uses/0"));
        assert!(!d.has("/services/a~1b~0c/uses/1"));
        assert!(!d.has("/services/a~1b~0c/workers"));
        let key = d.key_span_of("/services/a~1b~0c").unwrap();
        assert_eq!(&d.source.text[key], "\"a/b~c\"");
    }

    #[test]
    fn missing_pointer_falls_back_to_parent() {
        let d = doc("[services.api]\nreplicas = 3\n");
        assert_eq!(d.span_of("/services/api/nope"), d.span_of("/services/api"));
    }

    #[test]
    fn syntax_error_has_a_span() {
        let errors = load(SourceFile::new("p.toml", "[services\n")).unwrap_err();
        assert_eq!(errors[0].code.0, "E0101");
        assert!(errors[0].span.is_some());
    }

    #[test]
    fn text_that_is_not_utf8_is_located_at_its_first_invalid_byte() {
        let (source, error) = decode(
            std::path::Path::new("p.toml"),
            b"a = 1\nname = \"caf\xe9\"\n".to_vec(),
        );
        let error = error.expect("not UTF-8");
        assert_eq!(error.code.0, "E0100");
        assert_eq!(source.line_col(error.span.expect("a span").start), (2, 12));
        assert!(
            error.message.contains("byte 0xE9 on line 2, column 12"),
            "{}",
            error.message
        );
        assert!(error.help.unwrap_or_default().contains("`é` in Latin-1"));
        assert!(
            decode(std::path::Path::new("p.toml"), b"a = 1\n".to_vec())
                .1
                .is_none()
        );
    }

    #[test]
    fn crlf_line_endings_read_as_lf_and_a_lone_cr_is_kept() {
        let path = std::path::Path::new("p.toml");
        let (source, error) = decode(path, b"a = \"\"\"x\r\ny\"\"\"\r\nb = 1\r\n".to_vec());
        assert!(error.is_none());
        assert_eq!(source.text, "a = \"\"\"x\ny\"\"\"\nb = 1\n");
        let d = load(source).expect("valid toml");
        assert_eq!(d.value["a"], "x\ny");
        let (source, _) = decode(path, b"a = 1\rb = 2\n".to_vec());
        assert_eq!(source.text, "a = 1\rb = 2\n");
        assert!(load(source).is_err(), "a lone CR is no line break in TOML");
    }

    #[test]
    fn a_duplicate_points_at_its_first_definition() {
        let errors = load(SourceFile::new("p.toml", "[a]\nb = 1\nb = 2\n")).unwrap_err();
        let (first, label) = *errors[0].secondary.clone().expect("a first definition");
        assert_eq!((first, label.as_str()), (4..5, "first defined here"));
        assert_eq!(
            errors[0].help.as_deref(),
            Some("`b` is already defined on line 2: remove one of the two")
        );
        let errors = load(SourceFile::new("p.toml", "[a]\nb = 1\n[a]\n")).unwrap_err();
        assert!(
            errors[0]
                .help
                .as_deref()
                .unwrap_or_default()
                .contains("a table is defined once")
        );
    }

    #[test]
    fn utf16_text_is_named_as_such_and_shown_decoded() {
        let utf16 = |text: &str, big: bool, bom: bool| -> Vec<u8> {
            let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
            units
                .flat_map(|u| {
                    if big {
                        u.to_be_bytes()
                    } else {
                        u.to_le_bytes()
                    }
                })
                .collect()
        };
        for (big, bom) in [(false, true), (true, true), (false, false), (true, false)] {
            let (source, error) = decode(
                std::path::Path::new("p.toml"),
                utf16("[platform]\nname = \"é\"\n", big, bom),
            );
            let error = error.expect("UTF-16 is no UTF-8");
            let order = if big { "big-endian" } else { "little-endian" };
            assert_eq!(error.code.0, "E0100");
            assert_eq!(
                error.message,
                format!("p.toml is UTF-16 text ({order}), not UTF-8"),
                "big {big} bom {bom}"
            );
            assert_eq!(source.text, "[platform]\nname = \"é\"\n");
            assert_eq!(error.span, Some(0..1));
            assert!(
                error
                    .help
                    .unwrap_or_default()
                    .contains("Out-File -Encoding utf8")
            );
        }
        // UTF-8 text, with or without its mark, is no UTF-16.
        for text in [&b"a = 1\n"[..], b"\xEF\xBB\xBFa = 1\n", b"\n", b"a"] {
            assert!(
                decode(std::path::Path::new("p.toml"), text.to_vec())
                    .1
                    .is_none()
            );
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_text() {
        let (source, error) = decode(
            std::path::Path::new("p.toml"),
            b"\xEF\xBB\xBFa = 1\n".to_vec(),
        );
        assert!(error.is_none());
        assert_eq!(source.text, "a = 1\n");
        assert_eq!(source.line_col(4), (1, 5));
        let (source, error) = decode(
            std::path::Path::new("p.toml"),
            b"\xEF\xBB\xBFa = \"\xe9\"\n".to_vec(),
        );
        let error = error.expect("not UTF-8");
        assert_eq!(source.line_col(error.span.expect("a span").start), (1, 6));
    }

    #[test]
    fn a_datetime_is_an_error_where_it_is_written() {
        let text = "[a]\nb = 1979-05-27\nc = [\"x\", 07:32:00]\n";
        let errors = load(SourceFile::new("p.toml", text)).unwrap_err();
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|d| (d.message.as_str(), &text[d.span.clone().expect("located")]))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "`a.b` is a TOML date or time, which no platgen setting takes",
                    "1979-05-27"
                ),
                (
                    "`a.c.1` is a TOML date or time, which no platgen setting takes",
                    "07:32:00"
                ),
            ]
        );
        assert_eq!(errors[0].code.0, "E0103");
        assert_eq!(
            errors[1].help.as_deref(),
            Some("to write it as text, quote it: `\"07:32:00\"`")
        );
    }

    #[test]
    fn a_key_nested_too_deep_is_located() {
        let deep = vec!["a"; 200].join(".");
        let text = format!("[b]\nc = 1\n\n  [{deep}]\nx = 1\n");
        let errors = load(SourceFile::new("p.toml", text.clone())).unwrap_err();
        let span = errors[0].span.clone().expect("located");
        assert_eq!(&text[span], deep);
        assert!(
            errors[0].message.contains("nested too deep"),
            "{}",
            errors[0].message
        );
        let text = format!("{deep} = 1\n");
        let errors = load(SourceFile::new("p.toml", text.clone())).unwrap_err();
        assert_eq!(&text[errors[0].span.clone().expect("located")], deep);
    }

    #[test]
    fn empty_file_is_an_error() {
        let errors = load(SourceFile::new("p.toml", "\n  \n")).unwrap_err();
        assert_eq!(errors[0].code.0, "E0102");
    }

    #[test]
    fn integers_in_other_radixes_and_with_underscores() {
        let d = doc("a = 1_000\nb = 0x10\nc = 1.5\n");
        assert_eq!(d.value["a"], 1000);
        assert_eq!(d.value["b"], 16);
        assert_eq!(d.value["c"], 1.5);
        assert!(d.unrepresentable.is_empty());
    }

    #[test]
    fn numbers_json_cannot_hold_are_noted_where_they_are() {
        let d = doc("a = 99999999999999999999\n[b]\nc = [1.0, nan]\nd = { e = -inf }\nf = 1e400\n");
        let found: Vec<(&str, NumberProblem, &str)> = d
            .unrepresentable
            .iter()
            .map(|n| {
                (
                    n.pointer.as_str(),
                    n.problem,
                    &d.source.text[n.span.clone()],
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("/a", NumberProblem::IntegerOverflow, "99999999999999999999"),
                ("/b/c/1", NumberProblem::NotFinite, "nan"),
                ("/b/d/e", NumberProblem::NotFinite, "-inf"),
                ("/b/f", NumberProblem::FloatOverflow, "1e400"),
            ]
        );
        assert_eq!(d.value["a"], Value::Null);
    }
}
