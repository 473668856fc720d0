//! Service settings that never take effect where they apply: a `subdomain` beside a `host`,
//! exposure or autoscaling settings beside `enabled = false`, `body_size` and `timeout` where
//! the ingress controller is not ingress-nginx (`ingress.controller = "other"`; the class name
//! does not tell, ingress-nginx is often installed as `public` or `internal`). Each place a setting is written is judged over every Kubernetes
//! environment it reaches (overrides merge field by field), so a service-wide value that one
//! environment overrides is fine as long as another uses it. A dependency no service uses is
//! reported too, and an environment's `service_overrides.expose` where no service it runs is
//! exposed by itself (the only services it reaches).

use std::collections::BTreeMap;

use super::resources::setting_source;
use crate::diagnostics::{Diagnostic, and_list};
use crate::load::{Document, pointer_escape};
use crate::model::spec::{ServiceKind, ServiceOverride};
use crate::model::{Platform, PlatformSpec};
use crate::resolve::{exposed_by_itself, merged_settings};

/// Why a setting does nothing in one environment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// `expose.host` is set, and replaces the subdomain.
    HostSet,
    /// `expose.enabled = false`.
    NotExposed,
    /// `autoscaling.enabled = false`.
    NotAutoscaled,
    /// `ingress.controller = "other"`: no ingress-nginx annotation carries it.
    NotNginx,
}

impl Reason {
    fn explain(self) -> String {
        match self {
            Reason::HostSet => "`expose.host` replaces it".to_owned(),
            Reason::NotExposed => {
                "the service is not exposed (`expose.enabled = false`)".to_owned()
            }
            Reason::NotAutoscaled => {
                "autoscaling is off (`autoscaling.enabled = false`)".to_owned()
            }
            Reason::NotNginx => {
                "its ingress controller is not ingress-nginx (`ingress.controller = \"other\"`), whose annotations carry it".to_owned()
            }
        }
    }

    fn help(self) -> &'static str {
        match self {
            Reason::HostSet => {
                "remove `subdomain`: the service is served at `host`; or remove `host` to serve it at `<subdomain>.<domain>`"
            }
            Reason::NotExposed => {
                "remove it; or, if the service is to be exposed there, remove `enabled = false`"
            }
            Reason::NotAutoscaled => {
                "remove it: with `enabled = false` the Deployment runs a fixed `replicas`; or remove `enabled = false`"
            }
            Reason::NotNginx => {
                "remove it and set it on the controller; or, if ingress-nginx serves the class, set `controller = \"ingress-nginx\"`"
            }
        }
    }
}

/// Why a setting does nothing in one environment: the explanation, its kind, the environment.
type Unused = (String, Reason, String);

const EXPOSE_FIELDS: &[&str] = &[
    "subdomain",
    "host",
    "path",
    "body_size",
    "timeout",
    "service_port",
];
const AUTOSCALING_FIELDS: &[&str] = &["min", "max", "cpu", "memory", "scale_up", "scale_down"];

/// Why `field` (a pointer below the service) does nothing with these merged settings, if it
/// does nothing.
fn reason(field: &str, merged: &ServiceOverride, nginx: bool) -> Option<Reason> {
    if let Some(name) = field.strip_prefix("expose/") {
        let expose = merged.expose.as_ref()?;
        if expose.enabled == Some(false) {
            return Some(Reason::NotExposed);
        }
        return match name {
            "subdomain" if expose.host.is_some() => Some(Reason::HostSet),
            "body_size" | "timeout" if !nginx => Some(Reason::NotNginx),
            _ => None,
        };
    }
    let autoscaling = merged.autoscaling.as_ref()?;
    (autoscaling.enabled == Some(false)).then_some(Reason::NotAutoscaled)
}

/// Whether any field could do nothing with these merged settings (see [`reason`]).
fn any_reason(merged: &ServiceOverride, nginx: bool) -> bool {
    let expose = merged
        .expose
        .as_ref()
        .is_some_and(|e| e.enabled == Some(false) || e.host.is_some() || !nginx);
    let autoscaling = merged
        .autoscaling
        .as_ref()
        .is_some_and(|a| a.enabled == Some(false));
    expose || autoscaling
}

