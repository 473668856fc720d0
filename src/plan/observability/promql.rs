//! PromQL, built once from the model: the rules, their tests, the dashboards and the runbooks all
//! take their expressions (metric names, labels, selectors, thresholds) from here.

use crate::model::slo::{Decimal, RATE_WINDOW, SliMetrics, SloKind};

/// Label added to every scraped series naming the service (from the pod's selector label in
/// Kubernetes, a static label in compose).
pub const SERVICE_LABEL: &str = "service";
/// Label added to every scraped series naming the environment.
pub const ENV_LABEL: &str = "env";
/// Label of the recorded SLO series naming the objective (`availability`, `latency`).
pub const SLO_LABEL: &str = "slo";

/// Metrics of the reference's operational alerts (the application's connection pool, the Redis
/// exporter, kube-state-metrics).
pub const DB_POOL_AVAILABLE: &str = "db_pool_available_connections";
/// Size of the application's connection pool.
pub const DB_POOL_SIZE: &str = "db_pool_size";
/// Redis memory in use (redis_exporter).
pub const REDIS_USED: &str = "redis_memory_used_bytes";
/// Redis `maxmemory` (redis_exporter; 0 when unlimited).
pub const REDIS_MAX: &str = "redis_memory_max_bytes";
/// Container restarts (kube-state-metrics).
pub const POD_RESTARTS: &str = "kube_pod_container_status_restarts_total";

/// A PromQL string literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_quoted(&mut out, value);
    out
}

/// [`quote`], appended to `out`.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    // The characters to escape are ASCII: the runs between them are copied whole.
    let mut run = 0;
    for (at, b) in value.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            _ => continue,
        };
        out.push_str(&value[run..at]);
        out.push_str(escape);
        run = at + 1;
    }
    out.push_str(&value[run..]);
    out.push('"');
}

/// `{a="b", c=~"d"}` from `(label, operator, value)` triples.
pub fn matchers(list: &[(&str, &str, &str)]) -> String {
    let size: usize = list
        .iter()
        .map(|(l, o, v)| l.len() + o.len() + v.len() + 4)
        .sum();
    let mut out = String::with_capacity(size + 2);
    out.push('{');
    for (i, (label, op, value)) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(label);
        out.push_str(op);
        push_quoted(&mut out, value);
    }
    out.push('}');
    out
}

/// Matcher for a histogram bucket bound. Clients print whole bounds differently (the Python
/// client `1.0`, the Go client and Prometheus 3 `1`), so those match either spelling.
pub fn le_matcher(bound: Decimal) -> (String, &'static str) {
    if bound.is_integer() {
        (format!("{bound}|{bound}[.]0"), "=~")
    } else {
        (bound.to_string(), "=")
    }
}

/// The series of one service in one environment.
#[derive(Debug, Clone)]
pub struct ServiceSeries<'a> {
    /// Metric names and labels.
    pub metrics: &'a SliMetrics,
    /// Service name.
    pub service: &'a str,
    /// Environment name.
    pub env: &'a str,
}

