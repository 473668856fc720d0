//! Prometheus rule files: per service the SLO recording rules (Sloth's names), the multiwindow
//! burn-rate alerts and the reference's operational alerts; per environment the alerts of the
//! backing services.

use std::collections::BTreeMap;

use serde::Serialize;

mod operational;

use super::promql::{
    BAD_RATE, BUDGET_REMAINING, CURRENT_BURN_RATE, ENV_LABEL, ERROR_BUDGET, OBJECTIVE,
    PERIOD_BURN_RATE, SERVICE_LABEL, SLO_LABEL, ServiceSeries, TOTAL_RATE, error_ratio_name,
    recorded,
};
use super::runbooks;
use crate::model::slo::{BurnTier, Decimal, Objective, SLI_WINDOWS, Slo, SloKind};
use crate::model::{Platform, ResolvedEnv, ResolvedService};

/// `$value` as a percentage, in an annotation.
pub const VALUE_PERCENT: &str = "{{ $value | humanizePercentage }}";
/// `$value` as a duration, in an annotation.
pub const VALUE_DURATION: &str = "{{ $value | humanizeDuration }}";
/// `$value` as a whole number, in an annotation.
pub const VALUE_COUNT: &str = "{{ $value | printf \"%.0f\" }}";
/// The `pod` label, in an annotation.
pub const LABEL_POD: &str = "{{ $labels.pod }}";
/// The `service` label, in an annotation.
pub const LABEL_SERVICE: &str = "{{ $labels.service }}";

/// Every alert platgen writes; each has a runbook of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    /// Availability SLO burn-rate tiers.
    AvailabilityBudgetBurn,
    /// Latency SLO burn-rate tiers.
    LatencyBudgetBurn,
    /// Share of 5xx over 5m.
    HighErrorRate,
    /// P99 over 5m.
    HighLatency,
    /// Container restarts per hour.
    PodRestarting,
    /// Free share of the application's database pool.
    DatabaseConnectionPoolExhausted,
    /// Redis memory against `maxmemory`.
    RedisHighMemoryUsage,
}

impl AlertKind {
    /// The `alert:` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::AvailabilityBudgetBurn => "AvailabilityBudgetBurn",
            Self::LatencyBudgetBurn => "LatencyBudgetBurn",
            Self::HighErrorRate => "HighErrorRate",
            Self::HighLatency => "HighLatency",
            Self::PodRestarting => "PodRestarting",
            Self::DatabaseConnectionPoolExhausted => "DatabaseConnectionPoolExhausted",
            Self::RedisHighMemoryUsage => "RedisHighMemoryUsage",
        }
    }

    /// Whether the alert is evaluated once per environment, in `_platform.yml` (see
    /// `RuleBuilder::platform_wide`), rather than in each service's rules file.
    pub fn environment_wide(self) -> bool {
        matches!(self, Self::PodRestarting | Self::RedisHighMemoryUsage)
    }

    /// The burn alert of an objective.
    pub fn burn(kind: SloKind) -> Self {
        match kind {
            SloKind::Availability => Self::AvailabilityBudgetBurn,
            SloKind::Latency => Self::LatencyBudgetBurn,
        }
    }
}

/// One rules file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleFile {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A rule group.
#[derive(Debug, Clone, Serialize)]
pub struct RuleGroup {
    /// Unique within the file.
    pub name: String,
    /// Evaluated in order.
    pub rules: Vec<Rule>,
}

/// A recording or alerting rule.
///
/// Serialised as Prometheus reads it: `record` or `alert`, the expression (a literal block in
/// the rules file), `for`, labels and annotations, each left out when absent.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Recorded series name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Alert name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The expression.
    #[serde(serialize_with = "crate::render::yaml::as_literal")]
    pub expr: String,
    /// `for`.
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// Labels added to the result.
    pub labels: BTreeMap<String, String>,
    /// summary, description, runbook_url (alerts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Rule {
    fn record(name: String, expr: String, labels: BTreeMap<String, String>) -> Self {
        Self {
            record: Some(name),
            alert: None,
            expr,
            pending: None,
            labels,
            annotations: None,
        }
    }
}

