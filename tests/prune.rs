//! The kubectl deploy prunes what the platform no longer renders: after every rollout, the
//! objects in the namespace that carry the platform's platgen labels and that the deploy did not
//! apply are deleted, and nothing else. Before the apply, it hands the replica counts of the
//! Deployments an HPA scales over to a second field manager, so that a service turned to
//! autoscaling keeps its pods. The steps of the rendered workflow run here as GitHub runs them
//! (`bash -e`), against a fake `kubectl` first on `PATH`.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;

/// Records each call as `<arg><arg>…` (and what an `apply --filename -` reads, on the next
/// line); `get` prints `$LABELLED`, `apply` prints `$APPLIED`,
/// `api-resources` prints `$SERVED`, `auth can-i` answers `$CAN_I` (yes unless `no`); the call
/// starting with `$FAIL_ON` fails.
const FAKE_KUBECTL: &str = r#"#!/usr/bin/env bash
set -euo pipefail
for arg in "$@"; do printf '<%s>' "$arg"; done >>"$KUBECTL_LOG"
printf '\n' >>"$KUBECTL_LOG"
if [[ -n "${FAIL_ON:-}" && "$*" == "$FAIL_ON"* ]]; then echo "error: forbidden" >&2; exit 1; fi
case "$1" in
  get) printf '%s' "${LABELLED:-}" ;;
  apply) if [[ " $* " == *" --filename - "* ]]; then cat >>"$KUBECTL_LOG"; fi; printf '%s' "${APPLIED:-}" ;;
  api-resources) printf '%s' "${SERVED:-}" ;;
  auth) if [[ "${CAN_I:-yes}" == no ]]; then echo no; exit 1; fi; echo yes ;;
esac
"#;

const STEP: &str = "Prune what the platform no longer renders";

/// The deploy job of `workflow` in rendered `files`.
fn deploy_job(files: &common::Files, workflow: &str, id: &str) -> Value {
    common::yaml(files, &format!(".github/workflows/{workflow}"))["jobs"][id].clone()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_array().expect("steps")
}

fn step<'a>(job: &'a Value, name: &str) -> Option<&'a Value> {
    steps(job).iter().find(|s| s["name"] == name)
}

fn reference() -> common::Files {
    common::by_path(common::compile(&common::root().join("platform.toml")))
}

/// The applied objects of the reference platform's production, as `kubectl apply --output
/// name` prints them.
const APPLIED: &str = "namespace/platform\nresourcequota/platform-quota\n\
    deployment.apps/platform-api\nservice/platform-api\nconfigmap/platform-api\n\
    externalsecret.external-secrets.io/platform-api\n";

/// A runner for the steps of one job: a fake `kubectl` first on `PATH`, and one `RUNNER_TEMP`
/// that every step shares, as the steps of a job do.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        common::fake_command(dir.path(), "kubectl", FAKE_KUBECTL);
        std::fs::create_dir_all(dir.path().join("runner-temp")).expect("mkdir temp");
        Self { dir }
    }

    /// A runner where an apply step already kept `applied`.
    fn after_apply(applied: &str) -> Self {
        let runner = Self::new();
        std::fs::write(runner.temp().join("platgen-applied"), applied).expect("applied");
        runner
    }

    fn temp(&self) -> std::path::PathBuf {
        self.dir.path().join("runner-temp")
    }

    /// Runs a step's `run` script as GitHub does (`bash -e`), with the job's and the step's
    /// `env`, and a job summary and kubectl log of its own.
    fn run(&self, job: &Value, step: &Value, env: &[(&str, &str)]) -> Ran {
        let dir = self.dir.path();
        let (script, log, summary) = (
            dir.join("step.sh"),
            dir.join("kubectl.log"),
            dir.join("summary.md"),
        );
        std::fs::write(&script, step["run"].as_str().expect("a run script")).expect("script");
        for file in [&log, &summary] {
            let _ = std::fs::remove_file(file);
        }
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-e"])
            .arg(&script)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", dir.join("bin").display()),
            )
            .env("RUNNER_TEMP", self.temp())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("KUBECTL_LOG", &log);
        for scope in [&job["env"], &step["env"]] {
            for (key, value) in scope.as_object().into_iter().flatten() {
                let value = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                command.env(key, value);
            }
        }
        let output = command
            .envs(env.iter().copied())
            .output()
            .expect("bash runs");
        Ran {
            output,
            calls: common::logged_calls(&log),
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        }
    }
}

