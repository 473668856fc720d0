//! Stage 3: turn the validated spec into the resolved [`Platform`]: defaults applied, overrides
//! merged (service < environment-wide < service-in-environment), every object name decided.
//!
//! Resolution is total: references it cannot follow (an unknown dependency, say) are left out
//! here and reported by the check stage, which sees both the spec and this result.

use std::collections::BTreeMap;

use crate::model::spec::{
    AutoscalingSpec, ComputeSpec, ConfigValue, DependencyKind, DependencySpec, EnvironmentSpec,
    ExposeSpec, IngressEnvSpec, ReachSpec, ResourcesSpec, Runtime, ScalePolicySpec, SecretSpec,
    SecretStoreSpec, ServiceKind, ServiceOverride, ServiceSpec,
};
use crate::model::{
    Autoscaling, Compute, ContainerImages, DependencyUse, DevCredentials, Disruption, Expose,
    Health, HttpHealth, IngressEnv, Metrics, ObjectNames, Platform, PlatformSpec, Quota,
    ResolvedEnv, ResolvedService, Resources, ScalePolicy, SecretRef, SecretStore,
};

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
    let environments = spec
        .environments
        .iter()
        .map(|(name, env)| resolve_env(spec, name, env))
        .collect();
    let unbuilt = build_env();
    let builds = spec
        .services
        .iter()
        .map(|(name, service)| {
            resolve_service(spec, "", &unbuilt, name, service, &service.settings)
        })
        .collect();
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
        observability: false,
        image_tag: None,
        quota: None,
        container_defaults: None,
        ingress: IngressEnvSpec::default(),
        monitoring_namespace: String::new(),
        secret_store: None,
        config: BTreeMap::new(),
        service_overrides: ServiceOverride::default(),
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

fn resolve_env(spec: &PlatformSpec, name: &str, env: &EnvironmentSpec) -> ResolvedEnv {
    let store: &SecretStoreSpec = env.secret_store.as_ref().unwrap_or(&spec.secret_store);
    let services = spec
        .services
        .iter()
        .filter_map(|(service_name, service)| {
            let settings = merged_settings(service, env, name);
            if settings.enabled == Some(false) {
                return None;
            }
            Some(resolve_service(
                spec,
                name,
                env,
                service_name,
                service,
                &settings,
            ))
        })
        .collect();
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
            class: env.ingress.class.clone(),
            namespace: env.ingress.namespace.clone(),
            issuer: env.ingress.issuer.clone(),
        },
        monitoring_namespace: env.monitoring_namespace.clone(),
        secret_store: SecretStore {
            name: store.name.clone(),
            kind: store.kind,
            refresh: store.refresh.clone(),
        },
        services,
    }
}

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

fn overlay_resources(base: &ResourcesSpec, top: &ResourcesSpec) -> ResourcesSpec {
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

fn compute(spec: &ComputeSpec) -> Compute {
    Compute {
        cpu: spec.cpu.clone(),
        memory: spec.memory.clone(),
    }
}

fn resources(spec: &ResourcesSpec) -> Resources {
    Resources {
        requests: compute(&spec.requests),
        limits: compute(&spec.limits),
    }
}

/// Default resources when a service declares none: small but bounded (checkov wants both).
fn default_resources() -> ResourcesSpec {
    ResourcesSpec {
        requests: ComputeSpec {
            cpu: Some("100m".to_owned()),
            memory: Some("128Mi".to_owned()),
        },
        limits: ComputeSpec {
            cpu: Some("500m".to_owned()),
            memory: Some("512Mi".to_owned()),
        },
    }
}

/// The string a config value becomes in a ConfigMap.
pub fn config_string(value: &ConfigValue) -> String {
    match value {
        ConfigValue::String(s) => s.clone(),
        ConfigValue::Integer(i) => i.to_string(),
        ConfigValue::Float(f) => f.to_string(),
        ConfigValue::Bool(b) => b.to_string(),
    }
}

/// The kind of a dependency: declared, or implied by its name.
pub fn dependency_kind(name: &str, spec: &DependencySpec) -> Option<DependencyKind> {
    spec.kind.or(match name {
        "postgres" => Some(DependencyKind::Postgres),
        "redis" => Some(DependencyKind::Redis),
        "rabbitmq" => Some(DependencyKind::Rabbitmq),
        _ => None,
    })
}

/// The standard port of a dependency kind.
pub fn default_port(kind: DependencyKind) -> u16 {
    match kind {
        DependencyKind::Postgres => 5432,
        DependencyKind::Redis => 6379,
        DependencyKind::Rabbitmq => 5672,
    }
}

/// The official image of a dependency kind at a version, as the reference runs them.
pub fn default_image(kind: DependencyKind, version: &str) -> String {
    match kind {
        DependencyKind::Postgres => format!("postgres:{version}-alpine"),
        DependencyKind::Redis => format!("redis:{version}-alpine"),
        DependencyKind::Rabbitmq => format!("rabbitmq:{version}-management-alpine"),
    }
}

/// The environment variable that conventionally carries a kind's connection URL.
pub fn default_url_variable(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Postgres => "DATABASE_URL",
        DependencyKind::Redis => "REDIS_URL",
        DependencyKind::Rabbitmq => "RABBITMQ_URL",
    }
}

