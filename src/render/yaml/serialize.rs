//! A Rust structure written as block YAML through serde, laid out by [`Block`] and its scalars
//! formatted as [`super::block`] formats a template value's: the same text as converting the
//! structure to a template value and printing that, without building the value (for large
//! structures, such as a rules file's tests, the conversion costs more than the writing).
//!
//! Converting to a template value sorts a map's entries by key and keeps one entry per key,
//! while this writes them in the order serde gives them. So a map must come in strictly
//! increasing order of text keys (a `BTreeMap<String, _>`), and a struct variant (which the
//! conversion also sorts) is refused: either is an error, never different text. One thing
//! only this walk knows: a string marked by [`super::as_literal`] is written as a literal
//! block, as the `literal` filter writes it; the template value has it as a plain string,
//! which [`super::block`] writes quoted, and both read back as the same string.

use std::fmt::Display;

use serde::ser::{self, Serialize};

use super::float;
use super::layout::{Block, Kind, Open, Slot};

/// The name [`super::as_literal`] gives the string it marks: no Rust type has it.
pub(super) const LITERAL: &str = "\u{1}platgen::yaml::Literal";

/// Why a structure cannot be written.
#[derive(Debug)]
pub(super) struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// `value` as block YAML, every line indented by `indent` (see the module documentation).
pub(super) fn block_of(value: &impl Serialize, indent: usize) -> Result<String, String> {
    let mut block = Block::default();
    value
        .serialize(Writer {
            block: &mut block,
            slot: Slot::Top,
            indent,
        })
        .map_err(|e| e.0)?;
    Ok(block.finish())
}

/// Writes one value in its slot.
struct Writer<'b> {
    block: &'b mut Block,
    slot: Slot,
    indent: usize,
}

impl<'b> Writer<'b> {
    fn scalar(self, text: &str) -> Result<(), Error> {
        self.block.scalar(self.slot, self.indent, text);
        Ok(())
    }

    fn integer(self, value: impl TryInto<i64>, as_float: f64) -> Result<(), Error> {
        match value.try_into() {
            Ok(i) => self.scalar(&i.to_string()),
            // As a template value: an integer beyond i64 is printed as a float.
            Err(_) => self.float(as_float),
        }
    }

    fn float(self, value: f64) -> Result<(), Error> {
        let text = float(value).ok_or_else(|| Error(format!("{value} is not a finite number")))?;
        self.scalar(&text)
    }

    fn open(self, kind: Kind) -> Compound<'b> {
        Compound {
            open: Block::open(self.slot, self.indent, kind),
            block: self.block,
            last_key: None,
        }
    }
}

/// The integer methods of [`Writer`].
macro_rules! integers {
    ($($method:ident($type:ty)),*) => {$(
        fn $method(self, v: $type) -> Result<(), Error> {
            self.integer(v, v as f64)
        }
    )*};
}

/// A collection being written.
struct Compound<'b> {
    block: &'b mut Block,
    open: Open,
    /// A map's last key, which the next must follow.
    last_key: Option<String>,
}

impl Compound<'_> {
    fn item(&mut self, value: &(impl Serialize + ?Sized)) -> Result<(), Error> {
        self.block.element(&mut self.open);
        value.serialize(Writer {
            block: self.block,
            slot: Slot::Item,
            indent: self.open.inner(),
        })
    }

    /// Starts a map's next entry with its key; its value follows through [`Compound::value`].
    fn key(&mut self, key: &str) {
        self.block.element(&mut self.open);
        self.block.key(self.open.inner(), key);
    }

    /// Writes the value of the entry whose key was just written.
    fn value(&mut self) -> Writer<'_> {
        Writer {
            block: self.block,
            slot: Slot::Value,
            indent: self.open.inner(),
        }
    }

    fn entry(&mut self, key: &str, value: &(impl Serialize + ?Sized)) -> Result<(), Error> {
        self.key(key);
        value.serialize(self.value())
    }

    fn end(self) -> Result<(), Error> {
        self.block.close(self.open);
        Ok(())
    }
}

/// A tuple variant: the one-entry map around its sequence.
struct Variant<'b> {
    items: Compound<'b>,
    outer: Open,
}