/// What a step did.
struct Ran {
    /// The step's process: status and output.
    output: Output,
    /// The kubectl calls it made.
    calls: Vec<String>,
    /// What it added to the job summary.
    summary: String,
}

fn production() -> Value {
    deploy_job(&reference(), "release.yml", "deploy-production")
}

fn prune_step(job: &Value) -> Value {
    step(job, STEP).expect("a prune step").clone()
}

/// The expected `kubectl get` call of `job`'s prune, for platform `part_of`: its namespace, the
/// kinds the step names and `extra` ones after them.
fn listed_for(job: &Value, part_of: &str, extra: &str) -> String {
    let kinds = prune_step(job)["env"]["PRUNE_KINDS"]
        .as_str()
        .expect("kinds")
        .to_owned();
    let namespace = job["env"]["NAMESPACE"].as_str().expect("a namespace");
    format!(
        "<get><{kinds}{extra}><--namespace><{namespace}><--selector>\
         <app.kubernetes.io/managed-by=platgen,app.kubernetes.io/part-of={part_of}><--output><name>"
    )
}

/// The expected `kubectl get` call of the reference platform's production.
fn listed(job: &Value) -> String {
    listed_for(job, "platform", "")
}

/// Runs the reference platform's production prune step after the apply of [`APPLIED`], with
/// kubectl listing `labelled` and the `extra` environment.
fn prune(job: &Value, labelled: &str, extra: &[(&str, &str)]) -> Ran {
    let mut env = vec![("LABELLED", labelled)];
    env.extend_from_slice(extra);
    Runner::after_apply(APPLIED).run(job, &prune_step(job), &env)
}

#[test]
fn objects_no_longer_applied_are_deleted_and_nothing_else() {
    let job = production();
    // Listed in another order than applied, with two objects this deploy no longer renders.
    let labelled = "service/platform-api\ndeployment.apps/platform-api\n\
        deployment.apps/platform-search\nconfigmap/platform-api\n\
        externalsecret.external-secrets.io/platform-api\nresourcequota/platform-quota\n\
        horizontalpodautoscaler.autoscaling/platform-api\n";
    let ran = prune(&job, labelled, &[]);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    assert_eq!(
        ran.calls,
        [
            listed(&job),
            "<delete><--namespace><platform><--timeout><600s>\
             <deployment.apps/platform-search><horizontalpodautoscaler.autoscaling/platform-api>"
                .to_owned(),
        ]
    );
    let text = common::text(&ran.output);
    assert!(
        text.contains("Pruning deployment.apps/platform-search\n")
            && text.contains("Pruning horizontalpodautoscaler.autoscaling/platform-api\n"),
        "{text}"
    );
    assert_eq!(
        ran.summary,
        "### Pruned from namespace platform\n- deployment.apps/platform-search\n\
         - horizontalpodautoscaler.autoscaling/platform-api\n"
    );
}

#[test]
fn nothing_is_deleted_when_everything_listed_was_applied() {
    let job = production();
    let labelled = "deployment.apps/platform-api\nservice/platform-api\n";
    let ran = prune(&job, labelled, &[]);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    assert_eq!(ran.calls, [listed(&job)]);
    assert!(common::text(&ran.output).contains("Nothing to prune."));
    assert_eq!(ran.summary, "");
}

#[test]
fn names_that_cannot_be_compared_delete_nothing() {
    let job = production();
    // None of the applied objects is listed (as if kubectl named them differently): every
    // listed object would look stale, so the step fails instead.
    for labelled in ["deployments/platform-api\nservices/platform-api\n", ""] {
        let ran = prune(&job, labelled, &[]);
        assert!(!ran.output.status.success(), "{labelled:?}");
        assert_eq!(ran.calls, [listed(&job)], "{labelled:?}");
        assert_eq!(ran.summary, "");
        assert!(
            common::text(&ran.output)
                .contains("::error::kubectl lists none of the objects just applied"),
            "{}",
            common::text(&ran.output)
        );
    }
}

