//! Numbers the JSON schema cannot judge: those JSON cannot hold (an integer beyond 64 bits,
//! `nan`, `inf`: `null` in the document, so an optional field would silently take its default),
//! and whole-number floats where an integer is expected (JSON Schema counts `2.0` as an
//! integer; the typed model does not). Each is reported at the value.

use serde_json::Value;

use super::display_path;
use super::help::type_help;
use super::schema_nav::Place;
use crate::diagnostics::Diagnostic;
use crate::load::{Document, NumberProblem, pointer_escape};

fn field(pointer: &str) -> String {
    format!("`{}`", display_path(pointer))
}

fn type_words(place: &Place) -> String {
    let words: Vec<&str> = place
        .types()
        .iter()
        .map(|t| match *t {
            "array" => "an array",
            "boolean" => "a boolean",
            "integer" => "an integer",
            "number" => "a number",
            "object" => "a table",
            _ => "a string",
        })
        .collect();
    crate::diagnostics::or_list(&words)
}

/// One diagnostic per number of the file that JSON cannot hold, where the schema has a place
/// for it (an unknown key is reported as such instead).
pub fn unrepresentable(doc: &Document) -> Vec<Diagnostic> {
    doc.unrepresentable
        .iter()
        .filter_map(|number| {
            let place = Place::at(&number.pointer);
            if place.nodes.is_empty() {
                return None;
            }
            let raw = doc.source.text.get(number.span.clone()).unwrap_or_default();
            let field = field(&number.pointer);
            let at = Some(number.span.clone());
            if !place.takes_numbers() {
                let key = display_path(&number.pointer);
                let key = key.rsplit('.').next().unwrap_or_default();
                // Any number stands in for this one: the help quotes what is written.
                let help = type_help(&place, &Value::from(0), Some(raw), key);
                return Some(
                    Diagnostic::error(
                        "E0203",
                        format!(
                            "wrong type for {field}: expected {}, found the number {raw}",
                            type_words(&place)
                        ),
                    )
                    .at(at)
                    .label("this is a number")
                    .maybe_help(help),
                );
            }
            let message = match number.problem {
                NumberProblem::IntegerOverflow => {
                    format!("integer out of range for {field}: {raw} does not fit in 64 bits")
                }
                NumberProblem::NotFinite => {
                    format!("nan/inf is not allowed here: {field} is {raw}")
                }
                NumberProblem::FloatOverflow => {
                    format!("float out of range for {field}: {raw} is too large")
                }
            };
            let or_string = if place.types().contains(&"string") {
                format!(", or the string `\"{raw}\"`")
            } else {
                String::new()
            };
            let allowed = match (number.problem, place.range_words()) {
                (NumberProblem::IntegerOverflow, None) => {
                    format!("an integer from {} to {}", i64::MIN, i64::MAX)
                }
                _ => place.number_words(),
            };
            Some(
                Diagnostic::error("E0206", message)
                    .at(at)
                    .label("not a usable number")
                    .help(format!("use {allowed}{or_string}")),
            )
        })
        .collect()
}

/// One diagnostic per whole-number float (`2.0`) where the schema wants an integer.
pub fn whole_floats(doc: &Document) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    walk(&doc.value, &mut String::new(), &mut found);
    found
        .into_iter()
        .filter(|(pointer, _)| Place::at(pointer).integer_only())
        .map(|(pointer, n)| {
            Diagnostic::error(
                "E0203",
                format!(
                    "wrong type for {}: expected an integer, found a float",
                    field(&pointer)
                ),
            )
            .at(doc.span_of(&pointer))
            .label("this is a float")
            .help(format!("write `{}`", n as i64))
        })
        .collect()
}

fn walk(value: &Value, pointer: &mut String, found: &mut Vec<(String, f64)>) {
    let length = pointer.len();
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15) {
                found.push((pointer.clone(), f));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                pointer.push_str(&format!("/{index}"));
                walk(item, pointer, found);
                pointer.truncate(length);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                pointer.push('/');
                pointer.push_str(&pointer_escape(key));
                walk(item, pointer, found);
                pointer.truncate(length);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    fn problems(text: &str) -> Vec<Diagnostic> {
        let doc = crate::load::load(SourceFile::new("p.toml", text)).expect("valid TOML");
        unrepresentable(&doc)
    }

    #[test]
    fn each_number_is_explained_by_its_place() {
        let found = problems(
            "[platform]\nname = nan\nconfig = { BIG = 99999999999999999999, X = -inf }\nnope = nan\n",
        );
        let messages: Vec<(&str, &str)> = found
            .iter()
            .map(|d| (d.message.as_str(), d.help.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "wrong type for `platform.name`: expected a string, found the number nan",
                    "write it as a string: `\"nan\"`"
                ),
                (
                    "integer out of range for `platform.config.BIG`: 99999999999999999999 does not fit in 64 bits",
                    "use an integer from -9223372036854775808 to 9223372036854775807, or the string `\"99999999999999999999\"`"
                ),
                (
                    "nan/inf is not allowed here: `platform.config.X` is -inf",
                    "use a finite number, or the string `\"-inf\"`"
                ),
            ]
        );
    }
}
