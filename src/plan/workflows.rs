//! GitHub Actions workflows: `ci.yml` (lint, test, platgen check, build and push, deploy to
//! staging), `release.yml` (changelog, GitHub release, build, deploy to production) and
//! `security.yml` (image scan per service, dependency audit), under
//! `<out>/.github/workflows/`.
//!
//! Rust decides every value: which services are built (exactly those with a Dockerfile), which
//! service containers the tests get (exactly the dependencies the services use), which
//! manifests each deploy job applies and which deployments it waits for, and every GitHub expression that carries a configured
//! name. The templates under `templates/github/` only lay them out, in the alternate syntax
//! (`{{{ }}}`, `{%% %%}`) so GitHub's own `${{ … }}` is written literally. Values reach `run:`
//! scripts only through `env:`, never inside the script text.

mod services;

use std::collections::BTreeMap;

use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::Artifact;
use crate::model::actions::{self, PinnedAction};
use crate::model::ci::{Ci, DeployTarget};
use crate::model::spec::{DeployStrategy, MANAGED_BY, PART_OF, RegistryLogin};
use crate::model::{Platform, ResolvedEnv};
use crate::plan::inputs::Inputs;

use services::test_services;

/// Whether the pushed tag is a pre-release: a SemVer pre-release part (`v1.1.0-rc1`,
/// `v2.0.0-beta.2`) is the only place a `v*` tag has a `-`. One test, so the GitHub release's
/// prerelease flag and the production deploy's guard can never disagree.
const PRERELEASE_TAG: &str = "contains(github.ref_name, '-')";

/// The workflow files, by template name.
pub const WORKFLOWS: &[&str] = &["ci.yml", "release.yml", "security.yml"];

/// One image the build jobs produce: a matrix entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildImage {
    /// Service name.
    pub service: String,
    /// Its Dockerfile, relative to the repository root (the build context).
    pub dockerfile: String,
    /// Image repository, without tag.
    pub image: String,
}

/// One Deployment a deploy job rolls out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployedService {
    /// Service name.
    pub name: String,
    /// Deployment name.
    pub deployment: String,
    /// Name of the step that waits for its rollout.
    pub rollout_step: String,
}

/// A deploy job: its target and everything the job's text needs.
#[derive(Debug, Clone, Serialize)]
pub struct DeployJob {
    /// Job id.
    pub id: String,
    /// Job name.
    pub name: String,
    /// Target environment, namespace, timeout, kubeconfig secret.
    pub target: DeployTarget,
    /// The concurrency group: one deploy per environment at a time, never cancelled halfway.
    pub concurrency_group: String,
    /// Expression of the image tag this job deploys.
    pub image_tag: String,
    /// Expression reading the kubeconfig secret.
    pub kubeconfig: String,
    /// The environment's kustomization folder, relative to the repository root: what the
    /// kubectl strategy applies.
    pub manifests: String,
    /// Deployments rolled, in declaration order: the services enabled in the environment.
    pub services: Vec<DeployedService>,
    /// The Deployments an HPA scales, space-separated in declaration order, whose replica
    /// counts the kubectl strategy hands over before applying (docs/ci.md); none when no
    /// service of the environment autoscales, or under the GitOps strategy.
    pub autoscaled: Option<String>,
    /// What the kubectl strategy deletes after the rollouts; none when `prune = false`.
    pub prune: Option<Prune>,
}

/// The objects a kubectl deploy prunes: those of the platform in the namespace (by platgen's
/// labels) of the kinds platgen renders, less those the deploy applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prune {
    /// Comma-separated kubectl resources (`plural.group`) listed.
    pub kinds: String,
    /// Comma-separated custom resources the environment does not render (may be empty), each
    /// listed too where the cluster serves it and the deploy may list it: an earlier render
    /// may have left such objects.
    pub kinds_if_served: String,
    /// The label selector of the platform's objects.
    pub selector: String,
}

impl Prune {
    fn of(platform: &Platform, env: &ResolvedEnv) -> Self {
        let prunable = super::kubernetes::prunable_resources(env);
        Self {
            kinds: prunable.listed.join(","),
            kinds_if_served: prunable.if_served.join(","),
            selector: format!("{MANAGED_BY}=platgen,{PART_OF}={}", platform.name),
        }
    }
}

