//! Schema errors as diagnostics: each at the offending key or value, saying what is wrong in
//! the file's words and how to fix it.

use jsonschema::JsonType;
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::display_path;
use super::help::{env_name_help, name_help, type_help};
use super::patterns::{fixed_for, pattern_diagnostic};
use super::schema_nav::Place;
use crate::diagnostics::{Diagnostic, did_you_mean, or_list};
use crate::load::{Document, pointer_escape};
use crate::model::spec::{
    ENV_KEY_PATTERN, LABEL_KEY_PATTERN, NAME_PATTERN, RESERVED_LABELS, pattern_rule,
};

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
    or_list(&words)
}

/// A value of the wrong type, with the types the schema accepts there and how to write it as
/// one of them.
fn type_diagnostic(
    doc: &Document,
    pointer: &str,
    instance: &Value,
    accepted: &[JsonType],
) -> Diagnostic {
    let field = display_path(pointer);
    let span = doc.span_of(pointer);
    let raw = span.clone().and_then(|s| doc.source.text.get(s));
    let key = field.rsplit('.').next().unwrap_or_default();
    let help = type_help(&Place::at(pointer), instance, raw, key);
    Diagnostic::error(
        "E0203",
        format!(
            "wrong type for `{field}`: expected {}, found {}",
            expected_types(accepted),
            type_name(instance)
        ),
    )
    .at(span)
    .label(format!("this is {}", type_name(instance)))
    .maybe_help(help)
}

