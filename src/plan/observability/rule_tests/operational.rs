//! Tests of the operational alerts: each fires on a matching scenario and stays silent on a
//! healthy one.

use super::{
    AlertTest, EVAL_TEXT, InputSeries, PER_MINUTE, TestBuilder, TestFile, TestGroup, alerts_named,
    expected, le_text, linear, settled, shown_percent,
};
use crate::model::ResolvedService;
use crate::model::slo::{Decimal, latency_text};
use crate::plan::observability::promql::{self, SERVICE_LABEL};
use crate::plan::observability::rules::{
    AlertKind, LABEL_POD, LABEL_SERVICE, RuleFile, VALUE_COUNT, VALUE_DURATION, VALUE_PERCENT,
};

impl<'a> TestBuilder<'a> {
    pub(super) fn operational_groups(
        &self,
        service: &'a ResolvedService,
        file: &RuleFile,
    ) -> Vec<TestGroup> {
        let obs = &self.rules.platform.observability;
        let thresholds = &obs.alerts;
        let end = settled(&thresholds.pending);
        let at = format!("{end}m");
        let group =
            |name: String, input_series: Vec<InputSeries>, kind: AlertKind, exp_alerts| TestGroup {
                name,
                interval: "1m",
                input_series,
                alert_rule_test: vec![AlertTest {
                    eval_time: at.clone(),
                    alertname: kind.name().to_owned(),
                    exp_alerts,
                }],
                promql_expr_test: Vec::new(),
            };
        let mut groups = Vec::new();
        let scope = self.scope(&service.name);
        if let Some(rule) = alerts_named(file, AlertKind::HighErrorRate).first() {
            let limit = thresholds.error_rate;
            let over = limit.times(Decimal::int(2)).round_significant(3, true);
            if over < Decimal::int(1) {
                let bad = over.times(Decimal::int(PER_MINUTE));
                groups.push(group(
                    format!(
                        "HighErrorRate: {} of requests failing fires it",
                        shown_percent(over)
                    ),
                    self.traffic(&service.name, None, &[(bad, end)]),
                    AlertKind::HighErrorRate,
                    vec![expected(
                        rule,
                        &[],
                        &[(VALUE_PERCENT, &shown_percent(over))],
                    )],
                ));
            }
            let under = limit.times(Decimal::new(5, 1)).round_significant(3, false);
            groups.push(group(
                format!(
                    "HighErrorRate: {} of requests failing fires nothing",
                    shown_percent(under)
                ),
                self.traffic(
                    &service.name,
                    None,
                    &[(under.times(Decimal::int(PER_MINUTE)), end)],
                ),
                AlertKind::HighErrorRate,
                Vec::new(),
            ));
        }
        if let Some(rule) = alerts_named(file, AlertKind::HighLatency).first()
            && let Some((series, shown, requests)) = self.slow_histogram(service, end)
        {
            groups.push(group(
                format!("HighLatency: every request {requests} fires it"),
                series,
                AlertKind::HighLatency,
                vec![expected(rule, &[], &[(VALUE_DURATION, &shown)])],
            ));
        }
        if let Some(rule) = alerts_named(file, AlertKind::DatabaseConnectionPoolExhausted).first() {
            let size = Decimal::int(100);
            let low = thresholds
                .db_pool_available
                .times(Decimal::new(5, 1))
                .round_significant(2, false);
            let gauges = |available: Decimal| {
                vec![
                    InputSeries {
                        series: self.named(promql::DB_POOL_AVAILABLE, &scope),
                        values: format!("{}x{end}", available.times(size)),
                    },
                    InputSeries {
                        series: self.named(promql::DB_POOL_SIZE, &scope),
                        values: format!("{size}x{end}"),
                    },
                ]
            };
            if thresholds.db_pool_available.is_positive() {
                groups.push(group(
                    format!(
                        "DatabaseConnectionPoolExhausted: {} of the pool available fires it",
                        shown_percent(low)
                    ),
                    gauges(low),
                    AlertKind::DatabaseConnectionPoolExhausted,
                    vec![expected(rule, &[], &[(VALUE_PERCENT, &shown_percent(low))])],
                ));
            }
            groups.push(group(
                "DatabaseConnectionPoolExhausted: an idle pool fires nothing".to_owned(),
                gauges(Decimal::int(1)),
                AlertKind::DatabaseConnectionPoolExhausted,
                Vec::new(),
            ));
        }
        groups
    }

