//! Help lines derived from the value found and what the schema expects there: a corrected name,
//! the value quoted or unquoted, a unit stripped, a list or table written out.

use serde_json::Value;

use super::schema_nav::Place;

/// Help for an invalid name, with a corrected suggestion.
pub fn name_help(name: &str) -> String {
    let fixed = name_fix(name);
    let rule = "names are lower-case letters, digits and `-`, start with a letter and end with a letter or digit (DNS-1035), so they are safe as Kubernetes names and file names";
    if fixed.is_empty() || fixed == name {
        rule.to_owned()
    } else {
        format!("{rule}: try `{fixed}`")
    }
}

/// The closest DNS-1035 label: lower-case, other characters as `-`, without leading digits or
/// hyphens and without trailing hyphens (`api_v2` → `api-v2`).
pub fn name_fix(name: &str) -> String {
    let fixed: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    fixed
        .trim_start_matches(|c: char| c == '-' || c.is_ascii_digit())
        .trim_end_matches('-')
        .to_owned()
}

/// Help for an invalid environment variable name (a config or secret key), with a suggestion.
pub fn env_name_help(name: &str) -> String {
    let rule = "environment variable names are letters, digits and `_`, not starting with a digit (`[A-Za-z_][A-Za-z0-9_]*`)";
    let fixed = env_name_fix(name);
    if fixed.is_empty() || fixed == name {
        rule.to_owned()
    } else {
        format!("{rule}: try `{fixed}`")
    }
}

/// The closest environment variable name: upper-case, other characters as `_`, `_` before a
/// leading digit (`bad-name` → `BAD_NAME`).
pub fn env_name_fix(name: &str) -> String {
    let fixed: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if fixed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{fixed}")
    } else {
        fixed
    }
}

/// `"three"` → 3, for counts written as words.
fn number_word(word: &str) -> Option<i64> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    WORDS
        .iter()
        .position(|w| w.eq_ignore_ascii_case(word.trim()))
        .and_then(|n| i64::try_from(n).ok())
}

/// `"90s"`, `"2m"`, `"1 hour"`, `"90"` → seconds.
fn seconds_of(text: &str) -> Option<f64> {
    let text = text.trim().to_ascii_lowercase();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        _ => return None,
    };
    Some(number * factor)
}

/// A number as TOML writes it: `2` for a whole number, `99.9` otherwise.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The whole numbers either side of `n` that the schema allows here: `` `2` or `3` ``, or the
/// one of them in range (`0.5` where the minimum is 1: `` `1` ``), or both when neither is (the
/// range error says why).
fn whole_near(n: f64, place: &Place) -> String {
    let (low, high) = (n.floor(), n.ceil());
    match (place.allows(low), place.allows(high)) {
        (true, false) => format!("`{}`", number_text(low)),
        (false, true) => format!("`{}`", number_text(high)),
        _ => format!("`{}` or `{}`", number_text(low), number_text(high)),
    }
}

/// The number a string most likely meant, and how it was read from it.
fn number_in(text: &str, place: &Place) -> Option<(f64, &'static str)> {
    let trimmed = text.trim();
    if let Ok(n) = trimmed.parse::<f64>() {
        return Some((n, "without quotes"));
    }
    if let Some(n) = number_word(trimmed) {
        return Some((n as f64, "as digits, without quotes"));
    }
    if let Some(n) = trimmed
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
    {
        return Some((n, "without quotes or `%`"));
    }
    let in_seconds = place
        .description()
        .is_some_and(|d| d.to_ascii_lowercase().contains("seconds"));
    if in_seconds && let Some(n) = seconds_of(trimmed) {
        return Some((n, "as a number of seconds, without quotes or unit"));
    }
    None
}

