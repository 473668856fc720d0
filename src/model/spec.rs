//! The input contract: `platform.toml` as written. The JSON schema in `schema/` is generated
//! from these types (doc comments become descriptions), so the two cannot drift apart.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A DNS-1035 label: lower-case letters, digits and `-`, starting with a letter, ending alphanumeric.
pub const NAME_PATTERN: &str = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
/// An environment variable name, as used for config and secret keys.
pub const ENV_KEY_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// A Kubernetes CPU quantity (`500m`, `1`, `2.5`).
pub const CPU_PATTERN: &str = "^([0-9]+m|[0-9]+(\\.[0-9]+)?)$";
/// A Kubernetes memory quantity (`512Mi`, `2Gi`, `1G`).
pub const MEMORY_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$";
/// A duration such as `30s`, `5m`, `1h`, `30d`.
pub const DURATION_PATTERN: &str = "^[0-9]+(ms|s|m|h|d|w)$";
/// An absolute URL path.
pub const PATH_PATTERN: &str = "^/[A-Za-z0-9._~/-]*$";
/// A container image digest.
pub const DIGEST_PATTERN: &str = "^sha256:[a-f0-9]{64}$";
/// A container image reference (`name:tag`, optionally `@sha256:…`), as written into compose files.
pub const IMAGE_PATTERN: &str = "^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$";
/// A development credential: URL-unreserved characters only, so it is safe unquoted in a
/// connection URL, a `.env` file and a compose `${VAR:-default}`.
pub const CREDENTIAL_PATTERN: &str = "^[A-Za-z0-9_.~-]+$";

/// The whole platform: identity, environments, services and what they depend on.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "platgen platform")]
pub struct PlatformSpec {
    /// Identity of the platform and defaults shared by every service.
    pub platform: PlatformInfo,
    /// Where secret values live (External Secrets Operator). Services name secrets; values never appear here.
    #[serde(default)]
    pub secret_store: SecretStoreSpec,
    /// Backing services (PostgreSQL, Redis, RabbitMQ) that services may `use`, keyed by name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub dependencies: BTreeMap<String, DependencySpec>,
    /// Deployment environments keyed by name, in the order they are promoted (e.g. development, staging, production).
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }, "minProperties" = 1))]
    pub environments: IndexMap<String, EnvironmentSpec>,
    /// The services of the platform keyed by name; the name becomes the Deployment, image and DNS name.
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }, "minProperties" = 1))]
    pub services: IndexMap<String, ServiceSpec>,
}

/// Identity of the platform and defaults every service shares.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformInfo {
    /// Platform name (DNS-1123 label); used as `app.kubernetes.io/part-of` and the default namespace.
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = 63))]
    pub name: String,
    /// Container registry images are pushed to and pulled from, e.g. `registry.example.com/team`.
    #[schemars(extend("pattern" = "^[a-z0-9]([a-z0-9.:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$"))]
    pub registry: String,
    /// Image tag deployed unless an environment sets its own `image_tag`, e.g. `v1.0.0`.
    #[serde(default = "default_version")]
    #[schemars(extend("pattern" = "^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"))]
    pub version: String,
    /// Python version of the runtime images (`python:<python>-slim`).
    #[serde(default = "default_python")]
    #[schemars(extend("pattern" = "^3\\.[0-9]+$"))]
    pub python: String,
    /// Shared library folders copied into every image, relative to the repository root.
    #[serde(default = "default_libs")]
    #[schemars(extend("items" = { "pattern": "^[A-Za-z0-9_][A-Za-z0-9_./-]*$" }))]
    pub libs: Vec<String>,
    /// Folder holding one sub-folder per service (`<services_dir>/<service>/`).
    #[serde(default = "default_services_dir")]
    #[schemars(extend("pattern" = "^[A-Za-z0-9_][A-Za-z0-9_./-]*$"))]
    pub services_dir: String,
    /// Numeric user and group id the containers run as (≥ 10000 so it never maps to a host user).
    #[serde(default = "default_uid")]
    #[schemars(range(min = 1, max = 2147483647))]
    pub uid: u32,
    /// Version of uv that builds the images (`ghcr.io/astral-sh/uv:<uv>`): pinned, never `latest`.
    #[serde(default = "default_uv")]
    #[schemars(extend("pattern" = "^[0-9]+\\.[0-9]+\\.[0-9]+$"))]
    pub uv: String,
    /// Digest (`sha256:…`) pinning the Python base image `python:<python>-slim` to exact bytes.
    #[serde(default)]
    #[schemars(extend("pattern" = DIGEST_PATTERN))]
    pub python_digest: Option<String>,
    /// Digest (`sha256:…`) pinning the uv image to exact bytes.
    #[serde(default)]
    #[schemars(extend("pattern" = DIGEST_PATTERN))]
    pub uv_digest: Option<String>,
    /// Where `platgen render` writes, relative to the repository root. Images are built with the
    /// repository root as context, so compose files find the Dockerfiles through this path.
    #[serde(default = "default_output_dir")]
    #[schemars(extend("pattern" = "^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$"))]
    pub output_dir: String,
    /// Labels added to every object of every service, e.g. `{ team = "core" }`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Configuration shared by every service in every environment (environment variables).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": ENV_KEY_PATTERN }))]
    pub config: BTreeMap<String, ConfigValue>,
}

