//! One service resolved for one environment: every default applied, every name decided.

use std::collections::BTreeMap;

use crate::model::slo::BurnTier;
use crate::model::spec::{
    AutoscalingSpec, ComputeSpec, ConfigValue, EnvironmentSpec, ExposeSpec, Listen, MANAGED_BY,
    PART_OF, ResourcesSpec, Runtime, ScalePolicySpec, SecretSpec, ServiceKind, ServiceOverride,
    ServiceSpec,
};
use crate::model::{
    Autoscaling, Compute, Disruption, Expose, Health, HttpHealth, Metrics, ObjectNames,
    PlatformSpec, ResolvedService, Resources, ScalePolicy, SecretRef,
};

use super::dependency::resolve_dependency;
use super::merge::overlay_resources;
use super::observability::resolve_slo;
use super::{DEFAULT_TERMINATION_GRACE, DEFAULT_WEB_PORT, DEFAULT_WORKERS, PRE_STOP_SLEEP};

pub(super) fn compute(spec: &ComputeSpec) -> Compute {
    Compute {
        cpu: spec.cpu.clone(),
        memory: spec.memory.clone(),
    }
}

pub(super) fn resources(spec: &ResourcesSpec) -> Resources {
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

pub(super) fn resolve_service(
    spec: &PlatformSpec,
    tiers: &[BurnTier],
    env_name: &str,
    env: &EnvironmentSpec,
    name: &str,
    service: &ServiceSpec,
    settings: &ServiceOverride,
) -> ResolvedService {
    let platform = &spec.platform;
    let is_web = service.kind == ServiceKind::Web;
    // A worker serves nothing: the check stage rejects a `port` on one.
    let port = is_web.then(|| service.port.unwrap_or(DEFAULT_WEB_PORT));
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
    if is_web && service.command.is_none() {
        let grace = settings
            .termination_grace
            .unwrap_or(DEFAULT_TERMINATION_GRACE);
        let timeout = format!(
            "--graceful-timeout={}",
            graceful_timeout(grace, env.runtime)
        );
        // Added to gunicorn settings of the user's own, unless they set the timeout themselves.
        let args = config.entry("GUNICORN_CMD_ARGS".to_owned()).or_default();
        if !args.contains("--graceful-timeout") {
            if !args.is_empty() {
                args.push(' ');
            }
            args.push_str(&timeout);
        }
    }

    let command = match (service.kind, &service.command) {
        (_, Some(command)) => command.clone(),
        (ServiceKind::Web, None) => web_command(
            service.app.as_deref().unwrap_or_default(),
            port,
            platform.listen,
        ),
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
    labels.insert(PART_OF.to_owned(), platform.name.clone());
    labels.insert(MANAGED_BY.to_owned(), "platgen".to_owned());

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
        slo: resolve_slo(service, tiers),
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
        // Filled in once every service of the environment is resolved (see `resolve_calls`).
        calls: Vec::new(),
        called_by: Vec::new(),
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

/// How long gunicorn lets its workers finish their requests after SIGTERM before it kills them
/// (its own default is 30 s, whatever the container is given). The container has the grace
/// period after SIGTERM, less the preStop sleep on Kubernetes (SIGTERM comes after the hook);
/// one second of it is kept for gunicorn's own exit.
fn graceful_timeout(termination_grace: u32, runtime: Runtime) -> u32 {
    let after_sigterm = match runtime {
        Runtime::Kubernetes => termination_grace.saturating_sub(PRE_STOP_SLEEP),
        Runtime::Compose => termination_grace,
    };
    after_sigterm.saturating_sub(1).max(1)
}

/// gunicorn with uvicorn workers on every address of `listen`; the worker count comes from
/// `WEB_CONCURRENCY`, the graceful timeout from `GUNICORN_CMD_ARGS` (both per environment).
fn web_command(app: &str, port: Option<u16>, listen: Listen) -> Vec<String> {
    let port = port.unwrap_or(DEFAULT_WEB_PORT);
    [
        "gunicorn",
        app,
        "-k",
        "uvicorn.workers.UvicornWorker",
        "-b",
        &format!("{}:{port}", listen.bind_host()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gunicorn_finishes_requests_before_the_container_is_killed() {
        // Kubernetes: SIGTERM comes after the 10 s preStop sleep; 30 s of grace leave 20.
        assert_eq!(graceful_timeout(30, Runtime::Kubernetes), 19);
        assert_eq!(graceful_timeout(120, Runtime::Kubernetes), 109);
        // Compose runs no preStop hook.
        assert_eq!(graceful_timeout(30, Runtime::Compose), 29);
        // Never zero (gunicorn would kill its workers at once).
        assert_eq!(graceful_timeout(5, Runtime::Kubernetes), 1);
    }

    #[test]
    fn gunicorn_binds_every_address_of_listen() {
        let bind = |listen| {
            let command = web_command("api.main:app", Some(8080), listen);
            let at = command.iter().position(|a| a == "-b").expect("-b");
            command[at + 1].clone()
        };
        assert_eq!(bind(Listen::Ipv4), "0.0.0.0:8080");
        assert_eq!(bind(Listen::DualStack), "[::]:8080");
        assert_eq!(Listen::default(), Listen::Ipv4);
    }
}
