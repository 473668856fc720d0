//! Per-environment overrides merged field by field: service < environment-wide < service-in-environment.

use crate::model::spec::{
    AutoscalingSpec, ComputeSpec, EnvironmentSpec, ExposeSpec, ResourcesSpec, ScalePolicySpec,
    ServiceOverride, ServiceSpec,
};

/// The service's settings in one environment: its own, then the environment-wide overrides,
/// then its own overrides for that environment.
pub fn merged_settings(
    service: &ServiceSpec,
    env: &EnvironmentSpec,
    env_name: &str,
) -> ServiceOverride {
    let mut merged = overlay(&service.settings, &env.service_overrides);
    if let Some(own) = service.env.get(env_name) {
        merged = overlay(&merged, own);
    }
    merged
}

fn overlay(base: &ServiceOverride, top: &ServiceOverride) -> ServiceOverride {
    let mut config = base.config.clone();
    config.extend(top.config.clone());
    ServiceOverride {
        enabled: top.enabled.or(base.enabled),
        replicas: top.replicas.or(base.replicas),
        resources: merge_option(&base.resources, &top.resources, overlay_resources),
        autoscaling: merge_option(&base.autoscaling, &top.autoscaling, overlay_autoscaling),
        disruption: top.disruption.clone().or_else(|| base.disruption.clone()),
        expose: merge_option(&base.expose, &top.expose, overlay_expose),
        workers: top.workers.or(base.workers),
        config,
        termination_grace: top.termination_grace.or(base.termination_grace),
    }
}

fn merge_option<T: Clone>(base: &Option<T>, top: &Option<T>, merge: fn(&T, &T) -> T) -> Option<T> {
    match (base, top) {
        (Some(b), Some(t)) => Some(merge(b, t)),
        (b, t) => t.clone().or_else(|| b.clone()),
    }
}

fn overlay_compute(base: &ComputeSpec, top: &ComputeSpec) -> ComputeSpec {
    ComputeSpec {
        cpu: top.cpu.clone().or_else(|| base.cpu.clone()),
        memory: top.memory.clone().or_else(|| base.memory.clone()),
    }
}

pub(super) fn overlay_resources(base: &ResourcesSpec, top: &ResourcesSpec) -> ResourcesSpec {
    ResourcesSpec {
        requests: overlay_compute(&base.requests, &top.requests),
        limits: overlay_compute(&base.limits, &top.limits),
    }
}

fn overlay_scale(base: &ScalePolicySpec, top: &ScalePolicySpec) -> ScalePolicySpec {
    ScalePolicySpec {
        window: top.window.or(base.window),
        percent: top.percent.or(base.percent),
        pods: top.pods.or(base.pods),
        period: top.period.or(base.period),
    }
}

fn overlay_autoscaling(base: &AutoscalingSpec, top: &AutoscalingSpec) -> AutoscalingSpec {
    AutoscalingSpec {
        enabled: top.enabled.or(base.enabled),
        min: top.min.or(base.min),
        max: top.max.or(base.max),
        cpu: top.cpu.or(base.cpu),
        memory: top.memory.or(base.memory),
        scale_up: merge_option(&base.scale_up, &top.scale_up, overlay_scale),
        scale_down: merge_option(&base.scale_down, &top.scale_down, overlay_scale),
    }
}

fn overlay_expose(base: &ExposeSpec, top: &ExposeSpec) -> ExposeSpec {
    ExposeSpec {
        enabled: top.enabled.or(base.enabled),
        subdomain: top.subdomain.clone().or_else(|| base.subdomain.clone()),
        host: top.host.clone().or_else(|| base.host.clone()),
        path: top.path.clone().or_else(|| base.path.clone()),
        body_size: top.body_size.clone().or_else(|| base.body_size.clone()),
        timeout: top.timeout.or(base.timeout),
        service_port: top.service_port.or(base.service_port),
    }
}