    /// Every request in the bucket above the first bound at or over the HighLatency threshold
    /// (or, when that bound is the largest, in the bucket it closes, if the P99 interpolated
    /// there is still over the threshold), with the `humanizeDuration` text of the P99
    /// Prometheus computes and where the requests lie, in words; `None` when no such bucket
    /// exists or the value would need rounding to print.
    fn slow_histogram(
        &self,
        service: &'a ResolvedService,
        end: u32,
    ) -> Option<(Vec<InputSeries>, String, String)> {
        let metrics = &self.rules.platform.observability.metrics;
        let limit = self.rules.platform.observability.alerts.latency_p99;
        let at = metrics.buckets.iter().position(|b| *b >= limit)?;
        // histogram_quantile interpolates linearly inside the bucket.
        let p99_in = |lower: Decimal, upper: Decimal| {
            upper.minus(lower).times(Decimal::new(99, 2)).plus(lower)
        };
        let (lower, p99, requests) = match metrics.buckets.get(at + 1) {
            Some(upper) => (
                metrics.buckets[at],
                p99_in(metrics.buckets[at], *upper),
                format!("just over the next bucket above {}", latency_text(limit)),
            ),
            // The threshold lies in the largest finite bucket (`9s` below `10s`): every request
            // in that bucket, from the bound below it (0 for a single bucket).
            None => {
                let below = at
                    .checked_sub(1)
                    .map_or(Decimal::int(0), |i| metrics.buckets[i]);
                let p99 = p99_in(below, metrics.buckets[at]);
                if p99 <= limit {
                    return None;
                }
                let requests = format!(
                    "in the largest bucket, from {} to {}",
                    latency_text(below),
                    latency_text(metrics.buckets[at])
                );
                (below, p99, requests)
            }
        };
        let shown = if p99 >= Decimal::int(60) {
            return None;
        } else if p99 >= Decimal::int(1) {
            format!("{p99}s")
        } else {
            format!("{}ms", p99.times(Decimal::int(1000)))
        };
        let digits = p99.round_significant(4, false);
        if digits != p99 {
            return None;
        }
        let scope = self.scope(&service.name);
        let total = Decimal::int(PER_MINUTE);
        let mut series: Vec<InputSeries> = metrics
            .buckets
            .iter()
            .map(|bound| {
                let mut labels = scope.clone();
                labels.push(("le", le_text(*bound)));
                let per_minute = if *bound > lower {
                    total
                } else {
                    Decimal::int(0)
                };
                InputSeries {
                    series: self.named(&format!("{}_bucket", metrics.duration), &labels),
                    values: linear(per_minute, end),
                }
            })
            .collect();
        let mut inf = scope.clone();
        inf.push(("le", "+Inf".to_owned()));
        series.push(InputSeries {
            series: self.named(&format!("{}_bucket", metrics.duration), &inf),
            values: linear(total, end),
        });
        series.push(InputSeries {
            series: self.named(&format!("{}_count", metrics.duration), &scope),
            values: linear(total, end),
        });
        Some((series, shown, requests))
    }