#[test]
fn a_failing_listing_deletes_nothing() {
    let job = production();
    let ran = prune(
        &job,
        "deployment.apps/platform-old\n",
        &[("FAIL_ON", "get")],
    );
    assert!(!ran.output.status.success());
    assert_eq!(ran.calls, [listed(&job)]);
    assert_eq!(ran.summary, "");
}

#[test]
fn the_apply_step_keeps_the_names_the_prune_reads() {
    let job = production();
    let apply = step(&job, "Apply the manifests").expect("an apply step");
    let runner = Runner::new();
    let ran = runner.run(&job, apply, &[("APPLIED", APPLIED)]);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    assert_eq!(
        ran.calls,
        [
            "<apply><--server-side><--force-conflicts><--field-manager><platgen>\
          <--kustomize><out/production/kubernetes><--output><name>"
        ]
    );
    // Printed to the log, and kept where the prune step of the same job reads it: of what
    // kubectl then lists, only what was not applied goes.
    assert_eq!(String::from_utf8_lossy(&ran.output.stdout), APPLIED);
    let labelled = "deployment.apps/platform-api\ndeployment.apps/platform-old\n";
    let ran = runner.run(&job, &prune_step(&job), &[("LABELLED", labelled)]);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    assert_eq!(
        ran.calls,
        [
            listed(&job),
            "<delete><--namespace><platform><--timeout><600s><deployment.apps/platform-old>"
                .to_owned()
        ]
    );
}

#[test]
fn a_failing_delete_fails_the_deploy() {
    let job = production();
    let ran = prune(
        &job,
        "deployment.apps/platform-api\ndeployment.apps/platform-old\n",
        &[("FAIL_ON", "delete")],
    );
    assert!(!ran.output.status.success());
    assert_eq!(ran.calls.len(), 2, "{:?}", ran.calls);
    assert!(ran.calls[1].starts_with("<delete>"), "{:?}", ran.calls);
    // Only what was deleted is summarised.
    assert_eq!(ran.summary, "");
}

#[test]
fn the_prune_runs_after_every_rollout_and_before_the_kubeconfig_goes() {
    let job = production();
    let names: Vec<&str> = steps(&job)
        .iter()
        .map(|s| s["name"].as_str().expect("a name"))
        .collect();
    let prune = names.iter().position(|n| *n == STEP).expect("prune");
    let last_rollout = names
        .iter()
        .rposition(|n| n.starts_with("Wait for the rollout of "))
        .expect("rollouts");
    assert_eq!(prune, last_rollout + 1);
    assert_eq!(names[prune + 1], "Remove the kubeconfig");
    // Run only when every step before it succeeded (GitHub's default).
    assert!(prune_step(&job).get("if").is_none());
}

/// `kubectl get --output name`'s prefix of a rendered object: lower-case kind, then the API
/// group when there is one (`deployment.apps`, `service`).
fn name_prefix(object: &Value) -> String {
    let kind = object["kind"].as_str().expect("kind").to_ascii_lowercase();
    match object["apiVersion"]
        .as_str()
        .expect("apiVersion")
        .split_once('/')
    {
        Some((group, _)) => format!("{kind}.{group}"),
        None => kind,
    }
}

/// kubectl's resource name of such a prefix: the plural of the kind, then the group.
fn resource(prefix: &str) -> String {
    let (kind, group) = prefix
        .split_once('.')
        .map_or((prefix, None), |(k, g)| (k, Some(g)));
    let plural = if let Some(stem) = kind.strip_suffix('y') {
        format!("{stem}ies")
    } else if kind.ends_with('s') {
        format!("{kind}es")
    } else {
        format!("{kind}s")
    };
    group.map_or(plural.clone(), |g| format!("{plural}.{g}"))
}

