//! Rules on compose environments: a setting only Kubernetes uses, set for a compose environment,
//! is an error rather than a silent no-op. Compose runs one container per service on a
//! developer's machine: no namespace, ingress, quota, secret store or autoscaler.

use super::service_ptr;
use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};
use crate::model::spec::{Runtime, ServiceKind};
use crate::model::{Platform, PlatformSpec};

/// Environment settings only Kubernetes environments use.
const ENVIRONMENT: &[&str] = &[
    "namespace",
    "nodes",
    "istio",
    "istio_proxy",
    "quota",
    "container_defaults",
    "ingress",
    "monitoring_namespace",
    "secret_store",
    "image_tag",
];

/// Service settings only Kubernetes environments use. Set on the service itself they apply to
/// its Kubernetes environments; set for a compose environment they would apply to nothing.
const SERVICE: &[&str] = &[
    "replicas",
    "resources",
    "autoscaling",
    "disruption",
    "expose",
];

/// The containers compose runs beside the services where `observability` is on.
const STACK: &[&str] = &["jaeger", "prometheus", "grafana"];

/// Services and dependencies share one namespace of names: compose files key both by name, and
/// a dependency's default selector (`app: <name>`) would pick a service of the same name. Where
/// a compose environment runs the observability stack, its containers' names are taken too.
/// An environment's folder in `out/` is named like it, so it cannot be one of the shared folders.
pub fn check_names(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    for name in spec.services.keys() {
        if spec.dependencies.contains_key(name) {
            out.push(
                Diagnostic::error(
                    "E0317",
                    format!("service `{name}` has the name of a dependency"),
                )
                .at(doc.key_span_of(&service_ptr(name)))
                .label("also under [dependencies]")
                .help("rename one of them: compose files name both by it, and the dependency's network policy selects pods by it"),
            );
        }
    }
    for name in spec.environments.keys() {
        if crate::plan::SHARED_DIRS.contains(&name.as_str()) {
            out.push(
                Diagnostic::error(
                    "E0317",
                    format!("environment `{name}` has the name of a folder every environment shares"),
                )
                .at(doc.key_span_of(&format!("/environments/{}", pointer_escape(name))))
                .label(format!("`{name}/` holds files of no one environment"))
                .help("rename the environment: each environment's files go under a folder of its name, beside `docker/`, `docs/` and `.github/`"),
            );
        }
    }
    let Some(env) = spec
        .environments
        .iter()
        .find(|(_, e)| e.runtime == Runtime::Compose && e.observability)
        .map(|(name, _)| name)
    else {
        return;
    };
    let services = spec
        .services
        .keys()
        .map(|name| ("service", service_ptr(name), name));
    let dependencies = spec.dependencies.keys().map(|name| {
        let ptr = format!("/dependencies/{}", pointer_escape(name));
        ("dependency", ptr, name)
    });
    for (what, ptr, name) in services.chain(dependencies) {
        if STACK.contains(&name.as_str()) {
            out.push(
                Diagnostic::error(
                    "E0317",
                    format!("{what} `{name}` has the name of a container compose runs in `{env}`"),
                )
                .at(doc.key_span_of(&ptr))
                .label("taken by the observability stack")
                .help(format!("rename it: `{env}` runs Jaeger, Prometheus and Grafana under those names; or set `observability = false` there")),
            );
        }
    }
}

/// Reports every Kubernetes-only setting made for a compose environment: on the environment,
/// in its `service_overrides`, or in a service's `env.<name>`; and those set on a service that
/// runs in no Kubernetes environment.
pub fn check_compose(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    check_unused_service_settings(doc, spec, platform, out);
    for (env, settings) in &spec.environments {
        if settings.runtime != Runtime::Compose {
            continue;
        }
        let env_ptr = format!("/environments/{}", pointer_escape(env));
        let own = ENVIRONMENT
            .iter()
            .map(|field| (format!("{env_ptr}/{field}"), (*field).to_owned()));
        let overrides = SERVICE.iter().map(|field| {
            let ptr = format!("{env_ptr}/service_overrides/{field}");
            (ptr, format!("service_overrides.{field}"))
        });
        let per_service = spec
            .services
            .iter()
            .filter(|(_, service)| service.env.contains_key(env))
            .flat_map(|(name, _)| {
                let base = format!("{}/env/{}", service_ptr(name), pointer_escape(env));
                SERVICE.iter().map(move |field| {
                    let setting = format!("services.{name}.env.{env}.{field}");
                    (format!("{base}/{field}"), setting)
                })
            });
        for (ptr, setting) in own
            .chain(overrides)
            .chain(per_service)
            .filter(|(ptr, _)| doc.has(ptr))
        {
            out.push(
                Diagnostic::error(
                    "E0316",
                    format!("`{setting}` has no effect: `{env}` runs on compose"),
                )
                .at(doc.key_span_of(&ptr))
                .label("Kubernetes only")
                .help("remove it: compose runs one container per service, with no namespace, ingress, quota, secret store or autoscaler"),
            );
        }
    }
}

