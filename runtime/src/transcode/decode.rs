//! Protobuf wire bytes → protojson, in one walk of the wire.
//!
//! The walk is iterative (an explicit stack, not recursion), so a deeply nested `Struct` costs heap,
//! never the thread's stack. Fields are written in wire order; repeated and map fields as one JSON
//! array or object each, which needs their entries to be contiguous on the wire, as every
//! protobuf encoder writes them. Input that is valid protobuf but not written that way (a singular
//! field twice, a repeated field split by another, a merged message) is reported as
//! [`Failure::NonCanonical`] so the caller can canonicalise it and walk again.

use super::json::{write_base64, write_duration, write_number, write_string, write_utf8};
use super::schema::{Cardinality, FieldSchema, Kind, MessageId, Schema, WellKnown};
use super::wire::{Malformed, Reader, Value, WireType, packed_varints};

/// Most frames (messages, `Struct`s and lists) open at once: protobuf-go's default recursion limit,
/// so anything Crossplane can decode walks here too.
pub const MAX_DEPTH: usize = 10_000;

/// Why a walk stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The bytes are not protobuf of the expected message.
    Malformed { path: String, problem: Malformed },
    /// A `google.protobuf.Value` holds a NaN or an infinity, which JSON cannot.
    NotFinite { path: String, value: f64 },
    /// Frames nested past [`MAX_DEPTH`].
    TooDeep { path: String },
    /// Valid, but not laid out as encoders write it; canonicalise and walk again.
    NonCanonical,
}

/// A field of the root message to leave out, and JSON to write in its place.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Replace<'j> {
    /// The field number to leave out.
    pub number: u32,
    /// The JSON name to write `json` under.
    pub name: &'j str,
    /// The value to write instead; `None` leaves the field out altogether.
    pub json: Option<&'j [u8]>,
}

/// What a frame's fields are.
#[derive(Clone, Copy, Debug)]
enum Container {
    Message(MessageId),
    Struct,
    List,
}