/// The URL scheme of a kind's connection URL.
pub fn default_scheme(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Postgres => "postgresql",
        DependencyKind::Redis => "redis",
        DependencyKind::Rabbitmq => "amqp",
    }
}

fn resolve_dependency(
    platform: &str,
    name: &str,
    spec: &DependencySpec,
    env_name: &str,
) -> Option<DependencyUse> {
    let kind = dependency_kind(name, spec)?;
    let reach: ReachSpec = match spec.env.get(env_name) {
        Some(over) => ReachSpec {
            selector: over
                .selector
                .clone()
                .or_else(|| spec.reach.selector.clone()),
            namespace: over
                .namespace
                .clone()
                .or_else(|| spec.reach.namespace.clone()),
            cidr: over.cidr.clone().or_else(|| spec.reach.cidr.clone()),
        },
        None => spec.reach.clone(),
    };
    Some(DependencyUse {
        name: name.to_owned(),
        kind,
        version: spec.version.clone(),
        port: spec.port.unwrap_or_else(|| default_port(kind)),
        selector: reach
            .selector
            .unwrap_or_else(|| BTreeMap::from([("app".to_owned(), name.to_owned())])),
        namespace: reach.namespace,
        cidr: reach.cidr,
        image: spec
            .image
            .clone()
            .unwrap_or_else(|| default_image(kind, &spec.version)),
        url_variable: spec
            .url_variable
            .clone()
            .unwrap_or_else(|| default_url_variable(kind).to_owned()),
        scheme: spec
            .scheme
            .clone()
            .unwrap_or_else(|| default_scheme(kind).to_owned()),
        dev: DevCredentials {
            user: spec.dev.user.clone().unwrap_or_else(|| platform.to_owned()),
            password: spec
                .dev
                .password
                .clone()
                .unwrap_or_else(|| format!("{platform}_dev_password")),
            database: spec
                .dev
                .database
                .clone()
                .unwrap_or_else(|| platform.to_owned()),
        },
    })
}

fn resolve_scale(spec: Option<&ScalePolicySpec>, default: ScalePolicy) -> ScalePolicy {
    let spec = spec.cloned().unwrap_or_default();
    ScalePolicy {
        window: spec.window.unwrap_or(default.window),
        percent: spec.percent.or(default.percent),
        pods: spec.pods.or(default.pods),
        period: spec.period.unwrap_or(default.period),
    }
}

fn resolve_autoscaling(spec: Option<&AutoscalingSpec>, replicas: i64) -> Option<Autoscaling> {
    let spec = spec?;
    if spec.enabled == Some(false) {
        return None;
    }
    let min = spec.min.unwrap_or(replicas.max(1));
    let (cpu, memory) = match (spec.cpu, spec.memory) {
        (None, None) => (Some(80), None),
        targets => targets,
    };
    Some(Autoscaling {
        min,
        max: spec.max.unwrap_or(min),
        cpu,
        memory,
        // The reference's behaviour: add pods fast (double or +4 every 15 s), remove them slowly.
        scale_up: resolve_scale(
            spec.scale_up.as_ref(),
            ScalePolicy {
                window: 0,
                percent: Some(100),
                pods: Some(4),
                period: 15,
            },
        ),
        scale_down: resolve_scale(
            spec.scale_down.as_ref(),
            ScalePolicy {
                window: 300,
                percent: Some(10),
                pods: None,
                period: 60,
            },
        ),
    })
}

fn resolve_expose(
    spec: Option<&ExposeSpec>,
    kind: ServiceKind,
    domain: Option<&str>,
) -> Option<Expose> {
    let spec = spec?;
    if spec.enabled == Some(false) || kind != ServiceKind::Web {
        return None;
    }
    let host = match (&spec.host, &spec.subdomain, domain) {
        (Some(host), _, _) => host.clone(),
        (None, Some(sub), Some(domain)) => format!("{sub}.{domain}"),
        (None, None, Some(domain)) => domain.to_owned(),
        // No host can be formed: the check stage reports it; resolve stays total.
        (None, _, None) => String::new(),
    };
    Some(Expose {
        host,
        path: spec.path.clone().unwrap_or_else(|| "/".to_owned()),
        service_port: spec.service_port.unwrap_or(80),
        body_size: spec.body_size.clone().unwrap_or_else(|| "10m".to_owned()),
        timeout: spec.timeout.unwrap_or(60),
    })
}

