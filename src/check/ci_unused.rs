//! `[ci]` settings that never reach a workflow: anything beside `enabled = false`, a deploy
//! target's kubectl settings where there is no such deploy (no such environment, or one that
//! runs no service) or it is done by GitOps, the Codecov
//! secret without coverage, registry secrets when the workflow's own token logs in.

use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::spec::{DeployStrategy, RegistryLogin};
use crate::model::{Platform, PlatformSpec};

/// Every top-level key of `[ci]` that configures a workflow (all but `enabled`).
const CI_KEYS: &[&str] = &[
    "workflows",
    "branches",
    "deploy_branch",
    "deploy",
    "staging",
    "production",
    "coverage",
    "security_schedule",
    "registry_login",
    "platgen",
    "secrets",
];

fn unused(doc: &Document, ptr: &str, why: &str, help: &str) -> Diagnostic {
    let setting = ptr.trim_start_matches('/').replace('/', ".");
    Diagnostic::error("E0327", format!("`{setting}` never takes effect: {why}"))
        .at(doc.key_span_of(ptr))
        .label("no workflow reads it")
        .help(help.to_owned())
}

/// Why a deploy target's `field` is unused with `deploy = "gitops"`, and what to do; `None` for
/// `rollout_timeout`, which still sets how long the environment's rollback and scale scripts
/// wait.
fn unused_with_gitops(field: &str) -> Option<(&'static str, &'static str)> {
    match field {
        "kubeconfig_secret" => Some((
            "`deploy = \"gitops\"` commits the new image tag and runs no kubectl",
            "remove it: the GitOps controller rolls the change out with its own credentials and timeouts",
        )),
        "prune" => Some((
            "`deploy = \"gitops\"` commits the rendered files and deletes nothing in the cluster",
            "remove it, and let the GitOps controller prune (Argo CD `syncPolicy.automated.prune: true`, Flux `spec.prune: true`)",
        )),
        _ => None,
    }
}

