//! A `replicas` that takes effect nowhere: wherever it applies on Kubernetes, an autoscaler
//! starting from another `min` decides the count.

use std::collections::BTreeMap;

use super::resources::{sets_autoscaling_max, setting_source};
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::Platform;

/// One `replicas` setting, and what becomes of it where it decides a count.
struct ReplicasUse {
    /// Its value.
    replicas: i64,
    /// The setting is the count somewhere (no autoscaler, or one that starts from it).
    effective: bool,
    /// Where an autoscaler with another `min` overrides it: `service` in `env`, min–max.
    overridden: Vec<String>,
}

/// A `replicas` setting that takes effect nowhere is an error, not a silent no-op: wherever it
/// applies on Kubernetes, the service is autoscaled from another `min`, and platgen leaves the
/// count to the HorizontalPodAutoscaler (the Deployment has no `replicas`). Compose
/// environments run one container per service whatever the setting, so they do not count.
pub fn check_replicas(doc: &Document, platform: &Platform, out: &mut Vec<Diagnostic>) {
    let mut settings: BTreeMap<String, ReplicasUse> = BTreeMap::new();
    for env in platform.environments.iter().filter(|e| e.is_kubernetes()) {
        for service in &env.services {
            // Unset everywhere: the default count, 1, is nobody's setting.
            let Some(ptr) = setting_source(doc, &service.name, &env.name, "replicas") else {
                continue;
            };
            let uses = settings.entry(ptr).or_insert_with(|| ReplicasUse {
                replicas: service.replicas,
                effective: false,
                overridden: Vec::new(),
            });
            match &service.autoscaling {
                // An autoscaler that cannot run (min above max) or has no `max` is reported on
                // its own (E0307): without a `max` its range is not the user's, so it is not judged.
                Some(a) if a.min > a.max => {}
                Some(_) if !sets_autoscaling_max(doc, &service.name, &env.name) => {}
                Some(a) if a.min != service.replicas => uses.overridden.push(format!(
                    "`{}` in `{}` runs {}–{}",
                    service.name, env.name, a.min, a.max
                )),
                _ => uses.effective = true,
            }
        }
    }
    for (ptr, uses) in settings {
        let replicas = uses.replicas;
        if uses.effective || uses.overridden.is_empty() {
            continue;
        }
        const SHOWN: usize = 3;
        let mut places = uses.overridden[..uses.overridden.len().min(SHOWN)].join(", ");
        if uses.overridden.len() > SHOWN {
            places.push_str(&format!(" and {} more", uses.overridden.len() - SHOWN));
        }
        out.push(
            Diagnostic::error(
                "E0313",
                format!("`replicas = {replicas}` never takes effect: the autoscaler decides the count ({places})"),
            )
            .at(doc.span_of(&ptr))
            .label("ignored wherever it applies")
            .help(format!(
                "remove `replicas`, or set `autoscaling.min = {replicas}` to run at least {replicas}"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    /// The small fixture with `api`'s settings and `extra` tables; each E0313 problem.
    fn unused_replicas(api: &str, extra: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        super::super::problems_with("E0313", fixture.replace("replicas = 2\n", api) + extra)
    }

    #[test]
    fn replicas_the_autoscaler_overrides_everywhere_are_reported_where_they_are_set() {
        let problems = unused_replicas("replicas = 4\nautoscaling = { min = 2, max = 6 }\n", "");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 24);
        assert!(problems[0].1.contains("`replicas = 4` never takes effect"));
        assert!(problems[0].1.contains("`api` in `staging` runs 2–6"));
        // An environment's own override, set where the service is autoscaled from 2.
        let problems = unused_replicas(
            "replicas = 2\nautoscaling = { min = 2, max = 6 }\n",
            "\n[services.api.env.staging]\nreplicas = 1\n",
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 34);
        assert!(problems[0].1.contains("(`api` in `staging` runs 2–6)"));
        // An environment-wide count where every service is autoscaled from another floor.
        let problems = unused_replicas(
            "replicas = 2\nautoscaling = { min = 2, max = 6 }\n",
            "\n[environments.staging.service_overrides]\nreplicas = 1\nautoscaling = { min = 2, max = 3 }\n",
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 34);
        assert!(
            problems[0]
                .1
                .contains("`api` in `staging` runs 2–3, `jobs` in `staging` runs 2–3"),
            "{problems:?}"
        );
    }

    #[test]
    fn replicas_that_decide_the_count_somewhere_are_fine() {
        // Equal to the autoscaler's floor (the reference platform's way).
        let same = "replicas = 3\nautoscaling = { min = 3, max = 6 }\n";
        assert_eq!(unused_replicas(same, ""), []);
        // The count where there is no autoscaler, overridden where there is one.
        let production_only = "replicas = 3\n";
        let staging = "\n[services.api.env.staging]\nautoscaling = { min = 1, max = 2 }\n";
        assert_eq!(unused_replicas(production_only, staging), []);
        // An autoscaler without `min` starts from `replicas`.
        let no_min = "replicas = 3\nautoscaling = { max = 6 }\n";
        assert_eq!(unused_replicas(no_min, ""), []);
        // An autoscaler without `max` is E0307 alone: its range (`min`–`min`) is no one's.
        let no_max = "replicas = 2\nautoscaling = { min = 3 }\n";
        assert_eq!(unused_replicas(no_max, ""), []);
        // A `max` set for one environment only: the other is left to E0307.
        let staging_max = "\n[services.api.env.staging]\nautoscaling = { max = 6 }\n";
        let problems = unused_replicas(no_max, staging_max);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].1.ends_with("(`api` in `staging` runs 3–6)"),
            "{problems:?}"
        );
        // An environment-wide count that decides the worker's, though `api` is autoscaled.
        let autoscaled = "replicas = 2\nautoscaling = { min = 2, max = 6 }\n";
        let overrides = "\n[environments.staging.service_overrides]\nreplicas = 1\n";
        assert_eq!(unused_replicas(autoscaled, overrides), []);
    }
}