fn resolve_service(
    spec: &PlatformSpec,
    env_name: &str,
    env: &EnvironmentSpec,
    name: &str,
    service: &ServiceSpec,
    settings: &ServiceOverride,
) -> ResolvedService {
    let platform = &spec.platform;
    let is_web = service.kind == ServiceKind::Web;
    let port = if is_web {
        Some(service.port.unwrap_or(DEFAULT_WEB_PORT))
    } else {
        service.port
    };
    let workers = is_web.then(|| settings.workers.unwrap_or(DEFAULT_WORKERS));
    let replicas = settings.replicas.unwrap_or(1);

    let mut config: BTreeMap<String, String> = platform
        .config
        .iter()
        .chain(&env.config)
        .chain(&settings.config)
        .map(|(k, v)| (k.clone(), config_string(v)))
        .collect();
    if let Some(workers) = workers {
        // gunicorn reads its worker count from WEB_CONCURRENCY: one image, per-environment value.
        config.insert("WEB_CONCURRENCY".to_owned(), workers.to_string());
    }

    let command = match (service.kind, &service.command) {
        (_, Some(command)) => command.clone(),
        (ServiceKind::Web, None) => web_command(service.app.as_deref().unwrap_or_default(), port),
        (ServiceKind::Worker, None) => Vec::new(),
    };

    let health = Health {
        http: is_web.then(|| {
            let liveness = service
                .health
                .liveness
                .clone()
                .unwrap_or_else(|| "/health/live".to_owned());
            HttpHealth {
                readiness: service
                    .health
                    .readiness
                    .clone()
                    .unwrap_or_else(|| "/health/ready".to_owned()),
                startup: service
                    .health
                    .startup
                    .clone()
                    .unwrap_or_else(|| liveness.clone()),
                liveness,
            }
        }),
        command: service.health.command.clone(),
    };

    let mut labels: BTreeMap<String, String> = platform.labels.clone();
    labels.extend(service.labels.clone());
    labels.insert("app".to_owned(), name.to_owned());
    labels.insert("app.kubernetes.io/name".to_owned(), name.to_owned());
    labels.insert(
        "app.kubernetes.io/part-of".to_owned(),
        platform.name.clone(),
    );
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        "platgen".to_owned(),
    );

    let autoscaling = resolve_autoscaling(settings.autoscaling.as_ref(), replicas);
    let floor = autoscaling.as_ref().map_or(replicas, |a| a.min);
    let disruption = match &settings.disruption {
        Some(d) => Some(Disruption {
            min_available: d.min_available,
            max_unavailable: d.max_unavailable,
        }),
        // Only a service that keeps running with a pod down gets a default budget; with one
        // replica a budget would block every node drain.
        None if floor >= 2 => Some(Disruption {
            min_available: None,
            max_unavailable: Some(1),
        }),
        None => None,
    };

    let secrets = service
        .secrets
        .iter()
        .map(|secret| match secret {
            SecretSpec::Name(var) => SecretRef {
                name: var.clone(),
                key: format!("{}/{name}", platform.name),
                property: var.clone(),
            },
            SecretSpec::Ref(r) => SecretRef {
                name: r.name.clone(),
                key: r.key.clone(),
                property: r.property.clone().unwrap_or_else(|| r.name.clone()),
            },
        })
        .collect();

    let uses = service
        .uses
        .iter()
        .filter_map(|dep| {
            resolve_dependency(&platform.name, dep, spec.dependencies.get(dep)?, env_name)
        })
        .collect();

    let image_repository = format!("{}/{name}", platform.registry);
    let image_tag = env.image_tag.as_deref().unwrap_or(&platform.version);
    ResolvedService {
        name: name.to_owned(),
        kind: service.kind,
        description: service.description.clone(),
        image: format!("{image_repository}:{image_tag}"),
        image_repository,
        port,
        source_dir: format!("{}/{name}", platform.services_dir.trim_end_matches('/')),
        command,
        workers,
        app: service.app.clone(),
        health,
        metrics: port.map(|port| Metrics {
            path: service
                .metrics_path
                .clone()
                .unwrap_or_else(|| "/metrics".to_owned()),
            port,
        }),
        selector: BTreeMap::from([("app".to_owned(), name.to_owned())]),
        labels,
        replicas,
        resources: resources(
            &settings
                .resources
                .as_ref()
                .map_or_else(default_resources, |r| {
                    overlay_resources(&default_resources(), r)
                }),
        ),
        autoscaling,
        disruption,
        expose: resolve_expose(
            settings.expose.as_ref(),
            service.kind,
            env.domain.as_deref(),
        ),
        config,
        secrets,
        uses,
        termination_grace: settings
            .termination_grace
            .unwrap_or(DEFAULT_TERMINATION_GRACE),
        pre_stop_sleep: PRE_STOP_SLEEP,
        names: ObjectNames {
            workload: name.to_owned(),
            service_account: name.to_owned(),
            config_map: format!("{name}-config"),
            secret: format!("{name}-secrets"),
            hpa: format!("{name}-hpa"),
            pdb: format!("{name}-pdb"),
            network_policy: format!("{name}-policy"),
            ingress: name.to_owned(),
            tls_secret: format!("{name}-tls"),
        },
    }
}

/// gunicorn with uvicorn workers; the worker count comes from `WEB_CONCURRENCY`.
fn web_command(app: &str, port: Option<u16>) -> Vec<String> {
    let port = port.unwrap_or(DEFAULT_WEB_PORT);
    [
        "gunicorn",
        app,
        "-k",
        "uvicorn.workers.UvicornWorker",
        "-b",
        &format!("0.0.0.0:{port}"),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--capture-output",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}
