//! The one YAML formatter: every value that reaches a YAML file goes through [`scalar`] or
//! [`block`], so no input can change the structure of the output.

use std::borrow::Cow;

use minijinja::value::{Value, ValueKind};

/// Words YAML 1.1 or 1.2 resolve to booleans or null when written plain.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// Whether a string can be written as a plain scalar and read back as the same string by
/// YAML 1.1 and 1.2 parsers alike.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Plain only when it starts with a letter or `/` (no numbers, signs, dots or indicators)
    // and holds nothing that YAML gives a meaning to.
    (first.is_ascii_alphabetic() || first == '/')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        && !RESERVED.iter().any(|word| word.eq_ignore_ascii_case(s))
        && !s.ends_with('.')
}

/// A string as a YAML scalar: plain when unambiguous, double-quoted (JSON escaping, which is
/// valid YAML) otherwise.
pub fn quote_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// [`quote_str`], appended to `out`.
fn push_quoted(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        push_double_quoted(out, s);
    }
}

/// A YAML double-quoted scalar. Escapes everything YAML would not keep as-is: quotes,
/// backslashes, C0/C1 controls, DEL, NEL and the Unicode line/paragraph separators (YAML 1.1
/// treats those as line breaks and would fold them).
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_double_quoted(&mut out, s);
    out
}

/// [`double_quoted`], appended to `out`.
fn push_double_quoted(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    // Runs of characters that need no escape are copied whole; printable ASCII (all but `"`
    // and `\`) is passed over a byte at a time, anything else decoded as a character.
    let bytes = s.as_bytes();
    let (mut run, mut at) = (0, 0);
    while let Some(&b) = bytes.get(at) {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            at += 1;
            continue;
        }
        let Some(c) = s[at..].chars().next() else {
            break;
        };
        let width = c.len_utf8();
        // `None`: written as a `\uXXXX` escape.
        let escaped = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                None
            }
            _ => {
                at += width;
                continue;
            }
        };
        out.push_str(&s[run..at]);
        at += width;
        run = at;
        match escaped {
            Some(escape) => out.push_str(escape),
            None => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Formats a number so it reads back exactly (no `0.9990000000000001`, no exponent).
pub fn number(value: &Value) -> Option<String> {
    if value.is_integer()
        && let Some(i) = value.as_i64()
    {
        return Some(i.to_string());
    }
    let f = f64::try_from(value.clone()).ok()?;
    if !f.is_finite() {
        return None;
    }
    let text = format!("{f}");
    Some(if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    })
}

/// Any single value as a YAML scalar. Maps and sequences are rejected: templates must use the
/// `yaml` filter for structure. A string written plain, a boolean or null is not copied: a
/// template prints thousands of them.
pub fn scalar(value: &Value) -> Result<Cow<'_, str>, String> {
    match value.kind() {
        ValueKind::Undefined => Err("an undefined value reached YAML output".to_owned()),
        ValueKind::None => Ok(Cow::Borrowed("null")),
        ValueKind::Bool => Ok(Cow::Borrowed(if value.is_true() {
            "true"
        } else {
            "false"
        })),
        ValueKind::Number => number(value)
            .map(Cow::Owned)
            .ok_or_else(|| format!("{value} is not a finite number")),
        ValueKind::String => {
            let text = value.as_str().unwrap_or_default();
            Ok(if is_plain_safe(text) {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(double_quoted(text))
            })
        }
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => Err(format!(
            "a {} reached YAML output as a scalar; use the `yaml` filter",
            value.kind()
        )),
        _ => Err(format!("a {} cannot be written to YAML", value.kind())),
    }
}

/// A string as a YAML literal block scalar (`|-` and the lines indented by `indent`), so long
/// text such as a PromQL expression stays readable. Falls back to [`scalar`] for text a literal
/// block cannot hold exactly: empty, leading or trailing blanks, a trailing line break, tabs,
/// control or line-separator characters.
pub fn literal(value: &Value, indent: usize) -> Result<String, String> {
    let Some(text) = value.as_str() else {
        return scalar(value).map(Cow::into_owned);
    };
    let representable = !text.is_empty()
        && !text.starts_with([' ', '\n'])
        && !text.ends_with('\n')
        && text.lines().all(|line| !line.ends_with([' ', '\t']))
        && !text.chars().any(|c| {
            (c.is_control() && c != '\n')
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}'
                || c == '\u{85}'
        });
    if !representable {
        return scalar(value).map(Cow::into_owned);
    }
    let pad = " ".repeat(indent);
    let mut out = String::from("|-");
    for line in text.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Ok(out)
}

