//! The shape of `RunFunctionResponse` (apiextensions.fn.proto.v1) as data: what the protojson
//! reader checks an overlay against and what the merge walks.
//!
//! Only what protojson and `proto.Merge` need: field names (JSON and proto), types, whether a
//! field is repeated, a map, explicitly optional or in a oneof. The tables themselves are generated
//! from proto/ (`tables.rs`; tests/e2e/protocol.rs checks and rewrites them).

mod tables;

pub(crate) use tables::RUN_FUNCTION_RESPONSE;

/// A protobuf message.
#[derive(Debug)]
pub(crate) struct Message {
    /// The message's name, for error messages.
    pub(crate) name: &'static str,
    /// Its fields.
    pub(crate) fields: &'static [Field],
}

impl Message {
    /// The field whose JSON name or proto name is `key`.
    pub(crate) fn field(&self, key: &str) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|field| field.json == key || field.proto == key)
    }

    /// The JSON names of the fields, for "the fields are ..." messages.
    pub(crate) fn field_names(&self) -> String {
        let names: Vec<&str> = self.fields.iter().map(|field| field.json).collect();
        names.join(", ")
    }
}

/// A field of a message.
#[derive(Debug)]
pub(crate) struct Field {
    /// The lowerCamelCase name protojson writes.
    pub(crate) json: &'static str,
    /// The name in the .proto file, which protojson also reads.
    pub(crate) proto: &'static str,
    /// The type of the field, or of each element or map value.
    pub(crate) ty: Type,
    /// Singular, repeated or a map.
    pub(crate) shape: Shape,
    /// Declared `optional` (explicit presence): a zero value still counts as set.
    pub(crate) optional: bool,
    /// The oneof the field belongs to, if any: setting it clears the others.
    pub(crate) oneof: Option<&'static str>,
}

/// How many values a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One value.
    Singular,
    /// A list (`repeated`).
    Repeated,
    /// A `map<string, T>`.
    Map,
}

/// The type of a field's values.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Type {
    /// A message of this project's protocol.
    Message(&'static Message),
    /// `google.protobuf.Struct`: a JSON object.
    Struct,
    /// `google.protobuf.Duration`: `"1.5s"`.
    Duration,
    /// `string`.
    String,
    /// `bytes`: base64.
    Bytes,
    /// An enum, by its value names in number order (the first is zero).
    Enum(&'static Enum),
}

/// A protobuf enum.
#[derive(Debug)]
pub(crate) struct Enum {
    /// The enum's name, for error messages.
    pub(crate) name: &'static str,
    /// Value names; the index is the number.
    pub(crate) values: &'static [&'static str],
}

const fn field(json: &'static str, proto: &'static str, ty: Type) -> Field {
    Field {
        json,
        proto,
        ty,
        shape: Shape::Singular,
        optional: false,
        oneof: None,
    }
}

const fn repeated(json: &'static str, proto: &'static str, ty: Type) -> Field {
    Field {
        shape: Shape::Repeated,
        ..field(json, proto, ty)
    }
}

const fn map(json: &'static str, proto: &'static str, ty: Type) -> Field {
    Field {
        shape: Shape::Map,
        ..field(json, proto, ty)
    }
}

const fn optional(json: &'static str, proto: &'static str, ty: Type) -> Field {
    Field {
        optional: true,
        ..field(json, proto, ty)
    }
}

const fn one_of(json: &'static str, proto: &'static str, ty: Type, oneof: &'static str) -> Field {
    Field {
        oneof: Some(oneof),
        ..field(json, proto, ty)
    }
}
