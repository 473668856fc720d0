//! The resolved platform: every default applied, every override merged, every name decided.
//! Templates see only these types.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::slo::Observability;
use super::spec::{Runtime, SecretStoreKind};

mod service;

pub use service::*;

/// The platform after resolution: one [`ResolvedEnv`] per environment.
#[derive(Debug, Clone, Serialize)]
pub struct Platform {
    /// Platform name.
    pub name: String,
    /// Container registry.
    pub registry: String,
    /// Python version of the images.
    pub python: String,
    /// Shared library folders copied into every image.
    pub libs: Vec<String>,
    /// Folder holding one sub-folder per service.
    pub services_dir: String,
    /// Numeric uid and gid of every container.
    pub uid: u32,
    /// Version of uv in the image builds.
    pub uv: String,
    /// Pinned images: Dockerfile bases and the compose observability stack.
    pub images: ContainerImages,
    /// The output directory relative to the repository root (the Docker build context).
    pub output_dir: String,
    /// The GitHub Actions workflows, when enabled (not serialised: the workflow plan passes it).
    #[serde(skip)]
    pub ci: Option<super::ci::Ci>,
    /// Monitoring settings shared by every environment.
    pub observability: Observability,
    /// Every service as its image is built: resolved with no environment's overrides, so the
    /// Dockerfile carries the service's own defaults (not serialised: plans pass one at a time).
    #[serde(skip)]
    pub builds: Vec<ResolvedService>,
    /// Environments in declaration order (not serialised: templates get one env at a time).
    #[serde(skip)]
    pub environments: Vec<ResolvedEnv>,
}

impl Platform {
    /// The Kubernetes environment the compose environments simulate in
    /// `docker-compose.prod.yml`: the one named `production`, else the last one.
    pub fn production_env(&self) -> Option<&ResolvedEnv> {
        let kubernetes = || self.environments.iter().filter(|e| e.is_kubernetes());
        kubernetes()
            .find(|e| e.name == "production")
            .or_else(|| kubernetes().next_back())
    }

    /// The compose project (`name:` of a compose file) of the stack of `env`.
    pub fn compose_project(&self, env: &ResolvedEnv) -> String {
        format!("{}-{}", self.name, env.name)
    }

    /// Every compose project the platform renders, with its environment: each compose
    /// environment's, and the production simulation's beside them.
    pub fn compose_projects(&self) -> Vec<(&ResolvedEnv, String)> {
        let compose: Vec<&ResolvedEnv> = self
            .environments
            .iter()
            .filter(|e| !e.is_kubernetes())
            .collect();
        let simulated = self.production_env().filter(|_| !compose.is_empty());
        compose
            .into_iter()
            .chain(simulated)
            .map(|env| (env, self.compose_project(env)))
            .collect()
    }
}

/// Pinned image references (`name:tag`, with `@sha256:…` when a digest is configured).
#[derive(Debug, Clone, Serialize)]
pub struct ContainerImages {
    /// Python base image of builder and runtime stages.
    pub python: String,
    /// uv image the builder copies the `uv` binary from.
    pub uv: String,
    /// Jaeger all-in-one (traces over OTLP).
    pub jaeger: String,
    /// Prometheus.
    pub prometheus: String,
    /// Grafana.
    pub grafana: String,
}

/// One environment with its services fully resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedEnv {
    /// Environment name.
    pub name: String,
    /// Where it runs.
    pub runtime: Runtime,
    /// Base domain, when it has one.
    pub domain: Option<String>,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Number of cluster nodes, when declared.
    pub nodes: Option<u32>,
    /// Istio sidecar injection.
    pub istio: bool,
    /// Resources of the injected `istio-proxy` sidecar, every field set, where `istio` is on.
    pub istio_proxy: Option<Resources>,
    /// Whether compose runs Jaeger, Prometheus and Grafana beside the services.
    pub observability: bool,
    /// Image tag deployed.
    pub image_tag: String,
    /// ResourceQuota, when declared.
    pub quota: Option<Quota>,
    /// LimitRange container defaults, when declared.
    pub container_defaults: Option<Resources>,
    /// Ingress controller settings.
    pub ingress: IngressEnv,
    /// Namespace of the Prometheus that scrapes services.
    pub monitoring_namespace: String,
    /// Alertmanager (`host:port`) this environment's Prometheus sends alerts to, if any.
    pub alertmanager: Option<String>,
    /// Secret store used here.
    pub secret_store: SecretStore,
    /// Image tags the GitOps deploy strategy pins in this environment's kustomization (empty
    /// unless a GitOps deploy targets it).
    pub kustomize_images: Vec<super::ci::KustomizeImage>,
    /// Enabled services in declaration order (not serialised: plans pass the ones a file needs).
    #[serde(skip)]
    pub services: Vec<ResolvedService>,
    /// Index in `services` of each by name: `runs` is asked for every service, so a scan of
    /// `services` would make callers quadratic in the number of services.
    #[serde(skip)]
    pub by_name: HashMap<String, usize>,
}

impl ResolvedEnv {
    /// Whether this environment runs on Kubernetes.
    pub fn is_kubernetes(&self) -> bool {
        self.runtime == Runtime::Kubernetes
    }

    /// Whether this environment runs the service `name`.
    pub fn runs(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// One static scrape job per service that serves metrics, addressed `<service>:<port>` (the
    /// service's DNS name in a compose network), labelled with service and environment.
    pub fn scrape_targets(&self) -> Vec<ScrapeTarget> {
        self.services
            .iter()
            .filter_map(|service| {
                let metrics = service.metrics.as_ref()?;
                Some(ScrapeTarget {
                    job: service.name.clone(),
                    metrics_path: metrics.path.clone(),
                    targets: vec![format!("{}:{}", service.name, metrics.port)],
                    labels: BTreeMap::from([
                        ("env".to_owned(), self.name.clone()),
                        ("service".to_owned(), service.name.clone()),
                    ]),
                })
            })
            .collect()
    }
}

/// A Prometheus scrape job with static targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrapeTarget {
    /// `job_name`.
    pub job: String,
    /// `metrics_path`.
    pub metrics_path: String,
    /// `host:port` addresses.
    pub targets: Vec<String>,
    /// Labels added to every series of the job.
    pub labels: BTreeMap<String, String>,
}

/// A ResourceQuota.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quota {
    /// Total requests.
    pub requests: Compute,
    /// Total limits.
    pub limits: Compute,
    /// Most pods.
    pub pods: Option<u32>,
}

/// CPU and memory, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Compute {
    /// CPU quantity.
    pub cpu: Option<String>,
    /// Memory quantity.
    pub memory: Option<String>,
}

/// Requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// Requests.
    pub requests: Compute,
    /// Limits.
    pub limits: Compute,
}

/// Ingress controller settings of an environment.
#[derive(Debug, Clone, Serialize)]
pub struct IngressEnv {
    /// Whether ingress-nginx serves the class (and reads its annotations).
    pub nginx: bool,
    /// IngressClass name.
    pub class: String,
    /// Namespace of the controller.
    pub namespace: String,
    /// cert-manager ClusterIssuer, when TLS is issued.
    pub issuer: Option<String>,
}

/// The External Secrets store.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStore {
    /// Store name.
    pub name: String,
    /// Store kind.
    pub kind: SecretStoreKind,
    /// Refresh interval.
    pub refresh: String,
}
