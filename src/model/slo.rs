//! SLO arithmetic in exact decimals: `99.9` percent is an objective of `0.999` and an error
//! budget of `0.001`, and 14.4 times that budget is `0.0144`, never `0.014400000000000001`.
//! Every threshold printed into a rule, a test or a dashboard comes from here.

mod decimal;

use serde::Serialize;

pub use decimal::Decimal;

/// A Prometheus duration (`500ms`, `5m`, `1h`, `30d`, `4w`) in seconds, exactly.
pub fn duration_seconds(text: &str) -> Option<Decimal> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let seconds: i64 = match unit {
        "ms" => return Decimal::parse(number).map(|n| n.shift(3)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    Decimal::parse(number).map(|n| n.times(Decimal::int(seconds)))
}

/// A latency for people and for `platform.toml`: `0.25` → `250ms`, `2.5` → `2.5s`.
pub fn latency_text(seconds: Decimal) -> String {
    if seconds < Decimal::int(1) {
        format!("{}ms", seconds.times(Decimal::int(1000)))
    } else {
        format!("{seconds}s")
    }
}

/// Platform-wide monitoring settings, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Observability {
    /// Base of every alert's `runbook_url` (no trailing `/`).
    pub runbook_base_url: String,
    /// Prometheus `scrape_interval`.
    pub scrape_interval: String,
    /// Prometheus `evaluation_interval`.
    pub evaluation_interval: String,
    /// The metrics SLIs, alerts and dashboards are computed from.
    pub metrics: SliMetrics,
    /// Enabled burn-rate tiers, fastest first.
    pub burn_tiers: Vec<BurnTier>,
    /// Thresholds of the operational alerts.
    pub alerts: AlertThresholds,
}

/// The request metrics of the services.
#[derive(Debug, Clone, Serialize)]
pub struct SliMetrics {
    /// Request counter.
    pub requests: String,
    /// Its status label.
    pub status_label: String,
    /// Regular expression of error statuses.
    pub error_status: String,
    /// Duration histogram base name.
    pub duration: String,
    /// Histogram bucket bounds in seconds, ascending.
    pub buckets: Vec<Decimal>,
}

/// One multiwindow burn-rate alert tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BurnTier {
    /// The `burn_tier` label: `page-1h`, `page-6h`, `ticket-1d`, `ticket-3d`.
    pub name: &'static str,
    /// `critical` (page) or `warning` (ticket).
    pub severity: &'static str,
    /// Percentage of the SLO window's error budget the tier fires on having spent in its long
    /// window (`2`: 2 % in an hour).
    pub budget_percent: Decimal,
    /// Burn rate (multiple of the error budget rate) above which it fires: the rate that
    /// spends `budget_percent` in `long`, `budget_percent / 100 × SLO window / long`. The constants are
    /// for a window of [`REFERENCE_WINDOW`]; [`BurnTier::over_window`] gives another's.
    pub factor: Decimal,
    /// Long window.
    pub long: &'static str,
    /// Short window.
    pub short: &'static str,
    /// `for` of the alert.
    pub pending: &'static str,
}

/// The SLO window the workbook's factors (and [`BURN_TIERS`]') are computed for.
pub const REFERENCE_WINDOW: &str = "30d";

/// Digits after the point of a factor scaled to another window (`1.3333` for 40 days' `ticket-3d`).
const FACTOR_PLACES: u32 = 4;

impl BurnTier {
    /// This tier for an SLO measured over `window`: the factor that spends the same share of
    /// that window's budget in the long window. The workbook's 14.4 is 2 % of a 30-day budget
    /// in an hour; over 7 days the same 2 % an hour is a burn rate of 3.36, and a page at 14.4
    /// would wait for 8.6 % of the budget to go. A factor is never below 1: a service burning
    /// at most its budget rate stays within its SLO, and an alert there would be noise (over 7
    /// days, 10 % of the budget in 3 days is a burn rate of 0.23). `None` when `window` is no
    /// duration.
    pub fn over_window(&self, window: &str) -> Option<BurnTier> {
        let window = duration_seconds(window)?;
        let long = duration_seconds(self.long)?;
        let factor = self
            .budget_percent
            .shift(2)
            .times(window)
            .divided_by(long, FACTOR_PLACES)?;
        Some(BurnTier {
            factor: factor.max(Decimal::int(1)),
            ..self.clone()
        })
    }
}

