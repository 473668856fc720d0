//! The GitHub Actions workflows: what they build, test against and deploy is exactly what the
//! platform declares, they follow the hardening rules (pinned actions, least privilege, no
//! expression inside a script), and `workflows = "repository"` writes through the documented
//! link without weakening platgen's ownership of files. The third-party validators run over the
//! same files in tests/validators.rs; the snapshots are in tests/render.rs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use platgen::diagnostics::SourceFile;
use platgen::model::actions;
use platgen::render::RenderedFile;
use serde_json::Value;

const WORKFLOWS: [&str; 3] = ["ci.yml", "release.yml", "security.yml"];

/// Every platform's rendered files, by platform name.
fn rendered() -> Vec<(String, Vec<RenderedFile>)> {
    common::platforms()
        .into_iter()
        .map(|(name, path)| (name, common::compile(&path)))
        .collect()
}

fn file<'a>(files: &'a [RenderedFile], path: &str) -> Option<&'a RenderedFile> {
    files.iter().find(|f| f.path == path)
}

fn yaml(files: &[RenderedFile], path: &str) -> Value {
    let file = file(files, path).unwrap_or_else(|| panic!("{path} is rendered"));
    serde_saphyr::from_str(&file.content).unwrap_or_else(|e| panic!("{path} parses: {e}"))
}

fn workflow(files: &[RenderedFile], name: &str) -> Value {
    yaml(files, &format!(".github/workflows/{name}"))
}

/// The raw TOML of a platform, for expectations computed independently of platgen's model.
fn spec(platform: &str) -> toml::Table {
    let path = common::platforms()
        .into_iter()
        .find(|(name, _)| name == platform)
        .map(|(_, path)| path)
        .expect("platform exists");
    toml::from_str(&std::fs::read_to_string(path).expect("readable")).expect("valid TOML")
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn matrix_services(job: &Value) -> Vec<String> {
    job["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix include list")
        .iter()
        .map(|entry| entry["service"].as_str().expect("service").to_owned())
        .collect()
}

/// Every step of every job of a workflow, with its job id.
fn steps(workflow: &Value) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for (id, job) in workflow["jobs"].as_object().expect("jobs") {
        for step in job["steps"].as_array().expect("steps") {
            all.push((id.clone(), step.clone()));
        }
    }
    all
}

#[test]
fn build_matrices_list_exactly_the_services_with_a_dockerfile() {
    for (platform, files) in rendered() {
        let dockerfiles: BTreeSet<String> = files
            .iter()
            .filter_map(|f| f.path.strip_prefix("docker/Dockerfile."))
            .map(str::to_owned)
            .collect();
        assert!(!dockerfiles.is_empty(), "{platform}: Dockerfiles rendered");
        for (name, job) in [
            ("ci.yml", "build"),
            ("release.yml", "build"),
            ("security.yml", "trivy"),
        ] {
            let job = &workflow(&files, name)["jobs"][job];
            let services = matrix_services(job);
            let unique: BTreeSet<String> = services.iter().cloned().collect();
            assert_eq!(
                unique.len(),
                services.len(),
                "{platform} {name}: no duplicates"
            );
            assert_eq!(
                unique, dockerfiles,
                "{platform} {name}: matrix = Dockerfiles"
            );
            for entry in job["strategy"]["matrix"]["include"]
                .as_array()
                .expect("list")
            {
                let service = entry["service"].as_str().expect("service");
                assert_eq!(
                    entry["dockerfile"].as_str(),
                    Some(format!("out/docker/Dockerfile.{service}").as_str()),
                    "{platform} {name}: the container plan's Dockerfile path"
                );
            }
        }
    }
}

#[test]
fn build_matrix_of_the_reference_platform() {
    let files = common::compile(&common::root().join("platform.toml"));
    let ci = workflow(&files, "ci.yml");
    assert_eq!(
        matrix_services(&ci["jobs"]["build"]),
        [
            "platform-api",
            "platform-auth",
            "platform-user",
            "platform-worker"
        ]
    );
}

