//! URL paths: which character of a path the schema's pattern refused (it says only that the
//! path does not match), and the empty, `.` and `..` segments Kubernetes rejects in an Ingress
//! `Prefix` path, which the pattern lets through.

use serde_json::Value;

use super::display_path;
use crate::diagnostics::Diagnostic;
use crate::load::Document;

/// The characters a URL path takes besides ASCII letters and digits (`PATH_PATTERN`).
const PUNCTUATION: &str = "._~/-";

/// What Kubernetes rejects in a `Prefix` (or `Exact`) Ingress path: these anywhere...
const BAD_INSIDE: &[&str] = &["//", "/./", "/../"];
/// ...and these at its end.
const BAD_ENDINGS: &[&str] = &["/..", "/."];

/// The first character of `path` no URL path takes, if any.
fn bad_character(path: &str) -> Option<char> {
    path.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || PUNCTUATION.contains(*c)))
}

/// A character as a person can read it in a message: invisible ones by their code point.
fn shown(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_whitespace() || c.is_control() => format!("U+{:04X}", u32::from(c)),
        c => {
            let escaped = c.escape_debug().to_string();
            if escaped.starts_with('\\') && c != '\\' {
                format!("U+{:04X}", u32::from(c))
            } else {
                format!("`{escaped}`")
            }
        }
    }
}

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

/// Corrections of a value that is not a URL path, each of which means what it most likely
/// meant: the value trimmed and made absolute (`health/live` → `/health/live`), or the path of
/// a whole URL, with empty, `.` and `..` segments resolved. Nothing is dropped or replaced (a
/// space, a `ü`, a query or a `%2F` has no right replacement).
pub fn candidates(text: &str) -> Vec<String> {
    let text = text.trim();
    let path = match text.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => text,
    };
    let absolute = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    vec![normalized(&absolute)]
}

/// What is wrong with a value that is not a URL path, and how to write one: the first
/// character no path takes, when it starts with `/`; else that it must (`rule_help`). `fix` is
/// a corrected value, when one is right.
pub fn path_help(found: &str, rule_help: &str, fix: Option<String>) -> (String, String) {
    let fix = fix
        .map(|fixed| format!(": try `{fixed}`"))
        .unwrap_or_default();
    match bad_character(found) {
        Some(c) if found.starts_with('/') => (
            format!(
                "is not a URL path platgen accepts: {} is not allowed in one",
                shown(c)
            ),
            format!(
                "a path takes only ASCII letters, digits and `.`, `_`, `~`, `-`, `/` (`A-Za-z0-9._~/-`): no spaces, non-ASCII characters, query (`?`), fragment (`#`), `:`, `@` or percent-encoding (`%`){fix}"
            ),
        ),
        _ => (
            "is not an absolute URL path".to_owned(),
            format!("{rule_help}{fix}"),
        ),
    }
}

/// One diagnostic per `expose.path` Kubernetes would reject in an Ingress, among those
/// `unflagged` (the schema did not already reject them).
pub fn ingress_paths(doc: &Document, unflagged: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for field in super::service_setting_fields(doc, "expose/path") {
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
    use crate::model::spec::PATH_PATTERN;

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

    const HELP: &str = "start it with `/`";

    #[test]
    fn the_help_names_the_character_and_suggests_only_a_right_path() {
        for (found, shown) in [
            ("/ü", "`ü`"),
            ("/a?x=1", "`?`"),
            ("/a:b", "`:`"),
            ("/a@b", "`@`"),
            ("/v1%2Fx", "`%`"),
            ("/a b", "a space"),
            ("/a\u{200b}b", "U+200B"),
        ] {
            let (what, help) = path_help(found, HELP, None);
            assert_eq!(
                what,
                format!("is not a URL path platgen accepts: {shown} is not allowed in one")
            );
            assert!(help.contains("(`A-Za-z0-9._~/-`)"), "{help}");
            assert!(!help.contains("start it with"), "{help}");
        }
        let (what, help) = path_help("health/live", HELP, Some("/health/live".to_owned()));
        assert_eq!(what, "is not an absolute URL path");
        assert_eq!(help, format!("{HELP}: try `/health/live`"));
        assert_eq!(candidates(" health//live "), ["/health/live"]);
        assert_eq!(candidates("https://example.com/v1/./x"), ["/v1/x"]);
        assert_eq!(candidates("/a b"), ["/a b"]);
    }

    /// A path is corrected only where the correction means the same: never by dropping or
    /// replacing a character.
    #[test]
    fn path_corrections_keep_the_path() {
        let fix = |found| super::super::patterns::fixed_for(Some(PATH_PATTERN), found);
        assert_eq!(fix("v1").as_deref(), Some("/v1"));
        assert_eq!(fix(" /v1 ").as_deref(), Some("/v1"));
        for unfixable in ["/a b", "/ü", "/a?x=1", "/v1%2Fx", "/a:b", "/a@b"] {
            assert_eq!(fix(unfixable), None, "{unfixable}");
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
