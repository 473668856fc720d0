//! Backing services and how services reach them.

use super::*;

/// A backing service: PostgreSQL, Redis or RabbitMQ.
// serde cannot deny unknown fields next to `flatten`; the schema denies them instead.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DependencySpec {
    /// What it is; defaults to the dependency's name when that is `postgres`, `redis` or `rabbitmq`.
    #[serde(default)]
    pub kind: Option<DependencyKind>,
    /// Major (or major.minor) version, e.g. `16` for PostgreSQL.
    #[schemars(extend("pattern" = MAJOR_VERSION_PATTERN))]
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
    #[schemars(extend("pattern" = ENV_KEY_PATTERN), length(max = KEY_MAX))]
    pub url_variable: Option<String>,
    /// URL scheme of that connection URL in compose environments, e.g. `postgresql+asyncpg`;
    /// defaults to `postgresql`, `redis` or `amqp` by kind.
    #[serde(default)]
    #[schemars(extend("pattern" = SCHEME_PATTERN))]
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
    #[schemars(schema_with = "selector_schema")]
    pub selector: Option<BTreeMap<String, String>>,
    /// Namespace of its pods when it is not the service's own.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub namespace: Option<String>,
    /// Address range when it runs outside the cluster (managed database), e.g. `10.20.0.0/16`
    /// or `fd00:10::/64`.
    #[serde(default)]
    #[schemars(extend("pattern" = CIDR_PATTERN))]
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
