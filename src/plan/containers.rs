//! Container artifacts. Every service gets one Dockerfile, shared by all environments
//! (`docker/Dockerfile.<service>`, plus the `docker/.dockerignore` for its build context). Every
//! compose environment gets its development stack (`docker-compose.yml`, `.env.example`, and the
//! `prometheus.yml` and Grafana provisioning it mounts) and `docker-compose.prod.yml`, a local
//! simulation of the production environment.
//!
//! Rust decides every value here (which containers, ports, variables, substitutions); the
//! templates under `templates/docker/` and `templates/compose/` only lay them out.

mod compose;
mod quantities;
mod variables;

use std::collections::HashSet;

use minijinja::value::{Serde, Value};

use super::observability::Rules;
use super::{Artifact, Context, Parts};
use crate::model::spec::ServiceKind;
use crate::model::{Platform, ResolvedEnv, ResolvedService};

/// Plans the Dockerfiles (always: they are environment-independent, so every render owns them)
/// and the compose files of the chosen compose environments.
pub(super) fn plan_containers<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    rules: &Rules,
    parts: &Parts<'a>,
    only: Option<&str>,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    plan_images(platform_value, platform, parts, artifacts);
    for env in platform
        .environments
        .iter()
        .filter(|e| !e.is_kubernetes() && only.is_none_or(|name| e.name == name))
    {
        if let Some(env_parts) = parts.of(platform, env) {
            compose::plan_compose(platform_value, platform, env, env_parts, rules, artifacts);
        }
    }
}

/// Path of a service's Dockerfile relative to the repository root (the build context).
pub(crate) fn dockerfile_path(platform: &Platform, service: &str) -> String {
    format!("{}/docker/Dockerfile.{service}", platform.output_dir)
}

/// The command the image's HEALTHCHECK runs: a GET of the liveness path on the service's own
/// port that fails on any non-2xx answer (`urlopen` raises on 4xx/5xx), or the worker's health
/// command.
pub(crate) fn healthcheck(service: &ResolvedService) -> Option<Vec<String>> {
    match (&service.health.http, service.port, &service.health.command) {
        (Some(http), Some(port), _) => Some(vec![
            "python".to_owned(),
            "-c".to_owned(),
            format!(
                "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen(\
                 'http://127.0.0.1:{port}{}', timeout=5).status < 300 else 1)",
                http.liveness
            ),
        ]),
        (_, _, Some(command)) => Some(command.clone()),
        _ => None,
    }
}

/// The uv workspace member a service's image installs: the project in the service's folder
/// (`<services_dir>/<service>`), named after the service (`platform-api`, whose module is
/// `platform_api`; uv normalises `-` and `_`).
pub(crate) fn python_package(service: &ResolvedService) -> &str {
    &service.name
}

/// The services that run in at least one environment (only those need an image).
fn deployed(platform: &Platform) -> HashSet<&str> {
    platform
        .environments
        .iter()
        .flat_map(|env: &ResolvedEnv| &env.services)
        .map(|s| s.name.as_str())
        .collect()
}

fn plan_images<'a>(
    platform_value: &Value,
    platform: &'a Platform,
    parts: &Parts<'a>,
    artifacts: &mut Vec<Artifact<'a>>,
) {
    let ignore = format!("{}/docker/.dockerignore", platform.output_dir);
    let deployed = deployed(platform);
    let builds: Vec<(usize, &ResolvedService)> = platform
        .builds
        .iter()
        .enumerate()
        .filter(|(_, service)| deployed.contains(service.name.as_str()))
        .collect();
    if builds.is_empty() {
        return;
    }
    for (i, service) in builds {
        let (platform_value, ignore) = (platform_value.clone(), ignore.clone());
        let context = Context::lazy(move || {
            // What the builder copies from the context: shared libraries, then the service.
            let copies: Vec<String> = platform
                .libs
                .iter()
                .map(|lib| lib.trim_end_matches('/').to_owned())
                .chain([service.source_dir.clone()])
                .collect();
            Value::from_pairs([
                ("platform", platform_value.clone()),
                ("service", Value::from(Serde(service))),
                ("is_web", Value::from(service.kind == ServiceKind::Web)),
                ("package", Value::from(python_package(service))),
                ("copies", Value::from(Serde(&copies))),
                ("healthcheck", Value::from(Serde(&healthcheck(service)))),
                (
                    "dockerfile",
                    Value::from(dockerfile_path(platform, &service.name)),
                ),
                ("dockerignore", Value::from(ignore.as_str())),
            ])
        });
        artifacts.push(Artifact {
            path: format!("docker/Dockerfile.{}", service.name),
            template: "docker/Dockerfile".to_owned(),
            context,
            inputs: parts.build(i),
        });
    }
    let sources: Vec<String> = platform
        .libs
        .iter()
        .map(|lib| lib.trim_end_matches('/').to_owned())
        .chain([platform.services_dir.trim_end_matches('/').to_owned()])
        .collect();
    artifacts.push(Artifact {
        path: "docker/.dockerignore".to_owned(),
        template: "docker/.dockerignore".to_owned(),
        context: Value::from_pairs([
            ("platform", platform_value.clone()),
            ("sources", Value::from(Serde(&sources))),
            ("dockerignore", Value::from(ignore)),
        ])
        .into(),
        inputs: parts.platform(),
    });
}
