//! A service as resolved for one environment, and the parts templates read from it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Resources;
use crate::model::slo::Slo;
use crate::model::spec::{DependencyKind, ServiceKind};

/// A service as deployed in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedService {
    /// Service name.
    pub name: String,
    /// Web or worker.
    pub kind: ServiceKind,
    /// One-line description.
    pub description: Option<String>,
    /// Image reference without tag.
    pub image_repository: String,
    /// Full image reference with tag.
    pub image: String,
    /// Container port (web services).
    pub port: Option<u16>,
    /// Source folder of the service in the repository.
    pub source_dir: String,
    /// The container's command line.
    pub command: Vec<String>,
    /// gunicorn workers (web).
    pub workers: Option<u32>,
    /// ASGI application (web).
    pub app: Option<String>,
    /// Health checks.
    pub health: Health,
    /// Prometheus scraping, when the service serves metrics.
    pub metrics: Option<Metrics>,
    /// Service-level objectives, when declared.
    pub slo: Option<Slo>,
    /// Labels on every object of this service.
    pub labels: BTreeMap<String, String>,
    /// Labels that select the pods (a stable subset of `labels`).
    pub selector: BTreeMap<String, String>,
    /// Replicas (the HPA floor when autoscaling).
    pub replicas: i64,
    /// Container resources.
    pub resources: Resources,
    /// Autoscaling, when enabled.
    pub autoscaling: Option<Autoscaling>,
    /// Disruption budget, when the service has one.
    pub disruption: Option<Disruption>,
    /// Ingress exposure, when exposed.
    pub expose: Option<Expose>,
    /// Final plain configuration.
    pub config: BTreeMap<String, String>,
    /// Secrets by reference.
    pub secrets: Vec<SecretRef>,
    /// Backing services used.
    pub uses: Vec<DependencyUse>,
    /// Services of the environment this one sends requests to.
    pub calls: Vec<Peer>,
    /// Services of the environment that send requests to this one.
    pub called_by: Vec<Peer>,
    /// Graceful shutdown period in seconds.
    pub termination_grace: u32,
    /// Seconds the preStop hook sleeps so endpoints drain before SIGTERM.
    pub pre_stop_sleep: u32,
    /// Names of the Kubernetes objects of this service.
    pub names: ObjectNames,
}

impl ResolvedService {
    /// The fewest pods it runs: the autoscaler's `min`, else `replicas`.
    pub fn min_replicas(&self) -> i64 {
        self.autoscaling.as_ref().map_or(self.replicas, |a| a.min)
    }

    /// The most pods it runs: the autoscaler's `max`, else `replicas`.
    pub fn max_replicas(&self) -> i64 {
        self.autoscaling.as_ref().map_or(self.replicas, |a| a.max)
    }
}

/// The names of every object a service owns, decided once so references always match.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectNames {
    /// Deployment, Service, container and app label.
    pub workload: String,
    /// ServiceAccount.
    pub service_account: String,
    /// ConfigMap.
    pub config_map: String,
    /// ExternalSecret and the Secret it produces.
    pub secret: String,
    /// HorizontalPodAutoscaler.
    pub hpa: String,
    /// PodDisruptionBudget.
    pub pdb: String,
    /// NetworkPolicy.
    pub network_policy: String,
    /// Ingress.
    pub ingress: String,
    /// TLS certificate Secret.
    pub tls_secret: String,
}

/// Health checks of a service.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// HTTP endpoints (web services).
    pub http: Option<HttpHealth>,
    /// Exec command (workers).
    pub command: Option<Vec<String>>,
}

/// HTTP health endpoints.
#[derive(Debug, Clone, Serialize)]
pub struct HttpHealth {
    /// Liveness path.
    pub liveness: String,
    /// Readiness path.
    pub readiness: String,
    /// Startup path.
    pub startup: String,
}

/// Where Prometheus scrapes.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// Metrics path.
    pub path: String,
    /// Container port.
    pub port: u16,
}

/// HPA settings, final.
#[derive(Debug, Clone, Serialize)]
pub struct Autoscaling {
    /// Fewest replicas.
    pub min: i64,
    /// Most replicas.
    pub max: i64,
    /// CPU utilisation target.
    pub cpu: Option<u32>,
    /// Memory utilisation target.
    pub memory: Option<u32>,
    /// Scale-up behaviour.
    pub scale_up: ScalePolicy,
    /// Scale-down behaviour.
    pub scale_down: ScalePolicy,
}

/// HPA behaviour in one direction.
#[derive(Debug, Clone, Serialize)]
pub struct ScalePolicy {
    /// Stabilisation window, seconds.
    pub window: u32,
    /// Percent policy.
    pub percent: Option<u32>,
    /// Pods policy.
    pub pods: Option<u32>,
    /// Policy period, seconds.
    pub period: u32,
}

/// Disruption budget, exactly one field set.
#[derive(Debug, Clone, Serialize)]
pub struct Disruption {
    /// Pods that must stay available.
    pub min_available: Option<i64>,
    /// Pods that may be down at once.
    pub max_unavailable: Option<i64>,
}

/// Ingress exposure of a service in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Expose {
    /// Host name.
    pub host: String,
    /// Path prefix.
    pub path: String,
    /// Port of the Kubernetes Service.
    pub service_port: u16,
    /// nginx proxy-body-size.
    pub body_size: String,
    /// nginx proxy read/send timeout, seconds.
    pub timeout: u32,
}

/// One secret, by reference.
#[derive(Debug, Clone, Serialize)]
pub struct SecretRef {
    /// Environment variable name.
    pub name: String,
    /// Key in the store.
    pub key: String,
    /// Property within the key.
    pub property: String,
}

/// Another service of the same environment, as a NetworkPolicy names it.
#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    /// Service name.
    pub name: String,
    /// Labels that select its pods.
    pub selector: BTreeMap<String, String>,
    /// The port the callee serves on.
    pub port: u16,
}

/// A dependency as one service uses it in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct DependencyUse {
    /// Dependency name.
    pub name: String,
    /// Its kind.
    pub kind: DependencyKind,
    /// Version.
    pub version: String,
    /// Port.
    pub port: u16,
    /// Pod labels, when in cluster.
    pub selector: BTreeMap<String, String>,
    /// Namespace, when not the service's own.
    pub namespace: Option<String>,
    /// Address range, when outside the cluster.
    pub cidr: Option<String>,
    /// Container image in compose environments.
    pub image: String,
    /// Environment variable carrying its connection URL.
    pub url_variable: String,
    /// Scheme of the connection URL in compose environments.
    pub scheme: String,
    /// Default credentials of the development container.
    pub dev: DevCredentials,
}

/// Default credentials of a dependency's development container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevCredentials {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database name.
    pub database: String,
}
