//! What one line of block YAML holds after its indentation: mapping keys, plain, quoted and
//! flow scalars, the end of a value. Each reader takes the text it recognises and returns the
//! rest, or `None` for anything it does not read the way a full parser would.

use std::borrow::Cow;

use super::{Node, Scalar, skip_spaces};

/// After a value on its line: nothing, or spaces and a comment.
pub(super) fn end_of_value(rest: &str) -> Option<()> {
    let trimmed = skip_spaces(rest);
    (trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())).then_some(())
}

/// Splits a mapping entry `key: value` (or `key:`) into its key and the rest after the colon.
pub(super) fn key_split(entry: &str) -> Option<(Cow<'_, str>, &str)> {
    if entry.starts_with('"') {
        let (key, rest) = double_quoted(entry)?;
        let rest = rest.strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest));
    }
    if entry.starts_with('\'') {
        let (key, rest) = single_quoted(entry)?;
        let rest = rest.strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest));
    }
    let colon = colon_space(entry).or_else(|| entry.ends_with(':').then(|| entry.len() - 1))?;
    if space_hash(&entry[..colon]).is_some() {
        return None;
    }
    let key = plain(&entry[..colon], false)?;
    Some((Cow::Borrowed(key), &entry[colon + 1..]))
}

/// Where `: ` first occurs in `text` (a search for the rarer `:`, then a look at what follows).
pub(super) fn colon_space(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find(':') {
        let at = from + at;
        if bytes.get(at + 1) == Some(&b' ') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where ` #` (a comment after a value) first occurs in `text`.
pub(super) fn space_hash(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find('#') {
        let at = from + at;
        if at > 0 && bytes[at - 1] == b' ' {
            return Some(at - 1);
        }
        from = at + 1;
    }
    None
}

/// Validates a plain scalar (in block context, or in a flow sequence when `flow`), returning it
/// without a trailing comment and spaces; `None` for anything a plain scalar cannot hold.
pub(super) fn plain(text: &str, flow: bool) -> Option<&str> {
    let value = match space_hash(text) {
        Some(at) => &text[..at],
        None => text,
    };
    let value = value.trim_end_matches(' ');
    let first = value.chars().next()?;
    let indicator = "-?:,[]{}#&*!|>'\"%@`".contains(first);
    let dash_ok = first == '-' && value[1..].chars().next().is_some_and(|c| c != ' ');
    if (indicator && !dash_ok)
        || colon_space(value).is_some()
        || value.ends_with(':')
        || (flow && (value.len() < text.len() || value.contains([',', '[', ']', '{', '}'])))
    {
        return None;
    }
    Some(value)
}

/// A double-quoted scalar at the start of `text` (one line): its value and what follows.
pub(super) fn double_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let body = &text[1..];
    let mut value = String::new();
    let mut chars = body.char_indices();
    let mut copied = 0;
    let mut owned = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let rest = &body[i + 1..];
                let text = if owned {
                    value.push_str(&body[copied..i]);
                    Cow::Owned(value)
                } else {
                    Cow::Borrowed(&body[..i])
                };
                return Some((text, rest));
            }
            '\\' => {
                owned = true;
                value.push_str(&body[copied..i]);
                let (_, escape) = chars.next()?;
                let hex = |digits: usize, chars: &mut std::str::CharIndices<'_>| {
                    let code: String = (0..digits)
                        .filter_map(|_| chars.next())
                        .map(|(_, c)| c)
                        .collect();
                    (code.len() == digits)
                        .then(|| u32::from_str_radix(&code, 16).ok())
                        .flatten()
                        .and_then(char::from_u32)
                };
                let (decoded, width) = match escape {
                    '0' => ('\0', 1),
                    'a' => ('\u{7}', 1),
                    'b' => ('\u{8}', 1),
                    't' => ('\t', 1),
                    'n' => ('\n', 1),
                    'v' => ('\u{b}', 1),
                    'f' => ('\u{c}', 1),
                    'r' => ('\r', 1),
                    'e' => ('\u{1b}', 1),
                    ' ' => (' ', 1),
                    '"' => ('"', 1),
                    '/' => ('/', 1),
                    '\\' => ('\\', 1),
                    'N' => ('\u{85}', 1),
                    '_' => ('\u{a0}', 1),
                    'L' => ('\u{2028}', 1),
                    'P' => ('\u{2029}', 1),
                    'x' => (hex(2, &mut chars)?, 3),
                    'u' => (hex(4, &mut chars)?, 5),
                    'U' => (hex(8, &mut chars)?, 9),
                    _ => return None,
                };
                value.push(decoded);
                copied = i + 1 + width;
            }
            _ => {}
        }
    }
    None
}

/// A single-quoted scalar at the start of `text` (one line): its value and what follows.
pub(super) fn single_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let body = &text[1..];
    let mut value = String::new();
    let mut from = 0;
    loop {
        let at = from + body[from..].find('\'')?;
        if body[at + 1..].starts_with('\'') {
            value.push_str(&body[from..=at]);
            from = at + 2;
        } else {
            let rest = &body[at + 1..];
            if value.is_empty() && from == 0 {
                return Some((Cow::Borrowed(&body[..at]), rest));
            }
            value.push_str(&body[from..at]);
            return Some((Cow::Owned(value), rest));
        }
    }
}

/// A one-line flow sequence of scalars at the start of `text`: its items and what follows.
pub(super) fn flow_seq(text: &str) -> Option<(Vec<Node<'_>>, &str)> {
    let mut rest = skip_spaces(&text[1..]);
    let mut items = Vec::new();
    if let Some(after) = rest.strip_prefix(']') {
        return Some((items, after));
    }
    loop {
        let (item, after) = match rest.as_bytes().first()? {
            b'"' => {
                let (value, after) = double_quoted(rest)?;
                (
                    Scalar {
                        text: value,
                        plain: false,
                    },
                    after,
                )
            }
            b'\'' => {
                let (value, after) = single_quoted(rest)?;
                (
                    Scalar {
                        text: value,
                        plain: false,
                    },
                    after,
                )
            }
            _ => {
                let end = rest.find([',', ']'])?;
                let value = plain(&rest[..end], true)?;
                (
                    Scalar {
                        text: Cow::Borrowed(value),
                        plain: true,
                    },
                    &rest[end..],
                )
            }
        };
        items.push(Node::Scalar(item));
        let after = skip_spaces(after);
        if let Some(after) = after.strip_prefix(']') {
            return Some((items, after));
        }
        rest = skip_spaces(after.strip_prefix(',')?);
        if rest.starts_with(']') {
            return None;
        }
    }
}
