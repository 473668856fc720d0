//! The variables compose reads: credentials of the dependency containers, secrets of the
//! services, and the connection URLs built from them. Development gets `${VAR:-default}`,
//! the production simulation `${VAR:?message}` for anything secret.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::spec::DependencyKind;
use crate::model::{DependencyUse, ResolvedEnv};
use crate::resolve::default_port;

/// Which of the two projects is being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `docker-compose.yml`: development defaults for every credential.
    Development,
    /// `docker-compose.prod.yml`: secrets must be supplied; nothing defaults to blank.
    Production,
}

/// A variable the compose files read from the shell or `.env`, listed in `.env.example`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Variable {
    name: String,
    /// The development default (empty for variables the production simulation requires).
    value: String,
    about: String,
}

/// One credential of a dependency container: the variable compose reads and its dev default.
#[derive(Debug, Clone)]
pub(super) struct Credential {
    /// Variable in the container (`POSTGRES_PASSWORD`).
    pub(super) container: &'static str,
    /// What it is (`password`).
    role: &'static str,
    /// Variable compose reads (`<DEPENDENCY>_PASSWORD`).
    var: String,
    default: String,
    /// Required in the production simulation (passwords).
    secret: bool,
}

impl Credential {
    pub(super) fn substitution(&self, mode: Mode) -> String {
        if mode == Mode::Production && self.secret {
            required(&self.var, "")
        } else {
            format!("${{{}:-{}}}", self.var, self.default)
        }
    }
}

/// `${VAR:?message}`: compose refuses to start without it instead of passing a blank.
pub(super) fn required(var: &str, hint: &str) -> String {
    format!("${{{var}:?{var} is required{hint}}}")
}

/// A literal value in a compose file: `$` would start an interpolation.
pub(super) fn literal(value: &str) -> String {
    value.replace('$', "$$")
}

/// The credentials of a dependency's container, in the order the URL uses them.
pub(super) fn credentials(dep: &DependencyUse) -> Vec<Credential> {
    let prefix = dep.name.to_ascii_uppercase().replace('-', "_");
    let cred = |container, role, suffix: &str, default: &str, secret| Credential {
        container,
        role,
        var: format!("{prefix}_{suffix}"),
        default: default.to_owned(),
        secret,
    };
    match dep.kind {
        DependencyKind::Postgres => vec![
            cred("POSTGRES_USER", "user", "USER", &dep.dev.user, false),
            cred(
                "POSTGRES_PASSWORD",
                "password",
                "PASSWORD",
                &dep.dev.password,
                true,
            ),
            cred("POSTGRES_DB", "database", "DB", &dep.dev.database, false),
        ],
        DependencyKind::Rabbitmq => vec![
            cred(
                "RABBITMQ_DEFAULT_USER",
                "user",
                "USER",
                &dep.dev.user,
                false,
            ),
            cred(
                "RABBITMQ_DEFAULT_PASS",
                "password",
                "PASSWORD",
                &dep.dev.password,
                true,
            ),
        ],
        DependencyKind::Redis => Vec::new(),
    }
}

/// The connection URL a development service gets for a dependency, built from the same
/// substitutions as the container's credentials so the two always agree.
pub(super) fn dev_url(dep: &DependencyUse) -> String {
    let creds: Vec<String> = credentials(dep)
        .iter()
        .map(|c| c.substitution(Mode::Development))
        .collect();
    let host = format!("{}:{}", dep.name, default_port(dep.kind));
    match (dep.kind, creds.as_slice()) {
        (DependencyKind::Postgres, [user, password, db]) => {
            format!("{}://{user}:{password}@{host}/{db}", dep.scheme)
        }
        (DependencyKind::Rabbitmq, [user, password]) => {
            format!("{}://{user}:{password}@{host}/%2F", dep.scheme)
        }
        _ => format!("{}://{host}/0", dep.scheme),
    }
}

/// The development default of a secret no dependency provides.
pub(super) fn dev_secret(var: &str) -> String {
    format!("dev-only-{}", var.to_ascii_lowercase().replace('_', "-"))
}

/// Dependencies the services use, once each, in order of first use.
pub(super) fn used_dependencies(env: &ResolvedEnv) -> Vec<&DependencyUse> {
    let mut seen = BTreeSet::new();
    env.services
        .iter()
        .flat_map(|s| &s.uses)
        .filter(|dep| seen.insert(dep.name.clone()))
        .collect()
}

/// Variables in order of first mention, each once.
#[derive(Default)]
struct Variables(Vec<Variable>);

impl Variables {
    fn add(&mut self, name: &str, value: String, about: String) {
        if self.0.iter().all(|v| v.name != name) {
            self.0.push(Variable {
                name: name.to_owned(),
                value,
                about,
            });
        }
    }
}

/// Variables of the development project, with their defaults: dependency credentials, then
/// secrets no dependency provides, then Grafana's password.
pub(super) fn dev_variables(dev: &ResolvedEnv, stack: bool) -> Vec<Variable> {
    let mut variables = Variables::default();
    for dep in used_dependencies(dev) {
        for c in credentials(dep) {
            variables.add(&c.var, c.default, format!("{} {}", dep.name, c.role));
        }
    }
    for service in &dev.services {
        for secret in &service.secrets {
            if service.uses.iter().all(|d| d.url_variable != secret.name) {
                let about = format!("secret {} (development value)", secret.name);
                variables.add(&secret.name, dev_secret(&secret.name), about);
            }
        }
    }
    if stack {
        let about = "password of Grafana's admin user".to_owned();
        variables.add("GRAFANA_ADMIN_PASSWORD", "admin".to_owned(), about);
    }
    variables.0
}

/// Variables the production simulation requires (no defaults): dependency passwords, then every
/// secret the services declare.
pub(super) fn prod_variables(prod: &ResolvedEnv) -> Vec<Variable> {
    let mut variables = Variables::default();
    for dep in used_dependencies(prod) {
        for c in credentials(dep).into_iter().filter(|c| c.secret) {
            variables.add(&c.var, String::new(), format!("{} {}", dep.name, c.role));
        }
    }
    for service in &prod.services {
        for secret in &service.secrets {
            let about = format!("secret {} property {}", secret.key, secret.property);
            variables.add(&secret.name, String::new(), about);
        }
    }
    variables.0
}

/// Variables the production simulation reads with a default that development does not read:
/// the user and database names of a dependency only the simulated environment's services use.
pub(super) fn prod_defaults(dev: &ResolvedEnv, prod: &ResolvedEnv) -> Vec<Variable> {
    let in_dev: BTreeSet<&str> = used_dependencies(dev)
        .iter()
        .map(|dep| dep.name.as_str())
        .collect();
    let mut variables = Variables::default();
    for dep in used_dependencies(prod) {
        if in_dev.contains(dep.name.as_str()) {
            continue;
        }
        for c in credentials(dep).into_iter().filter(|c| !c.secret) {
            variables.add(&c.var, c.default, format!("{} {}", dep.name, c.role));
        }
    }
    variables.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_interpolate() {
        assert_eq!(literal("a$b${C}"), "a$$b$${C}");
    }
}
