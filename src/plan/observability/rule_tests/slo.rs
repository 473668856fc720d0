//! Tests of the burn-rate alerts of one SLO objective.

use super::{
    AlertTest, EVAL, ExpectedAlert, ExpectedSample, ExprTest, PER_MINUTE, TestBuilder, TestGroup,
    alerts_named, expected, fired_by, minutes, settled, shown_percent,
};
use crate::model::ResolvedService;
use crate::model::slo::{BurnTier, Decimal, Objective, Slo, SloKind};
use crate::plan::observability::promql::{
    self, BAD_RATE, BUDGET_REMAINING, CURRENT_BURN_RATE, ENV_LABEL, ERROR_BUDGET, SERVICE_LABEL,
    SLO_LABEL, error_ratio_name,
};
use crate::plan::observability::rules::{AlertKind, RuleFile, VALUE_PERCENT, tiers_above};

impl<'a> TestBuilder<'a> {
    pub(super) fn slo_groups(
        &self,
        service: &'a ResolvedService,
        file: &RuleFile,
        slo: &Slo,
        objective: &Objective,
    ) -> Vec<TestGroup> {
        let tiers = &slo.burn_tiers;
        let window = slo.window.as_str();
        let kind = objective.kind;
        let alert = AlertKind::burn(kind);
        let rules = alerts_named(file, alert);
        let label = kind.label();
        // Exactly the tiers over their threshold whose `for` has passed by `end`.
        let firing = |ratio: Decimal, end: u32| -> Vec<ExpectedAlert> {
            let above = tiers_above(objective, tiers, ratio);
            rules
                .iter()
                .filter(|r| {
                    above.iter().any(|t| {
                        r.labels.get("burn_tier").map(String::as_str) == Some(t.name)
                            && fired_by(t.pending, end)
                    })
                })
                .map(|r| expected(r, &[], &[(VALUE_PERCENT, &shown_percent(ratio))]))
                .collect()
        };
        let scenario = |name: String, ratio: Decimal, end: u32, extra: Vec<ExprTest>| TestGroup {
            name,
            interval: "1m",
            input_series: self.traffic(
                &service.name,
                Some(objective),
                &[(ratio.times(Decimal::int(PER_MINUTE)), end)],
            ),
            alert_rule_test: vec![AlertTest {
                eval_time: format!("{end}m"),
                alertname: alert.name().to_owned(),
                exp_alerts: firing(ratio, end),
            }],
            promql_expr_test: extra,
        };
        let recorded_labels = promql::matchers(&[
            (ENV_LABEL, "=", &self.rules.env.name),
            (SERVICE_LABEL, "=", &service.name),
            (SLO_LABEL, "=", label),
        ]);
        let rec = |name: &str| promql::recorded(name, &service.name, kind, &self.rules.env.name);
        let sample = |expr: String, labels: String, value: Decimal, end: u32| ExprTest {
            expr,
            eval_time: format!("{end}m"),
            exp_samples: vec![ExpectedSample {
                labels,
                value: value.to_f64(),
            }],
        };
        // Healthy traffic is checked once every tier's `for` has passed.
        let slowest = tiers
            .iter()
            .map(|t| settled(t.pending))
            .max()
            .unwrap_or(2 * EVAL);
        let healthy = objective.budget.times(Decimal::new(5, 1));
        let mut groups = vec![scenario(
            format!(
                "{label}: healthy traffic (half the error budget rate) fires nothing and leaves half the budget"
            ),
            healthy,
            slowest,
            vec![
                sample(
                    format!("round({}, 0.001)", rec(BUDGET_REMAINING)),
                    recorded_labels.clone(),
                    Decimal::new(5, 1),
                    slowest,
                ),
                sample(
                    rec(ERROR_BUDGET),
                    format!("{ERROR_BUDGET}{recorded_labels}"),
                    objective.budget,
                    slowest,
                ),
            ],
        )];
        // Not one bad request: for availability there is no error series at all, and the SLI
        // must still be 0 (not missing) so the budget shows whole on the dashboards.
        let clean = match kind {
            SloKind::Availability => "only successful requests (no error series at all)",
            SloKind::Latency => "every request within the threshold",
        };
        let zero = |name: &str| {
            sample(
                rec(name),
                format!("{name}{recorded_labels}"),
                Decimal::int(0),
                slowest,
            )
        };
        let mut clean_samples = vec![
            zero(&error_ratio_name("5m")),
            zero(&error_ratio_name(window)),
            zero(CURRENT_BURN_RATE),
        ];
        clean_samples.push(sample(
            rec(BUDGET_REMAINING),
            format!("{BUDGET_REMAINING}{recorded_labels}"),
            Decimal::int(1),
            slowest,
        ));
        groups.push(scenario(
            format!(
                "{label}: {clean} records an error ratio of 0, leaves the whole budget and fires nothing"
            ),
            Decimal::int(0),
            slowest,
            clean_samples,
        ));
        // No traffic at all is no data, not "0 % errors".
        groups.push(TestGroup {
            name: format!(
                "{label}: no traffic at all records no bad-event rate, no error ratio and no budget"
            ),
            interval: "1m",
            input_series: Vec::new(),
            alert_rule_test: Vec::new(),
            promql_expr_test: [
                error_ratio_name("5m"),
                BAD_RATE.to_owned(),
                BUDGET_REMAINING.to_owned(),
            ]
            .iter()
            .map(|name| ExprTest {
                expr: rec(name),
                eval_time: format!("{}m", 2 * EVAL),
                exp_samples: Vec::new(),
            })
            .collect(),
        });
        for tier in tiers {
            let threshold = objective.burn_threshold(tier);
            let over = threshold
                .times(Decimal::new(105, 2))
                .round_significant(3, true);
            let under = threshold
                .times(Decimal::new(95, 2))
                .round_significant(3, false);
            let end = settled(tier.pending);
            groups.push(scenario(
                format!(
                    "{label}: error ratio {over}, just over the {} threshold {threshold} ({}x the budget), fires it after {}",
                    tier.name, tier.factor, tier.pending
                ),
                over,
                end,
                Vec::new(),
            ));
            groups.push(scenario(
                format!(
                    "{label}: error ratio {under}, just under the {} threshold {threshold}, leaves it silent",
                    tier.name
                ),
                under,
                end,
                Vec::new(),
            ));
        }
        // The paging tiers, whose windows are short enough to test cheaply: the ticket tiers'
        // (3d / 6h) would take hours of samples per objective, and share the pages' rule shape.
        for tier in tiers.iter().filter(|t| t.severity == "critical") {
            groups.push(self.outage(service, objective, tier));
        }
        groups
    }

