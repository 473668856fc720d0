//! Observability artifacts, from the SLOs and metrics in the model:
//!
//! - `<env>/prometheus/rules/<service>.yml`: SLO recording rules, multiwindow burn-rate alerts
//!   and the service's operational alerts; `_platform.yml` for the environment-wide ones (pod
//!   restarts, the backing services) — a leading `_` cannot start a service name, so
//!   environment-wide files never collide with a service's;
//! - `<env>/prometheus/tests/<file>.yml`: `promtool test rules` files for each rules file;
//! - `<env>/prometheus/prometheus.yml` (Kubernetes) — the compose stack's `<env>/prometheus.yml`
//!   comes from the same generator (`prometheus_config`);
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
use std::sync::{Arc, OnceLock};

use super::inputs::Inputs;
use super::{Artifact, Context, EnvParts, Parts};
use crate::model::{Platform, ResolvedEnv, ResolvedService};
use crate::render::Typed;
use rule_tests::TestBuilder;
use rules::{RuleBuilder, RuleFile};
use runbooks::Runbooks;

pub use grafana::SCHEMA_VERSION;
pub(crate) use prometheus::retention_flag;
pub use rules::AlertKind;

/// Name of the rules (and tests) file of the environment-wide alerts.
pub const PLATFORM_WIDE: &str = "_platform";
/// Name of the overview dashboard.
pub const OVERVIEW: &str = "_overview";

/// Every environment's rules files by stem (a service's name, or [`PLATFORM_WIDE`]), and the
/// runbooks their alerts need. Planning builds each rules file once to learn both, keeping
/// neither: the rules and tests files build it again when they render (once for both), so a
/// large platform never holds every rules file at once.
pub(crate) struct Rules {
    /// Per environment, in the platform's order: the stems of its rules files.
    by_env: Vec<(String, Vec<String>)>,
    /// The runbook of every alert, from every environment's rules.
    pages: Vec<Arc<runbooks::Page>>,
}

impl Rules {
    pub(crate) fn new(platform: &Platform) -> Self {
        // Every rules file of every environment, built in one parallel pass (on a large
        // platform this is most of planning); each thread keeps only what the runbooks need.
        let jobs: Vec<(&ResolvedEnv, Option<&ResolvedService>)> = platform
            .environments
            .iter()
            .filter(|env| env.observability)
            .flat_map(|env| {
                env.services
                    .iter()
                    .map(move |s| (env, Some(s)))
                    .chain([(env, None)])
            })
            .collect();
        let built = crate::parallel::map(&jobs, |&(env, service)| {
            let builder = RuleBuilder { platform, env };
            let (stem, file) = match service {
                Some(s) => (s.name.clone(), builder.for_runbooks(s)),
                None => (PLATFORM_WIDE.to_owned(), builder.platform_wide()),
            };
            file.map(|f| (stem, Runbooks::alerts_of(&f)))
        });
        let mut runbooks = Runbooks::default();
        let mut by_env: Vec<(String, Vec<String>)> = platform
            .environments
            .iter()
            .map(|env| (env.name.clone(), Vec::new()))
            .collect();
        for (&(env, _), file) in jobs.iter().zip(built) {
            let Some((stem, alerts)) = file else { continue };
            runbooks.plus(env, alerts);
            if let Some((_, stems)) = by_env.iter_mut().find(|(name, _)| *name == env.name) {
                stems.push(stem);
            }
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
        Self {
            by_env,
            pages: runbooks.into_pages(&shown),
        }
    }

    /// The stems of the rules files of `env`.
    fn of(&self, env: &ResolvedEnv) -> &[String] {
        self.by_env
            .iter()
            .find(|(name, _)| *name == env.name)
            .map_or(&[], |(_, stems)| stems)
    }

    /// Whether an environment gets rule files (the compose stack mounts them only then).
    pub(crate) fn exist_in(&self, env: &ResolvedEnv) -> bool {
        !self.of(env).is_empty()
    }
}

/// A tests file as its template reads it. Its tests, nearly all of it, are a [`Typed`] value:
/// `yaml` writes them straight from the Rust structure, without making them template values.
fn tests_value(file: rule_tests::TestFile) -> Value {
    Value::from_pairs([
        ("rule_files", Value::from(Serde(&file.rule_files))),
        ("evaluation_interval", Value::from(file.evaluation_interval)),
        (
            "group_eval_order",
            Value::from(Serde(&file.group_eval_order)),
        ),
        ("tests", Typed::value(file.tests)),
    ])
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
        // It scrapes every service of the environment.
        inputs: Inputs::Context,
    }
}

