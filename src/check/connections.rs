//! Rules on how a service receives the connection URL of each dependency it `uses`: as a secret
//! named like the dependency's `url_variable` (compose writes the development URL into it,
//! Kubernetes reads it from the secret store) or, for a URL without credentials, as a plain
//! `config` value of that name (a config value with credentials is E0332, `variables.rs`);
//! never as a variable platgen sets itself.

use std::collections::BTreeSet;

use super::config::ConfigKeys;
use super::service_ptr;
use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::load::{Document, pointer_escape};
use crate::model::PlatformSpec;
use crate::model::spec::{DependencyKind, DependencySpec, SecretSpec, ServiceSpec};
use crate::resolve::{default_url_variable, dependency_kind};

/// Variables platgen itself sets in a service's container: gunicorn's worker count, the
/// OpenTelemetry defaults of compose, and the image's own environment.
pub(super) const PLATGEN_VARIABLES: &[&str] = &[
    "WEB_CONCURRENCY",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
];

/// Runs the connection-URL rules.
pub(super) fn check_connections(
    doc: &Document,
    spec: &PlatformSpec,
    config: &ConfigKeys,
    out: &mut Vec<Diagnostic>,
) {
    for (name, dep) in &spec.dependencies {
        let Some(var) = &dep.url_variable else {
            continue;
        };
        if PLATGEN_VARIABLES.contains(&var.as_str()) {
            let suggestion = format!("{}_URL", name.to_ascii_uppercase().replace('-', "_"));
            out.push(
                Diagnostic::error(
                    "E0329",
                    format!(
                        "`url_variable` of `{name}` is `{var}`, a variable platgen sets itself"
                    ),
                )
                .at(doc.span_of(&format!(
                    "/dependencies/{}/url_variable",
                    pointer_escape(name)
                )))
                .label("would clash with platgen's own value")
                .help(format!(
                    "choose another name, e.g. `url_variable = \"{suggestion}\"`"
                )),
            );
        }
    }
    for (name, service) in &spec.services {
        let base = service_ptr(name);
        let required = url_variables(spec, service);
        for (i, dep_name) in service.uses.iter().enumerate() {
            // An unknown dependency or one without a kind is reported on its own.
            let Some(dep) = spec.dependencies.get(dep_name) else {
                continue;
            };
            let Some(kind) = dependency_kind(dep_name, dep) else {
                continue;
            };
            let var = url_variable(dep, kind);
            let secret = service.secrets.iter().any(|s| s.name() == var);
            if secret {
                continue;
            }
            // A URL in plain config (a password-less cache, say) is the user's explicit choice:
            // the container gets it from its ConfigMap and compose environment.
            if config.contains(name, &var) {
                continue;
            }
            let missing = format!(
                "`{name}` uses `{dep_name}` but has no `{var}` secret, so it gets no connection URL"
            );
            let add = format!(
                "add `\"{var}\"` or `{{ name = \"{var}\", key = \"…\", property = \"…\" }}` to `secrets` of `{name}`"
            );
            // A listed secret that misspells it is the likely fix, and would otherwise be
            // rendered as a stray variable beside the one added.
            if let Some((j, listed)) = misspelt_secret(service, &var, &required) {
                let field = match &service.secrets[j] {
                    SecretSpec::Name(_) => String::new(),
                    SecretSpec::Ref(_) => "/name".to_owned(),
                };
                out.push(
                    Diagnostic::error("E0328", format!("{missing}: it lists `{listed}`"))
                        .at(doc.span_of(&format!("{base}/secrets/{j}{field}")))
                        .label(format!("not `{var}`"))
                        .help(format!("did you mean `{var}`? Otherwise add `\"{var}\"` to `secrets` of `{name}` as well")),
                );
                continue;
            }
            out.push(
                Diagnostic::error("E0328", missing)
                    .at(doc.span_of(&format!("{base}/uses/{i}")))
                    .label("compose and Kubernetes pass the URL only as this secret")
                    .help(add),
            );
        }
    }
}

/// The variable a dependency's connection URL is passed in.
fn url_variable(dep: &DependencySpec, kind: DependencyKind) -> String {
    dep.url_variable
        .clone()
        .unwrap_or_else(|| default_url_variable(kind).to_owned())
}

/// The URL variables of every dependency `service` uses (one without a kind has none).
fn url_variables(spec: &PlatformSpec, service: &ServiceSpec) -> BTreeSet<String> {
    service
        .uses
        .iter()
        .filter_map(|name| {
            let dep = spec.dependencies.get(name)?;
            Some(url_variable(dep, dependency_kind(name, dep)?))
        })
        .collect()
}

