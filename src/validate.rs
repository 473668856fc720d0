//! Stage 2: check the document against the JSON schema (generated from [`PlatformSpec`]) and
//! deserialise it. Schema errors are mapped back to spans in `platform.toml`.

use std::sync::OnceLock;

use jsonschema::JsonType;
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::load::{Document, pointer_escape};
use crate::model::PlatformSpec;

/// The JSON schema of `platform.toml`, as committed in `schema/platform.schema.json`.
pub fn schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    let mut schema = generator.into_root_schema_for::<PlatformSpec>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".to_owned(),
            Value::String("https://platgen.dev/schema/platform.schema.json".to_owned()),
        );
        object.insert(
            "description".to_owned(),
            Value::String(
                "platform.toml: the single source platgen renders Dockerfiles, compose files, \
                 Kubernetes manifests, workflows, Prometheus rules and Grafana dashboards from."
                    .to_owned(),
            ),
        );
    }
    schema
}

/// The schema as pretty JSON with a trailing newline, byte-identical on every run.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// The committed `schema/platform.schema.json`, embedded: validation uses it instead of
/// generating the schema on every run (a test keeps it equal to [`schema`]).
const COMMITTED_SCHEMA: &str = include_str!("../schema/platform.schema.json");

fn committed_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(COMMITTED_SCHEMA).unwrap_or_else(|_| schema()))
}

/// The validator of the committed schema, generated at build time from
/// `schema/platform.schema.json`: no schema is compiled when platgen runs, and each pattern is
/// compiled the first time a value meets it. The schema's patterns need no look-around, so they
/// use the `regex` engine.
#[jsonschema::validator(
    path = "schema/platform.schema.json",
    draft = Draft202012,
    pattern_options = { engine = regex }
)]
struct PlatformSchema;

/// Validates the document and deserialises it into a [`PlatformSpec`].
pub fn validate(doc: &Document) -> Result<PlatformSpec, Vec<Diagnostic>> {
    let mut diagnostics: Vec<Diagnostic> = PlatformSchema::iter_errors(&doc.value)
        .flat_map(|error| schema_diagnostics(doc, &error))
        .collect();
    if diagnostics.is_empty() {
        // Read from the document in place: a large platform is not copied for it.
        return <PlatformSpec as serde::Deserialize>::deserialize(&doc.value).map_err(|error| {
            vec![
                Diagnostic::error("E0209", format!("invalid platform file: {error}"))
                    .at(doc.span_of("")),
            ]
        });
    }
    diagnostics.sort_by_key(|d| d.span.as_ref().map(|s| (s.start, s.end)));
    diagnostics.dedup();
    Err(diagnostics)
}

/// Resolves a `$ref` in the schema to its target.
fn deref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .map_or(node, |target| deref(root, target)),
        None => node,
    }
}

/// The property names the schema allows at an instance path, for suggestions.
fn allowed_keys(instance_pointer: &str) -> Vec<String> {
    let root = committed_schema();
    let mut node = deref(root, root).clone();
    for segment in instance_pointer.split('/').skip(1) {
        let next = node
            .get("properties")
            .and_then(|p| p.get(segment))
            .or_else(|| node.get("additionalProperties").filter(|v| v.is_object()))
            .or_else(|| node.get("items").filter(|v| v.is_object()))
            .cloned();
        match next {
            Some(next) => node = deref(root, &next).clone(),
            None => return Vec::new(),
        }
        if let Some(any) = node.get("anyOf").and_then(Value::as_array)
            && let Some(object) = any
                .iter()
                .map(|v| deref(root, v))
                .find(|v| v.get("properties").is_some())
        {
            node = object.clone();
        }
    }
    node.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// The types a schema keyword allows.
fn types_of(kind: &TypeKind) -> Vec<JsonType> {
    match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    }
}

/// The types a schema allows, in TOML words (`an integer or a string`), each once. `null` is
/// left out: it only marks optional fields, and TOML cannot write it. An integer is a number,
/// so `a number` covers it.
fn expected_types(types: &[JsonType]) -> String {
    let word = |t: JsonType| match t {
        JsonType::Array => "an array",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Null => "nothing",
        JsonType::Number => "a number",
        JsonType::Object => "a table",
        JsonType::String => "a string",
    };
    let mut words: Vec<&str> = Vec::new();
    for &t in types {
        let skip = (t == JsonType::Null && types.len() > 1)
            || (t == JsonType::Integer && types.contains(&JsonType::Number));
        if !skip && !words.contains(&word(t)) {
            words.push(word(t));
        }
    }
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.concat(),
    }
}

