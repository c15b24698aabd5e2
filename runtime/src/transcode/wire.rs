//! The protobuf wire format: varints, tags, length-delimited fields, reading and writing.

/// How a field's value is laid out on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireType {
    /// A varint: ints, bools, enums.
    Varint,
    /// Eight little-endian bytes: doubles, fixed64.
    Fixed64,
    /// A varint length, then that many bytes: strings, bytes, messages, packed repeated fields.
    Len,
    /// Four little-endian bytes: floats, fixed32.
    Fixed32,
}

impl WireType {
    fn from_bits(bits: u64) -> Option<WireType> {
        match bits {
            0 => Some(WireType::Varint),
            1 => Some(WireType::Fixed64),
            2 => Some(WireType::Len),
            5 => Some(WireType::Fixed32),
            _ => None,
        }
    }

    fn bits(self) -> u64 {
        match self {
            WireType::Varint => 0,
            WireType::Fixed64 => 1,
            WireType::Len => 2,
            WireType::Fixed32 => 5,
        }
    }
}

/// What is wrong with bytes that claim to be protobuf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// The bytes end inside a tag, a varint, a length or a value.
    #[error("the bytes end in the middle of a field")]
    Truncated,
    /// A varint runs past ten bytes.
    #[error("a varint is longer than ten bytes")]
    VarintTooLong,
    /// A tag names field 0, a field above 2^29 - 1, or a wire type that does not exist (or the
    /// deprecated groups).
    #[error("a field tag is invalid")]
    BadTag,
    /// A field's wire type is not the one its type uses.
    #[error("field {number} has wire type {found:?} where {expected:?} was expected")]
    WrongWireType {
        /// The field number.
        number: u32,
        /// What was on the wire.
        found: WireType,
        /// What the schema says.
        expected: WireType,
    },
    /// A string field holds bytes that are not UTF-8.
    #[error("a string is not valid UTF-8")]
    NotUtf8,
    /// A field is given twice in a way the transcoder does not merge.
    #[error("a field is given twice in a way that cannot be merged")]
    Unmergeable,
}

/// A field read from the wire: its number, its wire type and its value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field<'a> {
    /// The field number.
    pub number: u32,
    /// The raw value.
    pub value: Value<'a>,
}

/// A raw field value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Len(&'a [u8]),
    Fixed32(u32),
}

impl Value<'_> {
    /// The wire type of this value.
    pub fn wire_type(&self) -> WireType {
        match self {
            Value::Varint(_) => WireType::Varint,
            Value::Fixed64(_) => WireType::Fixed64,
            Value::Len(_) => WireType::Len,
            Value::Fixed32(_) => WireType::Fixed32,
        }
    }
}

/// Reads the fields of one message, front to back, without copying.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the encoded fields of one message.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// The next field, or `None` at the end of the message.
    #[inline]
    pub fn next_field(&mut self) -> Result<Option<Field<'a>>, Malformed> {
        if self.pos == self.bytes.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let number = u32::try_from(tag >> 3)
            .ok()
            .filter(|n| (1..1 << 29).contains(n))
            .ok_or(Malformed::BadTag)?;
        let value = match WireType::from_bits(tag & 7).ok_or(Malformed::BadTag)? {
            WireType::Varint => Value::Varint(self.varint()?),
            WireType::Fixed64 => Value::Fixed64(u64::from_le_bytes(self.array()?)),
            WireType::Fixed32 => Value::Fixed32(u32::from_le_bytes(self.array()?)),
            WireType::Len => {
                let len = usize::try_from(self.varint()?).map_err(|_| Malformed::Truncated)?;
                Value::Len(self.take(len)?)
            }
        };
        Ok(Some(Field { number, value }))
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, Malformed> {
        // Tags and lengths below 128 are one byte: most of them in a Kubernetes object.
        match self.bytes.get(self.pos) {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Ok(u64::from(byte))
            }
            Some(_) => self.long_varint(),
            None => Err(Malformed::Truncated),
        }
    }

    fn long_varint(&mut self) -> Result<u64, Malformed> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self.bytes.get(self.pos).ok_or(Malformed::Truncated)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift.min(63);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Malformed::VarintTooLong)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(len).ok_or(Malformed::Truncated)?;
        let taken = self.bytes.get(self.pos..end).ok_or(Malformed::Truncated)?;
        self.pos = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let taken = self.take(N)?;
        Ok(taken.try_into().expect("take returned N bytes"))
    }
}

/// Reads every varint of a packed repeated field.
pub(crate) fn packed_varints(bytes: &[u8]) -> impl Iterator<Item = Result<u64, Malformed>> + '_ {
    let mut reader = Reader::new(bytes);
    std::iter::from_fn(move || (reader.pos < reader.bytes.len()).then(|| reader.varint()))
}

