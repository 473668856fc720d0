//! Stage 7: parse every rendered file back and check it has the shape its kind needs, before
//! anything is written. A template bug becomes an error here, never a broken file on disk.

mod block;

use std::collections::HashMap;
use std::ops::Range;

use serde::de::IgnoredAny;
use serde_json::Value;

use crate::diagnostics::SourceFile;
use crate::render::RenderedFile;

/// A parsed document, as the shape checks read it: from the fast block-YAML reader or from a
/// full parser.
trait Tree: Sized {
    /// The value under `key` of a mapping.
    fn get(&self, key: &str) -> Option<&Self>;
    /// The items of a sequence.
    fn items(&self) -> Option<&[Self]>;
    /// The text of a string scalar.
    fn text(&self) -> Option<&str>;
}

impl Tree for Value {
    fn get(&self, key: &str) -> Option<&Self> {
        Value::get(self, key)
    }
    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
}

impl<'a> Tree for block::Node<'a> {
    fn get(&self, key: &str) -> Option<&Self> {
        block::Node::get(self, key)
    }
    fn items(&self) -> Option<&[Self]> {
        block::Node::items(self)
    }
    fn text(&self) -> Option<&str> {
        block::Node::text(self)
    }
}

/// Kinds that live outside any namespace.
const CLUSTER_SCOPED: &[&str] = &["Namespace"];

/// What is wrong with a rendered file, and where when a parser says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// What is wrong (`no \`metadata.name\``, a parser's message).
    pub what: String,
    /// The one-based line and column, when known.
    pub at: Option<(usize, usize)>,
}

impl Broken {
    /// The lines of `content` (the broken file's) around the place, named `path`, with the
    /// span of the place in them.
    pub fn excerpt(&self, path: &str, content: &str) -> Option<(SourceFile, Range<usize>)> {
        let (line, column) = self.at?;
        SourceFile::excerpt(path, content, line, column, 2)
    }
}

fn broken(what: impl std::fmt::Display) -> Broken {
    Broken {
        what: what.to_string(),
        at: None,
    }
}

/// A JSON parser's error, at its place.
fn broken_json(error: &serde_json::Error) -> Broken {
    let text = error.to_string();
    // `… at line 3 column 7`: the place is given apart.
    let what = match text.rfind(" at line ") {
        Some(i) if error.line() > 0 => text[..i].to_owned(),
        _ => text,
    };
    Broken {
        what,
        at: (error.line() > 0).then(|| (error.line(), error.column().max(1))),
    }
}

/// A YAML parser's error, at its place.
fn broken_yaml(error: &serde_saphyr::Error) -> Broken {
    let error = error.without_snippet();
    let text = error.to_string();
    let at = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as usize, (l.column() as usize).max(1)));
    // `… at line 3, column 7` (without the snippet): the place is given apart.
    let what = at
        .and_then(|(line, column)| text.strip_suffix(&format!(" at line {line}, column {column}")))
        .unwrap_or(&text);
    // The parser's advice on its own options is not for whoever wrote the template.
    let what = what
        .strip_suffix(", set DuplicateKeyPolicy in Options if acceptable")
        .unwrap_or(what)
        .to_owned();
    Broken { what, at }
}

/// Parses one file back according to its type.
pub fn verify_file(file: &RenderedFile) -> Result<(), Broken> {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    if name.ends_with(".json") {
        // Parsed in full (every value read and checked) but kept only as far as the shape
        // checks look: a dashboard's top-level keys.
        if file.path.contains("/grafana/dashboards/") {
            let top: HashMap<String, IgnoredAny> =
                serde_json::from_str(&file.content).map_err(|e| broken_json(&e))?;
            verify_dashboard(&top)?;
        } else {
            serde_json::from_str::<IgnoredAny>(&file.content).map_err(|e| broken_json(&e))?;
        }
        return Ok(());
    }
    if name.ends_with(".sh") {
        return verify_script(file);
    }
    if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
        return Ok(());
    }
    // The fast reader vouches only for what it reads and finds in shape; anything else is
    // for the full parser to accept or to report.
    let fast = match shape_depth(&file.path) {
        Some(depth) => {
            block::parse_to(&file.content, depth).is_some_and(|doc| check_yaml(file, &doc).is_ok())
        }
        None => block::accepts(&file.content),
    };
    if fast {
        return Ok(());
    }
    let value: Value = serde_saphyr::from_str(&file.content).map_err(|e| broken_yaml(&e))?;
    check_yaml(file, &value)
}

