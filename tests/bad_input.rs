//! Bad platform files: each file in `tests/bad/` is a small, otherwise valid platform with one
//! defect. Rendering it must exit 1, point at the defect (`file:line:col: error[CODE]`) with a
//! useful message, and leave an existing output directory exactly as it was.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One bad file and the diagnostic it must produce.
struct Case {
    /// File name under `tests/bad/`.
    file: &'static str,
    /// Error code of the first diagnostic.
    code: &'static str,
    /// One-based line and column it points at.
    line: usize,
    col: usize,
    /// A fragment of its message.
    fragment: &'static str,
    /// A fragment of its help line, when it has one worth pinning.
    help: Option<&'static str>,
}

const fn case(
    file: &'static str,
    code: &'static str,
    line: usize,
    col: usize,
    fragment: &'static str,
    help: Option<&'static str>,
) -> Case {
    Case {
        file,
        code,
        line,
        col,
        fragment,
        help,
    }
}

// One line per case; line 1 of every non-empty file is a comment naming its defect.
#[rustfmt::skip]
const CASES: &[Case] = &[
    case("syntax-error.toml", "E0101", 24, 15, "invalid TOML: unclosed table, expected `]`", Some("fix the TOML syntax")),
    case("empty.toml", "E0102", 1, 1, "the platform file is empty", Some("[platform]")),
    case("unknown-key.toml", "E0201", 21, 1, "unknown key `replcas` in `services.api`", Some("did you mean `replicas`?")),
    case("wrong-type.toml", "E0203", 21, 12, "wrong type for `services.api.replicas`: expected an integer, found a string", Some("write it as digits, without quotes: `3`")),
    case("bad-service-name.toml", "E0205", 17, 11, "invalid name `Platform_API` in `services`", Some("try `platform-api`")),
    case("unknown-dependency.toml", "E0301", 20, 9, "service `api` uses unknown dependency `postgress`", Some("did you mean `postgres`?")),
    case("unknown-callee.toml", "E0330", 17, 10, "service `api` calls unknown service `user`", Some("did you mean `users`?")),
    case("callee-not-deployed.toml", "E0331", 17, 10, "service `api` calls `users`, which `staging` does not run", Some("enable `users` there")),
    case("negative-replicas.toml", "E0206", 21, 12, "`services.api.replicas` is -1, below the minimum 0", Some("at least 0")),
    case("limits-below-requests.toml", "E0306", 23, 79, "CPU limit 250m is below its request 500m", Some("raise the limit")),
    case("path-name.toml", "E0205", 24, 11, "invalid name `../x` in `services`", Some("DNS-1035")),
    case("duplicate-host.toml", "E0308", 33, 10, "`web` and `api` are both exposed at api.staging.example.com/ in `staging`", Some("expose.subdomain")),
    case("unknown-env.toml", "E0302", 30, 19, "service `api` overrides unknown environment `prod`", Some("did you mean `production`?")),
    case("deploy-branch-typo.toml", "E0343", 32, 17, "deploy branch `mian` is not among `ci.branches`", Some("did you mean `main`? Otherwise add `\"mian\"` to `ci.branches`")),
    case("deploy-branch-space.toml", "E0205", 32, 17, "`ci.deploy_branch`: \"feature x\" is not a branch name", Some("write one branch (no glob) of letters, digits, `_`, `.`, `/` and `-`, not starting with `.`, `/` or `-`, e.g. `main` or `release/1.x`: try `feature-x`")),
    case("env-overrides-misspelt.toml", "E0202", 16, 11, "service `apu` has only per-environment overrides (`env`) and no `kind`", Some("did you mean `api`? Write `[services.api.env.<environment>]`")),
    case("replicas-under-environment.toml", "E0201", 10, 1, "unknown key `replicas` in `environments.staging`", Some("`replicas` is a service setting: for every service in `staging`, set it in `service_overrides = { replicas = … }`; for one, under `[services.<service>.env.staging]`")),
    case("domain-under-service.toml", "E0201", 12, 1, "unknown key `domain` in `services.api`", Some("`domain` is an environment's setting: set it under `[environments.<name>]`")),
    case("worker-without-command.toml", "E0304", 25, 11, "worker `jobs` has no `command`", Some("add `command = [")),
    case("latency-threshold-not-a-bucket.toml", "E0320", 24, 54, "latency threshold `300ms` of `api` is not a bucket", Some("use the closest bucket, `threshold = \"250ms\"`")),
    case("missing-registry.toml", "E0202", 2, 2, "missing required key `registry` in `platform`", Some("add `registry = …`")),
    case("bad-runtime.toml", "E0204", 13, 11, "invalid value \"kubernetis\" for `environments.staging.runtime`", Some("did you mean `kubernetes`?")),
    case("cidr-host-bits.toml", "E0205", 11, 8, "`dependencies.postgres.cidr`: `10.20.3.4/16` is not an address range: its address has bits set past the prefix", Some("did you mean `10.20.0.0/16`?")),
    case("listen-misspelt.toml", "E0204", 5, 10, "invalid value \"dual_stack\" for `platform.listen`", Some("did you mean `dual-stack`?")),
    case("web-without-app.toml", "E0303", 20, 11, "web service `api` has no `app`", Some("the ASGI application")),
    case("autoscaling-without-max.toml", "E0307", 26, 15, "autoscaling of `api` has no `max`", Some("add `max = N`")),
    case("autoscaling-min-above-max.toml", "E0307", 26, 15, "min 5 is above max 3", Some("make `min` at most `max`")),
    case("autoscaling-min-without-max.toml", "E0307", 26, 15, "autoscaling of `api` has no `max`", Some("add `max = N`")),
    case("expose-without-domain.toml", "E0309", 26, 10, "`api` is exposed in `staging` but has no host", Some("set `domain` on environment `staging`")),
    case("disruption-blocks-drains.toml", "E0310", 26, 14, "keeps 2 pods available but it runs only 2", Some("node drains would hang")),
    case("disruption-both-fields.toml", "E0310", 26, 14, "must set exactly one of `min_available` and `max_unavailable`", Some("keep one of the two")),
    case("disruption-lets-every-pod-go.toml", "E0310", 26, 14, "disruption budget of `api` has no effect: `max_unavailable = 5` lets every pod go at once (`api` runs at most 2 in `staging` and `production`)", Some("lower it below 2, e.g. `max_unavailable = 1`")),
    case("disruption-keeps-no-pod.toml", "E0310", 26, 14, "disruption budget of `api` has no effect: `min_available = 0` keeps no pod available (`api` runs at most 2 in `staging` and `production`)", Some("use `max_unavailable = 1`, the budget a service with 2 or more replicas gets without `disruption`")),
    case("disruption-max-unavailable-overflow.toml", "E0206", 26, 34, "`services.api.disruption.max_unavailable` is 2147483648, above the maximum 1000", Some("at most 1000")),
    case("duplicate-secret.toml", "E0311", 25, 23, "secret `API_KEY` is listed twice for `api`", Some("remove the duplicate")),
    case("secret-misspelt.toml", "E0328", 24, 12, "`api` uses `postgres` but has no `DATABASE_URL` secret, so it gets no connection URL: it lists `DATABASE_ULR`", Some("did you mean `DATABASE_URL`?")),
    case("secret-and-config.toml", "E0311", 7, 1, "`LOG_LEVEL` of `api` is both a secret and a plain config value", Some("keep it in `secrets` or in `config`")),
    case("dependency-without-kind.toml", "E0312", 9, 15, "dependency `db` has no kind", Some("add `kind = \"postgres\"`")),
    case("long-service-name.toml", "E0314", 28, 11, "is too long", Some("use at most 55 characters")),
    case("worker-exposed.toml", "E0315", 37, 1, "worker `jobs` cannot be exposed through the ingress", Some("remove `expose`")),
    case("no-services.toml", "E0207", 20, 1, "`services` must not be empty", None),
    case("bad-duration.toml", "E0205", 10, 11, "`secret_store.refresh`: \"1 hour\" is not a duration", Some("`30s`, `5m`, `1h` or `30d`")),
    case("port-out-of-range.toml", "E0206", 25, 8, "`services.api.port` is 80800, above the maximum 65535", Some("at most 65535")),
    case("bad-store-kind.toml", "E0204", 10, 8, "invalid value \"ClusterStore\" for `secret_store.kind`", Some("did you mean `ClusterSecretStore`?")),
    case("worker-with-port.toml", "E0315", 31, 1, "worker `jobs` sets `port`, which only web services have", Some("make the service `kind = \"web\"`")),
    case("worker-http-probe.toml", "E0315", 31, 55, "worker `jobs` sets `health.readiness`, which only web services have", Some("a worker is probed with `health.command`")),
    case("worker-gunicorn-workers.toml", "E0315", 34, 1, "worker `jobs` sets `workers`, which only web services have", Some("remove `workers`")),
    case("compose-istio.toml", "E0316", 36, 1, "`istio` has no effect: `development` runs on compose", Some("remove it")),
    case("quota-without-limits.toml", "E0202", 19, 1, "missing required key `limits` in `environments.production.quota`", Some("add `limits = …`")),
    case("service-named-like-dependency.toml", "E0317", 33, 11, "service `postgres` has the name of a dependency", Some("rename one of them")),
    case("service-named-grafana.toml", "E0317", 37, 11, "service `grafana` has the name of a container compose runs in `development`", Some("set `observability = false` there")),
    case("environment-named-docs.toml", "E0317", 12, 15, "environment `docs` has the name of a folder every environment shares", Some("rename the environment")),
    case("namespace-too-long.toml", "E0318", 12, 15, "74 characters long", Some("Kubernetes allows 63")),
    case("replicas-under-autoscaling.toml", "E0313", 29, 12, "`replicas = 5` never takes effect: the autoscaler decides the count (`api` in `staging` runs 2–6, `api` in `production` runs 2–6)", Some("set `autoscaling.min = 5`")),
    case("config-list.toml", "E0203", 7, 13, "wrong type for `platform.config.LOG_LEVEL`: expected a string, a number or a boolean, found an array", Some("write it as one string, e.g. `\"INFO,DEBUG\"`")),
    case("error-status-not-a-regex.toml", "E0319", 34, 18, "`error_status = \"5[\"` is not a valid regular expression: unclosed character class", Some("RE2 syntax")),
    case("security-schedule-out-of-range.toml", "E0323", 34, 22, "minute 99 is out of range 0–59", Some("hour (0–23)")),
    case("quota-too-small.toml", "E0324", 19, 100, "the services of `production` need at least 5 pods, but its quota allows 3", Some("set `pods = 5` or more")),
    case("compose-only-replicas.toml", "E0316", 25, 1, "`services.api.replicas` has no effect: no environment runs on Kubernetes", Some("compose runs one container per service")),
    case("subdomain-beside-host.toml", "E0326", 26, 24, "`expose.subdomain` of `api` never takes effect: in `staging` and `production`, `expose.host` replaces it", Some("remove `subdomain`")),
    case("autoscaling-disabled-with-max.toml", "E0326", 27, 40, "`autoscaling.max` of `api` never takes effect: in `staging` and `production`, autoscaling is off", Some("the Deployment runs a fixed `replicas`")),
    case("codecov-without-coverage.toml", "E0327", 35, 13, "`ci.secrets.codecov` never takes effect: `coverage = false` uploads no report", Some("remove it")),
    case("single-node-drain-blocked.toml", "E0325", 15, 9, "`staging` has one node: draining it must evict all 2 pods `api` may run, but its disruption budget allows 1 at a time", Some("the drain would wait forever")),
    case("float-overflow.toml", "E0206", 22, 21, "float out of range for `services.api.termination_grace`: 1e400 is too large", Some("use an integer from 1 to 3600")),
    case("integer-overflow.toml", "E0206", 22, 8, "integer out of range for `services.api.port`: 99999999999999999999 does not fit in 64 bits", Some("use an integer from 1024 to 65535")),
    case("replicas-nan.toml", "E0206", 21, 12, "nan/inf is not allowed here: `services.api.replicas` is nan", Some("use an integer from 0 to 1000")),
    case("autoscaling-max-inf.toml", "E0206", 21, 32, "nan/inf is not allowed here: `services.api.autoscaling.max` is inf", Some("use an integer from 1 to 1000")),
    case("buckets-nan.toml", "E0206", 18, 23, "nan/inf is not allowed here: `observability.metrics.buckets.2` is nan", Some("use a number above 0")),
    case("whole-float-replicas.toml", "E0203", 21, 12, "wrong type for `services.api.replicas`: expected an integer, found a float", Some("write `2`")),
    case("autoscaling-min-float.toml", "E0203", 21, 23, "wrong type for `services.api.autoscaling.min`: expected an integer, found a float", Some("write `1`")),
    case("cpu-as-number.toml", "E0203", 22, 34, "wrong type for `services.api.resources.requests.cpu`: expected a string, found a float", Some("write it as a string: `\"500m\"`")),
    case("grace-with-unit.toml", "E0203", 22, 21, "wrong type for `services.api.termination_grace`: expected an integer, found a string", Some("as a number of seconds, without quotes or unit: `90`")),
    case("python-as-float.toml", "E0203", 5, 10, "wrong type for `platform.python`: expected a string, found a float", Some("write it as a string: `\"3.10\"`")),
    case("latency-without-unit.toml", "E0205", 22, 54, "`services.api.slo.latency.threshold`: \"500\" is not a latency", Some("try `500ms`")),
    case("body-size-in-megabytes.toml", "E0205", 22, 43, "`services.api.expose.body_size`: \"10MB\" is not a body size", Some("try `10m`")),
    case("registry-with-scheme.toml", "E0205", 4, 12, "`platform.registry`: \"https://registry.example.com\" is not a registry address", Some("without a scheme, e.g. `registry.example.com/team` or `ghcr.io/acme`: try `registry.example.com`")),
    case("rollout-timeout-words.toml", "E0205", 18, 19, "`ci.staging.rollout_timeout`: \"10 minutes\" is not a rollout timeout", Some("try `10m`")),
    case("config-key-dashes.toml", "E0205", 22, 12, "invalid variable name `bad-name` in `services.api.config`", Some("`[A-Za-z_][A-Za-z0-9_]*`): try `BAD_NAME`")),
    case("service-name-trailing-digit.toml", "E0205", 17, 11, "invalid name `api_v2` in `services`", Some("try `api-v2`")),
    case("duplicate-key.toml", "E0101", 22, 1, "invalid TOML: duplicate key `uses`", Some("`uses` is already defined on line 20: remove one of the two")),
    case("missing-kind.toml", "E0202", 17, 11, "missing required key `kind` in `services.api`", Some("add `kind = \"web\"` or `kind = \"worker\"`")),
    case("label-value-space.toml", "E0205", 5, 19, "`platform.labels.team`: \"core team\" is not a Kubernetes label value", Some("try `core-team`")),
    case("label-key-invalid.toml", "E0205", 22, 12, "invalid label key \"bad key!\" in `services.api.labels`", Some("try `bad-key`")),
    case("label-value-too-long.toml", "E0206", 5, 19, "`platform.labels.team` is 64 characters long, longer than the 63 allowed", Some("at most 63 characters")),
    case("label-reserved.toml", "E0210", 22, 12, "label `app` in `services.api.labels` is set by platgen itself", Some("remove `app` or use another key")),
    case("selector-key-invalid.toml", "E0205", 8, 14, "invalid label key \"app name\" in `dependencies.postgres.selector`", Some("try `app-name`")),
    case("runbook-url-template.toml", "E0205", 18, 20, "is not a usable URL", Some("percent-encode whitespace, quotes")),
    case("runbook-url-not-http.toml", "E0205", 34, 20, "`observability.runbook_base_url`: \"javascript:alert(1)\" is not a usable URL", Some("write an `http://` or `https://` URL with a host, in printable ASCII")),
    case("uid-below-10000.toml", "E0206", 5, 7, "`platform.uid` is 1000, below the minimum 10000", Some("at least 10000")),
    case("not-utf8.toml", "E0100", 4, 6, "is not UTF-8 text: byte 0xE9 on line 4, column 6 is not valid UTF-8", Some("save it with that encoding")),
    case("utf16.toml", "E0100", 1, 1, "is UTF-16 text (little-endian), not UTF-8", Some("use `Out-File -Encoding utf8`")),
    case("dependency-name-too-long.toml", "E0206", 9, 15, "key `postgres-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` in `dependencies` is 64 characters long, longer than the 63 allowed", Some("a Kubernetes name or label value and a DNS label, which hold at most 63")),
    case("compose-project-too-long.toml", "E0318", 12, 15, "the compose project of `development-on-the-laptops-of-the-team` would be `shop-platform-of-the-company-development-on-the-laptops-of-the-team`, 67 characters long", Some("a DNS label, which holds at most 63")),
    case("secret-name-too-long.toml", "E0206", 25, 28, "`services.api.secrets.1` is 254 characters long, longer than the 253 allowed", Some("ConfigMap or Secret key")),
    case("config-key-too-long.toml", "E0206", 8, 1, "in `platform.config` is 254 characters long, longer than the 253 allowed", Some("ConfigMap or Secret key")),
    case("domain-label-too-long.toml", "E0206", 14, 10, "is 64 characters long, longer than the 63 a DNS label may be", Some("each dot-separated part of a host name holds at most 63 characters")),
    case("composed-host-too-long.toml", "E0309", 26, 10, "the host of `api` in `staging` would be 262 characters long, longer than the 253 of a DNS name", Some("shorten `expose.subdomain` or the environment's `domain`")),
    case("registry-bad-port.toml", "E0205", 4, 12, "`platform.registry`: \"reg:abc\" is not a registry address", Some("a port of digits")),
    case("libs-parent-dir.toml", "E0205", 5, 9, "`platform.libs.0`: \"libs/../../etc\" is not a relative folder", Some("no `.` or `..`")),
    case("libs-duplicate.toml", "E0211", 5, 27, "`platform.libs` lists \"libs\" twice", Some("remove the duplicate")),
    case("duplicate-uses.toml", "E0345", 23, 21, "service `api` lists `postgres` in `uses` twice", Some("remove the duplicate")),
    case("selector-empty.toml", "E0207", 11, 12, "`dependencies.postgres.selector` must not be empty", Some("an empty selector matches every pod")),
    case("datetime-value.toml", "E0103", 8, 12, "`platform.config.RELEASED` is a TOML date or time", Some("quote it: `\"1979-05-27\"`")),
    case("too-many-uses.toml", "E0206", 23, 8, "`services.api.uses` has 65 entries, more than the 64 allowed", Some("list at most 64 entries")),
    case("deep-table-header.toml", "E0101", 28, 2, "invalid TOML: key nested too deep", Some("shorten the marked key")),
    case("bom-column.toml", "E0201", 1, 1, "unknown key `registry` in the file", None),
    case("config-url-with-password.toml", "E0332", 25, 45, "`DATABASE_URL` in `services.api.config` is a URL with a password in plain config: `postgresql://app:***@db.internal:5432/shop`", Some("move it to `secrets`")),
    case("config-nul.toml", "E0333", 26, 23, "`GREETING` in `services.api.config` contains a NUL character", Some("remove the `\\u0000`")),
    case("command-nul.toml", "E0333", 30, 28, "item 2 of `services.jobs.command` contains a NUL character", Some("the program would see a cut argument")),
    case("config-platgen-variable.toml", "E0311", 8, 1, "`PATH` in `platform.config` is set by platgen", Some("the image puts the virtualenv's `bin` first on it")),
    case("unused-dependency.toml", "E0326", 33, 15, "dependency `redis` never takes effect: no service `uses` it", Some("or remove `[dependencies.redis]`")),
    case("disruption-scaled-to-zero.toml", "E0310", 26, 14, "disruption budget of `api` has no effect: `api` runs no pods (`replicas = 0`) in `staging` and `production`", Some("remove `disruption`")),
    case("termination-grace-too-short.toml", "E0334", 26, 21, "`termination_grace = 5` must be at least 20 (`api` in `staging`, `api` in `production`): the 10s preStop sleep plus 10s to drain after SIGTERM", Some("set `termination_grace = 20` or more")),
    case("slo-window-too-long.toml", "E0206", 26, 39, "`services.api.slo.window` is 16000w, longer than the maximum 365d", Some("use at most 365d (a year)")),
    case("alert-for-overflow.toml", "E0206", 34, 7, "`observability.alerts.for` is 99999999999999999999m, longer than the maximum 365d", Some("reject durations beyond about 292 years")),
    case("scrape-interval-overflow.toml", "E0206", 34, 19, "`observability.scrape_interval` is 99999999999999999999s, longer than the maximum 365d", Some("use at most 365d")),
    case("scrape-interval-too-coarse.toml", "E0335", 34, 19, "`scrape_interval = \"10m\"` is too coarse for the rules' shortest rate window, 5m: a rate needs at least 4 scrapes in its window", Some("scrape at least every 75s (5m / 4)")),
    case("slo-target-too-low.toml", "E0336", 24, 24, "availability 90% of `api` leaves a budget so large that its `page-1h` alert could never fire", Some("raise it to at least 93.06%")),
    case("alert-latency-above-buckets.toml", "E0336", 34, 15, "`latency_p99 = \"30s\"` could never fire HighLatency: it is not below 10s, the largest bucket of `http_request_duration_seconds`", Some("lower `latency_p99` below 10s, e.g. `latency_p99 = \"7.5s\"`, or add a bucket above 30s")),
    case("alert-latency-default-above-buckets.toml", "E0336", 34, 11, "the default `latency_p99 = \"1s\"` could never fire HighLatency: it is not below 500ms", Some("e.g. `latency_p99 = \"300ms\"`, or add a bucket above 1s")),
    case("alert-error-rate-all.toml", "E0336", 34, 14, "`error_rate = 100` could never fire HighErrorRate", Some("lower it below 100")),
    case("alert-db-pool-none-free.toml", "E0336", 34, 21, "`db_pool_available = 0` could never fire DatabaseConnectionPoolExhausted", Some("raise it above 0")),
    case("alert-redis-memory-zero.toml", "E0336", 34, 16, "`redis_memory = 0` fires RedisHighMemoryUsage whenever Redis runs", Some("raise it above 0, e.g. the default `90`")),
    case("quota-without-room-for-sidecars.toml", "E0324", 20, 70, "need at least 12500m of limits.cpu (10 of it for the Istio sidecars of its 5 pods), but its quota allows 4", Some("plus 5 × 2 for the injected Istio sidecars; or lower replicas or per-pod limits, or the sidecars' `istio_proxy.limits.cpu`")),
    case("expose-override-exposes-nothing.toml", "E0326", 19, 23, "`service_overrides.expose` of `production` never takes effect: no service it runs is exposed by itself", Some("never makes one public")),
    case("expose-path-dot-segment.toml", "E0205", 26, 38, "`services.api.expose.path`: \"/a/../b\" is not an Ingress path: it contains `/../`", Some("Kubernetes rejects a `Prefix` path containing `//`, `/./` or `/../` or ending in `/.` or `/..`: try `/b`")),
    case("expose-path-non-ascii.toml", "E0205", 26, 38, "`services.api.expose.path`: \"/ü\" is not a URL path platgen accepts: `ü` is not allowed in one", Some("a path takes only ASCII letters, digits and `.`, `_`, `~`, `-`, `/` (`A-Za-z0-9._~/-`)")),
    case("registry-too-long-for-image.toml", "E0206", 4, 12, "`platform.registry` is 261 characters long: the image of `jobs`, `<registry>/jobs`, would be 266, longer than the 255 Docker allows in an image name", Some("shorten the registry to at most 250 characters")),
    case("registry-host-label-too-long.toml", "E0206", 4, 12, "is 71 characters long, longer than the 63 a DNS label may be", Some("each dot-separated part of a host name holds at most 63 characters")),
    case("dependency-image-too-long.toml", "E0206", 11, 9, "`dependencies.postgres.image` names an image of 301 characters, longer than the 255 Docker allows", Some("holds at most 255 characters")),
];