impl ServiceSeries<'_> {
    fn base(&self) -> Vec<(&str, &str, &str)> {
        vec![
            (SERVICE_LABEL, "=", self.service),
            (ENV_LABEL, "=", self.env),
        ]
    }

    /// `metric{service="…", env="…"}`.
    pub fn metric(&self, name: &str) -> String {
        format!("{name}{}", matchers(&self.base()))
    }

    /// All requests.
    pub fn requests(&self) -> String {
        self.metric(&self.metrics.requests)
    }

    /// Failed requests.
    pub fn errors(&self) -> String {
        let mut list = self.base();
        list.push((&self.metrics.status_label, "=~", &self.metrics.error_status));
        format!("{}{}", self.metrics.requests, matchers(&list))
    }

    /// The duration histogram's buckets (all of them).
    pub fn buckets(&self) -> String {
        self.metric(&format!("{}_bucket", self.metrics.duration))
    }

    /// The bucket of requests at most `bound` seconds long.
    pub fn bucket(&self, bound: Decimal) -> String {
        let (value, op) = le_matcher(bound);
        let mut list = self.base();
        list.push(("le", op, &value));
        format!("{}_bucket{}", self.metrics.duration, matchers(&list))
    }

    /// Requests the duration histogram counted.
    pub fn count(&self) -> String {
        self.metric(&format!("{}_count", self.metrics.duration))
    }

    /// Error ratio of an SLI over a window: failed requests (availability) or requests slower
    /// than the threshold (latency) over all requests. Several lines, for rule files.
    ///
    /// Only the availability side needs [`or_zero`]: a histogram child exports every bucket and
    /// its `_count` together from its first observation, so the threshold's bucket (E0320: one of
    /// `buckets`) exists exactly when the count does.
    pub fn error_ratio(&self, kind: SloKind, threshold: Option<Decimal>, window: &str) -> String {
        match (kind, threshold) {
            (SloKind::Latency, Some(bound)) => format!(
                "1 - (\n  sum(rate({}[{window}]))\n  /\n  sum(rate({}[{window}]))\n)",
                self.bucket(bound),
                self.count()
            ),
            _ => {
                let total = format!("sum(rate({}[{window}]))", self.requests());
                let errors = format!("sum(rate({}[{window}]))", self.errors());
                format!("{}\n/\n{total}", or_zero(&errors, &total))
            }
        }
    }

    /// Rate of bad events of an SLI (per second, over 5m); 0, not nothing, when there were
    /// requests but none failed (see [`or_zero`]).
    pub fn bad_rate(&self, kind: SloKind, threshold: Option<Decimal>) -> String {
        match (kind, threshold) {
            (SloKind::Latency, Some(bound)) => format!(
                "sum(rate({}[{RATE_WINDOW}])) - sum(rate({}[{RATE_WINDOW}]))",
                self.count(),
                self.bucket(bound)
            ),
            _ => or_zero(
                &format!("sum(rate({}[{RATE_WINDOW}]))", self.errors()),
                &self.total_rate(SloKind::Availability),
            ),
        }
    }

    /// Rate of all events of an SLI (per second, over 5m).
    pub fn total_rate(&self, kind: SloKind) -> String {
        match kind {
            SloKind::Latency => format!("sum(rate({}[{RATE_WINDOW}]))", self.count()),
            SloKind::Availability => format!("sum(rate({}[{RATE_WINDOW}]))", self.requests()),
        }
    }

    /// A latency quantile over 5m, e.g. `0.99`.
    pub fn quantile(&self, q: &str) -> String {
        format!(
            "histogram_quantile({q}, sum by (le) (rate({}[{RATE_WINDOW}])))",
            self.buckets()
        )
    }
}

/// Bad events, or 0 where there was traffic but no bad-event series: `(bad or 0 * total)`.
///
/// A client creates a status's series only with its first such request, so a service that never
/// failed has no error series, `sum()` over nothing is empty (not 0), and every ratio, burn rate
/// and budget built on it would be missing for exactly the healthiest services. `bad` and
/// `total` must aggregate to the same labels (both plain `sum`, or both `sum by (x)`): `or` then
/// matches on those labels and adds a 0 for each group with traffic but no errors, while a group
/// without traffic stays absent (no data, not "0 % errors"); `0 * total` keeps its labels, where
/// `vector(0)` would have none and would invent a 0 without any traffic.
pub fn or_zero(bad: &str, total: &str) -> String {
    format!("(\n  {bad}\n  or\n  0 * {total}\n)")
}

/// A recorded SLO series of one objective: `slo:…{service="…", slo="…", env="…"}`.
pub fn recorded(name: &str, service: &str, kind: SloKind, env: &str) -> String {
    format!(
        "{name}{}",
        matchers(&[
            (SERVICE_LABEL, "=", service),
            (SLO_LABEL, "=", kind.label()),
            (ENV_LABEL, "=", env),
        ])
    )
}

