//! A serializer that writes exactly the bytes `serde_json::to_writer_pretty` writes (two-space
//! indentation, the same escapes, the same numbers), faster on large documents: strings are
//! scanned for characters to escape eight bytes at a time and copied in runs, and output goes
//! through a typed buffer. `--list --format json` of 10,000 tasks prints 6.5 MB; this is how the
//! tool prints every JSON document on stdout.
//!
//! The layout follows serde_json's `PrettyFormatter` step by step, including its single
//! "has a value" flag; floats are formatted by serde_json itself. The tests compare the two
//! serializers on every kind of value serde has (`src/tests/pretty.rs`).

use serde::ser::{self, Serialize};
use std::io::Write;

/// Serialize `value` into `out` as serde_json's pretty printer would.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> std::io::Result<()> {
    let mut ser = Pretty {
        out,
        indent: 0,
        has_value: false,
    };
    value.serialize(&mut ser).map_err(|e| match e {
        Error::Io(e) => e,
        Error::Other(message) => std::io::Error::other(message),
    })
}

/// Why serialization stopped.
#[derive(Debug)]
pub enum Error {
    Io(std::io::Error),
    /// What the value itself could not be written as (a map key that is not a string, say).
    Other(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => e.fmt(f),
            Error::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Other(msg.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

pub struct Pretty<W> {
    out: W,
    indent: usize,
    /// serde_json's flag: set when a value of an array or object ends, cleared when one begins.
    has_value: bool,
}

impl<W: Write> Pretty<W> {
    fn raw(&mut self, bytes: &[u8]) -> Result {
        self.out.write_all(bytes).map_err(Error::Io)
    }

    fn newline_indent(&mut self, first: bool) -> Result {
        self.raw(if first { b"\n" } else { b",\n" })?;
        self.write_indent()
    }

    fn write_indent(&mut self) -> Result {
        const SPACES: &[u8] = &[b' '; 64];
        let mut n = self.indent * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.raw(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn begin(&mut self, open: u8) -> Result {
        self.indent += 1;
        self.has_value = false;
        self.raw(&[open])
    }

    fn end(&mut self, close: u8) -> Result {
        self.indent -= 1;
        if self.has_value {
            self.raw(b"\n")?;
            self.write_indent()?;
        }
        self.raw(&[close])
    }

    fn string(&mut self, s: &str) -> Result {
        self.raw(b"\"")?;
        escaped(&mut self.out, s)?;
        self.raw(b"\"")
    }

    fn display(&mut self, value: impl std::fmt::Display) -> Result {
        write!(self.out, "{value}").map_err(Error::Io)
    }

    /// `{ "name": ` of an enum variant written as an object.
    fn begin_variant(&mut self, name: &str) -> Result {
        self.begin(b'{')?;
        self.newline_indent(true)?;
        self.string(name)?;
        self.raw(b": ")
    }

    fn end_variant(&mut self) -> Result {
        self.has_value = true;
        self.end(b'}')
    }
}

/// Whether any of the eight bytes of `x` is below 0x20, a `"` or a `\`. Exact: never false
/// when one is (the usual zero-byte tests; a byte of 0x80 or more is never below 0x20).
fn has_special(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    let quote = x ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote & HIGHS;
    let slash = x ^ (ONES * u64::from(b'\\'));
    let slash = slash.wrapping_sub(ONES) & !slash & HIGHS;
    (below | quote | slash) != 0
}

/// The contents of a JSON string, escaped as serde_json escapes them.
fn escaped<W: Write + ?Sized>(out: &mut W, s: &str) -> Result {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if !has_special(x) {
                i += 8;
                continue;
            }
        }
        let byte = bytes[i];
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.write_all(&bytes[start..i])?;
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.write_all(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ])?;
                i += 1;
                start = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(escape)?;
        i += 1;
        start = i;
    }
    out.write_all(&bytes[start..])?;
    Ok(())
}

/// Open an array (`[`) or an object (`{`), inside the object of an enum variant when one is
/// named.
fn open<'a, W: Write>(
    ser: &'a mut Pretty<W>,
    open: u8,
    variant: Option<&str>,
) -> Result<Compound<'a, W>> {
    if let Some(name) = variant {
        ser.begin_variant(name)?;
    }
    ser.begin(open)?;
    Ok(Compound {
        ser,
        first: true,
        variant: variant.is_some(),
    })
}