/// A table key that breaks the table's `propertyNames` rule.
fn key_diagnostic(field: &str, name: &str, kind: &ValidationErrorKind) -> Diagnostic {
    match kind {
        ValidationErrorKind::Pattern { pattern } if pattern == ENV_KEY_PATTERN => {
            Diagnostic::error("E0205", format!("invalid variable name `{name}` in {field}"))
                .label("invalid variable name")
                .help(env_name_help(name))
        }
        ValidationErrorKind::Pattern { pattern } if pattern == LABEL_KEY_PATTERN => {
            let rule = pattern_rule(pattern).map_or("", |r| r.help);
            let fix = fixed_for(Some(pattern), name)
                .map(|f| format!(": try `{f}`"))
                .unwrap_or_default();
            Diagnostic::error("E0205", format!("invalid label key {} in {field}", Value::from(name)))
                .label("invalid label key")
                .help(format!("{rule}{fix}"))
        }
        ValidationErrorKind::Pattern { pattern } if pattern != NAME_PATTERN => {
            let rule = pattern_rule(pattern);
            Diagnostic::error("E0205", format!("invalid key {} in {field}", Value::from(name)))
                .label("invalid key")
                .help(rule.map_or_else(|| format!("keys here must match `{pattern}`"), |r| r.help.to_owned()))
        }
        ValidationErrorKind::MaxLength { limit } => Diagnostic::error(
            "E0206",
            format!(
                "key `{name}` in {field} is {} characters long, longer than the {limit} allowed",
                name.chars().count()
            ),
        )
        .label("too long")
        .help(length_help(*limit)),
        ValidationErrorKind::Not { .. } if RESERVED_LABELS.contains(&name) => Diagnostic::error(
            "E0210",
            format!("label `{name}` in {field} is set by platgen itself"),
        )
        .label("platgen sets this label")
        .help(format!(
            "platgen sets {} on every object of a service (the service name, the platform name, `platgen`): remove `{name}` or use another key",
            RESERVED_LABELS
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Diagnostic::error("E0205", format!("invalid name `{name}` in {field}"))
            .label("invalid name")
            .help(name_help(name)),
    }
}

/// How to shorten a value or key to `limit` characters, and which rule sets the limit.
fn length_help(limit: u64) -> String {
    let rule = match limit {
        63 => {
            ": it becomes a Kubernetes name or label value and a DNS label, which hold at most 63"
        }
        253 => {
            ": it becomes a Kubernetes object name, ConfigMap or Secret key or a DNS name, which hold at most 253"
        }
        _ => "",
    };
    format!("shorten it to at most {limit} characters{rule}")
}

/// Where a key unknown in an environment's or a service's table belongs, when it is the
/// other's: `replicas` under `[environments.staging]` is a service setting that
/// `service_overrides` sets for every service there; `domain` under a service is the
/// environment's.
fn elsewhere(pointer: &str, key: &str) -> Option<String> {
    let mut parts = pointer.split('/').skip(1);
    let (table, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let known = |place: &str| Place::at(place).keys().iter().any(|k| k == key);
    match table {
        "environments" if known(&format!("{pointer}/service_overrides")) => Some(format!(
            "`{key}` is a service setting: for every service in `{name}`, set it in `service_overrides = {{ {key} = … }}`; for one, under `[services.<service>.env.{name}]`"
        )),
        "services" if known("/environments/x") => Some(format!(
            "`{key}` is an environment's setting: set it under `[environments.<name>]`"
        )),
        _ => None,
    }
}

/// A service table that holds nothing but per-environment overrides (`[services.apu.env.prod]`
/// alone): its name is most likely a misspelling of a service declared elsewhere, and "add
/// `kind`" would be the wrong fix. One diagnostic for the table, whatever keys it lacks.
fn overrides_only(doc: &Document, pointer: &str) -> Option<Diagnostic> {
    let name = pointer.strip_prefix("/services/")?;
    if name.contains('/') {
        return None;
    }
    let table = doc.value.pointer(pointer)?.as_object()?;
    if !table.keys().eq(["env"]) {
        return None;
    }
    let name = crate::load::pointer_unescape(name);
    let services = doc.value.get("services")?.as_object()?;
    let declared = services.iter().filter(|(other, value)| {
        **other != name && value.as_object().is_some_and(|t| !t.keys().eq(["env"]))
    });
    let meant = did_you_mean(&name, declared.map(|(other, _)| other.as_str()));
    let help = match meant {
        Some(meant) => format!(
            "did you mean `{meant}`? Write `[services.{meant}.env.<environment>]`; a new service needs `kind` and its own settings"
        ),
        None => "declare the service (`kind` and its settings) in `[services.<name>]`, or name the service the overrides are for".to_owned(),
    };
    Some(
        Diagnostic::error(
            "E0202",
            format!("service `{name}` has only per-environment overrides (`env`) and no `kind`"),
        )
        .at(doc.key_span_of(pointer))
        .label("no service of this name is declared")
        .help(help),
    )
}

/// How to add a missing key: its allowed values when it has a few, else its description.
fn required_help(pointer: &str, key: &str) -> String {
    let place = Place::at(&format!("{pointer}/{}", pointer_escape(key)));
    let values = place.allowed_values();
    if !values.is_empty() && values.len() <= 6 {
        let choices: Vec<String> = values.iter().map(|v| format!("`{key} = {v}`")).collect();
        return format!("add {}", or_list(&choices));
    }
    match place.description() {
        Some(description) => format!("add `{key} = …`: {description}"),
        None => format!("add `{key} = …`"),
    }
}

/// The diagnostics of one schema error, each at the key or value it is about.
pub fn schema_diagnostics(doc: &Document, error: &ValidationError<'_>) -> Vec<Diagnostic> {
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
        return vec![key_diagnostic(&field, name, error.kind()).at(doc.key_span_of(&child))];
    }
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| {
                let child = format!("{pointer}/{}", pointer_escape(key));
                let allowed = Place::at(&pointer).keys();
                let help = did_you_mean(key, allowed.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| elsewhere(&pointer, key))
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
            if let Some(diagnostic) = overrides_only(doc, &pointer) {
                return vec![diagnostic];
            }
            vec![
                Diagnostic::error("E0202", format!("missing required key `{key}` in {field}"))
                    .at(doc.key_span_of(&pointer).or(span))
                    .help(required_help(&pointer, key)),
            ]
        }
        ValidationErrorKind::Type { kind } => {
            vec![type_diagnostic(doc, &pointer, instance, &types_of(kind))]
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
            vec![pattern_diagnostic(&field, instance, pattern, &Place::at(&pointer)).at(span)]
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
        ValidationErrorKind::MaxLength { limit } => {
            let length = instance.as_str().map_or(0, |s| s.chars().count());
            vec![
                Diagnostic::error(
                    "E0206",
                    format!("{field} is {length} characters long, longer than the {limit} allowed"),
                )
                .at(span)
                .help(length_help(*limit)),
            ]
        }
        ValidationErrorKind::MinProperties { .. } if pointer.ends_with("/selector") => {
            vec![
                Diagnostic::error("E0207", format!("{field} must not be empty"))
                    .at(span)
                    .label("selects every pod")
                    .help("an empty selector matches every pod of the namespace, so the network policy would let the service reach all of them: name at least one label of the dependency's pods, e.g. `selector = { app = \"postgres\" }`, or remove `selector` for the default `{ app = \"<name>\" }`"),
            ]
        }
        ValidationErrorKind::MinProperties { .. }
        | ValidationErrorKind::MinItems { .. }
        | ValidationErrorKind::MinLength { .. } => {
            vec![Diagnostic::error("E0207", format!("{field} must not be empty")).at(span)]
        }
        ValidationErrorKind::MaxItems { limit } => {
            let count = instance.as_array().map_or(0, Vec::len);
            vec![
                Diagnostic::error(
                    "E0206",
                    format!("{field} has {count} entries, more than the {limit} allowed"),
                )
                .at(span)
                .help(format!("list at most {limit} entries, each once")),
            ]
        }
        ValidationErrorKind::UniqueItems => {
            let items = instance.as_array().map(Vec::as_slice).unwrap_or_default();
            let twice = (1..items.len()).find(|&i| items[..i].contains(&items[i]));
            let whole: &Value = instance;
            let (at, item) = twice.map_or((span, whole), |i| {
                (doc.span_of(&format!("{pointer}/{i}")), &items[i])
            });
            vec![
                Diagnostic::error("E0211", format!("{field} lists {item} twice"))
                    .at(at)
                    .label("listed again here")
                    .help("remove the duplicate"),
            ]
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
                return vec![type_diagnostic(doc, &pointer, instance, &accepted)];
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

    /// A table of `env` overrides alone: the declared service it likely misspells, or none.
    #[test]
    fn overrides_alone_name_the_service_they_likely_mean() {
        let found = |extra: &str| {
            let text = format!(
                "[services.api]\nkind = \"web\"\napp = \"a:b\"\n\n{extra}[services.apu.env.prod]\nreplicas = 1\n"
            );
            let doc = crate::load::load(crate::diagnostics::SourceFile::new("p.toml", text))
                .expect("valid TOML");
            overrides_only(&doc, "/services/apu").expect("reported")
        };
        let d = found("");
        assert_eq!(
            d.message,
            "service `apu` has only per-environment overrides (`env`) and no `kind`"
        );
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `api`?"))
        );
        // Nothing close: how to declare one. Another table of overrides alone is no candidate.
        let text = "[services.billing.env.prod]\nreplicas = 1\n";
        let d = found(&text.replace("billing", "apx"));
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `api`?"))
        );
        let d = {
            let text = format!("{text}[services.apu.env.prod]\nreplicas = 1\n");
            let doc = crate::load::load(crate::diagnostics::SourceFile::new("p.toml", text))
                .expect("valid TOML");
            overrides_only(&doc, "/services/apu").expect("reported")
        };
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.starts_with("declare the service")),
            "{:?}",
            d.help
        );
        // A table with settings of its own is not overrides alone.
        let doc = crate::load::load(crate::diagnostics::SourceFile::new(
            "p.toml",
            "[services.api]\nport = 1\n",
        ))
        .expect("valid TOML");
        assert!(overrides_only(&doc, "/services/api").is_none());
    }

    #[test]
    fn a_missing_choice_lists_its_values() {
        assert_eq!(
            required_help("/services/api", "kind"),
            "add `kind = \"web\"` or `kind = \"worker\"`"
        );
        assert!(
            required_help("/platform", "registry")
                .starts_with("add `registry = …`: Container registry")
        );
    }
}
