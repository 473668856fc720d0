//! TOML to JSON, the shape the schema validates. A number JSON cannot hold becomes `null` and
//! is noted with its place, so validation reports it instead of a default taking its place.

use std::borrow::Cow;
use std::ops::Range;

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::pointer_escape;

/// A TOML number that has no JSON value: an integer beyond 64 bits, `nan`, `inf`, or a float
/// literal too large for a double. It is `null` in the document's value, and an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnrepresentableNumber {
    /// JSON pointer of the value.
    pub pointer: String,
    /// Why it cannot be used.
    pub problem: NumberProblem,
    /// Where it is written.
    pub span: Range<usize>,
}

/// Why a number has no JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberProblem {
    /// An integer outside the 64-bit range TOML allows.
    IntegerOverflow,
    /// `nan`, `inf` or `-inf`.
    NotFinite,
    /// A float literal too large for a double (`1e400`).
    FloatOverflow,
}

/// A TOML date or time in the file: no setting takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Datetime {
    /// Dotted path of the value, `services.api.description`.
    pub(super) path: String,
    /// Where it is written.
    pub(super) span: Range<usize>,
}

/// Converts TOML to JSON, noting each number JSON cannot hold and each datetime (and where).
#[derive(Default)]
pub(super) struct Converter<'a> {
    /// Keys and indexes from the root to the value being converted.
    path: Vec<Cow<'a, str>>,
    pub(super) unrepresentable: Vec<UnrepresentableNumber>,
    pub(super) datetimes: Vec<Datetime>,
}

impl<'a> Converter<'a> {
    pub(super) fn table(&mut self, table: &'a DeTable<'a>) -> Value {
        let mut map = Map::new();
        for (key, value) in table {
            self.path.push(Cow::Borrowed(key.get_ref().as_ref()));
            map.insert(key.get_ref().to_string(), self.value(value));
            self.path.pop();
        }
        Value::Object(map)
    }

    fn value(&mut self, value: &'a Spanned<DeValue<'a>>) -> Value {
        let number = |result: Result<Value, NumberProblem>, this: &mut Self| {
            result.unwrap_or_else(|problem| {
                let pointer = this
                    .path
                    .iter()
                    .map(|segment| format!("/{}", pointer_escape(segment)))
                    .collect();
                this.unrepresentable.push(UnrepresentableNumber {
                    pointer,
                    problem,
                    span: value.span(),
                });
                Value::Null
            })
        };
        match value.get_ref() {
            DeValue::String(s) => Value::String(s.to_string()),
            DeValue::Integer(i) => number(
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                    .map(|n| Value::Number(n.into()))
                    .map_err(|_| NumberProblem::IntegerOverflow),
                self,
            ),
            DeValue::Float(f) => {
                let text = f.as_str().replace('_', "");
                let parsed = text.parse::<f64>().unwrap_or(f64::NAN);
                let converted = Number::from_f64(parsed).map(Value::Number).ok_or(
                    if parsed.is_infinite() && !text.contains("inf") {
                        NumberProblem::FloatOverflow
                    } else {
                        NumberProblem::NotFinite
                    },
                );
                number(converted, self)
            }
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Datetime(_) => {
                self.datetimes.push(Datetime {
                    path: self.path.join("."),
                    span: value.span(),
                });
                Value::Null
            }
            DeValue::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        self.path.push(Cow::Owned(index.to_string()));
                        let converted = self.value(item);
                        self.path.pop();
                        converted
                    })
                    .collect(),
            ),
            DeValue::Table(table) => self.table(table),
        }
    }
}