/// A value inside an array or an object being written.
pub struct Compound<'a, W> {
    ser: &'a mut Pretty<W>,
    first: bool,
    /// Closes an enum variant's object too.
    variant: bool,
}

impl<W: Write> Compound<'_, W> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.ser.newline_indent(self.first)?;
        self.first = false;
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        self.ser.newline_indent(self.first)?;
        self.first = false;
        self.ser.string(key)?;
        self.ser.raw(b": ")?;
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }

    fn close(self, close: u8) -> Result {
        self.ser.end(close)?;
        if self.variant {
            self.ser.end_variant()?;
        }
        Ok(())
    }
}

impl<'a, W: Write> ser::Serializer for &'a mut Pretty<W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, W>;
    type SerializeTuple = Compound<'a, W>;
    type SerializeTupleStruct = Compound<'a, W>;
    type SerializeTupleVariant = Compound<'a, W>;
    type SerializeMap = Compound<'a, W>;
    type SerializeStruct = Compound<'a, W>;
    type SerializeStructVariant = Compound<'a, W>;

    fn serialize_bool(self, v: bool) -> Result {
        self.raw(if v { b"true" } else { b"false" })
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.display(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.display(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result {
        serde_json::to_writer(&mut self.out, &v).map_err(|e| Error::Other(e.to_string()))
    }
    fn serialize_f64(self, v: f64) -> Result {
        serde_json::to_writer(&mut self.out, &v).map_err(|e| Error::Other(e.to_string()))
    }
    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result {
        self.raw(b"null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.raw(b"null")
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.raw(b"null")
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.begin_variant(variant)?;
        value.serialize(&mut *self)?;
        self.end_variant()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, W>> {
        open(self, b'[', None)
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, W>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, W>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, W>> {
        open(self, b'[', Some(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, W>> {
        open(self, b'{', None)
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, W>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, W>> {
        open(self, b'{', Some(variant))
    }
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result {
        // Escaped as it is formatted, without a string in between.
        struct Escaping<'w, W: Write> {
            out: &'w mut W,
            error: Option<Error>,
        }
        impl<W: Write> std::fmt::Write for Escaping<'_, W> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                escaped(self.out, s).map_err(|e| {
                    self.error = Some(e);
                    std::fmt::Error
                })
            }
        }
        self.raw(b"\"")?;
        let mut escaping = Escaping {
            out: &mut self.out,
            error: None,
        };
        if std::fmt::write(&mut escaping, format_args!("{value}")).is_err() {
            return Err(escaping
                .error
                .unwrap_or_else(|| Error::Other("a value failed to format".to_string())));
        }
        self.raw(b"\"")
    }
}

/// The array-like compounds: each value on a line of its own, closed by `]`.
macro_rules! array_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<W: Write> ser::$trait for Compound<'_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                self.element(value)
            }
            fn end(self) -> Result {
                self.close(b']')
            }
        }
    )*};
}

array_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.ser.newline_indent(self.first)?;
        self.first = false;
        key.serialize(MapKey(&mut *self.ser))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.ser.raw(b": ")?;
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

/// The struct-like compounds: `"field": value` lines, closed by `}`.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl<W: Write> ser::$trait for Compound<'_, W> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result {
                self.field(key, value)
            }
            fn end(self) -> Result {
                self.close(b'}')
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

/// A map key: a string as it is, a number, boolean or character quoted (as serde_json does);
/// anything else is refused, as serde_json refuses it.
struct MapKey<'a, W>(&'a mut Pretty<W>);

fn key_must_be_a_string() -> Error {
    Error::Other("key must be a string".to_string())
}

impl<W: Write> MapKey<'_, W> {
    fn quoted(self, value: impl std::fmt::Display) -> Result {
        self.0.raw(b"\"")?;
        self.0.display(value)?;
        self.0.raw(b"\"")
    }
}

impl<W: Write> ser::Serializer for MapKey<'_, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.string(v)
    }
    fn serialize_char(self, v: char) -> Result {
        self.0.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.quoted(v)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.quoted(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.quoted(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.quoted(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.quoted(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.quoted(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.quoted(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.quoted(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.quoted(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.quoted(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.quoted(v)
    }
    fn serialize_f32(self, _v: f32) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.0.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result {
        self.0.string(&value.to_string())
    }
}

#[cfg(test)]
#[path = "tests/pretty.rs"]
mod tests;
