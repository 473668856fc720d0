//! `promtool test rules` files rendered beside the rules. Synthetic traffic with a constant error
//! ratio from the start of a test makes every window's ratio that ratio, so each burn-rate tier
//! is shown to fire just above its threshold and to stay silent just below it (with exactly the
//! slower tiers firing that should), healthy traffic fires nothing, traffic without a single
//! failure (no error series at all) records an SLI of 0 and the whole budget while no traffic
//! records nothing, and a short total outage pages and clears once the short window is clean
//! again.

use std::collections::BTreeMap;

use serde::Serialize;

mod operational;
mod slo;

use super::promql::{self, ENV_LABEL, SERVICE_LABEL};
use super::rules::{AlertKind, Rule, RuleBuilder, RuleFile};
use crate::model::ResolvedService;
use crate::model::slo::{Decimal, Objective, duration_seconds};

/// Requests per minute of the synthetic traffic (one sample a minute).
const PER_MINUTE: i64 = 1000;
/// Minutes between rule evaluations in the tests: rates still see one sample a minute, and the
/// tests stay fast.
const EVAL: u32 = 5;
const EVAL_TEXT: &str = "5m";

/// The first evaluation with a rate is at `EVAL` (two samples); an alert whose condition holds
/// from then on fires at the first evaluation at least `pending` later.
fn fired_by(pending: &str, end: u32) -> bool {
    EVAL + minutes(pending) <= end
}

/// An evaluation time safely after an alert with this `for` has fired.
fn settled(pending: &str) -> u32 {
    (minutes(pending) + EVAL).div_ceil(EVAL) * EVAL + EVAL
}

/// A `promtool test rules` file.
#[derive(Debug, Clone, Serialize)]
pub struct TestFile {
    /// The rules under test, relative to the test file.
    pub rule_files: Vec<String>,
    /// Rule evaluation interval of the tests.
    pub evaluation_interval: &'static str,
    /// Groups in file order: recordings before the alerts that read them. Without it promtool
    /// evaluates groups in random order and an alert may see the previous evaluation's series.
    pub group_eval_order: Vec<String>,
    /// Test groups.
    pub tests: Vec<TestGroup>,
}

/// One scenario: input series and what must (not) fire.
#[derive(Debug, Clone, Serialize)]
pub struct TestGroup {
    /// What the scenario shows.
    pub name: String,
    /// Sample interval of the input series.
    pub interval: &'static str,
    /// Input series.
    pub input_series: Vec<InputSeries>,
    /// Alert expectations (left out when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alert_rule_test: Vec<AlertTest>,
    /// Expression expectations (left out when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promql_expr_test: Vec<ExprTest>,
}

/// A synthetic series.
#[derive(Debug, Clone, Serialize)]
pub struct InputSeries {
    /// `metric{labels}`.
    pub series: String,
    /// promtool's expanding notation, e.g. `0+15.2x190`.
    pub values: String,
}

/// The alerts of one name firing at one time.
#[derive(Debug, Clone, Serialize)]
pub struct AlertTest {
    /// When.
    pub eval_time: String,
    /// Alert name.
    pub alertname: String,
    /// Exactly the alerts firing (labels and expanded annotations).
    pub exp_alerts: Vec<ExpectedAlert>,
}

/// One firing alert.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedAlert {
    /// Labels (`alertname` implied).
    pub exp_labels: BTreeMap<String, String>,
    /// Annotations after template expansion.
    pub exp_annotations: BTreeMap<String, String>,
}

/// An expression and its result.
#[derive(Debug, Clone, Serialize)]
pub struct ExprTest {
    /// The expression.
    pub expr: String,
    /// When.
    pub eval_time: String,
    /// Exactly these samples.
    pub exp_samples: Vec<ExpectedSample>,
}

/// One sample.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedSample {
    /// `{label="value", …}`.
    pub labels: String,
    /// Its value (a YAML number).
    pub value: f64,
}

/// A series value that only ever grows by `per_minute`, from 0 at minute 0 to minute `minutes`.
fn linear(per_minute: Decimal, minutes: u32) -> String {
    format!("0+{per_minute}x{minutes}")
}

/// A counter growing by each segment's rate for that many minutes, one sample per minute.
fn segments(parts: &[(Decimal, u32)]) -> String {
    let mut out = Vec::new();
    let mut value = Decimal::int(0);
    for (i, (rate, minutes)) in parts.iter().enumerate() {
        if i == 0 {
            out.push(format!("{value}+{rate}x{minutes}"));
            value = rate.times(Decimal::int(i64::from(*minutes)));
        } else {
            let start = value.plus(*rate);
            out.push(format!("{start}+{rate}x{}", minutes - 1));
            value = rate.times(Decimal::int(i64::from(*minutes))).plus(value);
        }
    }
    out.join(" ")
}

