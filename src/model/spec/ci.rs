//! CI/CD: the GitHub Actions workflows (`ci.yml`, `release.yml`, `security.yml`) rendered from
//! the platform. See `docs/ci.md`.

use super::*;

/// A branch filter of a workflow trigger: a branch name, or a GitHub glob such as `release/*`.
pub const BRANCH_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_./*-]*$";
/// A branch name (no globs). The same names as [`RELATIVE_PATH_PATTERN`], written with its
/// class in another order: an error finds its words by the pattern's text, and a branch is no
/// path.
pub const BRANCH_NAME_PATTERN: &str = "^[A-Za-z0-9_][-A-Za-z0-9_./]*$";
/// The name of a GitHub Actions secret.
pub const SECRET_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// A five-field cron expression (minute hour day-of-month month day-of-week, UTC).
pub const CRON_PATTERN: &str = "^[0-9A-Za-z*/,-]+( [0-9A-Za-z*/,-]+){4}$";
/// A rollout timeout `kubectl rollout status --timeout` accepts, e.g. `300s` or `10m`.
pub const ROLLOUT_TIMEOUT_PATTERN: &str = "^[1-9][0-9]*(s|m|h)$";

/// The GitHub Actions workflows of the platform.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiSpec {
    /// Render `.github/workflows/{ci,release,security}.yml` (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Where the workflow files go: `output` (default: `<out>/.github/workflows/`, for review;
    /// GitHub does not run them from there) or `repository` (the repository's own
    /// `.github/workflows/`, reached through the link `<out>/.github` → `<repository>/.github`
    /// that docs/ci.md sets up; the `platgen` CI job checks the link).
    #[serde(default)]
    pub workflows: WorkflowsLocation,
    /// Branches whose pushes and pull requests run ci.yml (globs such as `release/*` allowed).
    #[serde(default = "default_ci_branches")]
    #[schemars(length(min = 1), extend("items" = { "type": "string", "pattern": BRANCH_PATTERN }))]
    pub branches: Vec<String>,
    /// Branch whose pushes build and push the images and deploy to staging; default the first
    /// of `branches`.
    #[serde(default)]
    #[schemars(extend("pattern" = BRANCH_NAME_PATTERN))]
    pub deploy_branch: Option<String>,
    /// How deploys roll a new image out: `kubectl` (default: render the environment with the
    /// new tag, `kubectl apply` its `out/<env>/kubernetes/`, wait for every rollout) or `gitops`
    /// (pin the tag in `platform.toml`, re-render, commit and push, so Argo CD / Flux roll out
    /// `out/<env>/kubernetes/`).
    #[serde(default)]
    pub deploy: DeployStrategy,
    /// Where ci.yml deploys every push to `deploy_branch`.
    #[serde(default)]
    pub staging: DeployTargetSpec,
    /// Where release.yml deploys every `v*` tag.
    #[serde(default)]
    pub production: DeployTargetSpec,
    /// Run pytest with coverage and upload the report to Codecov (default true).
    #[serde(default = "default_true")]
    pub coverage: bool,
    /// When security.yml scans besides pushes to `deploy_branch`: a cron expression in UTC
    /// (default `0 0 * * *`, nightly).
    #[serde(default = "default_security_schedule")]
    #[schemars(extend("pattern" = CRON_PATTERN))]
    pub security_schedule: String,
    /// How the build jobs log in to `platform.registry`: `secrets` (user name and password from
    /// repository secrets) or `github-token` (the workflow's own token; GitHub Container
    /// Registry). Default `github-token` for `ghcr.io`, `secrets` otherwise.
    #[serde(default)]
    pub registry_login: Option<RegistryLogin>,
    /// The platgen the `platgen` CI job installs to check that `out/` is current.
    #[serde(default)]
    pub platgen: PlatgenInstallSpec,
    /// Names of the secrets the workflows read.
    #[serde(default)]
    pub secrets: CiSecretsSpec,
}

impl Default for CiSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            workflows: WorkflowsLocation::default(),
            branches: default_ci_branches(),
            deploy_branch: None,
            deploy: DeployStrategy::default(),
            staging: DeployTargetSpec::default(),
            production: DeployTargetSpec::default(),
            coverage: true,
            security_schedule: default_security_schedule(),
            registry_login: None,
            platgen: PlatgenInstallSpec::default(),
            secrets: CiSecretsSpec::default(),
        }
    }
}

/// Where the workflow files are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowsLocation {
    /// `<out>/.github/workflows/`: a reviewable artifact; GitHub does not run it.
    #[default]
    Output,
    /// The repository's `.github/workflows/`, through the link `<out>/.github` → `.github`.
    Repository,
}

