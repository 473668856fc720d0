//! Observability from SLOs: which rules, alerts, dashboards and runbooks exist, and that they
//! agree with each other and with the Kubernetes objects. The promtool-backed checks (every
//! dashboard query parses; a wrong threshold fails the rendered rule tests) need the validators
//! and are ignored by a bare `cargo test`; `scripts/test` runs them.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use common::{Files, by_path as files, compile_text, yaml};

fn json(files: &Files, path: &str) -> Value {
    serde_json::from_str(&files[path]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every rule of a rules file.
fn rules(file: &Value) -> Vec<Value> {
    file["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules").clone())
        .collect()
}

fn alert_names(file: &Value) -> BTreeSet<String> {
    rules(file)
        .iter()
        .filter_map(|r| r["alert"].as_str().map(str::to_owned))
        .collect()
}

fn all_platforms() -> Vec<(String, Files)> {
    common::platforms()
        .into_iter()
        .map(|(name, path)| (name, files(common::compile(&path))))
        .collect()
}

const SHAPES: &str = r#"
[platform]
name = "obs"
registry = "registry.example.com"

[dependencies.postgres]
version = "16"
[dependencies.redis]
version = "7"

[environments.development]
runtime = "compose"

[environments.production]
runtime = "kubernetes"
domain = "example.com"

[services.api]
kind = "web"
app = "api.main:app"
uses = ["postgres"]
secrets = ["DATABASE_URL"]
slo = { availability = 99.95, latency = { threshold = "250ms", target = 99 } }

[services.web]
kind = "web"
port = 8001
app = "web.main:app"

[services.jobs]
kind = "worker"
command = ["python", "-m", "jobs"]
health = { command = ["python", "-m", "jobs.health"] }
uses = ["redis"]
secrets = ["REDIS_URL"]

[services.jobs.env.development]
enabled = false
"#;

#[test]
fn a_service_without_an_slo_gets_no_slo_rules() {
    let files = compile_text(SHAPES).expect("compiles");
    for env in ["development", "production"] {
        let web = yaml(&files, &format!("{env}/prometheus/rules/web.yml"));
        assert!(
            rules(&web).iter().all(|r| r["record"].is_null()),
            "{env}: web records SLO series"
        );
        assert!(
            alert_names(&web).iter().all(|a| !a.ends_with("BudgetBurn")),
            "{env}: web has burn alerts"
        );
        let api = yaml(&files, &format!("{env}/prometheus/rules/api.yml"));
        let recorded: BTreeSet<String> = rules(&api)
            .iter()
            .filter_map(|r| r["record"].as_str().map(str::to_owned))
            .collect();
        for window in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"] {
            assert!(
                recorded.contains(&format!("slo:sli_error:ratio_rate{window}")),
                "{env}: api does not record {window}"
            );
        }
        let names = alert_names(&api);
        assert!(names.contains("AvailabilityBudgetBurn") && names.contains("LatencyBudgetBurn"));
    }
    // The reference: platform-user declares no SLO.
    let reference = files_of("reference");
    let user = yaml(&reference, "production/prometheus/rules/platform-user.yml");
    assert!(rules(&user).iter().all(|r| r["record"].is_null()));
}

/// The compose Prometheus' `--storage.tsdb.retention.time`, if set.
fn compose_retention(files: &Files) -> Option<String> {
    let compose = yaml(files, "development/docker-compose.yml");
    compose["services"]["prometheus"]["command"]
        .as_array()
        .expect("command")
        .iter()
        .filter_map(|a| a.as_str()?.strip_prefix("--storage.tsdb.retention.time="))
        .map(str::to_owned)
        .next()
}

