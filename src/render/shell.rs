//! The shell formatter: how a value is written into a `.sh` template. A value becomes exactly
//! one shell word that expands to the value itself, so nothing from `platform.toml` can run
//! commands, expand variables, split into words or glob.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

/// Characters that mean nothing to bash in an unquoted word (not even at its start).
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@' | '%' | '+' | ',')
}

/// `text` as one bash word: bare when it holds only characters bash gives no meaning to,
/// otherwise in single quotes, each `'` written as `'\''` (close, escaped quote, reopen).
pub fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(is_plain) {
        return text.to_owned();
    }
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// A template value as a shell word. Numbers and booleans are written as they are; strings are
/// [`quote`]d. Line breaks are refused: a value may sit in a `#` comment, which a newline would
/// end, and NUL cannot be passed to a command at all. Structures need a template loop.
pub(super) fn shell_value(value: &Value) -> Result<String, Error> {
    if value.is_none() || value.is_undefined() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "a missing value reached a shell script",
        ));
    }
    let text = super::formatting::text_value(value)?;
    if text.contains('\0') {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "a value with a NUL character reached a shell script",
        ));
    }
    Ok(match value.kind() {
        ValueKind::Number | ValueKind::Bool => text,
        _ => quote(&text),
    })
}

/// `value | quoted`: like [`shell_value`], but a string is single-quoted even where it could
/// stand bare. For the value of an assignment: `deployment=jobs` reads as running `jobs`
/// (shellcheck SC2209), `deployment='jobs'` does not.
pub(super) fn quoted_filter(value: &Value) -> Result<Value, Error> {
    let word = shell_value(value)?;
    let bare =
        !word.starts_with('\'') && !matches!(value.kind(), ValueKind::Number | ValueKind::Bool);
    // A bare word holds only characters that mean nothing to bash: quoting it changes nothing.
    Ok(Value::from_safe_string(if bare {
        format!("'{word}'")
    } else {
        word
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_bare_and_everything_else_is_single_quoted() {
        assert_eq!(quote("platform-api"), "platform-api");
        assert_eq!(quote("app=platform-api"), "'app=platform-api'");
        assert_eq!(quote("600s"), "600s");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("~"), "'~'");
        assert_eq!(quote("*"), "'*'");
        assert_eq!(quote("{a,b}"), "'{a,b}'");
    }

    #[test]
    fn values_with_line_breaks_or_nul_are_refused() {
        for bad in ["a\nb", "a\rb", "a\0b"] {
            assert!(shell_value(&Value::from(bad)).is_err(), "{bad:?}");
        }
        assert!(shell_value(&Value::from(())).is_err());
        assert_eq!(shell_value(&Value::from(3)).expect("a number"), "3");
        assert_eq!(shell_value(&Value::from("x y")).expect("a string"), "'x y'");
    }

    #[test]
    fn quoted_always_quotes_a_string_and_never_a_number() {
        let quoted = |v: Value| quoted_filter(&v).expect("quoted").to_string();
        assert_eq!(quoted(Value::from("jobs")), "'jobs'");
        assert_eq!(quoted(Value::from("a b")), "'a b'");
        assert_eq!(quoted(Value::from("it's")), r"'it'\''s'");
        assert_eq!(quoted(Value::from("")), "''");
        assert_eq!(quoted(Value::from(3)), "3");
        assert!(quoted_filter(&Value::from("a\nb")).is_err());
    }

    /// What bash makes of each quoted word: exactly the original text.
    #[test]
    fn bash_reads_every_quoted_word_back_exactly() {
        let samples = [
            "plain",
            "",
            " ",
            "a b",
            "'",
            "''",
            "\\",
            "\"",
            "$HOME",
            "${x}",
            "$(id)",
            "`id`",
            "a;b",
            "a|b",
            "a&b",
            "*",
            "?",
            "[a]",
            "{a,b}",
            "~",
            "!x",
            "#x",
            "a\tb",
            "é ✓ 🚀",
            "-n",
            "--",
            "x=y",
            "'\\''",
            "\u{7f}\u{85}\u{2028}\u{feff}",
        ];
        let script: String = samples
            .iter()
            .map(|s| format!("printf '%s\\0' {}\n", quote(s)))
            .collect();
        let output = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash runs");
        assert!(output.status.success(), "{output:?}");
        let words: Vec<String> = output
            .stdout
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        assert_eq!(&words[..samples.len()], samples);
    }
}