/// Appends `value` as a varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The mask keeps the low seven bits, so the cast is exact.
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends the tag of field `number` with `wire_type`.
pub(crate) fn put_tag(out: &mut Vec<u8>, number: u32, wire_type: WireType) {
    put_varint(out, (u64::from(number) << 3) | wire_type.bits());
}

/// Appends a length-delimited field holding `bytes`.
pub(crate) fn put_len_field(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_tag(out, number, WireType::Len);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Starts a length-delimited field whose length is not known yet: writes the tag and a one-byte
/// length placeholder, and returns where the body starts, for [`end_len`].
pub(crate) fn begin_len(out: &mut Vec<u8>, number: u32) -> usize {
    put_tag(out, number, WireType::Len);
    out.push(0);
    out.len()
}

/// Writes field `number` as a length-delimited record whose body `write` appends: [`begin_len`],
/// the body, [`end_len`].
///
/// # Errors
/// What `write` returns; the field is then left unfinished, as the whole output is dropped.
pub(crate) fn put_delimited<E>(
    out: &mut Vec<u8>,
    number: u32,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = begin_len(out, number);
    write(out)?;
    end_len(out, start);
    Ok(())
}

/// Writes field `number` as a `google.protobuf.Duration`, leaving out zero seconds and nanos.
pub(crate) fn put_duration(out: &mut Vec<u8>, number: u32, seconds: i64, nanos: i32) {
    let start = begin_len(out, number);
    if seconds != 0 {
        put_tag(out, 1, WireType::Varint);
        // Negative int64s go on the wire as their two's complement.
        put_varint(out, seconds as u64);
    }
    if nanos != 0 {
        put_tag(out, 2, WireType::Varint);
        put_varint(out, i64::from(nanos) as u64);
    }
    end_len(out, start);
}

/// Writes field `number` once for each call of `next` that returns `true`, each a
/// length-delimited record whose body `next` appends; the call that returns `false` (the end of
/// a JSON array or object) leaves nothing behind.
///
/// # Errors
/// What `next` returns.
pub(crate) fn put_delimited_each<E>(
    out: &mut Vec<u8>,
    number: u32,
    mut next: impl FnMut(&mut Vec<u8>) -> Result<bool, E>,
) -> Result<(), E> {
    loop {
        let mark = out.len();
        let start = begin_len(out, number);
        if !next(out)? {
            out.truncate(mark);
            return Ok(());
        }
        end_len(out, start);
    }
}

/// Ends a field begun with [`begin_len`]: writes the body's length into the placeholder, moving
/// the body when the length needs more than one byte.
pub(crate) fn end_len(out: &mut Vec<u8>, body_start: usize) {
    let len = out.len() - body_start;
    if len < 0x80 {
        // Fits the placeholder's seven bits.
        out[body_start - 1] = len as u8;
        return;
    }
    let mut prefix = Vec::with_capacity(10);
    put_varint(&mut prefix, len as u64);
    out.splice(body_start - 1..body_start, prefix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_tag(&mut out, 1, WireType::Varint);
            put_varint(&mut out, value);
            let field = Reader::new(&out).next_field().unwrap().unwrap();
            assert_eq!(field.number, 1);
            assert!(
                matches!(field.value, Value::Varint(v) if v == value),
                "{value}"
            );
        }
    }

    #[test]
    fn lengths_are_back_patched_and_bodies_moved_when_they_need_more_bytes() {
        for len in [0usize, 1, 127, 128, 20_000] {
            let mut out = vec![0xaa];
            let start = begin_len(&mut out, 2);
            out.extend(std::iter::repeat_n(7u8, len));
            end_len(&mut out, start);
            let mut reader = Reader::new(&out[1..]);
            let field = reader.next_field().unwrap().unwrap();
            assert_eq!(field.number, 2);
            assert!(
                matches!(field.value, Value::Len(body) if body.len() == len && body.iter().all(|b| *b == 7))
            );
            assert!(reader.next_field().unwrap().is_none());
        }
    }

    #[test]
    fn truncated_and_invalid_input_is_refused() {
        assert_eq!(
            Reader::new(&[0x0a, 5, 1]).next_field().unwrap_err(),
            Malformed::Truncated
        );
        assert_eq!(
            Reader::new(&[0x08]).next_field().unwrap_err(),
            Malformed::Truncated
        );
        assert_eq!(
            Reader::new(&[0x00, 0]).next_field().unwrap_err(),
            Malformed::BadTag
        );
        assert_eq!(
            Reader::new(&[0x0b]).next_field().unwrap_err(),
            Malformed::BadTag
        );
        assert_eq!(
            Reader::new(&[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ])
            .next_field()
            .unwrap_err(),
            Malformed::VarintTooLong
        );
        assert_eq!(
            packed_varints(&[1, 0x80]).collect::<Vec<_>>(),
            [Ok(1), Err(Malformed::Truncated)]
        );
    }
}
