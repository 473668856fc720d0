//! Stage 2: check the document against the JSON schema (generated from [`PlatformSpec`]) and
//! deserialise it. Schema errors are mapped back to spans in `platform.toml`.

mod cidrs;
mod durations;
mod errors;
mod help;
mod hosts;
mod images;
mod labels;
mod numbers;
mod paths;
mod patterns;
mod schema_nav;

use std::sync::OnceLock;

use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::PlatformSpec;

pub use help::name_help;

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
const COMMITTED_SCHEMA: &str = include_str!("../../schema/platform.schema.json");

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
    // A number JSON cannot hold is `null` in the document: reported as what it is, not as a
    // missing or mistyped value.
    let unrepresentable = |pointer: &str| doc.unrepresentable.iter().any(|n| n.pointer == pointer);
    let mut flagged = std::collections::HashSet::new();
    let mut diagnostics: Vec<Diagnostic> = PlatformSchema::iter_errors(&doc.value)
        .filter(|error| !unrepresentable(error.instance_path().as_str()))
        .inspect(|error| {
            flagged.insert(error.instance_path().as_str().to_owned());
        })
        .flat_map(|error| errors::schema_diagnostics(doc, &error))
        .collect();
    diagnostics.extend(numbers::unrepresentable(doc));
    diagnostics.extend(labels::long_prefixes(doc));
    diagnostics.extend(hosts::long_labels(doc));
    // A range the schema already rejected (not of the form `address/prefix`) is said once.
    diagnostics.extend(cidrs::invalid(doc, |pointer| !flagged.contains(pointer)));
    diagnostics.extend(durations::too_long(doc));
    diagnostics.extend(paths::ingress_paths(doc, |pointer| {
        !flagged.contains(pointer)
    }));
    diagnostics.extend(images::long_names(doc, |pointer| {
        !flagged.contains(pointer)
    }));
    if diagnostics.is_empty() {
        // Read from the document in place: a large platform is not copied for it.
        match <PlatformSpec as serde::Deserialize>::deserialize(&doc.value) {
            Ok(spec) => return Ok(spec),
            Err(error) => {
                diagnostics = numbers::whole_floats(doc);
                if diagnostics.is_empty() {
                    // The schema accepted what the model rejects: a platgen bug, with no place
                    // in the file to point at.
                    diagnostics.push(
                        Diagnostic::error("E0209", format!("invalid platform file: {error}")).help(
                            "the schema accepted this file but platgen cannot read it: please report it",
                        ),
                    );
                }
            }
        }
    } else {
        diagnostics.extend(numbers::whole_floats(doc));
    }
    diagnostics.sort_by_key(|d| d.span.as_ref().map(|s| (s.start, s.end)));
    diagnostics.dedup();
    Err(diagnostics)
}

/// `/services/api/replicas` → `services.api.replicas`.
pub fn display_path(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(crate::load::pointer_unescape)
        .collect::<Vec<_>>()
        .join(".")
}

/// The keys of the table at `pointer` (none when there is none), each escaped for a pointer.
fn keys_at(doc: &Document, pointer: &str) -> Vec<String> {
    doc.value
        .pointer(pointer)
        .and_then(serde_json::Value::as_object)
        .map(|map| map.keys().map(|k| crate::load::pointer_escape(k)).collect())
        .unwrap_or_default()
}

/// Pointers of every place a service setting `field` (`expose/host`) can be written: each
/// environment's `service_overrides`, each service's own settings and its `env.<name>`.
fn service_setting_fields(doc: &Document, field: &str) -> Vec<String> {
    let mut fields: Vec<String> = keys_at(doc, "/environments")
        .into_iter()
        .map(|env| format!("/environments/{env}/service_overrides/{field}"))
        .collect();
    for service in keys_at(doc, "/services") {
        let base = format!("/services/{service}");
        fields.push(format!("{base}/{field}"));
        for env in keys_at(doc, &format!("{base}/env")) {
            fields.push(format!("{base}/env/{env}/{field}"));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON pointer of every object of the schema for which `problem` holds.
    fn schema_objects_where(
        problem: impl Fn(&str, &serde_json::Map<String, Value>) -> bool,
    ) -> Vec<String> {
        fn walk(
            node: &Value,
            path: &str,
            problem: &dyn Fn(&str, &serde_json::Map<String, Value>) -> bool,
            found: &mut Vec<String>,
        ) {
            match node {
                Value::Object(map) => {
                    if problem(path, map) {
                        found.push(path.to_owned());
                    }
                    for (key, value) in map {
                        walk(value, &format!("{path}/{key}"), problem, found);
                    }
                }
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .for_each(|(i, item)| walk(item, &format!("{path}/{i}"), problem, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&schema(), "", &problem, &mut found);
        found
    }

    /// Every unsigned field has bounds its Rust type holds, so no number the schema accepts
    /// fails when the model is read (an error there has no place in the file to point at).
    #[test]
    fn every_unsigned_integer_is_bounded_by_the_schema() {
        let problems = schema_objects_where(|_, map| {
            let limit = match map.get("format").and_then(Value::as_str) {
                Some("uint16") => u64::from(u16::MAX),
                Some("uint32") => u64::from(u32::MAX),
                Some("uint8") => u64::from(u8::MAX),
                _ => return false,
            };
            let max = map.get("maximum").and_then(Value::as_u64);
            let min = map.get("minimum").and_then(Value::as_u64);
            max.is_none_or(|max| max > limit) || min.is_none()
        });
        assert!(problems.is_empty(), "unbounded: {problems:?}");
    }

    /// Every signed integer setting has a maximum an int32 holds (Kubernetes reads counts such
    /// as `maxUnavailable` as int32, and the API server rejects more), except a config value,
    /// which becomes a string in the environment.
    #[test]
    fn every_signed_integer_fits_an_int32() {
        let problems = schema_objects_where(|path, map| {
            let signed = map.get("format").and_then(Value::as_str) == Some("int64");
            let max = map.get("maximum").and_then(Value::as_i64);
            signed
                && !path.starts_with("/$defs/ConfigValue/")
                && max.is_none_or(|max| max > i64::from(i32::MAX))
        });
        assert!(problems.is_empty(), "beyond an int32: {problems:?}");
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