/// A value of the wrong type, with the types the schema accepts there.
fn type_diagnostic(field: &str, instance: &Value, accepted: &[JsonType]) -> Diagnostic {
    Diagnostic::error(
        "E0203",
        format!(
            "wrong type for {field}: expected {}, found {}",
            expected_types(accepted),
            type_name(instance)
        ),
    )
    .label(format!("this is {}", type_name(instance)))
}

fn schema_diagnostics(doc: &Document, error: &ValidationError<'_>) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_owned();
    let span = doc.span_of(&pointer);
    let field = if pointer.is_empty() {
        "the file".to_owned()
    } else {
        format!("`{}`", display_path(&pointer))
    };
    let instance = error.instance();
    // A key that breaks its table's `propertyNames` rule: the error is the key's, not the table's.
    if let Some(name) = instance.as_str()
        && error
            .schema_path()
            .as_str()
            .split('/')
            .any(|s| s == "propertyNames")
    {
        let child = format!("{pointer}/{}", pointer_escape(name));
        return vec![
            Diagnostic::error("E0205", format!("invalid name `{name}` in {field}"))
                .at(doc.key_span_of(&child))
                .label("invalid name")
                .help(name_help(name)),
        ];
    }
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| {
                let child = format!("{pointer}/{}", pointer_escape(key));
                let allowed = allowed_keys(&pointer);
                let help = did_you_mean(key, allowed.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        (!allowed.is_empty())
                            .then(|| format!("allowed keys here: {}", allowed.join(", ")))
                    });
                Diagnostic::error("E0201", format!("unknown key `{key}` in {field}"))
                    .at(doc.key_span_of(&child))
                    .label("not a known key")
                    .maybe_help(help)
            })
            .collect(),
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            vec![
                Diagnostic::error("E0202", format!("missing required key `{key}` in {field}"))
                    .at(doc.key_span_of(&pointer).or(span))
                    .help(format!(
                        "add `{key} = …`; see the schema's description of it"
                    )),
            ]
        }
        ValidationErrorKind::Type { kind } => {
            vec![type_diagnostic(&field, instance, &types_of(kind)).at(span)]
        }
        ValidationErrorKind::Enum { options } => {
            let choices: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            vec![enum_diagnostic(&field, instance, &choices).at(span)]
        }
        ValidationErrorKind::Pattern { pattern } => {
            vec![pattern_diagnostic(field, instance, pattern).at(span)]
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            vec![
                Diagnostic::error(
                    "E0206",
                    format!("{field} is {instance}, below the minimum {limit}"),
                )
                .at(span)
                .help(format!("use a value of at least {limit}")),
            ]
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            vec![
                Diagnostic::error(
                    "E0206",
                    format!("{field} is {instance}, above the maximum {limit}"),
                )
                .at(span)
                .help(format!("use a value of at most {limit}")),
            ]
        }
        ValidationErrorKind::MinProperties { .. }
        | ValidationErrorKind::MinItems { .. }
        | ValidationErrorKind::MinLength { .. } => {
            vec![Diagnostic::error("E0207", format!("{field} must not be empty")).at(span)]
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Variants documented one by one become a `oneOf` of constants: report a choice.
            let constants: Vec<String> = context
                .iter()
                .flatten()
                .filter_map(|e| match e.kind() {
                    ValidationErrorKind::Constant { expected_value } => {
                        expected_value.as_str().map(str::to_owned)
                    }
                    _ => None,
                })
                .collect();
            if !constants.is_empty()
                && constants.len() == context.iter().map(Vec::len).sum::<usize>()
            {
                return vec![enum_diagnostic(&field, instance, &constants).at(span)];
            }
            // Alternatives of different types (a config value: a string, a number or a
            // boolean): when each fails only on its type, name every type accepted.
            let wrong_type = |branch: &[jsonschema::ValidationError<'_>]| match branch {
                [e] if e.instance_path() == error.instance_path() => match e.kind() {
                    ValidationErrorKind::Type { kind } => Some(types_of(kind)),
                    _ => None,
                },
                _ => None,
            };
            let accepted: Option<Vec<JsonType>> = context
                .iter()
                .map(|branch| wrong_type(branch))
                .collect::<Option<Vec<_>>>()
                .map(|types| types.concat());
            if let Some(accepted) = accepted.filter(|types| !types.is_empty()) {
                return vec![type_diagnostic(&field, instance, &accepted).at(span)];
            }
            // Otherwise report the branch that got furthest: among those that take a value of
            // this type (an optional table is `anyOf [table, null]`: its table's errors, not
            // "expected nothing"), the one with the fewest errors.
            let closest = context
                .iter()
                .filter(|branch| wrong_type(branch).is_none())
                .min_by_key(|errors| errors.len());
            match closest {
                Some(errors) if !errors.is_empty() => errors
                    .iter()
                    .flat_map(|e| schema_diagnostics(doc, e))
                    .collect(),
                _ => vec![
                    Diagnostic::error("E0208", format!("{field} has an invalid shape: {error}"))
                        .at(span),
                ],
            }
        }
        _ => vec![Diagnostic::error("E0208", format!("{field}: {error}")).at(span)],
    }
}

