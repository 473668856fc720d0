//! What `nodes` lets platgen check. Pods spread over nodes by a *preferred* anti-affinity and a
//! `ScheduleAnyway` zone spread, so any replica count schedules on any number of nodes. What
//! does hang is a drain of the only node: its evicted pods have nowhere to be rescheduled, so
//! the drain must evict every pod of a service while its disruption budget allows fewer.

use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};
use crate::model::{Platform, ResolvedService};

/// How many of a service's pods its budget lets a drain evict when none can come back, if
/// that is fewer than it may run: its replicas, or with an autoscaler its `max` (the drain may
/// come while it runs that many).
fn evictable_below_peak(service: &ResolvedService) -> Option<(i64, i64)> {
    let disruption = service.disruption.as_ref()?;
    let peak = service.max_replicas();
    let evictable = match (disruption.min_available, disruption.max_unavailable) {
        (Some(min), _) => peak - min,
        (None, Some(max)) => max,
        (None, None) => return None,
    };
    (peak > 0 && evictable < peak).then_some((evictable.max(0), peak))
}

/// Reports each service whose disruption budget blocks draining the only node.
pub(super) fn check_nodes(doc: &Document, platform: &Platform, out: &mut Vec<Diagnostic>) {
    for env in platform.environments.iter().filter(|e| e.is_kubernetes()) {
        if env.nodes != Some(1) {
            continue;
        }
        for service in &env.services {
            let Some((evictable, peak)) = evictable_below_peak(service) else {
                continue;
            };
            let name = &service.name;
            out.push(
                Diagnostic::error(
                    "E0325",
                    format!(
                        "`{}` has one node: draining it must evict all {peak} pods `{name}` may run, but its disruption budget allows {evictable} at a time",
                        env.name
                    ),
                )
                .at(doc.span_of(&format!("/environments/{}/nodes", pointer_escape(&env.name))))
                .label("evicted pods cannot be rescheduled on another node")
                .help(format!(
                    "the drain would wait forever: set `disruption = {{ max_unavailable = {peak} }}` (or `min_available = 0`) for `{name}` in `{}`, run it with one replica there (no budget then), or correct `nodes`",
                    env.name
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    /// The small fixture with `nodes = N` on staging and `api`'s `replicas = 2` line replaced.
    fn problems(nodes: u32, api: &str) -> Vec<(usize, String)> {
        let text = include_str!("../../tests/fixtures/small.toml")
            .replace(
                "domain = \"staging.example.com\"\n",
                &format!("domain = \"staging.example.com\"\nnodes = {nodes}\n"),
            )
            .replace("replicas = 2\n", api);
        super::super::problems_with("E0325", text)
    }

    #[test]
    fn a_budget_that_blocks_draining_the_only_node_is_reported_at_nodes() {
        // Two replicas get the default budget, `max_unavailable = 1`.
        let found = problems(1, "replicas = 2\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 14);
        assert_eq!(
            found[0].1,
            "`staging` has one node: draining it must evict all 2 pods `api` may run, but its disruption budget allows 1 at a time"
        );
        let found = problems(1, "replicas = 3\ndisruption = { min_available = 1 }\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("all 3 pods `api` may run, but its disruption budget allows 2")
        );
    }

    #[test]
    fn an_autoscaled_service_is_judged_at_its_max() {
        let scaled = "replicas = 3\nautoscaling = { min = 3, max = 10 }\n";
        let found = problems(
            1,
            &format!("{scaled}disruption = {{ max_unavailable = 3 }}\n"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.contains("all 10 pods `api` may run"),
            "{found:?}"
        );
        let enough = format!("{scaled}disruption = {{ max_unavailable = 10 }}\n");
        assert_eq!(problems(1, &enough), []);
        let none = format!("{scaled}disruption = {{ min_available = 0 }}\n");
        assert_eq!(problems(1, &none), []);
    }

    #[test]
    fn budgets_a_drain_can_satisfy_are_fine() {
        // More nodes: evicted pods are rescheduled elsewhere, one at a time.
        assert_eq!(problems(2, "replicas = 2\n"), []);
        // One replica: no budget.
        assert_eq!(problems(1, "replicas = 1\n"), []);
        // A budget that lets every pod go.
        assert_eq!(
            problems(1, "replicas = 2\ndisruption = { max_unavailable = 2 }\n"),
            []
        );
    }
}