    /// The tests of `_platform.yml`.
    pub fn platform_wide(&self, file: &RuleFile, rules_path: &str) -> TestFile {
        let thresholds = &self.rules.platform.observability.alerts;
        let end = settled(&thresholds.pending);
        let mut tests = Vec::new();
        if let (Some(rule), Some(service)) = (
            alerts_named(file, AlertKind::PodRestarting).first(),
            self.rules.env.services.first(),
        ) {
            // k tenths of a restart per minute: a whole hour holds exactly 6k restarts.
            let tenths = thresholds.pod_restarts / 6 + 1;
            let restarts = tenths * 6;
            let run = 70;
            let pod = format!("{}-7c9d8f6b5-x2x4q", service.names.workload);
            let labels = |container: &str| {
                vec![
                    ("namespace", self.rules.env.namespace.clone()),
                    ("pod", pod.clone()),
                    ("container", container.to_owned()),
                ]
            };
            let series = |container: &str| InputSeries {
                series: self.named(promql::POD_RESTARTS, &labels(container)),
                values: linear(Decimal::int(i64::from(tenths)).shift(1), run),
            };
            let mut extra = labels(&service.names.workload);
            extra.push((SERVICE_LABEL, service.names.workload.clone()));
            let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
            tests.push(TestGroup {
                name: format!(
                    "PodRestarting: {restarts} restarts of {} within an hour fire it; a sidecar's do not",
                    service.name
                ),
                interval: "1m",
                input_series: vec![series(&service.names.workload), series("istio-proxy")],
                alert_rule_test: vec![AlertTest {
                    eval_time: format!("{run}m"),
                    alertname: AlertKind::PodRestarting.name().to_owned(),
                    exp_alerts: vec![expected(
                        rule,
                        &extra,
                        &[
                            (LABEL_POD, &pod),
                            (LABEL_SERVICE, &service.name),
                            (VALUE_COUNT, &restarts.to_string()),
                        ],
                    )],
                }],
                promql_expr_test: Vec::new(),
            });
        }
        for rule in alerts_named(file, AlertKind::RedisHighMemoryUsage) {
            let name = rule.labels.get(SERVICE_LABEL).cloned().unwrap_or_default();
            let scope = self.scope(&name);
            let max = Decimal::int(1_000_000);
            let gauges = |used: Decimal, max: Decimal| {
                vec![
                    InputSeries {
                        series: self.named(promql::REDIS_USED, &scope),
                        values: format!("{used}x{end}"),
                    },
                    InputSeries {
                        series: self.named(promql::REDIS_MAX, &scope),
                        values: format!("{max}x{end}"),
                    },
                ]
            };
            let high = Decimal::int(1)
                .plus(thresholds.redis_memory)
                .times(Decimal::new(5, 1))
                .round_significant(3, true);
            if high <= Decimal::int(1) && high > thresholds.redis_memory {
                tests.push(TestGroup {
                    name: format!(
                        "RedisHighMemoryUsage: {name} at {} of maxmemory fires it",
                        shown_percent(high)
                    ),
                    interval: "1m",
                    input_series: gauges(high.times(max), max),
                    alert_rule_test: vec![AlertTest {
                        eval_time: format!("{end}m"),
                        alertname: AlertKind::RedisHighMemoryUsage.name().to_owned(),
                        exp_alerts: vec![expected(
                            rule,
                            &[],
                            &[(VALUE_PERCENT, &shown_percent(high))],
                        )],
                    }],
                    promql_expr_test: Vec::new(),
                });
            }
            tests.push(TestGroup {
                name: format!("RedisHighMemoryUsage: {name} without maxmemory (0) fires nothing"),
                interval: "1m",
                input_series: gauges(max, Decimal::int(0)),
                alert_rule_test: vec![AlertTest {
                    eval_time: format!("{end}m"),
                    alertname: AlertKind::RedisHighMemoryUsage.name().to_owned(),
                    exp_alerts: Vec::new(),
                }],
                promql_expr_test: Vec::new(),
            });
        }
        TestFile {
            rule_files: vec![rules_path.to_owned()],
            evaluation_interval: EVAL_TEXT,
            group_eval_order: file.groups.iter().map(|g| g.name.clone()).collect(),
            tests,
        }
    }
}