/// `humanizePercentage` of a ratio with at most four significant digits (Go's `%.4g%%`).
fn shown_percent(ratio: Decimal) -> String {
    format!("{}%", ratio.times(Decimal::int(100)))
}

/// A histogram bound as the Python client writes it in `le` (`0.5`, `1.0`).
fn le_text(bound: Decimal) -> String {
    if bound.is_integer() {
        format!("{bound}.0")
    } else {
        bound.to_string()
    }
}

fn minutes(duration: &str) -> u32 {
    duration_seconds(duration)
        .map(|s| s.to_f64() / 60.0)
        .map_or(0, |m| m.ceil() as u32)
}

/// The expectation for a firing alert: its rule's labels, annotations with values filled in.
fn expected(rule: &Rule, extra: &[(&str, &str)], values: &[(&str, &str)]) -> ExpectedAlert {
    let mut exp_labels = rule.labels.clone();
    for (k, v) in extra {
        exp_labels.insert((*k).to_owned(), (*v).to_owned());
    }
    let exp_annotations = rule
        .annotations
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, mut text)| {
            for (template, value) in values {
                text = text.replace(template, value);
            }
            (k, text)
        })
        .collect();
    ExpectedAlert {
        exp_labels,
        exp_annotations,
    }
}

fn alerts_named(file: &RuleFile, kind: AlertKind) -> Vec<&Rule> {
    file.groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.alert.as_deref() == Some(kind.name()))
        .collect()
}

/// Builds the tests of one rules file.
pub struct TestBuilder<'a> {
    /// The rules' builder (platform and environment).
    pub rules: &'a RuleBuilder<'a>,
    /// A status the platform's `error_status` regex matches, for failing requests: worked out
    /// once, not for each test's traffic.
    failing_status: String,
}

impl<'a> TestBuilder<'a> {
    /// The builder of the tests of `rules`' files.
    pub fn new(rules: &'a RuleBuilder<'a>) -> Self {
        let failing_status =
            error_status_example(&rules.platform.observability.metrics.error_status);
        Self {
            rules,
            failing_status,
        }
    }

    fn scope(&self, service: &str) -> Vec<(&'static str, String)> {
        vec![
            (SERVICE_LABEL, service.to_owned()),
            (ENV_LABEL, self.rules.env.name.clone()),
        ]
    }

    fn named(&self, metric: &str, labels: &[(&str, String)]) -> String {
        let list: Vec<(&str, &str, &str)> =
            labels.iter().map(|(k, v)| (*k, "=", v.as_str())).collect();
        format!("{metric}{}", promql::matchers(&list))
    }

    /// Requests of which `bad` per minute fail (availability) or are slow (latency). Without a
    /// single failure there is no error series at all, as with the Python client, which creates
    /// a status's series only with its first such request (a histogram's buckets exist from its
    /// first observation, so a latency SLI always has its bucket).
    fn traffic(
        &self,
        service: &str,
        objective: Option<&Objective>,
        bad: &[(Decimal, u32)],
    ) -> Vec<InputSeries> {
        let metrics = &self.rules.platform.observability.metrics;
        let total: Vec<(Decimal, u32)> = bad
            .iter()
            .map(|(_, m)| (Decimal::int(PER_MINUTE), *m))
            .collect();
        let good: Vec<(Decimal, u32)> = bad
            .iter()
            .map(|(b, m)| (Decimal::int(PER_MINUTE).minus(*b), *m))
            .collect();
        let scope = self.scope(service);
        match objective.and_then(|o| o.threshold) {
            Some(bound) => {
                let mut bucket = scope.clone();
                bucket.push(("le", le_text(bound)));
                vec![
                    InputSeries {
                        series: self.named(&format!("{}_bucket", metrics.duration), &bucket),
                        values: segments(&good),
                    },
                    InputSeries {
                        series: self.named(&format!("{}_count", metrics.duration), &scope),
                        values: segments(&total),
                    },
                ]
            }
            None => {
                let status = |value: String| {
                    let mut labels = scope.clone();
                    labels.push((metrics.status_label.as_str(), value));
                    labels
                };
                let mut series = vec![InputSeries {
                    series: self.named(&metrics.requests, &status("200".to_owned())),
                    values: segments(&good),
                }];
                if bad.iter().any(|(rate, _)| rate.is_positive()) {
                    series.push(InputSeries {
                        series: self.named(&metrics.requests, &status(self.failing_status.clone())),
                        values: segments(bad),
                    });
                }
                series
            }
        }
    }

