//! Hostile but valid values: whatever a config value holds, it reaches the rendered YAML as
//! exactly that string. Nothing is evaluated as YAML (booleans, nulls, octal, anchors, tags,
//! comments) or as a template (`{{ }}`, `{% %}`).

use std::collections::BTreeMap;

use platgen::diagnostics::SourceFile;
use platgen::render::yaml::quote_str;
use serde_json::Value;

/// The platform (`tests/fixtures/hostile.toml`) whose service `api` sets each config key below
/// to a hostile value.
const PLATFORM: &str = include_str!("fixtures/hostile.toml");

/// Each config key of the platform, with the string it must read back as.
#[rustfmt::skip]
const HOSTILE: &[(&str, &str)] = &[
    ("NEWLINE", "a\nb"),
    ("TRAILING_NEWLINE", "line\n"),
    ("COLON", "a: b"),
    ("COMMENT", "x # y"),
    ("HASH_FIRST", "#x"),
    ("ALIAS", "*ref"),
    ("ANCHOR", "&anchor"),
    ("TAG", "!tag"),
    ("YES", "yes"),
    ("NO", "no"),
    ("NULL", "null"),
    ("TILDE", "~"),
    ("OCTAL", "0755"),
    ("EXPONENT", "1e3"),
    ("PORT", "8080"),
    ("JINJA_VARIABLE", "{{ x }}"),
    ("JINJA_BLOCK", "{% if %}"),
    ("JINJA_COMMENT", "{# c #}"),
    ("JINJA_ALTERNATE", "{{{ x }}} {%% if %%}"),
    ("QUOTES_AND_BACKSLASH", r#"say "hi" \ C:\dir"#),
    ("SINGLE_QUOTES", "'q'"),
    ("LITERAL_STRING", r"raw \n stays"),
    ("UNICODE", "héllo ✓ 日本語 🚀"),
    ("FLOW", "[a, {b: c}]"),
    ("BLOCK_INDICATOR", "| folded"),
    ("DASH", "- item"),
    ("SPACES", "  padded  "),
    ("EMPTY", ""),
    ("TAB", "a\tb"),
    ("CONTROL", "del\u{7f} nel\u{85} ls\u{2028} bom\u{feff}"),
    ("DOCUMENT_END", "..."),
    ("DOCUMENT_START", "---"),
    ("DATE", "2001-12-14"),
    ("SEXAGESIMAL", "12:30"),
    ("INTEGER", "42"),
    ("NEGATIVE", "-7"),
    ("BOOLEAN", "true"),
    ("BOOLEAN_FALSE", "false"),
    ("FLOAT", "0.5"),
];

fn rendered(path: &str) -> String {
    let compiled = platgen::compile(SourceFile::new("hostile.toml", PLATFORM), None, None)
        .unwrap_or_else(|failure| panic!("the hostile platform does not compile: {failure:?}"));
    compiled
        .files
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} was not rendered"))
        .content
}

