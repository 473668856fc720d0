//! What one line of block YAML holds after its indentation: mapping keys, plain, quoted and
//! flow scalars, the end of a value. Each reader takes the text it recognises and returns the
//! rest, or `None` for anything it does not read the way a full parser would.

use std::borrow::Cow;

use super::{Node, Scalar, skip_spaces, typed_key};

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
    let colon = key_colon(entry)?;
    let key = plain_marked(&entry[..colon], Marks::NONE, false)?;
    if typed_key(key) {
        return None;
    }
    Some((Cow::Borrowed(key), &entry[colon + 1..]))
}

/// Where the colon of a mapping entry is: the first `: `, or else a `:` ending the line; `None`
/// when there is neither, or a comment (` #`) comes first. The line is read only up to the
/// colon: what follows is the value's to read.
fn key_colon(entry: &str) -> Option<usize> {
    let bytes = entry.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b':' if bytes.get(at + 1).is_none_or(|&next| next == b' ') => return Some(at),
            b'#' if at > 0 && bytes[at - 1] == b' ' => return None,
            _ => {}
        }
    }
    None
}

/// Where `: ` (a mapping's colon) and ` #` (a comment after a value) first occur in a line:
/// one pass over its bytes, both being ASCII and so never part of a multi-byte character.
#[derive(Clone, Copy)]
struct Marks {
    /// Where the `:` of the first `: ` is.
    colon_space: Option<usize>,
    /// Where the space of the first ` #` is.
    space_hash: Option<usize>,
}

impl Marks {
    /// A text holding neither.
    const NONE: Self = Self {
        colon_space: None,
        space_hash: None,
    };

    fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut marks = Self::NONE;
        for (at, &b) in bytes.iter().enumerate() {
            match b {
                b':' if marks.colon_space.is_none() && bytes.get(at + 1) == Some(&b' ') => {
                    marks.colon_space = Some(at);
                    if marks.space_hash.is_some() {
                        break;
                    }
                }
                b'#' if marks.space_hash.is_none() && at > 0 && bytes[at - 1] == b' ' => {
                    marks.space_hash = Some(at - 1);
                    if marks.colon_space.is_some() {
                        break;
                    }
                }
                _ => {}
            }
        }
        marks
    }
}

/// Validates a plain scalar (in block context, or in a flow sequence when `flow`), returning it
/// without a trailing comment and spaces; `None` for anything a plain scalar cannot hold.
pub(super) fn plain(text: &str, flow: bool) -> Option<&str> {
    plain_marked(text, Marks::of(text), flow)
}

/// [`plain`], given the [`Marks`] of `text`.
fn plain_marked(text: &str, marks: Marks, flow: bool) -> Option<&str> {
    let value = match marks.space_hash {
        Some(at) => &text[..at],
        None => text,
    };
    let value = value.trim_end_matches(' ');
    let bytes = value.as_bytes();
    let first = *bytes.first()?;
    let indicator = matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    );
    let dash_ok = first == b'-' && bytes.get(1).is_some_and(|&b| b != b' ');
    // The first `: ` of `text` is inside `value` when it ends there: `value` is a prefix.
    let colon_inside = marks.colon_space.is_some_and(|at| at + 2 <= value.len());
    if (indicator && !dash_ok)
        || colon_inside
        || value.ends_with(':')
        || (flow
            && (value.len() < text.len()
                || value
                    .bytes()
                    .any(|b| matches!(b, b',' | b'[' | b']' | b'{' | b'}'))))
    {
        return None;
    }
    Some(value)
}

/// A double-quoted scalar at the start of `text` (one line): its value and what follows.
pub(super) fn double_quoted(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let body = &text[1..];
    let bytes = body.as_bytes();
    // `"` and `\` are ASCII, never part of a multi-byte character: the text between them is
    // taken whole, a byte scan apart. Most scalars hold no escape and are borrowed.
    let mut value = String::new();
    let (mut copied, mut at) = (0, 0);
    loop {
        let stop = at + memchr::memchr2(b'"', b'\\', &bytes[at..])?;
        if bytes[stop] == b'"' {
            let rest = &body[stop + 1..];
            if copied == 0 {
                return Some((Cow::Borrowed(&body[..stop]), rest));
            }
            value.push_str(&body[copied..stop]);
            return Some((Cow::Owned(value), rest));
        }
        value.push_str(&body[copied..stop]);
        let (decoded, width) = escape(&bytes[stop + 1..])?;
        value.push(decoded);
        at = stop + 1 + width;
        copied = at;
    }
}

/// The character a double-quoted scalar's escape stands for, and how many bytes after the `\`
/// spell it; `None` for an escape YAML does not have.
fn escape(after: &[u8]) -> Option<(char, usize)> {
    let hex = |digits: usize| {
        let code = after.get(1..=digits)?;
        if !code.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let code = std::str::from_utf8(code).ok()?;
        let decoded = char::from_u32(u32::from_str_radix(code, 16).ok()?)?;
        Some((decoded, 1 + digits))
    };
    let simple = |c: char| Some((c, 1));
    match after.first()? {
        b'0' => simple('\0'),
        b'a' => simple('\u{7}'),
        b'b' => simple('\u{8}'),
        b't' => simple('\t'),
        b'n' => simple('\n'),
        b'v' => simple('\u{b}'),
        b'f' => simple('\u{c}'),
        b'r' => simple('\r'),
        b'e' => simple('\u{1b}'),
        b' ' => simple(' '),
        b'"' => simple('"'),
        b'/' => simple('/'),
        b'\\' => simple('\\'),
        b'N' => simple('\u{85}'),
        b'_' => simple('\u{a0}'),
        b'L' => simple('\u{2028}'),
        b'P' => simple('\u{2029}'),
        b'x' => hex(2),
        b'u' => hex(4),
        b'U' => hex(8),
        _ => None,
    }
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
