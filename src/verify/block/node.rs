//! The tree the reader builds, and which plain scalars a YAML schema reads as something other
//! than a string.

use std::borrow::Cow;

/// A parsed node.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// An empty value (`key:` with nothing under it).
    Empty,
    /// A scalar.
    Scalar(Scalar<'a>),
    /// A sequence.
    Seq(Vec<Node<'a>>),
    /// A mapping, in document order.
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// A scalar's text and whether it was plain (unquoted, so possibly a number, bool or null).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar<'a> {
    /// The scalar's value.
    pub text: Cow<'a, str>,
    /// Whether it was written unquoted.
    pub plain: bool,
}

impl<'a> Node<'a> {
    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn items(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a scalar that is certainly a string: quoted, a block scalar, or plain text
    /// that no YAML schema reads as a null, bool or number.
    pub fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) if !s.plain || !could_be_typed(&s.text) => Some(&s.text),
            _ => None,
        }
    }
}

/// The words only YAML 1.1 reads as booleans; YAML 1.2 (serde-saphyr, GitHub Actions' `on:`)
/// reads them as strings.
const YAML_1_1_BOOLS: &[&str] = &["yes", "no", "on", "off", "y", "n"];

/// Whether a plain scalar might be read as something other than a string (by the YAML 1.2 core
/// schema or the YAML 1.1 one): then it does not count as text.
fn could_be_typed(text: &str) -> bool {
    typed_key(text) || YAML_1_1_BOOLS.iter().any(|w| w.eq_ignore_ascii_case(text))
}

/// Whether a plain scalar may be one YAML 1.2 reads as a null, a bool or a number (`~`, `true`,
/// `1`, `0x1`, `.5`). As a mapping key it is then no string, and two spellings of one number
/// are one key, so a mapping holding one is left to the full parser.
pub(super) fn typed_key(text: &str) -> bool {
    const WORDS: &[&str] = &["", "~", "null", "true", "false"];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(text))
        || text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
}
