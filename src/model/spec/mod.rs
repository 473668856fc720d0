//! The input contract: `platform.toml` as written. The JSON schema in `schema/` is generated
//! from these types (doc comments become descriptions), so the two cannot drift apart.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod ci;
mod dependency;
mod environment;
mod labels;
mod observability;
mod patterns;
mod service;

pub use ci::*;
pub use dependency::*;
pub use environment::*;
pub use labels::*;
pub use observability::*;
pub use patterns::*;
pub use service::*;

/// Longest DNS-1035 label, Kubernetes label value and compose host name: a name the platform
/// chooses (service, dependency, environment, namespace) is at most this long.
pub const NAME_MAX: u64 = 63;
/// Longest DNS-1123 subdomain (most Kubernetes object names, an Ingress host).
pub const SUBDOMAIN_MAX: u64 = 253;
/// Longest ConfigMap or Secret key (and so config and secret variable names).
pub const KEY_MAX: u64 = 253;
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
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN, "maxLength": NAME_MAX }))]
    pub dependencies: BTreeMap<String, DependencySpec>,
    /// Deployment environments keyed by name, in the order they are promoted (e.g. development, staging, production).
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN, "maxLength": NAME_MAX }, "minProperties" = 1))]
    pub environments: IndexMap<String, EnvironmentSpec>,
    /// The services of the platform keyed by name; the name becomes the Deployment, image and DNS name.
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN, "maxLength": NAME_MAX }, "minProperties" = 1))]
    pub services: IndexMap<String, ServiceSpec>,
    /// Monitoring: SLI metrics, burn-rate alert tiers, operational alert thresholds, runbooks.
    #[serde(default)]
    pub observability: ObservabilitySpec,
    /// CI/CD: the GitHub Actions workflows rendered from the platform (docs/ci.md).
    #[serde(default)]
    pub ci: CiSpec,
}

/// Identity of the platform and defaults every service shares.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformInfo {
    /// Platform name (DNS-1035 label); used as `app.kubernetes.io/part-of` and the default namespace.
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub name: String,
    /// Container registry images are pushed to and pulled from, e.g. `registry.example.com/team`.
    #[schemars(extend("pattern" = REGISTRY_PATTERN))]
    pub registry: String,
    /// Image tag deployed unless an environment sets its own `image_tag`, e.g. `v1.0.0`.
    #[serde(default = "default_version")]
    #[schemars(extend("pattern" = IMAGE_TAG_PATTERN))]
    pub version: String,
    /// Python version of the runtime images (`python:<python>-slim`).
    #[serde(default = "default_python")]
    #[schemars(extend("pattern" = PYTHON_PATTERN))]
    pub python: String,
    /// Shared library folders copied into every image, relative to the repository root.
    #[serde(default = "default_libs")]
    #[schemars(extend("items" = { "type": "string", "pattern": FOLDER_PATTERN }, "uniqueItems" = true))]
    pub libs: Vec<String>,
    /// Folder holding one sub-folder per service (`<services_dir>/<service>/`).
    #[serde(default = "default_services_dir")]
    #[schemars(extend("pattern" = FOLDER_PATTERN))]
    pub services_dir: String,
    /// Numeric user and group id the containers run as (≥ 10000 so it never maps to a host
    /// user; checkov CKV_K8S_40), default 10001.
    #[serde(default = "default_uid")]
    #[schemars(range(min = 10000, max = 2147483647))]
    pub uid: u32,
    /// Version of uv that builds the images (`ghcr.io/astral-sh/uv:<uv>`): pinned, never `latest`.
    #[serde(default = "default_uv")]
    #[schemars(extend("pattern" = SEMVER_PATTERN))]
    pub uv: String,
    /// Digest (`sha256:…`) pinning the Python base image `python:<python>-slim` to exact bytes.
    #[serde(default)]
    #[schemars(extend("pattern" = DIGEST_PATTERN))]
    pub python_digest: Option<String>,
    /// Digest (`sha256:…`) pinning the uv image to exact bytes.
    #[serde(default)]
    #[schemars(extend("pattern" = DIGEST_PATTERN))]
    pub uv_digest: Option<String>,
    /// Addresses web services listen on: `ipv4` (gunicorn binds `0.0.0.0`, the default) or
    /// `dual-stack` (`[::]`, which on Linux takes IPv4 connections too), for clusters whose pods
    /// have IPv6 addresses (IPv6-only, or dual-stack with IPv6 first, e.g. EKS in IPv6 mode),
    /// where `ipv4` leaves every probe and request unanswered. `dual-stack` needs a kernel with
    /// IPv6: gunicorn cannot start on a node that disabled it at boot.
    #[serde(default)]
    pub listen: Listen,
    /// Where `platgen render` writes, relative to the repository root. Images are built with the
    /// repository root as context, so compose files find the Dockerfiles through this path.
    #[serde(default = "default_output_dir")]
    #[schemars(extend("pattern" = FOLDER_PATTERN))]
    pub output_dir: String,
    /// Folder of template overrides, relative to the repository root: each file replaces the
    /// built-in template of the same path, as `--templates DIR` (which takes precedence) does.
    /// Declared here, every `platgen render`, `check` and `diff` uses it, the generated CI's
    /// and pre-commit's included.
    #[serde(default)]
    #[schemars(extend("pattern" = FOLDER_PATTERN))]
    pub templates_dir: Option<String>,
    /// Labels added to every object of every service, e.g. `{ team = "core" }`: Kubernetes
    /// label keys and values; `app` and `app.kubernetes.io/{name,part-of,managed-by}` are set by platgen.
    #[serde(default)]
    #[schemars(schema_with = "service_labels_schema")]
    pub labels: BTreeMap<String, String>,
    /// Configuration shared by every service in every environment (environment variables).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": ENV_KEY_PATTERN, "maxLength": KEY_MAX }))]
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
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = SUBDOMAIN_MAX))]
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