    /// The tests of a service's rules file.
    pub fn service(
        &self,
        service: &'a ResolvedService,
        file: &RuleFile,
        rules_path: &str,
    ) -> TestFile {
        let mut tests = Vec::new();
        if let Some(slo) = &service.slo {
            for objective in &slo.objectives {
                tests.extend(self.slo_groups(service, file, slo, objective));
            }
        }
        tests.extend(self.operational_groups(service, file));
        TestFile {
            rule_files: vec![rules_path.to_owned()],
            evaluation_interval: EVAL_TEXT,
            group_eval_order: file.groups.iter().map(|g| g.name.clone()).collect(),
            tests,
        }
    }
}

/// A status the error regex matches, for the synthetic failing requests: built from the
/// regex itself (its first alternative, each repetition its fewest times, each class its
/// lowest digit, else letter, else first character), so it matches whatever RE2 `error_status`
/// holds: `5..` → `500`, `(5..|429)` → `500`, `5[0-9]{2}` → `500`, `5\d\d` → `500`.
fn error_status_example(regex: &str) -> String {
    let parsed = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(regex);
    let Ok(hir) = parsed else {
        // Check stage rejects such a regex (E0319) before anything is planned.
        return regex.to_owned();
    };
    let mut out = Vec::new();
    example(&hir, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn example(hir: &regex_syntax::hir::Hir, out: &mut Vec<u8>) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.extend_from_slice(&literal.0),
        HirKind::Class(Class::Bytes(class)) => {
            let bytes = class.ranges().iter().flat_map(|r| r.start()..=r.end());
            out.push(pick(bytes.map(char::from)) as u8);
        }
        HirKind::Class(Class::Unicode(class)) => {
            let chars = class.ranges().iter().flat_map(|r| r.start()..=r.end());
            let mut buffer = [0; 4];
            out.extend_from_slice(pick(chars).encode_utf8(&mut buffer).as_bytes());
        }
        HirKind::Repetition(repetition) => {
            for _ in 0..repetition.min {
                example(&repetition.sub, out);
            }
        }
        HirKind::Capture(capture) => example(&capture.sub, out),
        HirKind::Concat(all) => all.iter().for_each(|h| example(h, out)),
        HirKind::Alternation(all) => {
            if let Some(first) = all.first() {
                example(first, out);
            }
        }
    }
}

/// The character of a class a status would use: its lowest digit, else its first letter, else
/// its first character.
fn pick(chars: impl Iterator<Item = char> + Clone) -> char {
    let first = |keep: fn(&char) -> bool| chars.clone().find(keep);
    first(char::is_ascii_digit)
        .or_else(|| first(char::is_ascii_alphabetic))
        .or_else(|| chars.clone().next())
        .unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_notation() {
        assert_eq!(linear(Decimal::new(152, 1), 190), "0+15.2x190");
        assert_eq!(
            segments(&[(Decimal::int(1000), 10), (Decimal::int(0), 20)]),
            "0+1000x10 10000+0x19"
        );
        assert_eq!(
            segments(&[(Decimal::int(0), 10), (Decimal::int(1000), 20)]),
            "0+0x10 1000+1000x19"
        );
        assert_eq!(error_status_example("5.."), "500");
        assert_eq!(error_status_example("(5..|429)"), "500");
        assert_eq!(error_status_example("5[0-9]{2}"), "500");
        assert_eq!(error_status_example("5\\d\\d"), "500");
        assert_eq!(error_status_example("[45]..|429"), "400");
        assert_eq!(error_status_example("5xx|5.."), "5xx");
        assert_eq!(error_status_example("5.+"), "50");
        assert_eq!(le_text(Decimal::int(1)), "1.0");
        assert_eq!(shown_percent(Decimal::new(158, 4)), "1.58%");
    }

    /// The tests of every rules file of every example platform: written straight from their
    /// structure (as the tests template writes them), the same text as from their template
    /// value (what a template that looks inside them sees).
    #[test]
    fn every_example_platform_s_tests_are_written_as_their_template_value() {
        use crate::render::yaml;
        use minijinja::value::{Serde, Value};
        super::super::rules::each_example_rules_file(|builder, service, file| {
            let tests = TestBuilder::new(builder);
            let built = match service {
                Some(service) => tests.service(service, &file, "r.yml"),
                None => tests.platform_wide(&file, "r.yml"),
            };
            let converted = yaml::block(&Value::from(Serde(&built.tests)), 2);
            assert_eq!(yaml::block_of(&built.tests, 2), converted);
        });
    }
}
