//! Runbooks: one Markdown page per alert name, the target of its `runbook_url`. Each lists where
//! the alert is evaluated (environment, service, the exact PromQL) next to the first checks
//! drawn from the reference's troubleshooting section.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::PLATFORM_WIDE;
use super::promql::error_ratio_name;
use super::rules::{AlertKind, RuleFile};
use crate::model::ResolvedEnv;
use crate::model::slo::REFERENCE_WINDOW;

/// The window of the SLI a runbook shows next to an SLO's alerts (its error ratio's recording).
pub const SLI_WINDOW: &str = "5m";

/// One alert rule as a runbook shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Whether it has `<env>/scripts/rollback.sh` (see [`crate::plan::scripts`]).
    pub rollback_script: bool,
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

/// One alert rule of a rules file, as the runbooks need it: taken from the file on the thread
/// that built it ([`Runbooks::alerts_of`]), so the file itself need not be kept.
#[derive(Debug, PartialEq, Eq)]
pub struct Alert {
    kind: AlertKind,
    /// Whether the rule carries a `service` label.
    has_service: bool,
    /// Whether the rule carries an `slo` label.
    has_slo: bool,
    /// The occurrence; its `sli` is the SLI the alert reads, kept only where a runbook shows
    /// it (see [`Runbooks::plus`]).
    occurrence: Occurrence,
}

impl Runbooks {
    /// The alerts of one rules file, in its order.
    pub fn alerts_of(file: &RuleFile) -> Vec<Alert> {
        let rules = || file.groups.iter().flat_map(|g| &g.rules);
        let sli_name = error_ratio_name(SLI_WINDOW);
        rules()
            .filter_map(|rule| {
                let kind = rule.alert.as_deref().and_then(kind_of)?;
                let label = |key: &str| rule.labels.get(key).cloned();
                let has_slo = rule.labels.contains_key("slo");
                let sli = has_slo
                    .then(|| {
                        rules().find(|r| {
                            r.record.as_deref() == Some(sli_name.as_str())
                                && r.labels.get("slo") == rule.labels.get("slo")
                        })
                    })
                    .flatten()
                    .map(|r| r.expr.split('\n').map(str::to_owned).collect());
                Some(Alert {
                    kind,
                    has_service: rule.labels.contains_key("service"),
                    has_slo,
                    occurrence: Occurrence {
                        service: label("service").unwrap_or_else(|| "every service".to_owned()),
                        severity: label("severity").unwrap_or_default(),
                        tier: label("burn_tier"),
                        pending: rule.pending.clone().unwrap_or_default(),
                        expr: rule.expr.split('\n').map(str::to_owned).collect(),
                        sli,
                    },
                })
            })
            .collect()
    }

    /// Adds the alerts of one rules file of an environment (from [`Runbooks::alerts_of`]).
    /// Files are added in the platform's order; the SLI is shown on the first alert of a
    /// service's SLO in an environment.
    pub fn plus(&mut self, env: &ResolvedEnv, alerts: Vec<Alert>) {
        for alert in alerts {
            let Alert {
                kind,
                has_service,
                has_slo,
                mut occurrence,
            } = alert;
            let envs = self.by_alert.entry(kind).or_default();
            if envs.last().is_none_or(|e| e.name != env.name) {
                envs.push(RunbookEnv {
                    name: env.name.clone(),
                    namespace: env.namespace.clone(),
                    kubernetes: env.is_kubernetes(),
                    rollback_script: crate::plan::scripts::has_scripts(env),
                    occurrences: Vec::new(),
                });
            }
            let Some(current) = envs.last_mut() else {
                continue;
            };
            let first = self
                .seen
                .insert((kind, env.name.clone(), occurrence.service.clone()));
            if !(has_slo && (first || !has_service)) {
                occurrence.sli = None;
            }
            current.occurrences.push(occurrence);
        }
    }

    /// Every alert's page, by alert name, with the thresholds `shown` on every page.
    pub fn into_pages(self, shown: &BTreeMap<&'static str, String>) -> Vec<Arc<Page>> {
        self.by_alert
            .into_iter()
            .map(|(kind, envs)| {
                Arc::new(Page {
                    alert: kind.name(),
                    envs,
                    threshold: shown.clone(),
                    // The rules file of the alert, under `<env>/prometheus/rules/`.
                    rules_file: if kind.environment_wide() {
                        format!("{PLATFORM_WIDE}.yml")
                    } else {
                        "<service>.yml".to_owned()
                    },
                    reference_window: REFERENCE_WINDOW,
                })
            })
            .collect()
    }
}

/// One alert's runbook: everything its template sees besides the platform's settings. The
/// page is both the file's context and the part its fingerprint is digested from (see
/// [`crate::plan::inputs`]), so the two cannot drift apart; the context is built only when
/// the page renders.
#[derive(Debug, Serialize)]
pub struct Page {
    /// The alert's name.
    pub alert: &'static str,
    /// Where it is evaluated.
    pub envs: Vec<RunbookEnv>,
    /// The platform's alert thresholds, as the pages print them.
    pub threshold: BTreeMap<&'static str, String>,
    /// Its rules file in an environment's `prometheus/rules/`.
    pub rules_file: String,
    /// The window an SLO's budget is reckoned over, as its alerts' text names it.
    pub reference_window: &'static str,
}
