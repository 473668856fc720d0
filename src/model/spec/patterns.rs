//! Every format the schema checks with a `pattern`, and how a person is told about it: what
//! kind of value it is and an example. Validation explains a value that does not match with
//! these words, never with the regular expression alone (a test holds every schema pattern to
//! having a rule here).

use super::*;

/// A container registry `host[:port][/path]`, e.g. `registry.example.com/team`: the domain and
/// path components of the distribution reference grammar (lower-case, as image names are).
pub const REGISTRY_PATTERN: &str = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$";
/// An image tag: `v1.0.0`, `latest`.
pub const IMAGE_TAG_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$";
/// A Python 3 version: `3.12`.
pub const PYTHON_PATTERN: &str = "^3\\.[0-9]+$";
/// A relative path inside the repository (also a secret key): `libs`, `platform/database`.
pub const RELATIVE_PATH_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_./-]*$";
/// A relative folder of `/`-separated names: `out`, `deploy/out`.
pub const FOLDER_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$";
/// A release version `MAJOR.MINOR.PATCH`: `0.5.1`.
pub const SEMVER_PATTERN: &str = "^[0-9]+\\.[0-9]+\\.[0-9]+$";
/// A release version, optionally with a pre-release: `0.2.0`, `1.0.0-rc.1`.
pub const SEMVER_PRE_PATTERN: &str = "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$";
/// An ASGI application `module.path:attribute`.
pub const APP_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$";
/// A DNS host name: `example.com`, `api.staging.example.com`.
pub const HOST_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// An nginx body size: `10m`, `512k`, `1g`.
pub const BODY_SIZE_PATTERN: &str = "^[0-9]+[kmg]?$";
/// A GitHub environment's name (at most 255 characters): `registry`.
pub const GITHUB_ENVIRONMENT_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$";
/// A property inside a secret store key: `url`.
pub const SECRET_PROPERTY_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$";
/// A major, major.minor or major.minor.patch version: `16`, `7.2`.
pub const MAJOR_VERSION_PATTERN: &str = "^[0-9]+(\\.[0-9]+){0,2}$";
/// A URL scheme: `postgresql+asyncpg`.
pub const SCHEME_PATTERN: &str = "^[a-z][a-z0-9+.-]*$";
/// An IPv4 or IPv6 address range: `10.20.0.0/16`, `fd00:10::/64` (the form; the address, the
/// prefix length and the host bits are checked in `validate/cidrs.rs`).
pub const CIDR_PATTERN: &str =
    "^([0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*/[0-9]{1,3})$";
/// `host:port`: `alertmanager.monitoring.svc:9093`.
pub const HOST_PORT_PATTERN: &str = "^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$";
/// A Prometheus regular expression of HTTP statuses: `5..`, `5[0-9]{2}`, `5\\d\\d`. No quotes,
/// whitespace or backquotes (it is also shown in runbooks); E0319 checks the syntax.
pub const STATUS_REGEX_PATTERN: &str = "^[A-Za-z0-9.|()\\[\\]{}*+?^$\\\\,:-]+$";
/// An `http://` or `https://` base URL written into alert annotations and documents: a host,
/// an optional port and path, in printable ASCII with every character that needs it
/// percent-encoded (no whitespace, quotes, `<>`, backquotes, braces — Prometheus would read
/// `{{ }}` as a template —, `|`, `\` or `^`), and no query or fragment, as `/<Alert>.md` follows.
pub const URL_PATTERN: &str = "^https?://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?(/([A-Za-z0-9._~!$&()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?$";
/// An `https://` Git repository URL: `https://github.com/acme/platgen`.
pub const GIT_URL_PATTERN: &str = "^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._-]+)+$";
/// A Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63
/// characters (`team`, `example.com/team`).
pub const LABEL_KEY_PATTERN: &str = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
/// A Kubernetes label value: empty, or letters, digits, `-`, `_`, `.` starting and ending
/// alphanumeric (at most 63 characters, checked by `maxLength`).
pub const LABEL_VALUE_PATTERN: &str = "^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$";

/// How a format is explained to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternRule {
    /// The regular expression, as in the schema.
    pub pattern: &'static str,
    /// What a matching value is, after "is not": `a duration`.
    pub what: &'static str,
    /// How to write one: `write it like `30s`, `5m`, `1h` or `30d``.
    pub help: &'static str,
    /// A value that matches (a test checks it).
    pub example: &'static str,
    /// The unit a bare number most likely lacks (`500` → `500ms` for a latency).
    pub bare_number_unit: Option<&'static str>,
    /// Whether a value is worth correcting by the usual slips (spaces, case, a scheme): not a
    /// regular expression, where dropping or replacing a character changes what it matches.
    pub correctable: bool,
}