/// How to write `instance` (of the wrong type) as what the schema expects at `place`.
/// `raw` is the value as written in the file; `key` the name it is set under.
pub fn type_help(place: &Place, instance: &Value, raw: Option<&str>, key: &str) -> Option<String> {
    let types = place.types();
    let wants = |t: &str| types.contains(&t);
    let raw = raw.unwrap_or_default().trim();
    match instance {
        Value::Number(_) | Value::Bool(_) if wants("string") => {
            use crate::model::spec::{
                BODY_SIZE_PATTERN, CPU_PATTERN, LATENCY_PATTERN, MEMORY_PATTERN,
            };
            // A bare number that the pattern would read as bytes or seconds is rarely what was
            // meant: suggest the unit people use, and say what the bare number would mean.
            let (text, note) = match (instance.as_f64(), place.pattern()) {
                (Some(n), Some(p)) if p == CPU_PATTERN && n.fract() != 0.0 => {
                    (format!("{}m", (n * 1000.0).round()), "")
                }
                (Some(_), Some(p)) if p == MEMORY_PATTERN => {
                    (format!("{raw}Mi"), " (a bare `\"N\"` is N bytes)")
                }
                (Some(_), Some(p)) if p == BODY_SIZE_PATTERN => {
                    (format!("{raw}m"), " (megabytes; a bare `\"N\"` is N bytes)")
                }
                (Some(n), Some(p)) if p == LATENCY_PATTERN && n < 1.0 => {
                    (format!("{}ms", number_text((n * 1000.0).round())), "")
                }
                (Some(_), Some(p)) if p == LATENCY_PATTERN => (format!("{raw}s"), ""),
                _ => (raw.to_owned(), ""),
            };
            let text = super::patterns::fixed_for(place.pattern(), &text).unwrap_or(text);
            Some(format!(
                "write it as a string: `{}`{note}",
                Value::String(text)
            ))
        }
        Value::Number(n) if wants("integer") && !wants("number") => Some(format!(
            "write a whole number: {}",
            whole_near(n.as_f64()?, place)
        )),
        Value::String(s) if wants("integer") || wants("number") => {
            let example = place
                .nodes
                .iter()
                .find_map(|node| node.get("minimum"))
                .map_or_else(|| "1".to_owned(), ToString::to_string);
            if !wants("number") && s.trim().ends_with('%') {
                return Some(format!(
                    "write a whole number without quotes, e.g. `{example}`: a percentage is not allowed here"
                ));
            }
            match number_in(s, place) {
                Some((n, how)) if wants("number") || n.fract() == 0.0 => {
                    Some(format!("write it {how}: `{}`", number_text(n)))
                }
                Some((n, _)) => Some(format!(
                    "write a whole number without quotes: {}",
                    whole_near(n, place)
                )),
                None => Some(format!(
                    "write {} without quotes, e.g. `{example}`",
                    place.number_words()
                )),
            }
        }
        Value::String(s) if wants("boolean") => {
            let word = match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => "true",
                "false" | "no" | "off" | "0" => "false",
                _ => return Some("write `true` or `false`, without quotes".to_owned()),
            };
            Some(format!("write it without quotes: `{word}`"))
        }
        Value::Number(n) if wants("boolean") => {
            let word = if n.as_f64() == Some(0.0) {
                "false"
            } else {
                "true"
            };
            Some(format!("write `true` or `false`: `{word}`"))
        }
        Value::String(s) if wants("array") => {
            let items: Vec<Value> = if s.contains(',') {
                s.split(',')
            } else {
                s.split(' ')
            }
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Value::String(item.to_owned()))
            .collect();
            let list = items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!("write a list: `[{list}]`"))
        }
        Value::Number(_) | Value::Bool(_) if wants("array") => {
            Some(format!("write a list: `[{raw}]`"))
        }
        _ if wants("object") => {
            let keys = place.keys();
            if keys.is_empty() {
                Some(format!(
                    "write a table: `{key} = {{ NAME = … }}` or a `[…{key}]` section"
                ))
            } else {
                let shown: Vec<String> = keys.iter().take(3).map(|k| format!("{k} = …")).collect();
                Some(format!(
                    "write a table: `{key} = {{ {} }}` or a `[…{key}]` section (keys: {})",
                    shown.join(", "),
                    keys.join(", ")
                ))
            }
        }
        Value::Array(items) if wants("string") => {
            let joined: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            Some(format!(
                "`{key}` takes one value, not a list: write it as one string, e.g. `{}`",
                Value::String(joined.join(","))
            ))
        }
        Value::Array(_) | Value::Object(_) => Some(format!(
            "`{key}` takes a single value: write {}",
            place.number_words_or_types()
        )),
        _ => None,
    }
}