/// The images the build jobs produce: every service that runs somewhere, which is exactly the
/// set the container plan gives a Dockerfile.
pub fn build_images(platform: &Platform) -> Vec<BuildImage> {
    platform
        .builds
        .iter()
        .filter(|service| {
            platform
                .environments
                .iter()
                .any(|env| env.runs(&service.name))
        })
        .map(|service| BuildImage {
            service: service.name.clone(),
            dockerfile: super::containers::dockerfile_path(platform, &service.name),
            image: service.image_repository.clone(),
        })
        .collect()
}

fn secret(name: &str) -> String {
    format!("${{{{ secrets.{name} }}}}")
}

/// The deploy job of `target`; none when its environment runs no service and nothing would be
/// pruned there: there is no image to pin, and no rollout to wait for.
fn deploy_job(
    platform: &Platform,
    ci: &Ci,
    target: &DeployTarget,
    id: &str,
    tag: &str,
) -> Option<DeployJob> {
    let env = platform
        .environments
        .iter()
        .find(|env| env.name == target.environment)?;
    // With no service there, a kubectl deploy still applies the environment (its namespace) and
    // prunes: every service disabled there leaves what an earlier deploy started running, and
    // only the prune deletes it. A GitOps controller prunes by itself.
    let kubectl = ci.strategy == DeployStrategy::Kubectl;
    if env.services.is_empty() && !(kubectl && target.prune) {
        return None;
    }
    let autoscaled: Vec<&str> = env
        .services
        .iter()
        .filter(|service| service.autoscaling.is_some())
        .map(|service| service.names.workload.as_str())
        .collect();
    let services = env
        .services
        .iter()
        .map(|service| DeployedService {
            name: service.name.clone(),
            deployment: service.names.workload.clone(),
            rollout_step: format!("Wait for the rollout of {}", service.name),
        })
        .collect();
    Some(DeployJob {
        id: id.to_owned(),
        name: format!("Deploy to {}", target.environment),
        target: target.clone(),
        concurrency_group: format!("deploy-{}", target.environment),
        image_tag: tag.to_owned(),
        kubeconfig: secret(&target.kubeconfig_secret),
        manifests: format!("{}/{}", ci.out, super::kubernetes::manifests_dir(&env.name)),
        services,
        autoscaled: (kubectl && !autoscaled.is_empty()).then(|| autoscaled.join(" ")),
        prune: (kubectl && target.prune).then(|| Prune::of(platform, env)),
    })
}

/// The `uses:` value of a pinned action. A constant of the pinned-actions table whose shape a
/// unit test fixes (`owner/repo@<40 hex> # <version>`), plain-safe YAML, so it is written as is:
/// the YAML formatter would quote it and turn the version comment into part of the reference.
fn uses(action: &PinnedAction) -> Value {
    Value::from_safe_string(action.uses())
}

fn actions_value() -> Value {
    Value::from_pairs([
        ("checkout", uses(&actions::CHECKOUT)),
        ("cache", uses(&actions::CACHE)),
        ("setup_uv", uses(&actions::SETUP_UV)),
        ("codecov", uses(&actions::CODECOV)),
        ("setup_buildx", uses(&actions::SETUP_BUILDX)),
        ("docker_login", uses(&actions::DOCKER_LOGIN)),
        ("docker_metadata", uses(&actions::DOCKER_METADATA)),
        ("docker_build_push", uses(&actions::DOCKER_BUILD_PUSH)),
        ("upload_sarif", uses(&actions::UPLOAD_SARIF)),
        ("trivy", uses(&actions::TRIVY)),
        ("git_cliff", uses(&actions::GIT_CLIFF)),
    ])
}

