//! The Grafana dashboard model: typed, serialised to the bare dashboard JSON that file
//! provisioning loads, with a simple left-to-right layout.

use serde::Serialize;
use serde_json::{Value, json};

use crate::model::slo::Decimal;
use crate::model::{Platform, ResolvedEnv};
use crate::render::GENERATED;

/// `schemaVersion` of the dashboard model in the pinned `@grafana/schema`.
pub const SCHEMA_VERSION: u32 = 42;
/// Name of the Prometheus data source variable.
const DATASOURCE_VAR: &str = "datasource";
/// Width and height of a stat panel.
pub(super) const SIZE_STAT: (u32, u32) = (6, 5);
/// Width and height of a time series panel (two side by side).
pub(super) const SIZE_TIMESERIES: (u32, u32) = (12, 8);
/// Grafana allows uids of at most this many characters.
const MAX_UID: usize = 40;

/// A dashboard (the bare model, not the HTTP API's `{"dashboard": …}` envelope).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    uid: String,
    title: String,
    description: String,
    tags: Vec<String>,
    timezone: &'static str,
    editable: bool,
    graph_tooltip: u8,
    time: TimeRange,
    refresh: &'static str,
    schema_version: u32,
    templating: Templating,
    links: Vec<Value>,
    panels: Vec<Panel>,
}

#[derive(Debug, Clone, Serialize)]
struct TimeRange {
    from: &'static str,
    to: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct Templating {
    list: Vec<Value>,
}

#[derive(Debug, Clone, Serialize)]
struct DataSourceRef {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: String,
}

fn datasource() -> DataSourceRef {
    DataSourceRef {
        kind: "prometheus",
        uid: format!("${{{DATASOURCE_VAR}}}"),
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    ref_id: String,
    datasource: DataSourceRef,
    expr: String,
    legend_format: String,
    range: bool,
}

/// A panel or a row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Panel {
    id: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    grid_pos: GridPos,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<DataSourceRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    targets: Vec<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Value>,
    // Rows only.
    #[serde(skip_serializing_if = "Option::is_none")]
    collapsed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    panels: Option<Vec<Panel>>,
}

/// One query of a panel: expression and legend.
pub(super) struct Query(pub String, pub String);

impl Query {
    /// A query and its legend.
    pub fn new(expr: String, legend: impl Into<String>) -> Self {
        Self(expr, legend.into())
    }
}

/// How a panel shows its numbers.
pub(super) struct Look {
    pub unit: &'static str,
    /// Colour below the first step.
    pub base: &'static str,
    /// Threshold steps above the base (value, colour).
    pub steps: Vec<(Decimal, &'static str)>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Look {
    pub fn unit(unit: &'static str) -> Self {
        Self {
            unit,
            base: "green",
            steps: Vec::new(),
            min: None,
            max: None,
        }
    }

    /// A non-negative quantity that turns red where its alert fires.
    pub fn alert_above(unit: &'static str, threshold: Decimal) -> Self {
        Self {
            steps: vec![(threshold, "red")],
            min: Some(0.0),
            ..Self::unit(unit)
        }
    }

    /// Error budget remaining: red when spent, orange below a quarter, green above.
    pub fn budget_remaining() -> Self {
        Self {
            unit: "percentunit",
            base: "red",
            steps: vec![(Decimal::int(0), "orange"), (Decimal::new(25, 2), "green")],
            min: None,
            max: Some(1.0),
        }
    }
}

/// Lays panels out left to right in rows of 24 columns.
#[derive(Default)]
pub(super) struct Layout {
    pub panels: Vec<Panel>,
    x: u32,
    y: u32,
    row_height: u32,
}

impl Layout {
    fn next_id(&self) -> u32 {
        u32::try_from(self.panels.len()).unwrap_or(u32::MAX) + 1
    }

    fn place(&mut self, w: u32, h: u32) -> GridPos {
        if self.x + w > 24 {
            self.y += self.row_height;
            self.x = 0;
            self.row_height = 0;
        }
        let pos = GridPos {
            h,
            w,
            x: self.x,
            y: self.y,
        };
        self.x += w;
        self.row_height = self.row_height.max(h);
        pos
    }

