//! Rules on each environment's resolved services: resources, scaling, disruption, exposure.

use std::collections::BTreeMap;

use super::disruption::PermissiveBudget;
use super::service_ptr;
use crate::diagnostics::{Diagnostic, and_list};
use crate::load::{Document, pointer_escape};
use crate::model::{Compute, Platform, spec};

/// Longest DNS label: a compose project name.
const NAME_MAX: usize = spec::NAME_MAX as usize;
/// Longest DNS name: an Ingress host.
const HOST_MAX: usize = spec::SUBDOMAIN_MAX as usize;

/// CPU in millicores (`500m` → 500, `2` → 2000, `0.5` → 500).
pub fn cpu_millis(q: &str) -> Option<f64> {
    match q.strip_suffix('m') {
        Some(m) => m.parse().ok(),
        None => q.parse::<f64>().ok().map(|c| c * 1000.0),
    }
}

/// Memory in bytes (`512Mi`, `1G`, `1000`).
pub fn memory_bytes(q: &str) -> Option<f64> {
    let units: [(&str, f64); 8] = [
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024f64.powi(4)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, factor) in units {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    q.parse().ok()
}

/// Where `field` of a service is set for an environment, most specific first: its
/// `env.<name>`, the environment's `service_overrides`, the service itself; `None` when nowhere.
pub(super) fn setting_source(
    doc: &Document,
    service: &str,
    env: &str,
    field: &str,
) -> Option<String> {
    first_source(doc, service, env, &[field])
}

/// The most specific place that sets any of `fields` of a service for an environment; at the
/// same level, the first of `fields` set there.
/// Each of `fields` is a path of plain keys (`resources/limits/cpu`). Walked in the document
/// itself: a thousand services ask for a few settings each, and only a place found is written
/// out as a pointer.
fn first_source(doc: &Document, service: &str, env: &str, fields: &[&str]) -> Option<String> {
    let root = &doc.value;
    let settings = root.get("services").and_then(|s| s.get(service));
    let levels: [(Option<&serde_json::Value>, &dyn Fn() -> String); 3] = [
        (settings.and_then(|s| s.get("env")?.get(env)), &|| {
            format!("{}/env/{}", service_ptr(service), pointer_escape(env))
        }),
        (
            root.get("environments")
                .and_then(|e| e.get(env)?.get("service_overrides")),
            &|| format!("/environments/{}/service_overrides", pointer_escape(env)),
        ),
        (settings, &|| service_ptr(service)),
    ];
    levels.iter().find_map(|(node, pointer)| {
        let node = (*node)?;
        let field = fields.iter().find(|field| {
            field
                .split('/')
                .try_fold(node, |n, key| n.get(key))
                .is_some()
        })?;
        Some(format!("{}/{field}", pointer()))
    })
}

/// Whether `autoscaling.max` of a service is set anywhere that applies in an environment:
/// without it the autoscaler's range (`min`–`min`) is a placeholder, reported as E0307 and
/// judged by no other rule.
pub(super) fn sets_autoscaling_max(doc: &Document, service: &str, env: &str) -> bool {
    setting_source(doc, service, env, "autoscaling/max").is_some()
}

/// The place to point at for `field` of a service in an environment: where it is set, else
/// the service.
fn setting_ptr(doc: &Document, service: &str, env: &str, field: &str) -> String {
    setting_source(doc, service, env, field).unwrap_or_else(|| service_ptr(service))
}

/// Each resource whose limit is below its request: (`cpu` or `memory`, the problem).
pub(super) fn compare(requests: &Compute, limits: &Compute) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if let (Some(r), Some(l)) = (&requests.cpu, &limits.cpu)
        && let (Some(rv), Some(lv)) = (cpu_millis(r), cpu_millis(l))
        && lv < rv
    {
        problems.push(("cpu", format!("CPU limit {l} is below its request {r}")));
    }
    if let (Some(r), Some(l)) = (&requests.memory, &limits.memory)
        && let (Some(rv), Some(lv)) = (memory_bytes(r), memory_bytes(l))
        && lv < rv
    {
        problems.push((
            "memory",
            format!("memory limit {l} is below its request {r}"),
        ));
    }
    problems
}