fn enum_diagnostic(field: &str, instance: &Value, choices: &[String]) -> Diagnostic {
    let found = instance.as_str().unwrap_or_default();
    let help = did_you_mean(found, choices.iter().map(String::as_str))
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| format!("choose one of: {}", choices.join(", ")));
    Diagnostic::error("E0204", format!("invalid value {instance} for {field}")).help(help)
}

fn pattern_diagnostic(field: String, instance: &Value, pattern: &str) -> Diagnostic {
    let found = instance.as_str().unwrap_or_default();
    let (what, help) = match pattern {
        p if p == crate::model::spec::NAME_PATTERN => ("is not a valid name", name_help(found)),
        p if p == crate::model::spec::CPU_PATTERN => (
            "is not a CPU quantity",
            "write millicores like `250m` or cores like `2`".to_owned(),
        ),
        p if p == crate::model::spec::MEMORY_PATTERN => (
            "is not a memory quantity",
            "write it like `256Mi` or `2Gi`".to_owned(),
        ),
        p if p == crate::model::spec::DURATION_PATTERN => (
            "is not a duration",
            "write it like `30s`, `5m`, `1h` or `30d`".to_owned(),
        ),
        p if p == crate::model::spec::PATH_PATTERN => (
            "is not an absolute URL path",
            "start it with `/`, e.g. `/health/live`".to_owned(),
        ),
        p if p == crate::model::spec::ENV_KEY_PATTERN => (
            "is not an environment variable name",
            "use letters, digits and `_`, not starting with a digit".to_owned(),
        ),
        _ => (
            "has an invalid format",
            format!("it must match the pattern {pattern}"),
        ),
    };
    Diagnostic::error("E0205", format!("{field}: {instance} {what}")).help(help)
}

/// Help for an invalid name, with a corrected suggestion.
pub fn name_help(name: &str) -> String {
    let fixed: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let fixed = fixed
        .trim_matches(|c: char| c == '-' || c.is_ascii_digit())
        .to_owned();
    let rule = "names are lower-case letters, digits and `-`, start with a letter and end with a letter or digit (DNS-1035), so they are safe as Kubernetes names and file names";
    if fixed.is_empty() || fixed == name {
        rule.to_owned()
    } else {
        format!("{rule}: try `{fixed}`")
    }
}

/// `/services/api/replicas` → `services.api.replicas`.
pub fn display_path(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_types_are_named_once_in_toml_words() {
        use JsonType::{Array, Boolean, Integer, Null, Number, String};
        assert_eq!(expected_types(&[Integer]), "an integer");
        assert_eq!(expected_types(&[Integer, Null]), "an integer");
        assert_eq!(expected_types(&[Null]), "nothing");
        assert_eq!(expected_types(&[Array, String]), "an array or a string");
        assert_eq!(
            expected_types(&[String, Integer, Number, Boolean, String]),
            "a string, a number or a boolean"
        );
    }

    #[test]
    fn the_embedded_schema_is_the_generated_one() {
        assert_eq!(
            COMMITTED_SCHEMA,
            schema_text(),
            "schema/platform.schema.json is out of date: run `platgen schema > schema/platform.schema.json`"
        );
    }
}
