//! The compose projects of one compose environment: its development stack, and a simulation of
//! the production environment built from the same Dockerfiles.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::quantities::{compose_cpus, compose_memory};
use super::variables::{
    Mode, credentials, dev_secret, dev_url, dev_variables, literal, prod_defaults, prod_variables,
    required, used_dependencies,
};
use super::{Artifact, dockerfile_path};
use crate::model::spec::{DependencyKind, ServiceKind};
use crate::model::{Compute, DependencyUse, Platform, ResolvedEnv, ResolvedService};
use crate::plan::inputs::Inputs;
use crate::plan::observability::{self, Rules};
use crate::plan::{EnvParts, paged};
use crate::resolve::default_port;

/// OTLP gRPC endpoint of the development Jaeger, as services reach it.
const OTLP_ENDPOINT: &str = "http://jaeger:4317";

#[derive(Debug, Serialize)]
struct Build {
    context: String,
    dockerfile: String,
}

#[derive(Debug, Serialize)]
struct ComposeService {
    name: String,
    kind: ServiceKind,
    build: Build,
    image: Option<String>,
    environment: BTreeMap<String, String>,
    ports: Vec<String>,
    depends_on: Vec<String>,
    stop_grace_period: String,
    deploy: Option<Deploy>,
}

#[derive(Debug, Serialize)]
struct Deploy {
    replicas: i64,
    resources: DeployResources,
}

#[derive(Debug, Serialize)]
struct DeployResources {
    limits: DeployCompute,
    reservations: DeployCompute,
}

#[derive(Debug, Serialize)]
struct DeployCompute {
    #[serde(skip_serializing_if = "Option::is_none")]
    cpus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<String>,
}

#[derive(Debug, Serialize)]
struct ComposeDependency {
    name: String,
    kind: DependencyKind,
    image: String,
    environment: BTreeMap<String, String>,
    ports: Vec<String>,
    volume: String,
    restart: Option<&'static str>,
}

/// Published ports of the observability stack.
#[derive(Debug, Serialize)]
struct Stack {
    jaeger: Vec<String>,
    prometheus: Vec<String>,
    grafana: Vec<String>,
}

/// Host ports published on loopback, each once: a wanted port already taken moves up.
#[derive(Default)]
struct HostPorts(BTreeSet<u16>);

impl HostPorts {
    fn publish(&mut self, wanted: u16, container: u16) -> String {
        let mut host = wanted;
        while !self.0.insert(host) {
            host = host.checked_add(1).unwrap_or(1024);
        }
        format!("127.0.0.1:{host}:{container}")
    }
}

