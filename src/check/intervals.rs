//! Prometheus' intervals against the windows the rules take rates over: `rate(x[w])` needs at
//! least two samples in `w` to return anything, and Prometheus' guidance is a range of at
//! least four scrape intervals, so one missed scrape does not blank it. A scrape interval
//! coarser than that leaves the shortest window with too few samples, and every rule on it,
//! every alert, stays silent. The rules are recorded every evaluation interval; evaluated less
//! often than the shortest window, the recorded rates skip whole windows of traffic.

use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::PlatformSpec;
use crate::model::slo::{Decimal, duration_seconds, shortest_rate_window};

/// Scrapes a rate window must span at least (Prometheus' guidance; Grafana's
/// `$__rate_interval` is four scrape intervals too).
pub const SCRAPES_PER_WINDOW: i64 = 4;

/// A number of seconds as a duration: `75s`, `0.5s`.
fn seconds_text(seconds: Decimal) -> String {
    format!("{seconds}s")
}

/// Runs the interval rules.
pub fn check_intervals(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let (window, window_seconds) = shortest_rate_window();
    let observability = &spec.observability;
    let longest_scrape = window_seconds.times(Decimal::new(25, 2));
    if let Some(scrape) = duration_seconds(&observability.scrape_interval)
        && scrape.times(Decimal::int(SCRAPES_PER_WINDOW)) > window_seconds
    {
        out.push(
            Diagnostic::error(
                "E0335",
                format!(
                    "`scrape_interval = \"{}\"` is too coarse for the rules' shortest rate window, {window}: a rate needs at least {SCRAPES_PER_WINDOW} scrapes in its window",
                    observability.scrape_interval
                ),
            )
            .at(doc.span_of("/observability/scrape_interval"))
            .label(format!("at most {}", seconds_text(longest_scrape)))
            .help(format!(
                "scrape at least every {} ({window} / {SCRAPES_PER_WINDOW}), e.g. the default `15s`: with fewer than 2 samples in {window}, `rate(…[{window}])` returns nothing and the alerts on it never fire",
                seconds_text(longest_scrape)
            )),
        );
    }
    if let Some(evaluation) = duration_seconds(&observability.evaluation_interval)
        && evaluation > window_seconds
    {
        out.push(
            Diagnostic::error(
                "E0335",
                format!(
                    "`evaluation_interval = \"{}\"` is longer than the rules' shortest rate window, {window}",
                    observability.evaluation_interval
                ),
            )
            .at(doc.span_of("/observability/evaluation_interval"))
            .label(format!("at most {window}"))
            .help(format!(
                "evaluate at least every {window}, e.g. the default `15s`: the recorded {window} rates would skip the traffic between evaluations, and an alert's `for` is counted in evaluations"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::problems_with;

    fn with(observability: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        problems_with(
            "E0335",
            format!("{fixture}\n[observability]\n{observability}"),
        )
    }

    #[test]
    fn the_limit_comes_from_the_shortest_rate_window() {
        let (window, seconds) = crate::model::slo::shortest_rate_window();
        assert_eq!((window, seconds.to_string().as_str()), ("5m", "300"));
        // 5m / 4 = 75s: just at and just over it.
        assert_eq!(with("scrape_interval = \"75s\"\n"), []);
        let found = with("scrape_interval = \"76s\"\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 33);
        assert!(found[0].1.starts_with(
            "`scrape_interval = \"76s\"` is too coarse for the rules' shortest rate window, 5m"
        ));
        assert_eq!(with("scrape_interval = \"10m\"\n").len(), 1);
        assert_eq!(with("scrape_interval = \"500ms\"\n"), []);
    }

    #[test]
    fn an_evaluation_interval_longer_than_the_window_is_reported() {
        assert_eq!(with("evaluation_interval = \"5m\"\n"), []);
        let found = with("evaluation_interval = \"6m\"\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("is longer than the rules' shortest rate window, 5m")
        );
    }
}
