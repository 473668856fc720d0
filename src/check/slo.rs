//! Rules on SLOs: an objective must be computable exactly from the metrics the service exposes.

use super::service_ptr;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::slo::{Decimal, SloKind, duration_seconds, latency_text};
use crate::model::spec::ServiceKind;
use crate::model::{Platform, PlatformSpec};

/// The longest burn-rate window: an SLO window must be longer.
const LONGEST_BURN_WINDOW: &str = "3d";

/// Runs the SLO rules.
pub fn check_slos(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    let buckets = &platform.observability.metrics.buckets;
    let longest = duration_seconds(LONGEST_BURN_WINDOW).unwrap_or(Decimal::int(0));
    for (name, service) in &spec.services {
        let Some(slo) = &service.slo else { continue };
        let base = format!("{}/slo", service_ptr(name));
        if service.kind == ServiceKind::Worker {
            out.push(
                Diagnostic::error("E0321", format!("worker `{name}` has an `slo`"))
                    .at(doc.key_span_of(&base))
                    .label("no HTTP requests to measure")
                    .help("SLOs are computed from the request metrics web services expose; remove `slo`, or make the service `kind = \"web\"`"),
            );
        }
        check_reachable(doc, platform, name, service, &base, out);
        if duration_seconds(&slo.window).is_some_and(|w| w <= longest) {
            out.push(
                Diagnostic::error(
                    "E0322",
                    format!("SLO window `{}` of `{name}` is not longer than the {LONGEST_BURN_WINDOW} burn-rate window", slo.window),
                )
                .at(doc.span_of(&format!("{base}/window")))
                .help("use a window of a week or more, e.g. `30d` (the default) or `28d`"),
            );
        }
        let Some(latency) = &slo.latency else {
            continue;
        };
        let Some(threshold) = duration_seconds(&latency.threshold) else {
            continue;
        };
        if buckets.contains(&threshold) {
            continue;
        }
        let closest = buckets.iter().min_by(|a, b| {
            let distance = |d: &Decimal| (d.to_f64() - threshold.to_f64()).abs();
            distance(a).total_cmp(&distance(b))
        });
        let list: Vec<String> = buckets.iter().map(|b| latency_text(*b)).collect();
        let help = match closest {
            Some(bucket) => format!(
                "use the closest bucket, `threshold = \"{}\"`, or add {} to `[observability.metrics] buckets` (and to the service's histogram); buckets: {}",
                latency_text(*bucket),
                threshold,
                list.join(", ")
            ),
            None => {
                "declare the histogram's buckets in `[observability.metrics] buckets`".to_owned()
            }
        };
        out.push(
            Diagnostic::error(
                "E0320",
                format!(
                    "latency threshold `{}` of `{name}` is not a bucket of the `{}` histogram",
                    latency.threshold, platform.observability.metrics.duration
                ),
            )
            .at(doc.span_of(&format!("{base}/latency/threshold")))
            .label("not a bucket bound")
            .help(format!(
                "the share of requests under it cannot be computed exactly; {help}"
            )),
        );
    }
}

