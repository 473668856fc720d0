//! The one YAML formatter: every value that reaches a YAML file goes through [`scalar`],
//! [`literal`], [`block`] (a template value) or [`block_of`] (a Rust structure, the same text),
//! so no input can change the structure of the output. The two block walks share one layout
//! (`layout`) and these scalar formats.

use std::borrow::Cow;

use minijinja::value::{Value, ValueKind};

mod layout;
mod serialize;

use layout::{Block, Kind, Slot};

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
    float(f64::try_from(value.clone()).ok()?)
}

/// A float that reads back exactly, always with a decimal point; `None` when not finite.
fn float(f: f64) -> Option<String> {
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
    let Some(text) = value.as_str().filter(|text| literal_fits(text)) else {
        return scalar(value).map(Cow::into_owned);
    };
    let mut out = String::new();
    push_literal(&mut out, text, indent);
    Ok(out)
}

/// Whether a literal block holds `text` exactly (see [`literal`]).
fn literal_fits(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with([' ', '\n'])
        && !text.ends_with('\n')
        && text.lines().all(|line| !line.ends_with([' ', '\t']))
        && !text.chars().any(|c| {
            (c.is_control() && c != '\n')
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}'
                || c == '\u{85}'
        })
}

/// `text`, which [`literal_fits`], as a literal block appended to `out`: `|-`, then each line
/// indented by `indent` (an empty line left empty).
fn push_literal(out: &mut String, text: &str, indent: usize) {
    out.push_str("|-");
    for line in text.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            layout::push_spaces(out, indent);
            out.push_str(line);
        }
    }
}

/// A value as block YAML, every line indented by `indent` spaces, no trailing newline.
/// Empty maps and sequences become `{}` and `[]` on the first line.
pub fn block(value: &Value, indent: usize) -> Result<String, String> {
    let mut block = Block::default();
    emit(value, Slot::Top, indent, &mut block)?;
    Ok(block.finish())
}

/// A Rust structure as block YAML: the same text as [`block`] gives for the structure made a
/// template value, without making it one (but for strings marked [`as_literal`]).
pub fn block_of(value: &impl serde::Serialize, indent: usize) -> Result<String, String> {
    serialize::block_of(value, indent)
}

/// `#[serde(serialize_with = "…")]` for a string that [`block_of`] writes as a literal block
/// (as the `literal` filter does), for long text such as PromQL. Anything else reads it as a
/// plain string: a template value, JSON, and [`block`], which writes it quoted.
pub fn as_literal<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(serialize::LITERAL, text)
}

/// Writes `value` in `slot` (see [`layout`]).
fn emit(value: &Value, slot: Slot, indent: usize, block: &mut Block) -> Result<(), String> {
    match value.kind() {
        ValueKind::Map => {
            let mut open = Block::open(slot, indent, Kind::Map);
            let inner = open.inner();
            let mut entry = |key: Value, item: Value| {
                block.element(&mut open);
                match key.as_str() {
                    Some(text) => block.key(inner, text),
                    None => block.key(inner, &key.to_string()),
                }
                emit(&item, Slot::Value, inner, block)
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
            block.close(open);
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut open = Block::open(slot, indent, Kind::Seq);
            let inner = open.inner();
            for item in value.try_iter().map_err(|e| e.to_string())? {
                block.element(&mut open);
                emit(&item, Slot::Item, inner, block)?;
            }
            block.close(open);
        }
        ValueKind::String => block.string(slot, indent, value.as_str().unwrap_or_default()),
        _ => block.scalar(slot, indent, &scalar(value)?),
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

    /// A random document of nested maps and sequences, empty or not, with scalars among them;
    /// map keys in order (as a template value sorts them).
    fn random_document(next: &mut impl FnMut(usize) -> usize, depth: usize) -> serde_json::Value {
        let words = ["a", "yes", "0", "- x", "k: v", ""];
        match next(if depth == 0 { 3 } else { 5 }) {
            0 => serde_json::json!(next(100)),
            1 => serde_json::json!(words[next(words.len())]),
            2 => serde_json::Value::Null,
            3 => (0..next(4))
                .map(|_| random_document(next, depth - 1))
                .collect(),
            _ => (0..next(4))
                .map(|i| (format!("k{i}"), random_document(next, depth - 1)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// Collections in every slot (a sequence's first item being a sequence or a map, at any
    /// depth; empty ones anywhere) read back as themselves, and both walks write them alike.
    #[test]
    fn nested_collections_read_back_in_every_slot() {
        let mut next = crate::testing::numbers(0x2545_f491_4f6c_dd1d);
        let mut documents =
            vec![serde_json::json!([[{"a": 1, "b": [[{"c": []}]]}], [[[]]], [[{}]]])];
        documents.extend((0..2_000).map(|_| random_document(&mut next, 4)));
        for document in documents {
            for indent in [0, 4] {
                let text = block(&Value::from(minijinja::value::Serde(&document)), indent)
                    .expect("written");
                let back: serde_json::Value =
                    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(back, document, "{text}");
                assert_eq!(block_of(&document, indent).as_deref(), Ok(text.as_str()));
            }
        }
    }
}
