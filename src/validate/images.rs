//! Image names longer than Docker takes: the reference grammar bounds a repository name (an
//! image without its `:tag` and `@digest`) at 255 characters, which a schema pattern cannot
//! state. Each service's image is `<registry>/<service>`, so the registry must leave room for
//! the longest service name; a dependency's `image` is judged as written.

use serde_json::Value;

use super::display_path;
use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};

/// Longest repository name Docker accepts (`NameTotalLengthMax` of the reference grammar).
const NAME_MAX: usize = 255;

/// The repository name of an image reference: without its `@digest` and `:tag` (a `:` before
/// the last `/` is a registry's port).
fn repository_name(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// The longest service name of the document, the first of equally long ones.
fn longest_service(doc: &Document) -> Option<&str> {
    let services = doc.value.get("services").and_then(Value::as_object)?;
    services
        .keys()
        .min_by_key(|name| std::cmp::Reverse(name.chars().count()))
        .map(String::as_str)
}

/// The registry too long for the image of the longest service name, if it is.
fn long_registry(doc: &Document) -> Option<Diagnostic> {
    let field = "/platform/registry";
    let registry = doc.value.pointer(field).and_then(Value::as_str)?;
    let service = longest_service(doc)?;
    let length = registry.chars().count() + 1 + service.chars().count();
    if length <= NAME_MAX {
        return None;
    }
    let room = NAME_MAX.saturating_sub(1 + service.chars().count());
    Some(
        Diagnostic::error(
            "E0206",
            format!(
                "`platform.registry` is {} characters long: the image of `{service}`, `<registry>/{service}`, would be {length}, longer than the {NAME_MAX} Docker allows in an image name",
                registry.chars().count()
            ),
        )
        .at(doc.span_of(field))
        .label("registry too long")
        .help(format!(
            "each service's image is `<registry>/<service>`: shorten the registry to at most {room} characters, or the name of `{service}`"
        )),
    )
}

/// Each dependency `image` whose repository name is longer than Docker allows.
fn long_dependency_images(doc: &Document, unflagged: &impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    let Some(dependencies) = doc.value.get("dependencies").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for name in dependencies.keys() {
        let field = format!("/dependencies/{}/image", pointer_escape(name));
        let Some(image) = doc.value.pointer(&field).and_then(Value::as_str) else {
            continue;
        };
        let length = repository_name(image).chars().count();
        if length <= NAME_MAX || !unflagged(&field) {
            continue;
        }
        found.push(
            Diagnostic::error(
                "E0206",
                format!(
                    "`{}` names an image of {length} characters, longer than the {NAME_MAX} Docker allows",
                    display_path(&field)
                ),
            )
            .at(doc.span_of(&field))
            .label("image name too long")
            .help(format!(
                "an image name (all before its `:tag` and `@sha256:` digest) holds at most {NAME_MAX} characters: shorten it"
            )),
        );
    }
    found
}

/// One diagnostic per image name longer than Docker allows, among the values `unflagged` (the
/// schema did not already reject them).
pub fn long_names(doc: &Document, unflagged: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    let registry = long_registry(doc).filter(|_| unflagged("/platform/registry"));
    registry
        .into_iter()
        .chain(long_dependency_images(doc, &unflagged))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    fn messages(text: &str) -> Vec<String> {
        let doc = crate::load::load(SourceFile::new("p.toml", text.to_owned())).expect("TOML");
        long_names(&doc, |_| true)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn a_repository_name_is_the_image_without_tag_and_digest() {
        assert_eq!(repository_name("postgres:16-alpine"), "postgres");
        assert_eq!(repository_name("reg.io:5000/redis"), "reg.io:5000/redis");
        assert_eq!(repository_name("reg.io:5000/redis:7"), "reg.io:5000/redis");
        let digest = format!("redis:7@sha256:{}", "a".repeat(64));
        assert_eq!(repository_name(&digest), "redis");
    }

    #[test]
    fn the_registry_leaves_room_for_the_longest_service_name() {
        // 251 characters: 255 with `/api`, 256 with `/auth`.
        let registry = format!("registry.example.com/{}", "a".repeat(230));
        let text = |services: &str| format!("[platform]\nregistry = \"{registry}\"\n{services}");
        assert_eq!(messages(&text("[services.api]\n")), Vec::<String>::new());
        let found = messages(&text("[services.api]\n[services.auth]\n"));
        assert_eq!(
            found,
            [
                "`platform.registry` is 251 characters long: the image of `auth`, `<registry>/auth`, would be 256, longer than the 255 Docker allows in an image name"
            ]
        );
    }

    #[test]
    fn a_dependency_image_name_is_at_most_255_characters() {
        let long = "a".repeat(256);
        let fine = "b".repeat(255);
        let text = format!(
            "[dependencies.db]\nimage = \"{long}:16\"\n[dependencies.cache]\nimage = \"{fine}:7\"\n"
        );
        assert_eq!(
            messages(&text),
            [
                "`dependencies.db.image` names an image of 256 characters, longer than the 255 Docker allows"
            ]
        );
    }
}
