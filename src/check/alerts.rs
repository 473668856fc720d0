//! Thresholds of the operational alerts that decide the alert's fate before any traffic: one the
//! series it compares can never cross never fires (a P99 at or above the histogram's largest
//! finite bucket, an error ratio above 100 %, a free share below 0 %), and one every running
//! Redis crosses always fires. (An SLO's latency threshold is a bucket, E0320, so requests above
//! it, even past the largest, count as slow: those objectives can always be violated.)

use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::slo::latency_text;
use crate::model::{Platform, PlatformSpec};

/// Where the thresholds are set.
const ALERTS: &str = "/observability/alerts";

/// Runs the operational-alert rules.
pub(super) fn check_alerts(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    let alerts = &spec.observability.alerts;
    check_latency(doc, spec, platform, out);
    // (whether the threshold decides the alert's fate, its key, its value, why, label, help)
    let fixed = [
        (
            alerts.error_rate >= 100.0,
            "error_rate",
            alerts.error_rate,
            "could never fire HighErrorRate: it fires when more than that percent of requests fail, and no more than 100 % can",
            "above every error ratio",
            "lower it below 100, e.g. the default `5`, the percent of requests failing over 5m",
        ),
        (
            alerts.db_pool_available <= 0.0,
            "db_pool_available",
            alerts.db_pool_available,
            "could never fire DatabaseConnectionPoolExhausted: it fires when less than that percent of the pool is free, and no less than 0 % can be",
            "below every free share",
            "raise it above 0, e.g. the default `10`, the percent of the pool still free",
        ),
        (
            alerts.redis_memory <= 0.0,
            "redis_memory",
            alerts.redis_memory,
            "fires RedisHighMemoryUsage whenever Redis runs: it fires above that percent of `maxmemory` in use, and a running Redis always uses some",
            "below every Redis' memory use",
            "raise it above 0, e.g. the default `90`, the percent of `maxmemory` in use",
        ),
    ];
    for (decided, key, value, why, label, help) in fixed {
        if decided {
            out.push(
                Diagnostic::error("E0336", format!("`{key} = {value}` {why}"))
                    .at(doc.span_of(&format!("{ALERTS}/{key}")))
                    .label(label)
                    .help(help),
            );
        }
    }
}

/// HighLatency compares `histogram_quantile(0.99, …)`, which never returns more than the
/// largest finite bucket: a request slower than that only lands in `+Inf`, and the quantile
/// is then that bucket's bound.
fn check_latency(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    let metrics = &platform.observability.metrics;
    let limit = platform.observability.alerts.latency_p99;
    let Some((largest, below)) = metrics.buckets.split_last() else {
        return;
    };
    if limit < *largest {
        return;
    }
    let written = &spec.observability.alerts.latency_p99;
    // Left at its default, the buckets made it unreachable: point at them.
    let latency_ptr = format!("{ALERTS}/latency_p99");
    let (setting, ptr) = if doc.has(&latency_ptr) {
        (format!("`latency_p99 = \"{written}\"`"), latency_ptr)
    } else {
        (
            format!("the default `latency_p99 = \"{written}\"`"),
            "/observability/metrics/buckets".to_owned(),
        )
    };
    let largest = latency_text(*largest);
    let lower = match below.last() {
        Some(bucket) => format!(
            "lower `latency_p99` below {largest}, e.g. `latency_p99 = \"{}\"`, or ",
            latency_text(*bucket)
        ),
        None => String::new(),
    };
    out.push(
        Diagnostic::error(
            "E0336",
            format!(
                "{setting} could never fire HighLatency: it is not below {largest}, the largest bucket of `{}`, and the P99 `histogram_quantile` computes never exceeds it",
                metrics.duration
            ),
        )
        .at(doc.span_of(&ptr))
        .label(format!("at or above the largest bucket, {largest}"))
        .help(format!(
            "a request slower than the largest bucket only counts in `+Inf`, so the P99 is at most {largest}: {lower}add a bucket above {written} to `[observability.metrics] buckets`, and to the services' histograms"
        )),
    );
}

#[cfg(test)]
mod tests {
    use crate::check::problems_with;

    /// Each E0336 of the small fixture with `observability` tables appended.
    fn with(observability: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        problems_with("E0336", format!("{fixture}\n{observability}"))
    }

    #[test]
    fn a_latency_threshold_at_or_above_the_largest_bucket_is_reported() {
        for latency in ["10s", "30s"] {
            let found = with(&format!(
                "[observability.alerts]\nlatency_p99 = \"{latency}\"\n"
            ));
            assert_eq!(found.len(), 1, "{latency}: {found:?}");
            assert_eq!(found[0].0, 33);
            assert_eq!(
                found[0].1,
                format!(
                    "`latency_p99 = \"{latency}\"` could never fire HighLatency: it is not below 10s, the largest bucket of `http_request_duration_seconds`, and the P99 `histogram_quantile` computes never exceeds it"
                )
            );
        }
        // Inside the largest bucket the P99 can exceed it.
        assert_eq!(with("[observability.alerts]\nlatency_p99 = \"9s\"\n"), []);
        let custom = "[observability.metrics]\nbuckets = [0.1, 0.3, 1.0, 3.0]\n";
        let found = with(&format!(
            "{custom}\n[observability.alerts]\nlatency_p99 = \"5s\"\n"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("not below 3s"), "{found:?}");
        // The default 1s, left unset, against buckets that end below it: at the buckets.
        let found = with("[observability.metrics]\nbuckets = [0.1, 0.25, 0.5]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 33);
        assert!(
            found[0]
                .1
                .starts_with("the default `latency_p99 = \"1s\"` could never fire"),
            "{found:?}"
        );
    }

    #[test]
    fn ratios_no_series_can_cross_are_reported() {
        let found = with("[observability.alerts]\nerror_rate = 100\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .starts_with("`error_rate = 100` could never fire HighErrorRate")
        );
        let found = with("[observability.alerts]\ndb_pool_available = 0\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .starts_with("`db_pool_available = 0` could never fire")
        );
        let found = with("[observability.alerts]\nredis_memory = 0\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("fires RedisHighMemoryUsage whenever Redis runs")
        );
        // The ends that can still fire: any error, a pool in use, Redis past `maxmemory`.
        let edges =
            "[observability.alerts]\nerror_rate = 0\ndb_pool_available = 100\nredis_memory = 100\n";
        assert_eq!(with(edges), []);
    }

    #[test]
    fn an_slo_latency_threshold_at_the_largest_bucket_can_be_violated() {
        // Requests above it count in `+Inf`: the SLI (bucket / count) falls below the target.
        let slo = "slo = { availability = 99.9, latency = { threshold = \"10s\", target = 99 } }\n";
        let text = crate::check::small_with(slo, "");
        assert_eq!(problems_with("E0320", text.clone()), []);
        assert_eq!(problems_with("E0336", text), []);
    }
}
