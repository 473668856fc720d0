//! Runbooks: one Markdown page per alert name, the target of its `runbook_url`. Each lists where
//! the alert is evaluated (environment, service, the exact PromQL) next to the first checks
//! drawn from the reference's troubleshooting section.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::rules::{AlertKind, RuleFile};
use crate::model::ResolvedEnv;

/// One alert rule as a runbook shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    /// Service (or dependency) the rule watches.
    pub service: String,
    /// `severity`, plus `burn_tier` for SLO alerts.
    pub severity: String,
    /// `burn_tier`, for SLO alerts.
    pub tier: Option<String>,
    /// `for`.
    pub pending: String,
    /// The expression, one line per item (Markdown text takes no line breaks in a value).
    pub expr: Vec<String>,
    /// For the first SLO alert of a service: the recorded error ratio it reads, over 5m (the
    /// other windows differ only in the range).
    pub sli: Option<Vec<String>>,
}

/// Where an alert is evaluated in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookEnv {
    /// Environment name.
    pub name: String,
    /// Its namespace (Kubernetes).
    pub namespace: String,
    /// Whether it runs on Kubernetes (otherwise compose).
    pub kubernetes: bool,
    /// Its rules of this alert.
    pub occurrences: Vec<Occurrence>,
}

/// Collects, per alert name, the environments and rules it appears in.
#[derive(Debug, Default)]
pub struct Runbooks {
    by_alert: BTreeMap<AlertKind, Vec<RunbookEnv>>,
    /// Every (alert, environment, service) with an occurrence so far.
    seen: HashSet<(AlertKind, String, String)>,
}

fn kind_of(name: &str) -> Option<AlertKind> {
    [
        AlertKind::AvailabilityBudgetBurn,
        AlertKind::LatencyBudgetBurn,
        AlertKind::HighErrorRate,
        AlertKind::HighLatency,
        AlertKind::PodRestarting,
        AlertKind::DatabaseConnectionPoolExhausted,
        AlertKind::RedisHighMemoryUsage,
    ]
    .into_iter()
    .find(|k| k.name() == name)
}

impl Runbooks {
    /// Adds the alerts of one rules file of an environment.
    pub fn plus(&mut self, env: &ResolvedEnv, file: &RuleFile) {
        for rule in file.groups.iter().flat_map(|g| &g.rules) {
            let Some(kind) = rule.alert.as_deref().and_then(kind_of) else {
                continue;
            };
            let envs = self.by_alert.entry(kind).or_default();
            if envs.last().is_none_or(|e| e.name != env.name) {
                envs.push(RunbookEnv {
                    name: env.name.clone(),
                    namespace: env.namespace.clone(),
                    kubernetes: env.is_kubernetes(),
                    occurrences: Vec::new(),
                });
            }
            let label = |key: &str| rule.labels.get(key).cloned();
            let Some(current) = envs.last_mut() else {
                continue;
            };
            let service = label("service").unwrap_or_else(|| "every service".to_owned());
            let first = self.seen.insert((kind, env.name.clone(), service.clone()));
            let first_of_slo =
                label("slo").is_some() && (first || !rule.labels.contains_key("service"));
            let sli = first_of_slo
                .then(|| {
                    file.groups.iter().flat_map(|g| &g.rules).find(|r| {
                        r.record.as_deref() == Some("slo:sli_error:ratio_rate5m")
                            && r.labels.get("slo") == rule.labels.get("slo")
                    })
                })
                .flatten()
                .map(|r| r.expr.split('\n').map(str::to_owned).collect());
            {
                current.occurrences.push(Occurrence {
                    service,
                    severity: label("severity").unwrap_or_default(),
                    tier: label("burn_tier"),
                    pending: rule.pending.clone().unwrap_or_default(),
                    expr: rule.expr.split('\n').map(str::to_owned).collect(),
                    sli,
                });
            }
        }
    }

    /// Every alert with its environments, by alert name.
    pub fn pages(&self) -> impl Iterator<Item = (AlertKind, &Vec<RunbookEnv>)> {
        self.by_alert.iter().map(|(k, v)| (*k, v))
    }
}