#[test]
fn every_kind_an_environment_renders_is_listed_and_nothing_cluster_wide() {
    let mut seen = BTreeSet::new();
    for (platform, path) in common::platforms() {
        let files = common::by_path(common::compile(&path));
        for (workflow, id, env) in [
            ("ci.yml", "deploy-staging", "staging"),
            ("release.yml", "deploy-production", "production"),
        ] {
            let path = format!(".github/workflows/{workflow}");
            if !files.contains_key(&path) {
                continue;
            }
            let job = deploy_job(&files, workflow, id);
            // No deploy job (no such environment), or a GitOps one.
            let Some(step) = job.get("steps").and_then(|_| step(&job, STEP)) else {
                continue;
            };
            let part_of = common::yaml(&files, &format!("{env}/kubernetes/namespace.yaml"))
                ["metadata"]["labels"]["app.kubernetes.io/part-of"]
                .as_str()
                .expect("part-of")
                .to_owned();
            let kinds: BTreeSet<&str> = step["env"]["PRUNE_KINDS"]
                .as_str()
                .expect("kinds")
                .split(',')
                .collect();
            let manifests = format!("{env}/kubernetes/");
            for (file, text) in files.iter().filter(|(f, _)| f.starts_with(&manifests)) {
                let object: Value = serde_saphyr::from_str(text).expect("YAML");
                let prefix = name_prefix(&object);
                if ["namespace", "kustomization.kustomize.config.k8s.io"].contains(&prefix.as_str())
                {
                    continue;
                }
                assert!(
                    kinds.contains(resource(&prefix).as_str()),
                    "{platform} {id}: {file} ({prefix}) is not pruned: {kinds:?}"
                );
                // Selected by the prune's labels (an object without them would never go).
                let labels = &object["metadata"]["labels"];
                assert_eq!(labels["app.kubernetes.io/managed-by"], "platgen", "{file}");
                assert_eq!(
                    labels["app.kubernetes.io/part-of"],
                    part_of.as_str(),
                    "{file}"
                );
                seen.insert(prefix);
            }
            assert!(
                !kinds.contains("namespaces"),
                "{platform}: never the Namespace"
            );
            assert_eq!(
                step["env"]["PRUNE_SELECTOR"],
                format!("app.kubernetes.io/managed-by=platgen,app.kubernetes.io/part-of={part_of}")
            );
        }
    }
    // Every kind platgen renders in a namespace was met on some platform.
    assert_eq!(seen.len(), 11, "{seen:?}");
}

/// The small platform with `api` (which has a secret) in staging only: production runs
/// `jobs`, which has none, so production renders no ExternalSecret.
fn without_secrets_in_production() -> common::Files {
    let text = include_str!("fixtures/small.toml").replace(
        "expose = { subdomain = \"api\" }\n",
        "expose = { subdomain = \"api\" }\nenv.production = { enabled = false }\n",
    );
    common::compile_text(&text).expect("compiles")
}

const EXTERNAL_SECRETS: &str = "externalsecrets.external-secrets.io";

#[test]
fn a_custom_resource_is_listed_always_where_rendered_and_else_only_if_served() {
    let files = without_secrets_in_production();
    let env =
        |workflow: &str, id: &str| prune_step(&deploy_job(&files, workflow, id))["env"].clone();
    let staging = env("ci.yml", "deploy-staging");
    assert!(
        staging["PRUNE_KINDS"]
            .as_str()
            .expect("kinds")
            .contains(EXTERNAL_SECRETS),
        "{staging}"
    );
    assert!(staging.get("PRUNE_KINDS_IF_SERVED").is_none(), "{staging}");
    // Without an ExternalSecret the cluster may not know the kind, and listing it would fail:
    // it is listed only once the cluster says it serves it.
    let production = env("release.yml", "deploy-production");
    let kinds = production["PRUNE_KINDS"].as_str().expect("kinds");
    assert!(!kinds.contains("externalsecret"), "{kinds}");
    assert!(kinds.contains("deployments.apps"), "{kinds}");
    assert_eq!(production["PRUNE_KINDS_IF_SERVED"], EXTERNAL_SECRETS);
}