    pub fn row(&mut self, title: &str) {
        if self.x > 0 {
            self.y += self.row_height;
        }
        self.x = 0;
        self.row_height = 0;
        let id = self.next_id();
        let grid_pos = self.place(24, 1);
        self.x = 24;
        self.panels.push(Panel {
            id,
            kind: "row",
            title: title.to_owned(),
            grid_pos,
            description: None,
            datasource: None,
            targets: Vec::new(),
            field_config: None,
            options: None,
            collapsed: Some(false),
            panels: Some(Vec::new()),
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub fn panel(
        &mut self,
        kind: &'static str,
        (w, h): (u32, u32),
        title: &str,
        description: &str,
        queries: Vec<Query>,
        look: Look,
    ) {
        let id = self.next_id();
        let grid_pos = self.place(w, h);
        let targets = queries
            .into_iter()
            .enumerate()
            .map(|(i, Query(expr, legend))| Target {
                ref_id: ((b'A' + u8::try_from(i).unwrap_or(25).min(25)) as char).to_string(),
                datasource: datasource(),
                expr,
                legend_format: legend,
                range: true,
            })
            .collect();
        let mut steps = vec![json!({ "color": look.base, "value": null })];
        steps.extend(
            look.steps
                .iter()
                .map(|(value, color)| json!({ "color": color, "value": value.to_f64() })),
        );
        let mut defaults = json!({
            "unit": look.unit,
            "color": { "mode": if kind == "stat" { "thresholds" } else { "palette-classic" } },
            "thresholds": { "mode": "absolute", "steps": steps },
        });
        if let Some(min) = look.min {
            defaults["min"] = json!(min);
        }
        if let Some(max) = look.max {
            defaults["max"] = json!(max);
        }
        if kind == "timeseries" && !look.steps.is_empty() {
            defaults["custom"] = json!({ "thresholdsStyle": { "mode": "line" } });
        }
        let options = if kind == "stat" {
            json!({
                "reduceOptions": { "calcs": ["lastNotNull"], "fields": "", "values": false },
                "colorMode": "value",
                "graphMode": "area",
                "textMode": "auto",
            })
        } else {
            json!({
                "legend": { "displayMode": "list", "placement": "bottom", "showLegend": true },
                "tooltip": { "mode": "multi", "sort": "desc" },
            })
        };
        self.panels.push(Panel {
            id,
            kind,
            title: title.to_owned(),
            grid_pos,
            description: Some(description.to_owned()),
            datasource: Some(datasource()),
            targets,
            field_config: Some(json!({ "defaults": defaults, "overrides": [] })),
            options: Some(options),
            collapsed: None,
            panels: None,
        });
    }
}

/// A uid from the platform, environment and (for a service dashboard) service: `_` joins the
/// parts (names never contain one, so no two dashboards share a uid); past 40 characters a
/// hash of the whole keeps it unique.
pub fn uid(parts: &[&str]) -> String {
    let full = parts.join("_");
    if full.len() <= MAX_UID {
        return full;
    }
    let digest = crate::output::manifest::sha256(full.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let keep = MAX_UID - hash.len() - 1;
    let prefix: String = full.chars().take(keep).collect();
    format!("{prefix}_{hash}")
}

pub(super) fn dashboard(
    platform: &Platform,
    env: &ResolvedEnv,
    uid: String,
    title: String,
    links: Vec<Value>,
    panels: Vec<Panel>,
) -> Dashboard {
    Dashboard {
        uid,
        title,
        description: GENERATED.to_owned(),
        tags: vec![
            "platgen".to_owned(),
            platform.name.clone(),
            env.name.clone(),
        ],
        timezone: "browser",
        editable: false,
        graph_tooltip: 1,
        time: TimeRange {
            from: "now-6h",
            to: "now",
        },
        refresh: "1m",
        schema_version: SCHEMA_VERSION,
        templating: Templating {
            list: vec![json!({
                "name": DATASOURCE_VAR,
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
                "hide": 0,
                "refresh": 1,
                "regex": "",
                "includeAll": false,
                "multi": false,
                "options": [],
            })],
        },
        links,
        panels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_short_and_distinct() {
        assert_eq!(
            uid(&["platform", "production", "platform-api"]),
            "platform_production_platform-api"
        );
        let long = uid(&[
            "a-very-long-platform-name",
            "production",
            "a-very-long-service-name",
        ]);
        assert_eq!(long.len(), MAX_UID);
        assert_ne!(
            long,
            uid(&[
                "a-very-long-platform-name",
                "production",
                "a-very-long-service-namf"
            ])
        );
        assert_ne!(uid(&["a", "b-c"]), uid(&["a", "b", "c"]));
    }
}