pub(crate) fn default_version() -> String {
    "latest".to_owned()
}
pub(crate) fn default_python() -> String {
    "3.12".to_owned()
}
pub(crate) fn default_libs() -> Vec<String> {
    vec!["libs".to_owned()]
}
pub(crate) fn default_services_dir() -> String {
    "services".to_owned()
}
/// The addresses web services listen on (`platform.listen`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Listen {
    /// IPv4 only: gunicorn binds `0.0.0.0`.
    #[default]
    Ipv4,
    /// IPv6 and IPv4: gunicorn binds `[::]`; IPv4 clients arrive as `::ffff:a.b.c.d`.
    DualStack,
}

impl Listen {
    /// The host part of gunicorn's `-b`.
    pub fn bind_host(self) -> &'static str {
        match self {
            Listen::Ipv4 => "0.0.0.0",
            Listen::DualStack => "[::]",
        }
    }
}

/// Default container uid/gid: above 10000 (checkov CKV_K8S_40) so it matches no host account.
pub const DEFAULT_UID: u32 = 10001;
pub(crate) fn default_uid() -> u32 {
    DEFAULT_UID
}
/// Default uv version of the image builds (a release, never `latest`).
pub const DEFAULT_UV: &str = "0.13.9";
pub(crate) fn default_uv() -> String {
    DEFAULT_UV.to_owned()
}
pub(crate) fn default_output_dir() -> String {
    "out".to_owned()
}
pub(crate) fn default_true() -> bool {
    true
}
pub(crate) fn default_store_name() -> String {
    "secret-store".to_owned()
}
pub(crate) fn default_refresh() -> String {
    "1h".to_owned()
}
pub(crate) fn default_monitoring_namespace() -> String {
    "monitoring".to_owned()
}
pub(crate) fn default_ingress_class() -> String {
    "nginx".to_owned()
}
pub(crate) fn default_ingress_namespace() -> String {
    "ingress-nginx".to_owned()
}
pub(crate) fn default_slo_window() -> String {
    "30d".to_owned()
}