/// Reports each written setting that does nothing in every Kubernetes environment it reaches.
pub(super) fn check_unused(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    let fields: Vec<String> = EXPOSE_FIELDS
        .iter()
        .map(|f| format!("expose/{f}"))
        .chain(
            AUTOSCALING_FIELDS
                .iter()
                .map(|f| format!("autoscaling/{f}")),
        )
        .collect();
    for (name, service) in &spec.services {
        // A worker's `expose` is reported as such (E0315).
        if service.kind == ServiceKind::Worker {
            continue;
        }
        // The merged settings in each Kubernetes environment that runs the service.
        let merged: Vec<(&str, ServiceOverride, bool)> = platform
            .environments
            .iter()
            .filter(|e| e.is_kubernetes() && e.runs(name))
            .filter_map(|env| {
                let env_spec = spec.environments.get(&env.name)?;
                Some((
                    env.name.as_str(),
                    merged_settings(service, env_spec, &env.name),
                    env.ingress.nginx,
                ))
            })
            .collect();
        // A setting is reported only when it does nothing everywhere it reaches, so a service
        // with no reason anywhere has nothing to report (and most services have none).
        if !merged.iter().any(|(_, m, nginx)| any_reason(m, *nginx)) {
            continue;
        }
        // Place → (field, the reason it does nothing in each environment it reaches, if so).
        let mut places: BTreeMap<String, (&str, Vec<Option<Unused>>)> = BTreeMap::new();
        for (env, merged, nginx) in &merged {
            for field in &fields {
                let Some(place) = setting_source(doc, name, env, field) else {
                    continue;
                };
                // An environment's `expose` does not reach a service not exposed by itself
                // (where it reaches none, `check_unused_expose_overrides` says so).
                let environment_wide = place.starts_with("/environments/");
                if environment_wide
                    && field.starts_with("expose/")
                    && !exposed_by_itself(service, env)
                {
                    continue;
                }
                let why =
                    reason(field, merged, *nginx).map(|r| (r.explain(), r, (*env).to_owned()));
                places
                    .entry(place)
                    .or_insert_with(|| (field.as_str(), Vec::new()))
                    .1
                    .push(why);
            }
        }
        for (place, (field, reasons)) in places {
            let Some(reasons) = reasons.into_iter().collect::<Option<Vec<_>>>() else {
                continue;
            };
            let Some((_, first, _)) = reasons.first() else {
                continue;
            };
            // `in `a` and `b`, explanation`, one per distinct explanation.
            let mut grouped: Vec<(&str, Vec<String>)> = Vec::new();
            for (text, _, env) in &reasons {
                match grouped.iter_mut().find(|(t, _)| t == text) {
                    Some((_, envs)) => envs.push(format!("`{env}`")),
                    None => grouped.push((text, vec![format!("`{env}`")])),
                }
            }
            let explained: Vec<String> = grouped
                .iter()
                .map(|(text, envs)| format!("in {}, {text}", and_list(envs)))
                .collect();
            out.push(
                Diagnostic::error(
                    "E0326",
                    format!(
                        "`{}` of `{name}` never takes effect: {}",
                        field.replace('/', "."),
                        explained.join("; ")
                    ),
                )
                .at(doc.span_of(&place))
                .label("ignored wherever it applies")
                .help(first.help()),
            );
        }
    }
}

/// Reports each Kubernetes environment's `service_overrides.expose` where it reaches no
/// service: it adjusts only the services exposed by themselves (see
/// [`crate::resolve::exposed_by_itself`]), and the environment runs none.
pub(super) fn check_unused_expose_overrides(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    for env in platform.environments.iter().filter(|e| e.is_kubernetes()) {
        let ptr = format!(
            "/environments/{}/service_overrides/expose",
            pointer_escape(&env.name)
        );
        if !doc.has(&ptr) {
            continue;
        }
        let reached = spec
            .services
            .iter()
            .any(|(name, service)| env.runs(name) && exposed_by_itself(service, &env.name));
        if reached {
            continue;
        }
        out.push(
            Diagnostic::error(
                "E0326",
                format!(
                    "`service_overrides.expose` of `{}` never takes effect: no service it runs is exposed by itself",
                    env.name
                ),
            )
            .at(doc.key_span_of(&ptr))
            .label("reaches no service")
            .help("an environment's `expose` only adjusts services with an `expose` of their own and never makes one public: remove it, or give the services it should adjust their own `expose` (e.g. `expose = { subdomain = \"api\" }`)"),
        );
    }
}

