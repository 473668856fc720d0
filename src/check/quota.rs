//! A ResourceQuota must admit the least the environment ever runs: every service at its
//! minimum replica count (the autoscaler's `min`, else `replicas`) plus the one extra pod each
//! Deployment's rolling update starts (`maxSurge: 1`, `maxUnavailable: 0`). Below that, pods
//! are refused at creation and rollouts wait forever; above it, the quota is a real ceiling.
//! Where `istio = true`, each of those pods also carries the injected `istio-proxy` sidecar,
//! whose requests and limits count against the quota like the app's: platgen writes them on the
//! pod (`istio_proxy`, by default Istio's own), so they are counted exactly.

use super::resources::{cpu_millis, memory_bytes};
use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};
use crate::model::{Compute, Platform, ResolvedEnv, ResolvedService, Resources};

/// One quota dimension: its path under `quota`, and how much one pod of a service takes.
struct Dimension {
    field: &'static str,
    per_pod: fn(&ResolvedService) -> Option<f64>,
    /// How much one injected Istio sidecar takes.
    sidecar: fn(&Resources) -> Option<f64>,
    parse: fn(&str) -> Option<f64>,
    show: fn(f64) -> String,
    quota: fn(&crate::model::Quota) -> Option<&String>,
}

fn cpu(c: &Compute) -> Option<f64> {
    c.cpu.as_deref().and_then(cpu_millis)
}

fn memory(c: &Compute) -> Option<f64> {
    c.memory.as_deref().and_then(memory_bytes)
}

/// Millicores as Kubernetes writes them: whole cores plainly, else `m`.
fn show_cpu(millis: f64) -> String {
    let millis = millis.ceil();
    if millis % 1000.0 == 0.0 {
        format!("{}", millis / 1000.0)
    } else {
        format!("{millis}m")
    }
}

/// Bytes as `Gi` when whole, else `Mi` (rounded up).
fn show_memory(bytes: f64) -> String {
    const MI: f64 = 1024.0 * 1024.0;
    let gi = bytes / (1024.0 * MI);
    if gi.fract() == 0.0 {
        format!("{gi}Gi")
    } else {
        format!("{}Mi", (bytes / MI).ceil())
    }
}

const DIMENSIONS: [Dimension; 4] = [
    Dimension {
        field: "requests/cpu",
        per_pod: |s| cpu(&s.resources.requests),
        sidecar: |r| cpu(&r.requests),
        parse: cpu_millis,
        show: show_cpu,
        quota: |q| q.requests.cpu.as_ref(),
    },
    Dimension {
        field: "requests/memory",
        per_pod: |s| memory(&s.resources.requests),
        sidecar: |r| memory(&r.requests),
        parse: memory_bytes,
        show: show_memory,
        quota: |q| q.requests.memory.as_ref(),
    },
    Dimension {
        field: "limits/cpu",
        per_pod: |s| cpu(&s.resources.limits),
        sidecar: |r| cpu(&r.limits),
        parse: cpu_millis,
        show: show_cpu,
        quota: |q| q.limits.cpu.as_ref(),
    },
    Dimension {
        field: "limits/memory",
        per_pod: |s| memory(&s.resources.limits),
        sidecar: |r| memory(&r.limits),
        parse: memory_bytes,
        show: show_memory,
        quota: |q| q.limits.memory.as_ref(),
    },
];

/// The fewest pods of a service at once during a rollout: its floor plus one surge pod
/// (a Deployment scaled to zero starts none).
fn fewest_pods(service: &ResolvedService) -> i64 {
    let floor = service.min_replicas();
    if floor > 0 { floor + 1 } else { 0 }
}

