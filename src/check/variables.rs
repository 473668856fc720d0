//! Rules on the values that reach a container's environment and argv: every `config` value
//! (platform-wide, per environment, in an environment's `service_overrides`, per service and in
//! a service's `env.<name>`), `command` and `health.command`. A config value is written in
//! clear text into ConfigMaps and compose files, so it must not carry a credential; no process
//! can receive a NUL character in its environment or arguments; and a variable platgen sets
//! itself cannot be set again in `config`.

use std::ops::Range;

use super::config::ConfigKeys;
use super::connections::PLATGEN_VARIABLES;
use super::{service_ptr, span_within};
use crate::diagnostics::Diagnostic;
use crate::load::{Document, pointer_escape};
use crate::model::PlatformSpec;
use crate::model::spec::ConfigValue;
use crate::validate::display_path;

/// Prefixes of access tokens that are sent as a URL's user name (`https://<token>@host`):
/// GitHub, GitLab, Slack, Stripe, npm, Hugging Face.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "sk_live_",
    "rk_live_",
    "npm_",
    "hf_",
];

/// A credential found in a value: where it is (bytes of the value) and what kind it is.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Credential {
    /// The bytes of the value holding the secret part (the password or the token).
    pub range: Range<usize>,
    /// `a password` or `an access token`.
    pub what: &'static str,
}

/// The first URL in `text` whose userinfo carries a credential: a password
/// (`scheme://user:pass@host`, also `redis://:pass@host`) or a user name that is an access
/// token (`https://ghp_…@github.com`). A user name alone (`postgresql://app@db/shop`, for
/// peer, certificate or IAM authentication) is not a credential.
pub(super) fn url_credential(text: &str) -> Option<Credential> {
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let separator = from + found;
        from = separator + 3;
        // The scheme: a letter, then letters, digits, `+`, `-`, `.` (RFC 3986).
        let scheme_start = text[..separator]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || "+-.".contains(*c))
            .last()
            .map_or(separator, |(i, _)| i);
        let scheme = &text[scheme_start..separator];
        if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let rest = &text[from..];
        let authority_end = rest
            .find(|c: char| "/?#".contains(c) || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        match userinfo.split_once(':') {
            Some((user, password)) if !password.is_empty() => {
                let start = from + user.len() + 1;
                return Some(Credential {
                    range: start..start + password.len(),
                    what: "a password",
                });
            }
            Some(_) => {}
            None if is_token(userinfo) => {
                return Some(Credential {
                    range: from..from + userinfo.len(),
                    what: "an access token",
                });
            }
            None => {}
        }
    }
    None
}

/// Whether a URL's user name is an access token: one of the formats that announce themselves
/// by their prefix. A long random user name alone is no proof: a Sentry DSN's is its public key
/// (32 hex digits), which Sentry documents as safe to expose.
fn is_token(user: &str) -> bool {
    TOKEN_PREFIXES.iter().any(|p| user.starts_with(p))
}

/// `text` with the credential replaced by `***`, so a message never repeats it.
fn masked(text: &str, credential: &Credential) -> String {
    format!(
        "{}***{}",
        &text[..credential.range.start],
        &text[credential.range.end..]
    )
}