/// The environment block of a service: its config as literals, its secrets as substitutions.
fn service_environment(
    service: &ResolvedService,
    mode: Mode,
    observability: bool,
) -> BTreeMap<String, String> {
    let mut environment: BTreeMap<String, String> = service
        .config
        .iter()
        .map(|(k, v)| (k.clone(), literal(v)))
        .collect();
    for secret in &service.secrets {
        let provider = service.uses.iter().find(|d| d.url_variable == secret.name);
        let value = match (mode, provider) {
            (Mode::Development, Some(dep)) => dev_url(dep),
            (Mode::Development, None) => {
                format!("${{{}:-{}}}", secret.name, dev_secret(&secret.name))
            }
            (Mode::Production, _) => required(
                &secret.name,
                &format!(" (secret {} property {})", secret.key, secret.property),
            ),
        };
        environment.insert(secret.name.clone(), value);
    }
    if observability {
        // Standard OpenTelemetry SDK variables; a config value of the same name wins.
        environment
            .entry("OTEL_SERVICE_NAME".to_owned())
            .or_insert_with(|| service.name.clone());
        environment
            .entry("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned())
            .or_insert_with(|| OTLP_ENDPOINT.to_owned());
    }
    environment
}

fn deploy_compute(compute: &Compute) -> DeployCompute {
    DeployCompute {
        cpus: compute.cpu.as_deref().and_then(compose_cpus),
        memory: compute.memory.as_deref().and_then(compose_memory),
    }
}

fn dependency(dep: &DependencyUse, mode: Mode, ports: &mut HostPorts) -> ComposeDependency {
    let container = default_port(dep.kind);
    let published = match (mode, dep.kind) {
        (Mode::Production, _) => Vec::new(),
        (Mode::Development, DependencyKind::Rabbitmq) => vec![
            ports.publish(dep.port, container),
            // The management UI of the `-management` image.
            ports.publish(15672, 15672),
        ],
        (Mode::Development, _) => vec![ports.publish(dep.port, container)],
    };
    ComposeDependency {
        name: dep.name.clone(),
        kind: dep.kind,
        image: dep.image.clone(),
        environment: credentials(dep)
            .iter()
            .map(|c| (c.container.to_owned(), c.substitution(mode)))
            .collect(),
        ports: published,
        volume: format!("{}_data", dep.name),
        restart: (mode == Mode::Production).then_some("unless-stopped"),
    }
}

#[derive(Debug, Serialize)]
struct Project {
    services: Vec<ComposeService>,
    dependencies: Vec<ComposeDependency>,
    volumes: Vec<String>,
}

/// What one of the two compose files shows besides the platform's and the environment's
/// settings: the part its fingerprint is digested from (see [`crate::plan::inputs`]) and what
/// its context is made of, when it renders. A compose file lists every service of its
/// environment, so this is most of its context (~1 MB at 1000 services).
#[derive(Debug, Serialize)]
struct ComposeFile<'a> {
    #[serde(flatten)]
    project: Project,
    /// The compose project's name (`name:`).
    #[serde(rename = "project")]
    name: String,
    #[serde(flatten)]
    stack: Stacked<'a>,
}

/// What only one of the compose files shows.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Stacked<'a> {
    /// The development stack (`docker-compose.yml`).
    Development {
        /// Whether it runs the observability stack.
        stack: bool,
        /// Whether its Prometheus loads rules files.
        prometheus_rules: bool,
        published: Stack,
        prometheus_retention: Option<String>,
    },
    /// The simulation of the production environment (`docker-compose.prod.yml`).
    Production { prod: &'a ResolvedEnv },
}

fn project(
    platform: &Platform,
    env: &ResolvedEnv,
    mode: Mode,
    stack: bool,
    ports: &mut HostPorts,
) -> Project {
    let dependencies: Vec<ComposeDependency> = used_dependencies(env)
        .into_iter()
        .map(|dep| dependency(dep, mode, ports))
        .collect();
    // The compose file sits in `<output_dir>/<env>/`; the build context is the repository root.
    let depth = platform.output_dir.split('/').count() + 1;
    let context = vec![".."; depth].join("/");
    let services = env
        .services
        .iter()
        .map(|service| {
            let is_web = service.kind == ServiceKind::Web;
            let published = match (is_web, service.port, mode) {
                (true, Some(port), Mode::Development) => vec![ports.publish(port, port)],
                // Replicas cannot share a host port: publish on ephemeral ports
                // (`docker compose port <service> <port>` tells which).
                (true, Some(port), Mode::Production) => vec![port.to_string()],
                _ => Vec::new(),
            };
            let floor = service.min_replicas();
            let mut depends_on: Vec<String> = Vec::new();
            for dep in &service.uses {
                if !depends_on.contains(&dep.name) {
                    depends_on.push(dep.name.clone());
                }
            }
            ComposeService {
                name: service.name.clone(),
                kind: service.kind,
                build: Build {
                    context: context.clone(),
                    dockerfile: dockerfile_path(platform, &service.name),
                },
                image: (mode == Mode::Production)
                    .then(|| format!("{}:${{VERSION:-latest}}", service.image_repository)),
                environment: service_environment(service, mode, stack),
                ports: published,
                depends_on,
                stop_grace_period: format!("{}s", service.termination_grace),
                deploy: (mode == Mode::Production).then(|| Deploy {
                    replicas: floor,
                    resources: DeployResources {
                        limits: deploy_compute(&service.resources.limits),
                        reservations: deploy_compute(&service.resources.requests),
                    },
                }),
            }
        })
        .collect();
    let mut volumes: Vec<String> = dependencies.iter().map(|d| d.volume.clone()).collect();
    if stack {
        volumes.extend(["prometheus_data".to_owned(), "grafana_data".to_owned()]);
    }
    Project {
        services,
        dependencies,
        volumes,
    }
}

