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
        // `,`, the newline and the indentation in one write while it fits (it nearly always
        // does: 30 levels).
        const LINE: &[u8] = b",\n                                                            ";
        let end = 2 + self.indent * 2;
        match LINE.get(usize::from(first)..end) {
            Some(line) => self.raw(line),
            None => {
                self.raw(if first { b"\n" } else { b",\n" })?;
                self.write_indent()
            }
        }
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
            self.newline_indent(true)?;
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

    /// Elements a helper of [`ParallelSeq`] rendered, written as they are; the buffer goes back
    /// to the helper, emptied.
    fn rendered(&mut self) -> Result {
        let Some(mut bytes) = RENDERED.take() else {
            return Err(Error::Other(
                "a parallel sequence's rendered elements went missing".to_string(),
            ));
        };
        let written = self.raw(&bytes);
        bytes.clear();
        RENDERED.set(Some(bytes));
        written
    }
}

/// The name under which a [`ParallelSeq`] announces itself to [`Pretty`], and under which it
/// hands it elements already rendered (nothing else uses it; any other serializer sees a plain
/// newtype holding a plain sequence).
const PARALLEL: &str = "$tasks::pretty::ParallelSeq";

thread_local! {
    /// Set by [`Pretty`] right before a [`ParallelSeq`] serializes itself, and taken by it at
    /// once: the address of the value announced and the indentation of the line the sequence
    /// opens on. Only the value at that address takes it (one copied or wrapped on the way, as
    /// serde may do, is written as a plain sequence).
    static SEQ_INDENT: std::cell::Cell<Option<(usize, usize)>> = const { std::cell::Cell::new(None) };
    /// Elements rendered by a helper thread, handed to [`Pretty`] to write in place.
    static RENDERED: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// Elements per batch: this thread writes the even batches itself, a helper renders the odd
/// ones meanwhile.
const SEQ_BATCH: usize = 128;

/// Buffers a helper may fill ahead of the writer.
const SEQ_BUFFERS: usize = 4;

/// A sequence of `len` elements, the `i`th made by `make(i)`. A serializer that writes newtype
/// structs as their content (serde_json does) writes it as it writes a `Vec` of them. This
/// module's writes the same bytes with a helper thread: the helper
/// renders every other batch of elements into a buffer while this thread writes the batches
/// between and then the helper's, in order (the 6.5 MB of a 10,000-task `--list --format json`
/// in about half the time, streamed: only a few batches are ever held). Each element is made on
/// the thread that renders it, so `make` must be `Sync`.
pub struct ParallelSeq<F> {
    pub len: usize,
    pub make: F,
}

impl<T: Serialize, F: Fn(usize) -> T + Sync> Serialize for ParallelSeq<F> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(PARALLEL, &Elements(self))
    }
}

/// What [`ParallelSeq`] serializes inside its announcement.
struct Elements<'a, F>(&'a ParallelSeq<F>);

/// Stands for the elements a helper rendered: [`Pretty`] writes them in its place.
struct Rendered;

impl Serialize for Rendered {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_unit_struct(PARALLEL)
    }
}

