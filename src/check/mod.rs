//! Stage 4: semantic rules the schema cannot express, across services and environments.
//! Each rule reports with the span of the most specific place the offending value was set.

mod alerts;
mod calls;
mod ci;
mod ci_unused;
mod compose;
mod config;
mod connections;
mod cron;
mod disruption;
mod intervals;
mod metrics;
mod nodes;
mod quota;
mod replicas;
mod resources;
mod shutdown;
mod sidecar;
mod slo;
mod unused;
mod variables;

use std::collections::BTreeSet;

use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::load::{Document, pointer_escape};
use crate::model::spec::ServiceKind;
use crate::model::{Platform, PlatformSpec};
use crate::resolve::dependency_kind;
use config::ConfigKeys;
use connections::PLATGEN_VARIABLES;

/// Service settings only web services have (JSON pointers under the service).
const WEB_ONLY: &[&str] = &[
    "port",
    "app",
    "workers",
    "metrics_path",
    "health/liveness",
    "health/readiness",
    "health/startup",
];

/// The longest suffix platgen adds to a service name (`-secrets`), so names stay within 63.
const LONGEST_SUFFIX: usize = "-secrets".len();

/// Runs every rule; an empty result means the platform is consistent.
pub fn check(doc: &Document, spec: &PlatformSpec, platform: &Platform) -> Vec<Diagnostic> {
    // Two halves on two threads for a large platform: at 1000 services × 3 environments about
    // 12 and 8 ms by the timings of each rule (the resources of every environment and the
    // replicas are the largest). The second half's diagnostics follow the first's, so the
    // order is that of running them one after another.
    let pairs = spec.services.len() * spec.environments.len().max(1);
    let (mut diagnostics, later) = crate::parallel::join_for(
        pairs,
        || {
            let mut diagnostics = Vec::new();
            let config = ConfigKeys::new(spec);
            check_references(doc, spec, &mut diagnostics);
            calls::check_calls(doc, spec, platform, &mut diagnostics);
            check_services(doc, spec, &config, &mut diagnostics);
            connections::check_connections(doc, spec, &config, &mut diagnostics);
            variables::check_variables(doc, spec, &config, &mut diagnostics);
            compose::check_compose(doc, spec, platform, &mut diagnostics);
            compose::check_names(doc, spec, &mut diagnostics);
            resources::check_environments(doc, platform, &mut diagnostics);
            diagnostics
        },
        || {
            let mut diagnostics = Vec::new();
            replicas::check_replicas(doc, platform, &mut diagnostics);
            sidecar::check_istio_proxy(doc, platform, &mut diagnostics);
            quota::check_quotas(doc, platform, &mut diagnostics);
            nodes::check_nodes(doc, platform, &mut diagnostics);
            shutdown::check_shutdown(doc, platform, &mut diagnostics);
            unused::check_unused(doc, spec, platform, &mut diagnostics);
            unused::check_unused_dependencies(doc, spec, &mut diagnostics);
            unused::check_unused_expose_overrides(doc, spec, platform, &mut diagnostics);
            slo::check_slos(doc, spec, platform, &mut diagnostics);
            alerts::check_alerts(doc, spec, platform, &mut diagnostics);
            ci::check_ci(doc, spec, &mut diagnostics);
            ci_unused::check_ci_unused(doc, spec, platform, &mut diagnostics);
            metrics::check_metrics(doc, spec, &mut diagnostics);
            intervals::check_intervals(doc, spec, &mut diagnostics);
            diagnostics
        },
    );
    diagnostics.extend(later);
    diagnostics.sort_by_key(|d| d.span.as_ref().map(|s| s.start));
    diagnostics
}

fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, what: &str) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    match did_you_mean(word, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if candidates.is_empty() => format!("declare it under [{what}] first"),
        None => format!("known {what}: {}", candidates.join(", ")),
    }
}

/// The span of the part `range` of the string `value` set at `ptr`: narrowed to those
/// characters when the file writes the value literally between quotes, else the whole value.
pub(crate) fn span_within(
    doc: &Document,
    ptr: &str,
    value: &str,
    range: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let span = doc.span_of(ptr)?;
    let written = doc.source.text.get(span.clone())?;
    let literal = ['"', '\''].iter().any(|q| {
        written.len() == value.len() + 2
            && written.starts_with(*q)
            && written.ends_with(*q)
            && &written[1..written.len() - 1] == value
    });
    if literal && range.start < range.end && range.end <= value.len() {
        Some(span.start + 1 + range.start..span.start + 1 + range.end)
    } else {
        Some(span)
    }
}

/// Pointer to a service key.
pub(crate) fn service_ptr(name: &str) -> String {
    format!("/services/{}", pointer_escape(name))
}