impl<'b> ser::Serializer for Writer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'b>;
    type SerializeTuple = Compound<'b>;
    type SerializeTupleStruct = Compound<'b>;
    type SerializeTupleVariant = Variant<'b>;
    type SerializeMap = Compound<'b>;
    type SerializeStruct = Compound<'b>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(if v { "true" } else { "false" })
    }
    integers!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128)
    );
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.block.string(self.slot, self.indent, v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(Error("bytes cannot be written to YAML".to_owned()))
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if name == LITERAL {
            let mut text = String::new();
            value.serialize(Text(&mut text))?;
            self.block.literal(self.slot, self.indent, &text);
            return Ok(());
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        // As the conversion makes it: the one-entry map `{variant: value}`.
        let mut map = self.open(Kind::Map);
        map.entry(variant, value)?;
        map.end()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'b>, Error> {
        Ok(self.open(Kind::Seq))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'b>, Error> {
        Ok(self.open(Kind::Seq))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'b>, Error> {
        Ok(self.open(Kind::Seq))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<'b>, Error> {
        // The one-entry map `{variant: [items]}`, its sequence open under the key.
        let mut map = self.open(Kind::Map);
        map.key(variant);
        let items = Block::open(Slot::Value, map.open.inner(), Kind::Seq);
        let Compound { block, open, .. } = map;
        Ok(Variant {
            items: Compound {
                block,
                open: items,
                last_key: None,
            },
            outer: open,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'b>, Error> {
        Ok(self.open(Kind::Map))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'b>, Error> {
        Ok(self.open(Kind::Map))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error(format!(
            "{name}::{variant}: a struct variant cannot be written as typed YAML (its fields would be sorted as a template value)"
        )))
    }
}

/// The sequences: each element an item.
macro_rules! items {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        }
    )*};
}

