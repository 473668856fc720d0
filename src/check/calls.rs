//! Rules on `calls`, the requests services send each other: each names another web service
//! that runs wherever the caller runs, or the NetworkPolicies would let through nothing (or the
//! wrong thing).

use std::collections::HashSet;

use super::{service_ptr, suggest};
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::spec::ServiceKind;
use crate::model::{Platform, PlatformSpec};

/// Runs the `calls` rules.
pub(super) fn check_calls(
    doc: &Document,
    spec: &PlatformSpec,
    platform: &Platform,
    out: &mut Vec<Diagnostic>,
) {
    for (name, service) in &spec.services {
        let mut listed = HashSet::new();
        for (i, callee) in service.calls.iter().enumerate() {
            // Located only for a diagnostic: the span map is built on first use.
            let at = || doc.span_of(&format!("{}/calls/{i}", service_ptr(name)));
            let problem = if callee == name {
                Some((
                    format!("service `{name}` calls itself"),
                    "`calls` opens paths between different services: remove it".to_owned(),
                ))
            } else if !listed.insert(callee) {
                Some((
                    format!("service `{name}` lists `{callee}` in `calls` twice"),
                    "remove one of them".to_owned(),
                ))
            } else {
                match spec.services.get(callee) {
                    None if spec.dependencies.contains_key(callee) => Some((
                        format!("service `{name}` calls `{callee}`, a dependency, not a service"),
                        format!(
                            "list it in `uses` instead (`uses = [\"{callee}\"]`): a dependency is reached through `uses`, which opens the path to it"
                        ),
                    )),
                    None => Some((
                        format!("service `{name}` calls unknown service `{callee}`"),
                        suggest(callee, spec.services.keys().map(String::as_str), "services"),
                    )),
                    Some(target) if target.kind == ServiceKind::Worker => Some((
                        format!(
                            "service `{name}` calls `{callee}`, a worker, which serves no requests"
                        ),
                        format!(
                            "workers take their work from a queue: remove it, or make `{callee}` a web service"
                        ),
                    )),
                    Some(_) => None,
                }
            };
            if let Some((message, help)) = problem {
                out.push(
                    Diagnostic::error("E0330", message)
                        .at(at())
                        .label("not a path a NetworkPolicy can open")
                        .help(help),
                );
                continue;
            }
            // Wherever the caller runs on Kubernetes, the callee must run too (compose has no
            // NetworkPolicies: there `calls` changes nothing, and a subset of services may run).
            let missing: Vec<&str> = platform
                .environments
                .iter()
                .filter(|env| env.is_kubernetes())
                .filter(|env| env.runs(name) && !env.runs(callee))
                .map(|env| env.name.as_str())
                .collect();
            if !missing.is_empty() {
                out.push(
                    Diagnostic::error(
                        "E0331",
                        format!(
                            "service `{name}` calls `{callee}`, which `{}` does not run",
                            missing.join("`, `")
                        ),
                    )
                    .at(at())
                    .label("not deployed there")
                    .help(format!(
                        "enable `{callee}` there, or disable `{name}` there too"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::problems_with;

    const BASE: &str = r#"
[platform]
name = "shop"
registry = "registry.example.com"

[environments.production]
runtime = "kubernetes"

[services.api]
kind = "web"
app = "api.main:app"
calls = [CALLS]

[services.users]
kind = "web"
app = "users.main:app"
port = 8001

[services.jobs]
kind = "worker"
command = ["python", "-m", "jobs"]
health = { command = ["python", "-m", "jobs.health"] }
"#;

    fn with_calls(calls: &str) -> String {
        BASE.replace("CALLS", calls)
    }

    fn messages(code: &str, text: String) -> Vec<String> {
        problems_with(code, text)
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    }

    #[test]
    fn a_call_to_a_web_service_is_fine() {
        assert_eq!(
            messages("E0330", with_calls(r#""users""#)),
            Vec::<String>::new()
        );
        assert_eq!(
            messages("E0331", with_calls(r#""users""#)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_self_and_worker_callees_are_errors() {
        assert_eq!(
            messages(
                "E0330",
                with_calls(r#""user", "api", "jobs", "users", "users""#)
            ),
            [
                "service `api` calls unknown service `user`",
                "service `api` calls itself",
                "service `api` calls `jobs`, a worker, which serves no requests",
                "service `api` lists `users` in `calls` twice",
            ]
        );
    }

    #[test]
    fn a_dependency_in_calls_and_a_service_in_uses_are_told_where_they_belong() {
        let text = with_calls(r#""redis""#)
            .replace(
                "[environments.production]",
                "[dependencies.redis]\nversion = \"7\"\n\n[environments.production]",
            )
            .replace(
                "port = 8001\n",
                "port = 8001\nuses = [\"api\", \"users\"]\n",
            );
        let calls = problems_with("E0330", text.clone());
        assert_eq!(
            calls.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(),
            ["service `api` calls `redis`, a dependency, not a service"]
        );
        let uses = problems_with("E0301", text);
        assert_eq!(
            uses.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(),
            [
                "service `users` uses `api`, a service, not a dependency",
                // Itself: no advice to call itself.
                "service `users` uses unknown dependency `users`",
            ]
        );
    }

    #[test]
    fn a_compose_environment_may_run_a_subset_of_services() {
        let text = with_calls(r#""users""#)
            + "\n[environments.development]\nruntime = \"compose\"\n\n[services.users.env.development]\nenabled = false\n";
        assert_eq!(messages("E0331", text), Vec::<String>::new());
    }

    #[test]
    fn a_callee_must_run_wherever_its_caller_runs() {
        let text = with_calls(r#""users""#)
            + "\n[environments.staging]\nruntime = \"kubernetes\"\n\n[services.users.env.staging]\nenabled = false\n";
        assert_eq!(
            messages("E0331", text),
            ["service `api` calls `users`, which `staging` does not run"]
        );
    }
}