impl Place {
    /// What a single value here is, in words, for help lines.
    fn number_words_or_types(&self) -> String {
        if self.takes_numbers() {
            self.number_words()
        } else if self.types().contains(&"boolean") {
            "`true` or `false`".to_owned()
        } else {
            "a string in quotes".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_fixes_keep_trailing_digits_and_drop_leading_ones() {
        assert_eq!(name_fix("api_v2"), "api-v2");
        assert_eq!(name_fix("Consumer_1"), "consumer-1");
        assert_eq!(name_fix("a1_b2"), "a1-b2");
        assert_eq!(name_fix("Platform_API"), "platform-api");
        assert_eq!(name_fix("../x"), "x");
        assert_eq!(name_fix("2nd-api-"), "nd-api");
        assert_eq!(name_fix("-9-api"), "api");
        assert!(name_help("api_v2").ends_with("try `api-v2`"));
        assert!(!name_help("123").contains("try"));
    }

    #[test]
    fn env_name_fixes_follow_the_variable_rule() {
        assert_eq!(env_name_fix("bad-name"), "BAD_NAME");
        assert_eq!(env_name_fix("1st.key"), "_1ST_KEY");
        assert!(env_name_help("bad-name").contains("[A-Za-z_][A-Za-z0-9_]*"));
        assert!(env_name_help("bad-name").ends_with("try `BAD_NAME`"));
    }

    fn help(pointer: &str, instance: Value, raw: &str) -> String {
        let key = pointer.rsplit('/').next().unwrap_or_default();
        type_help(&Place::at(pointer), &instance, Some(raw), key).unwrap_or_default()
    }

    #[test]
    fn a_bare_number_is_not_suggested_where_it_would_mean_bytes_or_seconds() {
        let memory = "/services/api/resources/requests/memory";
        assert!(help(memory, 256.into(), "256").starts_with("write it as a string: `\"256Mi\"`"));
        let body = "/services/api/expose/body_size";
        assert!(help(body, 10.into(), "10").starts_with("write it as a string: `\"10m\"`"));
        let threshold = "/services/api/slo/latency/threshold";
        assert_eq!(
            help(threshold, 0.5.into(), "0.5"),
            "write it as a string: `\"500ms\"`"
        );
        let pods = "/services/api/disruption/min_available";
        assert!(help(pods, "50%".into(), "\"50%\"").ends_with("a percentage is not allowed here"));
    }

    #[test]
    fn wrong_types_get_the_value_rewritten() {
        let cpu = "/services/api/resources/requests/cpu";
        assert_eq!(
            help(cpu, 0.5.into(), "0.5"),
            "write it as a string: `\"500m\"`"
        );
        assert_eq!(help(cpu, 2.into(), "2"), "write it as a string: `\"2\"`");
        assert_eq!(
            help("/platform/python", 3.1.into(), "3.10"),
            "write it as a string: `\"3.10\"`"
        );
        assert_eq!(
            help("/services/api/termination_grace", "90s".into(), "\"90s\""),
            "write it as a number of seconds, without quotes or unit: `90`"
        );
        assert_eq!(
            help("/services/api/expose/timeout", "2m".into(), "\"2m\""),
            "write it as a number of seconds, without quotes or unit: `120`"
        );
        assert_eq!(
            help(
                "/services/api/slo/availability",
                "99.9%".into(),
                "\"99.9%\""
            ),
            "write it without quotes or `%`: `99.9`"
        );
        assert_eq!(
            help("/services/api/replicas", "three".into(), "\"three\""),
            "write it as digits, without quotes: `3`"
        );
        // Only what the range allows: `cpu` (percent of the requests) is at least 1.
        assert_eq!(
            help("/services/api/autoscaling/cpu", 0.5.into(), "0.5"),
            "write a whole number: `1`"
        );
        assert_eq!(
            help("/services/api/autoscaling/cpu", "0.5".into(), "\"0.5\""),
            "write a whole number without quotes: `1`"
        );
        assert_eq!(
            help("/services/api/replicas", 2.5.into(), "2.5"),
            "write a whole number: `2` or `3`"
        );
        assert_eq!(
            help(
                "/services/api/uses",
                "postgres, redis".into(),
                "\"postgres, redis\""
            ),
            "write a list: `[\"postgres\", \"redis\"]`"
        );
        assert_eq!(
            help("/environments/staging/istio", "yes".into(), "\"yes\""),
            "write it without quotes: `true`"
        );
        assert!(help("/services/api/slo", 99.9.into(), "99.9").contains("availability = …"));
        assert_eq!(
            help(
                "/platform/config/HOSTS",
                serde_json::json!(["a", "b"]),
                "[\"a\", \"b\"]"
            ),
            "`HOSTS` takes one value, not a list: write it as one string, e.g. `\"a,b\"`"
        );
        assert_eq!(
            help("/secret_store/refresh", 60.into(), "60"),
            "write it as a string: `\"60s\"`"
        );
    }
}