items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeTupleVariant for Variant<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.item(value)
    }
    fn end(self) -> Result<(), Error> {
        let Compound { block, open, .. } = self.items;
        block.close(open);
        block.close(self.outer);
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entry(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let mut text = String::new();
        key.serialize(Text(&mut text))?;
        if self.last_key.as_ref().is_some_and(|last| *last >= text) {
            return Err(Error(format!(
                "map key {text:?} comes after {:?}: typed YAML takes maps in key order (a BTreeMap), as a template value sorts them",
                self.last_key.as_deref().unwrap_or_default()
            )));
        }
        self.key(&text);
        self.last_key = Some(text);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(self.value())
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// Methods of [`Text`] for a scalar that is not text.
macro_rules! refuse {
    ($($method:ident($type:ty)),*) => {$(
        fn $method(self, _v: $type) -> Result<(), Error> {
            Err(not_text())
        }
    )*};
}

/// Reads what must be text: a map key, or a string to write as a literal block.
struct Text<'a>(&'a mut String);

fn not_text() -> Error {
    Error("typed YAML takes maps with text keys only (and literal blocks of text)".to_owned())
}

impl ser::Serializer for Text<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8])
    );
    fn serialize_none(self) -> Result<(), Error> {
        Err(not_text())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(not_text())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_text())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(not_text())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(not_text())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_text())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_text())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_text())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_text())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_text())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(not_text())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_text())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use minijinja::value::{Serde, Value};
    use serde::Serialize;

    use super::block_of;
    use crate::render::yaml::block;

    /// The text of `value` written directly, and made a template value first.
    fn both(value: &impl Serialize, indent: usize) -> (Result<String, String>, String) {
        let converted = block(&Value::from(Serde(value)), indent).expect("a template value");
        (block_of(value, indent), converted)
    }

    fn assert_same(value: &impl Serialize) {
        for indent in [0, 2, 6] {
            let (direct, converted) = both(value, indent);
            assert_eq!(direct.as_deref(), Ok(converted.as_str()), "indent {indent}");
        }
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(Vec<u8>),
        Tuple(u8, Option<String>),
        Empty(Vec<u8>),
    }

    #[derive(Serialize)]
    struct Unit;

    /// A map of lists, deep inside lists of lists.
    type Entries = BTreeMap<&'static str, Vec<u8>>;

    #[derive(Serialize)]
    struct Wrapper(String);

    #[derive(Serialize)]
    struct Pair(i8, f32);

    #[derive(Serialize)]
    struct Everything {
        text: Vec<&'static str>,
        numbers: (i64, u64, f64, f64, f32),
        /// Integers beyond i64, written as floats (as a template value prints them); JSON has
        /// no room for them, so the read-back test leaves them out.
        #[serde(skip_serializing_if = "Option::is_none")]
        wide: Option<(u64, i128, u128)>,
        flags: (bool, bool, char, char),
        nothing: (Option<u8>, (), Unit),
        wrapped: Wrapper,
        pair: Pair,
        shapes: Vec<Shape>,
        labels: BTreeMap<String, String>,
        empty_map: BTreeMap<String, u8>,
        empty_seq: Vec<u8>,
        nested: Vec<Vec<Vec<Entries>>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
    }

    /// A struct with a flattened map is a map to serde, so its keys must come in order too.
    #[derive(Serialize)]
    struct Flat {
        a: u8,
        #[serde(flatten)]
        rest: BTreeMap<String, Vec<Option<u8>>>,
    }

    fn everything() -> Everything {
        Everything {
            text: vec![
                "plain",
                "yes",
                "0755",
                "a: b",
                "",
                "line\nbreak",
                "é\u{85}",
                "{{ x }}",
                "- x",
            ],
            numbers: (-7, 42, 0.999, 2.0, 0.5),
            wide: Some((u64::MAX, i128::MIN, u128::MAX)),
            flags: (true, false, 'y', '#'),
            nothing: (None, (), Unit),
            wrapped: Wrapper("~".to_owned()),
            pair: Pair(-1, 1.25),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(vec![1, 2]),
                Shape::Tuple(3, Some("no".to_owned())),
                Shape::Tuple(4, None),
                Shape::Empty(vec![]),
            ],
            labels: BTreeMap::from([
                ("env".to_owned(), "production".to_owned()),
                ("on".to_owned(), "true".to_owned()),
                ("zé".to_owned(), "8080".to_owned()),
            ]),
            empty_map: BTreeMap::new(),
            empty_seq: vec![],
            nested: vec![
                vec![
                    vec![BTreeMap::from([("a", vec![1]), ("b", vec![])])],
                    vec![],
                ],
                vec![],
                vec![vec![BTreeMap::new()]],
            ],
            skipped: None,
        }
    }

    /// Every serde construct the writer takes, in every slot a value can stand in (the whole
    /// block, under a key, a sequence item, the first item of an item), as scalars and as
    /// empty and non-empty collections: written directly or as a template value, the same.
    #[test]
    fn a_structure_is_written_as_its_template_value_is() {
        assert_same(&everything());
        assert_same(&vec![everything(), everything()]);
        assert_same(&vec![vec![everything()]]);
        assert_same(&"a scalar on its own");
        assert_same(&Vec::<u8>::new());
        assert_same(&BTreeMap::<String, u8>::new());
        assert_same(&Shape::Newtype(vec![]));
        assert_same(&Some(vec![Shape::Unit]));
        assert_same(&Flat {
            a: 1,
            rest: BTreeMap::from([
                ("extra".to_owned(), vec![Some(1), None]),
                ("more".to_owned(), vec![]),
            ]),
        });
    }

    /// Each construct also reads back, through a full YAML parser, as the structure's JSON.
    #[test]
    fn a_structure_reads_back_as_itself() {
        let value = Everything {
            wide: None,
            ..everything()
        };
        let text = block_of(&value, 0).expect("written");
        let back: serde_json::Value = serde_saphyr::from_str(&text).expect(&text);
        let json = serde_json::to_value(&value).expect("json");
        assert_eq!(back, json, "{text}");
    }

    #[test]
    fn what_a_template_value_would_write_otherwise_is_refused() {
        #[derive(Serialize)]
        enum Fields {
            Variant { b: u8, a: u8 },
        }
        let unsorted = indexmap::IndexMap::from([("b", 1), ("a", 2)]);
        let refused: [(Result<String, String>, &str); 5] = [
            (block_of(&unsorted, 0), "comes after"),
            (
                block_of(&Fields::Variant { b: 1, a: 2 }, 0),
                "struct variant",
            ),
            (block_of(&BTreeMap::from([(1, 2)]), 0), "text keys"),
            (block_of(&serde_bytes_like(), 0), "bytes"),
            (block_of(&f64::NAN, 0), "not a finite number"),
        ];
        for (result, why) in refused {
            let error = result.expect_err(why);
            assert!(error.contains(why), "{error}");
        }
    }

    /// A value serde writes as bytes.
    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(b"\x00")
            }
        }
        Bytes
    }

    #[derive(Serialize)]
    struct Expressions {
        #[serde(serialize_with = "crate::render::yaml::as_literal")]
        expr: String,
        #[serde(serialize_with = "crate::render::yaml::as_literal")]
        one_line: String,
        /// Text a literal block cannot hold exactly: written quoted.
        #[serde(serialize_with = "crate::render::yaml::as_literal")]
        trailing_blank: String,
        items: Vec<Line>,
    }

    #[derive(Serialize)]
    struct Line(#[serde(serialize_with = "crate::render::yaml::as_literal")] String);

    /// A string marked with `as_literal` is a literal block, its lines two spaces in from its
    /// key or its `- `, where one holds it exactly; a template value has it as a plain string.
    /// Both read back as the same tree.
    #[test]
    fn a_marked_string_is_a_literal_block() {
        let value = Expressions {
            expr: "sum(rate(x{a=\"b: c\"}[5m]))\n/\n\nsum(rate(y[5m])) > 0.05".to_owned(),
            one_line: "up == 0".to_owned(),
            trailing_blank: "a \nb".to_owned(),
            items: vec![Line("x\ny".to_owned()), Line(String::new())],
        };
        let direct = block_of(&value, 2).expect("written");
        assert_eq!(
            direct,
            "  expr: |-\n    sum(rate(x{a=\"b: c\"}[5m]))\n    /\n\n    sum(rate(y[5m])) > 0.05\n  one_line: |-\n    up == 0\n  trailing_blank: \"a \\nb\"\n  items:\n  - |-\n    x\n    y\n  - \"\""
        );
        let (_, converted) = both(&value, 2);
        let read = |text: &str| -> serde_json::Value {
            serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
        };
        assert_eq!(read(&direct), read(&converted));
        assert_eq!(read(&direct), serde_json::to_value(&value).expect("json"));
    }
}