/// Every tier, fastest first (Google SRE workbook's windows, budget shares and, for a 30d
/// window, factors); `[observability.burn_tiers]` switches them on and off.
pub const BURN_TIERS: [BurnTier; 4] = [
    BurnTier {
        name: "page-1h",
        severity: "critical",
        budget_percent: Decimal::int(2),
        factor: Decimal::new(144, 1),
        long: "1h",
        short: "5m",
        pending: "2m",
    },
    BurnTier {
        name: "page-6h",
        severity: "critical",
        budget_percent: Decimal::int(5),
        factor: Decimal::int(6),
        long: "6h",
        short: "30m",
        pending: "15m",
    },
    BurnTier {
        name: "ticket-1d",
        severity: "warning",
        budget_percent: Decimal::int(10),
        factor: Decimal::int(3),
        long: "1d",
        short: "2h",
        pending: "1h",
    },
    BurnTier {
        name: "ticket-3d",
        severity: "warning",
        budget_percent: Decimal::int(10),
        factor: Decimal::int(1),
        long: "3d",
        short: "6h",
        pending: "3h",
    },
];

/// The windows every SLO's error ratio is recorded over.
pub const SLI_WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// The window of every current rate: the recorded bad and total event rates
/// (`slo:sli_bad:rate5m`), the operational alerts' error ratio and P99, and the dashboards.
pub const RATE_WINDOW: &str = "5m";

/// The shortest range any rule or dashboard takes a `rate(…[window])` over, in seconds: the
/// scrape and evaluation intervals are judged against it.
pub fn shortest_rate_window() -> (&'static str, Decimal) {
    SLI_WINDOWS
        .iter()
        .chain([&RATE_WINDOW])
        .filter_map(|w| Some((*w, duration_seconds(w)?)))
        .min_by(|a, b| a.1.cmp(&b.1))
        .unwrap_or((RATE_WINDOW, Decimal::int(300)))
}

/// Thresholds of the operational alerts.
#[derive(Debug, Clone, Serialize)]
pub struct AlertThresholds {
    /// HighErrorRate: error ratio.
    pub error_rate: Decimal,
    /// HighLatency: P99 in seconds.
    pub latency_p99: Decimal,
    /// PodRestarting: restarts per hour.
    pub pod_restarts: u32,
    /// DatabaseConnectionPoolExhausted: available ratio.
    pub db_pool_available: Decimal,
    /// RedisHighMemoryUsage: used ratio.
    pub redis_memory: Decimal,
    /// `for` of every operational alert.
    pub pending: String,
}

/// The SLOs of one service.
#[derive(Debug, Clone, Serialize)]
pub struct Slo {
    /// Window the objectives are measured over, e.g. `30d`.
    pub window: String,
    /// The enabled burn-rate tiers, fastest first, with their factors for `window`.
    pub burn_tiers: Vec<BurnTier>,
    /// Availability first, then latency when declared.
    pub objectives: Vec<Objective>,
}

/// What an objective measures; its name is the `slo` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SloKind {
    /// Share of requests that did not fail.
    Availability,
    /// Share of requests faster than a threshold.
    Latency,
}

impl SloKind {
    /// The `slo` label value.
    pub fn label(self) -> &'static str {
        match self {
            SloKind::Availability => "availability",
            SloKind::Latency => "latency",
        }
    }
}

