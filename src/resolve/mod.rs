//! Stage 3: turn the validated spec into the resolved [`Platform`]: defaults applied, overrides
//! merged (service < environment-wide < service-in-environment), every object name decided.
//!
//! Resolution is total: references it cannot follow (an unknown dependency, say) are left out
//! here and reported by the check stage, which sees both the spec and this result.

mod ci;
mod dependency;
mod merge;
mod observability;
mod service;

use std::collections::{BTreeMap, HashMap};

use crate::model::slo::BurnTier;
use crate::model::spec::{
    EnvironmentSpec, IngressController, IngressEnvSpec, ResourcesSpec, Runtime, SecretStoreSpec,
    ServiceOverride, ServiceSpec,
};
use crate::model::{
    Compute, ContainerImages, IngressEnv, Peer, Platform, PlatformSpec, Quota, ResolvedEnv,
    ResolvedService, Resources, SecretStore,
};

pub use dependency::{
    default_image, default_port, default_scheme, default_url_variable, dependency_kind,
};
pub use merge::{exposed_by_itself, merged_settings};
pub use observability::{resolve_observability, resolve_slo};
pub use service::config_string;
use service::{compute, resolve_service, resources};

/// Default container port of web services.
pub const DEFAULT_WEB_PORT: u16 = 8000;
/// Default gunicorn workers per pod.
pub const DEFAULT_WORKERS: u32 = 2;
/// Default graceful shutdown period (seconds).
pub const DEFAULT_TERMINATION_GRACE: u32 = 30;
/// preStop sleep: long enough for endpoints and ingress to stop routing to a terminating pod.
pub const PRE_STOP_SLEEP: u32 = 10;
/// The uv image, tagged with `platform.uv`.
pub const UV_IMAGE: &str = "ghcr.io/astral-sh/uv";
/// Jaeger of the compose observability stack (the reference's pin; OTLP on 4317/4318).
pub const JAEGER_IMAGE: &str = "jaegertracing/all-in-one:1.53";
/// Prometheus of the compose observability stack (the reference's pin).
pub const PROMETHEUS_IMAGE: &str = "prom/prometheus:v2.48.0";
/// Grafana of the compose observability stack (the reference's pin).
pub const GRAFANA_IMAGE: &str = "grafana/grafana:10.2.0";

/// Resolves the spec into one [`ResolvedEnv`] per environment.
pub fn resolve(spec: &PlatformSpec) -> Platform {
    // Every service's SLO scales the same enabled tiers to its window.
    let tiers = observability::enabled_burn_tiers(spec);
    // Each service resolves on its own, in parallel: on a large platform this is most of the
    // stage.
    let services: Vec<(&String, &ServiceSpec)> = spec.services.iter().collect();
    let environments = spec
        .environments
        .iter()
        .map(|(name, env)| resolve_env(spec, &services, &tiers, name, env))
        .collect();
    let unbuilt = build_env();
    let builds = crate::parallel::map(&services, |&(name, service)| {
        resolve_service(spec, &tiers, "", &unbuilt, name, service, &service.settings)
    });
    let info = &spec.platform;
    Platform {
        name: info.name.clone(),
        registry: info.registry.clone(),
        python: info.python.clone(),
        libs: info.libs.clone(),
        services_dir: info.services_dir.clone(),
        uid: info.uid,
        uv: info.uv.clone(),
        images: ContainerImages {
            python: pinned(
                &format!("python:{}-slim", info.python),
                info.python_digest.as_deref(),
            ),
            uv: pinned(
                &format!("{UV_IMAGE}:{}", info.uv),
                info.uv_digest.as_deref(),
            ),
            jaeger: JAEGER_IMAGE.to_owned(),
            prometheus: PROMETHEUS_IMAGE.to_owned(),
            grafana: GRAFANA_IMAGE.to_owned(),
        },
        output_dir: info.output_dir.trim_end_matches('/').to_owned(),
        observability: resolve_observability(spec),
        ci: ci::resolve_ci(spec),
        builds,
        environments,
    }
}

/// `image:tag`, or `image:tag@digest` when a digest pins it.
fn pinned(image: &str, digest: Option<&str>) -> String {
    match digest {
        Some(digest) => format!("{image}@{digest}"),
        None => image.to_owned(),
    }
}

/// The environment an image is built for: none. The Dockerfile carries the service's own
/// settings; each environment overrides them at run time (e.g. `WEB_CONCURRENCY` via config).
fn build_env() -> EnvironmentSpec {
    EnvironmentSpec {
        runtime: Runtime::Compose,
        domain: None,
        namespace: None,
        nodes: None,
        istio: false,
        istio_proxy: None,
        observability: false,
        image_tag: None,
        quota: None,
        container_defaults: None,
        ingress: IngressEnvSpec::default(),
        monitoring_namespace: String::new(),
        alertmanager: None,
        secret_store: None,
        config: BTreeMap::new(),
        service_overrides: ServiceOverride::default(),
    }
}

/// Istio's own defaults for the injected proxy (`global.proxy.resources` in its Helm values and
/// IstioOperator profiles): requests `100m` CPU and `128Mi`, limits `2000m` CPU and `1Gi`.
const ISTIO_PROXY_REQUESTS: (&str, &str) = ("100m", "128Mi");
const ISTIO_PROXY_LIMITS: (&str, &str) = ("2000m", "1Gi");