fn check_references(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let envs: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
    let deps: Vec<&str> = spec.dependencies.keys().map(String::as_str).collect();
    for (name, service) in &spec.services {
        let base = service_ptr(name);
        let mut listed = BTreeSet::new();
        for (i, dep) in service.uses.iter().enumerate() {
            if !listed.insert(dep.as_str()) {
                out.push(
                    Diagnostic::error(
                        "E0345",
                        format!("service `{name}` lists `{dep}` in `uses` twice"),
                    )
                    .at(doc.span_of(&format!("{base}/uses/{i}")))
                    .label("listed again here")
                    .help("remove the duplicate"),
                );
            } else if !spec.dependencies.contains_key(dep)
                && dep != name
                && spec.services.contains_key(dep)
            {
                out.push(
                    Diagnostic::error(
                        "E0301",
                        format!("service `{name}` uses `{dep}`, a service, not a dependency"),
                    )
                    .at(doc.span_of(&format!("{base}/uses/{i}")))
                    .label("not declared under [dependencies]")
                    .help(format!(
                        "to send requests to the service `{dep}`, list it in `calls` instead: `calls = [\"{dep}\"]`"
                    )),
                );
            } else if !spec.dependencies.contains_key(dep) {
                out.push(
                    Diagnostic::error(
                        "E0301",
                        format!("service `{name}` uses unknown dependency `{dep}`"),
                    )
                    .at(doc.span_of(&format!("{base}/uses/{i}")))
                    .label("not declared under [dependencies]")
                    .help(suggest(dep, deps.iter().copied(), "dependencies")),
                );
            }
        }
        for env in service.env.keys() {
            if !spec.environments.contains_key(env) {
                out.push(
                    Diagnostic::error(
                        "E0302",
                        format!("service `{name}` overrides unknown environment `{env}`"),
                    )
                    .at(doc.key_span_of(&format!("{base}/env/{}", pointer_escape(env))))
                    .label("no such environment")
                    .help(suggest(env, envs.iter().copied(), "environments")),
                );
            }
        }
    }
    for (name, dep) in &spec.dependencies {
        let base = format!("/dependencies/{}", pointer_escape(name));
        if dependency_kind(name, dep).is_none() {
            out.push(
                Diagnostic::error("E0312", format!("dependency `{name}` has no kind"))
                    .at(doc.key_span_of(&base))
                    .help("add `kind = \"postgres\"`, `\"redis\"` or `\"rabbitmq\"`, or name it after its kind"),
            );
        }
        for env in dep.env.keys() {
            if !spec.environments.contains_key(env) {
                out.push(
                    Diagnostic::error(
                        "E0302",
                        format!("dependency `{name}` overrides unknown environment `{env}`"),
                    )
                    .at(doc.key_span_of(&format!("{base}/env/{}", pointer_escape(env))))
                    .help(suggest(env, envs.iter().copied(), "environments")),
                );
            }
        }
    }
}