/// `api 3+1 × 100m, jobs 1+1 × 100m`, at most four services, for the help line.
fn breakdown(env: &ResolvedEnv, per_pod: impl Fn(&ResolvedService) -> Option<String>) -> String {
    const SHOWN: usize = 4;
    let parts: Vec<String> = env
        .services
        .iter()
        .filter(|s| fewest_pods(s) > 0)
        .map(|s| {
            let pods = fewest_pods(s);
            let each = per_pod(s).map(|q| format!(" × {q}")).unwrap_or_default();
            format!("`{}` {}+1{each}", s.name, pods - 1)
        })
        .collect();
    let mut text = parts[..parts.len().min(SHOWN)].join(", ");
    if parts.len() > SHOWN {
        text.push_str(&format!(" and {} more", parts.len() - SHOWN));
    }
    text
}

/// Reports every quota dimension of a Kubernetes environment its services can never fit in.
pub(super) fn check_quotas(doc: &Document, platform: &Platform, out: &mut Vec<Diagnostic>) {
    for env in platform.environments.iter().filter(|e| e.is_kubernetes()) {
        let Some(quota) = &env.quota else { continue };
        let quota_ptr = format!("/environments/{}/quota", pointer_escape(&env.name));
        let pods: i64 = env.services.iter().map(fewest_pods).sum();
        if let Some(allowed) = quota.pods
            && pods > i64::from(allowed)
        {
            out.push(
                Diagnostic::error(
                    "E0324",
                    format!("the services of `{}` need at least {pods} pods, but its quota allows {allowed}", env.name),
                )
                .at(doc.span_of(&format!("{quota_ptr}/pods")))
                .label("can never admit them")
                .help(format!(
                    "set `pods = {pods}` or more: every service's minimum replicas plus one rolling-update pod per Deployment ({}); or run fewer replicas",
                    breakdown(env, |_| None)
                )),
            );
        }
        for dim in &DIMENSIONS {
            let Some(allowed_text) = (dim.quota)(quota) else {
                continue;
            };
            let Some(allowed) = (dim.parse)(allowed_text) else {
                continue;
            };
            let apps: f64 = env
                .services
                .iter()
                .map(|s| fewest_pods(s) as f64 * (dim.per_pod)(s).unwrap_or(0.0))
                .sum();
            // Every pod of the environment gets the same sidecar.
            let sidecar = env.istio_proxy.as_ref().and_then(dim.sidecar);
            let sidecars = sidecar.map_or(0.0, |each| pods as f64 * each);
            let needed = apps + sidecars;
            if needed <= allowed {
                continue;
            }
            let name = dim.field.replace('/', ".");
            let kind = dim.field.split('/').next().unwrap_or_default();
            let show = dim.show;
            let (share, sidecar_help, sidecar_fix) = match sidecar {
                Some(each) if sidecars > 0.0 => (
                    format!(
                        " ({} of it for the Istio sidecars of its {pods} pods)",
                        show(sidecars)
                    ),
                    format!(
                        ", plus {pods} × {} for the injected Istio sidecars",
                        show(each)
                    ),
                    format!(", or the sidecars' `istio_proxy.{name}`"),
                ),
                _ => Default::default(),
            };
            out.push(
                Diagnostic::error(
                    "E0324",
                    format!(
                        "the services of `{}` need at least {} of {name}{share}, but its quota allows {allowed_text}",
                        env.name,
                        show(needed)
                    ),
                )
                .at(doc.span_of(&format!("{quota_ptr}/{}", dim.field)))
                .label("can never admit them")
                .help(format!(
                    "set `{name} = \"{}\"` or more: every service's minimum replicas plus one rolling-update pod per Deployment, at their {name} ({}){sidecar_help}; or lower replicas or per-pod {kind}{sidecar_fix}",
                    show(needed),
                    breakdown(env, |s| (dim.per_pod)(s).map(show)),
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{show_cpu, show_memory};

    /// The small fixture with a production `quota` and `api`'s `replicas = 2` line replaced.
    fn problems(quota: &str, api: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml").replace(
            "domain = \"example.com\"\n",
            &format!("domain = \"example.com\"\nquota = {quota}\n"),
        );
        super::super::problems_with("E0324", fixture.replace("replicas = 2\n", api))
    }

    const ROOMY: &str = "{ requests = { cpu = \"4\", memory = \"8Gi\" }, limits = { cpu = \"8\", memory = \"16Gi\" }, pods = 20 }";

    #[test]
    fn quantities_are_shown_as_kubernetes_writes_them() {
        assert_eq!(show_cpu(400.0), "400m");
        assert_eq!(show_cpu(2000.0), "2");
        assert_eq!(show_memory(8.0 * 1024.0 * 1024.0 * 1024.0), "8Gi");
        assert_eq!(show_memory(384.0 * 1024.0 * 1024.0), "384Mi");
    }

    #[test]
    fn a_quota_the_minimum_fits_in_is_fine() {
        assert_eq!(problems(ROOMY, "replicas = 3\n"), []);
    }

    #[test]
    fn too_few_pods_are_reported_at_the_pod_count() {
        let quota = ROOMY.replace("pods = 20", "pods = 1");
        let found = problems(&quota, "replicas = 3\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 18);
        // api: 3 + 1 surge, jobs: 1 + 1 surge.
        assert!(
            found[0]
                .1
                .contains("`production` need at least 6 pods, but its quota allows 1"),
            "{found:?}"
        );
    }

    #[test]
    fn too_little_cpu_is_reported_per_dimension() {
        let quota = ROOMY.replace("cpu = \"4\"", "cpu = \"100m\"");
        let api = "replicas = 3\nresources = { requests = { cpu = \"100m\" } }\n";
        let found = problems(&quota, api);
        assert_eq!(found.len(), 1, "{found:?}");
        // api: (3 + 1) × 100m, jobs: (1 + 1) × 100m (the default request).
        assert!(
            found[0]
                .1
                .contains("need at least 600m of requests.cpu, but its quota allows 100m"),
            "{found:?}"
        );
        // An autoscaled service counts from its `min`.
        let scaled = "replicas = 1\nautoscaling = { min = 1, max = 10 }\n";
        let quota = ROOMY.replace("cpu = \"4\"", "cpu = \"400m\"");
        assert_eq!(problems(&quota, scaled), []);
    }

    /// Small fixture: `api` 2+1 pods and `jobs` 1+1 at the default 500m CPU limit: 2500m for
    /// the apps alone, under a limit of 8 CPU.
    const ISTIO: &str = "{ requests = { cpu = \"4\", memory = \"8Gi\" }, limits = { cpu = \"8\", memory = \"16Gi\" }, pods = 20 }\nistio = true";

    #[test]
    fn injected_sidecars_count_at_istios_defaults() {
        let found = problems(ISTIO, "replicas = 2\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 18);
        // 5 pods: 2500m for the apps, 5 × 2000m (Istio's default limit) for the sidecars.
        assert!(
            found[0].1.contains(
                "need at least 12500m of limits.cpu (10 of it for the Istio sidecars of its 5 pods), but its quota allows 8"
            ),
            "{found:?}"
        );
        // Without injection the same quota fits.
        let plain = ISTIO.replace("\nistio = true", "");
        assert_eq!(problems(&plain, "replicas = 2\n"), []);
    }

    #[test]
    fn sidecars_count_at_the_resources_platgen_sets() {
        let set = format!("{ISTIO}\nistio_proxy = {{ limits = {{ cpu = \"1\" }} }}");
        assert_eq!(problems(&set, "replicas = 2\n"), []);
        // A floor of 4 adds two pods, each 500m and a 1-CPU sidecar: 7500m + 3000m.
        let found = problems(&set, "replicas = 4\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.contains(
                "need at least 10500m of limits.cpu (7 of it for the Istio sidecars of its 7 pods)"
            ),
            "{found:?}"
        );
        // Requests count too: 7 × 100m apps + 7 × 500m sidecars = 4200m > 4.
        let requests = set.replace(
            "limits = { cpu = \"1\" }",
            "requests = { cpu = \"500m\" }, limits = { cpu = \"1\" }",
        );
        let found = problems(&requests, "replicas = 4\n");
        assert!(
            found.iter().any(|(_, m)| m.contains(
                "need at least 4200m of requests.cpu (3500m of it for the Istio sidecars of its 7 pods)"
            )),
            "{found:?}"
        );
    }
}
