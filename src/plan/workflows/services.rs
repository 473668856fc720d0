//! The test job's service containers: exactly the backing services the platform's services use,
//! each with a health check, a free host port, and the connection URL the tests read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::spec::DependencyKind;
use crate::model::{DependencyUse, Platform};
use crate::resolve::default_port;

/// One service container of the test job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestService {
    /// Job service id: the dependency's name.
    pub name: String,
    /// Container image (the dependency's compose image).
    pub image: String,
    /// Container environment (credentials of the throwaway database).
    pub env: BTreeMap<String, String>,
    /// `host:container` port mapping.
    pub ports: Vec<String>,
    /// `docker create` options: the health check GitHub waits for before the steps run.
    pub options: String,
    /// Variable carrying the connection URL to the tests.
    pub url_variable: String,
    /// The URL, pointing at the mapped port on localhost.
    pub url: String,
}

/// The password of the test databases: different in every run and written nowhere, instead of
/// a literal credential in the workflow (the user and database names are the development ones).
pub const TEST_PASSWORD: &str = "ci-${{ github.run_id }}-${{ github.run_attempt }}";

/// Every dependency some service uses, once, by name.
fn used_dependencies(platform: &Platform) -> Vec<&DependencyUse> {
    let mut by_name: BTreeMap<&str, &DependencyUse> = BTreeMap::new();
    for service in &platform.builds {
        for dep in &service.uses {
            by_name.entry(dep.name.as_str()).or_insert(dep);
        }
    }
    by_name.into_values().collect()
}

fn health(kind: DependencyKind, dep: &DependencyUse) -> String {
    // The same checks as the compose stack, as `docker create` options.
    let (command, interval, timeout, retries) = match kind {
        DependencyKind::Postgres => (
            format!("pg_isready -U {} -d {}", dep.dev.user, dep.dev.database),
            "10s",
            "5s",
            5,
        ),
        DependencyKind::Redis => ("redis-cli ping".to_owned(), "10s", "5s", 5),
        DependencyKind::Rabbitmq => (
            "rabbitmq-diagnostics -q check_port_connectivity".to_owned(),
            "10s",
            "10s",
            12,
        ),
    };
    format!(
        "--health-cmd \"{command}\" --health-interval {interval} --health-timeout {timeout} --health-retries {retries}"
    )
}

/// The test job's containers, in dependency-name order; two dependencies of one kind get
/// distinct host ports.
pub fn test_services(platform: &Platform) -> Vec<TestService> {
    let mut taken = BTreeSet::new();
    used_dependencies(platform)
        .into_iter()
        .map(|dep| {
            let container_port = default_port(dep.kind);
            let mut host_port = container_port;
            while !taken.insert(host_port) {
                host_port += 1;
            }
            let dev = &dep.dev;
            let password = TEST_PASSWORD;
            let (env, url) = match dep.kind {
                DependencyKind::Postgres => (
                    BTreeMap::from([
                        ("POSTGRES_USER".to_owned(), dev.user.clone()),
                        ("POSTGRES_PASSWORD".to_owned(), password.to_owned()),
                        ("POSTGRES_DB".to_owned(), dev.database.clone()),
                    ]),
                    format!(
                        "{}://{}:{password}@localhost:{host_port}/{}",
                        dep.scheme, dev.user, dev.database
                    ),
                ),
                DependencyKind::Rabbitmq => (
                    BTreeMap::from([
                        ("RABBITMQ_DEFAULT_USER".to_owned(), dev.user.clone()),
                        ("RABBITMQ_DEFAULT_PASS".to_owned(), password.to_owned()),
                    ]),
                    format!(
                        "{}://{}:{password}@localhost:{host_port}/%2F",
                        dep.scheme, dev.user
                    ),
                ),
                DependencyKind::Redis => (
                    BTreeMap::new(),
                    format!("{}://localhost:{host_port}/0", dep.scheme),
                ),
            };
            TestService {
                name: dep.name.clone(),
                image: dep.image.clone(),
                env,
                ports: vec![format!("{host_port}:{container_port}")],
                options: health(dep.kind, dep),
                url_variable: dep.url_variable.clone(),
                url,
            }
        })
        .collect()
}
