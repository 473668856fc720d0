//! Snapshot tests: every file rendered for the reference platform and each example platform.

mod common;

#[test]
fn rendered_platforms_match_snapshots() {
    for (name, path) in common::platforms() {
        let files = common::compile(&path);
        let mut text = String::new();
        for file in &files {
            text.push_str(&format!("=== {} ===\n{}", file.path, file.content));
            if !file.content.ends_with('\n') {
                text.push('\n');
            }
        }
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn rendering_is_deterministic() {
    for (_, path) in common::platforms() {
        assert_eq!(common::compile(&path), common::compile(&path));
    }
}