/// Plans the observability artifacts of the chosen environments, and every runbook.
pub(super) fn plan_observability<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    rules: &Rules,
    parts: &Parts<'a>,
    only: Option<&str>,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    for env in &platform.environments {
        if !env.observability || only.is_some_and(|name| env.name != name) {
            continue;
        }
        let Some(env_parts) = parts.of(platform, env) else {
            continue;
        };
        plan_env(platform_value, platform, env, env_parts, rules, artifacts);
    }
    for page in &rules.pages {
        // A runbook lists the environments and services of its alert, and reads the platform's
        // settings: its page is digested (from its Rust values, a fraction of walking its
        // context) and its context built only if it renders.
        let (inputs, context) = super::paged(
            &[&parts.platform],
            [("platform", platform_value.clone())],
            Arc::clone(page),
        );
        artifacts.push(Artifact {
            path: format!("docs/runbooks/{}.md", page.alert),
            template: format!("docs/runbooks/{}.md", page.alert),
            inputs,
            context,
        });
    }
}

fn plan_env<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    env: &'a ResolvedEnv,
    parts: &EnvParts<'a>,
    rules: &Rules,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let dir = &env.name;
    let env_value = Value::from(Serde(env));
    let services: HashMap<&str, (usize, &'a ResolvedService)> = env
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), (i, s)))
        .collect();
    for stem in rules.of(env) {
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
        let found = services.get(stem.as_str()).copied();
        let service = found.map(|(_, s)| s);
        // A service's rules read the platform's and the environment's settings and the service
        // (a `RuleBuilder` reads nothing else for it); the environment-wide file reads them all.
        let inputs = found.map_or(Inputs::Context, |(i, _)| parts.service(i));
        // Built by whichever of the rules and tests files renders first, dropped with the other.
        let cell = Arc::new(OnceLock::new());
        let (rules_cell, rules_context) = (Arc::clone(&cell), context.clone());
        artifacts.push(Artifact {
            path: format!("{dir}/prometheus/rules/{stem}.yml"),
            template: "prometheus/rules.yml".to_owned(),
            context: Context::lazy(move || {
                let file = rule_file(&rules_cell, platform, env, service);
                rules_context(Value::from_pairs([(
                    "groups",
                    Typed::value(Groups(Arc::clone(file))),
                )]))
            }),
            inputs: inputs.clone(),
        });
        let rules_path = format!("../rules/{stem}.yml");
        // The tests file exists when there is something to test, which building the tests
        // tells: the expensive part, so it happens once, when the file is rendered.
        artifacts.push(Artifact {
            path: format!("{dir}/prometheus/tests/{stem}.yml"),
            template: "prometheus/tests.yml".to_owned(),
            context: Context::optional(move || {
                let file = rule_file(&cell, platform, env, service);
                let builder = RuleBuilder { platform, env };
                let tests = TestBuilder::new(&builder);
                let test_file = match service {
                    Some(service) => tests.service(service, file, &rules_path),
                    None => tests.platform_wide(file, &rules_path),
                };
                (!test_file.tests.is_empty()).then(|| context(tests_value(test_file)))
            }),
            inputs,
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
    for (i, service) in env
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| s.metrics.is_some())
    {
        any = true;
        artifacts.push(Artifact {
            path: format!("{dir}/grafana/dashboards/{}.json", service.name),
            template: DASHBOARD_TEMPLATE.to_owned(),
            context: Context::lazy(move || {
                dashboard_context(dashboards::service_dashboard(platform, env, service))
            }),
            inputs: parts.service(i),
        });
    }
    if any {
        artifacts.push(Artifact {
            path: format!("{dir}/grafana/dashboards/{OVERVIEW}.json"),
            template: DASHBOARD_TEMPLATE.to_owned(),
            context: Context::lazy(move || {
                dashboard_context(dashboards::overview_dashboard(platform, env))
            }),
            // It shows every service of the environment.
            inputs: Inputs::Context,
        });
    }
}

/// The rules file of `service` (or the environment-wide one) in `env`, built on first use.
/// Planning found that it exists, and building it is deterministic.
fn rule_file<'c>(
    cell: &'c OnceLock<Arc<RuleFile>>,
    platform: &Platform,
    env: &ResolvedEnv,
    service: Option<&ResolvedService>,
) -> &'c Arc<RuleFile> {
    cell.get_or_init(|| {
        let builder = RuleBuilder { platform, env };
        Arc::new(
            match service {
                Some(service) => builder.service(service),
                None => builder.platform_wide(),
            }
            .unwrap_or_default(),
        )
    })
}

/// A rules file's groups, as its template prints them: a [`Typed`] value that `yaml` writes
/// straight from the rules (their expressions as literal blocks), shared with the tests file.
struct Groups(Arc<RuleFile>);

impl serde::Serialize for Groups {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.groups.serialize(serializer)
    }
}

const DASHBOARD_TEMPLATE: &str = "grafana/dashboard.json";

fn dashboard_context(dashboard: grafana::Dashboard) -> Value {
    Value::from_pairs([("dashboard", Typed::value(dashboard))])
}
