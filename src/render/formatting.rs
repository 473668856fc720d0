//! How a value reaches a file: the escaping chosen by file type ([`auto_escape`]), the
//! formatter every printed value goes through ([`format_value`]), and the filters that print
//! structure (`yaml`, `literal`, `tojson`).

use std::borrow::Cow;

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Error, ErrorKind, State};

use super::typed::{self, Typed};
use super::{shell, yaml};

/// The escaping of a template by the type of the file it renders.
pub(super) fn auto_escape(name: &str) -> AutoEscape {
    let file = name.rsplit('/').next().unwrap_or(name);
    if file.ends_with(".yaml") || file.ends_with(".yml") {
        AutoEscape::Custom(Cow::Borrowed("yaml"))
    } else if file.ends_with(".json") {
        AutoEscape::Json
    } else if file.starts_with("Dockerfile") {
        AutoEscape::Custom(Cow::Borrowed("dockerfile"))
    } else if file.ends_with(".sh") {
        AutoEscape::Custom(Cow::Borrowed("shell"))
    } else {
        AutoEscape::Custom(Cow::Borrowed("text"))
    }
}

pub(super) fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    if value.is_safe() {
        return out
            .write_str(value.as_str().unwrap_or_default())
            .map_err(Error::from);
    }
    let text = match state.auto_escape() {
        AutoEscape::Custom(name) if name == "yaml" => {
            let text =
                yaml::scalar(value).map_err(|m| Error::new(ErrorKind::InvalidOperation, m))?;
            return out.write_str(&text).map_err(Error::from);
        }
        AutoEscape::Custom(name) if name == "text" => text_value(value)?,
        AutoEscape::Custom(name) if name == "dockerfile" => dockerfile_value(value)?,
        AutoEscape::Custom(name) if name == "shell" => shell::shell_value(value)?,
        _ => return minijinja::escape_formatter(out, state, value),
    };
    out.write_str(&text).map_err(Error::from)
}

/// Plain-text files (Dockerfiles, Markdown; scripts quote on top) only take single-line scalars: a newline
/// could start a new instruction.
pub(super) fn text_value(value: &Value) -> Result<String, Error> {
    if value.is_undefined()
        || value.kind() == minijinja::value::ValueKind::Map
        || value.kind() == minijinja::value::ValueKind::Seq
    {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot print a {} into a text file", value.kind()),
        ));
    }
    let text = value.to_string();
    if text.contains(['\n', '\r']) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "a value with a line break reached a text file",
        ));
    }
    Ok(text)
}

/// Dockerfiles take bare values only when they cannot change an instruction: numbers, booleans
/// and strings of name/path/image characters (what the schema patterns allow). A space, quote,
/// `$`, `\` or line break could split, expand or continue an instruction, so anything else must
/// be JSON-encoded with `tojson` (exec-form arrays, or a quoted comment).
fn dockerfile_value(value: &Value) -> Result<String, Error> {
    if value.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "a none value reached a Dockerfile",
        ));
    }
    let text = text_value(value)?;
    let safe =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@' | '+');
    if value.kind() == minijinja::value::ValueKind::String && !text.chars().all(safe) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("{text:?} is not safe bare in a Dockerfile; JSON-encode it with `tojson`"),
        ));
    }
    Ok(text)
}

/// `value | yaml(indent=N)`: structure serialised as block YAML through the one formatter.
pub(super) fn yaml_filter(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    // A structure built in Rust is serialised as such, not converted to template values first.
    let indent = indent.unwrap_or(0);
    let text = match value.downcast_object_ref::<Typed>() {
        Some(typed) => typed.yaml(indent),
        None => yaml::block(&value, indent),
    };
    text.map(Value::from_safe_string)
        .map_err(|m| Error::new(ErrorKind::InvalidOperation, m))
}

/// `value | literal(indent=N)`: a string as a YAML literal block (`|-`), for long text such as
/// PromQL; anything a literal block cannot hold exactly falls back to the scalar formatter.
pub(super) fn literal_filter(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    yaml::literal(&value, indent.unwrap_or(0))
        .map(Value::from_safe_string)
        .map_err(|m| Error::new(ErrorKind::InvalidOperation, m))
}

/// `value | tojson` (compact) or `value | tojson(indent=2)` (pretty, for whole JSON documents).
pub(super) fn json_filter(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    // A structure built in Rust is serialised as such, not converted to template values first.
    let text = match value.downcast_object_ref::<Typed>() {
        Some(typed) => typed.json(indent),
        None => typed::json(&value, indent),
    };
    text.map(Value::from_safe_string)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}
