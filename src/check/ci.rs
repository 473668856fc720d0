//! Rules on `[ci]`: deploy targets that exist and run on Kubernetes, secret names GitHub
//! accepts, a deploy branch that triggers ci.yml, and connection variables the test job can set.

use std::collections::BTreeMap;

use super::suggest;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::PlatformSpec;
use crate::model::spec::Runtime;
use crate::resolve::{default_url_variable, dependency_kind};

/// Runs the `[ci]` rules (nothing to check when the workflows are off).
pub(super) fn check_ci(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    if !spec.ci.enabled {
        return;
    }
    check_targets(doc, spec, out);
    check_secret_names(doc, spec, out);
    check_deploy_branch(doc, spec, out);
    check_url_variables(doc, spec, out);
    super::cron::check_schedule(doc, spec, out);
}

fn check_targets(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let envs: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
    for (stage, target) in [
        ("staging", &spec.ci.staging),
        ("production", &spec.ci.production),
    ] {
        let Some(name) = &target.environment else {
            continue;
        };
        let ptr = format!("/ci/{stage}/environment");
        match spec.environments.get(name) {
            None => out.push(
                Diagnostic::error(
                    "E0340",
                    format!("`ci.{stage}` deploys to unknown environment `{name}`"),
                )
                .at(doc.span_of(&ptr))
                .label("no such environment")
                .help(suggest(name, envs.iter().copied(), "environments")),
            ),
            Some(env) if env.runtime != Runtime::Kubernetes => out.push(
                Diagnostic::error(
                    "E0341",
                    format!("`ci.{stage}` deploys to `{name}`, which runs on compose"),
                )
                .at(doc.span_of(&ptr))
                .label("not a Kubernetes environment")
                .help("the workflows deploy to Kubernetes environments only: name one with `runtime = \"kubernetes\"`"),
            ),
            Some(_) => {}
        }
    }
}

fn check_secret_names(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let secrets = &spec.ci.secrets;
    let named = [
        (
            "/ci/secrets/registry_username",
            Some(&secrets.registry_username),
        ),
        (
            "/ci/secrets/registry_password",
            Some(&secrets.registry_password),
        ),
        ("/ci/secrets/codecov", Some(&secrets.codecov)),
        (
            "/ci/staging/kubeconfig_secret",
            spec.ci.staging.kubeconfig_secret.as_ref(),
        ),
        (
            "/ci/production/kubeconfig_secret",
            spec.ci.production.kubeconfig_secret.as_ref(),
        ),
    ];
    for (ptr, name) in named {
        let Some(name) = name else { continue };
        if name.to_ascii_uppercase().starts_with("GITHUB_") {
            out.push(
                Diagnostic::error("E0342", format!("secret name `{name}` starts with `GITHUB_`"))
                    .at(doc.span_of(ptr))
                    .label("reserved by GitHub")
                    .help("GitHub does not allow secrets whose names start with `GITHUB_`: choose another name"),
            );
        }
    }
}

/// Whether a GitHub branch filter matches a branch: `*` matches within a path segment, `**`
/// across segments, `?` one character.
pub fn branch_filter_matches(filter: &str, branch: &str) -> bool {
    fn matches(f: &[u8], b: &[u8]) -> bool {
        match (f.first(), b.first()) {
            (None, None) => true,
            (Some(b'*'), _) if f.get(1) == Some(&b'*') => {
                (0..=b.len()).any(|i| matches(&f[2..], &b[i..]))
            }
            (Some(b'*'), _) => (0..=b.len())
                .take_while(|&i| i == 0 || b[i - 1] != b'/')
                .any(|i| matches(&f[1..], &b[i..])),
            (Some(b'?'), Some(_)) => matches(&f[1..], &b[1..]),
            (Some(x), Some(y)) if x == y => matches(&f[1..], &b[1..]),
            _ => false,
        }
    }
    matches(filter.as_bytes(), branch.as_bytes())
}