/// A shell script runs with bash (the documented `bash <script>`, and the shebang says so) and
/// stops at the first failing command, unset variable or failing pipeline stage: the
/// reference's `scale.sh` ran on after failures.
fn verify_script(file: &RenderedFile) -> Result<(), Broken> {
    let mut lines = file.content.lines();
    if lines.next() != Some("#!/usr/bin/env bash") {
        return Err(broken("a script must start with `#!/usr/bin/env bash`"));
    }
    if !lines.any(|line| line == "set -euo pipefail") {
        return Err(broken(
            "a script must say `set -euo pipefail` on a line of its own",
        ));
    }
    Ok(())
}

/// The shape a YAML file's kind needs.
fn check_yaml(file: &RenderedFile, doc: &impl Tree) -> Result<(), Broken> {
    if is_kubernetes_object(&file.path) {
        verify_kubernetes_object(doc)?;
    }
    if is_rule_file(&file.path) {
        verify_rule_file(doc)?;
    }
    Ok(())
}

/// How deep the shape checks of a file's kind look, for the fast reader to build its tree no
/// further; `None` for a file without shape checks. A check that looks deeper must say so here.
fn shape_depth(path: &str) -> Option<usize> {
    // `metadata.name`: the document, `metadata`, `name`.
    const KUBERNETES: usize = 2;
    // `groups[].rules[].expr`: the document, `groups`, a group, `rules`, a rule, `expr`.
    const RULES: usize = 5;
    let rules = is_rule_file(path).then_some(RULES);
    rules.max(is_kubernetes_object(path).then_some(KUBERNETES))
}

fn is_kubernetes_object(path: &str) -> bool {
    path.contains("/kubernetes/")
}

fn is_rule_file(path: &str) -> bool {
    path.contains("/prometheus/rules/")
}

/// A Prometheus rules file: groups of rules that each record or alert on an expression.
fn verify_rule_file(value: &impl Tree) -> Result<(), Broken> {
    let groups = value
        .get("groups")
        .and_then(Tree::items)
        .ok_or_else(|| broken("a rules file without `groups`"))?;
    for group in groups {
        let rules = group
            .get("rules")
            .and_then(Tree::items)
            .ok_or_else(|| broken("a rule group without `rules`"))?;
        for rule in rules {
            let named = rule.get("record").is_some() != rule.get("alert").is_some();
            if !named || rule.get("expr").and_then(Tree::text).is_none() {
                return Err(broken("a rule needs `expr` and one of `record`, `alert`"));
            }
        }
    }
    Ok(())
}

/// A Grafana dashboard: the bare model file provisioning loads, with a stable uid.
fn verify_dashboard(top: &HashMap<String, IgnoredAny>) -> Result<(), Broken> {
    if top.contains_key("dashboard") {
        return Err(broken("a dashboard wrapped in the HTTP API envelope"));
    }
    for key in ["uid", "title", "schemaVersion", "panels"] {
        if !top.contains_key(key) {
            return Err(broken(format!("a dashboard without `{key}`")));
        }
    }
    Ok(())
}

