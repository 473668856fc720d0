//! Every reference inside an environment resolves: ServiceAccounts, ConfigMaps and Secrets named
//! by Deployments exist, selectors match pod labels, Ingress backends and HPA targets exist, and
//! the kustomization lists exactly the objects in its folder. (The reference design fails this.)

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

type Objects = BTreeMap<(String, String), Value>;

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// SHA-256 (hex) of a ConfigMap's data as canonical JSON (keys sorted).
fn data_checksum(config_map: &Value) -> String {
    use sha2::{Digest, Sha256};
    let data: BTreeMap<String, String> =
        serde_json::from_value(config_map["data"].clone()).expect("string data");
    let json = serde_json::to_string(&data).expect("JSON");
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the ExternalSecret maps, as the pods' `checksum/store-refs` hashes it: the store, and each
/// variable's key and property.
fn mapping_checksum(external_secret: &Value) -> String {
    use sha2::{Digest, Sha256};
    let store = &external_secret["spec"]["secretStoreRef"];
    let data: Vec<[&Value; 3]> = external_secret["spec"]["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| {
            [
                &d["secretKey"],
                &d["remoteRef"]["key"],
                &d["remoteRef"]["property"],
            ]
        })
        .collect();
    let json = serde_json::json!({ "store": [store["name"], store["kind"]], "data": data });
    Sha256::digest(json.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// With Istio injection, every pod can reach istiod (or its sidecar never gets its config) and
/// Prometheus keeps scraping the port the NetworkPolicy admits (metrics merging would move it
/// to the agent's 15020). Without Istio, neither is written.
fn check_istio(ctx: &str, objects: &Objects, namespace: &Value) {
    let istio = namespace["metadata"]["labels"]["istio-injection"] == "enabled";
    for ((kind, name), object) in objects {
        match kind.as_str() {
            "NetworkPolicy" => {
                let reaches_istiod = object["spec"]["egress"]
                    .as_array()
                    .expect("egress")
                    .iter()
                    .any(|rule| {
                        rule["to"][0]["namespaceSelector"]["matchLabels"]
                            ["kubernetes.io/metadata.name"]
                            == "istio-system"
                            && rule["ports"][0]["port"] == 15012
                    });
                assert_eq!(reaches_istiod, istio, "{ctx}: {name} egress to istiod");
            }
            "Deployment" => {
                let annotations = &object["spec"]["template"]["metadata"]["annotations"];
                if annotations.get("prometheus.io/scrape").is_some() {
                    assert_eq!(
                        annotations
                            .get("prometheus.istio.io/merge-metrics")
                            .is_some(),
                        istio,
                        "{ctx}: {name}"
                    );
                    if istio {
                        assert_eq!(annotations["prometheus.istio.io/merge-metrics"], "false");
                    }
                }
            }
            _ => {}
        }
    }
}

fn check_env(platform: &str, env: &str, files: &[(String, Value)]) {
    let mut objects: Objects = BTreeMap::new();
    let mut kustomization = None;
    for (path, value) in files {
        let kind = s(value, "/kind").to_owned();
        if kind == "Kustomization" {
            kustomization = Some(value.clone());
            continue;
        }
        objects.insert((kind, s(value, "/metadata/name").to_owned()), value.clone());
        let _ = path;
    }
    let ctx = format!("{platform}/{env}");
    let has = |kind: &str, name: &str| objects.contains_key(&(kind.to_owned(), name.to_owned()));
    let namespace = objects
        .keys()
        .find(|(k, _)| k == "Namespace")
        .map(|(_, n)| n.clone())
        .expect("a Namespace");
    for ((kind, name), object) in &objects {
        if kind != "Namespace" {
            assert_eq!(
                s(object, "/metadata/namespace"),
                namespace,
                "{ctx}: {kind}/{name} outside the namespace"
            );
        }
    }
    let pods: Vec<&Value> = objects
        .iter()
        .filter(|((k, _), _)| k == "Deployment")
        .map(|(_, d)| {
            d.pointer("/spec/template/metadata/labels")
                .expect("pod labels")
        })
        .collect();
    for ((kind, name), object) in &objects {
        match kind.as_str() {
            "Deployment" => {
                let spec = object.pointer("/spec/template/spec").expect("pod spec");
                assert!(
                    has("ServiceAccount", s(spec, "/serviceAccountName")),
                    "{ctx}: {name} service account"
                );
                assert!(
                    labels_match(
                        object.pointer("/spec/selector/matchLabels").unwrap(),
                        object.pointer("/spec/template/metadata/labels").unwrap()
                    ),
                    "{ctx}: {name} selector"
                );
                let secret_ref = spec["containers"].as_array().unwrap().iter().any(|c| {
                    c["envFrom"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|source| source.get("secretRef").is_some())
                });
                assert_eq!(
                    object
                        .pointer("/spec/template/metadata/annotations/checksum~1store-refs")
                        .is_some(),
                    secret_ref,
                    "{ctx}: {name} checksum/store-refs without secrets, or secrets without it"
                );
                for container in spec["containers"].as_array().unwrap() {
                    for source in container["envFrom"].as_array().into_iter().flatten() {
                        if let Some(cm) = source.pointer("/configMapRef/name") {
                            let config_map = objects
                                .get(&("ConfigMap".to_owned(), cm.as_str().unwrap().to_owned()))
                                .unwrap_or_else(|| panic!("{ctx}: {name} configmap {cm}"));
                            // The pods roll when exactly this ConfigMap's data changes.
                            assert_eq!(
                                object.pointer(
                                    "/spec/template/metadata/annotations/checksum~1config"
                                ),
                                Some(&Value::from(data_checksum(config_map))),
                                "{ctx}: {name} checksum/config is not {cm}'s"
                            );
                        }
                        if let Some(secret) =
                            source.pointer("/secretRef/name").and_then(Value::as_str)
                        {
                            let producer = objects.iter().find(|((k, _), o)| {
                                k == "ExternalSecret" && s(o, "/spec/target/name") == secret
                            });
                            let (_, external_secret) = producer.unwrap_or_else(|| {
                                panic!("{ctx}: {name} secret {secret} has no ExternalSecret producing it")
                            });
                            // The pods roll when what it maps changes.
                            assert_eq!(
                                object.pointer(
                                    "/spec/template/metadata/annotations/checksum~1store-refs"
                                ),
                                Some(&Value::from(mapping_checksum(external_secret))),
                                "{ctx}: {name} checksum/store-refs is not {secret}'s"
                            );
                        }
                    }
                }
            }
            "Service" | "PodDisruptionBudget" | "NetworkPolicy" => {
                let selector = match kind.as_str() {
                    "Service" => object.pointer("/spec/selector"),
                    "PodDisruptionBudget" => object.pointer("/spec/selector/matchLabels"),
                    _ => object.pointer("/spec/podSelector/matchLabels"),
                }
                .expect("selector");
                assert!(
                    pods.iter().any(|labels| labels_match(selector, labels)),
                    "{ctx}: {kind}/{name} selects no pods"
                );
                if kind == "Service" {
                    let target = s(object, "/spec/ports/0/targetPort");
                    let deployment = &objects[&("Deployment".to_owned(), name.clone())];
                    let ports = deployment
                        .pointer("/spec/template/spec/containers/0/ports")
                        .and_then(Value::as_array)
                        .expect("container ports");
                    assert!(
                        ports.iter().any(|p| p["name"] == target),
                        "{ctx}: Service {name} targets missing port {target}"
                    );
                }
            }
            "Ingress" => {
                for rule in object
                    .pointer("/spec/rules")
                    .and_then(Value::as_array)
                    .unwrap()
                {
                    for path in rule
                        .pointer("/http/paths")
                        .and_then(Value::as_array)
                        .unwrap()
                    {
                        let backend = s(path, "/backend/service/name");
                        let port = path.pointer("/backend/service/port/number").unwrap();
                        let service = objects
                            .get(&("Service".to_owned(), backend.to_owned()))
                            .unwrap_or_else(|| {
                                panic!("{ctx}: Ingress {name} backend {backend} missing")
                            });
                        assert!(
                            service["spec"]["ports"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|p| &p["port"] == port),
                            "{ctx}: Ingress {name} port {port}"
                        );
                    }
                }
            }
            "HorizontalPodAutoscaler" => {
                assert!(
                    has("Deployment", s(object, "/spec/scaleTargetRef/name")),
                    "{ctx}: HPA {name} target"
                );
            }
            _ => {}
        }
    }
    check_istio(
        &ctx,
        &objects,
        &objects[&("Namespace".to_owned(), namespace.clone())],
    );
    let kustomization = kustomization.expect("a kustomization.yaml");
    let listed: BTreeSet<String> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let present: BTreeSet<String> = files
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap().to_owned())
        .filter(|f| f != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, present,
        "{ctx}: kustomization lists exactly the folder's objects"
    );
}

#[test]
fn every_reference_resolves_in_every_environment() {
    for (name, path) in common::platforms() {
        let mut by_env: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
        for file in common::compile(&path) {
            let Some((env, rest)) = file.path.split_once('/') else {
                continue;
            };
            if !rest.starts_with("kubernetes/") {
                continue;
            }
            let value: Value = serde_saphyr::from_str(&file.content).expect("valid YAML");
            by_env
                .entry(env.to_owned())
                .or_default()
                .push((file.path.clone(), value));
        }
        assert!(!by_env.is_empty(), "{name} renders Kubernetes objects");
        for (env, files) in by_env {
            check_env(&name, &env, &files);
        }
    }
}

#[test]
fn no_secret_values_are_rendered() {
    for (name, path) in common::platforms() {
        for file in common::compile(&path) {
            assert!(
                !file.content.contains("kind: Secret\n"),
                "{name}: {} renders a Secret",
                file.path
            );
            assert!(
                !file.content.contains("stringData"),
                "{name}: {} has stringData",
                file.path
            );
        }
    }
}

/// `calls` opens exactly the declared paths: the reference platform's api may reach users on
/// its port, users admits api, and no other service admits api or is reached by it.
#[test]
fn calls_open_exactly_the_declared_paths_between_services() {
    let files = common::by_path(common::compile(&common::root().join("platform.toml")));
    let policy = |service: &str| {
        common::yaml(
            &files,
            &format!("production/kubernetes/{service}-networkpolicy.yaml"),
        )
    };
    let admits = |policy: &Value, app: &str| {
        policy["spec"]["ingress"].as_array().is_some_and(|rules| {
            rules.iter().any(|rule| {
                rule["from"].as_array().is_some_and(|from| {
                    from.iter()
                        .any(|peer| peer["podSelector"]["matchLabels"]["app"] == app)
                })
            })
        })
    };
    let reaches = |policy: &Value, app: &str| {
        policy["spec"]["egress"]
            .as_array()
            .expect("egress")
            .iter()
            .filter(|rule| rule["to"][0]["podSelector"]["matchLabels"]["app"] == app)
            .map(|rule| rule["ports"][0]["port"].as_u64().expect("port"))
            .collect::<Vec<_>>()
    };
    assert!(admits(&policy("platform-user"), "platform-api"));
    assert_eq!(reaches(&policy("platform-api"), "platform-user"), [8002]);
    for other in ["platform-auth", "platform-worker"] {
        assert!(!admits(&policy(other), "platform-api"), "{other}");
        assert!(
            reaches(&policy("platform-api"), other).is_empty(),
            "{other}"
        );
    }
}
