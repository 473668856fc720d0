//! Services, their per-environment settings and SLOs.

use super::*;

/// What a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// An HTTP API served by gunicorn with uvicorn workers.
    Web,
    /// A background worker running a command; no port, no ingress.
    Worker,
}

/// One service of the platform.
// serde cannot deny unknown fields next to `flatten`; the schema denies them instead.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ServiceSpec {
    /// `web` (HTTP API) or `worker` (background command).
    pub kind: ServiceKind,
    /// One line saying what the service does (written into generated files).
    #[serde(default)]
    pub description: Option<String>,
    /// Container port the web server listens on (web services).
    #[serde(default)]
    #[schemars(range(min = 1024, max = 65535))]
    pub port: Option<u16>,
    /// ASGI application, `module.path:attribute` (web services), e.g. `platform_api.main:app`.
    #[serde(default)]
    #[schemars(extend("pattern" = APP_PATTERN))]
    pub app: Option<String>,
    /// Command the container runs (worker services), e.g. `["python", "-m", "platform_worker"]`.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub command: Option<Vec<String>>,
    /// Health endpoints (web) or health command (worker).
    #[serde(default)]
    pub health: HealthSpec,
    /// Path the application serves Prometheus metrics on (web services), e.g. `/metrics`.
    #[serde(default)]
    #[schemars(extend("pattern" = PATH_PATTERN))]
    pub metrics_path: Option<String>,
    /// Extra labels on this service's objects and pods, e.g. `{ version = "v1" }`: Kubernetes
    /// label keys and values; `app` and `app.kubernetes.io/{name,part-of,managed-by}` are set by platgen.
    #[serde(default)]
    #[schemars(schema_with = "service_labels_schema")]
    pub labels: BTreeMap<String, String>,
    /// Backing services this service talks to, by name from `[dependencies]`, each once (at
    /// most 64).
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub uses: Vec<String>,
    /// Other web services of the platform this one sends requests to, by name: in Kubernetes the
    /// NetworkPolicies let exactly this traffic through (egress here, ingress there), and no
    /// other traffic between services.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Secrets the service receives as environment variables: names only, values stay in the secret store.
    #[serde(default)]
    pub secrets: Vec<SecretSpec>,
    /// Settings that may differ per environment (see `env`).
    #[serde(flatten)]
    pub settings: ServiceOverride,
    /// Service-level objectives; rendered into rules and dashboards.
    #[serde(default)]
    pub slo: Option<SloSpec>,
    /// Per-environment overrides keyed by environment name, e.g. `[services.api.env.staging] replicas = 1`.
    #[serde(default)]
    pub env: BTreeMap<String, ServiceOverride>,
}

/// Settings of a service that an environment may override.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverride {
    /// Deploy the service in this environment (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Pod replicas (the HPA's floor when autoscaling).
    #[serde(default)]
    #[schemars(range(min = 0, max = 1000))]
    pub replicas: Option<i64>,
    /// CPU and memory requests and limits per container.
    #[serde(default)]
    pub resources: Option<ResourcesSpec>,
    /// HorizontalPodAutoscaler settings; absent or `enabled = false` for a fixed replica count.
    #[serde(default)]
    pub autoscaling: Option<AutoscalingSpec>,
    /// PodDisruptionBudget: how many pods must stay up during voluntary disruptions.
    #[serde(default)]
    pub disruption: Option<DisruptionSpec>,
    /// Expose the service through the ingress (web services).
    #[serde(default)]
    pub expose: Option<ExposeSpec>,
    /// gunicorn worker processes per pod (web services), passed as `WEB_CONCURRENCY`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 64))]
    pub workers: Option<u32>,
    /// Plain configuration (environment variables), merged over platform and environment config.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": ENV_KEY_PATTERN, "maxLength": KEY_MAX }))]
    pub config: BTreeMap<String, ConfigValue>,
    /// Seconds a container gets to shut down gracefully (default 30; compose's
    /// `stop_grace_period`). On Kubernetes they count from the start of the 10-second preStop
    /// sleep, so at least 20: the sleep plus 10 seconds to drain after SIGTERM.
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub termination_grace: Option<u32>,
}

/// Health checks of a service.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// Liveness endpoint (web), default `/health/live`.
    #[serde(default)]
    #[schemars(extend("pattern" = PATH_PATTERN))]
    pub liveness: Option<String>,
    /// Readiness endpoint (web), default `/health/ready`.
    #[serde(default)]
    #[schemars(extend("pattern" = PATH_PATTERN))]
    pub readiness: Option<String>,
    /// Startup endpoint (web), default the liveness endpoint.
    #[serde(default)]
    #[schemars(extend("pattern" = PATH_PATTERN))]
    pub startup: Option<String>,
    /// Command that exits 0 when the process is healthy (worker services; required for them).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub command: Option<Vec<String>>,
}