/// Runs the rules on config values, commands and health commands.
pub(super) fn check_variables(
    doc: &Document,
    spec: &PlatformSpec,
    config: &ConfigKeys,
    out: &mut Vec<Diagnostic>,
) {
    for (_, table, entries) in config.tables() {
        for (key, value) in *entries {
            // Named and located only for a diagnostic: most values have none.
            let ptr = || format!("{table}/{}", pointer_escape(key));
            let field = || display_path(table);
            if PLATGEN_VARIABLES.contains(&key.as_str()) {
                out.push(platgen_variable(doc, key, &field(), &ptr()));
            }
            let ConfigValue::String(text) = value else {
                continue;
            };
            if let Some(nul) = text.find('\0') {
                out.push(
                    Diagnostic::error(
                        "E0333",
                        format!("`{key}` in `{}` contains a NUL character", field()),
                    )
                    .at(span_within(doc, &ptr(), text, nul..nul + 1))
                    .label("no process can receive a NUL in its environment")
                    .help("remove the `\\u0000`: an environment variable ends at the first NUL, so the container would see a cut value, or fail to start"),
                );
            }
            if let Some(credential) = url_credential(text) {
                out.push(
                    Diagnostic::error(
                        "E0332",
                        format!(
                            "`{key}` in `{}` is a URL with {} in plain config: `{}`",
                            field(),
                            credential.what,
                            masked(text, &credential)
                        ),
                    )
                    .at(span_within(doc, &ptr(), text, credential.range.clone()))
                    .label("written in clear text into ConfigMaps and compose files")
                    .help(format!(
                        "move it to `secrets`: remove `{key}` from `config` and list `\"{key}\"` (or `{{ name = \"{key}\", key = \"…\", property = \"…\" }}`) in the `secrets` of each service that reads it; its value then comes from the secret store"
                    )),
                );
            }
        }
    }
    for (name, service) in &spec.services {
        let base = service_ptr(name);
        let commands = [
            ("command", service.command.as_ref()),
            ("health/command", service.health.command.as_ref()),
        ];
        for (field, command) in commands {
            for (i, word) in command.into_iter().flatten().enumerate() {
                let Some(nul) = word.find('\0') else { continue };
                let ptr = format!("{base}/{field}/{i}");
                out.push(
                    Diagnostic::error(
                        "E0333",
                        format!(
                            "item {i} of `{}` contains a NUL character",
                            display_path(&format!("{base}/{field}"))
                        ),
                    )
                    .at(span_within(doc, &ptr, word, nul..nul + 1))
                    .label("no process can receive a NUL in its arguments")
                    .help("remove the `\\u0000`: an argument ends at the first NUL, so the program would see a cut argument"),
                );
            }
        }
    }
}

/// The error for a config key platgen sets itself.
fn platgen_variable(doc: &Document, key: &str, field: &str, ptr: &str) -> Diagnostic {
    let help = match key {
        "WEB_CONCURRENCY" => {
            "set `workers = N` instead; platgen passes it to gunicorn as WEB_CONCURRENCY".to_owned()
        }
        "OTEL_SERVICE_NAME" | "OTEL_EXPORTER_OTLP_ENDPOINT" => format!(
            "remove `{key}`: compose sets it to the service's name and the stack's collector; use another name for a setting of your own"
        ),
        "PATH" => "remove `PATH`: the image puts the virtualenv's `bin` first on it, and replacing it hides the installed commands (gunicorn, python); use another name for a setting of your own".to_owned(),
        _ => format!(
            "remove `{key}`: the image sets it (unbuffered logs, no bytecode written to the read-only filesystem); use another name for a setting of your own"
        ),
    };
    Diagnostic::error("E0311", format!("`{key}` in `{field}` is set by platgen"))
        .at(doc.key_span_of(ptr))
        .label("platgen sets this variable itself")
        .help(help)
}

#[cfg(test)]
mod tests {
    use super::super::problems_with;
    use super::*;

    fn secret_part(text: &str) -> Option<&str> {
        url_credential(text).map(|c| &text[c.range])
    }

    #[test]
    fn a_password_in_a_url_is_found() {
        let url = "postgresql://app:S3cretPw@db.internal:5432/shop";
        assert_eq!(secret_part(url), Some("S3cretPw"));
        assert_eq!(
            masked(url, &url_credential(url).unwrap()),
            "postgresql://app:***@db.internal:5432/shop"
        );
        // An empty user name with a password (Redis' `AUTH password`).
        assert_eq!(secret_part("redis://:pw@cache:6379/0"), Some("pw"));
        // A scheme with `+`, a URL inside a longer value, an `@` in the password.
        assert_eq!(
            secret_part("postgresql+asyncpg://u:p@ss@db/x"),
            Some("p@ss")
        );
        assert_eq!(
            secret_part("--broker amqp://guest:guest@mq:5672/"),
            Some("guest")
        );
        // The second URL of a value.
        assert_eq!(
            secret_part("http://a.example.com redis://u:pw@b"),
            Some("pw")
        );
    }