    /// A total outage long enough to fire the paging `tier`, then healthy traffic: the page
    /// clears as soon as the tier's short window is clean, while its long window still
    /// remembers (and, where it is well over the threshold, the test says so): each page needs
    /// both windows.
    fn outage(
        &self,
        service: &ResolvedService,
        objective: &Objective,
        tier: &BurnTier,
    ) -> TestGroup {
        let kind = objective.kind;
        let alert = AlertKind::burn(kind);
        let label = kind.label();
        let outage = settled(tier.pending) - EVAL;
        let clear = outage + minutes(tier.short) + EVAL;
        let query = format!(
            "ALERTS{}",
            promql::matchers(&[
                ("alertname", "=", alert.name()),
                ("burn_tier", "=", tier.name),
                (SERVICE_LABEL, "=", &service.name),
                (SLO_LABEL, "=", label),
            ])
        );
        let mut labels: Vec<(&str, &str, &str)> = vec![
            ("alertname", "=", alert.name()),
            ("alertstate", "=", "firing"),
            ("burn_tier", "=", tier.name),
            (ENV_LABEL, "=", &self.rules.env.name),
            (SERVICE_LABEL, "=", &service.name),
            ("severity", "=", tier.severity),
            (SLO_LABEL, "=", label),
        ];
        labels.sort();
        TestGroup {
            name: format!(
                "{label}: a {outage}m total outage pages ({}) and clears once the {} window is clean",
                tier.name, tier.short
            ),
            interval: "1m",
            input_series: self.traffic(
                &service.name,
                Some(objective),
                &[
                    (Decimal::int(PER_MINUTE), outage),
                    (Decimal::int(0), clear - outage),
                ],
            ),
            alert_rule_test: Vec::new(),
            promql_expr_test: vec![
                ExprTest {
                    expr: query.clone(),
                    eval_time: format!("{outage}m"),
                    exp_samples: vec![ExpectedSample {
                        labels: format!("ALERTS{}", promql::matchers(&labels)),
                        value: 1.0,
                    }],
                },
                ExprTest {
                    expr: query,
                    eval_time: format!("{clear}m"),
                    exp_samples: Vec::new(),
                },
            ]
            .into_iter()
            .chain(self.long_window_remembers(service, objective, tier, outage, clear))
            .collect(),
        }
    }

    /// At `clear`, the tier's long window (all of the test's traffic, `outage` minutes of it
    /// failing) is still over the threshold: so the alert cleared on its short window. Only
    /// asserted with a margin that a sample more or less at either edge cannot eat (a target
    /// so low that its threshold nears the outage's share leaves it out).
    fn long_window_remembers(
        &self,
        service: &ResolvedService,
        objective: &Objective,
        tier: &BurnTier,
        outage: u32,
        clear: u32,
    ) -> Option<ExprTest> {
        if minutes(tier.long) < clear {
            return None;
        }
        let threshold = objective.burn_threshold(tier);
        let share =
            Decimal::int(i64::from(outage)).divided_by(Decimal::int(i64::from(clear)), 4)?;
        if share < threshold.times(Decimal::new(125, 2)) {
            return None;
        }
        let kind = objective.kind;
        let series = promql::recorded(
            &error_ratio_name(tier.long),
            &service.name,
            kind,
            &self.rules.env.name,
        );
        Some(ExprTest {
            expr: format!("{series} > bool {threshold}"),
            eval_time: format!("{clear}m"),
            exp_samples: vec![ExpectedSample {
                labels: promql::matchers(&[
                    (ENV_LABEL, "=", &self.rules.env.name),
                    (SERVICE_LABEL, "=", &service.name),
                    (SLO_LABEL, "=", kind.label()),
                ]),
                value: 1.0,
            }],
        })
    }
}
