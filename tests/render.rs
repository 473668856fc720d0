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

/// An environment's `service_overrides.expose` adjusts the services exposed by themselves and
/// never makes another public: `internal`, with no `expose` of its own, gets no Ingress, and its
/// NetworkPolicy does not admit the ingress controller.
#[test]
fn an_environment_expose_override_exposes_no_internal_service() {
    let text = std::fs::read_to_string(common::root().join("tests/fixtures/small.toml"))
        .expect("fixture readable")
        .replace(
            "domain = \"example.com\"\n",
            "domain = \"example.com\"\nservice_overrides = { expose = { timeout = 120, subdomain = \"www\" } }\n",
        )
        + "\n[services.internal]\nkind = \"web\"\nport = 8001\napp = \"internal.main:app\"\n";
    let source = platgen::diagnostics::SourceFile::new("platform.toml", text);
    let files = platgen::compile(source, None, None)
        .expect("compiles")
        .files;
    let file = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.content.as_str())
    };
    for env in ["staging", "production"] {
        assert_eq!(
            file(&format!("{env}/kubernetes/internal-ingress.yaml")),
            None
        );
        let policy = file(&format!("{env}/kubernetes/internal-networkpolicy.yaml"))
            .expect("internal has a NetworkPolicy");
        assert!(!policy.contains("ingress-nginx"), "{env}: {policy}");
        let api = file(&format!("{env}/kubernetes/api-networkpolicy.yaml")).expect("api's policy");
        assert!(api.contains("ingress-nginx"), "{env}: {api}");
    }
    // The override reaches `api`, exposed by itself, in production only.
    let production = file("production/kubernetes/api-ingress.yaml").expect("api's Ingress");
    assert!(
        production.contains("proxy-read-timeout: \"120\""),
        "{production}"
    );
    assert!(production.contains("host: www.example.com"), "{production}");
    let staging = file("staging/kubernetes/api-ingress.yaml").expect("api's Ingress");
    assert!(
        staging.contains("host: api.staging.example.com"),
        "{staging}"
    );
}
