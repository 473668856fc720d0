//! The one rule of Kubernetes label keys a JSON schema pattern cannot state: the DNS-subdomain
//! prefix before `/` is at most 253 characters (the pattern checks its form, `maxLength` only
//! the whole key).

use serde_json::Value;

use super::display_path;
use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};

/// Longest DNS subdomain, the prefix of a label key.
const PREFIX_MAX: usize = 253;

/// Pointers of every label map of the document: platform and service labels, dependency
/// selectors (also per environment).
fn label_maps(doc: &Document) -> Vec<String> {
    let mut maps = vec!["/platform/labels".to_owned()];
    let names = |pointer: &str| super::keys_at(doc, pointer);
    for service in names("/services") {
        maps.push(format!("/services/{service}/labels"));
    }
    for dependency in names("/dependencies") {
        let base = format!("/dependencies/{dependency}");
        maps.push(format!("{base}/selector"));
        for env in names(&format!("{base}/env")) {
            maps.push(format!("{base}/env/{env}/selector"));
        }
    }
    maps
}

/// One diagnostic per label key whose prefix is longer than a DNS subdomain may be.
pub fn long_prefixes(doc: &Document) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for map in label_maps(doc) {
        let Some(labels) = doc.value.pointer(&map).and_then(Value::as_object) else {
            continue;
        };
        for key in labels.keys() {
            let Some((prefix, _)) = key.rsplit_once('/') else {
                continue;
            };
            let length = prefix.chars().count();
            if length > PREFIX_MAX {
                found.push(
                    Diagnostic::error(
                        "E0206",
                        format!(
                            "the prefix of label key `{key}` in `{}` is {length} characters long, longer than the {PREFIX_MAX} a DNS subdomain may be",
                            display_path(&map)
                        ),
                    )
                    .at(doc.key_span_of(&format!("{map}/{}", pointer_escape(key))))
                    .label("prefix too long")
                    .help(format!("shorten the part before `/` to at most {PREFIX_MAX} characters")),
                );
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    #[test]
    fn a_prefix_longer_than_a_dns_subdomain_is_an_error() {
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        let text = format!(
            "[platform]\nlabels = {{ \"{long}/team\" = \"x\", \"ok.example.com/team\" = \"y\" }}\n[dependencies.db.env.prod]\nselector = {{ \"{long}/app\" = \"db\" }}\n"
        );
        let doc = crate::load::load(SourceFile::new("p.toml", text)).expect("valid TOML");
        let found = long_prefixes(&doc);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].message.contains("is 255 characters long"),
            "{}",
            found[0].message
        );
        assert!(
            found[1]
                .message
                .contains("`dependencies.db.env.prod.selector`")
        );
        let span = found[0].span.clone().expect("a span");
        assert!(doc.source.text[span].starts_with("\"aaa"));
    }
}