/// Plans the files of one compose environment.
pub(super) fn plan_compose<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    env: &'a ResolvedEnv,
    parts: &EnvParts<'a>,
    rules: &Rules,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let dir = &env.name;
    let stack = env.observability;
    let env_value = Value::from(Serde(env));
    // A compose file: its own values (see `ComposeFile`) are digested next to the platform's
    // and the environment's settings, and made template values only if it renders.
    let mut push_compose = |file: &str, compose: ComposeFile<'a>| {
        let (inputs, context) = paged(
            &[&parts.platform, &parts.settings],
            [
                ("platform", platform_value.clone()),
                ("env", env_value.clone()),
            ],
            Arc::new(compose),
        );
        artifacts.push(Artifact {
            path: format!("{dir}/{file}"),
            template: format!("compose/{file}"),
            inputs,
            context,
        });
    };

    let mut ports = HostPorts::default();
    let dev = project(platform, env, Mode::Development, stack, &mut ports);
    let published = Stack {
        jaeger: [16686, 4317, 4318]
            .iter()
            .map(|&p| ports.publish(p, p))
            .collect(),
        prometheus: vec![ports.publish(9090, 9090)],
        grafana: vec![ports.publish(3000, 3000)],
    };
    push_compose(
        "docker-compose.yml",
        ComposeFile {
            project: dev,
            name: platform.compose_project(env),
            stack: Stacked::Development {
                stack,
                prometheus_rules: stack && rules.exist_in(env),
                published,
                prometheus_retention: observability::retention_flag(env),
            },
        },
    );

    let prod = platform.production_env();
    if let Some(prod) = prod {
        let project = project(
            platform,
            prod,
            Mode::Production,
            false,
            &mut HostPorts::default(),
        );
        push_compose(
            "docker-compose.prod.yml",
            ComposeFile {
                project,
                name: platform.compose_project(prod),
                stack: Stacked::Production { prod },
            },
        );
    }

    let mut push = |file: &str, template: &str, extra: Vec<(&'static str, Value)>| {
        let mut pairs = vec![
            ("platform", platform_value.clone()),
            ("env", env_value.clone()),
        ];
        pairs.extend(extra);
        artifacts.push(Artifact {
            path: format!("{dir}/{file}"),
            template: format!("compose/{template}"),
            context: Value::from_pairs(pairs).into(),
            // They hold every service of the environment.
            inputs: Inputs::Context,
        });
    };

    push(
        ".env.example",
        "env.example",
        vec![
            ("variables", Value::from(Serde(&dev_variables(env, stack)))),
            (
                "required",
                Value::from(Serde(&prod.map(prod_variables).unwrap_or_default())),
            ),
            (
                "defaults",
                Value::from(Serde(
                    &prod.map(|p| prod_defaults(env, p)).unwrap_or_default(),
                )),
            ),
            ("prod", Value::from(Serde(&prod.map(|p| p.name.clone())))),
        ],
    );

    if stack {
        push(
            "grafana/provisioning/datasources/prometheus.yaml",
            "grafana-datasources.yaml",
            Vec::new(),
        );
        push(
            "grafana/provisioning/datasources/jaeger.yaml",
            "grafana-jaeger.yaml",
            Vec::new(),
        );
        push(
            "grafana/provisioning/dashboards/platgen.yaml",
            "grafana-dashboards.yaml",
            Vec::new(),
        );
        // The one prometheus.yml generator, shared with the Kubernetes environments.
        artifacts.push(observability::prometheus_config(
            platform_value,
            platform,
            env,
            rules,
            format!("{dir}/prometheus.yml"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_host_ports_move_up() {
        let mut ports = HostPorts::default();
        assert_eq!(ports.publish(8000, 8000), "127.0.0.1:8000:8000");
        assert_eq!(ports.publish(8000, 8000), "127.0.0.1:8001:8000");
        assert_eq!(ports.publish(8001, 8001), "127.0.0.1:8002:8001");
    }
}
