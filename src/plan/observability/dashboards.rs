//! Grafana dashboards of a service and of an environment. Every query comes from
//! [`super::promql`], the same definitions the rules use, so a dashboard and an alert can never
//! look at different series.

use serde_json::{Value, json};

use super::grafana::{Dashboard, Layout, Look, Query, SIZE_STAT, SIZE_TIMESERIES, dashboard, uid};
use super::promql::{
    self, BUDGET_REMAINING, ENV_LABEL, ERROR_BUDGET, SERVICE_LABEL, ServiceSeries,
    error_ratio_name, one_line,
};
use crate::model::slo::{Objective, RATE_WINDOW};
use crate::model::{Platform, ResolvedEnv, ResolvedService};

fn slo_panels(
    layout: &mut Layout,
    env: &ResolvedEnv,
    service: &ResolvedService,
    window: &str,
    objective: &Objective,
) {
    let label = objective.kind.label();
    let rec = |name: &str| promql::recorded(name, &service.name, objective.kind, &env.name);
    let title = format!("{}{}", label[..1].to_uppercase(), &label[1..]);
    layout.panel(
        "stat",
        SIZE_STAT,
        &format!("{title} SLO compliance ({window})"),
        &format!(
            "Share of good events over {window}; the objective is {}%.",
            objective.target
        ),
        vec![Query::new(
            format!("1 - {}", rec(&error_ratio_name(window))),
            label,
        )],
        Look {
            unit: "percentunit",
            base: "red",
            steps: vec![(objective.objective, "green")],
            min: None,
            max: Some(1.0),
        },
    );
    layout.panel(
        "stat",
        SIZE_STAT,
        &format!("{title} error budget remaining"),
        &format!(
            "Share of the {window} error budget ({}) not yet spent.",
            super::rules::percent(objective.budget)
        ),
        vec![Query::new(rec(BUDGET_REMAINING), label)],
        Look::budget_remaining(),
    );
}

/// The dashboard of one service that serves metrics.
pub fn service_dashboard(
    platform: &Platform,
    env: &ResolvedEnv,
    service: &ResolvedService,
) -> Dashboard {
    let metrics = &platform.observability.metrics;
    let series = ServiceSeries {
        metrics,
        service: &service.name,
        env: &env.name,
    };
    let mut layout = Layout::default();
    if let Some(slo) = &service.slo {
        layout.row("Service level objectives");
        for objective in &slo.objectives {
            slo_panels(&mut layout, env, service, &slo.window, objective);
        }
        let scope = promql::matchers(&[
            (SERVICE_LABEL, "=", &service.name),
            (ENV_LABEL, "=", &env.name),
        ]);
        let burn: Vec<Query> = slo
            .burn_tiers
            .iter()
            .map(|tier| {
                let expr = format!(
                    "{}{scope} / {ERROR_BUDGET}{scope}",
                    error_ratio_name(tier.long)
                );
                Query::new(expr, format!("{{{{slo}}}} {}", tier.long))
            })
            .collect();
        if !burn.is_empty() {
            layout.panel(
                "timeseries",
                (24, 8),
                "Error budget burn rate",
                "Error ratio over each alert tier's long window, as a multiple of the error budget rate (1 spends exactly the budget over the SLO window). Lines: the page thresholds.",
                burn,
                Look {
                    unit: "short",
                    base: "green",
                    steps: slo
                        .burn_tiers
                        .iter()
                        .filter(|t| t.severity == "critical")
                        .map(|t| (t.factor, "red"))
                        .collect(),
                    min: Some(0.0),
                    max: None,
                },
            );
        }
    }
    layout.row("Traffic");
    layout.panel(
        "timeseries",
        (9, 8),
        "Request rate",
        "Requests per second over 5m, by status.",
        vec![Query::new(
            format!(
                "sum by ({}) (rate({}[{RATE_WINDOW}]))",
                metrics.status_label,
                series.requests()
            ),
            format!("{{{{{}}}}}", metrics.status_label),
        )],
        Look::unit("reqps"),
    );
    layout.panel(
        "stat",
        (6, 8),
        "Error rate",
        &format!(
            "Share of requests with status {} over 5m (HighErrorRate fires above {}).",
            metrics.error_status,
            super::rules::percent(platform.observability.alerts.error_rate)
        ),
        vec![Query::new(
            one_line(&series.error_ratio(
                crate::model::slo::SloKind::Availability,
                None,
                RATE_WINDOW,
            )),
            "error rate",
        )],
        Look::alert_above("percentunit", platform.observability.alerts.error_rate),
    );
    layout.panel(
        "timeseries",
        (9, 8),
        "Response time (P50, P90, P99)",
        "Request duration quantiles over 5m from the duration histogram.",
        vec![
            Query::new(series.quantile("0.50"), "P50"),
            Query::new(series.quantile("0.90"), "P90"),
            Query::new(series.quantile("0.99"), "P99"),
        ],
        Look::alert_above("s", platform.observability.alerts.latency_p99),
    );
    dashboard(
        platform,
        env,
        uid(&[&platform.name, &env.name, &service.name]),
        format!("{} ({})", service.name, env.name),
        vec![overview_link(platform, env)],
        layout.panels,
    )
}