/// Runs the prune of [`without_secrets_in_production`]'s production after its apply, with
/// kubectl listing `labelled` and the `kubectl` environment `extra` (`SERVED`, `CAN_I`,
/// `FAIL_ON`); the step must succeed.
fn prune_without_secrets(labelled: &str, extra: &[(&str, &str)]) -> (Value, Ran) {
    let job = deploy_job(
        &without_secrets_in_production(),
        "release.yml",
        "deploy-production",
    );
    let applied = "namespace/shop\nserviceaccount/jobs\nconfigmap/jobs\ndeployment.apps/jobs\n";
    let mut env = vec![("LABELLED", labelled)];
    env.extend_from_slice(extra);
    let ran = Runner::after_apply(applied).run(&job, &prune_step(&job), &env);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    (job, ran)
}

/// The two questions asked before listing ExternalSecrets: does the cluster serve the kind,
/// and may this identity list it in the namespace.
const ASKED_SERVED: &str = "<api-resources><--api-group><external-secrets.io><--output><name>";
const ASKED_MAY_LIST: &str =
    "<auth><can-i><list><externalsecrets.external-secrets.io><--namespace><shop>";

#[test]
fn an_external_secret_left_by_an_earlier_deploy_is_pruned_where_the_cluster_serves_the_kind() {
    let labelled = "deployment.apps/jobs\nexternalsecret.external-secrets.io/jobs\n";
    let served = "clustersecretstores.external-secrets.io\nexternalsecrets.external-secrets.io\n\
        secretstores.external-secrets.io\n";
    let (job, ran) = prune_without_secrets(labelled, &[("SERVED", served)]);
    assert_eq!(
        ran.calls,
        [
            ASKED_SERVED.to_owned(),
            ASKED_MAY_LIST.to_owned(),
            listed_for(&job, "shop", &format!(",{EXTERNAL_SECRETS}")),
            "<delete><--namespace><shop><--timeout><600s><externalsecret.external-secrets.io/jobs>"
                .to_owned(),
        ]
    );
}

#[test]
fn a_custom_kind_the_cluster_does_not_serve_or_the_deploy_may_not_list_is_not_listed() {
    let labelled = "deployment.apps/jobs\n";
    // The CRD is not installed (only a resource of the same group's name as a prefix).
    let (job, ran) = prune_without_secrets(
        labelled,
        &[("SERVED", "externalsecrets.external-secrets.io.old\n")],
    );
    assert_eq!(
        ran.calls,
        [ASKED_SERVED.to_owned(), listed_for(&job, "shop", "")]
    );
    // Served, but this identity may not list it: it cannot have applied one either.
    let served = format!("{EXTERNAL_SECRETS}\n");
    let (job, ran) = prune_without_secrets(labelled, &[("SERVED", &served), ("CAN_I", "no")]);
    assert_eq!(
        ran.calls,
        [
            ASKED_SERVED.to_owned(),
            ASKED_MAY_LIST.to_owned(),
            listed_for(&job, "shop", "")
        ]
    );
    assert!(common::text(&ran.output).contains("Nothing to prune."));
}

#[test]
fn a_failing_question_leaves_the_custom_kind_out_and_the_prune_goes_on() {
    // The cluster cannot say what it serves (or the identity may not ask): deleting less is
    // the safe side, and the built-in kinds are still pruned.
    let labelled = "deployment.apps/jobs\ndeployment.apps/old\n";
    let served = format!("{EXTERNAL_SECRETS}\n");
    let (job, ran) = prune_without_secrets(
        labelled,
        &[("SERVED", &served), ("FAIL_ON", "api-resources")],
    );
    assert_eq!(
        ran.calls,
        [
            ASKED_SERVED.to_owned(),
            listed_for(&job, "shop", ""),
            "<delete><--namespace><shop><--timeout><600s><deployment.apps/old>".to_owned(),
        ]
    );
    let (job, ran) = prune_without_secrets(labelled, &[("SERVED", &served), ("FAIL_ON", "auth")]);
    assert_eq!(
        ran.calls,
        [
            ASKED_SERVED.to_owned(),
            ASKED_MAY_LIST.to_owned(),
            listed_for(&job, "shop", ""),
            "<delete><--namespace><shop><--timeout><600s><deployment.apps/old>".to_owned(),
        ]
    );
}

