//! Label maps: every key and value must be one Kubernetes accepts, and the labels platgen sets
//! itself cannot be set by hand (they would be overwritten, silently).

use schemars::{Schema, SchemaGenerator, json_schema};

use super::{LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN};

/// The label naming the platform an object is part of.
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// The label saying platgen manages an object (its value is `platgen`).
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// The labels platgen puts on every object of a service (`src/resolve/service.rs`).
pub const RESERVED_LABELS: &[&str] = &["app", "app.kubernetes.io/name", PART_OF, MANAGED_BY];

/// Longest label key: a 253-character DNS-subdomain prefix, `/` and a 63-character name.
pub const LABEL_KEY_MAX: u64 = 253 + 1 + 63;
/// Longest label value (and name part of a key).
pub const LABEL_VALUE_MAX: u64 = 63;

fn label_value() -> serde_json::Value {
    serde_json::json!({
        "type": "string",
        "pattern": LABEL_VALUE_PATTERN,
        "maxLength": LABEL_VALUE_MAX,
    })
}

/// Labels platgen adds to a service's objects: valid Kubernetes labels, none of the reserved.
pub(crate) fn service_labels_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": {
            "pattern": LABEL_KEY_PATTERN,
            "maxLength": LABEL_KEY_MAX,
            "not": { "enum": RESERVED_LABELS },
        },
        "additionalProperties": label_value(),
    })
}

/// Labels that select existing pods (a dependency's): valid Kubernetes labels.
pub(crate) fn selector_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["object", "null"],
        // An empty selector selects every pod: the network policy would open to all of them.
        "minProperties": 1,
        "propertyNames": {
            "pattern": LABEL_KEY_PATTERN,
            "maxLength": LABEL_KEY_MAX,
        },
        "additionalProperties": label_value(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    /// The reserved labels are exactly those resolve adds to a service's own.
    #[test]
    fn reserved_labels_are_the_ones_platgen_sets() {
        let text = include_str!("../../../tests/fixtures/small.toml");
        let (_, platform) = crate::analyse(SourceFile::new("small.toml", text))
            .unwrap_or_else(|_| panic!("the small platform is valid"));
        let service = &platform.environments[0].services[0];
        let mut added: Vec<&str> = service.labels.keys().map(String::as_str).collect();
        added.sort_unstable();
        let mut reserved = RESERVED_LABELS.to_vec();
        reserved.sort_unstable();
        assert_eq!(added, reserved);
    }
}