#[test]
fn test_job_runs_exactly_the_dependencies_the_services_use() {
    let expected_by_platform = BTreeMap::from([
        ("reference", vec!["postgres", "rabbitmq", "redis"]),
        ("four-services", vec!["postgres", "queue"]),
        ("worker-only", vec!["cache"]),
        ("gitops", vec!["analytics", "postgres", "redis"]),
    ]);
    for (platform, files) in rendered() {
        let spec = spec(&platform);
        // Independent of platgen's model: the union of every service's `uses` in the TOML.
        let used: BTreeSet<String> = spec["services"]
            .as_table()
            .expect("services")
            .values()
            .flat_map(|s| {
                s.get("uses")
                    .and_then(|u| u.as_array())
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|d| d.as_str().expect("name").to_owned())
            .collect();
        if let Some(expected) = expected_by_platform.get(platform.as_str()) {
            let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
            assert_eq!(used, expected, "{platform}: the fixture's dependency set");
        }
        let test = &workflow(&files, "ci.yml")["jobs"]["test"];
        assert_eq!(keys(&test["services"]), used, "{platform}: test services");
        let variables: BTreeSet<String> = used
            .iter()
            .map(|dep| {
                let table = &spec["dependencies"][dep.as_str()];
                let kind = table
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .unwrap_or(dep.as_str());
                table
                    .get("url_variable")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| match kind {
                        "postgres" => "DATABASE_URL".to_owned(),
                        other => format!("{}_URL", other.to_uppercase()),
                    })
            })
            .collect();
        assert_eq!(keys(&test["env"]), variables, "{platform}: URL variables");
        let mut host_ports = BTreeSet::new();
        for (name, service) in test["services"].as_object().expect("services") {
            let options = service["options"].as_str().expect("options");
            assert!(
                options.contains("--health-cmd"),
                "{platform} {name}: health check"
            );
            let port = service["ports"][0].as_str().expect("a port mapping");
            let host = port.split(':').next().expect("host port");
            assert!(
                host_ports.insert(host.to_owned()),
                "{platform} {name}: host port {host} unique"
            );
        }
        for (variable, url) in test["env"].as_object().expect("env") {
            let url = url.as_str().expect("a URL");
            assert!(
                url.contains("@localhost:") || url.contains("://localhost:"),
                "{platform} {variable}: {url}"
            );
            let port = url
                .split("localhost:")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .expect("port");
            assert!(
                host_ports.contains(port),
                "{platform} {variable} points at a mapped port"
            );
        }
    }
}

#[test]
fn two_databases_of_one_kind_get_distinct_ports() {
    let files = common::compile(&common::root().join("tests/platforms/gitops.toml"));
    let test = &workflow(&files, "ci.yml")["jobs"]["test"];
    assert_eq!(test["services"]["analytics"]["ports"][0], "5432:5432");
    assert_eq!(test["services"]["postgres"]["ports"][0], "5433:5432");
    assert!(
        test["env"]["ANALYTICS_DATABASE_URL"]
            .as_str()
            .is_some_and(|u| u.contains("localhost:5432/"))
    );
    assert!(
        test["env"]["DATABASE_URL"]
            .as_str()
            .is_some_and(|u| u.contains("localhost:5433/"))
    );
}

