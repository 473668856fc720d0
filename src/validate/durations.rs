//! The one rule of durations a JSON schema pattern cannot state: how long they may be. The
//! pattern takes any number of digits, but Prometheus (and Go, which kubectl and the External
//! Secrets Operator are written in) holds a duration in 64-bit nanoseconds, about 292 years,
//! and rejects a longer one ("duration out of range") after platgen has written it. platgen
//! accepts at most [`MAX_DURATION_TEXT`] for every duration, latency and timeout: a year is
//! the longest SLO window in use (SLO periods are weeks to a quarter, rarely a calendar year;
//! its rules need that much retention), and no refresh, scrape or evaluation interval, alert
//! `for`, latency or rollout timeout means anything beyond it.

use std::fmt::Write as _;

use serde_json::Value;

use super::display_path;
use super::schema_nav::Place;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::spec::{DURATION_PATTERN, LATENCY_PATTERN, ROLLOUT_TIMEOUT_PATTERN};

/// The longest duration accepted, in seconds: 365 days.
pub const MAX_DURATION_SECONDS: f64 = 365.0 * 86_400.0;
/// The same, as written in `platform.toml`.
pub const MAX_DURATION_TEXT: &str = "365d";

/// The patterns of the schema's duration fields.
const DURATION_PATTERNS: &[&str] = &[DURATION_PATTERN, LATENCY_PATTERN, ROLLOUT_TIMEOUT_PATTERN];

/// The seconds of a duration written `<number><unit>` (`500ms`, `1.5s`, `5m`, `30d`, `4w`),
/// however many digits it has; `None` when it is not one.
pub fn duration_seconds_approx(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let factor = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// One diagnostic per duration of the file longer than [`MAX_DURATION_TEXT`].
pub fn too_long(doc: &Document) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    walk(doc, &doc.value, &mut String::new(), &mut found);
    found
}

/// `key` as a JSON-pointer segment (as [`crate::load::pointer_escape`]), onto `pointer`.
fn push_escaped(pointer: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Visits every string of `value`, `pointer` being its place: one buffer, extended and cut back
/// on the way, so a large platform costs no allocation per node.
fn walk(doc: &Document, value: &Value, pointer: &mut String, found: &mut Vec<Diagnostic>) {
    let depth = pointer.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointer.push('/');
                push_escaped(pointer, key);
                walk(doc, child, pointer, found);
                pointer.truncate(depth);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let _ = write!(pointer, "/{i}");
                walk(doc, child, pointer, found);
                pointer.truncate(depth);
            }
        }
        Value::String(text) => {
            // Cheap first: only a long duration needs its place in the schema looked up.
            let Some(seconds) = duration_seconds_approx(text) else {
                return;
            };
            if seconds <= MAX_DURATION_SECONDS {
                return;
            }
            let place = Place::at(pointer);
            if !place
                .pattern()
                .is_some_and(|p| DURATION_PATTERNS.contains(&p))
            {
                return;
            }
            found.push(
                Diagnostic::error(
                    "E0206",
                    format!(
                        "`{}` is {text}, longer than the maximum {MAX_DURATION_TEXT}",
                        display_path(pointer)
                    ),
                )
                .at(doc.span_of(pointer))
                .label("too long")
                .help(format!(
                    "use at most {MAX_DURATION_TEXT} (a year): Prometheus, kubectl and the External Secrets Operator reject durations beyond about 292 years, and none of platgen's durations means anything beyond a year"
                )),
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_escaped_as_pointer_escape_does() {
        for key in ["plain", "app.kubernetes.io/name", "a~b/c~1", ""] {
            let mut pointer = String::new();
            push_escaped(&mut pointer, key);
            assert_eq!(pointer, crate::load::pointer_escape(key));
        }
    }

    #[test]
    fn durations_of_any_length_are_measured() {
        assert_eq!(duration_seconds_approx("500ms"), Some(0.5));
        assert_eq!(duration_seconds_approx("2w"), Some(1_209_600.0));
        assert_eq!(duration_seconds_approx("365d"), Some(MAX_DURATION_SECONDS));
        assert!(duration_seconds_approx("99999999999999999999m").unwrap() > MAX_DURATION_SECONDS);
        assert_eq!(duration_seconds_approx("5x"), None);
        assert_eq!(duration_seconds_approx("s"), None);
        assert_eq!(duration_seconds_approx("-5s"), None);
    }

    fn problems(text: String) -> Vec<(usize, String)> {
        let source = crate::diagnostics::SourceFile::new("platform.toml", text);
        let doc = crate::load::load(source.clone()).expect("loads");
        too_long(&doc)
            .iter()
            .map(|d| {
                let start = d.span.clone().expect("located").start;
                (source.line_col(start).0, d.message.clone())
            })
            .collect()
    }

    #[test]
    fn every_duration_field_is_bounded() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let api = "replicas = 2\nslo = { availability = 99.9, window = \"16000w\", latency = { threshold = \"9999999999s\", target = 99 } }\n";
        let extra = "\n[secret_store]\nrefresh = \"366d\"\n\n[observability]\nscrape_interval = \"99999999999999999999s\"\nevaluation_interval = \"53w\"\nalerts = { for = \"99999999999999999999m\", latency_p99 = \"31536001s\" }\n\n[ci.staging]\nrollout_timeout = \"8761h\"\n";
        let found = problems(fixture.replace("replicas = 2\n", api) + extra);
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        for expected in [
            "`services.api.slo.window` is 16000w, longer than the maximum 365d",
            "`services.api.slo.latency.threshold` is 9999999999s",
            "`secret_store.refresh` is 366d",
            "`observability.scrape_interval` is 99999999999999999999s",
            "`observability.evaluation_interval` is 53w",
            "`observability.alerts.for` is 99999999999999999999m",
            "`observability.alerts.latency_p99` is 31536001s",
            "`ci.staging.rollout_timeout` is 8761h",
        ] {
            assert!(
                messages.iter().any(|m| m.starts_with(expected)),
                "{expected}: {messages:?}"
            );
        }
        assert_eq!(found.len(), 8, "{found:?}");
        // At the limit, and a long number that is no duration field (a config value).
        let fine = fixture.replace(
            "replicas = 2\n",
            "replicas = 2\nslo = { availability = 99.9, window = \"365d\" }\nconfig = { X = \"99999999999999999999s\" }\n",
        );
        assert_eq!(problems(fine), []);
    }
}
