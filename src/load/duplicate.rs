//! Where a duplicated key was first defined. The TOML parser reports only the second
//! definition; the first is found by parsing the file again with the duplicate renamed (to
//! learn the table it belongs to) and looking the key up in that table.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A bare key no platform file uses, put in place of the duplicate.
const MARKER: &str = "platgen-duplicate-key-marker";

/// One step from a table or array to a child.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of the key named `key` in `table` (the first one found).
fn path_of(table: &DeTable<'_>, key: &str) -> Option<Vec<Step>> {
    for (name, value) in table {
        if name.get_ref() == key {
            return Some(vec![Step::Key(key.to_owned())]);
        }
        if let Some(mut rest) = path_in_value(value, key) {
            rest.insert(0, Step::Key(name.get_ref().to_string()));
            return Some(rest);
        }
    }
    None
}

fn path_in_value(value: &Spanned<DeValue<'_>>, key: &str) -> Option<Vec<Step>> {
    match value.get_ref() {
        DeValue::Table(table) => path_of(table, key),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            let mut rest = path_in_value(item, key)?;
            rest.insert(0, Step::Index(index));
            Some(rest)
        }),
        _ => None,
    }
}

/// The span of the key at `path` (the last step names it) in `table`.
fn key_span(table: &DeTable<'_>, path: &[Step], name: &str) -> Option<Range<usize>> {
    let (last, parents) = path.split_last()?;
    if !matches!(last, Step::Key(_)) {
        return None;
    }
    let mut current = table;
    let mut steps = parents.iter().peekable();
    while let Some(step) = steps.next() {
        let Step::Key(key) = step else { return None };
        let mut value = current.get(key.as_str())?;
        while let Some(Step::Index(index)) = steps.peek() {
            let DeValue::Array(items) = value.get_ref() else {
                return None;
            };
            value = items.get(*index)?;
            steps.next();
        }
        let DeValue::Table(table) = value.get_ref() else {
            return None;
        };
        current = table;
    }
    current
        .iter()
        .find(|(key, _)| key.get_ref() == name)
        .map(|(key, _)| key.span())
}

/// The name of a duplicated key (its text at `span` unquoted) and the span of its first
/// definition in `text`.
pub fn first_definition(text: &str, span: Range<usize>) -> Option<(String, Range<usize>)> {
    let written = text.get(span.clone())?;
    let name = DeTable::parse(&format!("{written} = 0"))
        .ok()?
        .get_ref()
        .iter()
        .next()
        .map(|(key, _)| key.get_ref().to_string())?;
    let renamed = format!("{}{MARKER}{}", &text[..span.start], &text[span.end..]);
    let (table, _) = DeTable::parse_recoverable(&renamed);
    let path = path_of(table.get_ref(), MARKER)?;
    let (_, parents) = path.split_last()?;
    let mut original: Vec<Step> = parents.iter().map(clone_step).collect();
    original.push(Step::Key(name.clone()));
    // Only what comes before the duplicate: there the first definition is the only one.
    let (before, _) = DeTable::parse_recoverable(&text[..span.start]);
    key_span(before.get_ref(), &original, &name)
        .or_else(|| {
            let (whole, _) = DeTable::parse_recoverable(text);
            key_span(whole.get_ref(), &original, &name).filter(|first| *first != span)
        })
        .filter(|first| first.start < span.start)
        .map(|first| (name, first))
}

fn clone_step(step: &Step) -> Step {
    match step {
        Step::Key(key) => Step::Key(key.clone()),
        Step::Index(index) => Step::Index(*index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<(String, usize)> {
        let error = DeTable::parse(text).expect_err("a duplicate");
        let (name, span) = first_definition(text, error.span()?)?;
        Some((name, text[..span.start].matches('\n').count() + 1))
    }

    #[test]
    fn finds_the_first_definition_of_keys_and_tables() {
        assert_eq!(first("[a]\nx = 1\ny = 2\nx = 3\n"), Some(("x".into(), 2)));
        assert_eq!(
            first("[services.api]\nx = 1\n[dependencies.api]\nz = 1\n[services.api]\ny = 2\n"),
            Some(("api".into(), 1))
        );
        assert_eq!(first("a = { b = 1, b = 2 }\n"), Some(("b".into(), 1)));
        assert_eq!(
            first("[[t]]\nq = 1\n[[t]]\nq = 2\nq = 3\n"),
            Some(("q".into(), 4))
        );
        assert_eq!(
            first("[c]\n\"bad-name\" = 1\n\n\"bad-name\" = 2\n"),
            Some(("bad-name".into(), 2))
        );
    }
}
