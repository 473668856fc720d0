//! The one `prometheus.yml` generator: static targets for a compose environment, pod discovery
//! for a Kubernetes one. Both label every series with `service` and `env`, the labels the rules
//! and dashboards select on, and scrape the path and port the service's pods announce.

use serde::Serialize;

use super::promql::{ENV_LABEL, SERVICE_LABEL};
use crate::model::slo::duration_seconds;
use crate::model::{Platform, ResolvedEnv, ScrapeTarget};

/// Where Prometheus finds the rule files (the rendered `prometheus/rules/` folder mounted there).
pub const RULES_DIR: &str = "/etc/prometheus/rules";

/// Everything a `prometheus.yml` holds.
#[derive(Debug, Clone, Serialize)]
pub struct PrometheusConfig {
    /// Environment name.
    pub env: String,
    /// `scrape_interval`.
    pub scrape_interval: String,
    /// `evaluation_interval`.
    pub evaluation_interval: String,
    /// Alertmanager targets (`host:port`).
    pub alertmanagers: Vec<String>,
    /// `rule_files` globs.
    pub rule_files: Vec<String>,
    /// Static jobs (compose).
    pub static_jobs: Vec<ScrapeTarget>,
    /// Whether Prometheus scrapes itself (compose: it runs beside the services).
    pub self_scrape: bool,
    /// Pod discovery (Kubernetes).
    pub pods: Option<PodDiscovery>,
    /// The kube-state-metrics job (Kubernetes environments with services: `PodRestarting`
    /// reads its restart counts).
    pub kube_state_metrics: Option<StateMetricsJob>,
}

/// Where the cluster's kube-state-metrics is found: its Service, by the standard
/// `app.kubernetes.io/name` label, in any namespace, on its metrics port (named `http-metrics`
/// in the upstream manifests, `http` in its Helm chart; not `telemetry`, its own metrics).
#[derive(Debug, Clone, Serialize)]
pub struct StateMetricsJob {
    /// `job_name`.
    pub job: &'static str,
    /// Meta label of the Service label that names it.
    pub name_label: &'static str,
    /// Its value.
    pub name: &'static str,
    /// Regular expression of the endpoint port names scraped.
    pub ports: &'static str,
}

/// The one kube-state-metrics job.
const KUBE_STATE_METRICS: StateMetricsJob = StateMetricsJob {
    job: "kube-state-metrics",
    name_label: "__meta_kubernetes_service_label_app_kubernetes_io_name",
    name: "kube-state-metrics",
    ports: "http-metrics|http",
};

/// Kubernetes pod discovery restricted to the environment's namespace.
#[derive(Debug, Clone, Serialize)]
pub struct PodDiscovery {
    /// `job_name`.
    pub job: String,
    /// Namespaces searched.
    pub namespaces: Vec<String>,
    /// Meta label of the pod label that names the service (`__meta_kubernetes_pod_label_app`).
    pub service_source: String,
    /// Target label it is written to.
    pub service_label: &'static str,
    /// Target label of the environment.
    pub env_label: &'static str,
}

/// The pod-label meta label Prometheus' Kubernetes discovery gives a label key.
fn pod_label_meta(key: &str) -> String {
    let sanitized: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("__meta_kubernetes_pod_label_{sanitized}")
}

/// The Prometheus configuration of an environment. `with_rules` says whether rule files are
/// rendered for it.
pub fn config(platform: &Platform, env: &ResolvedEnv, with_rules: bool) -> PrometheusConfig {
    let obs = &platform.observability;
    let rule_files = if with_rules {
        vec![format!("{RULES_DIR}/*.yml")]
    } else {
        Vec::new()
    };
    // Kubernetes discovers the pods of the environment's namespace; compose lists its services.
    let pods = env.is_kubernetes().then(|| {
        // Every service's pods carry the same selector key (`app`); its value is the service.
        let key = env
            .services
            .iter()
            .find_map(|s| s.selector.keys().next().cloned())
            .unwrap_or_else(|| "app".to_owned());
        PodDiscovery {
            job: "kubernetes-pods".to_owned(),
            namespaces: vec![env.namespace.clone()],
            service_source: pod_label_meta(&key),
            service_label: SERVICE_LABEL,
            env_label: ENV_LABEL,
        }
    });
    PrometheusConfig {
        env: env.name.clone(),
        scrape_interval: obs.scrape_interval.clone(),
        evaluation_interval: obs.evaluation_interval.clone(),
        alertmanagers: env.alertmanager.iter().cloned().collect(),
        rule_files,
        static_jobs: if pods.is_some() {
            Vec::new()
        } else {
            env.scrape_targets()
        },
        self_scrape: pods.is_none(),
        kube_state_metrics: (pods.is_some() && !env.services.is_empty())
            .then_some(KUBE_STATE_METRICS),
        pods,
    }
}

/// How long the environment's Prometheus must keep samples: its longest SLO window (the
/// recording rules read `slo:sli_error:ratio_rate<window>` over it, and the dashboards show
/// it), as written (`30d`); `None` when no service has an SLO.
pub fn retention(env: &ResolvedEnv) -> Option<String> {
    env.services
        .iter()
        .filter_map(|service| service.slo.as_ref())
        .filter_map(|slo| Some((duration_seconds(&slo.window)?, &slo.window)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, window)| window.clone())
}

/// The compose Prometheus' retention flag (see [`retention`]): Prometheus' default of 15 days
/// would drop the start of a 30-day window.
pub fn retention_flag(env: &ResolvedEnv) -> Option<String> {
    retention(env).map(|window| format!("--storage.tsdb.retention.time={window}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_labels_are_sanitised() {
        assert_eq!(pod_label_meta("app"), "__meta_kubernetes_pod_label_app");
        assert_eq!(
            pod_label_meta("app.kubernetes.io/name"),
            "__meta_kubernetes_pod_label_app_kubernetes_io_name"
        );
    }
}
