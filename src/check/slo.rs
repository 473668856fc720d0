//! Rules on SLOs: an objective must be computable exactly from the metrics the service exposes.

use super::service_ptr;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::slo::{Decimal, duration_seconds, latency_text};
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
