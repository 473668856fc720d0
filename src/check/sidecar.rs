//! Rules on `istio_proxy`, the resources platgen writes for the injected Istio sidecar: set
//! where no sidecar is injected it changes nothing; below its request a limit makes every pod
//! invalid once the sidecar is injected.

use super::resources::compare;
use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};
use crate::model::Platform;

/// Reports `istio_proxy` on a Kubernetes environment without `istio = true`, and a sidecar
/// limit below its request (either possibly Istio's default).
pub(super) fn check_istio_proxy(doc: &Document, platform: &Platform, out: &mut Vec<Diagnostic>) {
    // Compose environments are reported with the other Kubernetes-only settings (E0316).
    for env in platform.environments.iter().filter(|e| e.is_kubernetes()) {
        let ptr = format!("/environments/{}/istio_proxy", pointer_escape(&env.name));
        let Some(proxy) = &env.istio_proxy else {
            if doc.has(&ptr) {
                out.push(
                    Diagnostic::error(
                        "E0316",
                        format!(
                            "`istio_proxy` has no effect: `{}` injects no Istio sidecars",
                            env.name
                        ),
                    )
                    .at(doc.key_span_of(&ptr))
                    .label("without `istio = true`")
                    .help("set `istio = true` on the environment, or remove `istio_proxy`"),
                );
            }
            continue;
        };
        for (resource, problem) in compare(&proxy.requests, &proxy.limits) {
            // The value the file sets: the other one is Istio's default.
            let at = [
                format!("{ptr}/limits/{resource}"),
                format!("{ptr}/requests/{resource}"),
            ]
            .into_iter()
            .find(|p| doc.has(p))
            .unwrap_or_else(|| ptr.clone());
            out.push(
                Diagnostic::error(
                    "E0306",
                    format!("environment `{}`: Istio sidecar {problem}", env.name),
                )
                .at(doc.span_of(&at))
                .label("limits below requests")
                .help(format!(
                    "set both `istio_proxy.requests.{resource}` and `istio_proxy.limits.{resource}`, the limit at least the request (Istio's defaults: requests 100m CPU and 128Mi, limits 2000m CPU and 1Gi)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    fn problems(code: &str, production: &str) -> Vec<(usize, String)> {
        let fixture = include_str!("../../tests/fixtures/small.toml").replace(
            "domain = \"example.com\"\n",
            &format!("domain = \"example.com\"\n{production}\n"),
        );
        super::super::problems_with(code, fixture)
    }

    #[test]
    fn proxy_resources_need_istio() {
        let found = problems("E0316", "istio_proxy = { limits = { cpu = \"1\" } }");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 18);
        assert!(
            found[0]
                .1
                .contains("`production` injects no Istio sidecars"),
            "{found:?}"
        );
        let with_istio = "istio = true\nistio_proxy = { limits = { cpu = \"1\" } }";
        assert_eq!(problems("E0316", with_istio), []);
    }

    #[test]
    fn a_proxy_limit_below_the_default_request_is_reported() {
        let found = problems(
            "E0306",
            "istio = true\nistio_proxy = { limits = { cpu = \"50m\" } }",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 19);
        assert!(
            found[0]
                .1
                .contains("Istio sidecar CPU limit 50m is below its request 100m"),
            "{found:?}"
        );
        let fits = "istio = true\nistio_proxy = { requests = { cpu = \"50m\" }, limits = { cpu = \"50m\" } }";
        assert_eq!(problems("E0306", fits), []);
    }
}
