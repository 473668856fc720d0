//! Stage 1: read `platform.toml` into a JSON value for the schema. Every key's and value's
//! location is at hand for later stages to point at the input: found by parsing the file again
//! when the first diagnostic asks, so a valid platform (the common case, and the one that must
//! be fast) never builds the span map.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, SourceFile};

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
}

impl Document {
    /// Whether the file sets the node at `pointer`.
    pub fn has(&self, pointer: &str) -> bool {
        self.value.pointer(pointer).is_some()
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
        Err(error) => {
            let message = error.message().trim().to_owned();
            return Err(vec![
                Diagnostic::error("E0101", format!("invalid TOML: {message}"))
                    .at(error.span())
                    .help("fix the TOML syntax at the marked place"),
            ]);
        }
    };
    let value = table_to_json(parsed.get_ref());
    Ok(Document {
        source,
        value,
        spans: OnceLock::new(),
    })
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

fn table_to_json(table: &DeTable<'_>) -> Value {
    let mut map = Map::new();
    for (key, value) in table {
        map.insert(key.get_ref().to_string(), value_to_json(value));
    }
    Value::Object(map)
}

fn value_to_json(value: &Spanned<DeValue<'_>>) -> Value {
    match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .map_or(Value::Null, |n| Value::Number(n.into())),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(value_to_json).collect()),
        DeValue::Table(table) => table_to_json(table),
    }
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
    }
}
