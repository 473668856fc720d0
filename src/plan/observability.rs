//! Observability artifacts, from the SLOs and metrics in the model:
//!
//! - `<env>/prometheus/rules/<service>.yml`: SLO recording rules, multiwindow burn-rate alerts
//!   and the service's operational alerts; `_platform.yml` for the environment-wide ones (pod
//!   restarts, the backing services) — a leading `_` cannot start a service name, so
//!   environment-wide files never collide with a service's;
//! - `<env>/prometheus/tests/<file>.yml`: `promtool test rules` files for each rules file;
//! - `<env>/prometheus/prometheus.yml` (Kubernetes) — the compose stack's `<env>/prometheus.yml`
//!   comes from the same generator ([`prometheus_config`]);
//! - `<env>/grafana/dashboards/<service>.json` and `_overview.json`;
//! - `docs/runbooks/<Alert>.md`, planned from every environment so that rendering one
//!   environment never prunes another's runbooks.

mod dashboards;
mod grafana;
mod prometheus;
pub(crate) mod promql;
mod rule_tests;
mod rules;
mod runbooks;

use minijinja::value::{Serde, Value};

use super::Artifact;
use crate::model::{Platform, ResolvedEnv};
use rule_tests::TestBuilder;
use rules::{RuleBuilder, RuleFile};
use runbooks::Runbooks;

pub use grafana::SCHEMA_VERSION;
pub use rules::AlertKind;

/// Name of the rules (and tests) file of the environment-wide alerts.
pub const PLATFORM_WIDE: &str = "_platform";
/// Name of the overview dashboard.
pub const OVERVIEW: &str = "_overview";

/// Every rules file of an environment, by file stem.
fn rule_files(platform: &Platform, env: &ResolvedEnv) -> Vec<(String, RuleFile)> {
    if !env.observability {
        return Vec::new();
    }
    let builder = RuleBuilder { platform, env };
    let mut files: Vec<(String, RuleFile)> = env
        .services
        .iter()
        .filter_map(|s| builder.service(s).map(|f| (s.name.clone(), f)))
        .collect();
    if let Some(file) = builder.platform_wide() {
        files.push((PLATFORM_WIDE.to_owned(), file));
    }
    files
}

/// Whether an environment gets rule files (the compose stack mounts them only then).
pub(crate) fn has_rules(platform: &Platform, env: &ResolvedEnv) -> bool {
    !rule_files(platform, env).is_empty()
}

/// The environment's `prometheus.yml` at `path`: the one generator for compose and Kubernetes.
pub(crate) fn prometheus_config(
    platform_value: &Value,
    platform: &Platform,
    env: &ResolvedEnv,
    path: String,
) -> Artifact {
    let config = prometheus::config(platform, env, has_rules(platform, env));
    Artifact {
        path,
        template: "prometheus/prometheus.yml".to_owned(),
        context: Value::from_pairs([
            ("platform", platform_value.clone()),
            ("config", Value::from(Serde(&config))),
            ("rule_dir", Value::from(prometheus::RULES_DIR)),
        ]),
    }
}

/// Plans the observability artifacts of the chosen environments, and every runbook.
pub(super) fn plan_observability(
    platform_value: &Value,
    platform: &Platform,
    only: Option<&str>,
    artifacts: &mut Vec<Artifact>,
) {
    let mut runbooks = Runbooks::default();
    for env in &platform.environments {
        let files = rule_files(platform, env);
        for (_, file) in &files {
            runbooks.plus(env, file);
        }
        if !env.observability || only.is_some_and(|name| env.name != name) {
            continue;
        }
        plan_env(platform_value, platform, env, &files, artifacts);
    }
    let alerts = &platform.observability.alerts;
    let shown = std::collections::BTreeMap::from([
        ("error_rate", rules::percent(alerts.error_rate)),
        (
            "latency_p99",
            crate::model::slo::latency_text(alerts.latency_p99),
        ),
        ("pod_restarts", alerts.pod_restarts.to_string()),
        (
            "db_pool_available",
            rules::percent(alerts.db_pool_available),
        ),
        ("redis_memory", rules::percent(alerts.redis_memory)),
        ("pending", alerts.pending.clone()),
    ]);
    for (kind, envs) in runbooks.pages() {
        artifacts.push(Artifact {
            path: format!("docs/runbooks/{}.md", kind.name()),
            template: format!("docs/runbooks/{}.md", kind.name()),
            context: Value::from_pairs([
                ("platform", platform_value.clone()),
                ("alert", Value::from(kind.name())),
                ("envs", Value::from(Serde(envs))),
                ("threshold", Value::from(Serde(&shown))),
            ]),
        });
    }
}

fn plan_env(
    platform_value: &Value,
    platform: &Platform,
    env: &ResolvedEnv,
    files: &[(String, RuleFile)],
    artifacts: &mut Vec<Artifact>,
) {
    let dir = &env.name;
    let env_value = Value::from(Serde(env));
    let builder = RuleBuilder { platform, env };
    let tests = TestBuilder { rules: &builder };
    for (stem, file) in files {
        let rules_path = format!("../rules/{stem}.yml");
        let test_file = match env.services.iter().find(|s| &s.name == stem) {
            Some(service) => tests.service(service, file, &rules_path),
            None => tests.platform_wide(file, &rules_path),
        };
        let context = |key: &'static str, value: Value| {
            Value::from_pairs([
                ("platform", platform_value.clone()),
                ("env", env_value.clone()),
                ("name", Value::from(stem.as_str())),
                (key, value),
            ])
        };
        artifacts.push(Artifact {
            path: format!("{dir}/prometheus/rules/{stem}.yml"),
            template: "prometheus/rules.yml".to_owned(),
            context: context("file", Value::from(Serde(file))),
        });
        if !test_file.tests.is_empty() {
            artifacts.push(Artifact {
                path: format!("{dir}/prometheus/tests/{stem}.yml"),
                template: "prometheus/tests.yml".to_owned(),
                context: context("file", Value::from(Serde(&test_file))),
            });
        }
    }
    if env.is_kubernetes() {
        artifacts.push(prometheus_config(
            platform_value,
            platform,
            env,
            format!("{dir}/prometheus/prometheus.yml"),
        ));
    }
    let mut any = false;
    for service in env.services.iter().filter(|s| s.metrics.is_some()) {
        any = true;
        let dashboard = dashboards::service_dashboard(platform, env, service);
        artifacts.push(dashboard_artifact(
            format!("{dir}/grafana/dashboards/{}.json", service.name),
            &dashboard,
        ));
    }
    if any {
        let dashboard = dashboards::overview_dashboard(platform, env);
        artifacts.push(dashboard_artifact(
            format!("{dir}/grafana/dashboards/{OVERVIEW}.json"),
            &dashboard,
        ));
    }
}

fn dashboard_artifact(path: String, dashboard: &grafana::Dashboard) -> Artifact {
    Artifact {
        path,
        template: "grafana/dashboard.json".to_owned(),
        context: Value::from_pairs([("dashboard", Value::from(Serde(dashboard)))]),
    }
}