#[test]
fn the_compose_prometheus_keeps_the_longest_slo_window() {
    // api: the default 30d window, longer than Prometheus' default retention of 15d.
    let files = compile_text(SHAPES).expect("compiles");
    assert_eq!(compose_retention(&files).as_deref(), Some("30d"));
    let longest = SHAPES
        .replace("target = 99 } }", "target = 99 }, window = \"28d\" }")
        .replace(
            "app = \"web.main:app\"",
            "app = \"web.main:app\"\nslo = { availability = 99, window = \"6w\" }",
        );
    let files = compile_text(&longest).expect("compiles");
    assert_eq!(compose_retention(&files).as_deref(), Some("6w"));
    // No SLO, no window to keep: Prometheus' default stands.
    let none = SHAPES.replace(
        "slo = { availability = 99.95, latency = { threshold = \"250ms\", target = 99 } }\n",
        "",
    );
    let files = compile_text(&none).expect("compiles");
    assert_eq!(compose_retention(&files), None);
}

#[test]
fn runbooks_point_at_the_rules_file_that_holds_their_alert() {
    let files = files_of("reference");
    for (alert, file) in [
        ("PodRestarting", "_platform.yml"),
        ("RedisHighMemoryUsage", "_platform.yml"),
        ("HighErrorRate", "<service>.yml"),
        ("AvailabilityBudgetBurn", "<service>.yml"),
    ] {
        let runbook = &files[&format!("docs/runbooks/{alert}.md")];
        let expected = format!("Rules: `out/<env>/prometheus/rules/{file}`");
        assert!(
            runbook.contains(&expected),
            "{alert}: {expected}\n{runbook}"
        );
        // And the alert really is in that file.
        let path = format!(
            "production/prometheus/rules/{}",
            file.replace("<service>", "platform-api")
        );
        assert!(
            alert_names(&yaml(&files, &path)).contains(alert),
            "{alert} not in {path}"
        );
    }
}

fn files_of(name: &str) -> Files {
    let (_, path) = common::platforms()
        .into_iter()
        .find(|(n, _)| n == name)
        .expect("platform exists");
    files(common::compile(&path))
}

#[test]
fn database_and_redis_alerts_only_where_those_are_used() {
    let files = compile_text(SHAPES).expect("compiles");
    for env in ["development", "production"] {
        let api = alert_names(&yaml(&files, &format!("{env}/prometheus/rules/api.yml")));
        let web = alert_names(&yaml(&files, &format!("{env}/prometheus/rules/web.yml")));
        assert!(
            api.contains("DatabaseConnectionPoolExhausted"),
            "{env}: {api:?}"
        );
        assert!(
            !web.contains("DatabaseConnectionPoolExhausted"),
            "{env}: {web:?}"
        );
        assert!(web.contains("HighErrorRate") && web.contains("HighLatency"));
    }
    // Workers serve no metrics: no rules file of their own; their restarts are watched with
    // every other container's in `_platform.yml`, with Redis, which only production uses.
    assert!(!files.keys().any(|p| p.ends_with("/rules/jobs.yml")));
    let platform = alert_names(&yaml(&files, "production/prometheus/rules/_platform.yml"));
    assert_eq!(
        platform,
        BTreeSet::from([
            "PodRestarting".to_owned(),
            "RedisHighMemoryUsage".to_owned()
        ])
    );
    assert!(!files.contains_key("development/prometheus/rules/_platform.yml"));
    assert!(files.contains_key("docs/runbooks/RedisHighMemoryUsage.md"));

    // (A dependency no service uses is an error: the declaration goes too.)
    let without_redis = SHAPES
        .replace("uses = [\"redis\"]\n", "")
        .replace("[dependencies.redis]\nversion = \"7\"\n", "");
    let files = compile_text(&without_redis).expect("compiles");
    let platform = alert_names(&yaml(&files, "production/prometheus/rules/_platform.yml"));
    assert_eq!(platform, BTreeSet::from(["PodRestarting".to_owned()]));
    assert!(!files.contains_key("docs/runbooks/RedisHighMemoryUsage.md"));
}

