//! Deployment environments: runtime, namespace, quota, ingress.

use super::*;

/// Where an environment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// Docker Compose on a developer's machine.
    Compose,
    /// A Kubernetes cluster.
    Kubernetes,
}

/// One deployment environment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Where it runs: `compose` (local development) or `kubernetes`.
    pub runtime: Runtime,
    /// Base domain; an exposed service is served at `<subdomain>.<domain>`, or at `<domain>` without a subdomain.
    #[serde(default)]
    #[schemars(extend("pattern" = HOST_PATTERN), length(max = SUBDOMAIN_MAX))]
    pub domain: Option<String>,
    /// Kubernetes namespace; defaults to `<platform>` for `production` and `<platform>-<env>` otherwise.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub namespace: Option<String>,
    /// Number of cluster nodes (documentation; with `nodes = 1`, a disruption budget that keeps
    /// any pod up during a drain is an error, since evicted pods could not be rescheduled); at
    /// most 5000, the largest cluster Kubernetes supports.
    #[serde(default)]
    #[schemars(range(min = 1, max = 5000))]
    pub nodes: Option<u32>,
    /// Label the namespace for Istio sidecar injection.
    #[serde(default)]
    pub istio: bool,
    /// Resources of the injected `istio-proxy` sidecar where `istio = true`, written on every pod
    /// as Istio's `sidecar.istio.io/proxyCPU`, `proxyCPULimit`, `proxyMemory` and
    /// `proxyMemoryLimit` annotations (and counted by the quota check); what is left out takes
    /// Istio's defaults: requests 100m CPU and 128Mi, limits 2000m CPU and 1Gi.
    #[serde(default)]
    pub istio_proxy: Option<ResourcesSpec>,
    /// Run the observability stack (Jaeger with OTLP, Prometheus, Grafana) beside the services in
    /// compose environments, and render Prometheus rules and config, Grafana dashboards for this
    /// environment (default true).
    #[serde(default = "default_true")]
    pub observability: bool,
    /// Image tag deployed here; defaults to `platform.version`.
    #[serde(default)]
    #[schemars(extend("pattern" = IMAGE_TAG_PATTERN))]
    pub image_tag: Option<String>,
    /// Namespace-wide ResourceQuota.
    #[serde(default)]
    pub quota: Option<QuotaSpec>,
    /// LimitRange defaults for containers that declare no resources.
    #[serde(default)]
    pub container_defaults: Option<ResourcesSpec>,
    /// Ingress controller settings.
    #[serde(default)]
    pub ingress: IngressEnvSpec,
    /// Namespace of the Prometheus that scrapes the services (allowed in by network policy).
    #[serde(default = "default_monitoring_namespace")]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub monitoring_namespace: String,
    /// Alertmanager (`host:port`) the environment's Prometheus sends alerts to; default
    /// `alertmanager.<monitoring_namespace>.svc:9093` on Kubernetes, none in compose.
    #[serde(default)]
    #[schemars(extend("pattern" = HOST_PORT_PATTERN))]
    pub alertmanager: Option<String>,
    /// Overrides the platform's secret store in this environment.
    #[serde(default)]
    pub secret_store: Option<SecretStoreSpec>,
    /// Configuration for every service in this environment (e.g. `APP_ENV`).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": ENV_KEY_PATTERN, "maxLength": KEY_MAX }))]
    pub config: BTreeMap<String, ConfigValue>,
    /// Overrides applied to every service in this environment (e.g. `replicas = 1` in staging); a service's own `env.<name>` wins.
    #[serde(default)]
    pub service_overrides: ServiceOverride,
}

/// A namespace ResourceQuota.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaSpec {
    /// Total CPU and memory requests allowed.
    pub requests: ComputeSpec,
    /// Total CPU and memory limits allowed.
    pub limits: ComputeSpec,
    /// Maximum number of pods (at most 150000, the most a Kubernetes cluster supports).
    #[serde(default)]
    #[schemars(range(min = 1, max = 150000))]
    pub pods: Option<u32>,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComputeSpec {
    /// CPU, e.g. `200m` or `2`.
    #[serde(default)]
    #[schemars(extend("pattern" = CPU_PATTERN))]
    pub cpu: Option<String>,
    /// Memory, e.g. `256Mi` or `2Gi`.
    #[serde(default)]
    #[schemars(extend("pattern" = MEMORY_PATTERN))]
    pub memory: Option<String>,
}

/// Container resource requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcesSpec {
    /// What the scheduler reserves.
    #[serde(default)]
    pub requests: ComputeSpec,
    /// The most the container may use.
    #[serde(default)]
    pub limits: ComputeSpec,
}

/// Which controller serves an environment's ingress class: what reads the annotations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IngressController {
    /// ingress-nginx: the HTTPS redirect, body size and timeouts go in its annotations.
    #[default]
    IngressNginx,
    /// Any other controller: platgen writes no controller annotations, so `expose.body_size`
    /// and `expose.timeout` cannot be set; configure those (and the HTTPS redirect) on it.
    Other,
}

/// Ingress controller settings of an environment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressEnvSpec {
    /// The controller that serves `class`: `ingress-nginx` (default; it reads the annotations
    /// for the HTTPS redirect, `expose.body_size` and `expose.timeout`) or `other` (no
    /// controller annotations are written). Not told from the class name: ingress-nginx is
    /// often installed under another one.
    #[serde(default)]
    pub controller: IngressController,
    /// IngressClass name (`spec.ingressClassName`).
    #[serde(default = "default_ingress_class")]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = SUBDOMAIN_MAX))]
    pub class: String,
    /// Namespace the ingress controller runs in (allowed in by network policy).
    #[serde(default = "default_ingress_namespace")]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub namespace: String,
    /// cert-manager ClusterIssuer for TLS certificates; no TLS when absent.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = SUBDOMAIN_MAX))]
    pub issuer: Option<String>,
}

impl Default for IngressEnvSpec {
    fn default() -> Self {
        Self {
            controller: IngressController::default(),
            class: default_ingress_class(),
            namespace: default_ingress_namespace(),
            issuer: None,
        }
    }
}
