//! Values of a Deployment's pod template that Rust computes for the template: the checksums that
//! roll the pods when their ConfigMap or the secrets they are given change, and the command lines
//! as Kubernetes must be given them so that they run exactly as written.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{ResolvedService, SecretRef, SecretStore};

/// What `kubernetes/deployment.yaml` writes into the pod template besides the service itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodTemplate {
    /// SHA-256 (hex) of the ConfigMap's `data`: a pod-template annotation, so that a changed
    /// ConfigMap changes the pod template and the Deployment rolls its pods (`envFrom` is read
    /// only when a container starts).
    pub config_checksum: String,
    /// SHA-256 (hex) of what the ExternalSecret maps (the store, and each variable's key and
    /// property), for services that have secrets: adding, removing or re-pointing a secret
    /// changes the pod template as a changed ConfigMap does. The values themselves are not
    /// platgen's to know, so a value rotated in the store does not roll the pods.
    pub secrets_checksum: Option<String>,
    /// The container's `command` (workers), escaped for Kubernetes' `$(VAR)` expansion.
    pub command: Option<Vec<String>>,
    /// The exec probes' command, escaped the same way.
    pub health_command: Option<Vec<String>>,
}

impl PodTemplate {
    /// The pod-template values of `service`, whose secrets come from `store`.
    pub fn of(service: &ResolvedService, store: &SecretStore) -> Self {
        Self {
            config_checksum: config_checksum(&service.config),
            secrets_checksum: (!service.secrets.is_empty())
                .then(|| secrets_checksum(&service.secrets, store)),
            command: (!service.command.is_empty()).then(|| escape_all(&service.command)),
            health_command: service.health.command.as_deref().map(escape_all),
        }
    }
}

/// SHA-256 of exactly the data `kubernetes/configmap.yaml` writes (`service.config`), as
/// canonical JSON: the keys sorted (a `BTreeMap`), every value a string. Any change of a key or
/// a value changes it; nothing else does.
pub fn config_checksum(config: &BTreeMap<String, String>) -> String {
    // Serialising a map of strings cannot fail; an empty map hashes `{}`.
    let json = serde_json::to_string(config).unwrap_or_default();
    crate::output::manifest::hash(json.as_bytes())
}

/// SHA-256 of exactly what `kubernetes/externalsecret.yaml` maps, as canonical JSON: the store's
/// name and kind, and each secret's variable, key and property, in order. The refresh interval
/// is left out: it changes when values are fetched, not which.
pub fn secrets_checksum(secrets: &[SecretRef], store: &SecretStore) -> String {
    let data: Vec<[&str; 3]> = secrets
        .iter()
        .map(|s| [s.name.as_str(), s.key.as_str(), s.property.as_str()])
        .collect();
    let json = serde_json::json!({ "store": [store.name, store.kind], "data": data });
    crate::output::manifest::hash(json.to_string().as_bytes())
}

fn escape_all(args: &[String]) -> Vec<String> {
    args.iter().map(|arg| escape_expansion(arg)).collect()
}