/// A service's own Kubernetes settings where no Kubernetes environment runs it.
fn check_unused_service_settings(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    let kubernetes = platform.environments.iter().filter(|e| e.is_kubernetes());
    for (name, service) in &spec.services {
        if kubernetes.clone().any(|e| e.runs(name)) {
            continue;
        }
        let reason = if kubernetes.clone().count() == 0 {
            "no environment runs on Kubernetes".to_owned()
        } else {
            format!("`{name}` is disabled in every Kubernetes environment")
        };
        // A worker's `expose` is reported as such (E0315).
        let fields = SERVICE
            .iter()
            .filter(|f| service.kind == ServiceKind::Web || **f != "expose");
        for field in fields {
            let ptr = format!("{}/{field}", service_ptr(name));
            if !doc.has(&ptr) {
                continue;
            }
            out.push(
                Diagnostic::error(
                    "E0316",
                    format!("`services.{name}.{field}` has no effect: {reason}"),
                )
                .at(doc.key_span_of(&ptr))
                .label("Kubernetes only")
                .help("remove it: compose runs one container per service, with no replica count, resource quota, autoscaler, disruption budget or ingress"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    /// The small fixture plus a compose environment `development` with `settings`, and `extra`
    /// tables; each E0316 problem.
    fn dead_settings(settings: &str, extra: &str) -> Vec<(usize, String)> {
        let text = format!(
            "{}\n[environments.development]\nruntime = \"compose\"\ndomain = \"localhost\"\n{settings}\n{extra}",
            include_str!("../../tests/fixtures/small.toml")
        );
        super::super::problems_with("E0316", text)
    }

    #[test]
    fn kubernetes_settings_for_a_compose_environment_are_reported_where_they_are_set() {
        let problems = dead_settings(
            "namespace = \"dev\"\nservice_overrides = { autoscaling = { min = 1, max = 2 } }\n",
            "[services.api.env.development]\nexpose = { subdomain = \"dev\" }\nconfig = { DEBUG = \"1\" }\n",
        );
        let messages: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`namespace` has no effect: `development` runs on compose",
                "`service_overrides.autoscaling` has no effect: `development` runs on compose",
                "`services.api.env.development.expose` has no effect: `development` runs on compose",
            ]
        );
        let lines: Vec<usize> = problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [35, 36, 39]);
    }

    #[test]
    fn kubernetes_settings_of_a_service_no_kubernetes_environment_runs_are_reported() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let compose_only = fixture.replace("runtime = \"kubernetes\"", "runtime = \"compose\"");
        let problems = super::super::problems_with("E0316", compose_only);
        let messages: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`services.api.replicas` has no effect: no environment runs on Kubernetes",
                "`services.api.expose` has no effect: no environment runs on Kubernetes",
            ]
        );
        let lines: Vec<usize> = problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [24, 25]);
        // Disabled wherever it would run on Kubernetes.
        let disabled = format!(
            "{fixture}\n[services.api.env.staging]\nenabled = false\n\n[services.api.env.production]\nenabled = false\n"
        );
        let problems = super::super::problems_with("E0316", disabled);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0]
                .1
                .ends_with("`api` is disabled in every Kubernetes environment")
        );
        // Enabled in one of them: the settings apply there.
        let production = format!("{fixture}\n[services.api.env.staging]\nenabled = false\n");
        assert_eq!(super::super::problems_with("E0316", production), []);
    }

    #[test]
    fn settings_compose_uses_and_service_wide_settings_are_fine() {
        // Configuration, worker processes and shutdown grace reach the compose file; the
        // service's own Kubernetes settings apply to its Kubernetes environments.
        let compose = "config = { APP_ENV = \"development\" }\nalertmanager = \"alertmanager:9093\"\nservice_overrides = { workers = 1, termination_grace = 5 }\n";
        let service = "[services.api.env.development]\nconfig = { DEBUG = \"1\" }\n";
        assert_eq!(dead_settings(compose, service), []);
    }

    #[test]
    fn names_taken_by_the_observability_stack_are_free_without_it() {
        let grafana = "[services.grafana]\nkind = \"web\"\napp = \"g.main:app\"\n\n[dependencies.jaeger]\nkind = \"redis\"\nversion = \"7\"\n";
        let text = |settings: &str| {
            format!(
                "{}\n[environments.development]\nruntime = \"compose\"\ndomain = \"localhost\"\n{settings}\n{grafana}",
                include_str!("../../tests/fixtures/small.toml")
            )
        };
        let taken = super::super::problems_with("E0317", text(""));
        let messages: Vec<&str> = taken.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "service `grafana` has the name of a container compose runs in `development`",
                "dependency `jaeger` has the name of a container compose runs in `development`",
            ]
        );
        assert_eq!(
            super::super::problems_with("E0317", text("observability = false\n")),
            []
        );
    }
}
