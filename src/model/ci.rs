//! The resolved CI settings: what the workflow plan needs, every default applied.

use serde::Serialize;

use super::spec::{DeployStrategy, RegistryLogin, WorkflowsLocation};

/// The workflows of the platform, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Ci {
    /// Where the workflow files go.
    pub location: WorkflowsLocation,
    /// Folder of the workflow files under the output directory.
    pub workflows_dir: String,
    /// With `workflows = "repository"`: the link that makes `<out>/.github` the repository's
    /// `.github`, which the `platgen` job checks.
    pub link: Option<WorkflowsLink>,
    /// Branch filters of ci.yml's push and pull-request triggers.
    pub branches: Vec<String>,
    /// Branch whose pushes build, push and deploy to staging.
    pub deploy_branch: String,
    /// How deploys roll out.
    pub strategy: DeployStrategy,
    /// ci.yml's deploy after every push to the deploy branch.
    pub staging: Option<DeployTarget>,
    /// release.yml's deploy of every `v*` tag.
    pub production: Option<DeployTarget>,
    /// pytest with coverage, uploaded to Codecov.
    pub coverage: bool,
    /// Cron schedule of security.yml.
    pub security_schedule: String,
    /// How the build jobs reach the registry.
    pub registry: RegistryAccess,
    /// The platgen the `platgen` job installs.
    pub platgen: PlatgenInstall,
    /// Secret holding the Codecov token.
    pub codecov_secret: String,
    /// The platform file, relative to the repository root.
    pub config: String,
    /// The output directory, relative to the repository root.
    pub out: String,
}

/// The link `<out>/.github` → the repository's `.github`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowsLink {
    /// The link, relative to the repository root, e.g. `out/.github`.
    pub path: String,
    /// What it points to, relative to the link's folder, e.g. `../.github`.
    pub target: String,
}

/// One deploy job's target.
#[derive(Debug, Clone, Serialize)]
pub struct DeployTarget {
    /// The platform environment, also the GitHub environment of the job.
    pub environment: String,
    /// Its Kubernetes namespace.
    pub namespace: String,
    /// Longest wait for each rollout (`kubectl rollout status --timeout`).
    pub rollout_timeout: String,
    /// Secret with the base64-encoded kubeconfig (kubectl strategy).
    pub kubeconfig_secret: String,
    /// Whether the kubectl deploy deletes the platform's objects it no longer applies.
    pub prune: bool,
}

/// Registry login of the build jobs.
#[derive(Debug, Clone, Serialize)]
pub struct RegistryAccess {
    /// Host name of `platform.registry` (what `docker login` takes).
    pub host: String,
    /// How the jobs authenticate.
    pub login: RegistryLogin,
    /// Secret with the user name (`secrets` login).
    pub username_secret: String,
    /// Secret with the password (`secrets` login).
    pub password_secret: String,
    /// GitHub environment holding both secrets (`secrets` login).
    pub environment: String,
}

/// The platgen installed by CI.
#[derive(Debug, Clone, Serialize)]
pub struct PlatgenInstall {
    /// Version.
    pub version: String,
    /// Git repository to install from, instead of crates.io.
    pub git: Option<String>,
}

/// An `images:` entry of a kustomization: the tag a GitOps deploy pinned for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KustomizeImage {
    /// Image name as the Deployments reference it (`<registry>/<service>`).
    pub name: String,
    /// The pinned tag.
    #[serde(rename = "newTag")]
    pub new_tag: String,
}