/// Reports each dependency no service `uses`: compose starts only the dependencies some
/// service uses, Kubernetes opens egress only to them and CI starts only their databases, so
/// an unused one changes no file.
pub(super) fn check_unused_dependencies(
    doc: &Document,
    spec: &PlatformSpec,
    out: &mut Vec<Diagnostic>,
) {
    // A misspelt `uses` entry (E0301) most likely means the dependency it does not name.
    let misspelt = spec
        .services
        .values()
        .flat_map(|s| &s.uses)
        .any(|used| !spec.dependencies.contains_key(used));
    if misspelt {
        return;
    }
    for name in spec.dependencies.keys() {
        if spec.services.values().any(|s| s.uses.contains(name)) {
            continue;
        }
        out.push(
            Diagnostic::error(
                "E0326",
                format!("dependency `{name}` never takes effect: no service `uses` it"),
            )
            .at(doc.key_span_of(&format!("/dependencies/{}", pointer_escape(name))))
            .label("used by no service")
            .help(format!(
                "add `\"{name}\"` to `uses` of each service that connects to it, or remove `[dependencies.{name}]`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    /// The small fixture with `api`'s `expose` line replaced by `api`, and `extra` appended.
    fn problems(api: &str, extra: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let text = fixture.replace("expose = { subdomain = \"api\" }\n", api) + extra;
        super::super::problems_with("E0326", text)
    }

    #[test]
    fn a_dependency_no_service_uses_is_reported_at_its_table() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let extra = "\n[dependencies.redis]\nversion = \"7\"\n";
        let found = super::super::problems_with("E0326", fixture.to_owned() + extra);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 32);
        assert_eq!(
            found[0].1,
            "dependency `redis` never takes effect: no service `uses` it"
        );
        // Used by the worker only: it takes effect.
        let used = fixture.replace(
            "kind = \"worker\"\n",
            "kind = \"worker\"\nuses = [\"redis\"]\nsecrets = [\"REDIS_URL\"]\n",
        ) + extra;
        assert_eq!(super::super::problems_with("E0326", used), []);
        // Beside a misspelt `uses` entry, only the misspelling is reported (E0301).
        let misspelt = fixture.replace("uses = [\"postgres\"]", "uses = [\"postgress\"]");
        assert_eq!(super::super::problems_with("E0326", misspelt), []);
    }

    #[test]
    fn a_subdomain_beside_a_host_is_reported() {
        let found = problems(
            "expose = { subdomain = \"x\", host = \"h.example.com\" }\n",
            "",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 25);
        assert_eq!(
            found[0].1,
            "`expose.subdomain` of `api` never takes effect: in `staging` and `production`, `expose.host` replaces it"
        );
        // A host for one environment only: the subdomain serves the other.
        let staging = "\n[services.api.env.staging]\nexpose = { host = \"h.example.com\" }\n";
        assert_eq!(problems("expose = { subdomain = \"x\" }\n", staging), []);
    }

    #[test]
    fn settings_beside_enabled_false_are_reported() {
        let found = problems("expose = { enabled = false, subdomain = \"x\" }\n", "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.ends_with("never takes effect: in `staging` and `production`, the service is not exposed (`expose.enabled = false`)"));
        let found = problems("autoscaling = { enabled = false, max = 5 }\n", "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.ends_with(
            "in `staging` and `production`, autoscaling is off (`autoscaling.enabled = false`)"
        ));
        // Switched off in one environment only: the settings apply in the other.
        let staging = "\n[services.api.env.staging]\nautoscaling = { enabled = false }\n";
        assert_eq!(problems("autoscaling = { max = 5 }\n", staging), []);
        // Switched off for the service and on again for one environment.
        let production = "\n[services.api.env.production]\nexpose = { enabled = true }\n";
        assert_eq!(
            problems(
                "expose = { enabled = false, subdomain = \"x\" }\n",
                production
            ),
            []
        );
    }

    #[test]
    fn an_environment_expose_that_reaches_no_service_is_reported() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let text = fixture.replace(
            "domain = \"example.com\"\n",
            "domain = \"example.com\"\nservice_overrides = { expose = { timeout = 120 } }\n",
        );
        // `api` is exposed by itself: the timeout reaches it.
        assert_eq!(super::super::problems_with("E0326", text.clone()), []);
        // Internal in production, it is not; and the override exposes no one else.
        let internal = "\n[services.api.env.production]\nexpose = { enabled = false }\n";
        let found = super::super::problems_with("E0326", text.clone() + internal);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 18);
        assert_eq!(
            found[0].1,
            "`service_overrides.expose` of `production` never takes effect: no service it runs is exposed by itself"
        );
        // Without an `expose` of its own, `api` is not exposed by itself either.
        let unexposed = text.replace("expose = { subdomain = \"api\" }\n", "");
        let found = super::super::problems_with("E0326", unexposed);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 18);
    }

    #[test]
    fn an_ingress_class_name_does_not_decide_what_reads_the_annotations() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let text = fixture
            .replace(
                "domain = \"example.com\"\n",
                "domain = \"example.com\"\ningress = { class = \"public\" }\n",
            )
            .replace(
                "expose = { subdomain = \"api\" }",
                "expose = { subdomain = \"api\", timeout = 30, body_size = \"20m\" }",
            );
        assert_eq!(super::super::problems_with("E0326", text.clone()), []);
        // Where ingress-nginx serves neither environment, they have nothing to go in; where it
        // serves one, they take effect there.
        let other = text.replace(
            "ingress = { class = \"public\" }",
            "ingress = { class = \"public\", controller = \"other\" }",
        );
        assert_eq!(super::super::problems_with("E0326", other.clone()), []);
        let other = other.replace(
            "domain = \"staging.example.com\"\n",
            "domain = \"staging.example.com\"\ningress = { controller = \"other\" }\n",
        );
        let found = super::super::problems_with("E0326", other);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|(_, m)| m.contains("its ingress controller is not ingress-nginx")),
            "{found:?}"
        );
    }
}
