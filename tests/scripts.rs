//! The operational scripts (`out/<env>/scripts/*.sh`) run as documented: `bash <script> …`
//! against a fake `kubectl` first on `PATH` that records each call, so every kubectl call and
//! every refusal is asserted exactly. And no value can reach a script unquoted.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use platgen::diagnostics::SourceFile;

/// Records each call as `<arg><arg>…`, one line per call; answers `config current-context`,
/// and fails the call named by `$FAIL_ON` (e.g. `rollout undo`).
const FAKE_KUBECTL: &str = r#"#!/usr/bin/env bash
set -euo pipefail
for arg in "$@"; do printf '<%s>' "$arg"; done >>"$KUBECTL_LOG"
printf '\n' >>"$KUBECTL_LOG"
if [[ "$*" == "config current-context" ]]; then echo test-cluster; fi
if [[ -n "${FAIL_ON:-}" && "$*" == "$FAIL_ON"* ]]; then exit 1; fi
"#;

/// The reference platform's scripts in a temporary folder, with the fake kubectl.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for file in common::compile(&common::root().join("platform.toml")) {
            if file.path.contains("/scripts/") {
                let path = dir.path().join("out").join(&file.path);
                std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
                std::fs::write(path, file.content).expect("write script");
            }
        }
        common::fake_command(dir.path(), "kubectl", FAKE_KUBECTL);
        Self { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Runs `bash <script> args…` (as the docs say), with `env`; returns the output and the
    /// kubectl calls it made.
    fn run(&self, script: &str, args: &[&str], env: &[(&str, &str)]) -> (Output, Vec<String>) {
        let log = self.path("kubectl.log");
        let _ = std::fs::remove_file(&log);
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let output = Command::new("bash")
            .arg(self.path(script))
            .args(args)
            .current_dir(self.dir.path())
            .env("PATH", path)
            .env("KUBECTL_LOG", &log)
            .envs(env.iter().copied())
            .output()
            .expect("bash runs");
        (output, common::logged_calls(&log))
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const ROLLBACK: &str = "out/production/scripts/rollback.sh";
const SCALE: &str = "out/production/scripts/scale.sh";
const SERVICES: [&str; 4] = [
    "platform-api",
    "platform-auth",
    "platform-user",
    "platform-worker",
];

#[test]
fn rollback_undoes_waits_and_shows_the_pods() {
    let sandbox = Sandbox::new();
    let (output, calls) = sandbox.run(ROLLBACK, &["platform-auth"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        calls,
        [
            "<config><current-context>",
            "<rollout><history><deployment/platform-auth><--namespace><platform>",
            "<rollout><undo><deployment/platform-auth><--namespace><platform>",
            // production's timeout is the CI production deploy's (600s by default).
            "<rollout><status><deployment/platform-auth><--namespace><platform><--timeout><600s>",
            "<get><pods><--namespace><platform><--selector><app=platform-auth><--output><wide>",
        ]
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("(kubectl context: test-cluster)"),
        "{stdout}"
    );
}

#[test]
fn staging_rolls_back_in_its_own_namespace_with_its_own_timeout() {
    let sandbox = Sandbox::new();
    let (output, calls) = sandbox.run("out/staging/scripts/rollback.sh", &["platform-api"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        calls.contains(
            &"<rollout><status><deployment/platform-api><--namespace><platform-staging><--timeout><300s>".to_owned()
        ),
        "{calls:#?}"
    );
}

#[test]
fn rollback_stops_at_the_first_failing_call() {
    let sandbox = Sandbox::new();
    let (output, calls) = sandbox.run(ROLLBACK, &["platform-api"], &[("FAIL_ON", "rollout undo")]);
    assert!(!output.status.success());
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert!(calls[2].starts_with("<rollout><undo>"), "{calls:#?}");
}

#[test]
fn an_unknown_service_is_refused_with_the_valid_names() {
    let sandbox = Sandbox::new();
    for script in [ROLLBACK, SCALE] {
        for args in [
            vec!["platform-apii"],
            vec!["platform-apii", "2"],
            vec![],
            vec!["$(touch pwned)", "1"],
            vec!["'; touch pwned; '", "1"],
            vec!["platform-*", "1"],
        ] {
            let (output, calls) = sandbox.run(script, &args, &[]);
            assert_eq!(output.status.code(), Some(2), "{script} {args:?}");
            assert!(calls.is_empty(), "{script} {args:?}: {calls:?}");
            let message = stderr(&output);
            assert!(message.contains("usage: bash "), "{message}");
            for name in SERVICES {
                assert!(message.contains(&format!("  {name}\n")), "{message}");
            }
        }
    }
    let (output, _) = sandbox.run(ROLLBACK, &["platform-apii"], &[]);
    assert!(
        stderr(&output).starts_with("rollback.sh: no service platform-apii in production\n"),
        "{}",
        stderr(&output)
    );
    assert!(!sandbox.path("pwned").exists(), "an argument was executed");
}

#[test]
fn help_prints_the_usage_and_does_nothing_else() {
    let sandbox = Sandbox::new();
    for script in [ROLLBACK, SCALE] {
        for flag in ["-h", "--help"] {
            let (output, calls) = sandbox.run(script, &[flag], &[]);
            assert_eq!(output.status.code(), Some(0), "{script} {flag}");
            assert!(calls.is_empty(), "{script} {flag}: {calls:?}");
            assert_eq!(stderr(&output), "", "{script} {flag}");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stdout.starts_with(&format!("usage: bash {script} SERVICE")),
                "{stdout}"
            );
            for name in SERVICES {
                assert!(stdout.contains(&format!("  {name}\n")), "{stdout}");
            }
        }
    }
}

#[test]
fn scale_sets_the_replicas_and_waits() {
    let sandbox = Sandbox::new();
    let (output, calls) = sandbox.run(SCALE, &["platform-worker", "0"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        calls,
        [
            "<config><current-context>",
            "<scale><deployment/platform-worker><--namespace><platform><--replicas><0>",
            "<rollout><status><deployment/platform-worker><--namespace><platform><--timeout><600s>",
            "<get><pods><--namespace><platform><--selector><app=platform-worker><--output><wide>",
        ]
    );
}

#[test]
fn scale_refuses_a_replica_count_that_is_not_a_whole_number() {
    let sandbox = Sandbox::new();
    for bad in [
        "-1",
        "abc",
        "1.5",
        "",
        " 3",
        "3 ",
        "07",
        "1e3",
        "100000",
        "$(touch pwned)",
    ] {
        let (output, calls) = sandbox.run(SCALE, &["platform-user", bad], &[]);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(calls.is_empty(), "{bad:?}: {calls:?}");
        assert!(
            stderr(&output).starts_with(&format!(
                "scale.sh: REPLICAS must be a whole number from 0 to 99999, not {bad}\n"
            )),
            "{}",
            stderr(&output)
        );
    }
    assert!(!sandbox.path("pwned").exists(), "an argument was executed");
}

#[test]
fn scale_refuses_a_service_its_autoscaler_owns() {
    let sandbox = Sandbox::new();
    let (output, calls) = sandbox.run(SCALE, &["platform-api", "5"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(calls.is_empty(), "{calls:?}");
    let message = stderr(&output);
    assert!(
        message.contains(
            "platform-api is scaled by HorizontalPodAutoscaler platform-api-hpa (minReplicas 3, maxReplicas 10) in namespace platform"
        ),
        "{message}"
    );
    assert!(
        message.contains("[services.platform-api], [services.platform-api.env.production] or [environments.production] service_overrides"),
        "{message}"
    );
}

#[test]
fn an_environment_where_every_replica_count_is_autoscaled_gets_no_scale_script() {
    let files = common::by_path(common::compile(&common::root().join("platform.toml")));
    assert!(files.contains_key("staging/scripts/rollback.sh"));
    assert!(!files.contains_key("staging/scripts/scale.sh"));
    assert!(files.contains_key("production/scripts/scale.sh"));
    // Compose environments have no kubectl scripts.
    assert!(!files.keys().any(|p| p.starts_with("development/scripts/")));
}

/// The hostile config values of `tests/fixtures/hostile.toml`, as strings.
fn hostile_values() -> Vec<String> {
    let platform: toml::Table =
        toml::from_str(include_str!("fixtures/hostile.toml")).expect("hostile.toml parses");
    let config = platform["services"]["api"]["config"]
        .as_table()
        .expect("api has config");
    config
        .values()
        .map(|value| match value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Renders the hostile platform with `scripts/rollback.sh` overridden by `body`.
fn render_override(templates: &Path, body: &str) -> Result<String, String> {
    std::fs::create_dir_all(templates.join("scripts")).expect("mkdir");
    std::fs::write(templates.join("scripts/rollback.sh"), body).expect("write template");
    let source = SourceFile::new("hostile.toml", include_str!("fixtures/hostile.toml"));
    match platgen::compile(source, Some("production"), Some(templates)) {
        Ok(compiled) => Ok(compiled
            .files
            .into_iter()
            .find(|f| f.path == "production/scripts/rollback.sh")
            .expect("rollback.sh rendered")
            .content),
        Err(failure) => Err(format!("{failure:?}")),
    }
}

#[test]
fn no_value_reaches_a_script_unquoted() {
    let templates = tempfile::tempdir().expect("tempdir");
    let (single_line, multi_line): (Vec<String>, Vec<String>) = hostile_values()
        .into_iter()
        .partition(|v| !v.contains(['\n', '\r']));
    // Each value printed through the shell formatter, then read back by bash.
    let words: String = single_line
        .iter()
        .map(|v| format!(" {{{{ {} }}}}", serde_json::to_string(v).expect("json")))
        .collect();
    let body = format!("#!/usr/bin/env bash\nset -euo pipefail\nprintf '%s\\0'{words}\n");
    let script = render_override(templates.path(), &body).expect("renders");
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(templates.path())
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{}\n{script}", stderr(&output));
    let read_back: Vec<String> = output
        .stdout
        .split(|b| *b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    assert_eq!(&read_back[..single_line.len()], single_line, "{script}");
    // A line break could end a comment the value sits in: refused, naming the template.
    for value in multi_line {
        let body = format!(
            "#!/usr/bin/env bash\nset -euo pipefail\n# {{{{ {} }}}}\n",
            serde_json::to_string(&value).expect("json")
        );
        let error = render_override(templates.path(), &body).expect_err("refused");
        assert!(error.contains("line break"), "{value:?}: {error}");
    }
}