/// The platform every bad file is a one-defect variant of; rendered first into `out/`.
const VALID: &str = include_str!("fixtures/small.toml");

/// Runs platgen from the repository root, so paths in diagnostics are `tests/bad/<file>`.
fn platgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platgen"))
        .args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .env("PLATGEN_CACHE", "off")
        .output()
        .expect("platgen runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Everything under a directory: relative path → file bytes (`None` for a directory).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .expect("readable dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(base).expect("under base").to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                walk(base, &path, out);
            } else {
                out.insert(rel, Some(fs::read(&path).expect("readable file")));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A temp dir holding `out/`, rendered from [`VALID`] plus an unowned `keep.txt`.
fn rendered_out() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("valid.toml");
    fs::write(&config, VALID).expect("write valid.toml");
    let out = tmp.path().join("out");
    let result = platgen(&[
        "render",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    fs::write(out.join("keep.txt"), "not platgen's\n").expect("write keep.txt");
    (tmp, out)
}

fn bad_path(file: &str) -> String {
    format!("tests/bad/{file}")
}

#[test]
fn every_bad_file_has_a_case_and_every_case_a_file() {
    let mut files: Vec<String> = fs::read_dir(common::root().join("tests/bad"))
        .expect("tests/bad exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut cases: Vec<String> = CASES.iter().map(|c| c.file.to_owned()).collect();
    cases.sort();
    assert_eq!(files, cases);
    assert!(CASES.len() >= 12);
}

#[test]
fn the_valid_base_renders() {
    let (_tmp, out) = rendered_out();
    assert!(
        out.join("production/kubernetes/api-deployment.yaml")
            .is_file()
    );
}

#[test]
fn bad_files_are_located_explained_and_write_nothing() {
    let (_tmp, out) = rendered_out();
    let before = tree(&out);
    let mut failures = Vec::new();
    for case in CASES {
        let path = bad_path(case.file);
        let result = platgen(&[
            "render",
            "--config",
            &path,
            "--out",
            out.to_str().expect("utf-8 path"),
            "--format",
            "short",
        ]);
        let stderr = text(&result.stderr);
        let location = format!("{path}:{}:{}: error[{}]: ", case.line, case.col, case.code);
        let first = stderr.lines().next().unwrap_or_default();
        let mut problems = Vec::new();
        if result.status.code() != Some(1) {
            problems.push(format!("exit code {:?}, expected 1", result.status.code()));
        }
        if !first.starts_with(&location) {
            problems.push(format!("first line does not start with {location:?}"));
        }
        if !first.contains(case.fragment) {
            problems.push(format!("first line lacks {:?}", case.fragment));
        }
        if let Some(help) = case.help
            && !first.contains(help)
        {
            problems.push(format!("first line lacks help {help:?}"));
        }
        if !result.stdout.is_empty() {
            problems.push(format!("stdout not empty: {}", text(&result.stdout)));
        }
        if tree(&out) != before {
            problems.push("the output directory changed".to_owned());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}:\n  {}\n  stderr: {stderr}",
                case.file,
                problems.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_and_diff_reject_bad_files_the_same_way() {
    let (_tmp, out) = rendered_out();
    let before = tree(&out);
    let out = out.to_str().expect("utf-8 path");
    for case in CASES {
        let path = bad_path(case.file);
        let location = format!("{path}:{}:{}: error[{}]: ", case.line, case.col, case.code);
        let result = platgen(&[
            "check", "--config", &path, "--out", out, "--format", "short",
        ]);
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "check {path}: {stderr}");
        assert!(stderr.starts_with(&location), "check {path}: {stderr}");
        // For diff, exit code 1 means "differences": invalid input is an error (2).
        let result = platgen(&["diff", "--config", &path, "--out", out, "--color", "never"]);
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "diff {path}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error[{}]: ", case.code))
                && stderr.contains(&format!("{path}:{}:{}", case.line, case.col)),
            "diff {path}: {stderr}"
        );
        assert!(result.stdout.is_empty(), "diff {path} printed a diff");
    }
    assert!(
        tree(Path::new(out)) == before,
        "check/diff changed the output directory"
    );
}

#[test]
fn human_format_shows_the_line_a_caret_and_help() {
    let (_tmp, out) = rendered_out();
    let before = tree(&out);
    let result = platgen(&[
        "render",
        "--config",
        "tests/bad/unknown-key.toml",
        "--out",
        out.to_str().expect("utf-8 path"),
        "--color",
        "never",
    ]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0201]: unknown key `replcas` in `services.api`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--> tests/bad/unknown-key.toml:21:1"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.ends_with("| replcas = 2"))
        .unwrap_or_else(|| panic!("no source line in:\n{stderr}"));
    let caret = lines.get(source + 1).copied().unwrap_or_default();
    // The caret underlines exactly the key, in the key's columns.
    let key_col = lines[source]
        .find("replcas")
        .expect("key on the source line");
    assert_eq!(caret.find('^'), Some(key_col), "{stderr}");
    assert!(caret.contains("^^^^^^^ not a known key"), "{stderr}");
    assert!(
        stderr.contains("help: did you mean `replicas`?"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour with --color never: {stderr:?}"
    );
    assert!(tree(&out) == before);
}

#[test]
fn a_config_key_named_expose_does_not_count_as_exposure() {
    let result = platgen(&[
        "check",
        "--config",
        "tests/bad/worker-exposed.toml",
        "--format",
        "short",
    ]);
    let stderr = text(&result.stderr);
    // Only the real `expose` table of the worker's production override is reported.
    assert_eq!(stderr.matches("error[E0315]").count(), 1, "{stderr}");
}

#[test]
fn an_autoscaler_without_max_is_reported_alone() {
    // Its `min`–`min` range is a placeholder: `replicas` is not judged against it (E0313).
    let result = platgen(&[
        "check",
        "--config",
        "tests/bad/autoscaling-min-without-max.toml",
        "--format",
        "short",
    ]);
    let stderr = text(&result.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error[")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("error[E0307]"), "{stderr}");
}

#[test]
fn a_large_platform_reports_every_problem_in_file_order() {
    // Enough services that the semantic checks run on two threads: the problems either half
    // finds are all reported, in the order of the file.
    let mut toml = String::from(
        "[platform]\nname = \"shop\"\nregistry = \"registry.example.com\"\n\n\
         [dependencies.postgres]\nversion = \"16\"\n\n\
         [environments.staging]\nruntime = \"kubernetes\"\ndomain = \"staging.example.com\"\n\n\
         [environments.production]\nruntime = \"kubernetes\"\ndomain = \"example.com\"\n",
    );
    for i in 0..12 {
        let uses = if i % 5 == 0 { "postgress" } else { "postgres" };
        let limit = if i == 3 { "250m" } else { "1" };
        toml.push_str(&format!(
            "\n[services.svc-{i}]\nkind = \"worker\"\ncommand = [\"python\", \"-m\", \"jobs\"]\n\
             health = {{ command = [\"true\"] }}\nuses = [\"{uses}\"]\nsecrets = [\"DATABASE_URL\"]\n\
             resources = {{ requests = {{ cpu = \"500m\" }}, limits = {{ cpu = \"{limit}\" }} }}\n"
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("platform.toml");
    fs::write(&config, &toml).expect("platform written");
    let result = Command::new(env!("CARGO_BIN_EXE_platgen"))
        .args(["check", "--format", "short", "--config"])
        .arg(&config)
        .env("PLATGEN_CACHE", "off")
        .output()
        .expect("platgen runs");
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    let found: Vec<(usize, &str)> = stderr
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once("platform.toml:")?;
            let (line, rest) = rest.split_once(':')?;
            let code = rest.split_once("error[")?.1.split_once(']')?.0;
            Some((line.parse().ok()?, code))
        })
        .collect();
    let line_of = |service: usize, key: &str| {
        let table = toml
            .find(&format!("[services.svc-{service}]"))
            .expect("table");
        let at = table + toml[table..].find(key).expect("key");
        toml[..at].lines().count() + 1
    };
    let expected = vec![
        (line_of(0, "uses"), "E0301"),
        (line_of(3, "resources"), "E0306"),
        (line_of(5, "uses"), "E0301"),
        (line_of(10, "uses"), "E0301"),
    ];
    assert_eq!(found, expected, "{stderr}");
}
