//! Stage 5: decide which files exist for the chosen environments, and with which template and
//! context each is rendered. Rust decides *what* exists; templates decide how it is written.

use minijinja::value::{Serde, Value};

mod containers;
mod kubernetes;
pub mod observability;
pub mod scripts;
mod workflows;

use crate::model::Platform;

/// One file to render.
#[derive(Debug)]
pub struct Artifact<'a> {
    /// Path under the output directory, `/`-separated.
    pub path: String,
    /// Template path under `templates/`.
    pub template: String,
    /// What the template sees.
    pub context: Context<'a>,
}

/// What a template sees. Large contexts (rule files, rule tests, dashboards, images) are built
/// when their file is rendered, on the rendering thread, and dropped with the file's artifact:
/// planning stays cheap and sequential, and a large platform never holds every context at once.
pub struct Context<'a>(Build<'a>);

type Builder<'a> = Box<dyn Fn() -> Option<Value> + Send + Sync + 'a>;

enum Build<'a> {
    Ready(Value),
    Lazy(Builder<'a>),
}

impl<'a> Context<'a> {
    /// A context built on demand from the model.
    pub fn lazy(build: impl Fn() -> Value + Send + Sync + 'a) -> Self {
        Self(Build::Lazy(Box::new(move || Some(build()))))
    }

    /// The context of a file that exists only when there is something to put in it, which is
    /// known only once the context is built (a rules file's tests, say): `None` means no file.
    pub fn optional(build: impl Fn() -> Option<Value> + Send + Sync + 'a) -> Self {
        Self(Build::Lazy(Box::new(build)))
    }

    /// The context's value (built now when it is lazy), or `None` when the file is not needed.
    pub fn value(&self) -> Option<Value> {
        match &self.0 {
            Build::Ready(value) => Some(value.clone()),
            Build::Lazy(build) => build(),
        }
    }
}

impl From<Value> for Context<'_> {
    fn from(value: Value) -> Self {
        Self(Build::Ready(value))
    }
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Build::Ready(value) => value.fmt(f),
            Build::Lazy(_) => f.write_str("<built when rendered>"),
        }
    }
}

/// Plans every artifact for the given environments (all when `only` is `None`).
pub fn plan<'a>(platform: &'a Platform, only: Option<&str>) -> Vec<Artifact<'a>> {
    let platform_value = Value::from(Serde(platform));
    let rules = observability::Rules::new(platform);
    let (platform_value, rules) = (&platform_value, &rules);
    // The planners are independent: two run on another core (when there is one). The order of
    // the artifacts is fixed all the same (containers, observability, workflows, Kubernetes and scripts).
    let ((mut artifacts, workflows), (observability, kubernetes)) = crate::parallel::join(
        || {
            let mut containers = Vec::new();
            containers::plan_containers(platform_value, platform, rules, only, &mut containers);
            let mut workflows = Vec::new();
            workflows::plan_workflows(platform_value, platform, &mut workflows);
            (containers, workflows)
        },
        || {
            let mut observability = Vec::new();
            observability::plan_observability(
                platform_value,
                platform,
                rules,
                only,
                &mut observability,
            );
            let mut kubernetes = Vec::new();
            for env in platform
                .environments
                .iter()
                .filter(|e| only.is_none_or(|name| e.name == name))
            {
                if env.is_kubernetes() {
                    kubernetes::plan_kubernetes(platform_value, env, &mut kubernetes);
                    scripts::plan_scripts(platform, env, &mut kubernetes);
                }
            }
            (observability, kubernetes)
        },
    );
    artifacts.extend(observability);
    artifacts.extend(workflows);
    artifacts.extend(kubernetes);
    artifacts
}
