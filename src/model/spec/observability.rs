//! Monitoring: the SLI metrics every rule and dashboard is computed from, the burn-rate alert
//! tiers, the operational alerts' thresholds and where runbooks are published.

use super::*;

/// Prometheus rules, Grafana dashboards and runbooks of the services.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservabilitySpec {
    /// Where the runbooks (`out/docs/runbooks/`) are published: an `http://` or `https://` URL,
    /// e.g. `https://github.com/acme/platform/blob/main/out/docs/runbooks`. Every alert's
    /// `runbook_url` is `<runbook_base_url>/<Alert>.md`; default the repository path
    /// `<output_dir>/docs/runbooks`.
    #[serde(default)]
    #[schemars(extend("pattern" = URL_PATTERN))]
    pub runbook_base_url: Option<String>,
    /// How often Prometheus scrapes the services, e.g. `15s`: at most a quarter of the rules'
    /// shortest rate window (`5m`), so every rate spans at least 4 scrapes.
    #[serde(default = "default_interval")]
    #[schemars(extend("pattern" = DURATION_PATTERN))]
    pub scrape_interval: String,
    /// How often Prometheus evaluates the rules, e.g. `15s`: at most the rules' shortest rate
    /// window (`5m`).
    #[serde(default = "default_interval")]
    #[schemars(extend("pattern" = DURATION_PATTERN))]
    pub evaluation_interval: String,
    /// The metrics and labels services expose; SLO rules and dashboards use exactly these.
    #[serde(default)]
    pub metrics: SliMetricsSpec,
    /// Multi-window, multi-burn-rate SLO alerts: set a tier to `false` to switch it off.
    #[serde(default)]
    pub burn_tiers: BurnTiersSpec,
    /// Thresholds of the operational alerts (the reference's `deploy/prometheus/rules/platform.yml`).
    #[serde(default)]
    pub alerts: AlertsSpec,
}

impl Default for ObservabilitySpec {
    fn default() -> Self {
        Self {
            runbook_base_url: None,
            scrape_interval: default_interval(),
            evaluation_interval: default_interval(),
            metrics: SliMetricsSpec::default(),
            burn_tiers: BurnTiersSpec::default(),
            alerts: AlertsSpec::default(),
        }
    }
}

/// The request metrics services expose (defaults: the reference's names).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SliMetricsSpec {
    /// Counter of handled HTTP requests, one series per status.
    #[serde(default = "default_requests_metric")]
    #[schemars(extend("pattern" = METRIC_PATTERN))]
    pub requests: String,
    /// Label of `requests` carrying the HTTP status.
    #[serde(default = "default_status_label")]
    #[schemars(extend("pattern" = LABEL_PATTERN))]
    pub status_label: String,
    /// Regular expression of the status values that count as errors, e.g. `5..` (matches `503`
    /// and also `5xx` when statuses are grouped).
    #[serde(default = "default_error_status")]
    #[schemars(extend("pattern" = STATUS_REGEX_PATTERN))]
    pub error_status: String,
    /// Histogram of request durations in seconds, without the `_bucket` / `_count` suffix.
    #[serde(default = "default_duration_metric")]
    #[schemars(extend("pattern" = METRIC_PATTERN))]
    pub duration: String,
    /// Upper bounds (seconds) of that histogram's buckets, as the services configure them
    /// (default: the Python client's). A latency SLO's threshold must be one of them.
    #[serde(default = "default_buckets")]
    #[schemars(length(min = 1), extend("items" = { "type": "number", "exclusiveMinimum": 0 }))]
    pub buckets: Vec<f64>,
}

impl Default for SliMetricsSpec {
    fn default() -> Self {
        Self {
            requests: default_requests_metric(),
            status_label: default_status_label(),
            error_status: default_error_status(),
            duration: default_duration_metric(),
            buckets: default_buckets(),
        }
    }
}

