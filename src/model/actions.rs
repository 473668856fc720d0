//! The one table of third-party code the rendered GitHub workflows run: every action pinned to
//! the full commit SHA of a release, with the release in the trailing comment, and the tools
//! the workflows install by version. Updating one is one edit here (SHA and version together);
//! `cargo run -- render` then rewrites every workflow.
//!
//! Each SHA was confirmed in at least one public, independent record of the release tag (a
//! Dependabot compare link, or a pinning PR that resolved the tag through the GitHub API); the
//! comment above each entry says where. No SHA here was guessed. All actions are on their
//! current major (Node 24 runtime, or composite actions), so actionlint's runtime-deprecation
//! data has nothing to report.

use serde::Serialize;

/// A GitHub Action pinned to a release commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PinnedAction {
    /// `owner/repo`, or `owner/repo/path` for an action in a sub-folder.
    pub name: &'static str,
    /// The full 40-hex commit SHA the release tag points to.
    pub sha: &'static str,
    /// The release, written as a trailing comment so readers and update bots see it.
    pub version: &'static str,
}

impl PinnedAction {
    /// What follows `uses:`: `owner/repo@<sha> # <version>`.
    pub fn uses(&self) -> String {
        format!("{}@{} # {}", self.name, self.sha, self.version)
    }
}

/// actions/checkout v7.0.1. Source: Dependabot compare `9c091bb…(v7.0.0)…3d3c42e…(v7.0.1)` in
/// ChrisCarini/jetbrains-auto-power-saver#811, and z-shell/zpmod#74.
pub const CHECKOUT: PinnedAction = PinnedAction {
    name: "actions/checkout",
    sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    version: "v7.0.1",
};

/// actions/cache v6.1.0. Source: Dependabot commit list of dfinity/oisy-wallet#13714 (merge of
/// actions/cache#1768, the v6.1.0 release), and many pinned workflows citing `# v6.1.0`.
pub const CACHE: PinnedAction = PinnedAction {
    name: "actions/cache",
    sha: "55cc8345863c7cc4c66a329aec7e433d2d1c52a9",
    version: "v6.1.0",
};

/// astral-sh/setup-uv v8.2.0 (immutable releases from v8). Source: rocky-data/rocky#879
/// (`fac544c`, v8.2.0) and workflows pinning the full SHA with `# v8.2.0`.
pub const SETUP_UV: PinnedAction = PinnedAction {
    name: "astral-sh/setup-uv",
    sha: "fac544c07dec837d0ccb6301d7b5580bf5edae39",
    version: "v8.2.0",
};

/// codecov/codecov-action v7.0.0 (composite). Source: hiero-ledger/hiero-sdk-js#4176 (v6.0.1
/// `e79a696…` → v7.0.0), luxonis/luxonis-train#402 (commit on the v7.0.0 tag).
pub const CODECOV: PinnedAction = PinnedAction {
    name: "codecov/codecov-action",
    sha: "fb8b3582c8e4def4969c97caa2f19720cb33a72f",
    version: "v7.0.0",
};

/// docker/setup-buildx-action v4.3.0. Source: roostorg/coop#1163 (SHA re-derived from the
/// release tag through the GitHub API).
pub const SETUP_BUILDX: PinnedAction = PinnedAction {
    name: "docker/setup-buildx-action",
    sha: "37fe631027851001ddb9b187196cc803df7f5f0e",
    version: "v4.3.0",
};

/// docker/login-action v4.6.0. Source: roostorg/coop#1165 (SHA re-derived from the tag).
pub const DOCKER_LOGIN: PinnedAction = PinnedAction {
    name: "docker/login-action",
    sha: "dbcb813823bdd20940b903addbd779551569679f",
    version: "v4.6.0",
};

/// docker/metadata-action v6.2.0. Source: roostorg/coop#1164 (SHA re-derived from the tag),
/// The-AgenticFlow/openflows#249.
pub const DOCKER_METADATA: PinnedAction = PinnedAction {
    name: "docker/metadata-action",
    sha: "dc802804100637a589fabce1cb79ff13a1411302",
    version: "v6.2.0",
};

/// docker/build-push-action v7.3.0. Source: roostorg/coop#1166 (SHA re-derived from the tag),
/// interline-io/valhalla-docker#11.
pub const DOCKER_BUILD_PUSH: PinnedAction = PinnedAction {
    name: "docker/build-push-action",
    sha: "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
    version: "v7.3.0",
};

/// github/codeql-action/upload-sarif v4.38.0. Source: Dependabot compare
/// `cdf488f…(4.37.9)…b96794f…(4.38.0)` in ChrisCarini/jetbrains-auto-power-saver#835.
pub const UPLOAD_SARIF: PinnedAction = PinnedAction {
    name: "github/codeql-action/upload-sarif",
    sha: "b96794f015dfd88f77b49b1c93e0fa7110f94c63",
    version: "v4.38.0",
};

/// aquasecurity/trivy-action 0.35.0 (the release tags carry no `v`). After the March 2026
/// compromise (GHSA-69fq-xp46-6x23: 76 of 77 tags force-pushed to a credential stealer) the
/// maintainers confirmed 0.35.0 as never compromised (aquasecurity/trivy-action#541). Source of
/// the SHA: greenriver/hmis-warehouse#6319, prebid/prebid-server#4776.
pub const TRIVY: PinnedAction = PinnedAction {
    name: "aquasecurity/trivy-action",
    sha: "57a97c7e7821a5776cebc9bb87c984fa69cba8f1",
    version: "0.35.0",
};

/// orhun/git-cliff-action v4.7.1 (composite). Source: workflows pinning the SHA with
/// `# v4.7.1` (several independent repositories).
pub const GIT_CLIFF: PinnedAction = PinnedAction {
    name: "orhun/git-cliff-action",
    sha: "c93ef52f3d0ddcdcc9bd5447d98d458a11cd4f72",
    version: "v4.7.1",
};

/// Every pinned action, for tests and documentation.
pub const ALL: &[PinnedAction] = &[
    CHECKOUT,
    CACHE,
    SETUP_UV,
    CODECOV,
    SETUP_BUILDX,
    DOCKER_LOGIN,
    DOCKER_METADATA,
    DOCKER_BUILD_PUSH,
    UPLOAD_SARIF,
    TRIVY,
    GIT_CLIFF,
];

/// The Trivy scanner the Trivy action runs (its `version` input). v0.69.4–v0.69.6 were the
/// malicious builds of the March 2026 compromise; v0.69.3 is the last release before it and
/// the default of trivy-action 0.35.0.
pub const TRIVY_VERSION: &str = "v0.69.3";

/// pip-audit, run with `uvx` against `uv export` (uv's own `uv audit` is still experimental).
pub const PIP_AUDIT: &str = "pip-audit==2.10.1";

/// tomlkit, which the GitOps deploy uses to set an environment's `image_tag` in
/// `platform.toml` without disturbing comments or layout.
pub const TOMLKIT: &str = "tomlkit==0.15.2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_pinned_to_a_full_sha_with_a_version() {
        for action in ALL {
            assert_eq!(action.sha.len(), 40, "{}", action.name);
            assert!(
                action
                    .sha
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{}",
                action.name
            );
            assert!(
                action
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                    && action.name.split('/').count() >= 2,
                "{}",
                action.name
            );
            let version = action.version.trim_start_matches('v');
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|p| p.parse::<u32>().is_ok()),
                "{} {}",
                action.name,
                action.version
            );
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|a| a.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
