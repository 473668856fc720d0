//! Operational scripts of one Kubernetes environment (`<env>/scripts/rollback.sh`, `scale.sh`):
//! every fact they act on — namespace, the services deployed there, their Deployments, pod
//! selectors and autoscaler bounds, the rollout timeout — is decided here from the model; the
//! templates only arrange it.

use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::Artifact;
use crate::model::{Platform, ResolvedEnv, ResolvedService};
use crate::plan::inputs::Inputs;

/// How long a script waits for a rollout when no CI deploy targets the environment: the
/// reference's `rollback.sh` waits 300 s.
pub const DEFAULT_ROLLOUT_TIMEOUT: &str = "300s";

/// What the scripts of one environment know.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptsContext {
    /// Environment name.
    pub env: String,
    /// Its namespace.
    pub namespace: String,
    /// `kubectl rollout status --timeout`.
    pub rollout_timeout: String,
    /// The CI deploy (`staging` or `production`) whose timeout this is; `None` for the default.
    pub timeout_from: Option<String>,
    /// The output directory, relative to the repository root.
    pub out: String,
    /// The folder of the scripts, relative to the repository root (for usage lines).
    pub dir: String,
    /// Every service deployed in the environment, in declaration order.
    pub services: Vec<ScriptService>,
}

/// One service as the scripts address it.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptService {
    /// Service name: the scripts' argument.
    pub name: String,
    /// Its Deployment.
    pub deployment: String,
    /// The label selector of its pods, as `kubectl --selector` takes it (`app=platform-api`).
    pub selector: String,
    /// Its HorizontalPodAutoscaler, when autoscaling is on in this environment.
    pub autoscaler: Option<Autoscaler>,
}

/// An autoscaler that owns a Deployment's replica count.
#[derive(Debug, Clone, Serialize)]
pub struct Autoscaler {
    /// HPA name.
    pub name: String,
    /// `minReplicas`.
    pub min: i64,
    /// `maxReplicas`.
    pub max: i64,
}

fn script_service(service: &ResolvedService) -> ScriptService {
    let selector = service
        .selector
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    ScriptService {
        name: service.name.clone(),
        deployment: service.names.workload.clone(),
        selector,
        autoscaler: service.autoscaling.as_ref().map(|a| Autoscaler {
            name: service.names.hpa.clone(),
            min: a.min,
            max: a.max,
        }),
    }
}

/// The rollout timeout of the CI deploy that targets `env`, else [`DEFAULT_ROLLOUT_TIMEOUT`].
fn rollout_timeout(platform: &Platform, env: &ResolvedEnv) -> (String, Option<String>) {
    let targets = platform
        .ci
        .iter()
        .flat_map(|ci| [("staging", &ci.staging), ("production", &ci.production)]);
    for (stage, target) in targets {
        if let Some(target) = target.as_ref().filter(|t| t.environment == env.name) {
            return (target.rollout_timeout.clone(), Some(stage.to_owned()));
        }
    }
    (DEFAULT_ROLLOUT_TIMEOUT.to_owned(), None)
}

/// Whether an environment gets scripts (at least `rollback.sh`): it runs on Kubernetes and
/// deploys at least one service.
pub fn has_scripts(env: &ResolvedEnv) -> bool {
    env.is_kubernetes() && !env.services.is_empty()
}

/// The scripts context of a Kubernetes environment, or `None` when it runs no service.
pub fn scripts_context(platform: &Platform, env: &ResolvedEnv) -> Option<ScriptsContext> {
    if !has_scripts(env) {
        return None;
    }
    let (rollout_timeout, timeout_from) = rollout_timeout(platform, env);
    let out = platform.output_dir.clone();
    Some(ScriptsContext {
        env: env.name.clone(),
        namespace: env.namespace.clone(),
        rollout_timeout,
        timeout_from,
        dir: format!("{out}/{}/scripts", env.name),
        out,
        services: env.services.iter().map(script_service).collect(),
    })
}

/// Plans `rollback.sh` for every Kubernetes environment with services, and `scale.sh` where at
/// least one service's replica count is not owned by an autoscaler (elsewhere it could only
/// refuse).
pub(super) fn plan_scripts<'a>(
    platform: &'a Platform,
    env: &'a ResolvedEnv,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let Some(context) = scripts_context(platform, env) else {
        return;
    };
    let scalable = context.services.iter().any(|s| s.autoscaler.is_none());
    let value = Value::from_pairs([("scripts", Value::from(Serde(&context)))]);
    let mut push = |name: &str| {
        artifacts.push(Artifact {
            path: format!("{}/scripts/{name}", env.name),
            template: format!("scripts/{name}"),
            context: value.clone().into(),
            // The scripts name every service of the environment.
            inputs: Inputs::Context,
        });
    };
    push("rollback.sh");
    if scalable {
        push("scale.sh");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    fn platform(text: &str) -> Platform {
        crate::analyse(SourceFile::new("platform.toml", text))
            .unwrap_or_else(|failure| panic!("{failure:?}"))
            .1
    }

    const BASE: &str = r#"
[platform]
name = "shop"
registry = "registry.example.com"

[environments.production]
runtime = "kubernetes"
namespace = "shop-prod"

[environments.canary]
runtime = "kubernetes"

[ci.production]
rollout_timeout = "15m"

[services.api]
kind = "web"
app = "api.main:app"
autoscaling = { min = 2, max = 5 }

[services.jobs]
kind = "worker"
command = ["python", "-m", "jobs"]
health = { command = ["python", "-m", "jobs.health"] }
"#;

    #[test]
    fn the_context_holds_what_kubectl_needs() {
        let platform = platform(BASE);
        let context = scripts_context(&platform, &platform.environments[0]).expect("scripts");
        assert_eq!(context.namespace, "shop-prod");
        assert_eq!(context.rollout_timeout, "15m");
        assert_eq!(context.dir, "out/production/scripts");
        let api = &context.services[0];
        assert_eq!(
            (api.name.as_str(), api.selector.as_str()),
            ("api", "app=api")
        );
        let hpa = api.autoscaler.as_ref().expect("api autoscales");
        assert_eq!((hpa.name.as_str(), hpa.min, hpa.max), ("api-hpa", 2, 5));
        assert!(context.services[1].autoscaler.is_none());
        let canary = scripts_context(&platform, &platform.environments[1]).expect("scripts");
        assert_eq!(canary.rollout_timeout, DEFAULT_ROLLOUT_TIMEOUT);
        assert_eq!(canary.namespace, "shop-canary");
    }
}
