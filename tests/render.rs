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

/// A render of one environment owns its folder and the shared ones (`output::Scope`): so every
/// file is under one of them, and the shared folders hold no environment's files.
#[test]
fn every_file_is_under_its_environment_or_a_shared_folder() {
    for (name, path) in common::platforms() {
        let text = std::fs::read_to_string(&path).expect("platform file readable");
        let envs: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("[environments.")?.strip_suffix(']'))
            .filter(|env| !env.contains('.'))
            .map(str::to_owned)
            .collect();
        assert!(!envs.is_empty(), "{name}: no environments found");
        for file in common::compile(&path) {
            let first = file.path.split('/').next().unwrap_or_default();
            assert!(
                envs.iter().any(|e| e == first) || platgen::plan::SHARED_DIRS.contains(&first),
                "{name}: {} is under neither an environment nor a shared folder",
                file.path
            );
        }
        for env in &envs {
            let scoped = platgen::compile(
                platgen::diagnostics::SourceFile::new(&path, text.clone()),
                Some(env),
                None,
            )
            .expect("compiles");
            for file in scoped.files {
                let first = file.path.split('/').next().unwrap_or_default();
                assert!(
                    first == env || platgen::plan::SHARED_DIRS.contains(&first),
                    "{name} --env {env}: {}",
                    file.path
                );
            }
        }
    }
}