#[test]
fn prune_false_and_gitops_deploys_delete_nothing() {
    let text = std::fs::read_to_string(common::root().join("platform.toml")).expect("readable")
        + "\n[ci.staging]\nprune = false\n";
    let files = common::compile_text(&text).expect("compiles");
    assert!(step(&deploy_job(&files, "ci.yml", "deploy-staging"), STEP).is_none());
    assert!(
        step(
            &deploy_job(&files, "release.yml", "deploy-production"),
            STEP
        )
        .is_some()
    );

    let gitops = common::by_path(common::compile(
        &common::root().join("tests/platforms/gitops.toml"),
    ));
    for (workflow, id) in [
        ("ci.yml", "deploy-staging"),
        ("release.yml", "deploy-production"),
    ] {
        let job = deploy_job(&gitops, workflow, id);
        assert!(
            steps(&job).iter().all(|s| !s["run"]
                .as_str()
                .is_some_and(|r| r.contains("kubectl delete"))),
            "{id}"
        );
    }
}

/// The listing of a custom kind only where the cluster serves it is shell no example platform
/// renders (each renders an ExternalSecret wherever it deploys with kubectl): actionlint with
/// shellcheck, and zizmor, check it here as `scripts/validate-out.sh` checks `out/`.
#[test]
#[ignore = "needs the validators: run scripts/test"]
fn the_listing_if_served_passes_actionlint_shellcheck_and_zizmor() {
    let bin = common::validators_bin();
    let files = without_secrets_in_production();
    let dir = tempfile::tempdir().expect("temp dir");
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    let mut paths = Vec::new();
    for name in ["ci.yml", "release.yml"] {
        let path = workflows.join(name);
        let text = &files[&format!(".github/workflows/{name}")];
        assert!(name == "ci.yml" || text.contains("PRUNE_KINDS_IF_SERVED"));
        std::fs::write(&path, text).expect("write");
        paths.push(path);
    }
    let actionlint = common::actionlint(&paths, true);
    assert!(actionlint.status.success(), "{}", common::text(&actionlint));
    let zizmor = Command::new(bin.join("zizmor"))
        .args(["--quiet", "--offline", "--no-config", "--no-ignores"])
        .args(["--min-severity", "low", "--no-progress", "--color", "never"])
        .args(&paths)
        .output()
        .expect("zizmor runs (scripts/install-validators.sh)");
    assert!(zizmor.status.success(), "{}", common::text(&zizmor));
}

const HANDOVER: &str = "Hand the replica counts over to the autoscalers";

/// The Deployments of `env` rendered without `replicas`, in the kustomization's order: those
/// an HPA scales.
fn unreplicated(files: &common::Files, env: &str) -> Vec<String> {
    let kustomization = common::yaml(files, &format!("{env}/kubernetes/kustomization.yaml"));
    kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r.as_str().expect("a path").strip_suffix("-deployment.yaml"))
        .filter(|name| {
            let path = format!("{env}/kubernetes/{name}-deployment.yaml");
            common::yaml(files, &path)["spec"].get("replicas").is_none()
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_deploy_hands_over_exactly_the_counts_of_the_deployments_an_hpa_scales() {
    let files = reference();
    for (workflow, id, env) in [
        ("ci.yml", "deploy-staging", "staging"),
        ("release.yml", "deploy-production", "production"),
    ] {
        let job = deploy_job(&files, workflow, id);
        let names: Vec<&str> = steps(&job)
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        let at = |name: &str| names.iter().position(|n| *n == name);
        let handover = at(HANDOVER).unwrap_or_else(|| panic!("{id}: a handover step"));
        assert!(at("Write the kubeconfig").expect("kubeconfig") < handover);
        assert_eq!(
            at("Apply the manifests"),
            Some(handover + 1),
            "{id}: just before the apply"
        );
        let expected = unreplicated(&files, env);
        assert!(!expected.is_empty(), "{env} autoscales");
        assert_eq!(
            step(&job, HANDOVER).expect("step")["env"]["DEPLOYMENTS"],
            expected.join(" "),
            "{id}"
        );
    }
    // Production: platform-api scales, the others run a fixed count.
    assert_eq!(unreplicated(&files, "production"), ["platform-api"]);
}

#[test]
fn each_count_is_applied_as_it_runs_under_a_manager_of_its_own() {
    let files = reference();
    let job = deploy_job(&files, "ci.yml", "deploy-staging");
    let handover = step(&job, HANDOVER).expect("a handover step").clone();
    let ran = Runner::new().run(&job, &handover, &[("LABELLED", "4")]);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    let namespace = job["env"]["NAMESPACE"].as_str().expect("namespace");
    let mut expected = Vec::new();
    for deployment in unreplicated(&files, "staging") {
        expected.push(format!(
            "<get><deployment><{deployment}><--namespace><{namespace}><--ignore-not-found>\
             <--output><jsonpath={{.spec.replicas}}>"
        ));
        expected.push(
            "<apply><--server-side><--field-manager><platgen-replicas-handover>\
             <--validate=false><--filename><->"
                .to_owned(),
        );
        // Only the count: every other field stays platgen's.
        expected.push(
            serde_json::json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": deployment, "namespace": namespace},
                "spec": {"replicas": 4},
            })
            .to_string(),
        );
    }
    assert_eq!(ran.calls, expected);
}

