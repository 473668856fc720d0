//! What the schema says about one place in the document: the schema nodes that describe the
//! value at a JSON pointer, and the facts diagnostics are written from (accepted types, range,
//! allowed values, description, keys).

use serde_json::Value;

use super::committed_schema;

/// Resolves a `$ref` in the schema to its target.
fn deref(root: &'static Value, node: &'static Value) -> &'static Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .map_or(node, |target| deref(root, target)),
        None => node,
    }
}

/// `node` and everything it stands for: its `$ref` target and its `anyOf`/`oneOf`/`allOf`
/// branches, recursively. The node itself comes first, so its description wins.
fn expand(root: &'static Value, node: &'static Value, out: &mut Vec<&'static Value>) {
    out.push(node);
    if node.get("$ref").is_some() {
        expand(root, deref(root, node), out);
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        for branch in node
            .get(keyword)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            expand(root, branch, out);
        }
    }
}

/// The schema nodes that describe the value at an instance `pointer` (`/services/api/port`),
/// the property's own node first. Empty when the schema has no place for it.
pub fn nodes_at(pointer: &str) -> Vec<&'static Value> {
    let root = committed_schema();
    let mut nodes = Vec::new();
    expand(root, root, &mut nodes);
    for segment in pointer.split('/').skip(1) {
        let segment = crate::load::pointer_unescape(segment);
        let mut next = Vec::new();
        for node in &nodes {
            let child = node
                .get("properties")
                .and_then(|p| p.get(&segment))
                .or_else(|| node.get("additionalProperties").filter(|v| v.is_object()))
                .or_else(|| {
                    node.get("items")
                        .filter(|v| v.is_object() && segment.parse::<usize>().is_ok())
                });
            if let Some(child) = child {
                expand(root, child, &mut next);
            }
        }
        nodes = next;
    }
    nodes
}

/// Facts about one place in the schema, gathered over all its nodes.
#[derive(Debug, Default)]
pub struct Place {
    /// Every node describing it.
    pub nodes: Vec<&'static Value>,
}

impl Place {
    /// The place of the value at `pointer`.
    pub fn at(pointer: &str) -> Self {
        Self {
            nodes: nodes_at(pointer),
        }
    }

    /// The JSON types the schema names here (`integer`, `string`, …), without `null`.
    pub fn types(&self) -> Vec<&'static str> {
        let mut types = Vec::new();
        for node in &self.nodes {
            let named: Vec<&str> = match node.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for t in named {
                if t != "null" && !types.contains(&t) {
                    types.push(t);
                }
            }
        }
        // Constants and enums of strings are strings.
        if self.allowed_values().iter().any(Value::is_string) && !types.contains(&"string") {
            types.push("string");
        }
        types
    }

    /// Whether a number here must be an integer (no branch takes any number).
    pub fn integer_only(&self) -> bool {
        let types = self.types();
        types.contains(&"integer") && !types.contains(&"number")
    }

    /// Whether the schema takes a number (integer or not) here.
    pub fn takes_numbers(&self) -> bool {
        let types = self.types();
        types.contains(&"integer") || types.contains(&"number")
    }

    fn number(&self, keyword: &str) -> Option<&'static Value> {
        self.nodes.iter().find_map(|node| node.get(keyword))
    }

    /// Whether `n` is within the bounds here (`minimum`, `exclusiveMinimum`, `maximum`,
    /// `exclusiveMaximum`; any that is absent does not bound it).
    pub fn allows(&self, n: f64) -> bool {
        let bound = |keyword: &str| self.number(keyword).and_then(Value::as_f64);
        bound("minimum").is_none_or(|min| n >= min)
            && bound("exclusiveMinimum").is_none_or(|above| n > above)
            && bound("maximum").is_none_or(|max| n <= max)
            && bound("exclusiveMaximum").is_none_or(|below| n < below)
    }

    /// The range of numbers allowed here, in words: `from 1 to 65535`, `of at least 1`,
    /// `above 0`; `None` without bounds.
    pub fn range_words(&self) -> Option<String> {
        let min = self.number("minimum");
        let above = self.number("exclusiveMinimum");
        let max = self.number("maximum");
        match (min, above, max) {
            (Some(min), _, Some(max)) => Some(format!("from {min} to {max}")),
            (None, Some(above), Some(max)) => Some(format!("above {above} and at most {max}")),
            (Some(min), _, None) => Some(format!("of at least {min}")),
            (None, Some(above), None) => Some(format!("above {above}")),
            (None, None, Some(max)) => Some(format!("of at most {max}")),
            (None, None, None) => None,
        }
    }

    /// `an integer from 1 to 65535`, `a number above 0`, `a finite number`.
    pub fn number_words(&self) -> String {
        let kind = if self.integer_only() {
            "an integer"
        } else {
            "a number"
        };
        match self.range_words() {
            Some(range) => format!("{kind} {range}"),
            None if self.integer_only() => "an integer".to_owned(),
            None => "a finite number".to_owned(),
        }
    }

    /// The values an `enum` or a `oneOf` of constants allows here.
    pub fn allowed_values(&self) -> Vec<Value> {
        let mut values = Vec::new();
        for node in &self.nodes {
            if let Some(options) = node.get("enum").and_then(Value::as_array) {
                values.extend(options.iter().cloned());
            }
            if let Some(constant) = node.get("const") {
                values.push(constant.clone());
            }
        }
        values.dedup();
        values
    }

    /// The schema's description of this place (the property's own, before its type's).
    pub fn description(&self) -> Option<&'static str> {
        self.nodes
            .iter()
            .find_map(|node| node.get("description").and_then(Value::as_str))
    }

    /// The first `pattern` the schema sets here.
    pub fn pattern(&self) -> Option<&'static str> {
        self.nodes
            .iter()
            .find_map(|node| node.get("pattern").and_then(Value::as_str))
    }

    /// The keys a table here may have, in schema order.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for node in &self.nodes {
            for key in node
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|p| p.keys())
            {
                if !keys.contains(key) {
                    keys.push(key.clone());
                }
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nodes_of_a_place_through_refs_and_optionals() {
        let port = Place::at("/services/api/port");
        assert!(port.integer_only());
        assert_eq!(port.range_words().as_deref(), Some("from 1024 to 65535"));
        let kind = Place::at("/services/api/kind");
        let kinds = kind.allowed_values();
        assert!(kinds.contains(&Value::from("web")) && kinds.contains(&Value::from("worker")));
        let min = Place::at("/services/api/env/staging/autoscaling/min");
        assert_eq!(min.number_words(), "an integer from 1 to 1000");
        let bucket = Place::at("/observability/metrics/buckets/1");
        assert!(!bucket.integer_only() && bucket.takes_numbers());
        assert_eq!(bucket.number_words(), "a number above 0");
        assert!(Place::at("/platform/config/X").takes_numbers());
        assert!(Place::at("/nowhere/at/all").nodes.is_empty());
        assert!(
            Place::at("/services/api")
                .keys()
                .contains(&"replicas".to_owned())
        );
        assert!(
            Place::at("/platform/registry")
                .description()
                .is_some_and(|d| d.starts_with("Container registry"))
        );
    }
}