#[test]
fn no_expression_inside_any_run_script() {
    for (platform, files) in rendered() {
        for name in WORKFLOWS {
            for (job, step) in steps(&workflow(&files, name)) {
                if let Some(run) = step.get("run") {
                    let run = run.as_str().expect("run is a string");
                    assert!(
                        !run.contains("${{"),
                        "{platform} {name} job {job}: expression in run: {run}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_action_is_pinned_from_the_one_table() {
    let table: BTreeMap<&str, &actions::PinnedAction> =
        actions::ALL.iter().map(|a| (a.name, a)).collect();
    for (platform, files) in rendered() {
        for name in WORKFLOWS {
            let text = &file(&files, &format!(".github/workflows/{name}"))
                .expect("rendered")
                .content;
            for (job, step) in steps(&workflow(&files, name)) {
                let Some(uses) = step.get("uses").and_then(Value::as_str) else {
                    continue;
                };
                let (action, sha) = uses.split_once('@').expect("owner/repo@ref");
                let pinned = table.get(action).unwrap_or_else(|| {
                    panic!("{platform} {name} {job}: {action} is not in the table")
                });
                assert_eq!(sha, pinned.sha, "{platform} {name} {job}: {action}");
                assert!(
                    text.contains(&format!("uses: {uses} # {}\n", pinned.version)),
                    "{platform} {name}: {action} carries its version comment"
                );
            }
        }
    }
}

#[test]
fn permissions_are_least_privilege() {
    for (platform, files) in rendered() {
        for name in WORKFLOWS {
            let workflow = workflow(&files, name);
            assert_eq!(
                workflow["permissions"],
                serde_json::json!({}),
                "{platform} {name}"
            );
            for (id, job) in workflow["jobs"].as_object().expect("jobs") {
                let permissions = job.get("permissions").unwrap_or_else(|| {
                    panic!("{platform} {name} {id}: job declares its permissions")
                });
                for (scope, level) in permissions.as_object().expect("a map") {
                    if level == "write" {
                        let allowed = matches!(
                            (id.as_str(), scope.as_str()),
                            ("release", "contents")
                                | ("trivy", "security-events")
                                | ("build", "packages")
                                | ("deploy-staging" | "deploy-production", "contents")
                        );
                        assert!(allowed, "{platform} {name} {id}: {scope}: write");
                    }
                }
                for step in job["steps"].as_array().expect("steps") {
                    if step["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("actions/checkout@"))
                    {
                        let persists = step["with"]["persist-credentials"] != Value::Bool(false);
                        // Only the GitOps deploy pushes, and only it may keep the token.
                        let pushes =
                            id.starts_with("deploy-") && job["permissions"]["contents"] == "write";
                        assert_eq!(
                            persists, pushes,
                            "{platform} {name} {id}: persist-credentials"
                        );
                    }
                }
            }
        }
    }
}

/// The names of the secrets a job reads (`secrets.NAME` anywhere in it).
fn secrets_read(job: &Value) -> BTreeSet<String> {
    let text = job.to_string();
    text.match_indices("secrets.")
        .map(|(at, found)| {
            text[at + found.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Every secret but the workflow's own token and the Codecov upload token (which pull-request
/// runs need, and an environment's branch rules would withhold) is read inside a GitHub
/// environment: the deploy jobs' kubeconfigs in their target's, with a deployment record; the
/// registry credentials in `[ci.secrets] registry_environment` (default `registry`), without
/// one, as a build deploys nothing. A login with the workflow's own token needs none.
#[test]
fn secrets_are_read_inside_a_github_environment() {
    // Each platform with the environment its build jobs must name: none where the registry is
    // GitHub's (the workflow's own token logs in), else `registry` or the one configured.
    let mut platforms: Vec<(String, Vec<RenderedFile>, Option<&str>)> = rendered()
        .into_iter()
        .map(|(platform, files)| {
            let registry = spec(&platform)["platform"]["registry"].clone();
            let own_token = registry
                .as_str()
                .expect("a registry")
                .starts_with("ghcr.io/");
            (platform, files, (!own_token).then_some("registry"))
        })
        .collect();
    let custom = format!(
        "{}\n[ci.secrets]\nregistry_environment = \"image-push\"\n",
        include_str!("fixtures/small.toml")
    );
    let custom = platgen::compile(SourceFile::new("custom.toml", custom), None, None)
        .expect("compiles")
        .files;
    platforms.push(("custom".to_owned(), custom, Some("image-push")));
    let mut seen = BTreeSet::new();
    for (platform, files, registry_environment) in platforms {
        for name in WORKFLOWS {
            let workflow = workflow(&files, name);
            for (id, job) in workflow["jobs"].as_object().expect("jobs") {
                let mut secrets = secrets_read(job);
                secrets.remove("GITHUB_TOKEN");
                secrets.remove("CODECOV_TOKEN");
                let environment = job.get("environment");
                if id == "build" {
                    let expected = registry_environment
                        .map(|name| serde_json::json!({"name": name, "deployment": false}));
                    assert_eq!(environment, expected.as_ref(), "{platform} {name} {id}");
                    let registry_secrets = ["REGISTRY_PASSWORD", "REGISTRY_USERNAME"]
                        .into_iter()
                        .filter(|_| registry_environment.is_some())
                        .map(str::to_owned)
                        .collect();
                    assert_eq!(secrets, registry_secrets, "{platform} {name} {id}");
                    seen.insert(("build", registry_environment.is_some()));
                } else if !secrets.is_empty() {
                    let target = environment.and_then(|e| e["name"].as_str()).unwrap_or_else(
                        || {
                            panic!(
                                "{platform} {name} {id}: reads {secrets:?} outside an environment"
                            )
                        },
                    );
                    assert!(id.starts_with("deploy-"), "{platform} {name} {id}");
                    assert_eq!(
                        job["env"]["ENVIRONMENT"], target,
                        "{platform} {name} {id}: a deploy job runs in its target's environment"
                    );
                    assert!(
                        environment.and_then(|e| e.get("deployment")).is_none(),
                        "{platform} {name} {id}: a deploy keeps its deployment record"
                    );
                    seen.insert(("deploy", true));
                }
            }
        }
    }
    // Builds with and without an environment, and a deploy reading a secret, were all seen.
    assert_eq!(
        seen,
        BTreeSet::from([("build", false), ("build", true), ("deploy", true)])
    );
}

/// `metadata.name` of a rendered Namespace.
fn namespace(files: &[RenderedFile], env: &str) -> String {
    yaml(files, &format!("{env}/kubernetes/namespace.yaml"))["metadata"]["name"]
        .as_str()
        .expect("a name")
        .to_owned()
}

/// Each deploy job: workflow, job id, environment, and the image tag it deploys.
const DEPLOYS: [(&str, &str, &str, &str); 2] = [
    ("ci.yml", "deploy-staging", "staging", "${{ github.sha }}"),
    (
        "release.yml",
        "deploy-production",
        "production",
        "${{ github.ref_name }}",
    ),
];

/// The index of the first step whose `run` satisfies `test`.
fn step_running(steps: &[Value], what: &str, test: impl Fn(&str) -> bool) -> usize {
    steps
        .iter()
        .position(|s| s["run"].as_str().is_some_and(&test))
        .unwrap_or_else(|| panic!("a step that {what}"))
}

/// The Python program of the step that pins the image tag (between `<<'PY'` and `PY`).
fn pin_program(steps: &[Value]) -> String {
    let run = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("pin_image_tag() {"))
        .expect("a step defines pin_image_tag");
    let (_, program) = run.split_once("<<'PY'\n").expect("a heredoc");
    let (program, _) = program.split_once("\nPY\n").expect("its end");
    program.to_owned()
}

#[test]
fn kubectl_deploys_apply_the_rendered_manifests_and_roll_each_service() {
    let files = common::compile(&common::root().join("platform.toml"));
    for (name, id, env, tag) in DEPLOYS {
        let job = &workflow(&files, name)["jobs"][id];
        assert_eq!(job["environment"]["name"], env);
        assert_eq!(job["concurrency"]["group"], format!("deploy-{env}"));
        assert_eq!(job["concurrency"]["cancel-in-progress"], false);
        assert_eq!(job["permissions"], serde_json::json!({"contents": "read"}));
        assert_eq!(job["env"]["ENVIRONMENT"], env);
        assert_eq!(job["env"]["NAMESPACE"], namespace(&files, env), "{id}");
        // The tag the build job pushed for this run.
        assert_eq!(job["env"]["IMAGE_TAG"], tag);
        assert_eq!(job["env"]["PLATGEN_CONFIG"], "platform.toml");
        assert_eq!(job["env"]["PLATGEN_OUT"], "out");
        let steps = job["steps"].as_array().expect("steps");
        assert!(
            steps[0]["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        );
        assert_eq!(steps[0]["with"]["persist-credentials"], false);
        assert!(
            steps[0]["with"].get("ref").is_none(),
            "{id}: the commit this run built"
        );

        // The tag is pinned in platform.toml (the workspace only), then this environment rendered.
        let render = step_running(steps, "renders", |r| r.contains("platgen render"));
        let script = steps[render]["run"].as_str().expect("run");
        let pinned = script.find("\npin_image_tag\n").expect("the tag is pinned");
        let rendered = script
            .find(
                "platgen render --config \"${PLATGEN_CONFIG}\" --out \"${PLATGEN_OUT}\" \
                 --env \"${ENVIRONMENT}\"",
            )
            .expect("renders this environment into the out dir");
        assert!(pinned < rendered, "{id}: pinned before rendering");
        assert!(
            !script.contains("git commit") && !script.contains("git push"),
            "{id}: the pin is never committed"
        );
        assert!(
            steps[render]["env"]["TOMLKIT"]
                .as_str()
                .is_some_and(|t| t.starts_with("tomlkit=="))
        );

        // The kubeconfig exists only from after the render to the end of the job.
        let kubeconfig = step_running(steps, "writes the kubeconfig", |r| {
            r.contains("base64 --decode")
        });
        assert!(
            render < kubeconfig,
            "{id}: platgen and uv never see the kubeconfig"
        );
        let write = steps[kubeconfig]["run"].as_str().expect("run");
        assert!(write.contains("umask 077"));
        assert!(write.contains("\"${RUNNER_TEMP}/kubeconfig\""));
        assert!(write.contains(">> \"${GITHUB_ENV}\""));
        assert!(
            !write.contains("echo \"${KUBE_CONFIG}"),
            "the secret is never echoed"
        );
        let last = steps.last().expect("steps");
        assert_eq!(last["if"], "always()");
        assert_eq!(last["run"], "rm -f -- \"${RUNNER_TEMP}/kubeconfig\"");

        // What is applied is the environment's kustomization, as rendered.
        let apply = step_running(steps, "applies", |r| r.starts_with("kubectl apply"));
        assert!(kubeconfig < apply);
        let manifests = steps[apply]["env"]["MANIFESTS"]
            .as_str()
            .expect("MANIFESTS");
        assert_eq!(manifests, format!("out/{env}/kubernetes"));
        let kustomization = yaml(
            &files,
            &format!(
                "{}/kustomization.yaml",
                manifests.strip_prefix("out/").expect("in out")
            ),
        );
        assert_eq!(kustomization["kind"], "Kustomization");
        let run = steps[apply]["run"].as_str().expect("run");
        assert!(run.contains("--kustomize \"${MANIFESTS}\""), "{run}");
        assert!(run.contains("--server-side"), "{run}");
        assert!(!run.contains("--prune"), "{run}: nothing is pruned blindly");
        assert!(
            steps.iter().all(|s| !s["run"]
                .as_str()
                .is_some_and(|r| r.contains("kubectl set image"))),
            "{id}: images come from the manifests only"
        );

        // Every Deployment of the environment is waited for, after the apply.
        let waits: Vec<(usize, &str)> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("kubectl rollout status"))
            })
            .map(|(i, s)| (i, s["env"]["DEPLOYMENT"].as_str().expect("deployment")))
            .collect();
        assert!(
            waits
                .iter()
                .all(|(i, _)| apply < *i && *i < steps.len() - 1)
        );
        let waited: Vec<&str> = waits.iter().map(|(_, d)| *d).collect();
        let deployments: Vec<String> = files
            .iter()
            .filter_map(|f| f.path.strip_prefix(&format!("{env}/kubernetes/")))
            .filter_map(|f| f.strip_suffix("-deployment.yaml"))
            .map(str::to_owned)
            .collect();
        assert!(!deployments.is_empty());
        assert_eq!(waited, deployments, "{id}: every rollout waited for");
        for deployment in &deployments {
            assert!(
                kustomization["resources"]
                    .as_array()
                    .expect("resources")
                    .iter()
                    .any(|r| r == &format!("{deployment}-deployment.yaml")),
                "{id}: {deployment} is applied"
            );
        }
    }
    let kubeconfig_secret = |name: &str, id: &str| {
        let job = &workflow(&files, name)["jobs"][id];
        let steps = job["steps"].as_array().expect("steps").clone();
        let i = step_running(&steps, "writes the kubeconfig", |r| {
            r.contains("base64 --decode")
        });
        steps[i]["env"]["KUBE_CONFIG"].clone()
    };
    assert_eq!(
        kubeconfig_secret("ci.yml", "deploy-staging"),
        "${{ secrets.KUBE_CONFIG_STAGING }}"
    );
    assert_eq!(
        kubeconfig_secret("release.yml", "deploy-production"),
        "${{ secrets.KUBE_CONFIG_PROD }}"
    );
}

/// Both strategies set `image_tag` with the same program: a deploy by kubectl applies what the
/// GitOps deploy would commit.
#[test]
fn both_deploy_strategies_pin_the_tag_with_one_program() {
    let kubectl = common::compile(&common::root().join("platform.toml"));
    let gitops = common::compile(&common::root().join("tests/platforms/gitops.toml"));
    for (name, id, _, _) in DEPLOYS {
        let program = |files: &[RenderedFile]| {
            let job = &workflow(files, name)["jobs"][id];
            pin_program(job["steps"].as_array().expect("steps"))
        };
        let pin = program(&kubectl);
        assert!(
            pin.contains("[\"image_tag\"] = os.environ[\"IMAGE_TAG\"]"),
            "{pin}"
        );
        assert_eq!(pin, program(&gitops), "{name} {id}");
    }
}

/// The expression inside `${{ … }}`.
fn expression(value: &Value) -> &str {
    value
        .as_str()
        .and_then(|v| v.strip_prefix("${{ "))
        .and_then(|v| v.strip_suffix(" }}"))
        .unwrap_or_else(|| panic!("not a ${{{{ }}}} expression: {value}"))
}

/// GitHub's `contains(github.ref_name, '<needle>')` on a tag, the one form the release uses.
fn contains_on(expression: &str, tag: &str) -> bool {
    let needle = expression
        .strip_prefix("contains(github.ref_name, '")
        .and_then(|e| e.strip_suffix("')"))
        .unwrap_or_else(|| panic!("unexpected expression {expression}"));
    tag.contains(needle)
}

#[test]
fn pre_releases_are_marked_so_and_never_deployed_to_production() {
    for (name, files) in rendered() {
        if file(&files, ".github/workflows/release.yml").is_none() {
            continue;
        }
        let release = workflow(&files, "release.yml");
        let step = release["jobs"]["release"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["name"] == "Create the release")
            .expect("the release step")
            .clone();
        let prerelease = expression(&step["env"]["PRERELEASE"]);
        let Some(deploy) = release["jobs"].get("deploy-production") else {
            continue;
        };
        let guard = expression(&deploy["if"]);
        // The guard is the prerelease test negated: the two can never disagree.
        assert_eq!(guard, format!("!{prerelease}"), "{name}");
        for (tag, is_prerelease) in [
            ("v1.1.0-rc1", true),
            ("v2.0.0-beta.2", true),
            ("v1.0.0-alpha", true),
            ("v1.1.0", false),
            ("v10.0.3", false),
        ] {
            assert_eq!(contains_on(prerelease, tag), is_prerelease, "{name}: {tag}");
        }
    }
}

#[test]
fn platforms_without_staging_have_no_staging_deploy() {
    let files = common::compile(&common::root().join("tests/platforms/four-services.toml"));
    let ci = workflow(&files, "ci.yml");
    assert!(ci["jobs"].get("deploy-staging").is_none());
    let release = workflow(&files, "release.yml");
    assert_eq!(
        release["jobs"]["deploy-production"]["env"]["NAMESPACE"],
        "shop-prod"
    );
}

/// An environment where every service is disabled gets no deploy job: there is no image to set
/// or pin and no rollout to wait for.
#[test]
fn an_environment_that_runs_no_service_is_deployed_only_to_prune() {
    let small = include_str!("fixtures/small.toml");
    let idle = small
        .replace("replicas = 2\n", "replicas = 2\nenv.staging = { enabled = false }\n")
        .replace(
            "health = { command = [\"python\", \"-m\", \"jobs.health\"] }",
            "health = { command = [\"python\", \"-m\", \"jobs.health\"] }\nenv.staging = { enabled = false }",
        );
    assert_ne!(idle, small);
    for (ci_table, prunes) in [
        ("deploy = \"gitops\"\n", false),
        (
            "deploy = \"kubectl\"\n\n[ci.staging]\nprune = false\n",
            false,
        ),
        ("deploy = \"kubectl\"\n", true),
    ] {
        let text = format!("{idle}\n[ci]\n{ci_table}");
        let files = common::compile_text(&text).expect("compiles");
        let ci: Value = serde_saphyr::from_str(&files[".github/workflows/ci.yml"]).expect("YAML");
        let release: Value =
            serde_saphyr::from_str(&files[".github/workflows/release.yml"]).expect("YAML");
        assert!(release["jobs"].get("deploy-production").is_some());
        if prunes {
            // Only the prune deletes what an earlier deploy left running: the job applies the
            // environment (its namespace), waits for no rollout, and prunes.
            let job = &ci["jobs"]["deploy-staging"];
            let names: Vec<&str> = job["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .filter_map(|s| s["name"].as_str())
                .collect();
            assert!(names.contains(&"Apply the manifests"), "{names:?}");
            assert!(
                names.contains(&"Prune what the platform no longer renders"),
                "{names:?}"
            );
            assert!(
                !names.iter().any(|n| n.starts_with("Wait for the rollout")),
                "{names:?}"
            );
            continue;
        }
        assert!(ci["jobs"].get("deploy-staging").is_none(), "{ci_table}");
        assert!(!files[".github/workflows/ci.yml"].contains("and deploy\n# to staging"));
    }
}

/// A push to the deploy branch cancels an older push scan, never the nightly one.
#[test]
fn a_push_never_cancels_the_nightly_security_scan() {
    for (name, files) in rendered() {
        let security = workflow(&files, "security.yml");
        let group = security["concurrency"]["group"]
            .as_str()
            .unwrap_or_default();
        assert!(
            group.contains("${{ github.event_name }}"),
            "{name}: {group}"
        );
        assert_eq!(
            security["concurrency"]["cancel-in-progress"], true,
            "{name}"
        );
    }
}

#[test]
fn gitops_deploys_pin_the_tag_and_commit_it() {
    let files = common::compile(&common::root().join("tests/platforms/gitops.toml"));
    for (name, id, env, tag) in DEPLOYS {
        let job = &workflow(&files, name)["jobs"][id];
        assert_eq!(job["env"]["ENVIRONMENT"], env);
        assert_eq!(job["env"]["IMAGE_TAG"], tag);
        assert_eq!(job["env"]["DEPLOY_BRANCH"], "trunk");
        let run: String = job["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect();
        assert!(run.contains("platgen render"), "{id} re-renders out/");
        assert!(run.contains("git push origin \"HEAD:refs/heads/${DEPLOY_BRANCH}\""));
        assert!(
            !run.contains("kubectl"),
            "{id}: GitOps never talks to the cluster"
        );
    }
    let images = |env: &str| -> Vec<(String, String)> {
        yaml(&files, &format!("{env}/kubernetes/kustomization.yaml"))["images"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|i| {
                        (
                            i["name"].as_str().expect("name").to_owned(),
                            i["newTag"].as_str().expect("tag").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let pin = |service: &str| (format!("ghcr.io/acme/{service}"), "v2.0.0".to_owned());
    assert_eq!(
        images("staging"),
        [pin("ledger-api")],
        "the worker is off in staging"
    );
    assert_eq!(
        images("production"),
        [pin("ledger-api"), pin("ledger-worker")]
    );
    // The pin and the Deployment agree: both are the environment's image_tag.
    let deployment = yaml(&files, "production/kubernetes/ledger-api-deployment.yaml");
    let image = deployment["spec"]["template"]["spec"]["containers"][0]["image"].clone();
    assert_eq!(image, "ghcr.io/acme/ledger-api:v2.0.0");
    // kubectl platforms pin nothing in their kustomizations.
    let reference = common::compile(&common::root().join("platform.toml"));
    assert!(
        yaml(&reference, "staging/kubernetes/kustomization.yaml")
            .get("images")
            .is_none()
    );
}

#[test]
fn repository_mode_checks_the_link_in_ci() {
    let files = common::compile(&common::root().join("tests/platforms/gitops.toml"));
    let platgen = &workflow(&files, "ci.yml")["jobs"]["platgen"];
    let link = platgen["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == "Check the workflows link")
        .expect("a link check");
    assert_eq!(link["env"]["LINK"], "out/.github");
    assert_eq!(link["env"]["TARGET"], "../.github");
    let reference = common::compile(&common::root().join("platform.toml"));
    let text = &file(&reference, ".github/workflows/ci.yml")
        .expect("ci.yml")
        .content;
    assert!(!text.contains("Check the workflows link"));
}

fn platgen(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_platgen"))
        .args(args)
        .current_dir(cwd)
        .env("PLATGEN_CACHE", "off")
        .output()
        .expect("platgen runs")
}

/// A repository that uses `workflows = "repository"`: the platform file at its root, a
/// workflow of its own, and the documented link `out/.github` → `../.github`.
#[cfg(unix)]
fn repository(existing_ci: Option<&str>) -> tempfile::TempDir {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    std::fs::copy(
        common::root().join("tests/platforms/gitops.toml"),
        root.join("platform.toml"),
    )
    .expect("copy platform");
    std::fs::create_dir_all(root.join(".github/workflows")).expect("mkdir");
    std::fs::write(root.join(".github/workflows/own.yml"), "name: own\n").expect("write");
    if let Some(text) = existing_ci {
        std::fs::write(root.join(".github/workflows/ci.yml"), text).expect("write");
    }
    std::fs::create_dir_all(root.join("out")).expect("mkdir out");
    std::os::unix::fs::symlink("../.github", root.join("out/.github")).expect("link");
    repo
}

#[cfg(unix)]
#[test]
fn repository_mode_writes_real_files_where_github_reads_them() {
    let repo = repository(None);
    let root = repo.path();
    let render = platgen(&["render"], root);
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    for name in WORKFLOWS {
        let path = root.join(".github/workflows").join(name);
        let meta = std::fs::symlink_metadata(&path).expect("written");
        assert!(
            meta.file_type().is_file(),
            "{name} is a regular file, not a link"
        );
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(text.starts_with("# Code generated by platgen"));
    }
    assert_eq!(
        std::fs::read_to_string(root.join(".github/workflows/own.yml")).expect("kept"),
        "name: own\n",
        "a workflow platgen did not write is left alone"
    );
    assert!(
        std::fs::symlink_metadata(root.join("out/.github"))
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link survives the render"
    );
    // `--strict` too: the documented link (and the repository's own workflow behind it) is
    // not a file platgen does not own in out/.
    for args in [&["check"][..], &["check", "--strict"]] {
        let check = platgen(args, root);
        assert!(
            check.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    // A hand edit through either path is found by `platgen check`.
    std::fs::write(root.join(".github/workflows/ci.yml"), "name: edited\n").expect("edit");
    let check = platgen(&["check"], root);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains(".github/workflows/ci.yml"));
}

#[cfg(unix)]
#[test]
fn repository_mode_never_overwrites_a_hand_written_workflow() {
    let repo = repository(Some("name: mine\n"));
    let root = repo.path();
    let render = platgen(&["render"], root);
    assert_eq!(render.status.code(), Some(2), "refused");
    assert!(String::from_utf8_lossy(&render.stderr).contains("E0502"));
    assert_eq!(
        std::fs::read_to_string(root.join(".github/workflows/ci.yml")).expect("kept"),
        "name: mine\n"
    );
}

#[test]
fn disabled_workflows_are_not_rendered() {
    let text = std::fs::read_to_string(common::root().join("tests/fixtures/small.toml"))
        .expect("fixture")
        + "\n[ci]\nenabled = false\n";
    let compiled = platgen::compile(SourceFile::new("small.toml", text), None, None)
        .unwrap_or_else(|f| panic!("compiles: {f:?}"));
    assert!(
        compiled
            .files
            .iter()
            .all(|f| !f.path.starts_with(".github/"))
    );
}

/// The first diagnostic of a platform that is the small fixture plus `extra`, as
/// (code, line, column, message).
fn first_problem(extra: &str) -> (String, usize, usize, String) {
    let text = std::fs::read_to_string(common::root().join("tests/fixtures/small.toml"))
        .expect("fixture")
        + extra;
    let source = SourceFile::new("platform.toml", text);
    match platgen::analyse(source.clone()) {
        Ok(_) => panic!("{extra} should be rejected"),
        Err(platgen::Failure::Invalid { diagnostics, .. }) => {
            let d = &diagnostics[0];
            let (line, col) = source.line_col(d.span.clone().expect("a span").start);
            (d.code.0.to_owned(), line, col, d.message.clone())
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ci_settings_are_checked_with_their_location() {
    let base = std::fs::read_to_string(common::root().join("tests/fixtures/small.toml"))
        .expect("fixture")
        .lines()
        .count();
    // Lines are counted from the end of the fixture: line 1 is the blank line each case adds.
    let at = |n: usize| base + n;
    let cases = [
        (
            "\n[ci.staging]\nenvironment = \"stagin\"\n",
            "E0340",
            at(3),
            15,
            "unknown environment `stagin`",
        ),
        (
            "\n[environments.dev]\nruntime = \"compose\"\ndomain = \"localhost\"\n\n[ci.staging]\nenvironment = \"dev\"\n",
            "E0341",
            at(7),
            15,
            "runs on compose",
        ),
        (
            "\n[ci.secrets]\ncodecov = \"GITHUB_CODECOV\"\n",
            "E0342",
            at(3),
            11,
            "starts with `GITHUB_`",
        ),
        (
            "\n[ci]\nbranches = [\"develop\", \"release/*\"]\ndeploy_branch = \"main\"\n",
            "E0343",
            at(4),
            17,
            "deploy branch `main`",
        ),
        (
            "\n[ci]\nbranches = [\"release/*\", \"main\"]\n",
            "E0343",
            at(3),
            13,
            "is a pattern",
        ),
    ];
    for (extra, code, line, col, fragment) in cases {
        let (got_code, got_line, got_col, message) = first_problem(extra);
        assert_eq!(got_code, code, "{extra}: {message}");
        assert_eq!((got_line, got_col), (line, col), "{extra}: {message}");
        assert!(message.contains(fragment), "{message}");
    }
}

#[test]
fn two_dependencies_cannot_share_a_url_variable() {
    let extra = "\n[dependencies.analytics]\nkind = \"postgres\"\nversion = \"16\"\n";
    // Only a conflict once a service uses both.
    let text = std::fs::read_to_string(common::root().join("tests/fixtures/small.toml"))
        .expect("fixture")
        .replace(
            "uses = [\"postgres\"]",
            "uses = [\"postgres\", \"analytics\"]",
        )
        + extra;
    let source = SourceFile::new("platform.toml", text);
    let Err(platgen::Failure::Invalid { diagnostics, .. }) = platgen::analyse(source.clone())
    else {
        panic!("rejected")
    };
    let d = &diagnostics[0];
    assert_eq!(d.code.0, "E0344");
    assert!(
        d.message.contains("both pass their URL in `DATABASE_URL`"),
        "{}",
        d.message
    );
    let (line, _) = source.line_col(d.span.clone().expect("span").start);
    assert_eq!(
        source.text.lines().nth(line - 1),
        Some("[dependencies.analytics]")
    );
}

/// actionlint knows the inputs and the runtime (node20 is retired) of popular actions by their
/// major tag only, so SHA pins hide them from it. This runs actionlint over copies of the
/// rendered workflows with each pin replaced by its major tag (`@v7`), so the pinned releases
/// get the input and runtime-deprecation checks too.
#[test]
#[ignore = "needs the validators: run scripts/test"]
fn pinned_actions_pass_actionlint_by_their_major_tags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (platform, files) in rendered() {
        for name in WORKFLOWS {
            let mut text = file(&files, &format!(".github/workflows/{name}"))
                .expect("rendered")
                .content
                .clone();
            for action in actions::ALL {
                let major = action.version.split('.').next().expect("a major");
                let tag = if action.version.starts_with('v') {
                    major.to_owned()
                } else {
                    action.version.to_owned()
                };
                text = text.replace(
                    &format!("{}@{} # {}", action.name, action.sha, action.version),
                    &format!("{}@{tag}", action.name),
                );
            }
            assert!(
                !text.contains("# v"),
                "{platform} {name}: every pin replaced"
            );
            let path = dir.path().join(format!("{platform}-{name}"));
            std::fs::write(&path, text).expect("write");
            paths.push(path);
        }
    }
    let output = common::actionlint(&paths, false);
    assert!(output.status.success(), "{}", common::text(&output));
}

/// Runs the `platgen diff (job summary)` step of the rendered ci.yml in `root` as GitHub does
/// (`bash -e`), with the job's environment and the platgen under test on `PATH`; returns its
/// exit code and what it appended to `$GITHUB_STEP_SUMMARY`.
#[cfg(unix)]
fn run_summary_step(root: &Path) -> (Option<i32>, String) {
    let ci: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join("out/.github/workflows/ci.yml")).expect("ci.yml"),
    )
    .expect("ci.yml parses");
    let job = &ci["jobs"]["platgen"];
    let step = job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == "platgen diff (job summary)")
        .expect("the summary step");
    // Each step gets a summary file of its own.
    let summary = root.join("summary.md");
    let _ = std::fs::remove_file(&summary);
    let bin = Path::new(env!("CARGO_BIN_EXE_platgen"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().expect("a script"))
        .current_dir(root)
        .env("PATH", path)
        .env("PLATGEN_CACHE", "off")
        .env("GITHUB_STEP_SUMMARY", &summary);
    for (name, value) in job["env"].as_object().expect("job env") {
        command.env(name, value.as_str().expect("a string"));
    }
    let status = command.status().expect("bash runs");
    (
        status.code(),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    )
}

/// The job summary is `platgen diff --format markdown`: capped under GitHub's limits, each
/// file's diff fenced with more backticks than it holds. A plain diff in a ```` ```diff ````
/// block was neither: a runbook's context line `   ```` ended the block early, and a large
/// change could pass the 1 MiB a step's summary may hold.
#[cfg(unix)]
#[test]
fn the_ci_diff_summary_is_fenced_markdown_and_fails_only_when_platgen_does() {
    let repo = tempfile::tempdir().expect("temp dir");
    let root = repo.path();
    std::fs::copy(
        common::root().join("platform.toml"),
        root.join("platform.toml"),
    )
    .expect("copy platform");
    let render = platgen(&["render"], root);
    assert!(render.status.success(), "{}", common::text(&render));

    let (code, summary) = run_summary_step(root);
    assert_eq!(code, Some(0));
    assert_eq!(
        summary,
        "### platgen diff\n\n**0 to add, 0 to change, 0 to remove.**\n"
    );

    // A hand edit inside a runbook's PromQL block: its fences are context lines of the diff.
    let runbook = root.join("out/docs/runbooks/AvailabilityBudgetBurn.md");
    let text = std::fs::read_to_string(&runbook).expect("runbook");
    assert!(
        text.contains("\n  ```\n"),
        "the runbook has an indented fence"
    );
    let edited = text.replacen("```promql\n", "```promql\n  # edited\n", 1);
    std::fs::write(&runbook, edited).expect("edit");
    let (code, summary) = run_summary_step(root);
    assert_eq!(code, Some(0), "a difference alone does not fail the step");
    let expected = platgen(&["diff", "--format", "markdown"], root);
    assert_eq!(expected.status.code(), Some(1));
    assert_eq!(summary, String::from_utf8_lossy(&expected.stdout));
    assert!(summary.contains("<details>"), "{summary}");
    assert!(
        summary.contains("\n````diff\n"),
        "a fence longer than the runbook's: {summary}"
    );

    // An invalid platform fails the step with platgen's own exit code.
    std::fs::write(root.join("platform.toml"), "[platform\n").expect("break");
    let (code, _) = run_summary_step(root);
    assert_eq!(code, Some(2));
}