/// A secret the service receives, by name.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SecretSpec {
    /// The variable name; the value is read from key `<platform>/<service>`, property = the name.
    Name(#[schemars(extend("pattern" = ENV_KEY_PATTERN), length(max = KEY_MAX))] String),
    /// The variable name and where its value lives in the store.
    Ref(SecretRefSpec),
}

impl SecretSpec {
    /// The environment variable it becomes.
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) => name,
            Self::Ref(r) => &r.name,
        }
    }
}

/// A secret with an explicit location in the secret store.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRefSpec {
    /// Environment variable name the service reads.
    #[schemars(extend("pattern" = ENV_KEY_PATTERN), length(max = KEY_MAX))]
    pub name: String,
    /// Key of the secret in the store, e.g. `platform/database`.
    #[schemars(extend("pattern" = RELATIVE_PATH_PATTERN))]
    pub key: String,
    /// Property inside that key, e.g. `url`; defaults to the variable name.
    #[serde(default)]
    #[schemars(extend("pattern" = SECRET_PROPERTY_PATTERN))]
    pub property: Option<String>,
}

/// Horizontal pod autoscaling.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingSpec {
    /// Set false to turn autoscaling off in an environment.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Fewest replicas; defaults to `replicas`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub min: Option<i64>,
    /// Most replicas.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub max: Option<i64>,
    /// Target average CPU utilisation, percent of requests.
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub cpu: Option<u32>,
    /// Target average memory utilisation, percent of requests.
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub memory: Option<u32>,
    /// How fast to add pods.
    #[serde(default)]
    pub scale_up: Option<ScalePolicySpec>,
    /// How fast to remove pods.
    #[serde(default)]
    pub scale_down: Option<ScalePolicySpec>,
}

/// HPA scaling behaviour in one direction.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalePolicySpec {
    /// Stabilisation window in seconds.
    #[serde(default)]
    #[schemars(range(min = 0, max = 3600))]
    pub window: Option<u32>,
    /// At most this percent of current pods per period.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub percent: Option<u32>,
    /// At most this many pods per period (up only; the larger of the two applies).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub pods: Option<u32>,
    /// Period of the policies in seconds.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1800))]
    pub period: Option<u32>,
}

/// PodDisruptionBudget; give exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisruptionSpec {
    /// Pods that must stay available; at most 1000, the most replicas a service may run.
    #[serde(default)]
    #[schemars(range(min = 0, max = 1000))]
    pub min_available: Option<i64>,
    /// Pods that may be unavailable at once; at most 1000, the most replicas a service may run.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub max_unavailable: Option<i64>,
}

/// Exposure through the ingress controller.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExposeSpec {
    /// Set false to keep the service internal in an environment.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Sub-domain of the environment's domain (`auth` → `auth.<domain>`).
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub subdomain: Option<String>,
    /// Full host name; overrides `subdomain` and the domain.
    #[serde(default)]
    #[schemars(extend("pattern" = HOST_PATTERN), length(max = SUBDOMAIN_MAX))]
    pub host: Option<String>,
    /// URL path prefix routed to the service, default `/`.
    #[serde(default)]
    #[schemars(extend("pattern" = PATH_PATTERN))]
    pub path: Option<String>,
    /// Largest request body, e.g. `10m` (nginx `proxy-body-size`).
    #[serde(default)]
    #[schemars(extend("pattern" = BODY_SIZE_PATTERN))]
    pub body_size: Option<String>,
    /// Proxy read/send timeout in seconds.
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout: Option<u32>,
    /// Service port the Kubernetes Service listens on (the container port is `port`), default 80.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub service_port: Option<u16>,
}

/// Service-level objectives of a service.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// Availability target in percent of successful requests, e.g. `99.9`.
    #[schemars(range(min = 50, max = 99.999))]
    pub availability: f64,
    /// Window the objective is measured over, e.g. `30d`.
    #[serde(default = "default_slo_window")]
    #[schemars(extend("pattern" = DURATION_PATTERN))]
    pub window: String,
    /// Latency objective.
    #[serde(default)]
    pub latency: Option<LatencySloSpec>,
}

/// A latency objective: `target` percent of requests complete within `threshold`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySloSpec {
    /// Duration a request must complete within, e.g. `500ms` or `1s`.
    #[schemars(extend("pattern" = LATENCY_PATTERN))]
    pub threshold: String,
    /// Percent of requests that must be that fast, e.g. `99`.
    #[schemars(range(min = 50, max = 99.999))]
    pub target: f64,
}