/// The sidecar's resources, each field the environment leaves out at Istio's default. platgen
/// writes all four on the pod rather than relying on the mesh-wide default, which operators
/// often change: the quota check then counts exactly what each injected sidecar takes.
fn istio_proxy(spec: &ResourcesSpec) -> Resources {
    let with_default = |set: &Option<String>, default: &str| {
        Some(set.clone().unwrap_or_else(|| default.to_owned()))
    };
    Resources {
        requests: Compute {
            cpu: with_default(&spec.requests.cpu, ISTIO_PROXY_REQUESTS.0),
            memory: with_default(&spec.requests.memory, ISTIO_PROXY_REQUESTS.1),
        },
        limits: Compute {
            cpu: with_default(&spec.limits.cpu, ISTIO_PROXY_LIMITS.0),
            memory: with_default(&spec.limits.memory, ISTIO_PROXY_LIMITS.1),
        },
    }
}

/// The namespace an environment deploys to when it names none.
pub fn default_namespace(platform: &str, env: &str) -> String {
    if env == "production" {
        platform.to_owned()
    } else {
        format!("{platform}-{env}")
    }
}

/// `services` are the spec's, in its order.
fn resolve_env(
    spec: &PlatformSpec,
    services: &[(&String, &ServiceSpec)],
    tiers: &[BurnTier],
    name: &str,
    env: &EnvironmentSpec,
) -> ResolvedEnv {
    let store: &SecretStoreSpec = env.secret_store.as_ref().unwrap_or(&spec.secret_store);
    let services: Vec<_> = crate::parallel::map(services, |&(service_name, service)| {
        let settings = merged_settings(service, env, name);
        (settings.enabled != Some(false))
            .then(|| resolve_service(spec, tiers, name, env, service_name, service, &settings))
    })
    .into_iter()
    .flatten()
    .collect();
    let by_name = index_by_name(&services);
    let services = resolve_calls(spec, services, &by_name);
    ResolvedEnv {
        name: name.to_owned(),
        runtime: env.runtime,
        domain: env.domain.clone(),
        namespace: env
            .namespace
            .clone()
            .unwrap_or_else(|| default_namespace(&spec.platform.name, name)),
        nodes: env.nodes,
        istio: env.istio,
        istio_proxy: env.istio.then(|| {
            istio_proxy(
                env.istio_proxy
                    .as_ref()
                    .unwrap_or(&ResourcesSpec::default()),
            )
        }),
        observability: env.observability,
        image_tag: env
            .image_tag
            .clone()
            .unwrap_or_else(|| spec.platform.version.clone()),
        quota: env.quota.as_ref().map(|q| Quota {
            requests: compute(&q.requests),
            limits: compute(&q.limits),
            pods: q.pods,
        }),
        container_defaults: env.container_defaults.as_ref().map(resources),
        ingress: IngressEnv {
            nginx: env.ingress.controller == IngressController::IngressNginx,
            class: env.ingress.class.clone(),
            namespace: env.ingress.namespace.clone(),
            issuer: env.ingress.issuer.clone(),
        },
        monitoring_namespace: env.monitoring_namespace.clone(),
        alertmanager: env.alertmanager.clone().or_else(|| {
            (env.runtime == Runtime::Kubernetes)
                .then(|| format!("alertmanager.{}.svc:9093", env.monitoring_namespace))
        }),
        secret_store: SecretStore {
            name: store.name.clone(),
            kind: store.kind,
            refresh: store.refresh.clone(),
        },
        kustomize_images: ci::kustomize_images(
            spec,
            name,
            env.image_tag.as_deref().unwrap_or(&spec.platform.version),
            &services,
        ),
        services,
        by_name,
    }
}

/// Each service's index in `services`, by name.
fn index_by_name(services: &[ResolvedService]) -> HashMap<String, usize> {
    services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect()
}

/// Who calls whom among the services of one environment (`calls`): each caller gets its
/// callees, each callee its callers. A callee the environment does not run, or that serves no
/// port, is left out (check reports it).
fn resolve_calls(
    spec: &PlatformSpec,
    mut services: Vec<ResolvedService>,
    by_name: &HashMap<String, usize>,
) -> Vec<ResolvedService> {
    let peer = |s: &ResolvedService| {
        s.port.map(|port| Peer {
            name: s.name.clone(),
            selector: s.selector.clone(),
            port,
        })
    };
    let mut pairs = Vec::new();
    for (caller, service) in services.iter().enumerate() {
        let Some(spec_service) = spec.services.get(&service.name) else {
            continue;
        };
        for name in &spec_service.calls {
            if let Some(&callee) = by_name.get(name)
                && callee != caller
            {
                pairs.push((caller, callee));
            }
        }
    }
    for (caller, callee) in pairs {
        if let Some(to) = peer(&services[callee]) {
            // Every pod of a service carries its selector labels; the caller needs no port.
            let from = Peer {
                name: services[caller].name.clone(),
                selector: services[caller].selector.clone(),
                port: to.port,
            };
            services[caller].calls.push(to);
            services[callee].called_by.push(from);
        }
    }
    services
}