#[test]
fn a_deployment_not_yet_created_is_skipped_and_a_lasting_conflict_fails_the_deploy() {
    let files = reference();
    let job = deploy_job(&files, "release.yml", "deploy-production");
    let handover = step(&job, HANDOVER).expect("a handover step").clone();
    let get = "<get><deployment><platform-api><--namespace><platform><--ignore-not-found>\
               <--output><jsonpath={.spec.replicas}>";
    let ran = Runner::new().run(&job, &handover, &[("LABELLED", "")]);
    assert!(ran.output.status.success(), "{}", common::text(&ran.output));
    assert_eq!(ran.calls, [get]);

    // The autoscaler changing the count between each read and apply: three tries, then a stop.
    let ran = Runner::new().run(&job, &handover, &[("LABELLED", "3"), ("FAIL_ON", "apply")]);
    assert_eq!(ran.output.status.code(), Some(1));
    assert_eq!(ran.calls.iter().filter(|c| c.as_str() == get).count(), 3);
    assert!(
        common::text(&ran.output)
            .contains("::error::could not hand the replica count of platform-api over"),
        "{}",
        common::text(&ran.output)
    );
}

#[test]
fn no_handover_without_an_autoscaler_or_under_gitops() {
    let text = std::fs::read_to_string(common::root().join("platform.toml"))
        .expect("readable")
        .replace(
            "autoscaling = { min = 3, max = 10, cpu = 70, memory = 80 }",
            "",
        )
        // Two pods each in staging, for the disruption budgets there.
        .replace(
            "replicas = 1, autoscaling = { min = 1, max = 3 }",
            "replicas = 2",
        );
    let files = common::compile_text(&text).expect("compiles");
    for (workflow, id) in [
        ("ci.yml", "deploy-staging"),
        ("release.yml", "deploy-production"),
    ] {
        assert!(
            step(&deploy_job(&files, workflow, id), HANDOVER).is_none(),
            "{id}"
        );
    }
    // A GitOps deploy applies nothing itself (docs/gitops.md says how to hand a count over).
    let text = std::fs::read_to_string(common::root().join("platform.toml"))
        .expect("readable")
        .replace("deploy = \"kubectl\"", "deploy = \"gitops\"")
        .replace("kubeconfig_secret = \"KUBE_CONFIG_PROD\"", "");
    let gitops = common::compile_text(&text).expect("compiles");
    assert!(!unreplicated(&gitops, "production").is_empty());
    for workflow in ["ci.yml", "release.yml"] {
        let jobs = common::yaml(&gitops, &format!(".github/workflows/{workflow}"));
        for job in jobs["jobs"].as_object().expect("jobs").values() {
            assert!(step(job, HANDOVER).is_none(), "{workflow}");
        }
    }
}
