//! Rules on values that reach PromQL and Grafana queries verbatim: a regular expression must
//! parse as RE2 (Prometheus' syntax; the `regex` crate's parser is close enough), and no value
//! may hold text Grafana replaces with a dashboard variable.

use std::ops::Range;

use regex_syntax::ast::Ast;
use regex_syntax::ast::parse::Parser;

use super::span_within;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::PlatformSpec;

/// The first syntax error of a regular expression, with the byte range it concerns.
pub fn regex_problem(pattern: &str) -> Option<(String, Range<usize>)> {
    let ast = match Parser::new().parse(pattern) {
        Ok(ast) => ast,
        Err(error) => {
            let span = error.span();
            return Some((error.kind().to_string(), span.start.offset..span.end.offset));
        }
    };
    nested_repetition(&ast).map(|span| {
        (
            "invalid nested repetition operator (Prometheus' Go RE2 rejects it)".to_owned(),
            span.start.offset..span.end.offset,
        )
    })
}

/// A repetition applied straight to another (`5**`, `5+*`): the `regex` crate accepts it, Go's
/// RE2, which Prometheus uses, does not. A lazy `?` (`5*?`) is part of its operator, not a second
/// repetition.
fn nested_repetition(ast: &Ast) -> Option<regex_syntax::ast::Span> {
    match ast {
        Ast::Repetition(rep) => match rep.ast.as_ref() {
            Ast::Repetition(_) => Some(rep.op.span),
            inner => nested_repetition(inner),
        },
        Ast::Group(group) => nested_repetition(&group.ast),
        Ast::Concat(concat) => concat.asts.iter().find_map(nested_repetition),
        Ast::Alternation(alt) => alt.asts.iter().find_map(nested_repetition),
        _ => None,
    }
}

/// The first text Grafana would replace with a variable: `$name`, `${…}` or `[[name…`.
pub fn grafana_variable(value: &str) -> Option<Range<usize>> {
    let bytes = value.as_bytes();
    let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    (0..bytes.len()).find_map(|i| {
        let variable = match bytes[i] {
            b'$' => word(bytes.get(i + 1)) || bytes.get(i + 1) == Some(&b'{'),
            b'[' => bytes.get(i + 1) == Some(&b'[') && word(bytes.get(i + 2)),
            _ => false,
        };
        variable.then(|| i..(i + 3).min(value.len()))
    })
}

/// Checks `[observability.metrics] error_status`, the status regex of every error query.
pub(super) fn check_metrics(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let ptr = "/observability/metrics/error_status";
    let pattern = &spec.observability.metrics.error_status;
    if let Some((problem, range)) = regex_problem(pattern) {
        out.push(
            Diagnostic::error(
                "E0319",
                format!("`error_status = \"{pattern}\"` is not a valid regular expression: {problem}"),
            )
            .at(span_within(doc, ptr, pattern, range))
            .label(problem)
            .help("it is matched against the status label in PromQL (`status=~\"…\"`, RE2 syntax, anchored at both ends): e.g. `5..` for every 5xx status, or `5..|429`"),
        );
    } else if let Some(range) = grafana_variable(pattern) {
        out.push(
            Diagnostic::error(
                "E0319",
                format!("`error_status = \"{pattern}\"` holds `{}`, which Grafana replaces with a dashboard variable", &pattern[range.clone()]),
            )
            .at(span_within(doc, ptr, pattern, range))
            .label("a variable reference to Grafana")
            .help("the dashboards' queries would not match what the alerts match: write a literal `$` as `[$]` and `[[` as `[\\[]`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{grafana_variable, regex_problem};

    #[test]
    fn status_patterns_parse_as_re2() {
        for ok in [
            "5..",
            "5..|429",
            "5[0-9]{2}",
            "(5|4)\\d\\d",
            "[[:digit:]]+",
            "5..$",
        ] {
            assert_eq!(regex_problem(ok), None, "{ok}");
        }
        for nested in ["5**", "5+*", "(5..)*+", "5{2}*"] {
            let (problem, _) = regex_problem(nested).expect(nested);
            assert!(problem.contains("nested repetition"), "{nested}: {problem}");
        }
        assert_eq!(
            regex_problem("5*?"),
            None,
            "a lazy repetition is one operator"
        );
        let (problem, at) = regex_problem("5[").expect("unclosed class");
        assert!(problem.contains("unclosed character class"), "{problem}");
        assert_eq!(at, 1..2);
        assert!(regex_problem("5(..").is_some());
        assert!(regex_problem("(?=5)..").is_some(), "look-around is not RE2");
        assert!(
            regex_problem("(5)\\1").is_some(),
            "back-references are not RE2"
        );
    }

    #[test]
    fn grafana_variables_are_found() {
        assert_eq!(grafana_variable("5..$"), None);
        assert_eq!(grafana_variable("[[:digit:]]{3}"), None);
        assert_eq!(grafana_variable("[$]x"), None);
        assert_eq!(grafana_variable("5..|$env"), Some(4..7));
        assert_eq!(grafana_variable("${x}"), Some(0..3));
        assert_eq!(grafana_variable("[[status]]"), Some(0..3));
        assert_eq!(grafana_variable("$__rate_interval"), Some(0..3));
    }

    #[test]
    fn a_bad_status_regex_is_reported_at_the_value() {
        let text = format!(
            "{}\n[observability.metrics]\nerror_status = \"5[\"\n",
            include_str!("../../tests/fixtures/small.toml")
        );
        let found = super::super::problems_with("E0319", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 33);
        assert!(found[0].1.contains("unclosed character class"), "{found:?}");
        let text = format!(
            "{}\n[observability.metrics]\nerror_status = \"5..|[[code]]\"\n",
            include_str!("../../tests/fixtures/small.toml")
        );
        let found = super::super::problems_with("E0319", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("Grafana replaces"), "{found:?}");
    }
}
