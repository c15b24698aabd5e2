//! The shape of the protocol's messages, read once from the compiled-in descriptors.
//!
//! The transcoder walks wire bytes and JSON against these tables instead of generated types, so a
//! message is never built in memory. Only what the `RunFunction` protocol uses is supported:
//! strings, bytes, enums, messages, `map<string, …>`, repeated fields, proto3 `optional`, oneofs,
//! and the well-known `Struct`, `Value`, `ListValue` and `Duration`.

use prost::Message as _;
use xfn_proto::pbjson_types::field_descriptor_proto::{Label, Type};
use xfn_proto::pbjson_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorSet};

use super::wire::WireType;

/// An index into [`Schema::messages`].
pub(crate) type MessageId = usize;
/// An index into [`Schema::enums`].
pub(crate) type EnumId = usize;

/// The first duplicate-check slot of oneofs; fields take the slots below it, in declaration order.
const ONEOF_SLOTS: u32 = 32;

/// The well-known types that have a JSON form of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WellKnown {
    /// `google.protobuf.Struct`: a JSON object.
    Struct,
    /// `google.protobuf.Value`: any JSON value.
    Value,
    /// `google.protobuf.ListValue`: a JSON array.
    ListValue,
    /// `google.protobuf.Duration`: a string such as `"1.5s"`.
    Duration,
}

/// What one value of a field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// UTF-8 text, a JSON string.
    String,
    /// Bytes, a base64 JSON string.
    Bytes,
    /// An enum, its value's name as a JSON string.
    Enum(EnumId),
    /// A message of the protocol, a JSON object.
    Message(MessageId),
    /// A well-known type.
    WellKnown(WellKnown),
}

impl Kind {
    /// The wire type a value of this kind has outside a packed field.
    pub fn wire_type(self) -> WireType {
        match self {
            Kind::Enum(_) => WireType::Varint,
            Kind::String | Kind::Bytes | Kind::Message(_) | Kind::WellKnown(_) => WireType::Len,
        }
    }
}

/// How many values a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cardinality {
    /// One value. With `has_presence`, a default value is still written (proto3 `optional`,
    /// oneof members and messages); without it a default value means "not set".
    Single {
        /// Whether the field tracks presence.
        has_presence: bool,
    },
    /// `repeated`: a JSON array.
    Repeated,
    /// `map<string, kind>`: a JSON object; the entry's key is field 1, its value field 2.
    Map,
}

/// One field of a message.
#[derive(Clone, Debug)]
pub(crate) struct FieldSchema {
    /// The field number.
    pub number: u32,
    /// The lowerCamelCase JSON name, which the transcoder writes.
    pub json_name: String,
    /// The name in the `.proto`, which the transcoder also accepts.
    pub proto_name: String,
    /// What one value is (for maps, what the values are).
    pub kind: Kind,
    /// One, repeated or map.
    pub cardinality: Cardinality,
    /// The bit (below 64) that duplicate checks use: the oneof's, shared by its members, or the
    /// field's own.
    pub slot: u32,
}

/// One message of the protocol.
#[derive(Clone, Debug)]
pub(crate) struct MessageSchema {
    /// The full name, e.g. `apiextensions.fn.proto.v1.State`.
    pub name: String,
    /// The fields, in declaration order.
    pub fields: Vec<FieldSchema>,
    /// Field index by field number (field numbers are small in this protocol).
    by_number: Vec<Option<usize>>,
}

impl MessageSchema {
    /// The field numbered `number`, if the message declares it.
    pub fn field(&self, number: u32) -> Option<&FieldSchema> {
        let index = usize::try_from(number).ok()?;
        let position = (*self.by_number.get(index)?)?;
        Some(&self.fields[position])
    }

    /// The field whose JSON or proto name is `name`.
    pub fn field_named(&self, name: &str) -> Option<&FieldSchema> {
        self.fields
            .iter()
            .find(|field| field.json_name == name || field.proto_name == name)
    }
}

/// One enum of the protocol.
#[derive(Clone, Debug)]
pub(crate) struct EnumSchema {
    /// The full name.
    pub name: String,
    /// `(number, name)` of every value.
    pub values: Vec<(i32, String)>,
}

impl EnumSchema {
    /// The name of value `number`, if the enum declares it.
    pub fn name_of(&self, number: i32) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, name)| name.as_str())
    }

    /// The number of the value named `name`.
    pub fn number_of(&self, name: &str) -> Option<i32> {
        self.values
            .iter()
            .find(|(_, n)| n == name)
            .map(|(number, _)| *number)
    }
}

/// Every message and enum of the protocol's files.
#[derive(Debug)]
pub(crate) struct Schema {
    messages: Vec<MessageSchema>,
    enums: Vec<EnumSchema>,
}

