//! A value built in Rust that reaches a template without first becoming a template value.
//!
//! Converting a large structure (a Grafana dashboard) into minijinja values only for `tojson` to
//! serialise them again costs more than rendering it. A [`Typed`] value keeps the structure as
//! built: `tojson` and `yaml` serialise it straight from its Rust type (the same bytes as from
//! the converted value: see [`crate::render::yaml::block_of`] for what that asks of its maps),
//! and a template (or a `--templates` override) that looks inside it gets the converted value,
//! made once on first use.

use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde::Serialize;

use super::yaml;

/// What a template may ask of the structure, whatever its type.
trait Structure: Send + Sync {
    fn json(&self, indent: Option<usize>) -> serde_json::Result<String>;
    fn yaml(&self, indent: usize) -> Result<String, String>;
    fn to_value(&self) -> Value;
}

impl<T: Serialize + Send + Sync> Structure for T {
    fn json(&self, indent: Option<usize>) -> serde_json::Result<String> {
        json(self, indent)
    }
    fn yaml(&self, indent: usize) -> Result<String, String> {
        yaml::block_of(self, indent)
    }
    fn to_value(&self) -> Value {
        Value::from(minijinja::value::Serde(self))
    }
}

/// A Rust structure as a template value (see the module documentation).
pub struct Typed {
    structure: Box<dyn Structure>,
    converted: OnceLock<Value>,
}

impl Typed {
    /// `value` as a template value that `tojson` and `yaml` serialise directly.
    pub fn value<T: Serialize + Send + Sync + 'static>(value: T) -> Value {
        Value::from_object(Self {
            structure: Box::new(value),
            converted: OnceLock::new(),
        })
    }

    /// The structure as JSON (what `tojson` prints).
    pub fn json(&self, indent: Option<usize>) -> serde_json::Result<String> {
        self.structure.json(indent)
    }

    /// The structure as block YAML (what `yaml(indent=…)` prints).
    pub fn yaml(&self, indent: usize) -> Result<String, String> {
        self.structure.yaml(indent)
    }

    /// The structure as an ordinary template value, converted on first use.
    fn value_of(&self) -> &Value {
        self.converted.get_or_init(|| self.structure.to_value())
    }

    /// [`Typed::value_of`] as an object (a map or a sequence), which is what a structure is.
    fn converted(&self) -> Option<&minijinja::value::DynObject> {
        self.value_of().as_object()
    }
}

/// `value` as JSON: compact, or pretty with `indent` spaces.
pub fn json(value: &impl Serialize, indent: Option<usize>) -> serde_json::Result<String> {
    match indent {
        None => serde_json::to_string(value),
        Some(width) => {
            let pad = vec![b' '; width];
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(&pad);
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            value.serialize(&mut serializer)?;
            // serde_json writes UTF-8 only: the bytes become the string without a copy.
            String::from_utf8(out).map_err(serde::ser::Error::custom)
        }
    }
}

impl std::fmt::Debug for Typed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<typed value>")
    }
}

impl Object for Typed {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        self.converted().map_or(ObjectRepr::Plain, |o| o.repr())
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.converted()?.get_value(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.converted()
            .map_or(Enumerator::NonEnumerable, |o| o.enumerate())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        self.converted()?.enumerator_len()
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.value_of().is_true()
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.value_of(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Renderer, TemplateSource};

    #[derive(Serialize)]
    struct Panel {
        title: String,
        targets: Vec<u32>,
        extra: serde_json::Value,
    }

    fn sample() -> Panel {
        Panel {
            title: "a \"quoted\" title".to_owned(),
            targets: vec![3, 1, 2],
            // An inserted-order map, as the dashboards build them.
            extra: serde_json::json!({"zeta": 1, "alpha": [true, null, 0.5]}),
        }
    }

    fn render(template: &str, value: Value) -> String {
        let mut env = minijinja::Environment::new();
        env.add_filter("tojson", super::super::json_filter);
        env.add_filter("yaml", super::super::yaml_filter);
        env.render_str(template, minijinja::context! { p => value })
            .expect("renders")
    }

    /// `yaml` writes a typed value from its Rust type, the same text as from the converted
    /// value; what the direct walk refuses fails the render, naming why.
    #[test]
    fn yaml_serialises_the_rust_structure_itself() {
        #[derive(Serialize)]
        struct Rules {
            labels: std::collections::BTreeMap<String, String>,
            targets: Vec<u32>,
        }
        let sample = || Rules {
            labels: [("b", "2"), ("a", "yes")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            targets: vec![3, 1],
        };
        let direct = yaml::block_of(&sample(), 2).expect("written");
        assert_eq!(
            render("{{ p | yaml(indent=2) }}", Typed::value(sample())),
            direct
        );
        assert_eq!(
            render(
                "{{ p | yaml(indent=2) }}",
                Value::from(minijinja::value::Serde(&sample()))
            ),
            direct
        );
        let mut env = minijinja::Environment::new();
        env.add_filter("yaml", super::super::yaml_filter);
        let unsorted = Typed::value(indexmap::IndexMap::from([("b", 1), ("a", 2)]));
        let error = env
            .render_str("{{ p | yaml }}", minijinja::context! { p => unsorted })
            .expect_err("refused");
        assert!(error.to_string().contains("comes after"), "{error}");
    }

    #[test]
    fn tojson_serialises_the_rust_structure_itself() {
        let direct = json(&sample(), Some(2)).expect("json");
        assert_eq!(
            render("{{ p | tojson(indent=2) }}", Typed::value(sample())),
            direct
        );
        assert_eq!(
            render("{{ p | tojson }}", Typed::value(sample())),
            serde_json::to_string(&sample()).expect("json")
        );
        assert!(direct.find("zeta") < direct.find("alpha"), "{direct}");
    }

    #[test]
    fn a_template_that_looks_inside_sees_the_converted_value() {
        let template = "{{ p.title }}|{{ p.targets | length }}|{% for t in p.targets %}{{ t }}{% endfor %}|{{ p.extra.alpha[2] }}|{% for k in p %}{{ k }},{% endfor %}|{{ p is mapping }}|{{ 'y' if p else 'n' }}";
        assert_eq!(
            render(template, Typed::value(sample())),
            render(template, Value::from(minijinja::value::Serde(&sample())))
        );
        assert_eq!(
            render(template, Typed::value(sample())),
            "a \"quoted\" title|3|312|0.5|title,targets,extra,|True|y"
        );
    }

    #[test]
    fn a_typed_value_prints_as_its_converted_value() {
        for template in ["{{ p }}", "{{ p.targets }}", "{{ 'y' if p else 'n' }}"] {
            assert_eq!(
                render(template, Typed::value(sample())),
                render(template, Value::from(minijinja::value::Serde(&sample()))),
                "{template}"
            );
        }
        assert_eq!(render("{{ p }}", Typed::value("plain")), "plain");
        assert_eq!(render("{{ 'y' if p else 'n' }}", Typed::value(0)), "n");
    }

    #[test]
    fn the_embedded_dashboard_template_prints_a_typed_value_as_json() {
        let renderer = Renderer::new(&TemplateSource::default()).expect("renderer");
        let artifact = crate::plan::Artifact {
            path: "e/grafana/dashboards/a.json".to_owned(),
            template: "grafana/dashboard.json".to_owned(),
            context: Value::from_pairs([("dashboard", Typed::value(sample()))]).into(),
            inputs: Default::default(),
        };
        let file = renderer
            .render_artifact(&artifact)
            .expect("renders")
            .expect("a file");
        assert_eq!(
            file.content.trim_end(),
            json(&sample(), Some(2)).expect("json")
        );
    }
}
