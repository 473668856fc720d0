//! The pre-commit integration, run with the real `pre-commit` (pinned in
//! `scripts/install-validators.sh`) in a temporary git repository. The hooks are the ones in
//! `.pre-commit-hooks.yaml`, declared as local hooks (`language: system`) running the built
//! binary, so nothing is fetched. Ignored by a bare `cargo test`; `scripts/test` runs it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use common::text;

fn pre_commit() -> PathBuf {
    let bin = common::validators_bin().join("pre-commit");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/install-validators.sh",
        bin.display()
    );
    bin
}

/// A git repository holding a platform, with platgen's hooks configured.
struct Repo {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().expect("tempdir"),
            home: tempfile::tempdir().expect("tempdir"),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo.git(&["config", "user.email", "ci@example.com"]);
        repo.git(&["config", "user.name", "CI"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        fs::write(repo.path(".pre-commit-config.yaml"), local_hooks()).expect("config");
        repo
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn command(&self, program: &Path, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .current_dir(self.dir.path())
            .env("PRE_COMMIT_HOME", self.home.path())
            // The hook's checks use the up-to-date cache, as on a developer's machine.
            .env("PLATGEN_CACHE_DIR", self.home.path().join("platgen-cache"))
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("runs")
    }

    fn git(&self, args: &[&str]) -> Output {
        let output = self.command(Path::new("git"), args);
        assert!(output.status.success(), "git {args:?}: {}", text(&output));
        output
    }

    fn platgen(&self, args: &[&str]) -> Output {
        self.command(Path::new(env!("CARGO_BIN_EXE_platgen")), args)
    }

    fn pre_commit(&self, args: &[&str]) -> Output {
        self.command(&pre_commit(), args)
    }

    fn commit(&self, message: &str) -> Output {
        self.git(&["add", "--all"]);
        self.command(Path::new("git"), &["commit", "--quiet", "-m", message])
    }
}

/// `.pre-commit-hooks.yaml` as a local `.pre-commit-config.yaml`: the same hooks, run by the
/// built binary (`language: system`). JSON is YAML, so it is written as JSON.
fn local_hooks() -> String {
    let published = fs::read_to_string(common::root().join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml");
    let hooks: Value = serde_saphyr::from_str(&published).expect("hooks are YAML");
    let hooks: Vec<Value> = hooks
        .as_array()
        .expect("a list of hooks")
        .iter()
        .map(|hook| {
            let mut hook = hook.clone();
            let entry = hook["entry"].as_str().expect("entry").to_owned();
            let args = entry.strip_prefix("platgen ").expect("entry runs platgen");
            hook["entry"] = Value::from(format!("'{}' {args}", env!("CARGO_BIN_EXE_platgen")));
            hook["language"] = Value::from("system");
            hook
        })
        .collect();
    serde_json::json!({ "repos": [{ "repo": "local", "hooks": hooks }] }).to_string()
}

const SMALL: &str = include_str!("fixtures/small.toml");

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn platgen_check_blocks_a_commit_with_a_stale_out() {
    let repo = Repo::new();
    fs::write(repo.path("platform.toml"), SMALL).expect("platform");
    let installed = repo.pre_commit(&["install"]);
    assert!(installed.status.success(), "{}", text(&installed));

    // Nothing rendered yet: the commit is refused, with one line per missing file.
    let refused = repo.commit("platform without its render");
    let report = text(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(report.contains("platgen check"), "{report}");
    assert!(
        report.contains(
            "out/production/kubernetes/api-deployment.yaml: missing (run platgen render)"
        ),
        "{report}"
    );

    // Rendered: the commit goes through.
    let rendered = repo.platgen(&["render"]);
    assert!(rendered.status.success(), "{}", text(&rendered));
    let committed = repo.commit("platform and its render");
    assert!(committed.status.success(), "{}", text(&committed));

    // platform.toml changed, out/ not: stale, refused.
    let changed = SMALL.replacen("LOG_LEVEL = \"INFO\"", "LOG_LEVEL = \"WARNING\"", 1);
    assert_ne!(changed, SMALL);
    fs::write(repo.path("platform.toml"), &changed).expect("platform");
    let refused = repo.commit("change without render");
    let report = text(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(
        report.contains("out/production/kubernetes/api-configmap.yaml: stale (run platgen render)"),
        "{report}"
    );

    // After `platgen render` it passes.
    let rendered = repo.platgen(&["render"]);
    assert!(rendered.status.success(), "{}", text(&rendered));
    let committed = repo.commit("change with render");
    assert!(committed.status.success(), "{}", text(&committed));
    let clean = repo.pre_commit(&["run", "platgen-check", "--all-files"]);
    assert!(clean.status.success(), "{}", text(&clean));
}

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn platgen_render_hook_fixes_out_and_stops_the_commit_once() {
    let repo = Repo::new();
    fs::write(repo.path("platform.toml"), SMALL).expect("platform");
    assert!(repo.platgen(&["render"]).status.success());
    assert!(repo.commit("initial").status.success());
    let changed = SMALL.replacen("LOG_LEVEL = \"INFO\"", "LOG_LEVEL = \"WARNING\"", 1);
    fs::write(repo.path("platform.toml"), changed).expect("platform");
    repo.git(&["add", "--all"]);

    // The hook renders; files changed, so pre-commit fails this run...
    let first = repo.pre_commit(&["run", "platgen-render", "--all-files"]);
    let report = text(&first);
    assert!(!first.status.success(), "{report}");
    assert!(
        report.contains("files were modified by this hook"),
        "{report}"
    );
    let check = repo.platgen(&["check"]);
    assert!(check.status.success(), "{}", text(&check));
    // ...and passes once the new render is staged.
    repo.git(&["add", "--all"]);
    let second = repo.pre_commit(&["run", "platgen-render", "--all-files"]);
    assert!(second.status.success(), "{}", text(&second));
}
