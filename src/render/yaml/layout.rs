//! The layout of block YAML: where each value's lines go, whichever walk supplies the values (a
//! template value, [`super::block`], or a Rust structure, [`super::serialize`]). Both walks
//! write through [`Block`], so they lay out the same value the same way.
//!
//! A collection under a key starts on the next line: a map's entries two spaces further in, a
//! sequence's items at the key's indentation (the common style). A collection that is a
//! sequence item starts on the item's own line after `- ` (`- - a`, `- key: value`). An empty
//! collection is written `{}` or `[]` where its first line would start, which a walk only knows
//! once the collection ends: so [`Block::open`] writes nothing, and the first element or
//! [`Block::close`] decides.

use super::{literal_fits, push_literal, push_quoted};

/// Where a value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// The whole block, each line indented by `indent`.
    Top,
    /// After `key:` on the current line; `indent` is the key's.
    Value,
    /// A sequence item whose `- ` is at `indent`.
    Item,
}

/// The two kinds of collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Map,
    Seq,
}

/// A collection being written: where it goes, and how many elements it has had.
#[derive(Debug)]
pub(super) struct Open {
    slot: Slot,
    indent: usize,
    kind: Kind,
    elements: usize,
}

impl Open {
    /// The indentation of the collection's entries or items.
    pub(super) fn inner(&self) -> usize {
        match (self.slot, self.kind) {
            (Slot::Top, _) | (Slot::Value, Kind::Seq) => self.indent,
            (Slot::Value, Kind::Map) | (Slot::Item, _) => self.indent + 2,
        }
    }
}

/// The block being written, line by line into one buffer.
#[derive(Debug, Default)]
pub(super) struct Block {
    out: String,
    /// Whether a line was written (the next one needs a line break first).
    started: bool,
    /// Sequence items whose first line is the next one: each `- ` replaces two spaces of its
    /// indentation (`- - a` for a sequence that is the first item of a sequence item).
    dashes: usize,
}

impl Block {
    /// The text written, without a trailing line break.
    pub(super) fn finish(self) -> String {
        self.out
    }

    /// Starts a line indented by `indent`, returning the buffer to write it into.
    fn line(&mut self, indent: usize) -> &mut String {
        if self.started {
            self.out.push('\n');
        }
        self.started = true;
        let dashes = std::mem::take(&mut self.dashes);
        push_spaces(&mut self.out, indent - 2 * dashes);
        for _ in 0..dashes {
            self.out.push_str("- ");
        }
        &mut self.out
    }

    /// Where a scalar in `slot` is written: the buffer, positioned after `key: ` or `- `.
    fn place(&mut self, slot: Slot, indent: usize) -> &mut String {
        match slot {
            Slot::Top => self.line(indent),
            Slot::Value => {
                self.out.push(' ');
                &mut self.out
            }
            Slot::Item => {
                let out = self.line(indent);
                out.push_str("- ");
                out
            }
        }
    }

    /// A scalar already formatted as YAML (a number, `true`, `null`).
    pub(super) fn scalar(&mut self, slot: Slot, indent: usize, text: &str) {
        self.place(slot, indent).push_str(text);
    }

    /// A string, plain or double-quoted as [`super::quote_str`] writes it.
    pub(super) fn string(&mut self, slot: Slot, indent: usize, text: &str) {
        push_quoted(self.place(slot, indent), text);
    }

    /// A string as a literal block, its lines two spaces in from the slot's indentation (for a
    /// value, from its key's), or quoted when a literal block cannot hold it exactly.
    pub(super) fn literal(&mut self, slot: Slot, indent: usize, text: &str) {
        if literal_fits(text) {
            push_literal(self.place(slot, indent), text, indent + 2);
        } else {
            self.string(slot, indent, text);
        }
    }

    /// Opens a collection in `slot`; nothing is written until its first element or its end.
    pub(super) fn open(slot: Slot, indent: usize, kind: Kind) -> Open {
        Open {
            slot,
            indent,
            kind,
            elements: 0,
        }
    }

    /// Starts the next element of `open`: a sequence's item follows (in [`Slot::Item`] at
    /// [`Open::inner`]), or a map's entry (its key written with [`Block::key`]).
    pub(super) fn element(&mut self, open: &mut Open) {
        if open.elements == 0 && open.slot == Slot::Item {
            self.dashes += 1;
        }
        open.elements += 1;
    }

    /// A map entry's key, on its own line at `indent`; its value follows in [`Slot::Value`].
    pub(super) fn key(&mut self, indent: usize, key: &str) {
        let out = self.line(indent);
        push_quoted(out, key);
        out.push(':');
    }

    /// Ends `open`: an empty collection is written `{}` or `[]` in its slot.
    pub(super) fn close(&mut self, open: Open) {
        if open.elements == 0 {
            let text = match open.kind {
                Kind::Map => "{}",
                Kind::Seq => "[]",
            };
            self.scalar(open.slot, open.indent, text);
        }
    }
}

pub(super) fn push_spaces(out: &mut String, count: usize) {
    const SPACES: &str = "                                ";
    let mut left = count;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}
