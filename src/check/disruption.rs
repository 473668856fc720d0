//! Disruption budgets that limit nothing: one that lets every pod go at once wherever it
//! applies (`max_unavailable` at or above the most pods the service runs, or `min_available =
//! 0`) protects no pod from a node drain, and replaces the default budget that would.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, and_list};
use crate::model::{Disruption, ResolvedEnv, ResolvedService};

/// A disruption budget written in the file, and whether it blocks any eviction where it applies.
pub(super) struct PermissiveBudget {
    /// The service it belongs to.
    pub service: String,
    /// Its value (replaced whole by a more specific one, never merged).
    pub budget: Disruption,
    /// Where it blocks nothing: the most pods the service runs → those environments.
    pub peaks: BTreeMap<i64, Vec<String>>,
    /// It blocks an eviction somewhere, or lets the only node of an environment be drained.
    pub effective: bool,
}

impl PermissiveBudget {
    /// `budget` of `service`, not yet seen to block anything.
    pub fn new(service: &str, budget: &Disruption) -> Self {
        Self {
            service: service.to_owned(),
            budget: budget.clone(),
            peaks: BTreeMap::new(),
            effective: false,
        }
    }

    /// Records whether the budget blocks an eviction of `service` in `env`.
    pub fn judge(&mut self, env: &ResolvedEnv, service: &ResolvedService) {
        let peak = service.max_replicas();
        let blocks = match (self.budget.min_available, self.budget.max_unavailable) {
            (Some(min), None) => min > 0,
            (None, Some(max)) => max < peak,
            _ => true,
        };
        // On a single node, a budget letting every pod go is what lets a drain of it finish:
        // it replaces the default budget (2 or more replicas) that would block it (E0325).
        let drains_the_node = env.nodes == Some(1) && service.min_replicas() >= 2;
        self.effective |= blocks || drains_the_node;
        if !blocks {
            self.peaks
                .entry(peak)
                .or_default()
                .push(format!("`{}`", env.name));
        }
    }

    /// The E0310 of a budget that lets every pod go at once wherever it applies (without a
    /// location); `None` when it applies nowhere it could be judged.
    pub fn problem(&self) -> Option<Diagnostic> {
        let name = &self.service;
        let largest = *self.peaks.keys().next_back()?;
        let runs: Vec<String> = self
            .peaks
            .iter()
            .map(|(peak, envs)| format!("{peak} in {}", and_list(envs)))
            .collect();
        let (setting, lets) = match (self.budget.min_available, self.budget.max_unavailable) {
            (Some(min), _) => (format!("min_available = {min}"), "keeps no pod available"),
            (None, Some(max)) => (
                format!("max_unavailable = {max}"),
                "lets every pod go at once",
            ),
            (None, None) => return None,
        };
        let help = if largest < 2 {
            "remove `disruption`: with one pod, a budget either lets it go or blocks every node drain".to_owned()
        } else {
            let default = "`max_unavailable = 1`, the budget a service with 2 or more replicas gets without `disruption`";
            let fix = match self.budget.max_unavailable {
                Some(_) => format!("lower it below {largest}, e.g. {default}"),
                None => format!(
                    "use {default}, or a `min_available` of at least 1 and below the fewest replicas it runs"
                ),
            };
            format!(
                "a budget limits how many pods voluntary evictions (node drains) take at once, and this one limits none: {fix}"
            )
        };
        Some(
            Diagnostic::error(
                "E0310",
                format!(
                    "disruption budget of `{name}` has no effect: `{setting}` {lets} (`{name}` runs at most {})",
                    runs.join(", ")
                ),
            )
            .label("blocks no eviction")
            .help(help),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::check::problems_with;

    /// Each E0310 of the small fixture with `api`'s `replicas = 2` line replaced and `extra`.
    fn budget_problems(api: &str, extra: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        problems_with("E0310", fixture.replace("replicas = 2\n", api) + extra)
    }

    #[test]
    fn a_budget_that_lets_every_pod_go_is_reported_where_it_is_set() {
        let found = budget_problems("replicas = 2\ndisruption = { max_unavailable = 5 }\n", "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 25);
        assert_eq!(
            found[0].1,
            "disruption budget of `api` has no effect: `max_unavailable = 5` lets every pod go at once (`api` runs at most 2 in `staging` and `production`)"
        );
        // Exactly as many as it runs lets them all go too.
        let all = budget_problems("replicas = 2\ndisruption = { max_unavailable = 2 }\n", "");
        assert_eq!(all.len(), 1, "{all:?}");
        let none = budget_problems(
            "replicas = 2\ndisruption = { min_available = 0 }\n",
            "\n[services.api.env.staging]\nreplicas = 3\n",
        );
        assert_eq!(none.len(), 1, "{none:?}");
        assert!(
            none[0].1.ends_with(
                "`min_available = 0` keeps no pod available (`api` runs at most 2 in `production`, 3 in `staging`)"
            ),
            "{none:?}"
        );
        // One pod: a budget can only let it go or block every drain.
        let single = budget_problems("replicas = 1\ndisruption = { max_unavailable = 1 }\n", "");
        assert_eq!(single.len(), 1, "{single:?}");
    }

    #[test]
    fn an_autoscaled_budget_is_judged_at_the_most_pods_it_runs() {
        let scaled = "replicas = 3\nautoscaling = { min = 3, max = 10 }\n";
        // It lets all 3 go at the floor, but limits a drain while the service runs 10.
        let limits = format!("{scaled}disruption = {{ max_unavailable = 3 }}\n");
        assert_eq!(budget_problems(&limits, ""), []);
        let unlimited = format!("{scaled}disruption = {{ max_unavailable = 10 }}\n");
        let found = budget_problems(&unlimited, "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .ends_with("(`api` runs at most 10 in `staging` and `production`)"),
            "{found:?}"
        );
        // The README's staging: autoscaled 1–3, one pod at a time.
        let staging = "replicas = 1\nautoscaling = { min = 1, max = 3 }\ndisruption = { max_unavailable = 1 }\n";
        assert_eq!(budget_problems(staging, ""), []);
        // Without `max` the range is no one's: E0307 alone.
        let no_max =
            "replicas = 2\nautoscaling = { min = 2 }\ndisruption = { max_unavailable = 2 }\n";
        assert_eq!(budget_problems(no_max, ""), []);
    }

    #[test]
    fn a_budget_that_lets_the_only_node_drain_takes_effect_there() {
        let fixture = include_str!("../../tests/fixtures/small.toml").replace(
            "domain = \"staging.example.com\"\n",
            "domain = \"staging.example.com\"\nnodes = 1\n",
        );
        // Set for staging alone, as E0325's help says: it replaces the default budget.
        let staging = "\n[services.api.env.staging]\ndisruption = { max_unavailable = 2 }\n";
        assert_eq!(problems_with("E0310", fixture.clone() + staging), []);
        assert_eq!(problems_with("E0325", fixture.clone() + staging), []);
        // Set for the service, it limits nothing in production either, but lets staging drain.
        let everywhere = fixture.replace(
            "replicas = 2\n",
            "replicas = 2\ndisruption = { max_unavailable = 2 }\n",
        );
        assert_eq!(problems_with("E0310", everywhere), []);
        // Set for production alone, it only limits nothing.
        let production = "\n[services.api.env.production]\ndisruption = { min_available = 0 }\n";
        let found = problems_with("E0310", fixture + production);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.ends_with("runs at most 2 in `production`)"),
            "{found:?}"
        );
    }
}
