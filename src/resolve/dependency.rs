//! Backing services: kinds, standard ports and images, and how a service reaches one per environment.

use std::collections::BTreeMap;

use crate::model::spec::{DependencyKind, DependencySpec, ReachSpec};
use crate::model::{DependencyUse, DevCredentials};

/// The kind of a dependency: declared, or implied by its name.
pub fn dependency_kind(name: &str, spec: &DependencySpec) -> Option<DependencyKind> {
    spec.kind.or(match name {
        "postgres" => Some(DependencyKind::Postgres),
        "redis" => Some(DependencyKind::Redis),
        "rabbitmq" => Some(DependencyKind::Rabbitmq),
        _ => None,
    })
}

/// The standard port of a dependency kind.
pub fn default_port(kind: DependencyKind) -> u16 {
    match kind {
        DependencyKind::Postgres => 5432,
        DependencyKind::Redis => 6379,
        DependencyKind::Rabbitmq => 5672,
    }
}

/// The official image of a dependency kind at a version, as the reference runs them.
pub fn default_image(kind: DependencyKind, version: &str) -> String {
    match kind {
        DependencyKind::Postgres => format!("postgres:{version}-alpine"),
        DependencyKind::Redis => format!("redis:{version}-alpine"),
        DependencyKind::Rabbitmq => format!("rabbitmq:{version}-management-alpine"),
    }
}

/// The environment variable that conventionally carries a kind's connection URL.
pub fn default_url_variable(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Postgres => "DATABASE_URL",
        DependencyKind::Redis => "REDIS_URL",
        DependencyKind::Rabbitmq => "RABBITMQ_URL",
    }
}

/// The URL scheme of a kind's connection URL.
pub fn default_scheme(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Postgres => "postgresql",
        DependencyKind::Redis => "redis",
        DependencyKind::Rabbitmq => "amqp",
    }
}

pub(super) fn resolve_dependency(
    platform: &str,
    name: &str,
    spec: &DependencySpec,
    env_name: &str,
) -> Option<DependencyUse> {
    let kind = dependency_kind(name, spec)?;
    let reach: ReachSpec = match spec.env.get(env_name) {
        Some(over) => ReachSpec {
            selector: over
                .selector
                .clone()
                .or_else(|| spec.reach.selector.clone()),
            namespace: over
                .namespace
                .clone()
                .or_else(|| spec.reach.namespace.clone()),
            cidr: over.cidr.clone().or_else(|| spec.reach.cidr.clone()),
        },
        None => spec.reach.clone(),
    };
    Some(DependencyUse {
        name: name.to_owned(),
        kind,
        version: spec.version.clone(),
        port: spec.port.unwrap_or_else(|| default_port(kind)),
        selector: reach
            .selector
            .unwrap_or_else(|| BTreeMap::from([("app".to_owned(), name.to_owned())])),
        namespace: reach.namespace,
        cidr: reach.cidr,
        image: spec
            .image
            .clone()
            .unwrap_or_else(|| default_image(kind, &spec.version)),
        url_variable: spec
            .url_variable
            .clone()
            .unwrap_or_else(|| default_url_variable(kind).to_owned()),
        scheme: spec
            .scheme
            .clone()
            .unwrap_or_else(|| default_scheme(kind).to_owned()),
        dev: DevCredentials {
            user: spec.dev.user.clone().unwrap_or_else(|| platform.to_owned()),
            password: spec
                .dev
                .password
                .clone()
                .unwrap_or_else(|| format!("{platform}_dev_password")),
            database: spec
                .dev
                .database
                .clone()
                .unwrap_or_else(|| platform.to_owned()),
        },
    })
}