/// Why a descriptor set cannot be used; only a change to the `.proto` files can cause it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unsupported {
    #[error("the descriptor set does not decode: {0}")]
    Decode(#[from] prost::DecodeError),
    #[error("{message}.{field}: {what} is not supported by the transcoder")]
    Field {
        message: String,
        field: String,
        what: String,
    },
    #[error("{0} is not in the descriptor set")]
    Missing(String),
}

impl Schema {
    /// Reads the messages and enums of an encoded `FileDescriptorSet`.
    pub fn from_descriptor_set(bytes: &[u8]) -> Result<Schema, Unsupported> {
        let set = FileDescriptorSet::decode(bytes)?;
        let mut messages = Vec::new();
        let mut enums = Vec::new();
        for file in &set.file {
            let package = file.package();
            if package == "google.protobuf" {
                // The well-known types have JSON forms of their own (WellKnown), not tables.
                continue;
            }
            for message in &file.message_type {
                collect_message(package, message, &mut messages, &mut enums);
            }
            for enumeration in &file.enum_type {
                enums.push(enum_schema(package, enumeration));
            }
        }
        let mut schema = Schema {
            messages: Vec::new(),
            enums,
        };
        let mut resolved = Vec::with_capacity(messages.len());
        for (name, message) in &messages {
            resolved.push(schema.message_schema(name, message, &messages)?);
        }
        schema.messages = resolved;
        Ok(schema)
    }

    /// The message called `name` (its full name, without a leading dot).
    pub fn message_id(&self, name: &str) -> Result<MessageId, Unsupported> {
        self.messages
            .iter()
            .position(|message| message.name == name)
            .ok_or_else(|| Unsupported::Missing(name.to_owned()))
    }

    /// The message with id `id`.
    pub fn message(&self, id: MessageId) -> &MessageSchema {
        &self.messages[id]
    }

    /// The enum with id `id`.
    pub fn enumeration(&self, id: EnumId) -> &EnumSchema {
        &self.enums[id]
    }

    fn message_schema(
        &self,
        name: &str,
        message: &DescriptorProto,
        all: &[(String, DescriptorProto)],
    ) -> Result<MessageSchema, Unsupported> {
        let unsupported = |field: &FieldDescriptorProto, what: String| Unsupported::Field {
            message: name.to_owned(),
            field: field.name().to_owned(),
            what,
        };
        let mut fields = Vec::new();
        for field in &message.field {
            let mut kind = self
                .kind(field, all)
                .map_err(|what| unsupported(field, what))?;
            let cardinality = if field.label() != Label::Repeated {
                Cardinality::Single {
                    has_presence: field.oneof_index.is_some()
                        || matches!(kind, Kind::Message(_) | Kind::WellKnown(_)),
                }
            } else if let Some(entry) = map_entry(field, all) {
                let key = entry.field.iter().find(|f| f.number() == 1);
                let value = entry.field.iter().find(|f| f.number() == 2);
                match (key.map(FieldDescriptorProto::r#type), value) {
                    (Some(Type::String), Some(value)) => {
                        kind = self
                            .kind(value, all)
                            .map_err(|what| unsupported(field, what))?;
                    }
                    _ => return Err(unsupported(field, "a map whose key is not a string".into())),
                }
                Cardinality::Map
            } else {
                Cardinality::Repeated
            };
            let number = u32::try_from(field.number())
                .map_err(|_| unsupported(field, "a negative field number".into()))?;
            // Members of a real oneof share its slot; proto3 `optional` fields have a synthetic
            // oneof, but a slot of their own like every other field.
            let slot = match field.oneof_index {
                Some(oneof) if !field.proto3_optional() => u32::try_from(oneof)
                    .ok()
                    .map(|oneof| ONEOF_SLOTS + oneof)
                    .filter(|slot| *slot < 64)
                    .ok_or_else(|| unsupported(field, "more than 32 oneofs".into()))?,
                _ => u32::try_from(fields.len())
                    .ok()
                    .filter(|slot| *slot < ONEOF_SLOTS)
                    .ok_or_else(|| unsupported(field, "more than 32 fields".into()))?,
            };
            fields.push(FieldSchema {
                number,
                json_name: field.json_name().to_owned(),
                proto_name: field.name().to_owned(),
                kind,
                cardinality,
                slot,
            });
        }
        let highest = fields.iter().map(|f| f.number).max().unwrap_or(0);
        if highest > 64 {
            return Err(Unsupported::Field {
                message: name.to_owned(),
                field: highest.to_string(),
                what: "a field number above 64".into(),
            });
        }
        let mut by_number = vec![None; highest as usize + 1];
        for (position, field) in fields.iter().enumerate() {
            by_number[field.number as usize] = Some(position);
        }
        Ok(MessageSchema {
            name: name.to_owned(),
            fields,
            by_number,
        })
    }

    fn kind(
        &self,
        field: &FieldDescriptorProto,
        all: &[(String, DescriptorProto)],
    ) -> Result<Kind, String> {
        let type_name = field.type_name().trim_start_matches('.');
        match field.r#type() {
            Type::String => Ok(Kind::String),
            Type::Bytes => Ok(Kind::Bytes),
            Type::Enum => self
                .enums
                .iter()
                .position(|e| e.name == type_name)
                .map(Kind::Enum)
                .ok_or_else(|| format!("the unknown enum {type_name}")),
            Type::Message => match type_name {
                "google.protobuf.Struct" => Ok(Kind::WellKnown(WellKnown::Struct)),
                "google.protobuf.Value" => Ok(Kind::WellKnown(WellKnown::Value)),
                "google.protobuf.ListValue" => Ok(Kind::WellKnown(WellKnown::ListValue)),
                "google.protobuf.Duration" => Ok(Kind::WellKnown(WellKnown::Duration)),
                _ => all
                    .iter()
                    .position(|(name, _)| name == type_name)
                    .map(Kind::Message)
                    .ok_or_else(|| format!("the unknown message {type_name}")),
            },
            other => Err(format!("the field type {other:?}")),
        }
    }
}