#[test]
fn config_values_read_back_exactly_as_written() {
    let yaml = rendered("production/kubernetes/api-configmap.yaml");
    let doc: Value = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let data = doc["data"]
        .as_object()
        .unwrap_or_else(|| panic!("no data map in\n{yaml}"));
    let mut wrong = Vec::new();
    for (key, expected) in HOSTILE {
        match data.get(*key) {
            Some(Value::String(s)) if s == expected => {}
            other => wrong.push(format!("{key}: expected {expected:?}, got {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}\n\n{yaml}", wrong.join("\n"));
    // Nothing but the declared keys and the two platgen adds.
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.retain(|k| !["WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"].contains(k));
    assert_eq!(keys.len(), HOSTILE.len(), "{keys:?}");
}

#[test]
fn label_values_read_back_exactly_as_written() {
    let yaml = rendered("production/kubernetes/api-configmap.yaml");
    let doc: Value = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(doc["metadata"]["labels"]["note"], "yes", "{yaml}");
    assert_eq!(doc["metadata"]["labels"]["weird"], "0755", "{yaml}");
}

#[test]
fn no_template_syntax_from_values_is_evaluated_anywhere() {
    // The literal text of the template-like values appears in the rendered ConfigMap, quoted.
    let yaml = rendered("production/kubernetes/api-configmap.yaml");
    for needle in ["{{ x }}", "{% if %}", "{# c #}"] {
        assert!(yaml.contains(needle), "{needle} missing from\n{yaml}");
    }
}

/// A tiny deterministic generator (xorshift64*), so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Characters YAML (1.1 or 1.2) or a template engine could give a meaning to, plus plain ones.
const PIECES: &[&str] = &[
    "a", "Z", "0", "7", "_", "-", ".", "/", " ", "  ", ":", ": ", "#", " #", "'", "\"", "\\", "\n",
    "\r", "\t", "\r\n", "*", "&", "!", "%", "@", "`", "|", ">", "?", "[", "]", "{", "}", ",", "~",
    "=", "+", "{{", "}}", "{%", "%}", "yes", "no", "null", "true", "on", "0x1F", "0o7", "0755",
    "1e3", ".inf", ".nan", "---", "...", "é", "✓", "日本", "🚀", "\u{0}", "\u{7}", "\u{1b}",
    "\u{7f}", "\u{85}", "\u{a0}", "\u{2028}", "\u{2029}", "\u{feff}",
];

fn generated(rng: &mut XorShift) -> String {
    let len = rng.below(8);
    (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

/// Reads `s` back from a YAML document where `quote_str` wrote it as a value, a key and a
/// sequence item.
fn read_back(s: &str) -> Result<(), String> {
    let q = quote_str(s);
    let yaml = format!("value: {q}\n{q}: key\nlist:\n  - {q}\n");
    let doc: Value = serde_saphyr::from_str(&yaml).map_err(|e| format!("{s:?} → {yaml:?}: {e}"))?;
    let ok = doc.get("value") == Some(&Value::String(s.to_owned()))
        && doc.get(s) == Some(&Value::String("key".to_owned()))
        && doc["list"][0] == Value::String(s.to_owned());
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} → {yaml:?} read back as {doc}"))
    }
}

#[test]
fn generated_strings_survive_quote_str() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut failures: Vec<String> = (0..500)
        .map(|_| generated(&mut rng))
        .filter_map(|s| read_back(&s).err())
        .collect();
    // Every single piece alone, too: the generator may not hit each at the start of a string.
    failures.extend(PIECES.iter().filter_map(|p| read_back(p).err()));
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} strings did not survive:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn quote_str_keeps_plain_only_what_is_unambiguous() {
    // Plain output must be a string a YAML 1.1 parser would also read as a string.
    let plain: BTreeMap<&str, bool> = [
        ("platform-api", true),
        ("/health/live", true),
        ("yes", false),
        ("Off", false),
        ("0755", false),
        ("1e3", false),
        ("a: b", false),
        ("", false),
    ]
    .into_iter()
    .collect();
    for (s, expect_plain) in plain {
        assert_eq!(quote_str(s) == s, expect_plain, "{s:?} → {}", quote_str(s));
    }
}

/// What a container receives from a `command` (or exec probe) argument: Kubernetes' expansion
/// (`third_party/forked/golang/expansion`) with every referenced variable defined, so anything
/// left unescaped visibly changes.
fn kubelet_expand(input: &str) -> String {
    let mut out = String::new();
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(reference) = after.strip_prefix('(') {
            match reference.find(')') {
                Some(end) => {
                    out.push_str("<expanded>");
                    rest = &reference[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = reference;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn worker_commands_run_exactly_as_written_in_kubernetes() {
    let yaml = rendered("production/kubernetes/jobs-deployment.yaml");
    let doc: Value = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let container = &doc["spec"]["template"]["spec"]["containers"][0];
    let received = |args: &Value| -> Vec<String> {
        args.as_array()
            .unwrap_or_else(|| panic!("no command in\n{yaml}"))
            .iter()
            .map(|a| kubelet_expand(a.as_str().expect("a string argument")))
            .collect()
    };
    assert_eq!(
        received(&container["command"]),
        ["sh", "-c", "echo $(HOSTNAME) $$ ${HOME} $HOME $$(X) $"],
        "{yaml}"
    );
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(
            received(&container[probe]["exec"]["command"]),
            ["sh", "-c", "test -n \"$(hostname)\""],
            "{probe}\n{yaml}"
        );
    }
    insta::assert_snapshot!("worker_deployment", yaml);
}

#[test]
fn the_pods_roll_when_their_config_changes() {
    let checksum = |platform: &str| {
        let compiled = platgen::compile(SourceFile::new("hostile.toml", platform), None, None)
            .unwrap_or_else(|failure| panic!("does not compile: {failure:?}"));
        let file = compiled
            .files
            .into_iter()
            .find(|f| f.path == "production/kubernetes/api-deployment.yaml")
            .expect("the deployment");
        let doc: Value = serde_saphyr::from_str(&file.content).expect("YAML");
        doc["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            .as_str()
            .unwrap_or_else(|| panic!("no checksum/config in\n{}", file.content))
            .to_owned()
    };
    let base = checksum(PLATFORM);
    assert_eq!(base.len(), 64, "{base}");
    assert!(base.chars().all(|c| c.is_ascii_hexdigit()), "{base}");
    assert_ne!(
        checksum(&PLATFORM.replace("COLON = \"a: b\"", "COLON = \"a: c\"")),
        base
    );
    // A change outside the ConfigMap's data leaves it alone.
    assert_eq!(
        checksum(&PLATFORM.replace("weird = \"a: b # c\"", "weird = \"other\"")),
        base
    );
}