fn verify_kubernetes_object(value: &impl Tree) -> Result<(), Broken> {
    let text = |path: &[&str]| {
        path.iter()
            .try_fold(value, |node, key| node.get(key))
            .and_then(Tree::text)
    };
    let kind = text(&["kind"]).ok_or_else(|| broken("no `kind`"))?;
    text(&["apiVersion"]).ok_or_else(|| broken("no `apiVersion`"))?;
    if kind == "Kustomization" {
        return match value.get("resources").and_then(Tree::items) {
            Some(_) => Ok(()),
            None => Err(broken("a Kustomization without `resources`")),
        };
    }
    text(&["metadata", "name"]).ok_or_else(|| broken("no `metadata.name`"))?;
    if !CLUSTER_SCOPED.contains(&kind) && text(&["metadata", "namespace"]).is_none() {
        return Err(broken(format!("{kind} without `metadata.namespace`")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> RenderedFile {
        RenderedFile {
            path: path.to_owned(),
            content: content.to_owned(),
        }
    }

    #[test]
    fn accepts_a_namespaced_object() {
        let f = file(
            "p/kubernetes/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: b\n",
        );
        assert!(verify_file(&f).is_ok());
    }

    #[test]
    fn a_dashboard_needs_its_model_keys_and_no_envelope() {
        let path = "p/grafana/dashboards/a.json";
        let good = r#"{"uid": "a", "title": "A", "schemaVersion": 42, "panels": [{"x": [1, 2.5e3, null]}]}"#;
        assert!(verify_file(&file(path, good)).is_ok());
        let enveloped = format!(r#"{{"dashboard": {good}}}"#);
        assert!(verify_file(&file(path, &enveloped)).is_err());
        let no_panels = r#"{"uid": "a", "title": "A", "schemaVersion": 42}"#;
        assert!(verify_file(&file(path, no_panels)).is_err());
    }

    #[test]
    fn json_is_read_in_full_though_only_the_top_is_kept() {
        let top = r#""uid": "a", "title": "A", "schemaVersion": 42, "panels": []"#;
        for broken_value in [r#""bad \q escape""#, "\"a raw\ttab\"", "01", "[1,]", "tru"] {
            let dashboard = format!(r#"{{{top}, "x": {{"deep": [{broken_value}]}}}}"#);
            assert!(
                verify_file(&file("p/grafana/dashboards/a.json", &dashboard)).is_err(),
                "{dashboard}"
            );
            let other = format!(r#"{{"deep": [{broken_value}]}}"#);
            assert!(verify_file(&file("x.json", &other)).is_err(), "{other}");
        }
        assert!(
            verify_file(&file("x.json", "[1] 2")).is_err(),
            "trailing content"
        );
        assert!(verify_file(&file("x.json", r#"{"a": [1, {"b": "\u00e9"}]}"#)).is_ok());
    }

    #[test]
    fn a_script_needs_bash_and_strict_mode() {
        let good = "#!/usr/bin/env bash\n# Code generated\nset -euo pipefail\necho hi\n";
        assert!(verify_file(&file("p/scripts/a.sh", good)).is_ok());
        let sh = good.replace("env bash", "env sh");
        assert!(verify_file(&file("p/scripts/a.sh", &sh)).is_err());
        let lax = good.replace("set -euo pipefail", "set -e");
        assert!(verify_file(&file("p/scripts/a.sh", &lax)).is_err());
    }

    #[test]
    fn rejects_broken_yaml_and_missing_fields() {
        assert!(verify_file(&file("p/kubernetes/a.yaml", "a: [\n")).is_err());
        let no_ns = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        assert!(verify_file(&file("p/kubernetes/a.yaml", no_ns)).is_err());
        assert!(verify_file(&file("x.json", "{")).is_err());
    }

    #[test]
    fn a_parser_error_gives_its_place_apart_from_what_is_wrong() {
        let yaml = "a: 1\nb: [2\nc: 3\n";
        let Err(broken) = verify_file(&file("p/x.yaml", yaml)) else {
            panic!("broken");
        };
        assert_eq!(broken.at.map(|(line, _)| line), Some(3), "{broken:?}");
        assert!(!broken.what.contains("line"), "{broken:?}");
        assert!(!broken.what.is_empty());
        let duplicate = "a: 1\na: 2\n";
        let Err(broken) = verify_file(&file("p/x.yaml", duplicate)) else {
            panic!("broken");
        };
        assert_eq!(broken.at, Some((2, 1)), "{broken:?}");
        assert!(
            broken.what.starts_with("duplicate mapping key"),
            "{broken:?}"
        );
        assert!(!broken.what.contains("Options"), "{broken:?}");
        let Err(broken) = verify_file(&file("x.json", "{\n  \"a\": [1,]\n}")) else {
            panic!("broken");
        };
        assert_eq!(broken.at, Some((2, 11)), "{broken:?}");
        assert_eq!(broken.what, "expected value");
        let (excerpt, span) = broken
            .excerpt("<rendered>/x.json", "{\n  \"a\": [1,]\n}")
            .expect("excerpt");
        assert_eq!(&excerpt.text[span], "]");
        // A shape check has no place.
        let no_ns = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        let Err(broken) = verify_file(&file("p/kubernetes/a.yaml", no_ns)) else {
            panic!("broken");
        };
        assert_eq!(broken.what, "ConfigMap without `metadata.namespace`");
        assert_eq!(broken.at, None);
    }
}