const fn rule(
    pattern: &'static str,
    what: &'static str,
    help: &'static str,
    example: &'static str,
) -> PatternRule {
    PatternRule {
        pattern,
        what,
        help,
        example,
        bare_number_unit: None,
        correctable: true,
    }
}

const fn with_unit(rule: PatternRule, unit: &'static str) -> PatternRule {
    PatternRule {
        bare_number_unit: Some(unit),
        ..rule
    }
}

const fn uncorrected(rule: PatternRule) -> PatternRule {
    PatternRule {
        correctable: false,
        ..rule
    }
}

/// Every pattern of the schema with its explanation.
pub const PATTERN_RULES: &[PatternRule] = &[
    rule(
        NAME_PATTERN,
        "a valid name",
        "names are lower-case letters, digits and `-`, start with a letter and end with a letter or digit (DNS-1035)",
        "platform-api",
    ),
    rule(
        ENV_KEY_PATTERN,
        "a valid variable name",
        "use letters, digits and `_`, not starting with a digit (`[A-Za-z_][A-Za-z0-9_]*`)",
        "DATABASE_URL",
    ),
    rule(
        CPU_PATTERN,
        "a CPU quantity",
        "write millicores like `250m` or cores like `2`",
        "250m",
    ),
    rule(
        MEMORY_PATTERN,
        "a memory quantity",
        "write it like `256Mi` or `2Gi`",
        "256Mi",
    ),
    with_unit(
        rule(
            DURATION_PATTERN,
            "a duration",
            "write it like `30s`, `5m`, `1h` or `30d`",
            "30s",
        ),
        "s",
    ),
    rule(
        PATH_PATTERN,
        "an absolute URL path",
        "start it with `/` and use only ASCII letters, digits and `.`, `_`, `~`, `-`, `/`, e.g. `/health/live`",
        "/health/live",
    ),
    rule(
        DIGEST_PATTERN,
        "an image digest",
        "write `sha256:` and the 64 lower-case hex digits of the digest",
        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ),
    rule(
        IMAGE_PATTERN,
        "a container image reference",
        "write it like `postgres:16-alpine` or `registry.example.com/redis:7`, optionally followed by `@sha256:…`",
        "postgres:16-alpine",
    ),
    rule(
        CREDENTIAL_PATTERN,
        "a development credential",
        "use only letters, digits, `_`, `.`, `~` and `-` (it goes unquoted into URLs and .env files)",
        "shop_dev_password",
    ),
    rule(
        METRIC_PATTERN,
        "a Prometheus metric name",
        "use letters, digits, `_` and `:`, not starting with a digit, e.g. `http_requests_total`",
        "http_requests_total",
    ),
    rule(
        LABEL_PATTERN,
        "a Prometheus label name",
        "use letters, digits and `_`, not starting with a digit, e.g. `status`",
        "status",
    ),
    with_unit(
        rule(
            LATENCY_PATTERN,
            "a latency",
            "write it in milliseconds or seconds, like `500ms`, `0.25s` or `1s`",
            "500ms",
        ),
        "ms",
    ),
    rule(
        BRANCH_PATTERN,
        "a branch name or glob",
        "write a branch name like `main` or a glob like `release/*`",
        "release/*",
    ),
    rule(
        BRANCH_NAME_PATTERN,
        "a branch name",
        "write one branch (no glob) of letters, digits, `_`, `.`, `/` and `-`, not starting with `.`, `/` or `-`, e.g. `main` or `release/1.x`",
        "main",
    ),
    rule(
        CRON_PATTERN,
        "a cron expression",
        "write five fields, minute hour day-of-month month day-of-week (UTC), e.g. `0 3 * * 1`",
        "0 3 * * 1",
    ),
    with_unit(
        rule(
            ROLLOUT_TIMEOUT_PATTERN,
            "a rollout timeout",
            "write a whole number of seconds, minutes or hours, like `300s`, `10m` or `1h`",
            "10m",
        ),
        "s",
    ),
    rule(
        REGISTRY_PATTERN,
        "a registry address",
        "write `host[:port][/path]` in lower case: dot-separated host labels of letters, digits and `-`, a port of digits, path parts of letters and digits joined by `.`, `_`, `__` or `-`, without a scheme, e.g. `registry.example.com/team` or `ghcr.io/acme`",
        "registry.example.com/team",
    ),
    rule(
        IMAGE_TAG_PATTERN,
        "an image tag",
        "use letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`), e.g. `v1.0.0`",
        "v1.0.0",
    ),
    rule(
        PYTHON_PATTERN,
        "a Python version",
        "write the Python 3 minor version as a string, e.g. `3.12`",
        "3.12",
    ),
    rule(
        RELATIVE_PATH_PATTERN,
        "a relative path",
        "use letters, digits, `_`, `.`, `/` and `-`, not starting with `.`, `/` or `-`, e.g. `libs` or `platform/database`",
        "platform/database",
    ),
    rule(
        FOLDER_PATTERN,
        "a relative folder",
        "write a path inside the repository: `/`-separated names of letters, digits, `_`, `.` and `-`, each starting with a letter, digit or `_` (no `.` or `..`, no leading or trailing `/`), e.g. `out` or `deploy/out`",
        "deploy/out",
    ),
    rule(
        SEMVER_PATTERN,
        "a release version",
        "write `MAJOR.MINOR.PATCH`, e.g. `0.5.1`",
        "0.5.1",
    ),
    rule(
        SEMVER_PRE_PATTERN,
        "a release version",
        "write `MAJOR.MINOR.PATCH`, optionally with a pre-release, e.g. `0.2.0` or `1.0.0-rc.1`",
        "1.0.0-rc.1",
    ),
    rule(
        APP_PATTERN,
        "an ASGI application",
        "write `module.path:attribute`, e.g. `platform_api.main:app`",
        "platform_api.main:app",
    ),
    rule(
        HOST_PATTERN,
        "a host name",
        "write a lower-case DNS name without scheme, port or path, e.g. `example.com`",
        "example.com",
    ),
    with_unit(
        rule(
            BODY_SIZE_PATTERN,
            "a body size",
            "write a number with an optional `k`, `m` or `g` (nginx units), e.g. `10m`",
            "10m",
        ),
        "m",
    ),
    rule(
        GITHUB_ENVIRONMENT_PATTERN,
        "a GitHub environment name",
        "use letters, digits, `_`, `.` and `-` (at most 255, not starting with `.` or `-`), e.g. `registry`",
        "registry",
    ),
    rule(
        SECRET_PROPERTY_PATTERN,
        "a secret property",
        "use letters, digits, `_`, `.` and `-`, e.g. `url`",
        "url",
    ),
    rule(
        MAJOR_VERSION_PATTERN,
        "a version",
        "write the major, major.minor or major.minor.patch version as a string, e.g. `16` or `7.2`",
        "16",
    ),
    rule(
        SCHEME_PATTERN,
        "a URL scheme",
        "write it without `://`, e.g. `postgresql+asyncpg`",
        "postgresql+asyncpg",
    ),
    rule(
        CIDR_PATTERN,
        "an address range",
        "write an IPv4 or IPv6 CIDR, e.g. `10.20.0.0/16` or `fd00:10::/64`",
        "10.20.0.0/16",
    ),
    rule(
        HOST_PORT_PATTERN,
        "a `host:port` address",
        "write the host and port without a scheme, e.g. `alertmanager.monitoring.svc:9093`",
        "alertmanager.monitoring.svc:9093",
    ),
    uncorrected(rule(
        STATUS_REGEX_PATTERN,
        "a status expression",
        "write a Prometheus regular expression of HTTP statuses, e.g. `5..` or `5..|429`",
        "5..|429",
    )),
    rule(
        URL_PATTERN,
        "a usable URL",
        "write an `http://` or `https://` URL with a host, in printable ASCII: percent-encode whitespace, quotes, `<`, `>`, backquotes, `{`, `}`, `|`, `\\`, `^` and non-ASCII characters (`{` is `%7B`, a space is `%20`, `ü` is `%C3%BC`), and leave out `?` and `#` (each alert's runbook is `<base>/<Alert>.md`)",
        "https://wiki.example.com/runbooks",
    ),
    rule(
        GIT_URL_PATTERN,
        "an https Git URL",
        "write an `https://` repository URL, e.g. `https://github.com/acme/platgen`",
        "https://github.com/acme/platgen",
    ),
    rule(
        LABEL_KEY_PATTERN,
        "a Kubernetes label key",
        "a label key is a name of at most 63 letters, digits, `-`, `_` and `.` that starts and ends with a letter or digit, optionally after a DNS-subdomain prefix and `/`, e.g. `team` or `example.com/team`",
        "example.com/team",
    ),
    rule(
        LABEL_VALUE_PATTERN,
        "a Kubernetes label value",
        "a label value is empty or letters, digits, `-`, `_` and `.` that start and end with a letter or digit (at most 63), e.g. `core`",
        "core",
    ),
];

/// The rule of a schema pattern.
pub fn pattern_rule(pattern: &str) -> Option<&'static PatternRule> {
    PATTERN_RULES.iter().find(|rule| rule.pattern == pattern)
}
