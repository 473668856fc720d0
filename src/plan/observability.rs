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

use std::collections::HashMap;
use std::sync::Arc;

use super::{Artifact, Context};
use crate::model::{Platform, ResolvedEnv, ResolvedService};
use rule_tests::TestBuilder;
use rules::{RuleBuilder, RuleFile};
use runbooks::Runbooks;

pub use grafana::SCHEMA_VERSION;
pub use rules::AlertKind;

/// Name of the rules (and tests) file of the environment-wide alerts.
pub const PLATFORM_WIDE: &str = "_platform";
/// Name of the overview dashboard.
pub const OVERVIEW: &str = "_overview";

/// The rules files of an environment, by file stem.
type RuleFiles = Vec<(String, Arc<RuleFile>)>;

/// Every rules file of an environment, by file stem.
fn rule_files(platform: &Platform, env: &ResolvedEnv) -> RuleFiles {
    if !env.observability {
        return Vec::new();
    }
    let builder = RuleBuilder { platform, env };
    // Built in parallel: on a large platform this is most of planning.
    let mut files: RuleFiles = crate::parallel::map(&env.services, |s| {
        builder.service(s).map(|f| (s.name.clone(), Arc::new(f)))
    })
    .into_iter()
    .flatten()
    .collect();
    if let Some(file) = builder.platform_wide() {
        files.push((PLATFORM_WIDE.to_owned(), Arc::new(file)));
    }
    files
}

/// Every environment's rules files, built once per run: the runbooks, the rules and tests files
/// and both `prometheus.yml` generators (compose and Kubernetes) read them.
pub(crate) struct Rules {
    /// Per environment, in the platform's order.
    by_env: Vec<(String, RuleFiles)>,
}

impl Rules {
    pub(crate) fn new(platform: &Platform) -> Self {
        Self {
            by_env: platform
                .environments
                .iter()
                .map(|env| (env.name.clone(), rule_files(platform, env)))
                .collect(),
        }
    }

    /// The rules files of `env`, by file stem.
    fn of(&self, env: &ResolvedEnv) -> &[(String, Arc<RuleFile>)] {
        self.by_env
            .iter()
            .find(|(name, _)| *name == env.name)
            .map_or(&[], |(_, files)| files)
    }

    /// Whether an environment gets rule files (the compose stack mounts them only then).
    pub(crate) fn exist_in(&self, env: &ResolvedEnv) -> bool {
        !self.of(env).is_empty()
    }
}

/// The environment's `prometheus.yml` at `path`: the one generator for compose and Kubernetes.
pub(crate) fn prometheus_config<'a>(
    platform_value: &Value,
    platform: &Platform,
    env: &ResolvedEnv,
    rules: &Rules,
    path: String,
) -> Artifact<'a> {
    let config = prometheus::config(platform, env, rules.exist_in(env));
    Artifact {
        path,
        template: "prometheus/prometheus.yml".to_owned(),
        context: Value::from_pairs([
            ("platform", platform_value.clone()),
            ("config", Value::from(Serde(&config))),
            ("rule_dir", Value::from(prometheus::RULES_DIR)),
        ])
        .into(),
    }
}

/// Plans the observability artifacts of the chosen environments, and every runbook.
pub(super) fn plan_observability<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    rules: &Rules,
    only: Option<&str>,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let mut runbooks = Runbooks::default();
    for env in &platform.environments {
        let files = rules.of(env);
        for (_, file) in files {
            runbooks.plus(env, file);
        }
        if !env.observability || only.is_some_and(|name| env.name != name) {
            continue;
        }
        plan_env(platform_value, platform, env, rules, artifacts);
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
            ])
            .into(),
        });
    }
}

fn plan_env<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    env: &'a ResolvedEnv,
    rules: &Rules,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let dir = &env.name;
    let env_value = Value::from(Serde(env));
    let services: HashMap<&str, &'a ResolvedService> =
        env.services.iter().map(|s| (s.name.as_str(), s)).collect();
    for (stem, file) in rules.of(env) {
        let context = {
            let (platform_value, env_value) = (platform_value.clone(), env_value.clone());
            let stem = stem.clone();
            move |value: Value| {
                Value::from_pairs([
                    ("platform", platform_value.clone()),
                    ("env", env_value.clone()),
                    ("name", Value::from(stem.as_str())),
                    ("file", value),
                ])
            }
        };
        let rules_file = Arc::clone(file);
        let rules_context = context.clone();
        artifacts.push(Artifact {
            path: format!("{dir}/prometheus/rules/{stem}.yml"),
            template: "prometheus/rules.yml".to_owned(),
            context: Context::lazy(move || rules_context(Value::from(Serde(&*rules_file)))),
        });
        let service = services.get(stem.as_str()).copied();
        let file = Arc::clone(file);
        let rules_path = format!("../rules/{stem}.yml");
        // The tests file exists when there is something to test, which building the tests
        // tells: the expensive part, so it happens once, when the file is rendered.
        artifacts.push(Artifact {
            path: format!("{dir}/prometheus/tests/{stem}.yml"),
            template: "prometheus/tests.yml".to_owned(),
            context: Context::optional(move || {
                let builder = RuleBuilder { platform, env };
                let tests = TestBuilder { rules: &builder };
                let test_file = match service {
                    Some(service) => tests.service(service, &file, &rules_path),
                    None => tests.platform_wide(&file, &rules_path),
                };
                (!test_file.tests.is_empty()).then(|| context(Value::from(Serde(&test_file))))
            }),
        });
    }
    if env.is_kubernetes() {
        artifacts.push(prometheus_config(
            platform_value,
            platform,
            env,
            rules,
            format!("{dir}/prometheus/prometheus.yml"),
        ));
    }
    let mut any = false;
    for service in env.services.iter().filter(|s| s.metrics.is_some()) {
        any = true;
        artifacts.push(Artifact {
            path: format!("{dir}/grafana/dashboards/{}.json", service.name),
            template: DASHBOARD_TEMPLATE.to_owned(),
            context: Context::lazy(move || {
                dashboard_context(&dashboards::service_dashboard(platform, env, service))
            }),
        });
    }
    if any {
        artifacts.push(Artifact {
            path: format!("{dir}/grafana/dashboards/{OVERVIEW}.json"),
            template: DASHBOARD_TEMPLATE.to_owned(),
            context: Context::lazy(move || {
                dashboard_context(&dashboards::overview_dashboard(platform, env))
            }),
        });
    }
}

const DASHBOARD_TEMPLATE: &str = "grafana/dashboard.json";

fn dashboard_context(dashboard: &grafana::Dashboard) -> Value {
    Value::from_pairs([("dashboard", Value::from(Serde(dashboard)))])
}