impl<T: Serialize, F: Fn(usize) -> T + Sync> Serialize for Elements<'_, F> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use ser::{Error as _, SerializeSeq as _};
        let seq = self.0;
        let announced = SEQ_INDENT
            .take()
            .filter(|&(address, _)| address == (self as *const Self).cast::<()>() as usize);
        // Worth a helper: this module's serializer, three batches or more, two cores (the unit
        // tests take the helper's path on any machine; the CLI tests only where there are two).
        let indent = announced.map(|(_, indent)| indent).filter(|_| {
            seq.len > 2 * SEQ_BATCH
                && (cfg!(test) || std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
        });
        let mut out = serializer.serialize_seq(Some(seq.len))?;
        let plain = |out: &mut S::SerializeSeq| {
            (0..seq.len).try_for_each(|i| out.serialize_element(&(seq.make)(i)))
        };
        let Some(indent) = indent else {
            plain(&mut out)?;
            return out.end();
        };
        let batches = seq.len.div_ceil(SEQ_BATCH);
        let range = |batch: usize| batch * SEQ_BATCH..((batch + 1) * SEQ_BATCH).min(seq.len);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Result<Vec<u8>>>();
        let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        for _ in 0..SEQ_BUFFERS {
            let _ = free_tx.send(Vec::new());
        }
        // The helper: the odd batches, each into a free buffer, in order. It stops when the
        // writer hangs up (an error) or when it is done.
        let helper = move || {
            let _t = crate::trace::phase("print: helper");
            for batch in (1..batches).step_by(2) {
                let Ok(buffer) = free_rx.recv() else { return };
                let mut ser = Pretty {
                    out: buffer,
                    indent: indent + 1,
                    has_value: false,
                };
                // The writer puts the separator before the first element: every other one's
                // is rendered here.
                let rendered = range(batch).enumerate().try_for_each(|(k, i)| {
                    if k > 0 {
                        ser.newline_indent(false)?;
                    }
                    (seq.make)(i).serialize(&mut ser)
                });
                if done_tx.send(rendered.map(|()| ser.out)).is_err() {
                    return;
                }
            }
        };
        std::thread::scope(|scope| {
            let Some(helping) = crate::threads::try_spawn(scope, helper) else {
                // No thread could start: every element here.
                return plain(&mut out);
            };
            let mut written = Ok(());
            for batch in (0..batches).step_by(2) {
                written = range(batch).try_for_each(|i| out.serialize_element(&(seq.make)(i)));
                if written.is_err() || batch + 1 == batches {
                    break;
                }
                let rendered = match done_rx.recv() {
                    Ok(Ok(bytes)) => bytes,
                    Ok(Err(e)) => {
                        written = Err(S::Error::custom(e));
                        break;
                    }
                    // The helper panicked: its panic is raised below.
                    Err(_) => break,
                };
                RENDERED.set(Some(rendered));
                written = out.serialize_element(&Rendered);
                let buffer = RENDERED.take().unwrap_or_default();
                if written.is_err() {
                    break;
                }
                let _ = free_tx.send(buffer);
            }
            // Hang up first: a helper waiting for a buffer or to hand one over stops.
            drop(done_rx);
            drop(free_tx);
            if let Err(panic) = helping.join() {
                std::panic::resume_unwind(panic);
            }
            written
        })?;
        out.end()
    }
}

/// The bytes of `x` that are below 0x20, a `"` or a `\`: the high bit of each is set. Exact for
/// the lowest one (the usual zero-byte tests: a borrow can only mark bytes above a true match;
/// a byte of 0x80 or more is never below 0x20), so its position is `trailing_zeros / 8`.
fn special_mask(x: u64) -> u64 {
    use crate::swar::{HIGHS, ONES, bytes_equal};
    let below = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    below | bytes_equal(x, b'"') | bytes_equal(x, b'\\')
}

/// Where the next byte to escape is, from `from` on: eight bytes at a time, the last few
/// padded with a byte that needs none.
fn next_special(bytes: &[u8], from: usize) -> Option<usize> {
    crate::swar::find(bytes, from, b'a', special_mask)
}

/// The contents of a JSON string, escaped as serde_json escapes them: the runs between bytes to
/// escape are copied as they are.
fn escaped<W: Write + ?Sized>(out: &mut W, s: &str) -> Result {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(at) = next_special(bytes, start) {
        out.write_all(&bytes[start..at])?;
        let byte = bytes[at];
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => b"",
        };
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.write_all(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ])?;
        } else {
            out.write_all(short)?;
        }
        start = at + 1;
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
        // A field's name nearly always needs no escape and is short: `"name": ` in one write.
        let mut line = [0u8; 64];
        match line.get_mut(..key.len() + 4) {
            Some(slot) if next_special(key.as_bytes(), 0).is_none() => {
                slot[0] = b'"';
                slot[1..=key.len()].copy_from_slice(key.as_bytes());
                slot[key.len() + 1..].copy_from_slice(b"\": ");
                self.ser.raw(slot)?;
            }
            _ => {
                self.ser.string(key)?;
                self.ser.raw(b": ")?;
            }
        }
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
    fn serialize_unit_struct(self, name: &'static str) -> Result {
        if name == PARALLEL {
            return self.rendered();
        }
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
        name: &'static str,
        value: &T,
    ) -> Result {
        if name == PARALLEL {
            // Only the value about to serialize itself takes this (at once).
            let address = (value as *const T).cast::<()>() as usize;
            SEQ_INDENT.set(Some((address, self.indent)));
            let written = value.serialize(&mut *self);
            SEQ_INDENT.set(None);
            return written;
        }
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