/// One objective, in exact decimals.
#[derive(Debug, Clone, Serialize)]
pub struct Objective {
    /// Availability or latency.
    pub kind: SloKind,
    /// Target in percent, as written (`99.9`).
    pub target: Decimal,
    /// Target as a ratio (`0.999`).
    pub objective: Decimal,
    /// Error budget as a ratio (`0.001`).
    pub budget: Decimal,
    /// Latency threshold in seconds (latency objectives).
    pub threshold: Option<Decimal>,
    /// Latency threshold as written, e.g. `500ms`.
    pub threshold_text: Option<String>,
}

impl Objective {
    /// An objective from a percentage target; `None` when it is not a number below 100.
    pub fn new(kind: SloKind, target_percent: f64, threshold: Option<&str>) -> Option<Self> {
        let target = Decimal::from_f64(target_percent)?;
        let objective = target.shift(2);
        let budget = Decimal::int(1).minus(objective);
        if !budget.is_positive() {
            return None;
        }
        Some(Self {
            kind,
            target,
            objective,
            budget,
            threshold: match threshold {
                Some(text) => Some(duration_seconds(text)?),
                None => None,
            },
            threshold_text: threshold.map(str::to_owned),
        })
    }

    /// The error ratio above which a tier fires: `factor × budget`, exact.
    pub fn burn_threshold(&self, tier: &BurnTier) -> Decimal {
        tier.factor.times(self.budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).expect("decimal")
    }

    #[test]
    fn budgets_and_thresholds_are_exact() {
        let objective = Decimal::from_f64(99.9).unwrap().shift(2);
        assert_eq!(objective.to_string(), "0.999");
        let budget = Decimal::int(1).minus(objective);
        assert_eq!(budget.to_string(), "0.001");
        assert_eq!(budget.times(d("14.4")).to_string(), "0.0144");
        assert_eq!(budget.times(d("6")).to_string(), "0.006");
        let fine = Decimal::int(1).minus(Decimal::from_f64(99.95).unwrap().shift(2));
        assert_eq!(fine.to_string(), "0.0005");
        assert_eq!(Decimal::from_f64(99.0).unwrap().to_string(), "99");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("500ms").unwrap().to_string(), "0.5");
        assert_eq!(duration_seconds("1.5s").unwrap().to_string(), "1.5");
        assert_eq!(duration_seconds("30d").unwrap().to_string(), "2592000");
        assert!(duration_seconds("5x").is_none());
        assert_eq!(latency_text(d("0.25")), "250ms");
        assert_eq!(latency_text(d("2.5")), "2.5s");
    }

    #[test]
    fn burn_factors_scale_with_the_slo_window() {
        let factors = |window: &str| -> Vec<String> {
            BURN_TIERS
                .iter()
                .map(|t| {
                    t.over_window(window)
                        .expect("a duration")
                        .factor
                        .to_string()
                })
                .collect()
        };
        // The constants are the reference window's, exactly.
        let reference: Vec<String> = BURN_TIERS.iter().map(|t| t.factor.to_string()).collect();
        assert_eq!(factors(REFERENCE_WINDOW), reference);
        assert_eq!(factors("30d"), ["14.4", "6", "3", "1"]);
        assert_eq!(factors("28d"), ["13.44", "5.6", "2.8", "1"]);
        assert_eq!(factors("4w"), factors("28d"));
        assert_eq!(factors("14d"), ["6.72", "2.8", "1.4", "1"]);
        // Never below the budget rate itself.
        assert_eq!(factors("7d"), ["3.36", "1.4", "1", "1"]);
        assert_eq!(factors("4d"), ["1.92", "1", "1", "1"]);
        // Rounded to four places where it does not end.
        assert_eq!(factors("40d"), ["19.2", "8", "4", "1.3333"]);
        assert_eq!(factors("90d"), ["43.2", "18", "9", "3"]);
        assert!(BURN_TIERS[0].over_window("soon").is_none());
    }
}
