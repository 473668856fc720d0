//! Values that do not match their format: what the format is, an example, and — where a usual
//! mistake explains it (a unit written out, a scheme, a missing unit, a space) — the value
//! corrected.

use serde_json::Value;

use super::help::{env_name_fix, env_name_help, name_help};
use super::schema_nav::Place;
use crate::diagnostics::Diagnostic;
use crate::model::spec::{
    DIGEST_PATTERN, ENV_KEY_PATTERN, GIT_URL_PATTERN, NAME_PATTERN, PATH_PATTERN, REGISTRY_PATTERN,
    URL_PATTERN, pattern_rule,
};

/// Whether `text` matches the schema `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    jsonschema::is_valid(
        &serde_json::json!({ "pattern": pattern }),
        &Value::String(text.to_owned()),
    )
}

/// `1 hour` → `1h`, `10 minutes` → `10m`: unit words as the short units durations use.
fn short_units(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let unit = match unit.trim() {
        "milliseconds" | "millisecond" | "millis" | "msec" => "ms",
        "seconds" | "second" | "secs" | "sec" => "s",
        "minutes" | "minute" | "mins" | "min" => "m",
        "hours" | "hour" | "hrs" | "hr" => "h",
        "days" | "day" => "d",
        "weeks" | "week" => "w",
        other => other,
    };
    format!("{number}{unit}")
}