fn check_services(
    doc: &Document,
    spec: &PlatformSpec,
    config: &ConfigKeys,
    out: &mut Vec<Diagnostic>,
) {
    for (name, service) in &spec.services {
        let base = service_ptr(name);
        // Located only when a problem is reported: the span map is made on demand.
        let key = || doc.key_span_of(&base);
        if name.len() + LONGEST_SUFFIX > 63 {
            out.push(
                Diagnostic::error("E0314", format!("service name `{name}` is too long"))
                    .at(key())
                    .help(format!("use at most {} characters: platgen derives object names such as `{name}-secrets` from it, and Kubernetes allows 63", 63 - LONGEST_SUFFIX)),
            );
        }
        match service.kind {
            ServiceKind::Web => {
                if service.app.is_none() {
                    out.push(
                        Diagnostic::error("E0303", format!("web service `{name}` has no `app`"))
                            .at(key())
                            .help("add `app = \"package.module:app\"`, the ASGI application gunicorn serves"),
                    );
                }
                if service.health.command.is_some() {
                    out.push(
                        Diagnostic::error("E0305", format!("web service `{name}` has a health `command`"))
                            .at(doc.key_span_of(&format!("{base}/health/command")))
                            .help("web services are probed over HTTP: set `health.liveness` / `health.readiness` paths instead"),
                    );
                }
            }
            ServiceKind::Worker => {
                if service.command.is_none() {
                    out.push(
                        Diagnostic::error("E0304", format!("worker `{name}` has no `command`"))
                            .at(key())
                            .help("add `command = [\"python\", \"-m\", \"your_worker\"]`"),
                    );
                }
                if service.health.command.is_none() {
                    out.push(
                        Diagnostic::error("E0305", format!("worker `{name}` has no health `command`"))
                            .at(key())
                            .help("add `health.command = [...]`, a command that exits 0 while the worker is healthy; Kubernetes probes it"),
                    );
                }
                // Settings only a web server has. A worker has no port and is probed with
                // `health.command`; none of these would be used, so none is silently dropped.
                let own = WEB_ONLY
                    .iter()
                    .map(|field| (format!("{base}/{field}"), field.replace('/', ".")));
                let per_env = service.env.keys().map(|env| {
                    let ptr = format!("{base}/env/{}/workers", pointer_escape(env));
                    (ptr, "workers".to_owned())
                });
                for (ptr, field) in own.chain(per_env).filter(|(ptr, _)| doc.has(ptr)) {
                    let help = if field.starts_with("health.") {
                        format!("remove `{field}`: a worker is probed with `health.command`")
                    } else {
                        format!("remove `{field}`, or make the service `kind = \"web\"`")
                    };
                    out.push(
                        Diagnostic::error(
                            "E0315",
                            format!("worker `{name}` sets `{field}`, which only web services have"),
                        )
                        .at(doc.key_span_of(&ptr))
                        .help(help),
                    );
                }
                // The places a worker can set `expose`: its own settings and its per-env overrides
                // (looked up, not scanned: a config key may be called `expose` too).
                let own = service
                    .settings
                    .expose
                    .is_some()
                    .then(|| format!("{base}/expose"));
                let per_env = service
                    .env
                    .iter()
                    .filter(|(_, o)| o.expose.is_some())
                    .map(|(env, _)| format!("{base}/env/{}/expose", pointer_escape(env)));
                for ptr in own.into_iter().chain(per_env) {
                    out.push(
                        Diagnostic::error(
                            "E0315",
                            format!("worker `{name}` cannot be exposed through the ingress"),
                        )
                        .at(doc.key_span_of(&ptr))
                        .help("only web services are exposed; remove `expose`"),
                    );
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (i, secret) in service.secrets.iter().enumerate() {
            let var = secret.name();
            let ptr = format!("{base}/secrets/{i}");
            if !seen.insert(var.to_owned()) {
                out.push(
                    Diagnostic::error(
                        "E0311",
                        format!("secret `{var}` is listed twice for `{name}`"),
                    )
                    .at(doc.span_of(&ptr))
                    .help("remove the duplicate"),
                );
            }
            if PLATGEN_VARIABLES.contains(&var) {
                let help = if var == "WEB_CONCURRENCY" {
                    "platgen sets it from `workers`".to_owned()
                } else {
                    format!(
                        "remove `{var}` from `secrets`: platgen sets it in the image or the compose file, and replacing it breaks the container"
                    )
                };
                out.push(
                    Diagnostic::error("E0311", format!("`{var}` is set by platgen"))
                        .at(doc.span_of(&ptr))
                        .help(help),
                );
            }
        }
        for var in &seen {
            let Some(ptr) = config.pointer(name, var) else {
                continue;
            };
            out.push(
                Diagnostic::error("E0311", format!("`{var}` of `{name}` is both a secret and a plain config value"))
                    .at(doc.key_span_of(&ptr))
                    .help("a variable comes from one place: keep it in `secrets` or in `config`, not both"),
            );
        }
    }
}

/// For the rules' unit tests: `tests/fixtures/small.toml` with `api_settings` added to the
/// service `api` (after its `replicas = 2`) and `extra` appended.
#[cfg(test)]
pub(crate) fn small_with(api_settings: &str, extra: &str) -> String {
    let fixture = include_str!("../../tests/fixtures/small.toml");
    fixture.replace("replicas = 2\n", &format!("replicas = 2\n{api_settings}")) + extra
}

/// For the rules' unit tests: the (line, message) of each problem with `code` that analysing
/// `text` reports, in order.
#[cfg(test)]
pub(crate) fn problems_with(code: &str, text: String) -> Vec<(usize, String)> {
    let source = crate::diagnostics::SourceFile::new("platform.toml", text);
    match crate::analyse(source.clone()) {
        Ok(_) => Vec::new(),
        Err(crate::Failure::Invalid { diagnostics, .. }) => diagnostics
            .iter()
            .filter(|d| d.code.0 == code)
            .map(|d| {
                let start = d.span.clone().expect("located").start;
                (source.line_col(start).0, d.message.clone())
            })
            .collect(),
        Err(other) => panic!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    /// Locating a problem parses the file a second time, into the span map: the rules of a
    /// valid platform must never ask for a span (the reference platform's `calls` did, on
    /// every run).
    #[test]
    fn a_valid_platform_is_checked_without_the_span_map() {
        for source in crate::testing::example_platforms() {
            let path = source.path.clone();
            let doc = crate::load::load(source).expect("loads");
            let spec = crate::validate::validate(&doc).expect("valid");
            let platform = crate::resolve::resolve(&spec);
            assert_eq!(
                super::check(&doc, &spec, &platform),
                [],
                "{}",
                path.display()
            );
            assert!(
                !doc.spans_built(),
                "{}: the span map was built",
                path.display()
            );
        }
    }
}
