//! Kubernetes objects of one environment: one file per object kind and service, plus the
//! `kustomization.yaml` listing them.

use minijinja::value::{Serde, Value};

use super::Artifact;
use crate::model::spec::ServiceKind;
use crate::model::{ResolvedEnv, ResolvedService};

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

pub(super) fn plan_kubernetes(
    platform: &Value,
    env: &ResolvedEnv,
    artifacts: &mut Vec<Artifact<'_>>,
) {
    let env_value = Value::from(Serde(env));
    let dir = format!("{}/kubernetes", env.name);
    let mut resources = Vec::new();
    let mut push = |file: String, template: &str, context: Value, artifacts: &mut Vec<Artifact>| {
        resources.push(file.clone());
        artifacts.push(Artifact {
            path: format!("{dir}/{file}"),
            template: template.to_owned(),
            context: context.into(),
        });
    };
    let base = || Value::from_pairs([("platform", platform.clone()), ("env", env_value.clone())]);
    push(
        "namespace.yaml".to_owned(),
        "kubernetes/namespace.yaml",
        base(),
        artifacts,
    );
    if env.quota.is_some() {
        push(
            "resourcequota.yaml".to_owned(),
            "kubernetes/resourcequota.yaml",
            base(),
            artifacts,
        );
    }
    if env.container_defaults.is_some() {
        push(
            "limitrange.yaml".to_owned(),
            "kubernetes/limitrange.yaml",
            base(),
            artifacts,
        );
    }
    for service in &env.services {
        let service_value = Value::from(Serde(service));
        for kind in service_objects(service) {
            let context = Value::from_pairs([
                ("platform", platform.clone()),
                ("env", env_value.clone()),
                ("service", service_value.clone()),
            ]);
            push(
                format!("{}-{kind}.yaml", service.name),
                &format!("kubernetes/{kind}.yaml"),
                context,
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
    });
}