fn overview_link(platform: &Platform, env: &ResolvedEnv) -> Value {
    json!({
        "title": format!("{} dashboards ({})", platform.name, env.name),
        "type": "dashboards",
        "tags": ["platgen", platform.name, env.name],
        "asDropdown": true,
        "includeVars": true,
        "keepTime": true,
        "targetBlank": false,
        "icon": "external link",
        "tooltip": "",
    })
}

/// The overview of every service of an environment.
pub fn overview_dashboard(platform: &Platform, env: &ResolvedEnv) -> Dashboard {
    let metrics = &platform.observability.metrics;
    let scope = promql::matchers(&[(ENV_LABEL, "=", &env.name)]);
    let errors = promql::matchers(&[
        (ENV_LABEL, "=", &env.name),
        (&metrics.status_label, "=~", &metrics.error_status),
    ]);
    let requests = &metrics.requests;
    let mut layout = Layout::default();
    layout.row("Services");
    layout.panel(
        "timeseries",
        SIZE_TIMESERIES,
        "Request rate by service",
        "Requests per second over 5m.",
        vec![Query::new(
            format!("sum by ({SERVICE_LABEL}) (rate({requests}{scope}[{RATE_WINDOW}]))"),
            "{{service}}",
        )],
        Look::unit("reqps"),
    );
    layout.panel(
        "timeseries",
        SIZE_TIMESERIES,
        "Error rate by service",
        &format!(
            "Share of requests with status {} over 5m.",
            metrics.error_status
        ),
        vec![Query::new(
            {
                let total =
                    format!("sum by ({SERVICE_LABEL}) (rate({requests}{scope}[{RATE_WINDOW}]))");
                let bad =
                    format!("sum by ({SERVICE_LABEL}) (rate({requests}{errors}[{RATE_WINDOW}]))");
                // Per service: 0 for a service with traffic but no error series yet.
                one_line(&format!("{} / {total}", promql::or_zero(&bad, &total)))
            },
            "{{service}}",
        )],
        Look::alert_above("percentunit", platform.observability.alerts.error_rate),
    );
    layout.panel(
        "timeseries",
        SIZE_TIMESERIES,
        "P99 latency by service",
        "99th percentile request duration over 5m.",
        vec![Query::new(
            format!("histogram_quantile(0.99, sum by ({SERVICE_LABEL}, le) (rate({}_bucket{scope}[{RATE_WINDOW}])))", metrics.duration),
            "{{service}}",
        )],
        Look::alert_above("s", platform.observability.alerts.latency_p99),
    );
    if env
        .services
        .iter()
        .any(|s| s.slo.is_some() && s.metrics.is_some())
    {
        layout.panel(
            "timeseries",
            SIZE_TIMESERIES,
            "SLO burn rate (1h)",
            "Error ratio over 1h as a multiple of each SLO's error budget rate.",
            vec![Query::new(
                format!("{}{scope} / {ERROR_BUDGET}{scope}", error_ratio_name("1h")),
                "{{service}} {{slo}}",
            )],
            Look::unit("short"),
        );
        layout.row("Error budgets");
        layout.panel(
            "stat",
            (24, 6),
            "Error budget remaining",
            "Share of each SLO's error budget not yet spent over its window.",
            vec![Query::new(
                format!("{BUDGET_REMAINING}{scope}"),
                "{{service}} {{slo}}",
            )],
            Look::budget_remaining(),
        );
    }
    dashboard(
        platform,
        env,
        uid(&[&platform.name, &env.name]),
        format!("{} overview ({})", platform.name, env.name),
        vec![overview_link(platform, env)],
        layout.panels,
    )
}
