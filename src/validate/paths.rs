//! Ingress paths: the empty, `.` and `..` segments Kubernetes rejects in an Ingress `Prefix`
//! path, which the schema's pattern lets through.

use serde_json::Value;

use super::display_path;
use crate::diagnostics::Diagnostic;
use crate::load::Document;

/// What Kubernetes rejects in a `Prefix` (or `Exact`) Ingress path: these anywhere...
const BAD_INSIDE: &[&str] = &["//", "/./", "/../"];
/// ...and these at its end.
const BAD_ENDINGS: &[&str] = &["/..", "/."];

/// The part of `path` Kubernetes rejects in a `Prefix` Ingress path: `//`, `/./` or `/../`
/// inside it, or `/.` or `/..` at its end.
fn bad_sequence(path: &str) -> Option<&'static str> {
    let inside = BAD_INSIDE.iter().find(|bad| path.contains(*bad));
    let ending = || BAD_ENDINGS.iter().find(|bad| path.ends_with(*bad));
    inside.or_else(ending).copied()
}

/// `path` with its empty, `.` and `..` segments resolved as a client resolves them before it
/// sends a request: `//v1` → `/v1`, `/a/../b` → `/b`, `/.` → `/`. A trailing `/` is kept.
fn normalized(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    let trailing = path.ends_with('/') && !segments.is_empty();
    format!("/{}{}", segments.join("/"), if trailing { "/" } else { "" })
}

/// Pointers of every `expose.path` of the document: a service's own, per environment, and
/// each environment's `service_overrides`.
fn expose_path_fields(doc: &Document) -> Vec<String> {
    let names = |pointer: &str| super::keys_at(doc, pointer);
    let mut fields = Vec::new();
    for env in names("/environments") {
        fields.push(format!("/environments/{env}/service_overrides/expose/path"));
    }
    for service in names("/services") {
        let base = format!("/services/{service}");
        fields.push(format!("{base}/expose/path"));
        for env in names(&format!("{base}/env")) {
            fields.push(format!("{base}/env/{env}/expose/path"));
        }
    }
    fields
}

/// One diagnostic per `expose.path` Kubernetes would reject in an Ingress, among those
/// `unflagged` (the schema did not already reject them).
pub fn ingress_paths(doc: &Document, unflagged: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for field in expose_path_fields(doc) {
        let Some(path) = doc.value.pointer(&field).and_then(Value::as_str) else {
            continue;
        };
        let Some(bad) = bad_sequence(path).filter(|_| unflagged(&field)) else {
            continue;
        };
        let place = if path.ends_with(bad) && !path.contains(&format!("{bad}/")) {
            format!("ends with `{bad}`")
        } else {
            format!("contains `{bad}`")
        };
        found.push(
            Diagnostic::error(
                "E0205",
                format!(
                    "`{}`: \"{path}\" is not an Ingress path: it {place}",
                    display_path(&field)
                ),
            )
            .at(doc.span_of(&field))
            .label("an empty, `.` or `..` segment")
            .help(format!(
                "Kubernetes rejects a `Prefix` path containing `//`, `/./` or `/../` or ending in `/.` or `/..`: try `{}`",
                normalized(path)
            )),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    #[test]
    fn dot_and_empty_segments_are_found_and_resolved() {
        let cases = [
            ("//v1", Some("//"), "/v1"),
            ("/a/../b", Some("/../"), "/b"),
            ("/.", Some("/."), "/"),
            ("/a/./b", Some("/./"), "/a/b"),
            ("/a/..", Some("/.."), "/"),
            ("/v1/", None, "/v1/"),
            ("/a/.well-known/...", None, "/a/.well-known/..."),
            ("/", None, "/"),
        ];
        for (path, bad, fixed) in cases {
            assert_eq!(bad_sequence(path), bad, "{path}");
            assert_eq!(normalized(path), fixed, "{path}");
        }
    }

    #[test]
    fn each_expose_path_kubernetes_rejects_is_an_error() {
        let text = "[environments.production]\nservice_overrides = { expose = { path = \"/.\" } }\n\
                    [services.api]\nexpose = { path = \"//v1\" }\n\
                    [services.api.env.staging]\nexpose = { path = \"/a/../b\" }\n\
                    [services.web]\nexpose = { path = \"/v1/\" }\n";
        let doc =
            crate::load::load(SourceFile::new("p.toml", text.to_owned())).expect("valid TOML");
        let found: Vec<(String, String)> = ingress_paths(&doc, |_| true)
            .into_iter()
            .map(|d| (d.message, d.help.map(String::from).unwrap_or_default()))
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(
            found[0].0,
            "`environments.production.service_overrides.expose.path`: \"/.\" is not an Ingress path: it ends with `/.`"
        );
        assert!(found[0].1.ends_with("try `/`"), "{}", found[0].1);
        assert_eq!(
            found[1].0,
            "`services.api.expose.path`: \"//v1\" is not an Ingress path: it contains `//`"
        );
        assert!(found[1].1.ends_with("try `/v1`"));
        assert!(
            found[2]
                .0
                .contains("\"/a/../b\" is not an Ingress path: it contains `/../`")
        );
        assert!(found[2].1.ends_with("try `/b`"));
        // A path the schema already rejected is not reported twice.
        assert!(ingress_paths(&doc, |_| false).is_empty());
    }
}