/// Runs the per-environment rules.
pub fn check_environments(doc: &Document, platform: &Platform, out: &mut Vec<Diagnostic>) {
    let mut reported = std::collections::BTreeSet::new();
    let env_names: Vec<String> = platform
        .environments
        .iter()
        .map(|e| format!("`{}`", e.name))
        .collect();
    let mut push = |d: Diagnostic, out: &mut Vec<Diagnostic>| {
        // The same misconfiguration set once is reported once, not per environment: the
        // environment a message names does not make it a different problem.
        let problem = env_names
            .iter()
            .fold(d.message.clone(), |m, env| m.replace(env.as_str(), "`*`"));
        if reported.insert((d.code, problem, d.span.clone().map(|s| (s.start, s.end)))) {
            out.push(d);
        }
    };
    // A compose project name is a DNS label too: its network and containers are named after it.
    for (env, project) in platform.compose_projects() {
        if project.len() > NAME_MAX {
            let env_ptr = format!("/environments/{}", pointer_escape(&env.name));
            push(
                Diagnostic::error(
                    "E0318",
                    format!(
                        "the compose project of `{}` would be `{project}`, {} characters long",
                        env.name,
                        project.len()
                    ),
                )
                .at(doc.key_span_of(&env_ptr))
                .label("project named `<platform>-<environment>`")
                .help(format!("a compose project name is a DNS label, which holds at most {NAME_MAX}: shorten the environment's name or the platform's")),
                out,
            );
        }
    }
    // Where each disruption budget is written → (service, the Kubernetes environments it
    // reaches where the service runs no pods, whether it reaches one where it runs some).
    let mut budgets: BTreeMap<String, (String, Vec<String>, bool)> = BTreeMap::new();
    // Where each budget written in the file is judged by whether it blocks any eviction.
    let mut permissive: BTreeMap<String, PermissiveBudget> = BTreeMap::new();
    for (env_ptr, env) in platform
        .environments
        .iter()
        .map(|e| (format!("/environments/{}", pointer_escape(&e.name)), e))
    {
        // A namespace set in the file is held to 63 by the schema; the default one is not.
        if env.is_kubernetes() && env.namespace.len() > 63 {
            push(
                Diagnostic::error(
                    "E0318",
                    format!(
                        "the namespace of `{}` would be `{}`, {} characters long",
                        env.name,
                        env.namespace,
                        env.namespace.len()
                    ),
                )
                .at(doc.key_span_of(&env_ptr))
                .label("namespace derived from the platform and environment names")
                .help("Kubernetes allows 63: set `namespace = \"…\"` on the environment, or shorten its name or the platform's"),
                out,
            );
        }
        if let Some(defaults) = &env.container_defaults {
            for (resource, problem) in compare(&defaults.requests, &defaults.limits) {
                let ptr = format!("{env_ptr}/container_defaults/limits/{resource}");
                push(
                    Diagnostic::error(
                        "E0306",
                        format!("environment `{}`: container default {problem}", env.name),
                    )
                    .at(doc.span_of(&ptr))
                    .help("raise the limit to at least the request"),
                    out,
                );
            }
        }
        let mut hosts: BTreeMap<(String, String), String> = BTreeMap::new();
        for service in &env.services {
            let name = &service.name;
            for (resource, problem) in
                compare(&service.resources.requests, &service.resources.limits)
            {
                // Where the limit or the request is set, whichever overrides the other: the
                // value that made them conflict.
                let fields = [
                    format!("resources/limits/{resource}"),
                    format!("resources/requests/{resource}"),
                ];
                let fields = [fields[0].as_str(), fields[1].as_str()];
                let ptr = first_source(doc, name, &env.name, &fields)
                    .unwrap_or_else(|| service_ptr(name));
                push(Diagnostic::error("E0306", format!("service `{name}` in `{}`: {problem}", env.name))
                    .at(doc.span_of(&ptr))
                    .label("limits below requests")
                    .help("a container can never use less than it requests: raise the limit or lower the request"), out);
            }
            // Each setting is located only when a problem with it is reported.
            let scaling_at = || doc.span_of(&setting_ptr(doc, name, &env.name, "autoscaling"));
            // Autoscalers and disruption budgets exist only on Kubernetes: a problem with one is
            // named after an environment that has it.
            if let Some(a) = service.autoscaling.as_ref().filter(|_| env.is_kubernetes()) {
                if !sets_autoscaling_max(doc, name, &env.name) {
                    push(
                        Diagnostic::error("E0307", format!("autoscaling of `{name}` has no `max`"))
                            .at(scaling_at())
                            .help("add `max = N`, the most replicas the autoscaler may run"),
                        out,
                    );
                } else if a.min > a.max {
                    push(
                        Diagnostic::error(
                            "E0307",
                            format!(
                                "autoscaling of `{name}` in `{}`: min {} is above max {}",
                                env.name, a.min, a.max
                            ),
                        )
                        .at(scaling_at())
                        .help("make `min` at most `max`"),
                        out,
                    );
                }
            }
            if let Some(d) = service.disruption.as_ref().filter(|_| env.is_kubernetes()) {
                let place = setting_ptr(doc, name, &env.name, "disruption");
                let at = || doc.span_of(&place);
                let floor = service.min_replicas();
                let scaled_to_zero = service.max_replicas() == 0;
                if d.min_available.is_some() != d.max_unavailable.is_some() {
                    let budget = budgets
                        .entry(place.clone())
                        .or_insert_with(|| (name.clone(), Vec::new(), false));
                    if scaled_to_zero {
                        budget.1.push(format!("`{}`", env.name));
                    } else {
                        budget.2 = true;
                    }
                }
                match (d.min_available, d.max_unavailable) {
                    (Some(_), Some(_)) | (None, None) => push(Diagnostic::error("E0310", format!("disruption budget of `{name}` must set exactly one of `min_available` and `max_unavailable`"))
                        .at(at())
                        .help("keep one of the two"), out),
                    // Judged below, over every environment the budget reaches.
                    _ if scaled_to_zero => {}
                    (Some(min), None) if min >= floor => push(Diagnostic::error("E0310", format!("disruption budget of `{name}` in `{}` keeps {min} pods available but it runs only {floor}", env.name))
                        .at(at())
                        .help("no pod could ever be evicted and node drains would hang: lower `min_available` below the replica count, or use `max_unavailable = 1`"), out),
                    _ => {}
                }
                // An autoscaler without `max` (or below its `min`) has no real peak: E0307.
                let judged = service
                    .autoscaling
                    .as_ref()
                    .is_none_or(|a| a.min <= a.max && sets_autoscaling_max(doc, name, &env.name));
                if judged
                    && !scaled_to_zero
                    && setting_source(doc, name, &env.name, "disruption").is_some()
                {
                    permissive
                        .entry(place.clone())
                        .or_insert_with(|| PermissiveBudget::new(name, d))
                        .judge(env, service);
                }
            }
            if let Some(expose) = &service.expose {
                let at = || doc.span_of(&setting_ptr(doc, name, &env.name, "expose"));
                if expose.host.is_empty() {
                    push(
                        Diagnostic::error(
                            "E0309",
                            format!("`{name}` is exposed in `{}` but has no host", env.name),
                        )
                        .at(at())
                        .help(format!(
                            "set `domain` on environment `{}`, or `expose.host`",
                            env.name
                        )),
                        out,
                    );
                    continue;
                }
                // `host` is held to a DNS name by validation; `<subdomain>.<domain>` is not.
                if expose.host.len() > HOST_MAX {
                    push(
                        Diagnostic::error(
                            "E0309",
                            format!(
                                "the host of `{name}` in `{}` would be {} characters long, longer than the {HOST_MAX} of a DNS name",
                                env.name,
                                expose.host.len()
                            ),
                        )
                        .at(at())
                        .label("host `<subdomain>.<domain>`")
                        .help(format!("an Ingress host is a DNS name of at most {HOST_MAX} characters: shorten `expose.subdomain` or the environment's `domain`, or set a shorter `expose.host`")),
                        out,
                    );
                }
                let key = (expose.host.clone(), expose.path.clone());
                if let Some(other) = hosts.insert(key, name.clone()) {
                    push(
                        Diagnostic::error(
                            "E0308",
                            format!(
                                "`{name}` and `{other}` are both exposed at {}{} in `{}`",
                                expose.host, expose.path, env.name
                            ),
                        )
                        .at(at())
                        .label("duplicate host")
                        .help("give one of them its own `expose.subdomain` (or `host`/`path`)"),
                        out,
                    );
                }
            }
        }
    }
    for (place, budget) in permissive {
        if !budget.effective
            && let Some(problem) = budget.problem()
        {
            out.push(problem.at(doc.span_of(&place)));
        }
    }
    // A budget protects running pods from voluntary evictions: one that reaches only
    // environments where the service is scaled to zero protects nothing.
    for (place, (name, envs, runs_pods)) in budgets {
        if runs_pods || envs.is_empty() {
            continue;
        }
        let envs = and_list(&envs);
        out.push(
            Diagnostic::error(
                "E0310",
                format!("disruption budget of `{name}` has no effect: `{name}` runs no pods (`replicas = 0`) in {envs}"),
            )
            .at(doc.span_of(&place))
            .label("nothing to keep available")
            .help("remove `disruption`: a budget limits evictions of running pods, and a service scaled to zero has none; set it where the service runs pods"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_problems_name_an_environment_that_has_a_budget() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        // Development comes first, so it would be the one named.
        let text = fixture
            .replace(
                "replicas = 2\n",
                "replicas = 2\ndisruption = { min_available = 5 }\n",
            )
            .replace(
                "[environments.staging]",
                "[environments.development]\nruntime = \"compose\"\n\n[environments.staging]",
            );
        let found = super::super::problems_with("E0310", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].1.contains("development"), "{found:?}");
    }

    #[test]
    fn a_budget_of_a_service_scaled_to_zero_is_pointless() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let zero = fixture.replace(
            "replicas = 2\n",
            "replicas = 0\ndisruption = { min_available = 0 }\n",
        );
        let found = super::super::problems_with("E0310", zero.clone());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 25);
        assert_eq!(
            found[0].1,
            "disruption budget of `api` has no effect: `api` runs no pods (`replicas = 0`) in `staging` and `production`"
        );
        let unavailable = fixture.replace(
            "replicas = 2\n",
            "replicas = 0\ndisruption = { max_unavailable = 1 }\n",
        );
        assert_eq!(super::super::problems_with("E0310", unavailable).len(), 1);
        // Scaled to zero in staging only: the budget protects production's pods.
        let production = "\n[services.api.env.staging]\nreplicas = 0\n";
        let text = fixture.replace(
            "replicas = 2\n",
            "replicas = 2\ndisruption = { max_unavailable = 1 }\n",
        ) + production;
        assert_eq!(super::super::problems_with("E0310", text), []);
        // Without a budget, zero replicas are fine.
        let plain = fixture.replace("replicas = 2\n", "replicas = 0\n");
        assert_eq!(super::super::problems_with("E0310", plain), []);
    }

    #[test]
    fn quantities_parse() {
        assert_eq!(cpu_millis("500m"), Some(500.0));
        assert_eq!(cpu_millis("2"), Some(2000.0));
        assert_eq!(memory_bytes("1Gi"), Some(1024.0 * 1024.0 * 1024.0));
        assert!(memory_bytes("512Mi").unwrap() < memory_bytes("1G").unwrap());
    }

    #[test]
    fn limits_below_requests_are_reported_where_the_conflicting_value_is_set() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let api = "replicas = 2\nresources = { requests = { cpu = \"250m\" }, limits = { cpu = \"100m\" } }\n";
        let staging = "\n[environments.staging.service_overrides]\nresources = { limits = { memory = \"256Mi\" } }\n";
        let found =
            super::super::problems_with("E0306", fixture.replace("replicas = 2\n", api) + staging);
        // Once, at the service's CPU limit: not at the staging override, which sets memory.
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 25);
        assert!(
            found[0]
                .1
                .contains("CPU limit 100m is below its request 250m")
        );
        // A request raised for one environment is reported there.
        let raised =
            "\n[services.api.env.production]\nresources = { requests = { cpu = \"2\" } }\n";
        let found = super::super::problems_with("E0306", fixture.to_owned() + raised);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 33);
        assert!(
            found[0]
                .1
                .contains("in `production`: CPU limit 500m is below its request 2")
        );
    }

    #[test]
    fn a_setting_is_found_where_a_pointer_finds_it_most_specific_first() {
        let text = r#"
[environments.production.service_overrides]
replicas = 3
resources = { limits = { cpu = "1" } }

[environments.staging]
runtime = "kubernetes"

[services.api]
replicas = 2
resources = { requests = { cpu = "100m" } }
env.production = { resources = { requests = { memory = "1Gi" } } }
env.staging = { replicas = 1, expose = { subdomain = "x" } }

[services.worker]
kind = "worker"
"#;
        let doc = crate::load::load(crate::diagnostics::SourceFile::new("platform.toml", text))
            .expect("TOML");
        // What the pointers of each place say, in the same order.
        let by_pointer = |service: &str, env: &str, fields: &[&str]| {
            [
                format!("/services/{service}/env/{env}"),
                format!("/environments/{env}/service_overrides"),
                format!("/services/{service}"),
            ]
            .iter()
            .find_map(|level| {
                fields
                    .iter()
                    .map(|field| format!("{level}/{field}"))
                    .find(|p| doc.has(p))
            })
        };
        let fields: [&[&str]; 6] = [
            &["replicas"],
            &["expose"],
            &["resources/requests/cpu"],
            &["resources/limits/cpu", "resources/requests/cpu"],
            &["resources/requests/memory", "replicas"],
            &["resources/limits/memory"],
        ];
        let mut found = 0;
        for service in ["api", "worker", "absent"] {
            for env in ["production", "staging", "development"] {
                for fields in fields {
                    let expected = by_pointer(service, env, fields);
                    found += usize::from(expected.is_some());
                    assert_eq!(
                        first_source(&doc, service, env, fields),
                        expected,
                        "{service} in {env}: {fields:?}"
                    );
                }
            }
        }
        assert!(found > 15, "{found} places found");
        assert_eq!(
            setting_source(&doc, "api", "production", "resources/requests/memory").as_deref(),
            Some("/services/api/env/production/resources/requests/memory")
        );
    }
}