/// A value as block YAML, every line indented by `indent` spaces, no trailing newline.
/// Empty maps and sequences become `{}` and `[]` on the first line.
pub fn block(value: &Value, indent: usize) -> Result<String, String> {
    let mut lines = Lines {
        out: String::new(),
        started: false,
        dash: false,
    };
    emit(value, indent, &mut lines)?;
    Ok(lines.out)
}

/// The block being written, line by line into one buffer.
struct Lines {
    out: String,
    /// Whether a line was written (the next one needs a line break first).
    started: bool,
    /// Whether the next line is a sequence item's first: `- ` replaces the last two spaces of
    /// its indentation.
    dash: bool,
}

impl Lines {
    /// Starts a line indented by `indent`, returning the buffer to write it into.
    fn line(&mut self, indent: usize) -> &mut String {
        if self.started {
            self.out.push('\n');
        }
        self.started = true;
        if self.dash {
            self.dash = false;
            push_spaces(&mut self.out, indent - 2);
            self.out.push_str("- ");
        } else {
            push_spaces(&mut self.out, indent);
        }
        &mut self.out
    }
}

fn push_spaces(out: &mut String, count: usize) {
    const SPACES: &str = "                                ";
    let mut left = count;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

fn is_collection(value: &Value) -> bool {
    matches!(
        value.kind(),
        ValueKind::Map | ValueKind::Seq | ValueKind::Iterable
    )
}

fn is_empty_collection(value: &Value) -> bool {
    is_collection(value) && value.len() == Some(0)
}

fn emit(value: &Value, indent: usize, lines: &mut Lines) -> Result<(), String> {
    match value.kind() {
        ValueKind::Map => {
            if value.len() == Some(0) {
                lines.line(indent).push_str("{}");
                return Ok(());
            }
            let mut entry = |key: Value, item: Value| {
                let out = lines.line(indent);
                match key.as_str() {
                    Some(text) => push_quoted(out, text),
                    None => push_quoted(out, &key.to_string()),
                }
                out.push(':');
                if is_collection(&item) && !is_empty_collection(&item) {
                    // Sequences under a key sit at the key's indentation (the common style).
                    let child = if item.kind() == ValueKind::Map {
                        indent + 2
                    } else {
                        indent
                    };
                    emit(&item, child, lines)
                } else {
                    out.push(' ');
                    push_inline(out, &item)
                }
            };
            // In order, without a lookup per key where the map allows it.
            match value.as_object().and_then(|o| o.try_iter_pairs()) {
                Some(mut pairs) => pairs.try_for_each(|(key, item)| entry(key, item))?,
                None => {
                    for key in value.try_iter().map_err(|e| e.to_string())? {
                        let item = value.get_item(&key).map_err(|e| e.to_string())?;
                        entry(key, item)?;
                    }
                }
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            if value.len() == Some(0) {
                lines.line(indent).push_str("[]");
                return Ok(());
            }
            for item in value.try_iter().map_err(|e| e.to_string())? {
                if is_collection(&item) && !is_empty_collection(&item) {
                    lines.dash = true;
                    emit(&item, indent + 2, lines)?;
                } else {
                    let out = lines.line(indent);
                    out.push_str("- ");
                    push_inline(out, &item)?;
                }
            }
        }
        _ => {
            let text = scalar(value)?;
            lines.line(indent).push_str(&text);
        }
    }
    Ok(())
}

/// A value on the line of its key or `- `: a scalar, or an empty collection.
fn push_inline(out: &mut String, value: &Value) -> Result<(), String> {
    match value.kind() {
        ValueKind::Map => out.push_str("{}"),
        ValueKind::Seq | ValueKind::Iterable => out.push_str("[]"),
        ValueKind::String => push_quoted(out, value.as_str().unwrap_or_default()),
        _ => out.push_str(&scalar(value)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &str) -> String {
        let yaml = format!("k: {}\n", quote_str(s));
        let parsed: std::collections::BTreeMap<String, String> =
            serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
        parsed["k"].clone()
    }

    /// Random strings from YAML's (and Jinja's) trickiest pieces: as a scalar and as a literal
    /// block, each reads back as exactly itself.
    #[test]
    fn random_strings_read_back_unchanged() {
        let tokens = [
            "a", "Z", "y", "n", "e", "E", "0", "1", "9", "x", ".", "-", "_", "/", ":", " ", "#",
            "'", "\"", "\\", "\n", "\t", "\r", "é", "\u{85}", "\u{2028}", "\u{feff}", "\u{7f}",
            "\u{1}", "~", "null", "true", "yes", "on", "inf", "nan", ".inf", "0x", "0o", "+", "[",
            "{", "}", "]", ",", "&", "*", "!", "|", ">", "%", "@", "`", "?", "=", "<<", "𝔘", "{{",
            "%}",
        ];
        let mut next = crate::testing::numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..10_000 {
            let s: String = (0..next(7)).map(|_| tokens[next(tokens.len())]).collect();
            assert_eq!(roundtrip(&s), s, "as {}", quote_str(&s));
            let block = literal(&Value::from(s.as_str()), 2).expect("a string");
            let yaml = format!("k: {block}\n");
            let back: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(back["k"], s, "as {yaml}");
        }
    }

    #[test]
    fn escapes_exactly_what_yaml_would_not_keep() {
        assert_eq!(
            double_quoted("é\u{85}\"x\u{2028}\\\u{1}\ty ✓"),
            r#""é\u0085\"x\u2028\\\u0001\ty ✓""#
        );
        assert_eq!(double_quoted(""), r#""""#);
    }

    #[test]
    fn hostile_strings_read_back_unchanged() {
        for s in [
            "yes",
            "No",
            "ON",
            "off",
            "null",
            "~",
            "true",
            "0755",
            "1e3",
            "8080",
            "0x1F",
            ".inf",
            "-",
            "a: b",
            "a #b",
            "#x",
            "*ref",
            "&anchor",
            "!tag",
            "%x",
            "@x",
            "`x",
            "|",
            ">",
            "line1\nline2",
            "{{ x }}",
            "[a]",
            "{a: 1}",
            "'q'",
            "\"dq\"",
            "",
            " lead",
            "trail ",
            "2001-12-14",
            "12:30",
            "1_000",
            "é",
            "tab\there",
            "a\\b",
            "?",
            "- x",
            "Y",
            "N",
            "del\u{7f}",
            "nel\u{85}",
            "ls\u{2028}",
            "bom\u{feff}",
            "cr\r",
            "bell\u{7}",
            "é\"字\\ü\u{1}ß\u{2029}末",
            "\u{85}",
        ] {
            assert_eq!(roundtrip(s), s, "{s:?}");
        }
    }

    #[test]
    fn plain_when_unambiguous() {
        assert_eq!(quote_str("platform-api"), "platform-api");
        assert_eq!(quote_str("/health/live"), "/health/live");
        assert_eq!(quote_str("api.platform.io"), "api.platform.io");
        assert_eq!(quote_str("200m"), "\"200m\"");
        assert_eq!(quote_str("yes"), "\"yes\"");
    }

    #[test]
    fn numbers_are_exact() {
        assert_eq!(scalar(&Value::from(0.999)).unwrap(), "0.999");
        assert_eq!(scalar(&Value::from(3)).unwrap(), "3");
        assert_eq!(scalar(&Value::from(2.0)).unwrap(), "2.0");
    }

    #[test]
    fn literal_blocks_read_back_unchanged() {
        for text in [
            "sum(rate(x{a=\"b\"}[5m]))\n/\nsum(rate(y[5m])) > 0.05",
            "a: b # c\n  indented\n\nafter a blank line",
            "{{ $value }}",
            "one line",
            " leading",
            "trailing\n",
            "tab\there",
            "",
        ] {
            let yaml = format!("k: {}\n", literal(&Value::from(text), 2).unwrap());
            let parsed: std::collections::BTreeMap<String, String> =
                serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(parsed["k"], text, "{yaml}");
        }
        assert!(
            literal(&Value::from("a\nb"), 4)
                .unwrap()
                .starts_with("|-\n    a")
        );
    }

    #[test]
    fn collections_need_the_filter() {
        assert!(scalar(&Value::from(vec![1])).is_err());
    }

    #[test]
    fn block_yaml_nests_and_reads_back() {
        let value = Value::from(minijinja::value::Serde(serde_json::json!({
            "labels": {"app": "x", "yes": "no"},
            "ports": [{"name": "http", "port": 80}, {"name": "m", "port": 9}],
            "empty": {},
            "list": ["a", "1"],
        })));
        let text = block(&value, 2).unwrap();
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back["labels"]["yes"], "no");
        assert_eq!(back["ports"][1]["port"], 9);
        assert_eq!(back["list"][1], "1");
        assert_eq!(back["empty"], serde_json::json!({}));
    }
}
