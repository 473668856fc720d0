//! Kubernetes objects of one environment: one file per object kind and service, plus the
//! `kustomization.yaml` listing them.

mod pod;

use minijinja::value::{Serde, Value};

use std::sync::{Arc, OnceLock};

use super::{Artifact, Context, EnvParts};
use crate::model::spec::ServiceKind;
use crate::model::{ResolvedEnv, ResolvedService};
use crate::plan::inputs::Inputs;
use pod::PodTemplate;

/// A namespaced kind platgen renders, as a kubectl deploy lists it to prune.
struct Resource {
    /// The kind's file suffix (`deployment` of `api-deployment.yaml`).
    kind: &'static str,
    /// Its kubectl resource, `plural.group`.
    name: &'static str,
    /// A custom resource, which a cluster may not know (listing an unknown one fails).
    custom: bool,
}

const fn resource(kind: &'static str, name: &'static str) -> Resource {
    Resource {
        kind,
        name,
        custom: false,
    }
}

/// Every namespaced kind platgen renders (never the Namespace, which holds everything else).
const RESOURCES: &[Resource] = &[
    resource("resourcequota", "resourcequotas"),
    resource("limitrange", "limitranges"),
    resource("serviceaccount", "serviceaccounts"),
    resource("configmap", "configmaps"),
    Resource {
        kind: "externalsecret",
        name: "externalsecrets.external-secrets.io",
        custom: true,
    },
    resource("deployment", "deployments.apps"),
    resource("service", "services"),
    resource("ingress", "ingresses.networking.k8s.io"),
    resource("hpa", "horizontalpodautoscalers.autoscaling"),
    resource("pdb", "poddisruptionbudgets.policy"),
    resource("networkpolicy", "networkpolicies.networking.k8s.io"),
];

/// The resources (`plural.group`) a kubectl deploy lists to prune.
pub(super) struct Prunable {
    /// Listed always: every built-in one, and a custom one the environment renders an object
    /// of, so its definition is installed.
    pub listed: Vec<&'static str>,
    /// The other custom ones: listed only where the cluster serves them (listing an unknown
    /// resource fails), since an earlier render may have left such objects.
    pub if_served: Vec<&'static str>,
}

/// What a kubectl deploy of `env` lists to prune.
pub(super) fn prunable_resources(env: &ResolvedEnv) -> Prunable {
    let rendered = |r: &Resource| {
        env.services
            .iter()
            .any(|service| service_objects(service).contains(&r.kind))
    };
    let (listed, if_served): (Vec<&Resource>, Vec<&Resource>) =
        RESOURCES.iter().partition(|r| !r.custom || rendered(r));
    Prunable {
        listed: listed.into_iter().map(|r| r.name).collect(),
        if_served: if_served.into_iter().map(|r| r.name).collect(),
    }
}

/// Which Kubernetes objects a service gets, in kustomization order.
fn service_objects(service: &ResolvedService) -> Vec<&'static str> {
    let mut kinds = vec!["serviceaccount", "configmap"];
    if !service.secrets.is_empty() {
        kinds.push("externalsecret");
    }
    kinds.push("deployment");
    if service.port.is_some() && service.kind == ServiceKind::Web {
        kinds.push("service");
    }
    if service.expose.is_some() {
        kinds.push("ingress");
    }
    if service.autoscaling.is_some() {
        kinds.push("hpa");
    }
    if service.disruption.is_some() {
        kinds.push("pdb");
    }
    kinds.push("networkpolicy");
    kinds
}

/// The folder of an environment's manifests and their kustomization, relative to the output
/// directory: what Argo CD, Flux or the kubectl deploy job apply.
pub(super) fn manifests_dir(environment: &str) -> String {
    format!("{environment}/kubernetes")
}

pub(super) fn plan_kubernetes<'a>(
    platform: &Value,
    env: &'a ResolvedEnv,
    parts: &EnvParts<'a>,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let env_value = Value::from(Serde(env));
    let dir = manifests_dir(&env.name);
    let mut resources = Vec::new();
    let mut push = |file: String,
                    template: &str,
                    context: Context<'a>,
                    inputs: Inputs<'a>,
                    artifacts: &mut Vec<Artifact<'a>>| {
        resources.push(file.clone());
        artifacts.push(Artifact {
            path: format!("{dir}/{file}"),
            template: template.to_owned(),
            context,
            inputs,
        });
    };
    let base = || Value::from_pairs([("platform", platform.clone()), ("env", env_value.clone())]);
    push(
        "namespace.yaml".to_owned(),
        "kubernetes/namespace.yaml",
        base().into(),
        parts.settings(),
        artifacts,
    );
    if env.quota.is_some() {
        push(
            "resourcequota.yaml".to_owned(),
            "kubernetes/resourcequota.yaml",
            base().into(),
            parts.settings(),
            artifacts,
        );
    }
    if env.container_defaults.is_some() {
        push(
            "limitrange.yaml".to_owned(),
            "kubernetes/limitrange.yaml",
            base().into(),
            parts.settings(),
            artifacts,
        );
    }
    for (i, service) in env.services.iter().enumerate() {
        // Converted once, by whichever of the service's objects renders first, and dropped
        // with the last of them: a large platform never holds every service's value at once.
        let service_value = Arc::new(OnceLock::new());
        for kind in service_objects(service) {
            let (platform, env_value, service_value) = (
                platform.clone(),
                env_value.clone(),
                Arc::clone(&service_value),
            );
            let context = Context::lazy(move || {
                let mut pairs = vec![
                    ("platform", platform.clone()),
                    ("env", env_value.clone()),
                    (
                        "service",
                        service_value
                            .get_or_init(|| Value::from(Serde(service)))
                            .clone(),
                    ),
                ];
                if kind == "deployment" {
                    let pod = PodTemplate::of(service, &env.secret_store);
                    pairs.push(("pod", Value::from(Serde(pod))));
                }
                Value::from_pairs(pairs)
            });
            push(
                format!("{}-{kind}.yaml", service.name),
                &format!("kubernetes/{kind}.yaml"),
                context,
                parts.service(i),
                artifacts,
            );
        }
    }
    let context = Value::from_pairs([
        ("platform", platform.clone()),
        ("env", env_value),
        ("resources", Value::from(Serde(&resources))),
    ])
    .into();
    artifacts.push(Artifact {
        path: format!("{dir}/kustomization.yaml"),
        template: "kubernetes/kustomization.yaml".to_owned(),
        context,
        // It lists every service's files.
        inputs: Inputs::Context,
    });
}