/// How a deploy job rolls out a new image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeployStrategy {
    /// Render the environment with the new tag, `kubectl apply` its kustomization and
    /// `kubectl rollout status` per service, with a kubeconfig secret.
    #[default]
    Kubectl,
    /// Commit the new image tag (`platform.toml` and the re-rendered `out/`) for a GitOps
    /// controller to roll out.
    Gitops,
}

/// How the build jobs authenticate to the container registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryLogin {
    /// `secrets.registry_username` and `secrets.registry_password`.
    Secrets,
    /// The workflow's `GITHUB_TOKEN` with `packages: write` (GitHub Container Registry).
    GithubToken,
}

/// One deploy target of the workflows.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployTargetSpec {
    /// The platform environment (a Kubernetes one) deployed to; also the GitHub environment
    /// the job runs in. Default `staging` / `production` when such a Kubernetes environment
    /// exists; no deploy job otherwise.
    #[serde(default)]
    #[schemars(extend("pattern" = NAME_PATTERN), length(max = NAME_MAX))]
    pub environment: Option<String>,
    /// Longest wait for each service's rollout (`kubectl` strategy), e.g. `5m`; default `300s`
    /// for staging and `600s` for production.
    #[serde(default)]
    #[schemars(extend("pattern" = ROLLOUT_TIMEOUT_PATTERN))]
    pub rollout_timeout: Option<String>,
    /// Secret holding the base64-encoded kubeconfig (`kubectl` strategy); default
    /// `KUBE_CONFIG_<ENVIRONMENT>`. Define it as a secret of the GitHub environment.
    #[serde(default)]
    #[schemars(extend("pattern" = SECRET_NAME_PATTERN))]
    pub kubeconfig_secret: Option<String>,
    /// After every rollout succeeded, delete the objects of this platform in the namespace
    /// that the deploy did not apply: a service removed or disabled in the environment, an
    /// ingress, autoscaler, disruption budget or quota turned off (`kubectl` strategy; only
    /// objects carrying platgen's `managed-by` and `part-of` labels). Default `true`.
    #[serde(default)]
    pub prune: Option<bool>,
}

/// Which platgen the `platgen` CI job installs (`cargo install --locked`, cached).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatgenInstallSpec {
    /// Version to install; default the version of the platgen that renders, so CI checks with
    /// the same platgen that wrote `out/`.
    #[serde(default)]
    #[schemars(extend("pattern" = SEMVER_PRE_PATTERN))]
    pub version: Option<String>,
    /// Install from this Git repository (its `v<version>` tag) instead of crates.io, e.g.
    /// `https://github.com/acme/platgen`.
    #[serde(default)]
    #[schemars(extend("pattern" = GIT_URL_PATTERN))]
    pub git: Option<String>,
}

/// Names of the GitHub Actions secrets the workflows read (values never appear in a workflow).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiSecretsSpec {
    /// Registry user name (`registry_login = "secrets"`).
    #[serde(default = "default_registry_username_secret")]
    #[schemars(extend("pattern" = SECRET_NAME_PATTERN))]
    pub registry_username: String,
    /// Registry password or access token (`registry_login = "secrets"`).
    #[serde(default = "default_registry_password_secret")]
    #[schemars(extend("pattern" = SECRET_NAME_PATTERN))]
    pub registry_password: String,
    /// The GitHub environment the build jobs run in (`registry_login = "secrets"`), without a
    /// deployment record: keep the registry secrets there and limit it to the deploy branch and
    /// `v*` tags, so no other branch's workflow can push images.
    #[serde(default = "default_registry_environment")]
    #[schemars(extend("pattern" = GITHUB_ENVIRONMENT_PATTERN))]
    pub registry_environment: String,
    /// Codecov upload token (`coverage = true`).
    #[serde(default = "default_codecov_secret")]
    #[schemars(extend("pattern" = SECRET_NAME_PATTERN))]
    pub codecov: String,
}

impl Default for CiSecretsSpec {
    fn default() -> Self {
        Self {
            registry_username: default_registry_username_secret(),
            registry_password: default_registry_password_secret(),
            registry_environment: default_registry_environment(),
            codecov: default_codecov_secret(),
        }
    }
}

fn default_ci_branches() -> Vec<String> {
    vec!["main".to_owned()]
}
fn default_security_schedule() -> String {
    "0 0 * * *".to_owned()
}
fn default_registry_username_secret() -> String {
    "REGISTRY_USERNAME".to_owned()
}
fn default_registry_password_secret() -> String {
    "REGISTRY_PASSWORD".to_owned()
}
fn default_registry_environment() -> String {
    "registry".to_owned()
}
fn default_codecov_secret() -> String {
    "CODECOV_TOKEN".to_owned()
}