fn check_deploy_branch(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let Some(branch) = &spec.ci.deploy_branch else {
        // The default is the first branch filter, which must then be a plain branch name.
        if let Some(first) = spec.ci.branches.first()
            && first.contains(['*', '?', '[', '!'])
        {
            out.push(
                Diagnostic::error(
                    "E0343",
                    format!("the first of `ci.branches`, `{first}`, is a pattern, not a branch to deploy from"),
                )
                .at(doc.span_of("/ci/branches/0"))
                .label("no push is to this branch name")
                .help("set `deploy_branch = \"<branch>\"`, or list a plain branch name first"),
            );
        }
        return;
    };
    if !spec
        .ci
        .branches
        .iter()
        .any(|filter| branch_filter_matches(filter, branch))
    {
        out.push(
            Diagnostic::error(
                "E0343",
                format!("deploy branch `{branch}` is not among `ci.branches`"),
            )
            .at(doc.span_of("/ci/deploy_branch"))
            .label("pushes to it never run ci.yml")
            .help(deploy_branch_help(&spec.ci.branches, branch)),
        );
    }
}

/// How to fix a deploy branch that no branch filter matches: the plain branch it likely
/// misspells, else adding it to the filters.
fn deploy_branch_help(branches: &[String], branch: &str) -> String {
    let plain = branches
        .iter()
        .map(String::as_str)
        .filter(|filter| !filter.contains(['*', '?', '[', '!']));
    let add = format!("add `\"{branch}\"` to `ci.branches`");
    match crate::diagnostics::did_you_mean(branch, plain) {
        Some(known) => format!("did you mean `{known}`? Otherwise {add}"),
        None => add,
    }
}

fn check_url_variables(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    // The test job runs every service's tests against one set of service containers, so two
    // dependencies cannot hand out their URL in the same variable.
    let mut by_variable: BTreeMap<String, &str> = BTreeMap::new();
    let used = spec.services.values().flat_map(|s| s.uses.iter());
    let mut seen = Vec::new();
    for dep_name in used {
        if seen.contains(&dep_name) {
            continue;
        }
        seen.push(dep_name);
        let Some(dep) = spec.dependencies.get(dep_name) else {
            continue;
        };
        let Some(kind) = dependency_kind(dep_name, dep) else {
            continue;
        };
        let variable = dep
            .url_variable
            .clone()
            .unwrap_or_else(|| default_url_variable(kind).to_owned());
        if let Some(first) = by_variable.get(&variable) {
            out.push(
                Diagnostic::error(
                    "E0344",
                    format!("dependencies `{first}` and `{dep_name}` both pass their URL in `{variable}`"),
                )
                .at(doc.key_span_of(&format!("/dependencies/{}", crate::load::pointer_escape(dep_name))))
                .help(format!("set `url_variable` on `{dep_name}` (e.g. `\"{}_URL\"`): CI's test job sets one variable per dependency", dep_name.to_ascii_uppercase().replace('-', "_"))),
            );
        } else {
            by_variable.insert(variable, dep_name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{branch_filter_matches, deploy_branch_help};

    #[test]
    fn branch_filters_follow_github_globs() {
        assert!(branch_filter_matches("main", "main"));
        assert!(!branch_filter_matches("main", "maint"));
        assert!(branch_filter_matches("release/*", "release/1.0"));
        assert!(!branch_filter_matches("release/*", "release/1.0/hotfix"));
        assert!(branch_filter_matches("release/**", "release/1.0/hotfix"));
        assert!(branch_filter_matches("v?", "v1"));
        assert!(branch_filter_matches("*", "develop"));
    }

    #[test]
    fn a_misspelt_deploy_branch_is_named_among_the_plain_branches() {
        let branches = ["main", "develop", "release/*"].map(String::from);
        assert_eq!(
            deploy_branch_help(&branches, "mian"),
            "did you mean `main`? Otherwise add `\"mian\"` to `ci.branches`"
        );
        // A pattern is never offered as the branch, and a new name is added.
        assert_eq!(
            deploy_branch_help(&branches, "releases/*"),
            "add `\"releases/*\"` to `ci.branches`"
        );
        assert_eq!(
            deploy_branch_help(&branches, "trunk"),
            "add `\"trunk\"` to `ci.branches`"
        );
    }
}