/// `text` with what a URL cannot hold percent-encoded: whitespace, quotes, `<>`, backquotes,
/// braces, `|`, `\`, `^` and non-ASCII characters (as UTF-8); invisible ones
/// ([`is_invisible`]) are dropped.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().filter(|c| !is_invisible(*c)) {
        if !c.is_ascii_graphic() || "\"'<>`{}|\\^".contains(c) {
            let mut buffer = [0; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn without_scheme(text: &str) -> String {
    let text = text.trim();
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    rest.trim_end_matches('/').to_owned()
}

/// Characters no label or name takes as `-`, trimmed to start and end alphanumeric.
fn dashed(text: &str) -> String {
    let dashed: String = text
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_./".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    dashed
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// A registry address with the usual slips undone: scheme, upper case, a trailing `/`, and
/// separators doubled or at either end of a host label or path part (`-x` → `x`, `a..b` →
/// `a.b`). A port that is not a number has no correction.
fn registry_candidate(text: &str) -> String {
    fn tidy(part: &str, separators: &[char]) -> String {
        let mut out = String::new();
        for c in part.chars() {
            let repeated = separators.contains(&c) && out.ends_with(c);
            if !repeated {
                out.push(c);
            }
        }
        out.trim_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_owned()
    }
    let lower = without_scheme(text).to_ascii_lowercase();
    let (host, path) = lower.split_once('/').unwrap_or((&lower, ""));
    let (host, port) = host
        .split_once(':')
        .map_or((host, None), |(h, p)| (h, Some(p)));
    let mut fixed = host
        .split('.')
        .map(|label| tidy(label, &['-']))
        .filter(|label| !label.is_empty())
        .collect::<Vec<_>>()
        .join(".");
    if let Some(port) = port {
        fixed = format!("{fixed}:{port}");
    }
    for part in path.split('/').map(|part| tidy(part, &['.'])) {
        if !part.is_empty() {
            fixed = format!("{fixed}/{part}");
        }
    }
    fixed
}

/// Corrections of usual mistakes for values of `pattern`, most specific first. Each
/// correction applies where that mistake can happen: a digest prefix only before 64 hex
/// digits, a scheme only on a URL, a registry only as a registry address.
fn candidates(text: &str, pattern: &str, unit: Option<&str>) -> Vec<String> {
    let trimmed = text.trim();
    if pattern == REGISTRY_PATTERN {
        return vec![registry_candidate(trimmed)];
    }
    if pattern == PATH_PATTERN {
        return super::paths::candidates(trimmed);
    }
    let bare_number = !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit());
    let mut out = vec![trimmed.to_owned(), short_units(trimmed)];
    if bare_number && let Some(unit) = unit {
        out.push(format!("{trimmed}{unit}"));
    }
    out.extend([
        trimmed.to_ascii_lowercase(),
        without_scheme(trimmed),
        without_scheme(trimmed).to_ascii_lowercase(),
        trimmed.trim_start_matches(['v', 'V']).to_owned(),
        // `512MB` → `512M`, `10MB` → `10m`.
        trimmed.trim_end_matches(['B', 'b']).to_owned(),
        trimmed.trim_end_matches(['B', 'b']).to_ascii_lowercase(),
        trimmed
            .replace("MB", "Mi")
            .replace("GB", "Gi")
            .replace("KB", "Ki"),
        percent_encode(trimmed),
        dashed(trimmed),
        trimmed.replace(' ', ""),
    ]);
    let cron = match trimmed {
        "@hourly" => Some("0 * * * *"),
        "@daily" | "@midnight" => Some("0 0 * * *"),
        "@weekly" => Some("0 0 * * 0"),
        "@monthly" => Some("0 0 1 * *"),
        "@yearly" | "@annually" => Some("0 0 1 1 *"),
        _ => None,
    };
    out.extend(cron.map(str::to_owned));
    if pattern == DIGEST_PATTERN
        && trimmed.len() == 64
        && trimmed.chars().all(|c| c.is_ascii_hexdigit())
    {
        out.push(format!("sha256:{}", trimmed.to_ascii_lowercase()));
    }
    // A scheme is added to what reads as a host name (`wiki.example.com/runbooks`), not to any
    // word (`abc` is no more `https://abc` than anything else).
    let dotted_host = without_scheme(trimmed)
        .split('/')
        .next()
        .is_some_and(|host| host.contains('.'));
    if pattern == GIT_URL_PATTERN || (pattern == URL_PATTERN && dotted_host) {
        out.push(format!("https://{}", without_scheme(trimmed)));
    }
    out
}

/// `text` corrected to match `pattern`, when a usual mistake explains it; `None` when it
/// already matches or nothing fits.
pub fn fixed_for(pattern: Option<&str>, text: &str) -> Option<String> {
    let pattern = pattern?;
    if matches(pattern, text) {
        return None;
    }
    let rule = pattern_rule(pattern);
    if rule.is_some_and(|rule| !rule.correctable) {
        return None;
    }
    let unit = rule.and_then(|rule| rule.bare_number_unit);
    candidates(text, pattern, unit)
        .into_iter()
        .find(|candidate| candidate != text && !candidate.is_empty() && matches(pattern, candidate))
}

/// What a value of this pattern is and how to write one (a corrected value when there is one).
pub fn pattern_help(pattern: &str, found: &str, place: &Place) -> (String, String) {
    let fixed = fixed_for(Some(pattern), found);
    let fix = fixed.as_ref().map(|fixed| format!(": try `{fixed}`"));
    match pattern_rule(pattern) {
        Some(rule) if rule.pattern == NAME_PATTERN => {
            (format!("is not {}", rule.what), name_help(found))
        }
        Some(rule) if rule.pattern == ENV_KEY_PATTERN => {
            (format!("is not {}", rule.what), env_name_help(found))
        }
        Some(rule) if rule.pattern == PATH_PATTERN => {
            super::paths::path_help(found, rule.help, fixed)
        }
        Some(rule) => (
            format!("is not {}", rule.what),
            format!("{}{}", rule.help, fix.unwrap_or_default()),
        ),
        None => {
            let expected = place.description().map_or_else(
                || format!("a value matching `{pattern}`"),
                |d| format!("{} (it must match `{pattern}`)", d.trim_end_matches('.')),
            );
            (
                "has an invalid format".to_owned(),
                format!("expected: {expected}{}", fix.unwrap_or_default()),
            )
        }
    }
}

/// Characters that take no room on a screen: controls, zero-width spaces and joiners, direction
/// marks and overrides, the byte order mark, variation selectors, tags. A value holding one
/// looks valid where it is shown, so it is named rather than corrected like a visible slip.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// `found` with every invisible character written as `\u{…}`, in quotes.
fn shown(found: &str) -> String {
    let mut out = String::from("\"");
    for c in found.chars() {
        if is_invisible(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// The diagnostic of a value that holds invisible characters: where the first is, and the
/// value without them when that is valid.
fn invisible_diagnostic(field: &str, found: &str, pattern: &str) -> Option<Diagnostic> {
    let (at, first) = found.chars().enumerate().find(|(_, c)| is_invisible(*c))?;
    let count = found.chars().filter(|c| is_invisible(*c)).count();
    let which = if count == 1 {
        format!("the invisible character U+{:04X}", u32::from(first))
    } else {
        format!(
            "{count} invisible characters, the first U+{:04X}",
            u32::from(first)
        )
    };
    let visible: String = found.chars().filter(|c| !is_invisible(*c)).collect();
    let mut help = format!(
        "delete {} (it is character {} of the value; a copy and paste can bring one along)",
        if count == 1 { "it" } else { "them" },
        at + 1
    );
    if matches(pattern, &visible) {
        help.push_str(&format!(": `{visible}`"));
    }
    Some(
        Diagnostic::error(
            "E0205",
            format!("{field}: {} contains {which}", shown(found)),
        )
        .help(help),
    )
}

/// A string that does not match its `pattern`.
pub fn pattern_diagnostic(
    field: &str,
    instance: &Value,
    pattern: &str,
    place: &Place,
) -> Diagnostic {
    let found = instance.as_str().unwrap_or_default();
    if let Some(diagnostic) = invisible_diagnostic(field, found, pattern) {
        return diagnostic;
    }
    let (what, mut help) = pattern_help(pattern, found, place);
    // The same rule names GitHub secrets in `[ci]`: say so, not "environment variable".
    if pattern == ENV_KEY_PATTERN && field.starts_with("`ci.") {
        help = format!(
            "GitHub secret names are letters, digits and `_`, not starting with a digit: try `{}`",
            env_name_fix(found)
        );
    }
    Diagnostic::error("E0205", format!("{field}: {instance} {what}")).help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::PATTERN_RULES;

    fn collect_patterns(node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("pattern", Value::String(p)) => out.push(p.clone()),
                        _ => collect_patterns(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect_patterns(item, out)),
            _ => {}
        }
    }

    #[test]
    fn an_invisible_character_is_named_and_dropped_from_the_correction() {
        let name = crate::model::spec::NAME_PATTERN;
        let d = pattern_diagnostic(
            "`services.api.expose.subdomain`",
            &"a\u{200b}pi".into(),
            name,
            &Place::at("/x"),
        );
        assert_eq!(
            d.message,
            "`services.api.expose.subdomain`: \"a\\u{200B}pi\" contains the invisible character U+200B"
        );
        assert_eq!(
            d.help.as_deref(),
            Some(
                "delete it (it is character 2 of the value; a copy and paste can bring one along): `api`"
            )
        );
        // Two of them, and what is left still invalid: no correction.
        let d = pattern_diagnostic("`x`", &"\u{202e}A B\u{feff}".into(), name, &Place::at("/x"));
        assert!(
            d.message
                .ends_with("contains 2 invisible characters, the first U+202E"),
            "{}",
            d.message
        );
        assert!(d.message.contains("\\u{202E}A B\\u{FEFF}"), "{}", d.message);
        assert!(
            d.help.as_deref().is_some_and(|h| h.ends_with("along)")),
            "{:?}",
            d.help
        );
        // Visible characters are not invisible.
        assert!(!"api-ü日本 ".chars().any(is_invisible));
    }

    #[test]
    fn a_regular_expression_gets_no_correction() {
        let status = crate::model::spec::STATUS_REGEX_PATTERN;
        // Replacing `|` and `"` by `-` and trimming would leave `5`: another expression.
        assert_eq!(fixed_for(Some(status), "5..|\""), None);
        assert_eq!(fixed_for(Some(status), "5..|{{$value}}"), None);
    }

    #[test]
    fn every_schema_pattern_is_explained_and_its_example_matches() {
        let mut patterns = Vec::new();
        collect_patterns(&super::super::schema(), &mut patterns);
        assert!(patterns.len() > 20);
        for pattern in patterns {
            assert!(
                pattern_rule(&pattern).is_some(),
                "no PatternRule for {pattern}"
            );
        }
        for rule in PATTERN_RULES {
            assert!(matches(rule.pattern, rule.example), "{}", rule.pattern);
        }
    }

    fn fix(pointer: &str, found: &str) -> Option<String> {
        fixed_for(Place::at(pointer).pattern(), found)
    }

    #[test]
    fn usual_mistakes_are_corrected() {
        let slo = "/services/api/slo/latency/threshold";
        assert_eq!(fix(slo, "500").as_deref(), Some("500ms"));
        let timeout = "/ci/staging/rollout_timeout";
        assert_eq!(fix(timeout, "10 minutes").as_deref(), Some("10m"));
        assert_eq!(
            fix("/secret_store/refresh", "1 hour").as_deref(),
            Some("1h")
        );
        assert_eq!(
            fix("/environments/staging/domain", "https://Example.com/").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            fix("/platform/registry", "https://registry.io/team").as_deref(),
            Some("registry.io/team")
        );
        assert_eq!(
            fix("/services/api/expose/body_size", "10MB").as_deref(),
            Some("10m")
        );
        assert_eq!(
            fix("/services/api/resources/limits/memory", "512MB").as_deref(),
            Some("512M")
        );
        assert_eq!(
            fix("/ci/security_schedule", "@daily").as_deref(),
            Some("0 0 * * *")
        );
        assert_eq!(
            fix("/observability/runbook_base_url", "https://wiki/{{.Value}}").as_deref(),
            Some("https://wiki/%7B%7B.Value%7D%7D")
        );
        assert_eq!(fix("/platform/labels/team", "a b").as_deref(), Some("a-b"));
        assert_eq!(
            fix("/platform/python_digest", &"AB".repeat(32)),
            Some(format!("sha256:{}", "ab".repeat(32)))
        );
        assert_eq!(
            fix("/ci/platgen/git", "github.com/acme/platgen").as_deref(),
            Some("https://github.com/acme/platgen")
        );
        assert_eq!(fix("/secret_store/refresh", "1h"), None);
    }

    #[test]
    fn a_runbook_url_is_an_http_url_in_printable_ascii() {
        for bad in [
            "abc",
            "javascript:alert(1)",
            "../../etc",
            "ftp://x",
            "https://",
            "https://wiki.example.com/Runbücher",
            "https://wiki.example.com/a\u{200b}b",
            "https://wiki.example.com/\u{202e}x",
            "https://wiki.example.com/a?b",
            "https://wiki.example.com/a#b",
            "https://wiki.example.com/%zz",
            "https://wiki/{{.Value}}",
        ] {
            assert!(!matches(URL_PATTERN, bad), "{bad}");
        }
        for good in [
            "https://wiki.example.com/runbooks",
            "http://localhost:8080/docs/runbooks/",
            "https://git.example.com/shop/deploy/-/blob/main/out/docs/runbooks",
            "https://wiki.example.com/Runb%C3%BCcher",
        ] {
            assert!(matches(URL_PATTERN, good), "{good}");
        }
        let url = "/observability/runbook_base_url";
        assert_eq!(
            fix(url, "https://wiki.example.com/Runbücher").as_deref(),
            Some("https://wiki.example.com/Runb%C3%BCcher")
        );
        assert_eq!(
            fix(url, "https://wiki.example.com/a\u{200b}b").as_deref(),
            Some("https://wiki.example.com/ab")
        );
        assert_eq!(
            fix(url, "wiki.example.com/runbooks").as_deref(),
            Some("https://wiki.example.com/runbooks")
        );
        for unfixable in ["abc", "javascript:alert(1)", "../../etc", "ftp://x"] {
            assert_eq!(fix(url, unfixable), None, "{unfixable}");
        }
    }

    /// A registry is corrected only into a registry address, never into another format the
    /// pattern happens to accept (`-x` once became `sha256:-x`, a host and a "port").
    #[test]
    fn registry_corrections_are_registry_addresses() {
        let registry = "/platform/registry";
        assert_eq!(fix(registry, "-x").as_deref(), Some("x"));
        assert_eq!(fix(registry, "a..b").as_deref(), Some("a.b"));
        assert_eq!(
            fix(registry, "Registry.io/Team/").as_deref(),
            Some("registry.io/team")
        );
        assert_eq!(
            fix(registry, "reg.io/team-/x..y").as_deref(),
            Some("reg.io/team/x.y")
        );
        assert_eq!(fix(registry, "reg:abc"), None);
        assert_eq!(fix(registry, "reg.io:5000/team"), None);
        for bad in [
            "reg:abc",
            "a..b",
            "-x",
            "reg.io:123456",
            "reg.io/_team",
            "reg.io/a..b",
        ] {
            assert!(!matches(REGISTRY_PATTERN, bad), "{bad}");
        }
        for good in [
            "localhost:5000",
            "ghcr.io/acme",
            "reg.io/a__b/c-d.e",
            "10.0.0.1:5000/x",
        ] {
            assert!(matches(REGISTRY_PATTERN, good), "{good}");
        }
    }

    #[test]
    fn secret_names_in_ci_are_github_secrets() {
        let place = Place::at("/ci/secrets/codecov");
        let d = pattern_diagnostic(
            "`ci.secrets.codecov`",
            &"codecov-token".into(),
            ENV_KEY_PATTERN,
            &place,
        );
        assert!(
            d.help
                .unwrap_or_default()
                .starts_with("GitHub secret names")
        );
        let place = Place::at("/services/api/secrets/0");
        let d = pattern_diagnostic(
            "`services.api.secrets.0`",
            &"api-key".into(),
            ENV_KEY_PATTERN,
            &place,
        );
        assert!(d.help.unwrap_or_default().ends_with("try `API_KEY`"));
    }

    #[test]
    fn unknown_patterns_fall_back_to_the_field_description() {
        let place = Place::at("/platform/registry");
        let (what, help) = pattern_help("^x$", "y", &place);
        assert_eq!(what, "has an invalid format");
        assert!(help.starts_with("expected: Container registry"), "{help}");
    }
}