/// The index and name of the secret of `service` that most likely misspells `var` (case
/// aside, as `did_you_mean` judges: `redis_url`), among those that are no URL variable it needs.
fn misspelt_secret<'a>(
    service: &'a ServiceSpec,
    var: &str,
    required: &BTreeSet<String>,
) -> Option<(usize, &'a str)> {
    let candidates = || {
        service
            .secrets
            .iter()
            .map(SecretSpec::name)
            .enumerate()
            .filter(|(_, listed)| !required.contains(*listed))
    };
    let closest = did_you_mean(var, candidates().map(|(_, listed)| listed))?;
    candidates().find(|(_, listed)| *listed == closest)
}

#[cfg(test)]
mod tests {
    use super::super::problems_with;

    /// The small fixture with `api`'s `secrets = [...]` line replaced by `secrets`, and `extra`.
    fn problems(code: &str, secrets: &str, extra: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let text = fixture.replace("secrets = [\"DATABASE_URL\"]\n", secrets) + extra;
        problems_with(code, text)
    }

    #[test]
    fn a_dependency_without_its_url_secret_is_reported_at_the_uses_entry() {
        let found = problems("E0328", "secrets = [\"API_KEY\"]\n", "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 22);
        assert!(
            found[0]
                .1
                .starts_with("`api` uses `postgres` but has no `DATABASE_URL` secret"),
            "{found:?}"
        );
        // A renamed URL variable is the one that must be a secret.
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let renamed = fixture.replace(
            "version = \"16\"\n",
            "version = \"16\"\nurl_variable = \"PG_URL\"\n",
        );
        let found = problems_with("E0328", renamed);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("has no `PG_URL` secret"), "{found:?}");
    }

    #[test]
    fn a_misspelt_url_secret_is_reported_where_it_is_listed() {
        let found = problems("E0328", "secrets = [\"API_KEY\", \"DATABASE_ULR\"]\n", "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 23);
        assert!(
            found[0]
                .1
                .ends_with("so it gets no connection URL: it lists `DATABASE_ULR`"),
            "{found:?}"
        );
        // Letters' case counts: the variable is `REDIS_URL`, not `redis_url`.
        let redis = "\n[dependencies.redis]\nversion = \"7\"\n";
        for listed in ["redis_url", "REDIS_URl", "REDIS_ULR"] {
            let text = include_str!("../../tests/fixtures/small.toml")
                .replace("uses = [\"postgres\"]", "uses = [\"postgres\", \"redis\"]")
                .replace(
                    "secrets = [\"DATABASE_URL\"]",
                    &format!("secrets = [\"DATABASE_URL\", {{ name = \"{listed}\", key = \"shop/redis\" }}]"),
                )
                + redis;
            let found = problems_with("E0328", text);
            assert_eq!(found.len(), 1, "{listed}: {found:?}");
            assert_eq!(found[0].0, 23, "{listed}");
            assert!(
                found[0].1.contains("no `REDIS_URL` secret")
                    && found[0].1.ends_with(&format!("it lists `{listed}`")),
                "{found:?}"
            );
        }
        // The URL variable of another dependency is no misspelling of this one's.
        let text = include_str!("../../tests/fixtures/small.toml")
            .replace("uses = [\"postgres\"]", "uses = [\"postgres\", \"redis\"]")
            .replace(
                "version = \"16\"\n",
                "version = \"16\"\nurl_variable = \"PG_URL\"\n",
            )
            .replace("secrets = [\"DATABASE_URL\"]", "secrets = [\"REDIS_URL\"]")
            + redis;
        let found = problems_with("E0328", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 23, "at `uses`: {found:?}");
        assert!(!found[0].1.contains("it lists"), "{found:?}");
    }

    #[test]
    fn the_url_secret_may_name_its_place_in_the_store() {
        let explicit =
            "secrets = [{ name = \"DATABASE_URL\", key = \"shop/db\", property = \"url\" }]\n";
        assert_eq!(problems("E0328", explicit, ""), []);
    }

    #[test]
    fn a_url_in_config_is_accepted_and_one_platgen_sets_is_reported() {
        let config = "secrets = []\nconfig = { DATABASE_URL = \"postgresql://db/shop\" }\n";
        // A URL in plain config is the user's choice.
        assert_eq!(problems("E0328", config, ""), []);

        let fixture = include_str!("../../tests/fixtures/small.toml");
        let text = fixture
            .replace(
                "version = \"16\"\n",
                "version = \"16\"\nurl_variable = \"WEB_CONCURRENCY\"\n",
            )
            .replace("secrets = [\"DATABASE_URL\"]", "secrets = [\"API_KEY\"]");
        let found = problems_with("E0329", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 10);
        assert!(
            found[0].1.contains("a variable platgen sets itself"),
            "{found:?}"
        );
    }
}
