//! Stage 5: decide which files exist for the chosen environments, and with which template and
//! context each is rendered. Rust decides *what* exists; templates decide how it is written.

use minijinja::value::{Serde, Value};

mod containers;
mod kubernetes;
pub mod observability;
mod workflows;

use crate::model::Platform;

/// One file to render.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Path under the output directory, `/`-separated.
    pub path: String,
    /// Template path under `templates/`.
    pub template: String,
    /// What the template sees.
    pub context: Value,
}

/// Plans every artifact for the given environments (all when `only` is `None`).
pub fn plan(platform: &Platform, only: Option<&str>) -> Vec<Artifact> {
    let platform_value = Value::from(Serde(platform));
    let mut artifacts = Vec::new();
    containers::plan_containers(&platform_value, platform, only, &mut artifacts);
    observability::plan_observability(&platform_value, platform, only, &mut artifacts);
    workflows::plan_workflows(&platform_value, platform, &mut artifacts);
    for env in platform
        .environments
        .iter()
        .filter(|e| only.is_none_or(|name| e.name == name))
    {
        if env.is_kubernetes() {
            kubernetes::plan_kubernetes(&platform_value, env, &mut artifacts);
        }
    }
    artifacts
}
