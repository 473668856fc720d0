//! Generates platforms of any size for the benchmark: the reference platform's shared sections
//! (platform, dependencies, environments, observability, CI) with `n` services cloned from a
//! web/worker pattern, so every artifact family scales with the number of services.

use toml::{Table, Value};

/// The reference platform with `services` services instead of its own, in three environments
/// (development on compose, staging and production on Kubernetes): three web services in four,
/// one worker in four, and an SLO (Prometheus rules, rule tests, a dashboard per environment)
/// on one service in four. Quotas are dropped: they are sized for the reference's services.
pub fn platform(reference: &str, services: usize, variant: usize) -> String {
    let mut root: Table = reference.parse().expect("the reference platform is TOML");
    if let Some(Value::Table(envs)) = root.get_mut("environments") {
        for (_, env) in envs.iter_mut() {
            if let Value::Table(env) = env {
                env.remove("quota");
            }
        }
    }
    let mut table = Table::new();
    for i in 0..services {
        let name = format!("svc-{i:04}");
        let text = if i % 4 == 3 {
            worker(&name)
        } else {
            web(&name, i, if i == 0 { variant } else { 0 })
        };
        let service: Table = text.parse().expect("generated service is TOML");
        table.insert(name, Value::Table(service));
    }
    root.insert("services".to_owned(), Value::Table(table));
    toml::to_string(&root).expect("serialisable")
}

fn module(name: &str) -> String {
    name.replace('-', "_")
}

/// A web service; `variant` changes its replica count (the "one service changed" case).
fn web(name: &str, i: usize, variant: usize) -> String {
    let module = module(name);
    format!(
        r#"
kind = "web"
description = "Generated web service {i}"
port = {port}
app = "{module}.main:app"
workers = 2
metrics_path = "/metrics"
uses = ["postgres", "redis"]
secrets = [{{ name = "DATABASE_URL", key = "platform/database", property = "url" }}, {{ name = "REDIS_URL", key = "platform/redis", property = "url" }}, "SECRET_KEY"]
replicas = {replicas}
resources = {{ requests = {{ cpu = "100m", memory = "128Mi" }}, limits = {{ cpu = "500m", memory = "256Mi" }} }}
autoscaling = {{ min = {replicas}, max = 10, cpu = 70 }}
disruption = {{ max_unavailable = 1 }}
expose = {{ subdomain = "{name}" }}
{slo}

[env.staging]
replicas = 1
"#,
        port = 8000 + (i % 50_000),
        replicas = 2 + variant,
        slo = if i.is_multiple_of(4) {
            r#"slo = { availability = 99.9, latency = { threshold = "500ms", target = 99.0 } }"#
        } else {
            ""
        },
    )
}

fn worker(name: &str) -> String {
    let module = module(name);
    format!(
        r#"
kind = "worker"
description = "Generated worker"
command = ["python", "-m", "{module}"]
health = {{ command = ["python", "-m", "{module}.healthcheck"] }}
uses = ["postgres", "redis", "rabbitmq"]
secrets = [
  {{ name = "DATABASE_URL", key = "platform/database", property = "url" }},
  {{ name = "REDIS_URL", key = "platform/redis", property = "url" }},
  {{ name = "RABBITMQ_URL", key = "platform/rabbitmq", property = "url" }},
]
replicas = 2
resources = {{ requests = {{ cpu = "100m", memory = "256Mi" }}, limits = {{ cpu = "500m", memory = "512Mi" }} }}
"#
    )
}