/// A plain configuration value; rendered as a string in ConfigMaps.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ConfigValue {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean, rendered `true` or `false`.
    Bool(bool),
}

/// Settings of the External Secrets Operator store that holds secret values.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretStoreSpec {
    /// Name of the SecretStore or ClusterSecretStore.
    #[serde(default = "default_store_name")]
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub name: String,
    /// Kind of the store.
    #[serde(default)]
    pub kind: SecretStoreKind,
    /// How often the operator re-reads the values, e.g. `1h`.
    #[serde(default = "default_refresh")]
    #[schemars(extend("pattern" = DURATION_PATTERN))]
    pub refresh: String,
}

impl Default for SecretStoreSpec {
    fn default() -> Self {
        Self {
            name: default_store_name(),
            kind: SecretStoreKind::default(),
            refresh: default_refresh(),
        }
    }
}

/// Kind of an External Secrets Operator store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum SecretStoreKind {
    /// A store shared by all namespaces.
    #[default]
    ClusterSecretStore,
    /// A store in the service's own namespace.
    SecretStore,
}

/// A backing service: PostgreSQL, Redis or RabbitMQ.
// serde cannot deny unknown fields next to `flatten`; the schema denies them instead.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DependencySpec {
    /// What it is; defaults to the dependency's name when that is `postgres`, `redis` or `rabbitmq`.
    #[serde(default)]
    pub kind: Option<DependencyKind>,
    /// Major (or major.minor) version, e.g. `16` for PostgreSQL.
    #[schemars(extend("pattern" = "^[0-9]+(\\.[0-9]+){0,2}$"))]
    pub version: String,
    /// Port it listens on; defaults to the kind's standard port.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u16>,
    /// Container image in compose environments; defaults to the official image of the kind and
    /// version (`postgres:<version>-alpine`, `redis:<version>-alpine`, `rabbitmq:<version>-management-alpine`).
    #[serde(default)]
    #[schemars(extend("pattern" = IMAGE_PATTERN))]
    pub image: Option<String>,
    /// Environment variable that carries its connection URL to services (a secret in Kubernetes);
    /// defaults to `DATABASE_URL`, `REDIS_URL` or `RABBITMQ_URL` by kind.
    #[serde(default)]
    #[schemars(extend("pattern" = ENV_KEY_PATTERN))]
    pub url_variable: Option<String>,
    /// URL scheme of that connection URL in compose environments, e.g. `postgresql+asyncpg`;
    /// defaults to `postgresql`, `redis` or `amqp` by kind.
    #[serde(default)]
    #[schemars(extend("pattern" = "^[a-z][a-z0-9+.-]*$"))]
    pub scheme: Option<String>,
    /// Default credentials of its development container (overridable through `.env`).
    #[serde(default)]
    pub dev: DevCredentialsSpec,
    /// How Kubernetes pods reach it (network policy egress), shared by all environments unless `env` overrides it.
    #[serde(default, flatten)]
    pub reach: ReachSpec,
    /// Per-environment overrides of how it is reached, keyed by environment name.
    #[serde(default)]
    pub env: BTreeMap<String, ReachSpec>,
}

/// Where a dependency runs, as seen from the service's pods.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReachSpec {
    /// Labels of its pods when it runs in the cluster (default `{ app = "<name>" }`).
    #[serde(default)]
    pub selector: Option<BTreeMap<String, String>>,
    /// Namespace of its pods when it is not the service's own.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub namespace: Option<String>,
    /// Address range when it runs outside the cluster (managed database), e.g. `10.20.0.0/16`.
    #[serde(default)]
    #[schemars(extend("pattern" = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$"))]
    pub cidr: Option<String>,
}

/// Kinds of backing service platgen knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DependencyKind {
    /// PostgreSQL.
    Postgres,
    /// Redis.
    Redis,
    /// RabbitMQ.
    Rabbitmq,
}

/// Default credentials of a dependency's development container. They are defaults only: compose
/// reads them as `${VAR:-default}`, so a `.env` file beside the compose file overrides them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DevCredentialsSpec {
    /// User name (PostgreSQL, RabbitMQ); default the platform name.
    #[serde(default)]
    #[schemars(extend("pattern" = CREDENTIAL_PATTERN))]
    pub user: Option<String>,
    /// Password (PostgreSQL, RabbitMQ); default `<platform>_dev_password`.
    #[serde(default)]
    #[schemars(extend("pattern" = CREDENTIAL_PATTERN))]
    pub password: Option<String>,
    /// Database name (PostgreSQL); default the platform name.
    #[serde(default)]
    #[schemars(extend("pattern" = CREDENTIAL_PATTERN))]
    pub database: Option<String>,
}

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
    #[schemars(extend("pattern" = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"))]
    pub domain: Option<String>,
    /// Kubernetes namespace; defaults to `<platform>` for `production` and `<platform>-<env>` otherwise.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = 63))]
    pub namespace: Option<String>,
    /// Number of cluster nodes (documentation, and a check that replicas can spread).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub nodes: Option<u32>,
    /// Label the namespace for Istio sidecar injection.
    #[serde(default)]
    pub istio: bool,
    /// Run the observability stack (Jaeger with OTLP, Prometheus, Grafana) beside the services in
    /// compose environments (default true).
    #[serde(default = "default_true")]
    pub observability: bool,
    /// Image tag deployed here; defaults to `platform.version`.
    #[serde(default)]
    #[schemars(extend("pattern" = "^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"))]
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
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub monitoring_namespace: String,
    /// Overrides the platform's secret store in this environment.
    #[serde(default)]
    pub secret_store: Option<SecretStoreSpec>,
    /// Configuration for every service in this environment (e.g. `APP_ENV`).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": ENV_KEY_PATTERN }))]
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
    /// Maximum number of pods.
    #[serde(default)]
    #[schemars(range(min = 1))]
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