/// A burn-rate tier fires above `factor × budget`; a target so low that this is 100 % or more
/// gives an alert that can never fire, even in a total outage (and a rule test that needs more
/// errors than requests).
fn check_reachable(
    doc: &Document,
    platform: &Platform,
    name: &str,
    service: &crate::model::spec::ServiceSpec,
    base: &str,
    out: &mut Vec<Diagnostic>,
) {
    // The objectives as resolve computes them (one it cannot compute is reported elsewhere).
    let Some(slo) = crate::resolve::resolve_slo(service, &platform.observability.burn_tiers) else {
        return;
    };
    let window = &slo.window;
    for objective in &slo.objectives {
        let (ptr, what) = match objective.kind {
            SloKind::Availability => (format!("{base}/availability"), "availability"),
            SloKind::Latency => (format!("{base}/latency/target"), "latency target"),
        };
        let unreachable: Vec<_> = slo
            .burn_tiers
            .iter()
            .filter(|tier| objective.burn_threshold(tier) >= Decimal::int(1))
            .collect();
        let Some(fastest) = unreachable.first() else {
            continue;
        };
        let names: Vec<&str> = unreachable.iter().map(|t| t.name).collect();
        let (alerts, needs) = if names.len() == 1 {
            ("alert", "it would need")
        } else {
            ("alerts", "the fastest would need")
        };
        // The target must leave a budget below 1 / factor of the fastest tier still on: the
        // least target of two decimals strictly above that bound.
        let bound = 100.0 * (1.0 - 1.0 / fastest.factor.to_f64());
        let least = (bound * 100.0).floor() / 100.0 + 0.01;
        out.push(
            Diagnostic::error(
                "E0336",
                format!(
                    "{what} {}% of `{name}` leaves a budget so large that its `{}` {alerts} could never fire: {needs} an error ratio above {} ({}× the budget over {window})",
                    objective.target,
                    names.join("`, `"),
                    objective.burn_threshold(fastest),
                    fastest.factor,
                ),
            )
            .at(doc.span_of(&ptr))
            .label("burn-rate alerts fire above factor × budget, and no more than 100 % of requests fail")
            .help(format!(
                "raise it to at least {least:.2}%, measure it over a shorter `window` (the burn factors scale with it), or switch those tiers off in `[observability.burn_tiers]`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::problems_with;

    fn with_slo(slo: &str, extra: &str) -> String {
        crate::check::small_with(&format!("slo = {slo}\n"), extra)
    }

    #[test]
    fn a_target_whose_fastest_alert_cannot_fire_is_reported() {
        let found = problems_with("E0336", with_slo("{ availability = 90 }", ""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.contains("`page-1h` alert could never fire"),
            "{found:?}"
        );
        assert!(
            found[0]
                .1
                .ends_with("above 1.44 (14.4× the budget over 30d)"),
            "{found:?}"
        );
        // Below 83.34 % the 6h tier cannot fire either.
        let found = problems_with("E0336", with_slo("{ availability = 80 }", ""));
        assert!(
            found[0]
                .1
                .contains("`page-1h`, `page-6h` alerts could never fire: the fastest would need an error ratio above 2.88 (14.4×"),
            "{found:?}"
        );
        // The least target the help names works; a hundredth less does not.
        assert_eq!(
            problems_with("E0336", with_slo("{ availability = 93.06 }", "")),
            []
        );
        assert_eq!(
            problems_with("E0336", with_slo("{ availability = 93.05 }", "")).len(),
            1
        );
        // The latency objective is judged the same way.
        let latency = "{ availability = 99.9, latency = { threshold = \"250ms\", target = 93 } }";
        let found = problems_with("E0336", with_slo(latency, ""));
        assert!(found[0].1.starts_with("latency target 93%"), "{found:?}");
        // With the fast tiers switched off, a low target is the user's choice.
        let off = "\n[observability.burn_tiers]\npage_1h = false\npage_6h = false\n";
        assert_eq!(
            problems_with("E0336", with_slo("{ availability = 80 }", off)),
            []
        );
    }

    #[test]
    fn the_reachable_target_follows_the_factors_of_the_slo_window() {
        // Over 7d `page-1h` fires at 3.36 × the budget: 75 % leaves it reachable (0.84).
        assert_eq!(
            problems_with(
                "E0336",
                with_slo("{ availability = 75, window = \"7d\" }", "")
            ),
            []
        );
        let found = problems_with(
            "E0336",
            with_slo("{ availability = 70, window = \"7d\" }", ""),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .ends_with("above 1.008 (3.36× the budget over 7d)"),
            "{found:?}"
        );
        // Over 90d it fires at 43.2 × the budget: 97.6 % is too low (43.2 × 0.024 ≥ 1).
        let found = problems_with(
            "E0336",
            with_slo("{ availability = 97.6, window = \"90d\" }", ""),
        );
        assert!(found[0].1.contains("above 1.0368 (43.2×"), "{found:?}");
    }
}