/// Name of the recorded error ratio over a window (Sloth's convention).
pub fn error_ratio_name(window: &str) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}

/// Recorded rate of bad events over 5m.
pub const BAD_RATE: &str = "slo:sli_bad:rate5m";
/// Recorded rate of all events over 5m.
pub const TOTAL_RATE: &str = "slo:sli_total:rate5m";
/// Recorded objective (a ratio).
pub const OBJECTIVE: &str = "slo:objective:ratio";
/// Recorded error budget (a ratio).
pub const ERROR_BUDGET: &str = "slo:error_budget:ratio";
/// Recorded burn rate over 5m.
pub const CURRENT_BURN_RATE: &str = "slo:current_burn_rate:ratio";
/// Recorded burn rate over the SLO window.
pub const PERIOD_BURN_RATE: &str = "slo:period_burn_rate:ratio";
/// Recorded share of the error budget left over the SLO window.
pub const BUDGET_REMAINING: &str = "slo:period_error_budget_remaining:ratio";

/// One line: for Markdown and dashboards, where a multi-line expression does not fit.
pub fn one_line(expr: &str) -> String {
    expr.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_rates_are_named_after_their_window() {
        assert!(BAD_RATE.ends_with(&format!("rate{RATE_WINDOW}")));
        assert!(TOTAL_RATE.ends_with(&format!("rate{RATE_WINDOW}")));
    }

    fn metrics() -> SliMetrics {
        SliMetrics {
            requests: "http_requests_total".to_owned(),
            status_label: "status".to_owned(),
            error_status: "5..".to_owned(),
            duration: "http_request_duration_seconds".to_owned(),
            buckets: vec![Decimal::new(5, 1), Decimal::int(1)],
        }
    }

    #[test]
    fn selectors_name_service_and_env() {
        let m = metrics();
        let s = ServiceSeries {
            metrics: &m,
            service: "api",
            env: "production",
        };
        assert_eq!(
            s.errors(),
            r#"http_requests_total{service="api", env="production", status=~"5.."}"#
        );
        assert_eq!(
            s.bucket(Decimal::new(5, 1)),
            r#"http_request_duration_seconds_bucket{service="api", env="production", le="0.5"}"#
        );
        assert!(s.bucket(Decimal::int(1)).contains(r#"le=~"1|1[.]0""#));
        assert_eq!(quote("a\"b\\"), r#""a\"b\\""#);
        assert_eq!(quote("é\nü\"\""), r#""é\nü\"\"""#);
        assert_eq!(
            matchers(&[("a", "=", "x\"y"), ("b", "=~", "ü|z")]),
            r#"{a="x\"y", b=~"ü|z"}"#
        );
        assert_eq!(matchers(&[]), "{}");
    }

    #[test]
    fn errors_are_zero_only_where_there_is_traffic() {
        let m = metrics();
        let s = ServiceSeries {
            metrics: &m,
            service: "api",
            env: "production",
        };
        let total = r#"sum(rate(http_requests_total{service="api", env="production"}[5m]))"#;
        let errors =
            r#"sum(rate(http_requests_total{service="api", env="production", status=~"5.."}[5m]))"#;
        assert_eq!(
            one_line(&s.error_ratio(SloKind::Availability, None, "5m")),
            format!("({errors} or 0 * {total}) / {total}")
        );
        assert_eq!(
            one_line(&s.bad_rate(SloKind::Availability, None)),
            format!("({errors} or 0 * {total})")
        );
        // The latency side reads a bucket that exists whenever the count does: left as it was.
        assert!(
            !s.error_ratio(SloKind::Latency, Some(Decimal::new(5, 1)), "5m")
                .contains(" or ")
        );
    }

    #[test]
    fn one_line_joins() {
        assert_eq!(one_line("1 - (\n  a\n  /\n  b\n)"), "1 - (a / b)");
    }
}