/// The map entry message of `field`, when `field` is a map.
fn map_entry<'a>(
    field: &FieldDescriptorProto,
    all: &'a [(String, DescriptorProto)],
) -> Option<&'a DescriptorProto> {
    let type_name = field.type_name().trim_start_matches('.');
    all.iter()
        .find(|(name, _)| name == type_name)
        .map(|(_, message)| message)
        .filter(|message| message.options.as_ref().is_some_and(|o| o.map_entry()))
}

/// Adds `message` and its nested messages and enums, under their full names.
fn collect_message(
    scope: &str,
    message: &DescriptorProto,
    messages: &mut Vec<(String, DescriptorProto)>,
    enums: &mut Vec<EnumSchema>,
) {
    let name = format!("{scope}.{}", message.name());
    for nested in &message.nested_type {
        collect_message(&name, nested, messages, enums);
    }
    for enumeration in &message.enum_type {
        enums.push(enum_schema(&name, enumeration));
    }
    messages.push((name, message.clone()));
}

fn enum_schema(
    scope: &str,
    enumeration: &xfn_proto::pbjson_types::EnumDescriptorProto,
) -> EnumSchema {
    EnumSchema {
        name: format!("{scope}.{}", enumeration.name()),
        values: enumeration
            .value
            .iter()
            .map(|value| (value.number(), value.name().to_owned()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol() -> Schema {
        Schema::from_descriptor_set(xfn_proto::FILE_DESCRIPTOR_SET)
            .expect("the protocol is supported")
    }

    #[test]
    fn the_protocol_descriptors_are_supported_with_maps_oneofs_and_optionals() {
        let schema = protocol();
        let request = schema.message(
            schema
                .message_id("apiextensions.fn.proto.v1.RunFunctionRequest")
                .unwrap(),
        );
        let input = request.field(4).unwrap();
        assert_eq!(
            (input.json_name.as_str(), input.kind),
            ("input", Kind::WellKnown(WellKnown::Struct))
        );
        assert_eq!(
            input.cardinality,
            Cardinality::Single { has_presence: true }
        );
        let resources = request.field_named("required_resources").unwrap();
        assert_eq!(resources.json_name, "requiredResources");
        assert_eq!(resources.cardinality, Cardinality::Map);
        assert!(
            matches!(resources.kind, Kind::Message(id) if schema.message(id).name == "apiextensions.fn.proto.v1.Resources")
        );

        let selector = schema.message(
            schema
                .message_id("apiextensions.fn.proto.v1.ResourceSelector")
                .unwrap(),
        );
        let (name, labels) = (selector.field(3).unwrap(), selector.field(4).unwrap());
        assert_eq!(name.slot, labels.slot, "oneof members share a slot");
        assert_eq!(name.cardinality, Cardinality::Single { has_presence: true });
        let kind = selector.field(2).unwrap();
        assert_eq!(
            kind.cardinality,
            Cardinality::Single {
                has_presence: false
            }
        );

        let result = schema.message(
            schema
                .message_id("apiextensions.fn.proto.v1.Result")
                .unwrap(),
        );
        let Kind::Enum(severity) = result.field(1).unwrap().kind else {
            panic!("severity is an enum")
        };
        assert_eq!(
            schema.enumeration(severity).name_of(1),
            Some("SEVERITY_FATAL")
        );
        assert_eq!(
            schema.enumeration(severity).number_of("SEVERITY_NORMAL"),
            Some(3)
        );
        assert_eq!(
            result.field(4).unwrap().cardinality,
            Cardinality::Single { has_presence: true }
        );
    }
}