#[test]
fn burn_tiers_can_be_switched_off() {
    let text = format!(
        "{SHAPES}\n[observability]\nburn_tiers = {{ page_6h = false, ticket_3d = false }}\n"
    );
    let files = compile_text(&text).expect("compiles");
    let api = yaml(&files, "production/prometheus/rules/api.yml");
    let tiers: BTreeSet<String> = rules(&api)
        .iter()
        .filter_map(|r| r["labels"]["burn_tier"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        tiers,
        BTreeSet::from(["page-1h".to_owned(), "ticket-1d".to_owned()])
    );
    let tests = &files["production/prometheus/tests/api.yml"];
    assert!(!tests.contains("page-6h") && !tests.contains("ticket-3d"));
    let dashboard = json(&files, "production/grafana/dashboards/api.json");
    let exprs = dashboard_exprs(&dashboard);
    assert!(exprs.iter().any(|e| e.contains("ratio_rate1h")));
    assert!(
        !exprs
            .iter()
            .any(|e| e.contains("ratio_rate6h") || e.contains("ratio_rate3d"))
    );
}

#[test]
fn thresholds_are_exact_decimals_and_no_tool_version_is_written() {
    for (name, files) in all_platforms() {
        for (path, content) in files.iter().filter(|(p, _)| {
            p.contains("/prometheus/")
                || p.contains("/grafana/dashboards/")
                || p.starts_with("docs/runbooks/")
        }) {
            for noise in ["0000000", "9999999"] {
                assert!(
                    !content.contains(noise),
                    "{name}/{path}: float noise {noise}"
                );
            }
            for version in [
                "promtool, version",
                "pluginVersion",
                "2.42",
                "v2.48",
                "13.2",
            ] {
                assert!(
                    !content.contains(version),
                    "{name}/{path}: mentions {version}"
                );
            }
        }
    }
    let files = files_of("reference");
    let api = &files["production/prometheus/rules/platform-api.yml"];
    for threshold in [
        "> 0.0144",
        "> 0.006",
        "> 0.003",
        "> 0.001",
        "vector(0.999)",
        "vector(0.001)",
        "> 0.144",
    ] {
        assert!(api.contains(threshold), "missing {threshold}");
    }
}

/// The burn factors are the workbook's for a 30d SLO and scale with the window: over 28d
/// `page-1h` spends the same 2 % of the budget an hour at 13.44× (99.5 %: above 0.0672); over
/// 7d it is 3.36×, and the tickets, which the share would put under 1, are at 1.
#[test]
fn burn_thresholds_follow_the_slo_window() {
    let files = files_of("four-services");
    let storefront = &files["production/prometheus/rules/storefront.yml"];
    for threshold in ["> 0.0672", "> 0.028", "> 0.014"] {
        assert!(storefront.contains(threshold), "28d: missing {threshold}");
    }
    assert!(storefront.contains("more than 13.44x the 0.5% error budget"));
    let files = files_of("gitops");
    let ledger = &files["production/prometheus/rules/ledger-api.yml"];
    for threshold in ["> 0.0168", "> 0.007", "> 0.005"] {
        assert!(ledger.contains(threshold), "7d: missing {threshold}");
    }
    // The runbook's table is the 30d one, whichever windows the services use.
    let runbook = &files["docs/runbooks/AvailabilityBudgetBurn.md"];
    assert!(
        runbook.contains("| `page-1h` | critical | 1h / 5m | 2 % of the budget in 1h | 14.4× |"),
        "{runbook}"
    );
}

#[test]
fn prometheus_configs_scrape_what_the_pods_announce() {
    for (name, files) in all_platforms() {
        for (path, _) in files
            .iter()
            .filter(|(p, _)| p.ends_with("/prometheus/prometheus.yml"))
        {
            let env = path.split('/').next().expect("env folder");
            let config = yaml(&files, path);
            let namespace = yaml(&files, &format!("{env}/kubernetes/namespace.yaml"));
            let job = &config["scrape_configs"][0];
            let sd = &job["kubernetes_sd_configs"][0];
            assert_eq!(sd["role"], "pod", "{name}/{path}");
            assert_eq!(
                sd["namespaces"]["names"],
                serde_json::json!([namespace["metadata"]["name"]]),
                "{name}/{path}: only the environment's namespace"
            );
            let relabel = job["relabel_configs"].as_array().expect("relabel_configs");
            let source = |label: &str| {
                relabel
                    .iter()
                    .find(|r| r["target_label"] == label)
                    .and_then(|r| r["source_labels"][0].as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(
                source("__metrics_path__"),
                "__meta_kubernetes_pod_annotation_prometheus_io_path"
            );
            assert_eq!(
                source("__address__"),
                "__meta_kubernetes_pod_annotation_prometheus_io_port"
            );
            assert_eq!(source("service"), "__meta_kubernetes_pod_label_app");
            assert!(
                relabel
                    .iter()
                    .any(|r| r["target_label"] == "env" && r["replacement"] == env)
            );
            assert!(
                config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0]
                    .is_string()
            );
            assert_eq!(config["rule_files"][0], "/etc/prometheus/rules/*.yml");
            // The pods carry what the job keeps and rewrites with.
            for (deployment, content) in files.iter().filter(|(p, _)| {
                p.starts_with(&format!("{env}/kubernetes/")) && p.ends_with("-deployment.yaml")
            }) {
                let object: Value = serde_saphyr::from_str(content).expect("YAML");
                let template = &object["spec"]["template"]["metadata"];
                let service = object["metadata"]["name"].as_str().expect("name");
                assert_eq!(template["labels"]["app"], service, "{deployment}");
                let annotations = &template["annotations"];
                if let Some(scrape) = annotations.get("prometheus.io/scrape") {
                    assert_eq!(scrape, "true", "{deployment}");
                }
            }
            // PodRestarting reads kube-state-metrics: the config scrapes it, keeping the
            // namespace, pod and container its series carry.
            let state = config["scrape_configs"]
                .as_array()
                .expect("scrape_configs")
                .iter()
                .find(|job| job["job_name"] == "kube-state-metrics")
                .unwrap_or_else(|| panic!("{name}/{path}: no kube-state-metrics job"));
            assert_eq!(state["honor_labels"], true, "{name}/{path}");
            assert_eq!(
                state["relabel_configs"][0]["source_labels"][0],
                "__meta_kubernetes_service_label_app_kubernetes_io_name"
            );
            assert_eq!(state["relabel_configs"][0]["regex"], "kube-state-metrics");
        }
        // Compose: rule files are mounted exactly when the config loads them.
        for (path, _) in files.iter().filter(|(p, _)| {
            p.ends_with("/prometheus.yml") && !p.ends_with("/prometheus/prometheus.yml")
        }) {
            let env = path.split('/').next().expect("env folder");
            let config = yaml(&files, path);
            let compose = yaml(&files, &format!("{env}/docker-compose.yml"));
            let mounted = compose["services"]["prometheus"]["volumes"]
                .as_array()
                .expect("volumes")
                .iter()
                .any(|v| {
                    v.as_str()
                        .is_some_and(|v| v.starts_with("./prometheus/rules:"))
                });
            let has_rules = files
                .keys()
                .any(|p| p.starts_with(&format!("{env}/prometheus/rules/")));
            assert_eq!(mounted, has_rules, "{name}/{env}");
            assert_eq!(
                config.get("rule_files").is_some(),
                has_rules,
                "{name}/{env}"
            );
            assert!(
                config.get("alerting").is_none(),
                "{name}/{env}: no Alertmanager in compose"
            );
        }
    }
}

#[test]
fn every_alert_is_labelled_annotated_and_has_its_runbook() {
    for (name, files) in all_platforms() {
        for (path, _) in files
            .iter()
            .filter(|(p, _)| p.contains("/prometheus/rules/"))
        {
            for rule in rules(&yaml(&files, path)) {
                let Some(alert) = rule["alert"].as_str() else {
                    continue;
                };
                for label in ["severity", "env"] {
                    assert!(
                        rule["labels"][label].is_string(),
                        "{name}/{path}: {alert} lacks {label}"
                    );
                }
                let service_labelled = rule["labels"]["service"].is_string()
                    || rule["expr"]
                        .as_str()
                        .is_some_and(|e| e.contains("\"service\", \"$1\""));
                assert!(
                    service_labelled,
                    "{name}/{path}: {alert} has no service label"
                );
                for annotation in ["summary", "description", "runbook_url"] {
                    assert!(
                        rule["annotations"][annotation].is_string(),
                        "{name}/{path}: {alert} lacks {annotation}"
                    );
                }
                let url = rule["annotations"]["runbook_url"].as_str().expect("url");
                assert!(url.ends_with(&format!("/{alert}.md")), "{url}");
                assert!(
                    files.contains_key(&format!("docs/runbooks/{alert}.md")),
                    "{name}: no runbook for {alert}"
                );
            }
        }
    }
    let four = files_of("four-services");
    let storefront = yaml(&four, "production/prometheus/rules/storefront.yml");
    assert!(
        rules(&storefront)
            .iter()
            .filter(|r| r["alert"].is_string())
            .all(|r| r["annotations"]["runbook_url"]
                .as_str()
                .is_some_and(|u| u.starts_with(
                    "https://git.example.com/shop/deploy/-/blob/main/out/docs/runbooks/"
                )))
    );
}

fn dashboard_exprs(dashboard: &Value) -> Vec<String> {
    fn walk(panels: &[Value], out: &mut Vec<String>) {
        for panel in panels {
            if let Some(inner) = panel["panels"].as_array() {
                walk(inner, out);
            }
            for target in panel["targets"].as_array().into_iter().flatten() {
                out.push(target["expr"].as_str().expect("expr").to_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dashboard["panels"].as_array().expect("panels"), &mut out);
    out
}

/// Dashboards declare the `schemaVersion` of the @grafana/schema the validators install (and
/// validate them against): a new pin that moves it on fails here.
#[test]
#[ignore = "needs the validators: run scripts/test"]
fn dashboards_declare_the_schema_version_of_the_installed_grafana_schema() {
    let path = common::tools_dir()
        .join("npm/node_modules/@grafana/schema/dist/esm/raw/dashboard/x/types.gen.mjs");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/install-validators.sh)", path.display()));
    let version = text
        .find("schemaVersion: ")
        .map(|at| &text[at + "schemaVersion: ".len()..])
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<u64>().ok());
    assert_eq!(
        version,
        Some(u64::from(platgen::plan::observability::SCHEMA_VERSION)),
        "@grafana/schema moved on (or {} no longer says `schemaVersion: N`)",
        path.display()
    );
}

#[test]
fn dashboards_are_bare_models_with_a_datasource_variable_and_stable_uids() {
    let mut uids = BTreeSet::new();
    for (name, files) in all_platforms() {
        for (path, _) in files
            .iter()
            .filter(|(p, _)| p.contains("/grafana/dashboards/"))
        {
            let d = json(&files, path);
            assert!(d.get("dashboard").is_none(), "{path}: API envelope");
            let uid = d["uid"].as_str().expect("uid");
            assert!(
                uid.len() <= 40 && uids.insert(uid.to_owned()),
                "{name}/{path}: uid {uid}"
            );
            assert_eq!(
                d["schemaVersion"],
                platgen::plan::observability::SCHEMA_VERSION
            );
            let variable = &d["templating"]["list"][0];
            assert_eq!(
                (variable["type"].as_str(), variable["query"].as_str()),
                (Some("datasource"), Some("prometheus"))
            );
            for panel in d["panels"].as_array().expect("panels") {
                assert!(panel["gridPos"]["w"].is_u64(), "{path}: gridPos");
                for target in panel["targets"].as_array().into_iter().flatten() {
                    assert!(target["refId"].is_string());
                    assert_eq!(target["datasource"]["uid"], "${datasource}");
                }
            }
        }
    }
    // The reference's panels, on the service dashboards.
    let files = files_of("reference");
    let d = json(&files, "production/grafana/dashboards/platform-api.json");
    let titles: Vec<&str> = d["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    for title in [
        "Request rate",
        "Error rate",
        "Response time (P50, P90, P99)",
        "Availability SLO compliance (30d)",
        "Availability error budget remaining",
        "Error budget burn rate",
    ] {
        assert!(titles.contains(&title), "{titles:?}");
    }
    assert!(files.contains_key("production/grafana/dashboards/_overview.json"));
}

#[test]
fn dashboards_read_only_series_the_rules_record() {
    for (name, files) in all_platforms() {
        for (path, _) in files
            .iter()
            .filter(|(p, _)| p.contains("/grafana/dashboards/"))
        {
            let env = path.split('/').next().expect("env");
            let recorded: BTreeSet<String> = files
                .keys()
                .filter(|p| p.starts_with(&format!("{env}/prometheus/rules/")))
                .flat_map(|p| rules(&yaml(&files, p)))
                .filter_map(|r| r["record"].as_str().map(str::to_owned))
                .collect();
            for expr in dashboard_exprs(&json(&files, path)) {
                for word in
                    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                {
                    if word.starts_with("slo:") {
                        assert!(
                            recorded.contains(word),
                            "{name}/{path}: {word} is not recorded"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn slos_must_be_computable() {
    let worker_slo = SHAPES.replace(
        "uses = [\"redis\"]\n",
        "uses = [\"redis\"]\nslo = { availability = 99.9 }\n",
    );
    let short_window = SHAPES.replace(
        "availability = 99.95,",
        "availability = 99.95, window = \"3d\",",
    );
    for (text, code) in [(worker_slo, "E0321"), (short_window, "E0322")] {
        let error = compile_text(&text).expect_err("must be rejected");
        assert!(error.contains(code), "{code}: {error}");
    }
}

// ---- with the validators ----

fn promtool() -> Command {
    Command::new("promtool")
}

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn every_dashboard_query_parses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut count = 0;
    for (name, files) in all_platforms() {
        for (path, _) in files
            .iter()
            .filter(|(p, _)| p.contains("/grafana/dashboards/"))
        {
            let mut rules = String::from("groups:\n  - name: dashboard-queries\n    rules:\n");
            for (i, expr) in dashboard_exprs(&json(&files, path)).iter().enumerate() {
                // A JSON string is a valid YAML double-quoted scalar.
                rules.push_str(&format!(
                    "      - record: dashboard:query_{i}\n        expr: {}\n",
                    serde_json::to_string(expr).expect("string")
                ));
                count += 1;
            }
            let file = dir
                .path()
                .join(format!("{name}-{}.yml", path.replace('/', "-")));
            std::fs::write(&file, rules).expect("write rules");
            let output = promtool()
                .args(["check", "rules"])
                .arg(&file)
                .output()
                .expect("promtool runs");
            assert!(
                output.status.success(),
                "{name}/{path}: {}",
                common::text(&output)
            );
        }
    }
    assert!(count > 20, "only {count} queries");
}

/// Every shape of SLO the check accepts gets rule tests that pass: availability from 95 % to
/// 99.999 %, windows from 7 to 90 days, latency objectives loose and strict, burn-rate tiers
/// switched off in several ways, and an error-status regex with alternatives. Each shape's
/// rules and tests (the `api` service's and the environment-wide ones) go through
/// `promtool test rules`.
#[test]
#[ignore = "needs the validators: run scripts/test"]
fn rule_tests_pass_for_every_shape_of_slo() {
    const API_SLO: &str =
        "slo = { availability = 99.95, latency = { threshold = \"250ms\", target = 99 } }";
    let shapes = [
        ("{ availability = 95, window = \"7d\" }", "", "5.."),
        (
            "{ availability = 99.5, window = \"28d\", latency = { threshold = \"1s\", target = 95 } }",
            "",
            "5..",
        ),
        (
            "{ availability = 99.99, window = \"90d\", latency = { threshold = \"10s\", target = 99.9 } }",
            "",
            "5..",
        ),
        ("{ availability = 99.999 }", "", "5.."),
        (
            "{ availability = 99.9, latency = { threshold = \"100ms\", target = 99.5 } }",
            "page_1h = false",
            "5..",
        ),
        (
            "{ availability = 99.9, latency = { threshold = \"250ms\", target = 99 } }",
            "ticket_1d = false, ticket_3d = false",
            "5..",
        ),
        (
            "{ availability = 99.9, latency = { threshold = \"250ms\", target = 99 } }",
            "page_1h = false, page_6h = false",
            "5..",
        ),
        (
            "{ availability = 99.9, window = \"14d\" }",
            "page_6h = false, ticket_3d = false",
            "(5[0-9]{2}|429)",
        ),
    ];
    assert!(SHAPES.contains(API_SLO));
    for (slo, tiers, errors) in shapes {
        let text = format!(
            "{}\n[observability]\nburn_tiers = {{ {tiers} }}\n\n[observability.metrics]\nerror_status = {}\n",
            SHAPES.replace(API_SLO, &format!("slo = {slo}")),
            serde_json::to_string(errors).expect("string"),
        );
        let files = compile_text(&text).unwrap_or_else(|e| panic!("{slo} / {tiers}: {e}"));
        let tests = ["api.yml", "_platform.yml"];
        for file in tests {
            assert!(
                files.contains_key(&format!("production/prometheus/tests/{file}")),
                "{slo} / {tiers}: no tests/{file}"
            );
        }
        let (_dir, folder) = production_prometheus(&files);
        let output = promtool()
            .args(["test", "rules"])
            .args(tests)
            .current_dir(folder)
            .output()
            .expect("promtool runs");
        assert!(
            output.status.success(),
            "{slo} / {tiers} / {errors}:\n{}",
            common::text(&output)
        );
    }
}

/// HighLatency is tested wherever its threshold lies: just over the next bucket above it, or,
/// for a threshold inside the largest bucket (`9s` below `10s`), with every request in that
/// bucket (before, the test was left out there).
#[test]
#[ignore = "needs the validators: run scripts/test"]
fn high_latency_is_tested_in_the_largest_bucket_too() {
    for (threshold, requests) in [
        ("1s", "just over the next bucket above 1s"),
        ("9s", "in the largest bucket, from 7.5s to 10s"),
    ] {
        let text = format!("{SHAPES}\n[observability.alerts]\nlatency_p99 = \"{threshold}\"\n");
        let files = compile_text(&text).unwrap_or_else(|e| panic!("{threshold}: {e}"));
        let tests = &files["production/prometheus/tests/api.yml"];
        assert!(
            tests.contains(&format!(
                "- name: \"HighLatency: every request {requests} fires it\""
            )),
            "{threshold}: {tests}"
        );
        let (_dir, folder) = production_prometheus(&files);
        let output = promtool()
            .args(["test", "rules", "api.yml"])
            .current_dir(folder)
            .output()
            .expect("promtool runs");
        assert!(
            output.status.success(),
            "{threshold}:\n{}",
            common::text(&output)
        );
    }
}

/// The production Prometheus files of `files` (rules and their tests) written into a temporary
/// folder, and their `tests` folder there, where `promtool test rules` runs.
fn production_prometheus(files: &Files) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = "production/prometheus";
    for (path, content) in files.iter().filter(|(p, _)| p.starts_with(base)) {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, content).expect("write");
    }
    let tests = dir.path().join(base).join("tests");
    (dir, tests)
}

/// The reference's production rules and their tests in a temporary folder, and a runner of
/// `promtool test rules platform-api.yml` there.
fn production_rule_tests() -> (tempfile::TempDir, impl Fn() -> std::process::Output) {
    let (dir, tests) = production_prometheus(&files_of("reference"));
    let run = move || {
        promtool()
            .args(["test", "rules", "platform-api.yml"])
            .current_dir(&tests)
            .output()
            .expect("promtool runs")
    };
    (dir, run)
}

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn rule_tests_fail_when_absent_errors_are_not_zero() {
    let (dir, run) = production_rule_tests();
    let output = run();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // The bad-event side without its `or 0 * total` fallback, as it was: a service that never
    // failed has no error series, and its SLI, burn rate and budget go missing.
    let rules_file = dir
        .path()
        .join("production/prometheus/rules/platform-api.yml");
    let original = std::fs::read_to_string(&rules_file).expect("read");
    let mut lines = original.lines().peekable();
    let mut without = String::new();
    while let Some(line) = lines.next() {
        if line.trim() == "or"
            && lines
                .peek()
                .is_some_and(|l| l.trim().starts_with("0 * sum("))
        {
            lines.next();
            continue;
        }
        without.push_str(line);
        without.push('\n');
    }
    assert_ne!(without, original);
    std::fs::write(&rules_file, without).expect("write");
    let output = run();
    assert!(
        !output.status.success(),
        "the rules without a 0 for absent errors passed the tests"
    );
    let report = common::text(&output);
    assert!(
        report.contains("slo:period_error_budget_remaining:ratio") && report.contains("got: nil"),
        "{report}"
    );
}

/// The outage scenario asserts that a page's long window still remembers the outage when the
/// page clears only where the outage's share of the traffic is well over the threshold: with a
/// target low enough that the threshold nears that share, the assertion (which promtool could
/// then fail on a sample's difference) is left out, and the scenario itself stays.
#[test]
fn the_long_window_assertion_is_left_out_where_the_threshold_nears_the_outage() {
    let remembers = |availability: &str| {
        let text = std::fs::read_to_string(common::root().join("tests/fixtures/small.toml"))
            .expect("fixture")
            .replace(
                "replicas = 2\n",
                &format!("replicas = 2\nslo = {{ availability = {availability} }}\n"),
            );
        let files = common::compile_text(&text).expect("renders");
        let tests = &files["production/prometheus/tests/api.yml"];
        assert_eq!(
            tests.matches("total outage pages").count(),
            2,
            "both paging tiers keep their outage scenario"
        );
        tests.matches(" > bool ").count()
    };
    // 99.9 %: thresholds 0.0144 and 0.006, far under the outages' shares (1/2 and 20/55).
    assert_eq!(remembers("99.9"), 2);
    // 94 %: page-1h at 0.864 and page-6h at 0.36, too near those shares to assert on.
    assert_eq!(remembers("94"), 0);
}

/// A page that ignored its short window would still fire after the outage ends, while the
/// long window remembers it: the outage scenarios catch that for each paging tier.
#[test]
#[ignore = "needs the validators: run scripts/test"]
fn rule_tests_fail_when_a_page_ignores_its_short_window() {
    let (dir, run) = production_rule_tests();
    let rules_file = dir
        .path()
        .join("production/prometheus/rules/platform-api.yml");
    let original = std::fs::read_to_string(&rules_file).expect("read");
    // page-6h's `and <30m window> > threshold` removed, for both objectives.
    let short = "slo:sli_error:ratio_rate30m{";
    let mut lines: Vec<&str> = original.lines().collect();
    let mut removed = 0;
    while let Some(i) = lines
        .iter()
        .position(|l| l.trim_start().starts_with(short) && l.contains(" > "))
    {
        assert_eq!(
            lines[i - 1].trim(),
            "and",
            "the short window follows an `and`"
        );
        lines.drain(i - 1..=i);
        removed += 1;
    }
    assert_eq!(removed, 2, "page-6h of availability and latency");
    std::fs::write(&rules_file, lines.join("\n") + "\n").expect("write");
    let output = run();
    let report = common::text(&output);
    assert!(
        !output.status.success(),
        "a page without its short window passed"
    );
    assert!(report.contains("burn_tier=\\\"page-6h\\\""), "{report}");
    assert!(report.contains("time: 55m"), "{report}");
}

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn rule_tests_fail_when_a_threshold_is_wrong() {
    let (dir, run) = production_rule_tests();
    let base = "production/prometheus";
    assert!(
        run().status.success(),
        "{}",
        String::from_utf8_lossy(&run().stdout)
    );
    // A page threshold of 16× instead of 14.4×: the 15.2× scenario no longer pages.
    let rules_file = dir.path().join(base).join("rules/platform-api.yml");
    let original = std::fs::read_to_string(&rules_file).expect("read");
    let wrong = original.replacen("> 0.0144", "> 0.016", 2);
    assert_ne!(wrong, original);
    std::fs::write(&rules_file, wrong).expect("write");
    let output = run();
    assert!(
        !output.status.success(),
        "a 16x page threshold passed the tests"
    );
    let report = common::text(&output);
    assert!(
        report.contains("just over the page-1h threshold"),
        "{report}"
    );
}