    #[test]
    fn urls_without_a_credential_pass() {
        for text in [
            "redis://cache:6379/0",
            "postgresql://app@db.internal/shop",
            "postgresql://app:@db/shop",
            "https://example.com/path?user=a:b@c",
            "https://example.com/#x:y@z",
            "mailto:ops@example.com",
            "://x:y@z",
            "INFO",
            "user:pass@host",
        ] {
            assert_eq!(url_credential(text), None, "{text}");
        }
    }

    #[test]
    fn a_token_as_user_name_is_a_credential() {
        let github = "https://ghp_abcdefABCDEF0123456789abcdefABCDEF01@github.com/acme/x.git";
        assert_eq!(
            url_credential(github).map(|c| c.what),
            Some("an access token")
        );
        let slack = "https://xoxb-1234-5678-abcdef@hooks.example.com/x";
        assert!(url_credential(slack).is_some());
        // A public key as user name (a Sentry DSN), or a long account name, is not a token.
        assert_eq!(
            url_credential("https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/4504"),
            None
        );
        assert_eq!(
            url_credential("postgresql://reporting_readonly_service_account@db/x"),
            None
        );
    }

    fn small(api_extra: &str, extra: &str) -> String {
        super::super::small_with(api_extra, extra)
    }

    #[test]
    fn every_config_scope_is_checked_for_credentials() {
        let url = "\"postgresql://app:pw@db/shop\"";
        // Service, service per environment, environment, environment overrides, platform.
        let scopes = [
            small(&format!("config = {{ DB = {url} }}\n"), ""),
            small(
                "",
                &format!("\n[services.api.env.staging]\nconfig = {{ DB = {url} }}\n"),
            ),
            small("", "")
                .replace("domain = \"example.com\"\n", &format!("domain = \"example.com\"\nconfig = {{ DB = {url} }}\n")),
            small("", "").replace(
                "domain = \"example.com\"\n",
                &format!("domain = \"example.com\"\nservice_overrides = {{ config = {{ DB = {url} }} }}\n"),
            ),
            small("", "").replace("LOG_LEVEL = \"INFO\"\n", &format!("DB = {url}\n")),
        ];
        for text in scopes {
            let found = problems_with("E0332", text.clone());
            assert_eq!(found.len(), 1, "{text}\n{found:?}");
            assert!(
                found[0].1.contains("`postgresql://app:***@db/shop`"),
                "{found:?}"
            );
        }
        let fine = small("config = { CACHE = \"redis://cache:6379/0\" }\n", "");
        assert_eq!(problems_with("E0332", fine), []);
    }

    #[test]
    fn nul_in_config_and_commands_is_reported() {
        let found = problems_with(
            "E0333",
            small("config = { GREETING = \"a\\u0000b\" }\n", ""),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 25);
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let commands = fixture
            .replace("\"-m\", \"jobs\"]", "\"-m\", \"jo\\u0000bs\"]")
            .replace("\"jobs.health\"]", "\"jobs.health\\u0000\"]");
        let found = problems_with("E0333", commands);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].1.starts_with("item 2 of `services.jobs.command`"));
        assert!(
            found[1]
                .1
                .starts_with("item 2 of `services.jobs.health.command`")
        );
    }

    #[test]
    fn variables_platgen_sets_are_reported_in_config() {
        for key in PLATGEN_VARIABLES {
            let found = problems_with(
                "E0311",
                small(&format!("config = {{ {key} = \"x\" }}\n"), ""),
            );
            assert_eq!(found.len(), 1, "{key}: {found:?}");
            assert_eq!(
                found[0].1,
                format!("`{key}` in `services.api.config` is set by platgen")
            );
        }
        let env = small("", "").replace(
            "domain = \"example.com\"\n",
            "domain = \"example.com\"\nservice_overrides = { config = { PATH = \"/bin\" } }\n",
        );
        let found = problems_with("E0311", env);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .1
                .contains("environments.production.service_overrides.config")
        );
    }
}