/// Reports the `[ci]` settings no rendered workflow uses.
pub(super) fn check_ci_unused(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    let Some(ci) = &platform.ci else {
        for key in CI_KEYS {
            let ptr = format!("/ci/{key}");
            if doc.has(&ptr) {
                out.push(unused(
                    doc,
                    &ptr,
                    "`ci.enabled = false` renders no workflows",
                    "remove it, or remove `enabled = false`",
                ));
            }
        }
        return;
    };
    for (stage, target, workflow) in [
        ("staging", &ci.staging, "ci.yml"),
        ("production", &ci.production, "release.yml"),
    ] {
        // A named environment that is unknown or not on Kubernetes is reported as such.
        if doc.has(&format!("/ci/{stage}/environment")) && target.is_none() {
            continue;
        }
        let runs_nothing = target.as_ref().is_some_and(|t| {
            platform
                .environments
                .iter()
                .any(|env| env.name == t.environment && env.services.is_empty())
        });
        // A kubectl deploy of an environment that runs nothing still prunes what an earlier
        // deploy started there: its job exists unless `prune = false`.
        let kubectl = ci.strategy == DeployStrategy::Kubectl;
        let prunes = target.as_ref().is_some_and(|t| t.prune);
        let no_job = runs_nothing && !(kubectl && prunes);
        for field in ["kubeconfig_secret", "rollout_timeout", "prune"] {
            let ptr = format!("/ci/{stage}/{field}");
            if !doc.has(&ptr) {
                continue;
            }
            if target.is_none() {
                out.push(unused(
                    doc,
                    &ptr,
                    &format!("{workflow} deploys nowhere: there is no Kubernetes environment `{stage}`"),
                    &format!("remove it, or name the Kubernetes environment to deploy to with `[ci.{stage}] environment = \"…\"`"),
                ));
            } else if let Some(t) = target.as_ref().filter(|_| no_job) {
                // There, `prune = false` is what leaves the environment undeployed.
                if kubectl && field == "prune" {
                    continue;
                }
                let why = if kubectl { " and `prune = false`" } else { "" };
                out.push(unused(
                    doc,
                    &ptr,
                    &format!("`{}` runs no service{why}, so {workflow} has no job deploying to it (and it gets no rollback or scale script)", t.environment),
                    &format!("remove it, or enable a service in `{}`", t.environment),
                ));
            } else if ci.strategy == DeployStrategy::Gitops
                && let Some((why, help)) = unused_with_gitops(field)
            {
                out.push(unused(doc, &ptr, why, help));
            }
        }
    }
    if !spec.ci.coverage && doc.has("/ci/secrets/codecov") {
        out.push(unused(
            doc,
            "/ci/secrets/codecov",
            "`coverage = false` uploads no report",
            "remove it, or remove `coverage = false`",
        ));
    }
    if ci.registry.login == RegistryLogin::GithubToken {
        for field in [
            "registry_username",
            "registry_password",
            "registry_environment",
        ] {
            let ptr = format!("/ci/secrets/{field}");
            if doc.has(&ptr) {
                out.push(unused(
                    doc,
                    &ptr,
                    &format!("the build jobs log in to {} with the workflow's own token (`registry_login = \"github-token\"`)", ci.registry.host),
                    "remove it, or set `registry_login = \"secrets\"` to log in with these secrets",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::problems_with;

    fn problems(extra: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        problems_with("E0327", format!("{fixture}\n{extra}"))
    }

    #[test]
    fn ci_settings_no_workflow_reads_are_reported() {
        let found = problems("[ci]\ncoverage = false\n\n[ci.secrets]\ncodecov = \"MY_CODECOV\"\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 36);
        assert_eq!(
            found[0].1,
            "`ci.secrets.codecov` never takes effect: `coverage = false` uploads no report"
        );

        let found = problems("[ci]\nenabled = false\nbranches = [\"main\"]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .starts_with("`ci.branches` never takes effect: `ci.enabled = false`")
        );

        let found =
            problems("[ci]\ndeploy = \"gitops\"\n\n[ci.production]\nkubeconfig_secret = \"KS\"\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("`deploy = \"gitops\"` commits the new image tag")
        );
        let found = problems("[ci]\ndeploy = \"gitops\"\n\n[ci.staging]\nprune = false\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with("`ci.staging.prune` never takes effect: `deploy = \"gitops\"` commits the rendered files and deletes nothing"),
            "{found:?}"
        );
        // The rollback and scale scripts wait as long as `rollout_timeout` says.
        assert_eq!(
            problems("[ci]\ndeploy = \"gitops\"\n\n[ci.production]\nrollout_timeout = \"15m\"\n"),
            []
        );

        let ghcr = include_str!("../../tests/fixtures/small.toml")
            .replace("registry.example.com", "ghcr.io/acme");
        let found = problems_with(
            "E0327",
            ghcr + "\n[ci.secrets]\nregistry_password = \"RP\"\nregistry_environment = \"push\"\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        for (problem, key) in found
            .iter()
            .zip(["registry_password", "registry_environment"])
        {
            assert!(
                problem
                    .1
                    .contains(&format!("`ci.secrets.{key}` never takes effect"))
                    && problem.1.contains("with the workflow's own token"),
                "{found:?}"
            );
        }
    }

    #[test]
    fn a_deploy_target_without_its_environment_is_reported() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let compose_staging =
            fixture.replacen("runtime = \"kubernetes\"", "runtime = \"compose\"", 1)
                + "\n[ci.staging]\nkubeconfig_secret = \"KS\"\n";
        let found = problems_with("E0327", compose_staging);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("ci.yml deploys nowhere: there is no Kubernetes environment `staging`"),
            "{found:?}"
        );
        // An environment that runs no service gets no scripts, and no deploy job where it
        // prunes nothing.
        let idle_staging = fixture
            .replace("replicas = 2\n", "replicas = 2\nenv.staging = { enabled = false }\n")
            .replace(
                "health = { command = [\"python\", \"-m\", \"jobs.health\"] }",
                "health = { command = [\"python\", \"-m\", \"jobs.health\"] }\nenv.staging = { enabled = false }",
            )
            + "\n[ci.staging]\nkubeconfig_secret = \"KS\"\nrollout_timeout = \"5m\"\nprune = false\n";
        let found = problems_with("E0327", idle_staging.clone());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|(_, m)| m.contains(
                "`staging` runs no service and `prune = false`, so ci.yml has no job deploying to it"
            )),
            "{found:?}"
        );
        // Pruning, the job deploys it: its settings are read.
        let pruning = idle_staging.replace("prune = false\n", "");
        assert_eq!(problems_with("E0327", pruning.clone()), []);
        // Under GitOps, the controller prunes: no job at all.
        let gitops = pruning + "\n[ci]\ndeploy = \"gitops\"\n";
        let found = problems_with("E0327", gitops);
        assert!(
            found.iter().any(|(_, m)| m
                .contains("`ci.staging.kubeconfig_secret` never takes effect: `staging` runs no service, so ci.yml has no job")),
            "{found:?}"
        );
        // Where the deploy exists and uses kubectl, the settings are read.
        assert_eq!(
            problems(
                "[ci.staging]\nkubeconfig_secret = \"KS\"\nrollout_timeout = \"5m\"\nprune = false\n"
            ),
            []
        );
    }
}
