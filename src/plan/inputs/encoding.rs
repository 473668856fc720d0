//! The bytes a part of the model is digested from: its serde serialisation in a compact,
//! self-delimiting encoding (see [`encode`]).
//!
//! A part's digest only has to tell its values apart, so what JSON spends most of its time on
//! (escaping strings, printing numbers in decimal) buys nothing here. Every value starts with a
//! tag that says how it goes on: a string or a name carries its length, a number its fixed-width
//! bytes, and each item, field or entry of a compound value is preceded by [`ITEM`] and the
//! last one followed by [`END`], so a sequence or map of unknown length (`#[serde(flatten)]`)
//! ends unambiguously and a field that `skip_serializing_if` leaves out is simply absent, its
//! neighbours still named. No encoding is a prefix of another's, so two different values of a
//! type never encode to the same bytes.

use serde::ser::{self, Serialize};

/// Before each item of a sequence, field of a struct or entry of a map.
const ITEM: u8 = 0x01;
/// After the last item, field or entry.
const END: u8 = 0x00;

/// Appends the encoding of `value` to `out`; an error when `value` refuses to serialise.
pub fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    value.serialize(&mut Encoder { out })
}

/// Why a value could not be encoded: its own `Serialize` failed.
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

struct Encoder<'o> {
    out: &'o mut Vec<u8>,
}

impl Encoder<'_> {
    /// A length, in LEB128: seven bits a byte, the high bit set on all but the last.
    fn len(&mut self, mut n: usize) {
        while n >= 0x80 {
            self.out.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.out.push(n as u8);
    }

    fn text(&mut self, tag: u8, text: &[u8]) {
        self.out.push(tag);
        self.len(text.len());
        self.out.extend_from_slice(text);
    }

    fn fixed(&mut self, tag: u8, bytes: &[u8]) {
        self.out.push(tag);
        self.out.extend_from_slice(bytes);
    }

    /// A compound value's start: its tag, then the variant's name for an enum's.
    fn open(&mut self, tag: u8, variant: Option<&str>) -> &mut Self {
        match variant {
            Some(variant) => self.text(tag, variant.as_bytes()),
            None => self.out.push(tag),
        }
        self
    }
}

impl<'e, 'o> ser::Serializer for &'e mut Encoder<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = &'e mut Encoder<'o>;
    type SerializeTuple = &'e mut Encoder<'o>;
    type SerializeTupleStruct = &'e mut Encoder<'o>;
    type SerializeTupleVariant = &'e mut Encoder<'o>;
    type SerializeMap = &'e mut Encoder<'o>;
    type SerializeStruct = &'e mut Encoder<'o>;
    type SerializeStructVariant = &'e mut Encoder<'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.fixed(b'b', &[u8::from(v)]);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.fixed(b'i', &v.to_le_bytes());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.fixed(b'I', &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.fixed(b'u', &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.fixed(b'U', &v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.fixed(b'F', &v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.fixed(b'f', &v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.fixed(b'c', &u32::from(v).to_le_bytes());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.text(b's', v.as_bytes());
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.text(b'y', v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.push(b'n');
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.out.push(b'o');
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push(b'z');
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.text(b'e', variant.as_bytes());
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.text(b'E', variant.as_bytes());
        value.serialize(self)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Ok(self.open(b'[', None))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Ok(self.open(b'[', None))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Ok(self.open(b'[', None))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Ok(self.open(b'T', Some(variant)))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Ok(self.open(b'{', None))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Ok(self.open(b'{', None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Ok(self.open(b'W', Some(variant)))
    }
}

/// Items: each after [`ITEM`], the last followed by [`END`].
impl Encoder<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.out.push(ITEM);
        value.serialize(self)
    }

    fn end(&mut self) {
        self.out.push(END);
    }

    /// A struct's field: its name as a string, then its value, so a skipped field is told
    /// apart from its neighbours. A map's entries read the same, with their keys.
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.out.push(ITEM);
        self.text(b's', key.as_bytes());
        value.serialize(self)
    }
}

/// The compound values whose items are values alone: each after [`ITEM`] (see
/// [`Encoder::item`]), the last followed by [`END`].
macro_rules! items {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Encoder<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(value)
            }
            fn end(self) -> Result<(), Error> {
                Encoder::end(self);
                Ok(())
            }
        }
    )*};
}