/// Kubernetes expands `$(VAR)` in a container's `command`, `args` and exec probes, and reduces
/// `$$` to `$`. Doubling every `$` that is followed by `(` or `$` (`$(` → `$$(`, `$$` → `$$$`)
/// makes the kubelet hand the process exactly the text written; a `$` before anything else is
/// left as is (Kubernetes keeps it, and `$HOME` stays the shell's business).
pub fn escape_expansion(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$' | '(')) {
            out.push('$');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kubernetes' expansion (`third_party/forked/golang/expansion`) with every variable
    /// defined: what the container would really receive.
    fn kubelet_expand(input: &str) -> String {
        let bytes = input.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' && i + 1 < bytes.len() {
                match bytes[i + 1] {
                    b'$' => {
                        out.push('$');
                        i += 2;
                    }
                    b'(' => match input[i + 2..].find(')') {
                        Some(end) => {
                            out.push_str("EXPANDED");
                            i += 2 + end + 1;
                        }
                        None => {
                            out.push_str("$(");
                            i += 2;
                        }
                    },
                    _ => {
                        out.push('$');
                        i += 1;
                    }
                }
            } else {
                let c = input[i..].chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }

    #[test]
    fn escaped_arguments_survive_kubernetes_expansion() {
        for arg in [
            "echo $(X)",
            "$$",
            "$$(X)",
            "echo $$ $HOME ${HOME} $",
            "$(unclosed",
            "a$(B)c$(D)",
            "$$$(X)$",
            "plain",
            "héllo $(日本)",
            "",
        ] {
            assert_eq!(kubelet_expand(&escape_expansion(arg)), arg, "{arg:?}");
        }
        // Unescaped, the first two would change: the check above can fail.
        assert_ne!(kubelet_expand("echo $(X)"), "echo $(X)");
        assert_ne!(kubelet_expand("$$"), "$$");
    }

    #[test]
    fn the_checksum_follows_every_key_and_value() {
        let config = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let base = config_checksum(&config(&[("A", "1"), ("B", "2")]));
        assert_eq!(base.len(), 64);
        assert_eq!(base, config_checksum(&config(&[("B", "2"), ("A", "1")])));
        for changed in [
            config(&[("A", "1"), ("B", "3")]),
            config(&[("A", "1"), ("C", "2")]),
            config(&[("A", "1")]),
            config(&[("A", "1"), ("B", "2"), ("C", "")]),
        ] {
            assert_ne!(config_checksum(&changed), base, "{changed:?}");
        }
        // No two maps share an encoding: a separator inside a value is not a new key.
        assert_ne!(
            config_checksum(&config(&[("A", "b\",C\":\"d")])),
            config_checksum(&config(&[("A", "b"), ("C", "d")]))
        );
    }

    #[test]
    fn the_secrets_checksum_follows_what_the_external_secret_maps() {
        use crate::model::spec::SecretStoreKind;
        let secret = |name: &str, key: &str, property: &str| SecretRef {
            name: name.to_owned(),
            key: key.to_owned(),
            property: property.to_owned(),
        };
        let store = |name: &str, kind, refresh: &str| SecretStore {
            name: name.to_owned(),
            kind,
            refresh: refresh.to_owned(),
        };
        let cluster = SecretStoreKind::ClusterSecretStore;
        let secrets = [secret("DB_URL", "prod/db", "url")];
        let base = secrets_checksum(&secrets, &store("aws", cluster, "1h"));
        assert_eq!(base.len(), 64);
        // Fetching more often maps the same values.
        assert_eq!(
            base,
            secrets_checksum(&secrets, &store("aws", cluster, "5m"))
        );
        for (changed, to) in [
            (
                vec![secret("DB_URI", "prod/db", "url")],
                store("aws", cluster, "1h"),
            ),
            (
                vec![secret("DB_URL", "prod/db2", "url")],
                store("aws", cluster, "1h"),
            ),
            (
                vec![secret("DB_URL", "prod/db", "uri")],
                store("aws", cluster, "1h"),
            ),
            (secrets.to_vec(), store("vault", cluster, "1h")),
            (
                secrets.to_vec(),
                store("aws", SecretStoreKind::SecretStore, "1h"),
            ),
            (
                vec![
                    secret("DB_URL", "prod/db", "url"),
                    secret("TOKEN", "prod/t", "v"),
                ],
                store("aws", cluster, "1h"),
            ),
        ] {
            assert_ne!(secrets_checksum(&changed, &to), base, "{changed:?} {to:?}");
        }
        // No two mappings share an encoding: a separator inside a key is not a new secret.
        assert_ne!(
            secrets_checksum(&[secret("A", "k\",\"B", "p")], &store("s", cluster, "1h")),
            secrets_checksum(&[secret("A", "k", "B")], &store("s", cluster, "1h"))
        );
    }

    #[test]
    fn escaping_doubles_only_what_kubernetes_reads() {
        assert_eq!(escape_expansion("echo $(X)"), "echo $$(X)");
        assert_eq!(escape_expansion("$$ $HOME"), "$$$ $HOME");
        assert_eq!(escape_expansion("$$(X)"), "$$$$(X)");
        assert_eq!(escape_expansion("python -m worker"), "python -m worker");
    }
}