/// Ingress controller settings of an environment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressEnvSpec {
    /// IngressClass name (`spec.ingressClassName`).
    #[serde(default = "default_ingress_class")]
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub class: String,
    /// Namespace the ingress controller runs in (allowed in by network policy).
    #[serde(default = "default_ingress_namespace")]
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub namespace: String,
    /// cert-manager ClusterIssuer for TLS certificates; no TLS when absent.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub issuer: Option<String>,
}

impl Default for IngressEnvSpec {
    fn default() -> Self {
        Self {
            class: default_ingress_class(),
            namespace: default_ingress_namespace(),
            issuer: None,
        }
    }
}

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
    #[schemars(extend("pattern" = "^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"))]
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
    /// Extra labels on this service's objects and pods, e.g. `{ version = "v1" }`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Backing services this service talks to, by name from `[dependencies]`.
    #[serde(default)]
    pub uses: Vec<String>,
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
    #[schemars(extend("propertyNames" = { "pattern": ENV_KEY_PATTERN }))]
    pub config: BTreeMap<String, ConfigValue>,
    /// Seconds Kubernetes waits for a graceful shutdown.
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
    Name(#[schemars(extend("pattern" = ENV_KEY_PATTERN))] String),
    /// The variable name and where its value lives in the store.
    Ref(SecretRefSpec),
}

/// A secret with an explicit location in the secret store.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRefSpec {
    /// Environment variable name the service reads.
    #[schemars(extend("pattern" = ENV_KEY_PATTERN))]
    pub name: String,
    /// Key of the secret in the store, e.g. `platform/database`.
    #[schemars(extend("pattern" = "^[A-Za-z0-9_][A-Za-z0-9_./-]*$"))]
    pub key: String,
    /// Property inside that key, e.g. `url`; defaults to the variable name.
    #[serde(default)]
    #[schemars(extend("pattern" = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
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
    /// Pods that must stay available.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub min_available: Option<i64>,
    /// Pods that may be unavailable at once.
    #[serde(default)]
    #[schemars(range(min = 1))]
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
    #[schemars(extend("pattern" = NAME_PATTERN))]
    pub subdomain: Option<String>,
    /// Full host name; overrides `subdomain` and the domain.
    #[serde(default)]
    #[schemars(extend("pattern" = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"))]
    pub host: Option<String>,
    /// URL path prefix routed to the service, default `/`.
    #[serde(default)]
    #[schemars(extend("pattern" = PATH_PATTERN))]
    pub path: Option<String>,
    /// Largest request body, e.g. `10m` (nginx `proxy-body-size`).
    #[serde(default)]
    #[schemars(extend("pattern" = "^[0-9]+[kmg]?$"))]
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
    #[schemars(extend("pattern" = "^[0-9]+(\\.[0-9]+)?(ms|s)$"))]
    pub threshold: String,
    /// Percent of requests that must be that fast, e.g. `99`.
    #[schemars(range(min = 50, max = 99.999))]
    pub target: f64,
}

fn default_version() -> String {
    "latest".to_owned()
}
fn default_python() -> String {
    "3.12".to_owned()
}
fn default_libs() -> Vec<String> {
    vec!["libs".to_owned()]
}
fn default_services_dir() -> String {
    "services".to_owned()
}
/// Default container uid/gid: above 10000 (checkov CKV_K8S_40) so it matches no host account.
pub const DEFAULT_UID: u32 = 10001;
fn default_uid() -> u32 {
    DEFAULT_UID
}
/// Default uv version of the image builds (a release, never `latest`).
pub const DEFAULT_UV: &str = "0.13.9";
fn default_uv() -> String {
    DEFAULT_UV.to_owned()
}
fn default_output_dir() -> String {
    "out".to_owned()
}
fn default_true() -> bool {
    true
}
fn default_store_name() -> String {
    "secret-store".to_owned()
}
fn default_refresh() -> String {
    "1h".to_owned()
}
fn default_monitoring_namespace() -> String {
    "monitoring".to_owned()
}
fn default_ingress_class() -> String {
    "nginx".to_owned()
}
fn default_ingress_namespace() -> String {
    "ingress-nginx".to_owned()
}
fn default_slo_window() -> String {
    "30d".to_owned()
}