items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The compound values of named fields: each field's name, then its value (see
/// [`Encoder::field`]).
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for &mut Encoder<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                Encoder::end(self);
                Ok(())
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for &mut Encoder<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.item(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        Encoder::end(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::{Map, Number, Value};

    use super::{END, ITEM, encode};

    /// Reads an encoding back as the JSON value `serde_json::to_value` makes of the same value:
    /// where this succeeds, equal encodings mean equal JSON, so a digest of the encoding tells
    /// apart at least what a digest of the JSON did.
    struct Decoder<'b> {
        bytes: &'b [u8],
    }

    impl Decoder<'_> {
        fn byte(&mut self) -> u8 {
            let (first, rest) = self.bytes.split_first().expect("a byte");
            self.bytes = rest;
            *first
        }

        fn take<const N: usize>(&mut self) -> [u8; N] {
            let (head, rest) = self.bytes.split_at(N);
            self.bytes = rest;
            head.try_into().expect("N bytes")
        }

        fn len(&mut self) -> usize {
            let (mut n, mut shift) = (0, 0);
            loop {
                let byte = self.byte();
                n |= usize::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    return n;
                }
                shift += 7;
            }
        }

        fn text(&mut self) -> String {
            let len = self.len();
            let (text, rest) = self.bytes.split_at(len);
            self.bytes = rest;
            String::from_utf8(text.to_vec()).expect("UTF-8")
        }

        fn items(&mut self) -> Vec<Value> {
            let mut items = Vec::new();
            while self.byte() == ITEM {
                items.push(self.value());
            }
            items
        }

        fn entries(&mut self) -> Map<String, Value> {
            let mut entries = Map::new();
            while self.byte() == ITEM {
                let key = match self.value() {
                    Value::String(key) => key,
                    other => other.to_string(),
                };
                entries.insert(key, self.value());
            }
            entries
        }

        fn value(&mut self) -> Value {
            let tag = self.byte();
            match tag {
                b'b' => Value::Bool(self.byte() == 1),
                b'i' => Value::from(i64::from_le_bytes(self.take())),
                b'u' => Value::from(u64::from_le_bytes(self.take())),
                b'I' => Value::from(i64::try_from(i128::from_le_bytes(self.take())).expect("i64")),
                b'U' => Value::from(u64::try_from(u128::from_le_bytes(self.take())).expect("u64")),
                b'f' => Number::from_f64(f64::from_bits(u64::from_le_bytes(self.take())))
                    .map_or(Value::Null, Value::Number),
                b'F' => Value::from(f32::from_bits(u32::from_le_bytes(self.take()))),
                b'c' => Value::from(
                    char::from_u32(u32::from_le_bytes(self.take()))
                        .expect("char")
                        .to_string(),
                ),
                b's' | b'e' => Value::String(self.text()),
                b'y' => {
                    let len = self.len();
                    let (bytes, rest) = self.bytes.split_at(len);
                    self.bytes = rest;
                    Value::from(bytes.to_vec())
                }
                b'n' | b'z' => Value::Null,
                b'o' => self.value(),
                b'E' => {
                    let variant = self.text();
                    Value::Object(Map::from_iter([(variant, self.value())]))
                }
                b'[' => Value::Array(self.items()),
                b'T' => {
                    let variant = self.text();
                    Value::Object(Map::from_iter([(variant, Value::Array(self.items()))]))
                }
                b'{' => Value::Object(self.entries()),
                b'W' => {
                    let variant = self.text();
                    Value::Object(Map::from_iter([(variant, Value::Object(self.entries()))]))
                }
                other => panic!("no value starts with {other:#04x}"),
            }
        }
    }

    fn encoded<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out).expect("encodes");
        out
    }

    /// `value`'s encoding reads back, to its last byte, as its JSON value.
    fn assert_reads_back_as_json<T: Serialize + ?Sized>(value: &T) {
        let bytes = encoded(value);
        let mut decoder = Decoder { bytes: &bytes };
        let decoded = decoder.value();
        assert!(decoder.bytes.is_empty(), "bytes left over");
        assert_eq!(decoded, serde_json::to_value(value).expect("JSON"));
    }

    #[derive(Serialize)]
    enum Kind {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { a: Option<bool> },
    }

    #[derive(Serialize)]
    struct Inner {
        x: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        y: Option<String>,
    }

    #[derive(Serialize)]
    struct Outer {
        #[serde(skip_serializing_if = "Option::is_none")]
        first: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        second: Option<String>,
        #[serde(flatten)]
        inner: Inner,
        kinds: Vec<Kind>,
        by_number: BTreeMap<u32, f64>,
        unit: (),
        letter: char,
        pair: (i8, Newtype),
        big: i128,
    }

    #[derive(Serialize)]
    struct Newtype(Vec<Vec<String>>);

    /// Two fields either of which may be left out: a struct, not a map (no `flatten`).
    #[derive(Serialize)]
    struct Skips {
        #[serde(skip_serializing_if = "Option::is_none")]
        first: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        second: Option<u8>,
    }

    fn outer(first: Option<&str>, second: Option<&str>) -> Outer {
        Outer {
            first: first.map(str::to_owned),
            second: second.map(str::to_owned),
            inner: Inner {
                x: 7,
                y: Some("\u{0}\u{1}{".to_owned()),
            },
            kinds: vec![
                Kind::Unit,
                Kind::Newtype(3),
                Kind::Tuple(-4, "t".to_owned()),
                Kind::Struct { a: None },
                Kind::Struct { a: Some(false) },
            ],
            by_number: BTreeMap::from([(1, 1.0), (2, -0.5), (3, f64::NAN)]),
            unit: (),
            letter: 'é',
            pair: (-1, Newtype(vec![vec![], vec!["ab".to_owned()]])),
            big: -(1 << 40),
        }
    }

    #[test]
    fn every_kind_of_value_reads_back_as_its_json() {
        assert_reads_back_as_json(&outer(Some("a"), None));
        assert_reads_back_as_json(&outer(None, Some("a")));
        for (first, second) in [
            (None, None),
            (Some(1), None),
            (None, Some(1)),
            (Some(1), Some(2)),
        ] {
            assert_reads_back_as_json(&Skips { first, second });
        }
        for len in [0, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            assert_reads_back_as_json(&"x".repeat(len));
        }
        assert_reads_back_as_json(
            &serde_json::json!({"b": [1, -2, 2.5, null, {"": true}], "a": "\""}),
        );
    }

    /// The parts of real platforms: every shared, environment and service part and every image,
    /// as the planner digests them.
    #[test]
    fn the_parts_of_every_example_platform_read_back_as_their_json() {
        for source in crate::testing::example_platforms() {
            let (_, platform) = crate::analyse(source).expect("valid");
            assert_reads_back_as_json(&platform);
            for env in &platform.environments {
                assert_reads_back_as_json(env);
                env.services.iter().for_each(assert_reads_back_as_json);
            }
            platform.builds.iter().for_each(assert_reads_back_as_json);
        }
    }

    #[test]
    fn values_that_naive_encodings_confuse_are_told_apart() {
        let distinct: Vec<Vec<u8>> = vec![
            encoded(&outer(Some("a"), None)),
            encoded(&outer(None, Some("a"))),
            encoded(&Skips {
                first: Some(1),
                second: None,
            }),
            encoded(&Skips {
                first: None,
                second: Some(1),
            }),
            encoded(&vec!["ab"]),
            encoded(&vec!["a", "b"]),
            encoded(&vec![vec![1u8], vec![]]),
            encoded(&vec![vec![], vec![1u8]]),
            encoded(&Some(())),
            encoded(&None::<()>),
            encoded(&()),
            encoded(&1u64),
            encoded(&1i64),
            encoded(&1.0f64),
            encoded(&1.0f32),
            encoded(&"1"),
            encoded(&'1'),
            encoded(&Kind::Unit),
            encoded(&"Unit"),
            encoded(&Kind::Struct { a: None }),
            encoded(&Kind::Newtype(0)),
            encoded(&BTreeMap::from([("Newtype", 0u8)])),
            encoded(&format!("a{}", char::from(ITEM))),
            encoded(&format!("a{}", char::from(END))),
        ];
        for (i, a) in distinct.iter().enumerate() {
            for (j, b) in distinct.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "values {i} and {j} encode alike");
            }
        }
        // What JSON also tells apart is told apart, and nothing of one value is a prefix of another's.
        for (i, a) in distinct.iter().enumerate() {
            for (j, b) in distinct.iter().enumerate() {
                assert!(i == j || !b.starts_with(a), "value {i} starts value {j}");
            }
        }
    }
}
