//! The reference's operational alerts: per service (error rate, latency, connection pool) and
//! per environment (`_platform.yml`: pod restarts, Redis memory).

use super::{
    AlertKind, LABEL_POD, LABEL_SERVICE, Rule, RuleBuilder, RuleFile, RuleGroup, VALUE_COUNT,
    VALUE_DURATION, VALUE_PERCENT, View, percent,
};
use crate::model::ResolvedService;
use crate::model::slo::{RATE_WINDOW, SloKind, latency_text};
use crate::model::spec::DependencyKind;
use crate::plan::observability::promql::{self, ENV_LABEL, SERVICE_LABEL};

impl<'a> RuleBuilder<'a> {
    pub(super) fn operational_alerts(&self, service: &'a ResolvedService, view: View) -> Vec<Rule> {
        let obs = &self.platform.observability;
        let thresholds = &obs.alerts;
        let pending = thresholds.pending.as_str();
        let series = self.series(service);
        let name = service.name.as_str();
        let labels = |severity: &str| self.labels(&[("severity", severity), (SERVICE_LABEL, name)]);
        let mut rules = Vec::new();
        if service.metrics.is_some() {
            rules.push(self.alert(
                AlertKind::HighErrorRate,
                format!(
                    "{}\n> {}",
                    series.error_ratio(SloKind::Availability, None, RATE_WINDOW),
                    thresholds.error_rate
                ),
                pending,
                labels("critical"),
                view,
                || {
                    (
                        format!("High error rate on {name}"),
                        format!(
                            "Error rate of {name} is {VALUE_PERCENT} over the last 5 minutes (threshold {}).",
                            percent(thresholds.error_rate)
                        ),
                    )
                },
            ));
            rules.push(self.alert(
                AlertKind::HighLatency,
                format!("{}\n> {}", series.quantile("0.99"), thresholds.latency_p99),
                pending,
                labels("warning"),
                view,
                || {
                    let limit = latency_text(thresholds.latency_p99);
                    (
                        format!("High latency on {name}"),
                        format!("P99 latency of {name} is {VALUE_DURATION} (threshold {limit})."),
                    )
                },
            ));
        }
        let uses_postgres = service
            .uses
            .iter()
            .any(|d| d.kind == DependencyKind::Postgres);
        if service.metrics.is_some() && uses_postgres {
            rules.push(self.alert(
                AlertKind::DatabaseConnectionPoolExhausted,
                format!(
                    "{}\n/\n{}\n< {}",
                    series.metric(promql::DB_POOL_AVAILABLE),
                    series.metric(promql::DB_POOL_SIZE),
                    thresholds.db_pool_available
                ),
                pending,
                labels("critical"),
                view,
                || {
                    (
                        format!("Database connection pool of {name} nearly exhausted"),
                        format!(
                            "Only {VALUE_PERCENT} of the database connection pool of {name} is available (threshold {}).",
                            percent(thresholds.db_pool_available)
                        ),
                    )
                },
            ));
        }
        rules
    }

    /// Redis dependencies used in this environment, by name.
    pub fn redis_dependencies(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .env
            .services
            .iter()
            .flat_map(|s| &s.uses)
            .filter(|d| d.kind == DependencyKind::Redis)
            .map(|d| d.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Restarts of the containers of every service of a Kubernetes environment: one rule for
    /// the namespace (as the reference has it), the `service` label taken from the container.
    fn pod_alerts(&self) -> Vec<Rule> {
        let thresholds = &self.platform.observability.alerts;
        let mut containers: Vec<&str> = self
            .env
            .services
            .iter()
            .map(|s| s.names.workload.as_str())
            .collect();
        containers.sort_unstable();
        if !self.env.is_kubernetes() || containers.is_empty() {
            return Vec::new();
        }
        vec![self.alert(
            AlertKind::PodRestarting,
            format!(
                "label_replace(\n  increase({}{}[1h]),\n  {}, \"$1\", \"container\", \"(.+)\"\n)\n> {}",
                promql::POD_RESTARTS,
                promql::matchers(&[
                    ("namespace", "=", &self.env.namespace),
                    ("container", "=~", &containers.join("|")),
                ]),
                promql::quote(SERVICE_LABEL),
                thresholds.pod_restarts
            ),
            &thresholds.pending,
            self.labels(&[("severity", "warning")]),
            View::File,
            || {
                (
                    format!("A pod of {LABEL_SERVICE} is restarting frequently"),
                    format!("Pod {LABEL_POD} has restarted {VALUE_COUNT} times in the last hour."),
                )
            },
        )]
    }

    fn redis_alerts(&self) -> Vec<Rule> {
        let thresholds = &self.platform.observability.alerts;
        self.redis_dependencies()
            .iter()
            .map(|name| {
                let scope = promql::matchers(&[
                    (SERVICE_LABEL, "=", name),
                    (ENV_LABEL, "=", &self.env.name),
                ]);
                self.alert(
                    AlertKind::RedisHighMemoryUsage,
                    format!(
                        "{}{scope}\n/\n({}{scope} > 0)\n> {}",
                        promql::REDIS_USED,
                        promql::REDIS_MAX,
                        thresholds.redis_memory
                    ),
                    &thresholds.pending,
                    self.labels(&[("severity", "warning"), (SERVICE_LABEL, name)]),
                    View::File,
                    || {
                        (
                            format!("High memory usage of Redis ({name})"),
                            format!(
                                "Redis ({name}) is using {VALUE_PERCENT} of its maxmemory (threshold {}).",
                                percent(thresholds.redis_memory)
                            ),
                        )
                    },
                )
            })
            .collect()
    }

    /// The environment-wide rules (`_platform.yml`): pod restarts and the backing services'
    /// alerts; `None` when there are none.
    pub fn platform_wide(&self) -> Option<RuleFile> {
        let groups: Vec<RuleGroup> = [
            ("pods-alerts", self.pod_alerts()),
            ("dependencies-alerts", self.redis_alerts()),
        ]
        .into_iter()
        .filter(|(_, rules)| !rules.is_empty())
        .map(|(name, rules)| RuleGroup {
            name: name.to_owned(),
            rules,
        })
        .collect();
        (!groups.is_empty()).then_some(RuleFile { groups })
    }
}
