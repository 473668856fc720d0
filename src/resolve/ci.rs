//! The CI settings with every default applied: deploy targets, registry login, platgen version.

use crate::model::ci::{
    Ci, DeployTarget, KustomizeImage, PlatgenInstall, RegistryAccess, WorkflowsLink,
};
use crate::model::spec::{
    DeployStrategy, DeployTargetSpec, RegistryLogin, Runtime, WorkflowsLocation,
};
use crate::model::{PlatformSpec, ResolvedService};

/// Where the workflows sit under the output directory.
pub const WORKFLOWS_DIR: &str = ".github/workflows";
/// The platform file the workflows pass to platgen, relative to the repository root.
pub const PLATFORM_FILE: &str = "platform.toml";

/// Which deploy of the workflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// ci.yml's deploy of the deploy branch.
    Staging,
    /// release.yml's deploy of `v*` tags.
    Production,
}

impl Stage {
    fn spec(self, spec: &PlatformSpec) -> &DeployTargetSpec {
        match self {
            Stage::Staging => &spec.ci.staging,
            Stage::Production => &spec.ci.production,
        }
    }

    fn default_environment(self) -> &'static str {
        match self {
            Stage::Staging => "staging",
            Stage::Production => "production",
        }
    }

    fn default_timeout(self) -> &'static str {
        // The reference's waits: 300 s for staging, 600 s for production.
        match self {
            Stage::Staging => "300s",
            Stage::Production => "600s",
        }
    }
}

/// The environment a deploy targets: the configured one, or the environment named like the
/// stage when it runs on Kubernetes. `None` when there is no such Kubernetes environment (the
/// check stage reports a configured name that does not resolve).
pub fn deploy_environment(spec: &PlatformSpec, stage: Stage) -> Option<&str> {
    let name = stage
        .spec(spec)
        .environment
        .as_deref()
        .unwrap_or(stage.default_environment());
    let env = spec.environments.get(name)?;
    (env.runtime == Runtime::Kubernetes).then_some(name)
}

/// The registry host: everything before the first `/` of `platform.registry`.
pub fn registry_host(registry: &str) -> &str {
    registry.split('/').next().unwrap_or(registry)
}

/// The secret named by default for an environment's kubeconfig: `KUBE_CONFIG_<ENV>`.
pub fn default_kubeconfig_secret(environment: &str) -> String {
    format!(
        "KUBE_CONFIG_{}",
        environment.to_ascii_uppercase().replace('-', "_")
    )
}

fn target(
    spec: &PlatformSpec,
    stage: Stage,
    namespace_of: &dyn Fn(&str) -> String,
) -> Option<DeployTarget> {
    let environment = deploy_environment(spec, stage)?;
    let settings = stage.spec(spec);
    Some(DeployTarget {
        environment: environment.to_owned(),
        namespace: namespace_of(environment),
        rollout_timeout: settings
            .rollout_timeout
            .clone()
            .unwrap_or_else(|| stage.default_timeout().to_owned()),
        kubeconfig_secret: settings
            .kubeconfig_secret
            .clone()
            .unwrap_or_else(|| default_kubeconfig_secret(environment)),
        prune: settings.prune.unwrap_or(true),
    })
}

/// Resolves `[ci]`; `None` when the workflows are switched off.
pub fn resolve_ci(spec: &PlatformSpec) -> Option<Ci> {
    let ci = &spec.ci;
    if !ci.enabled {
        return None;
    }
    let out = spec.platform.output_dir.trim_end_matches('/').to_owned();
    let namespace_of = |env: &str| {
        spec.environments
            .get(env)
            .and_then(|e| e.namespace.clone())
            .unwrap_or_else(|| super::default_namespace(&spec.platform.name, env))
    };
    let host = registry_host(&spec.platform.registry).to_owned();
    let login = ci.registry_login.unwrap_or(if host == "ghcr.io" {
        RegistryLogin::GithubToken
    } else {
        RegistryLogin::Secrets
    });
    let link = (ci.workflows == WorkflowsLocation::Repository).then(|| WorkflowsLink {
        path: format!("{out}/.github"),
        target: format!("{}.github", "../".repeat(out.split('/').count())),
    });
    Some(Ci {
        location: ci.workflows,
        workflows_dir: WORKFLOWS_DIR.to_owned(),
        link,
        branches: ci.branches.clone(),
        deploy_branch: ci
            .deploy_branch
            .clone()
            .or_else(|| ci.branches.first().cloned())
            .unwrap_or_else(|| "main".to_owned()),
        strategy: ci.deploy,
        staging: target(spec, Stage::Staging, &namespace_of),
        production: target(spec, Stage::Production, &namespace_of),
        coverage: ci.coverage,
        security_schedule: ci.security_schedule.clone(),
        registry: RegistryAccess {
            host,
            login,
            username_secret: ci.secrets.registry_username.clone(),
            password_secret: ci.secrets.registry_password.clone(),
            environment: ci.secrets.registry_environment.clone(),
        },
        platgen: PlatgenInstall {
            version: ci
                .platgen
                .version
                .clone()
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            git: ci.platgen.git.clone(),
        },
        codecov_secret: ci.secrets.codecov.clone(),
        config: PLATFORM_FILE.to_owned(),
        out,
    })
}

/// The `images:` of an environment's kustomization: with the GitOps strategy, every service a
/// deploy job rolls out there, pinned to the environment's `image_tag` (which that deploy job
/// sets in `platform.toml`). Empty for environments no GitOps deploy targets.
pub fn kustomize_images(
    spec: &PlatformSpec,
    environment: &str,
    image_tag: &str,
    services: &[ResolvedService],
) -> Vec<KustomizeImage> {
    let targeted = [Stage::Staging, Stage::Production]
        .into_iter()
        .any(|stage| deploy_environment(spec, stage) == Some(environment));
    if !spec.ci.enabled || spec.ci.deploy != DeployStrategy::Gitops || !targeted {
        return Vec::new();
    }
    services
        .iter()
        .map(|service| KustomizeImage {
            name: service.image_repository.clone(),
            new_tag: image_tag.to_owned(),
        })
        .collect()
}
