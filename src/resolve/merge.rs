//! Per-environment overrides merged field by field: service < environment-wide < service-in-environment.

use crate::model::spec::{
    AutoscalingSpec, ComputeSpec, EnvironmentSpec, ExposeSpec, ResourcesSpec, ScalePolicySpec,
    ServiceKind, ServiceOverride, ServiceSpec,
};

/// The service's settings in one environment: its own, then the environment-wide overrides,
/// then its own overrides for that environment. The environment's `expose` reaches only a
/// service exposed by itself there (see [`exposed_by_itself`]): it adjusts exposure, it never
/// makes an internal service public.
pub fn merged_settings(
    service: &ServiceSpec,
    env: &EnvironmentSpec,
    env_name: &str,
) -> ServiceOverride {
    let mut merged = overlay(&service.settings, &env.service_overrides);
    if !exposed_by_itself(service, env_name) {
        merged.expose = service.settings.expose.clone();
    }
    if let Some(own) = service.env.get(env_name) {
        merged = overlay(&merged, own);
    }
    merged
}

/// Whether a web service is exposed in an environment by its own settings alone: its `expose`
/// merged with its `env.<name>.expose` exists and is not `enabled = false`.
pub fn exposed_by_itself(service: &ServiceSpec, env_name: &str) -> bool {
    // What `overlay_expose` would make of the two, without building it: the environment's
    // `enabled` over the service's.
    let base = service.settings.expose.as_ref();
    let own = service.env.get(env_name).and_then(|o| o.expose.as_ref());
    let enabled = own.and_then(|e| e.enabled).or(base.and_then(|e| e.enabled));
    service.kind == ServiceKind::Web && (base.is_some() || own.is_some()) && enabled != Some(false)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PlatformSpec;

    /// The small fixture with production's `service_overrides` set to `overrides`, plus an
    /// internal web service `internal` and the `extra` tables.
    fn spec(overrides: &str, extra: &str) -> PlatformSpec {
        let text = include_str!("../../tests/fixtures/small.toml").replace(
            "domain = \"example.com\"\n",
            &format!("domain = \"example.com\"\nservice_overrides = {overrides}\n"),
        ) + "\n[services.internal]\nkind = \"web\"\nport = 8001\napp = \"internal.main:app\"\n"
            + extra;
        toml::from_str(&text).expect("a valid platform")
    }

    /// The merged `expose` of `service` in `env`.
    fn expose(spec: &PlatformSpec, service: &str, env: &str) -> Option<ExposeSpec> {
        let environment = &spec.environments[env];
        merged_settings(&spec.services[service], environment, env).expose
    }

    #[test]
    fn an_environment_expose_adjusts_only_services_exposed_by_themselves() {
        let spec = spec("{ expose = { timeout = 120, subdomain = \"x\" } }", "");
        let api = expose(&spec, "api", "production").expect("api stays exposed");
        assert_eq!(
            (api.timeout, api.subdomain.as_deref()),
            (Some(120), Some("x"))
        );
        assert!(expose(&spec, "internal", "production").is_none());
        // Another environment's override reaches neither.
        let staging = expose(&spec, "api", "staging").expect("exposed");
        assert_eq!(staging.timeout, None);
        assert!(expose(&spec, "internal", "staging").is_none());
    }

    #[test]
    fn an_environment_expose_does_not_switch_a_service_back_on() {
        let internal = "\n[services.internal.expose]\nenabled = false\n";
        let spec = spec("{ expose = { enabled = true } }", internal);
        assert!(!exposed_by_itself(&spec.services["internal"], "production"));
        let merged = expose(&spec, "internal", "production").expect("its own `expose`");
        assert_eq!(merged.enabled, Some(false));
    }

    #[test]
    fn a_service_exposed_in_one_environment_takes_that_environment_s_expose() {
        let internal = "\n[services.internal.env.production]\nexpose = { subdomain = \"in\" }\n";
        let spec = spec("{ expose = { timeout = 120 } }", internal);
        assert!(exposed_by_itself(&spec.services["internal"], "production"));
        assert!(!exposed_by_itself(&spec.services["internal"], "staging"));
        let merged = expose(&spec, "internal", "production").expect("exposed there");
        assert_eq!(
            (merged.timeout, merged.subdomain.as_deref()),
            (Some(120), Some("in"))
        );
        // A worker is never exposed by itself.
        assert!(!exposed_by_itself(&spec.services["jobs"], "production"));
    }
}
