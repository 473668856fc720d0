//! Stage 5: decide which files exist for the chosen environments, and with which template and
//! context each is rendered. Rust decides *what* exists; templates decide how it is written.

use minijinja::value::{Serde, Value};
use serde::Serialize;

mod containers;
pub mod inputs;
mod kubernetes;
pub mod observability;
pub mod scripts;
mod workflows;

use std::sync::Arc;

use crate::model::{Platform, ResolvedEnv};
use inputs::{Inputs, Part};

/// The top-level folders of the files no one environment owns: Dockerfiles, runbooks and
/// workflows. Every other file lives under its environment's folder, named like it; so no
/// environment may take one of these names (see `check::compose::check_names`), and a render
/// of one environment owns these folders and its own (see [`crate::output::Scope`]).
pub const SHARED_DIRS: &[&str] = &["docker", "docs", ".github"];

/// One file to render.
#[derive(Debug)]
pub struct Artifact<'a> {
    /// Path under the output directory, `/`-separated.
    pub path: String,
    /// Template path under `templates/`.
    pub template: String,
    /// What the template sees.
    pub context: Context<'a>,
    /// What decides the file's content (see [`inputs`]).
    pub inputs: Inputs<'a>,
}

/// The parts of the model files are rendered from (see [`inputs`]), shared by the planners.
pub(crate) struct Parts<'a> {
    /// The platform's shared settings.
    platform: Arc<Part<'a>>,
    /// Each environment's parts, in platform order.
    envs: Vec<EnvParts<'a>>,
    /// Each service as its image is built, in `platform.builds` order.
    builds: Vec<Arc<Part<'a>>>,
}

/// The parts of one environment's files.
pub(crate) struct EnvParts<'a> {
    platform: Arc<Part<'a>>,
    /// The environment's own settings.
    settings: Arc<Part<'a>>,
    /// Each service it runs, in `env.services` order.
    services: Vec<Arc<Part<'a>>>,
}

impl<'a> Parts<'a> {
    fn new(platform: &'a Platform) -> Self {
        let shared = Part::of(platform);
        Self {
            envs: platform
                .environments
                .iter()
                .map(|env| EnvParts {
                    platform: Arc::clone(&shared),
                    settings: Part::of(env),
                    services: env.services.iter().map(Part::of).collect(),
                })
                .collect(),
            builds: platform.builds.iter().map(Part::of).collect(),
            platform: shared,
        }
    }

    /// The parts of `env`, one of `platform.environments`.
    fn of(&self, platform: &Platform, env: &ResolvedEnv) -> Option<&EnvParts<'a>> {
        let i = platform
            .environments
            .iter()
            .position(|e| std::ptr::eq(e, env))?;
        self.envs.get(i)
    }

    /// The inputs of the image of the `i`th service of `platform.builds`.
    fn build(&self, i: usize) -> Inputs<'a> {
        self.builds.get(i).map_or(Inputs::Context, |build| {
            Inputs::parts(&[&self.platform, build])
        })
    }

    /// The inputs of a file read from the platform's settings alone.
    fn platform(&self) -> Inputs<'a> {
        Inputs::parts(&[&self.platform])
    }
}

impl<'a> EnvParts<'a> {
    /// The inputs of a file read from the platform's and the environment's settings.
    fn settings(&self) -> Inputs<'a> {
        Inputs::parts(&[&self.platform, &self.settings])
    }

    /// The inputs of a file of the `i`th service of the environment: the platform's and the
    /// environment's settings and the service.
    fn service(&self, i: usize) -> Inputs<'a> {
        self.services.get(i).map_or(Inputs::Context, |service| {
            Inputs::parts(&[&self.platform, &self.settings, service])
        })
    }
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

    /// The context of a file whose own values are `page`, beside the `shared` ones (see
    /// [`paged`]): the page's fields become template values when the file renders, never when
    /// it is taken as unchanged.
    fn page<T: Serialize + Send + Sync + 'a, const N: usize>(
        shared: [(&'static str, Value); N],
        page: Arc<T>,
    ) -> Self {
        Self::lazy(move || {
            let own = Value::from(Serde(&*page));
            let fields = own
                .as_object()
                .and_then(|fields| fields.try_iter_pairs())
                .into_iter()
                .flatten();
            let shared = shared.iter().map(|(k, v)| (Value::from(*k), v.clone()));
            Value::from_pairs(shared.chain(fields))
        })
    }

    /// The context's value (built now when it is lazy), or `None` when the file is not needed.
    pub fn value(&self) -> Option<Value> {
        match &self.0 {
            Build::Ready(value) => Some(value.clone()),
            Build::Lazy(build) => build(),
        }
    }
}

/// The inputs and the context of a file whose own values are `page`, made in planning (a
/// runbook's occurrences, a compose project): it reads the model's `parts`, which `shared` holds
/// as template values, and the page. The page is digested as one more part
/// ([`Part::shared`]) and is what its context's other values are made of, when the file
/// renders: its fingerprint and its context come from the same value.
pub(crate) fn paged<'a, T: Serialize + Send + Sync + 'a, const N: usize>(
    parts: &[&Arc<Part<'a>>],
    shared: [(&'static str, Value); N],
    page: Arc<T>,
) -> (Inputs<'a>, Context<'a>) {
    let own = Part::shared(Arc::clone(&page));
    let mut read = parts.to_vec();
    read.push(&own);
    (Inputs::parts(&read), Context::page(shared, page))
}

impl Artifact<'_> {
    /// Whether the file names the parts of the model it reads (see [`inputs`]), which makes
    /// its fingerprint cheap.
    pub fn names_parts(&self) -> bool {
        matches!(self.inputs, Inputs::Parts(_))
    }

    /// The file's fingerprint under `salt` (see [`inputs`]); `None` when not known.
    pub fn fingerprint(&self, salt: &[u8]) -> Option<inputs::Digest> {
        let ready = match &self.context.0 {
            Build::Ready(value) => Some(value),
            Build::Lazy(_) => None,
        };
        self.inputs
            .fingerprint(salt, &self.template, &self.path, ready)
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
    let rules = crate::timing::timed("plan: rules for the runbooks", || {
        observability::Rules::new(platform)
    });
    let parts = Parts::new(platform);
    let (platform_value, rules, parts) = (&platform_value, &rules, &parts);
    // The planners are independent: two run on another core (when there is one). The order of
    // the artifacts is fixed all the same (containers, observability, workflows, Kubernetes and scripts).
    let ((mut artifacts, workflows), (observability, kubernetes)) = crate::parallel::join(
        || {
            let mut containers = Vec::new();
            containers::plan_containers(
                platform_value,
                platform,
                rules,
                parts,
                only,
                &mut containers,
            );
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
                parts,
                only,
                &mut observability,
            );
            let mut kubernetes = Vec::new();
            for env in platform
                .environments
                .iter()
                .filter(|e| only.is_none_or(|name| e.name == name))
            {
                if env.is_kubernetes()
                    && let Some(env_parts) = parts.of(platform, env)
                {
                    kubernetes::plan_kubernetes(platform_value, env, env_parts, &mut kubernetes);
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

/// Every planned file's path with its fingerprint under `salt` (see [`inputs`]), `None` for a
/// file that names no inputs: what an incremental render compares.
pub fn fingerprints(
    platform: &Platform,
    only: Option<&str>,
    salt: &[u8],
) -> Vec<(String, Option<inputs::Digest>)> {
    plan(platform, only)
        .into_iter()
        .map(|a| {
            let fingerprint = a.fingerprint(salt);
            (a.path, fingerprint)
        })
        .collect()
}