/// A ratio as a percentage for people: `0.0144` → `1.44%`.
pub fn percent(ratio: Decimal) -> String {
    format!("{}%", ratio.times(Decimal::int(100)))
}

/// Which rules file of a service is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    /// The file platgen writes: every rule, every annotation.
    File,
    /// The file as its runbooks read it: every alert without its annotations, and of the
    /// recordings only the SLI a runbook shows ([`runbooks::SLI_WINDOW`]).
    Runbooks,
}

/// Builds the rules of one environment.
pub struct RuleBuilder<'a> {
    /// The platform.
    pub platform: &'a Platform,
    /// The environment.
    pub env: &'a ResolvedEnv,
}

impl<'a> RuleBuilder<'a> {
    fn series(&self, service: &'a ResolvedService) -> ServiceSeries<'a> {
        ServiceSeries {
            metrics: &self.platform.observability.metrics,
            service: &service.name,
            env: &self.env.name,
        }
    }

    fn labels(&self, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.insert(ENV_LABEL.to_owned(), self.env.name.clone());
        labels
    }

    /// An alert; its annotations (`text` gives the summary and the description) only in the
    /// file's view, as the runbooks read none.
    fn alert(
        &self,
        kind: AlertKind,
        expr: String,
        pending: &str,
        labels: BTreeMap<String, String>,
        view: View,
        text: impl FnOnce() -> (String, String),
    ) -> Rule {
        let annotations = (view == View::File).then(|| {
            let (summary, description) = text();
            let runbook = format!(
                "{}/{}.md",
                self.platform.observability.runbook_base_url,
                kind.name()
            );
            BTreeMap::from([
                ("summary".to_owned(), summary),
                ("description".to_owned(), description),
                ("runbook_url".to_owned(), runbook),
            ])
        });
        Rule {
            record: None,
            alert: Some(kind.name().to_owned()),
            expr,
            pending: Some(pending.to_owned()),
            labels,
            annotations,
        }
    }

    /// The rules file of a service, or `None` when it has nothing to watch.
    pub fn service(&self, service: &'a ResolvedService) -> Option<RuleFile> {
        self.service_with(service, View::File)
    }

    /// The rules file of a service as the runbooks read it (see `Runbooks::alerts_of` and
    /// [`View::Runbooks`]). Building the rest is most of the work, and the runbooks need every
    /// service's rules on every run. `None` exactly
    /// when [`RuleBuilder::service`] is.
    pub fn for_runbooks(&self, service: &'a ResolvedService) -> Option<RuleFile> {
        self.service_with(service, View::Runbooks)
    }

    fn service_with(&self, service: &'a ResolvedService, view: View) -> Option<RuleFile> {
        let mut groups = Vec::new();
        if let (Some(slo), Some(_)) = (&service.slo, &service.metrics) {
            groups.push(RuleGroup {
                name: format!("{}-slo-recordings", service.name),
                rules: slo
                    .objectives
                    .iter()
                    .flat_map(|o| self.slo_recordings(service, slo, o, view))
                    .collect(),
            });
            let alerts: Vec<Rule> = slo
                .objectives
                .iter()
                .flat_map(|o| self.burn_alerts(service, slo, o, view))
                .collect();
            if !alerts.is_empty() {
                groups.push(RuleGroup {
                    name: format!("{}-slo-alerts", service.name),
                    rules: alerts,
                });
            }
        }
        let operational = self.operational_alerts(service, view);
        if !operational.is_empty() {
            groups.push(RuleGroup {
                name: format!("{}-alerts", service.name),
                rules: operational,
            });
        }
        (!groups.is_empty()).then_some(RuleFile { groups })
    }

    fn slo_recordings(
        &self,
        service: &'a ResolvedService,
        slo: &Slo,
        objective: &Objective,
        view: View,
    ) -> Vec<Rule> {
        let series = self.series(service);
        let kind = objective.kind;
        let labels = self.labels(&[(SERVICE_LABEL, &service.name), (SLO_LABEL, kind.label())]);
        let rec = |name: &str| recorded(name, &service.name, kind, &self.env.name);
        let all = view == View::File;
        let mut rules: Vec<Rule> = SLI_WINDOWS
            .iter()
            .filter(|window| all || **window == runbooks::SLI_WINDOW)
            .map(|window| {
                Rule::record(
                    error_ratio_name(window),
                    series.error_ratio(kind, objective.threshold, window),
                    labels.clone(),
                )
            })
            .collect();
        if !all {
            return rules;
        }
        let window = &slo.window;
        let budget = objective.budget;
        rules.extend([
            Rule::record(
                BAD_RATE.to_owned(),
                series.bad_rate(kind, objective.threshold),
                labels.clone(),
            ),
            Rule::record(
                TOTAL_RATE.to_owned(),
                series.total_rate(kind),
                labels.clone(),
            ),
            // Over the SLO window, weighted by traffic: a quiet 5m (0/0) cannot poison it.
            Rule::record(
                error_ratio_name(window),
                format!(
                    "sum_over_time({}[{window}])\n/\nsum_over_time({}[{window}])",
                    rec(BAD_RATE),
                    rec(TOTAL_RATE)
                ),
                labels.clone(),
            ),
            Rule::record(
                OBJECTIVE.to_owned(),
                format!("vector({})", objective.objective),
                labels.clone(),
            ),
            Rule::record(
                ERROR_BUDGET.to_owned(),
                format!("vector({budget})"),
                labels.clone(),
            ),
            Rule::record(
                CURRENT_BURN_RATE.to_owned(),
                format!("{} / {budget}", rec(&error_ratio_name("5m"))),
                labels.clone(),
            ),
            Rule::record(
                PERIOD_BURN_RATE.to_owned(),
                format!("{} / {budget}", rec(&error_ratio_name(window))),
                labels.clone(),
            ),
            Rule::record(
                BUDGET_REMAINING.to_owned(),
                format!("1 - {}", rec(PERIOD_BURN_RATE)),
                labels,
            ),
        ]);
        rules
    }

    /// One alert per enabled tier, told apart by `burn_tier`.
    fn burn_alerts(
        &self,
        service: &'a ResolvedService,
        slo: &Slo,
        objective: &Objective,
        view: View,
    ) -> Vec<Rule> {
        let kind = objective.kind;
        slo.burn_tiers
            .iter()
            .map(|tier| {
                let threshold = objective.burn_threshold(tier);
                let window = |w: &str| recorded(&error_ratio_name(w), &service.name, kind, &self.env.name);
                let expr = format!(
                    "{} > {threshold}\nand\n{} > {threshold}",
                    window(tier.long),
                    window(tier.short)
                );
                self.alert(
                    AlertKind::burn(kind),
                    expr,
                    tier.pending,
                    self.labels(&[
                        ("severity", tier.severity),
                        ("burn_tier", tier.name),
                        (SERVICE_LABEL, &service.name),
                        (SLO_LABEL, kind.label()),
                    ]),
                    view,
                    || {
                        let what = match (kind, &objective.threshold_text) {
                            (SloKind::Latency, Some(limit)) => format!("took longer than {limit}"),
                            _ => "failed".to_owned(),
                        };
                        (
                            format!(
                                "{} is burning its {} error budget over {}x too fast ({} and {})",
                                service.name,
                                kind.label(),
                                tier.factor,
                                tier.long,
                                tier.short
                            ),
                            format!(
                                "{VALUE_PERCENT} of requests {what} over the last {} (and over {} in the last {}): more than {}x the {} error budget of the {}% {} objective over {}.",
                                tier.long,
                                percent(threshold),
                                tier.short,
                                tier.factor,
                                percent(objective.budget),
                                objective.target,
                                kind.label(),
                                slo.window
                            ),
                        )
                    },
                )
            })
            .collect()
    }
}

/// The tiers whose threshold an error ratio exceeds (`>`), in tier order.
pub fn tiers_above(objective: &Objective, tiers: &[BurnTier], ratio: Decimal) -> Vec<BurnTier> {
    tiers
        .iter()
        .filter(|t| ratio > objective.burn_threshold(t))
        .cloned()
        .collect()
}

/// Calls `visit` with every rules file of every example platform (a service's, `None` for
/// the environment-wide one), with the builder that made it; asserts there are enough of them
/// for a test over all of them to mean something.
#[cfg(test)]
pub(super) fn each_example_rules_file(
    mut visit: impl FnMut(&RuleBuilder<'_>, Option<&ResolvedService>, RuleFile),
) {
    let mut files = 0;
    for source in crate::testing::example_platforms() {
        let (_, platform) = crate::analyse(source).expect("valid");
        for env in platform.environments.iter().filter(|env| env.observability) {
            let builder = RuleBuilder {
                platform: &platform,
                env,
            };
            for service in &env.services {
                if let Some(file) = builder.service(service) {
                    visit(&builder, Some(service), file);
                    files += 1;
                }
            }
            if let Some(file) = builder.platform_wide() {
                visit(&builder, None, file);
                files += 1;
            }
        }
    }
    assert!(files >= 20, "{files} rules files");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;
    use crate::plan::observability::runbooks::Runbooks;

    fn rule_count(file: &RuleFile) -> usize {
        file.groups.iter().map(|g| g.rules.len()).sum()
    }

    #[test]
    fn the_runbooks_read_the_same_alerts_from_their_view_as_from_the_file() {
        let platforms = [
            include_str!("../../../platform.toml"),
            include_str!("../../../tests/platforms/four-services.toml"),
            include_str!("../../../tests/platforms/gitops.toml"),
            include_str!("../../../tests/platforms/worker-only.toml"),
        ];
        let (mut alerts, mut lighter) = (0, 0);
        for text in platforms {
            let (_, platform) = crate::analyse(SourceFile::new("platform.toml", text))
                .unwrap_or_else(|failure| panic!("{failure:?}"));
            for env in &platform.environments {
                let builder = RuleBuilder {
                    platform: &platform,
                    env,
                };
                for service in &env.services {
                    let at = format!("{} in {}", service.name, env.name);
                    match (builder.service(service), builder.for_runbooks(service)) {
                        (Some(file), Some(view)) => {
                            let read = Runbooks::alerts_of(&file);
                            assert_eq!(read, Runbooks::alerts_of(&view), "{at}");
                            let rules = || view.groups.iter().flat_map(|g| &g.rules);
                            assert!(
                                rules().all(|rule| rule.annotations.is_none()),
                                "{at}: the runbooks' view builds annotations no runbook reads"
                            );
                            alerts += read.len();
                            if rule_count(&view) < rule_count(&file) {
                                lighter += 1;
                            }
                        }
                        (None, None) => {}
                        (file, view) => panic!("{at}: a file {file:?}, a view {view:?}"),
                    }
                }
            }
        }
        assert!(alerts > 50, "{alerts} alerts compared");
        assert!(lighter > 5, "{lighter} views lighter than their file");
    }

    /// The groups of every rules file of every example platform, written straight from their
    /// structure (as the rules template writes them: each expression a literal block), read
    /// back as the same tree as their template value written by the `yaml` filter.
    #[test]
    fn every_example_platform_s_rules_read_back_as_their_template_value() {
        use crate::render::yaml;
        use minijinja::value::{Serde, Value};
        let read = |text: &str| -> serde_json::Value {
            serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
        };
        each_example_rules_file(|_, _, file| {
            let direct = yaml::block_of(&file.groups, 2).expect("written");
            assert!(direct.contains("expr: |-"), "{direct}");
            let converted = yaml::block(&Value::from(Serde(&file.groups)), 2);
            assert_eq!(read(&direct), read(&converted.expect("written")));
        });
    }
}