/// Registry credentials as expressions: secrets (and the GitHub environment holding them), or
/// the workflow's own token.
fn registry_value(ci: &Ci) -> Value {
    let registry = &ci.registry;
    // Secrets are read in their own GitHub environment, which can admit only the branches and
    // tags that push images; the workflow's own token needs none.
    let (username, password, environment) = match registry.login {
        RegistryLogin::Secrets => (
            secret(&registry.username_secret),
            secret(&registry.password_secret),
            Some(registry.environment.clone()),
        ),
        RegistryLogin::GithubToken => (
            "${{ github.actor }}".to_owned(),
            "${{ secrets.GITHUB_TOKEN }}".to_owned(),
            None,
        ),
    };
    Value::from_pairs([
        ("host", Value::from(registry.host.clone())),
        ("username", Value::from(username)),
        ("password", Value::from(password)),
        ("environment", Value::from(environment)),
        (
            "packages_write",
            Value::from(registry.login == RegistryLogin::GithubToken),
        ),
    ])
}

/// Plans the three workflows (none when `[ci] enabled = false`).
pub(super) fn plan_workflows(
    platform_value: &Value,
    platform: &Platform,
    artifacts: &mut Vec<Artifact<'_>>,
) {
    let Some(ci) = &platform.ci else { return };
    let builds = build_images(platform);
    if builds.is_empty() {
        // No service runs anywhere: nothing to build, scan or deploy (and GitHub rejects an
        // empty matrix).
        return;
    }
    let tests = test_services(platform);
    let test_env: BTreeMap<&str, &str> = tests
        .iter()
        .map(|t| (t.url_variable.as_str(), t.url.as_str()))
        .collect();
    let staging = ci
        .staging
        .as_ref()
        .and_then(|t| deploy_job(platform, ci, t, "deploy-staging", "${{ github.sha }}"));
    let production = ci.production.as_ref().and_then(|t| {
        deploy_job(
            platform,
            ci,
            t,
            "deploy-production",
            "${{ github.ref_name }}",
        )
    });
    let context = vec![
        ("platform", platform_value.clone()),
        ("ci", Value::from(Serde(ci))),
        ("gitops", Value::from(ci.strategy == DeployStrategy::Gitops)),
        ("actions", actions_value()),
        (
            "tools",
            Value::from_pairs([
                ("trivy", actions::TRIVY_VERSION),
                ("pip_audit", actions::PIP_AUDIT),
                ("tomlkit", actions::TOMLKIT),
            ]),
        ),
        ("builds", Value::from(Serde(&builds))),
        ("test_services", Value::from(Serde(&tests))),
        ("test_env", Value::from(Serde(&test_env))),
        ("registry", registry_value(ci)),
        (
            "deploy_condition",
            Value::from(format!(
                "github.event_name == 'push' && github.ref == 'refs/heads/{}'",
                ci.deploy_branch
            )),
        ),
        (
            "platgen_cache_key",
            Value::from(format!(
                "platgen-{}-${{{{ runner.os }}}}",
                ci.platgen.version
            )),
        ),
        ("codecov_token", Value::from(secret(&ci.codecov_secret))),
        (
            "prerelease",
            Value::from(format!("${{{{ {PRERELEASE_TAG} }}}}")),
        ),
        (
            "release_deploy_condition",
            Value::from(format!("${{{{ !{PRERELEASE_TAG} }}}}")),
        ),
        ("staging", Value::from(Serde(&staging))),
        ("production", Value::from(Serde(&production))),
    ];
    for name in WORKFLOWS {
        // Caches (uv's, platgen's) only in workflows that publish no release: a release build
        // must not run what an earlier, less trusted run saved (zizmor's cache-poisoning). A
        // release branch among the triggers makes a workflow a release workflow too.
        let release_branch = |branch: &String| branch.contains("release");
        let caches = match *name {
            "ci.yml" => !ci.branches.iter().any(release_branch),
            "security.yml" => !release_branch(&ci.deploy_branch),
            _ => false,
        };
        artifacts.push(Artifact {
            path: format!("{}/{name}", ci.workflows_dir),
            template: format!("github/{name}"),
            context: Value::from_pairs(
                context
                    .iter()
                    .cloned()
                    .chain([("caches", Value::from(caches))]),
            )
            .into(),
            // The workflows build and deploy every service.
            inputs: Inputs::Context,
        });
    }
}
