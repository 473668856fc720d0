//! Monitoring settings and SLOs resolved into exact decimals.

use crate::model::PlatformSpec;
use crate::model::slo::{
    AlertThresholds, BURN_TIERS, BurnTier, Decimal, Objective, Observability, SliMetrics, Slo,
    SloKind, duration_seconds,
};
use crate::model::spec::{ServiceSpec, SloSpec};

/// A percentage as an exact ratio (`5` → `0.05`); out-of-range input is left to the schema.
fn ratio(percent: f64) -> Decimal {
    Decimal::from_f64(percent)
        .unwrap_or(Decimal::int(0))
        .shift(2)
}

/// The burn-rate tiers `[observability.burn_tiers]` leaves on, fastest first, with the
/// factors of a [`REFERENCE_WINDOW`](crate::model::slo::REFERENCE_WINDOW) SLO.
pub fn enabled_burn_tiers(spec: &PlatformSpec) -> Vec<BurnTier> {
    let tiers = &spec.observability.burn_tiers;
    let enabled = [
        tiers.page_1h,
        tiers.page_6h,
        tiers.ticket_1d,
        tiers.ticket_3d,
    ];
    BURN_TIERS
        .iter()
        .zip(enabled)
        .filter(|(_, on)| *on)
        .map(|(tier, _)| tier.clone())
        .collect()
}

/// The platform-wide monitoring settings.
pub fn resolve_observability(spec: &PlatformSpec) -> Observability {
    let obs = &spec.observability;
    let mut buckets: Vec<Decimal> = obs
        .metrics
        .buckets
        .iter()
        .filter_map(|b| Decimal::from_f64(*b))
        .collect();
    buckets.sort();
    buckets.dedup();
    let output_dir = spec.platform.output_dir.trim_end_matches('/');
    Observability {
        runbook_base_url: obs
            .runbook_base_url
            .as_deref()
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("{output_dir}/docs/runbooks")),
        scrape_interval: obs.scrape_interval.clone(),
        evaluation_interval: obs.evaluation_interval.clone(),
        metrics: SliMetrics {
            requests: obs.metrics.requests.clone(),
            status_label: obs.metrics.status_label.clone(),
            error_status: obs.metrics.error_status.clone(),
            duration: obs.metrics.duration.clone(),
            buckets,
        },
        burn_tiers: enabled_burn_tiers(spec),
        alerts: AlertThresholds {
            error_rate: ratio(obs.alerts.error_rate),
            latency_p99: duration_seconds(&obs.alerts.latency_p99).unwrap_or(Decimal::int(1)),
            pod_restarts: obs.alerts.pod_restarts,
            db_pool_available: ratio(obs.alerts.db_pool_available),
            redis_memory: ratio(obs.alerts.redis_memory),
            pending: obs.alerts.pending.clone(),
        },
    }
}

/// A service's SLOs, with `tiers` (the enabled ones, for the reference window) scaled to its
/// window; objectives that cannot be computed are left out (the schema and the check stage
/// report why).
pub fn resolve_slo(service: &ServiceSpec, tiers: &[BurnTier]) -> Option<Slo> {
    let spec: &SloSpec = service.slo.as_ref()?;
    let mut objectives = vec![Objective::new(
        SloKind::Availability,
        spec.availability,
        None,
    )?];
    if let Some(latency) = &spec.latency
        && let Some(objective) =
            Objective::new(SloKind::Latency, latency.target, Some(&latency.threshold))
    {
        objectives.push(objective);
    }
    Some(Slo {
        window: spec.window.clone(),
        burn_tiers: tiers
            .iter()
            .map(|tier| {
                tier.over_window(&spec.window)
                    .unwrap_or_else(|| tier.clone())
            })
            .collect(),
        objectives,
    })
}