/// How a frame's parent named it, for error paths.
#[derive(Clone, Copy, Debug)]
enum Label<'a, 's> {
    Root,
    /// A field of a message.
    Field(&'s str),
    /// An entry of a message's map field (the key's bytes, which may not be UTF-8).
    Entry(&'s str, &'a [u8]),
    /// An element of a message's repeated field.
    Element(&'s str, usize),
    /// A key of a `Struct` (its bytes, which may not be UTF-8).
    Key(&'a [u8]),
    /// An item of a list.
    Index(usize),
}

/// A repeated or map field whose JSON array or object is open.
#[derive(Clone, Copy, Debug)]
struct Open {
    number: u32,
    is_map: bool,
    count: usize,
}

/// One message, `Struct` or list being written.
struct Frame<'a, 's> {
    container: Container,
    reader: Reader<'a>,
    label: Label<'a, 's>,
    has_members: bool,
    open: Option<Open>,
    /// Message frames: the slots (fields, oneofs) met so far.
    seen: u64,
    /// List frames: the items written so far.
    items: usize,
}

/// Walks one encoded message and writes its protojson.
pub(crate) struct Decoder<'a, 's> {
    schema: &'s Schema,
    out: Vec<u8>,
    stack: Vec<Frame<'a, 's>>,
    replace: Option<Replace<'a>>,
    /// What error paths start with.
    root: &'a str,
}

impl<'a, 's> Decoder<'a, 's> {
    /// Writes the protojson of `bytes`, a message of type `root`, optionally replacing one of its
    /// fields.
    pub fn message(
        schema: &'s Schema,
        root: MessageId,
        bytes: &'a [u8],
        replace: Option<Replace<'a>>,
    ) -> Result<Vec<u8>, Failure> {
        let mut decoder = Decoder::new(schema, bytes.len(), replace, "");
        decoder.push(Container::Message(root), bytes, Label::Root)?;
        decoder.run()
    }

    /// Writes the JSON object of an encoded `google.protobuf.Struct`; error paths start with
    /// `root`.
    pub fn structure(
        schema: &'s Schema,
        bytes: &'a [u8],
        root: &'a str,
    ) -> Result<Vec<u8>, Failure> {
        let mut decoder = Decoder::new(schema, bytes.len(), None, root);
        decoder.push(Container::Struct, bytes, Label::Root)?;
        decoder.run()
    }

    fn new(schema: &'s Schema, len: usize, replace: Option<Replace<'a>>, root: &'a str) -> Self {
        Decoder {
            schema,
            // JSON is a little longer than the wire: quotes, names, base64.
            out: Vec::with_capacity(len + len / 4 + 64),
            stack: Vec::with_capacity(16),
            replace,
            root,
        }
    }

    fn run(mut self) -> Result<Vec<u8>, Failure> {
        while let Some(frame) = self.stack.last_mut() {
            let field = match frame.reader.next_field() {
                Ok(field) => field,
                Err(problem) => return Err(self.malformed(problem)),
            };
            let Some(field) = field else {
                self.close_frame();
                continue;
            };
            let result = match frame.container {
                Container::Message(id) => self.message_field(id, field.number, field.value),
                Container::Struct => self.struct_entry(field.number, field.value),
                Container::List => self.list_item(field.number, field.value),
            };
            result?;
        }
        Ok(self.out)
    }

    fn push(
        &mut self,
        container: Container,
        bytes: &'a [u8],
        label: Label<'a, 's>,
    ) -> Result<(), Failure> {
        if self.stack.len() == MAX_DEPTH {
            return Err(Failure::TooDeep {
                path: self.path(Some(label)),
            });
        }
        self.out.push(if matches!(container, Container::List) {
            b'['
        } else {
            b'{'
        });
        self.stack.push(Frame {
            container,
            reader: Reader::new(bytes),
            label,
            has_members: false,
            open: None,
            seen: 0,
            items: 0,
        });
        Ok(())
    }

    fn close_frame(&mut self) {
        let frame = self
            .stack
            .pop()
            .expect("close_frame is called on the top frame");
        if let Some(open) = frame.open {
            self.out.push(if open.is_map { b'}' } else { b']' });
        }
        if self.stack.is_empty()
            && let Some(Replace {
                name,
                json: Some(json),
                ..
            }) = self.replace
        {
            if frame.has_members {
                self.out.push(b',');
            }
            write_string(&mut self.out, name);
            self.out.push(b':');
            self.out.extend_from_slice(json);
        }
        self.out
            .push(if matches!(frame.container, Container::List) {
                b']'
            } else {
                b'}'
            });
    }

    /// Writes `,` unless the top frame has no member yet.
    fn separate(&mut self) {
        let frame = self.stack.last_mut().expect("a frame is open");
        if frame.has_members {
            self.out.push(b',');
        }
        frame.has_members = true;
    }

    fn message_field(
        &mut self,
        id: MessageId,
        number: u32,
        value: Value<'a>,
    ) -> Result<(), Failure> {
        let schema = self.schema;
        let Some(field) = schema.message(id).field(number) else {
            return Ok(()); // An unknown field, e.g. from a newer protocol: left out, as Go does.
        };
        if self.stack.len() == 1 && self.replace.is_some_and(|r| r.number == number) {
            return Ok(());
        }
        let frame = self.stack.last_mut().expect("a frame is open");
        match frame.open {
            Some(open) if open.number == number => {}
            Some(open) => {
                self.out.push(if open.is_map { b'}' } else { b']' });
                frame.open = None;
                return self.first_occurrence(field, value);
            }
            None => return self.first_occurrence(field, value),
        }
        self.next_element(field, value)
    }

    /// A field met for the first time in its message.
    fn first_occurrence(
        &mut self,
        field: &'s FieldSchema,
        value: Value<'a>,
    ) -> Result<(), Failure> {
        let frame = self.stack.last_mut().expect("a frame is open");
        let bit = 1u64 << field.slot;
        if frame.seen & bit != 0 {
            return Err(Failure::NonCanonical);
        }
        frame.seen |= bit;
        match field.cardinality {
            Cardinality::Single { has_presence } => {
                let expected = field.kind.wire_type();
                if value.wire_type() != expected {
                    return Err(self.wrong_wire_type(field.number, value.wire_type(), expected));
                }
                if !has_presence && is_default(value) {
                    return Ok(());
                }
                self.separate();
                self.name(&field.json_name);
                self.value(
                    field.kind,
                    value,
                    Label::Field(&field.json_name),
                    field.number,
                )
            }
            Cardinality::Repeated | Cardinality::Map => {
                self.separate();
                self.name(&field.json_name);
                let is_map = field.cardinality == Cardinality::Map;
                self.out.push(if is_map { b'{' } else { b'[' });
                let frame = self.stack.last_mut().expect("a frame is open");
                frame.open = Some(Open {
                    number: field.number,
                    is_map,
                    count: 0,
                });
                self.next_element(field, value)
            }
        }
    }

    /// One more element of the open repeated or map field.
    fn next_element(&mut self, field: &'s FieldSchema, value: Value<'a>) -> Result<(), Failure> {
        if field.cardinality == Cardinality::Map {
            return self.map_entry(field, value);
        }
        if let (Kind::Enum(_), Value::Len(packed)) = (field.kind, value) {
            for number in packed_varints(packed) {
                let number = number.map_err(|problem| self.malformed(problem))?;
                self.open_element();
                self.enumeration(field.kind, number);
            }
            return Ok(());
        }
        let index = self.open_element();
        self.value(
            field.kind,
            value,
            Label::Element(&field.json_name, index),
            field.number,
        )
    }

    /// Counts one more element of the open field, after a comma unless it is the first; returns
    /// its index.
    fn open_element(&mut self) -> usize {
        let frame = self.stack.last_mut().expect("a frame is open");
        let open = frame.open.as_mut().expect("the field is open");
        let index = open.count;
        if index > 0 {
            self.out.push(b',');
        }
        open.count += 1;
        index
    }

    fn map_entry(&mut self, field: &'s FieldSchema, entry: Value<'a>) -> Result<(), Failure> {
        let Value::Len(entry) = entry else {
            return Err(self.wrong_wire_type(field.number, entry.wire_type(), WireType::Len));
        };
        let (key, value) = self.entry_parts(entry, field.kind)?;
        self.open_element();
        self.utf8(key)?;
        self.out.push(b':');
        match value {
            Some(value) => self.value(field.kind, value, Label::Entry(&field.json_name, key), 2),
            None => {
                self.default_value(field.kind);
                Ok(())
            }
        }
    }

    /// The key and value of a map entry; the last of each wins, as protobuf decoders do.
    fn entry_parts(
        &mut self,
        entry: &'a [u8],
        value_kind: Kind,
    ) -> Result<(&'a [u8], Option<Value<'a>>), Failure> {
        let mut reader = Reader::new(entry);
        // What every encoder writes: the key, then the value, each once.
        if let Ok(Some(first)) = reader.next_field()
            && let (1, Value::Len(key)) = (first.number, first.value)
            && let Ok(Some(second)) = reader.next_field()
            && second.number == 2
            && reader.position() == entry.len()
        {
            return Ok((key, Some(second.value)));
        }
        let mut reader = Reader::new(entry);
        let (mut key, mut value) = (&entry[..0], None);
        let mut values = 0;
        while let Some(field) = reader.next_field().map_err(|p| self.malformed(p))? {
            match (field.number, field.value) {
                (1, Value::Len(bytes)) => key = bytes,
                (1, other) => {
                    return Err(self.wrong_wire_type(1, other.wire_type(), WireType::Len));
                }
                (2, other) => {
                    values += 1;
                    value = Some(other);
                }
                _ => {}
            }
        }
        // Two message values in one entry merge; leave that to a real decoder.
        if values > 1 && matches!(value_kind, Kind::Message(_) | Kind::WellKnown(_)) {
            return Err(Failure::NonCanonical);
        }
        Ok((key, value))
    }

    fn struct_entry(&mut self, number: u32, value: Value<'a>) -> Result<(), Failure> {
        if number != 1 {
            return Ok(());
        }
        let Value::Len(entry) = value else {
            return Err(self.wrong_wire_type(1, value.wire_type(), WireType::Len));
        };
        let (key, value) = self.entry_parts(entry, Kind::WellKnown(WellKnown::Value))?;
        self.separate();
        self.utf8(key)?;
        self.out.push(b':');
        match value {
            Some(Value::Len(bytes)) => self.dynamic_value(bytes, Label::Key(key)),
            Some(other) => Err(self.wrong_wire_type(2, other.wire_type(), WireType::Len)),
            None => {
                self.out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn list_item(&mut self, number: u32, value: Value<'a>) -> Result<(), Failure> {
        if number != 1 {
            return Ok(());
        }
        let frame = self.stack.last_mut().expect("a frame is open");
        let index = frame.items;
        frame.items += 1;
        self.separate();
        self.value(
            Kind::WellKnown(WellKnown::Value),
            value,
            Label::Index(index),
            1,
        )
    }

    /// Writes one value of `kind`; messages, `Struct`s and lists open a frame instead.
    fn value(
        &mut self,
        kind: Kind,
        value: Value<'a>,
        label: Label<'a, 's>,
        number: u32,
    ) -> Result<(), Failure> {
        if value.wire_type() != kind.wire_type() {
            return Err(self.wrong_wire_type(number, value.wire_type(), kind.wire_type()));
        }
        match (kind, value) {
            (Kind::Enum(_), Value::Varint(number)) => {
                self.enumeration(kind, number);
                Ok(())
            }
            (Kind::String, Value::Len(bytes)) => self.utf8(bytes),
            (Kind::Bytes, Value::Len(bytes)) => {
                write_base64(&mut self.out, bytes);
                Ok(())
            }
            (Kind::Message(id), Value::Len(bytes)) => {
                self.push(Container::Message(id), bytes, label)
            }
            (Kind::WellKnown(WellKnown::Struct), Value::Len(bytes)) => {
                self.push(Container::Struct, bytes, label)
            }
            (Kind::WellKnown(WellKnown::ListValue), Value::Len(bytes)) => {
                self.push(Container::List, bytes, label)
            }
            (Kind::WellKnown(WellKnown::Value), Value::Len(bytes)) => {
                self.dynamic_value(bytes, label)
            }
            (Kind::WellKnown(WellKnown::Duration), Value::Len(bytes)) => self.duration(bytes),
            _ => unreachable!("the wire type was checked against the kind"),
        }
    }

    /// Writes a `google.protobuf.Value`: the last member of its `kind` oneof wins.
    fn dynamic_value(&mut self, bytes: &'a [u8], label: Label<'a, 's>) -> Result<(), Failure> {
        let mut reader = Reader::new(bytes);
        let mut last = None;
        let mut nested = 0;
        while let Some(field) = reader.next_field().map_err(|p| self.malformed(p))? {
            if (1..=6).contains(&field.number) {
                nested += u32::from(field.number >= 5);
                last = Some(field);
            }
            if reader.position() == bytes.len() {
                break;
            }
        }
        let Some(field) = last else {
            self.out.extend_from_slice(b"null");
            return Ok(());
        };
        let expected = match field.number {
            1 | 4 => WireType::Varint,
            2 => WireType::Fixed64,
            _ => WireType::Len,
        };
        if field.value.wire_type() != expected {
            return Err(self.wrong_wire_type(field.number, field.value.wire_type(), expected));
        }
        match (field.number, field.value) {
            (1, _) => self.out.extend_from_slice(b"null"),
            (2, Value::Fixed64(bits)) => {
                let number = f64::from_bits(bits);
                if !number.is_finite() {
                    return Err(Failure::NotFinite {
                        path: self.path(Some(label)),
                        value: number,
                    });
                }
                write_number(&mut self.out, number);
            }
            (3, Value::Len(text)) => self.utf8(text)?,
            (4, Value::Varint(flag)) => {
                self.out
                    .extend_from_slice(if flag != 0 { b"true" } else { b"false" });
            }
            (5 | 6, Value::Len(_)) if nested > 1 => return Err(Failure::NonCanonical),
            (5, Value::Len(bytes)) => return self.push(Container::Struct, bytes, label),
            (6, Value::Len(bytes)) => return self.push(Container::List, bytes, label),
            _ => unreachable!("the wire type was checked against the member"),
        }
        Ok(())
    }

    fn duration(&mut self, bytes: &'a [u8]) -> Result<(), Failure> {
        let (mut seconds, mut nanos) = (0i64, 0i32);
        let mut reader = Reader::new(bytes);
        while let Some(field) = reader.next_field().map_err(|p| self.malformed(p))? {
            match (field.number, field.value) {
                // Varints carry int64 and int32 as two's complement; truncation is the encoding.
                #[allow(clippy::cast_possible_wrap, reason = "int64 on the wire")]
                (1, Value::Varint(v)) => seconds = v as i64,
                #[allow(clippy::cast_possible_truncation, reason = "int32 on the wire")]
                (2, Value::Varint(v)) => nanos = v as i32,
                (1 | 2, other) => {
                    return Err(self.wrong_wire_type(
                        field.number,
                        other.wire_type(),
                        WireType::Varint,
                    ));
                }
                _ => {}
            }
        }
        write_duration(&mut self.out, seconds, nanos);
        Ok(())
    }

    fn enumeration(&mut self, kind: Kind, number: u64) {
        let Kind::Enum(id) = kind else {
            unreachable!("enumeration is called for enum fields")
        };
        // An enum is an int32 on the wire, sign-extended to 64 bits when negative.
        #[allow(clippy::cast_possible_truncation, reason = "int32 on the wire")]
        let number = number as i32;
        match self.schema.enumeration(id).name_of(number) {
            Some(name) => write_string(&mut self.out, name),
            // protojson writes values it does not know by number.
            None => self
                .out
                .extend_from_slice(itoa::Buffer::new().format(number).as_bytes()),
        }
    }

    /// Writes what protojson writes for a map value that is missing from its entry.
    fn default_value(&mut self, kind: Kind) {
        match kind {
            Kind::String | Kind::Bytes => self.out.extend_from_slice(b"\"\""),
            Kind::Enum(_) => self.enumeration(kind, 0),
            Kind::Message(_) | Kind::WellKnown(WellKnown::Struct) => {
                self.out.extend_from_slice(b"{}");
            }
            Kind::WellKnown(WellKnown::ListValue) => self.out.extend_from_slice(b"[]"),
            Kind::WellKnown(WellKnown::Value) => self.out.extend_from_slice(b"null"),
            Kind::WellKnown(WellKnown::Duration) => self.out.extend_from_slice(b"\"0s\""),
        }
    }

    fn name(&mut self, name: &str) {
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// Writes protobuf `string` bytes as a JSON string, refusing bytes that are not UTF-8.
    fn utf8(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        write_utf8(&mut self.out, bytes).map_err(|_| self.malformed(Malformed::NotUtf8))
    }

    fn malformed(&self, problem: Malformed) -> Failure {
        Failure::Malformed {
            path: self.path(None),
            problem,
        }
    }

    fn wrong_wire_type(&self, number: u32, found: WireType, expected: WireType) -> Failure {
        self.malformed(Malformed::WrongWireType {
            number,
            found,
            expected,
        })
    }

    /// Where the walk is, as `desired.resources["db"].resource.spec.size`, plus `last` when given.
    fn path(&self, last: Option<Label<'a, 's>>) -> String {
        let mut path = self.root.to_owned();
        let labels = self.stack.iter().map(|frame| frame.label).chain(last);
        for label in labels {
            match label {
                Label::Root => {}
                Label::Field(name) => push_name(&mut path, name),
                Label::Entry(name, key) => {
                    push_name(&mut path, name);
                    push_key(&mut path, key);
                }
                Label::Element(name, index) => {
                    push_name(&mut path, name);
                    push_index(&mut path, index);
                }
                Label::Key(key) => push_key(&mut path, key),
                Label::Index(index) => push_index(&mut path, index),
            }
        }
        if path.is_empty() {
            "(the message itself)".to_owned()
        } else {
            path
        }
    }
}

fn push_name(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(itoa::Buffer::new().format(index));
    path.push(']');
}

/// Appends a map or object key: `.name` when it reads as a name, `["any key"]` otherwise.
fn push_key(path: &mut String, key: &[u8]) {
    let key = String::from_utf8_lossy(key);
    let is_name = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if is_name {
        push_name(path, &key);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(&key).expect("a string serialises"));
        path.push(']');
    }
}

/// Whether an implicit-presence scalar holds its default, which protojson leaves out.
fn is_default(value: Value<'_>) -> bool {
    match value {
        Value::Varint(v) | Value::Fixed64(v) => v == 0,
        Value::Fixed32(v) => v == 0,
        Value::Len(bytes) => bytes.is_empty(),
    }
}