/// The four burn-rate alert tiers of every SLO (Google SRE workbook, multiwindow, multi-burn-rate).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurnTiersSpec {
    /// Page (critical) when the error rate is over 14.4× the budget rate on 1h and 5m.
    #[serde(default = "default_true")]
    pub page_1h: bool,
    /// Page (critical) when over 6× on 6h and 30m.
    #[serde(default = "default_true")]
    pub page_6h: bool,
    /// Ticket (warning) when over 3× on 1d and 2h.
    #[serde(default = "default_true")]
    pub ticket_1d: bool,
    /// Ticket (warning) when over 1× on 3d and 6h.
    #[serde(default = "default_true")]
    pub ticket_3d: bool,
}

impl Default for BurnTiersSpec {
    fn default() -> Self {
        Self {
            page_1h: true,
            page_6h: true,
            ticket_1d: true,
            ticket_3d: true,
        }
    }
}

/// Thresholds of the operational alerts; the defaults are the reference's.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsSpec {
    /// HighErrorRate: percent of requests failing over 5m above which it fires.
    #[serde(default = "default_error_rate")]
    #[schemars(range(min = 0, max = 100))]
    pub error_rate: f64,
    /// HighLatency: P99 request duration above which it fires, e.g. `1s`.
    #[serde(default = "default_latency_p99")]
    #[schemars(extend("pattern" = LATENCY_PATTERN))]
    pub latency_p99: String,
    /// PodRestarting: container restarts within an hour above which it fires.
    #[serde(default = "default_pod_restarts")]
    #[schemars(range(min = 0, max = 1000))]
    pub pod_restarts: u32,
    /// DatabaseConnectionPoolExhausted: percent of the pool still available below which it fires.
    #[serde(default = "default_db_pool_available")]
    #[schemars(range(min = 0, max = 100))]
    pub db_pool_available: f64,
    /// RedisHighMemoryUsage: percent of Redis `maxmemory` in use above which it fires.
    #[serde(default = "default_redis_memory")]
    #[schemars(range(min = 0, max = 100))]
    pub redis_memory: f64,
    /// How long a condition must hold before an operational alert fires.
    #[serde(default = "default_alert_for", rename = "for")]
    #[schemars(extend("pattern" = DURATION_PATTERN))]
    pub pending: String,
}

impl Default for AlertsSpec {
    fn default() -> Self {
        Self {
            error_rate: default_error_rate(),
            latency_p99: default_latency_p99(),
            pod_restarts: default_pod_restarts(),
            db_pool_available: default_db_pool_available(),
            redis_memory: default_redis_memory(),
            pending: default_alert_for(),
        }
    }
}

/// A Prometheus metric name.
pub const METRIC_PATTERN: &str = "^[a-zA-Z_:][a-zA-Z0-9_:]*$";
/// A Prometheus label name.
pub const LABEL_PATTERN: &str = "^[a-zA-Z_][a-zA-Z0-9_]*$";
/// A latency: `500ms`, `0.25s`, `1s`.
pub const LATENCY_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?(ms|s)$";

fn default_interval() -> String {
    "15s".to_owned()
}
fn default_requests_metric() -> String {
    "http_requests_total".to_owned()
}
fn default_status_label() -> String {
    "status".to_owned()
}
fn default_error_status() -> String {
    "5..".to_owned()
}
fn default_duration_metric() -> String {
    "http_request_duration_seconds".to_owned()
}
/// The Python prometheus_client's default buckets (without `+Inf`, which is always there).
fn default_buckets() -> Vec<f64> {
    vec![
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    ]
}
fn default_error_rate() -> f64 {
    5.0
}
fn default_latency_p99() -> String {
    "1s".to_owned()
}
fn default_pod_restarts() -> u32 {
    3
}
fn default_db_pool_available() -> f64 {
    10.0
}
fn default_redis_memory() -> f64 {
    90.0
}
fn default_alert_for() -> String {
    "5m".to_owned()
}
