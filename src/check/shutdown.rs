//! Graceful shutdown on Kubernetes: every container first runs a preStop `sleep`
//! ([`PRE_STOP_SLEEP`] seconds, while endpoints and the ingress stop routing to the pod), and
//! the grace period counts from the start of that hook. A `termination_grace` that does not
//! leave time after the sleep kills the process before it can finish its in-flight work.

use std::collections::BTreeMap;

use super::resources::setting_source;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::Platform;
use crate::resolve::PRE_STOP_SLEEP;

/// Seconds the process gets at least, after the preStop sleep, between SIGTERM and SIGKILL:
/// time to finish in-flight requests or the current job and close connections.
pub const DRAIN_MARGIN: u32 = 10;

/// The shortest `termination_grace` platgen accepts: the preStop sleep plus the drain margin.
pub const MIN_TERMINATION_GRACE: u32 = PRE_STOP_SLEEP + DRAIN_MARGIN;

/// Reports each `termination_grace` too short for the preStop sleep and a drain, once per
/// place it is written, naming the Kubernetes environments it reaches.
pub fn check_shutdown(doc: &Document, platform: &Platform, out: &mut Vec<Diagnostic>) {
    // Where it is written → (its value, the environments where it applies).
    let mut short: BTreeMap<String, (u32, Vec<String>)> = BTreeMap::new();
    for env in platform.environments.iter().filter(|e| e.is_kubernetes()) {
        for service in &env.services {
            if service.termination_grace >= MIN_TERMINATION_GRACE {
                continue;
            }
            // The default is long enough, so a short one is always written somewhere.
            let Some(ptr) = setting_source(doc, &service.name, &env.name, "termination_grace")
            else {
                continue;
            };
            short
                .entry(ptr)
                .or_insert_with(|| (service.termination_grace, Vec::new()))
                .1
                .push(format!("`{}` in `{}`", service.name, env.name));
        }
    }
    for (ptr, (grace, uses)) in short {
        out.push(
            Diagnostic::error(
                "E0334",
                format!(
                    "`termination_grace = {grace}` must be at least {MIN_TERMINATION_GRACE} ({}): the {PRE_STOP_SLEEP}s preStop sleep plus {DRAIN_MARGIN}s to drain after SIGTERM",
                    uses.join(", ")
                ),
            )
            .at(doc.span_of(&ptr))
            .label(format!("at least {MIN_TERMINATION_GRACE} seconds"))
            .help(format!(
                "set `termination_grace = {MIN_TERMINATION_GRACE}` or more (the default is 30): Kubernetes counts it from the start of the preStop sleep, while endpoints and the ingress stop routing to the pod, so a shorter one kills the process before it finishes its in-flight work"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::problems_with;

    fn with_grace(api: &str, extra: &str) -> Vec<(usize, String)> {
        problems_with("E0334", super::super::small_with(api, extra))
    }

    #[test]
    fn a_grace_shorter_than_the_sleep_and_a_drain_is_reported_where_it_is_set() {
        let found = with_grace("termination_grace = 5\n", "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 25);
        assert!(
            found[0].1.starts_with(
                "`termination_grace = 5` must be at least 20 (`api` in `staging`, `api` in `production`): the 10s preStop sleep plus 10s to drain after SIGTERM"
            ),
            "{found:?}"
        );
        // Just under and at the limit.
        assert_eq!(with_grace("termination_grace = 19\n", "").len(), 1);
        assert_eq!(with_grace("termination_grace = 20\n", ""), []);
        // Set for every service of an environment.
        let staging = "\n[environments.staging.service_overrides]\ntermination_grace = 10\n";
        let found = with_grace("", staging);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("(`api` in `staging`, `jobs` in `staging`)")
        );
    }

    #[test]
    fn a_short_grace_for_compose_only_is_fine() {
        // Compose runs no preStop hook: `stop_grace_period` is the whole time to stop.
        let development = "\n[environments.development]\nruntime = \"compose\"\nservice_overrides = { termination_grace = 5 }\n";
        assert_eq!(with_grace("", development), []);
    }
}
