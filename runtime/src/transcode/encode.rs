//! Protojson → protobuf wire bytes, in one streaming parse.
//!
//! serde_json drives the parse (its depth limit of 128 and its `line … column …` errors come
//! with it); the seeds below write each value to the wire as soon as it is read, guided by the
//! schema. Nested messages get a one-byte length placeholder that is back-patched when they end.
//! Accepted as Go's protojson accepts it: lowerCamelCase or proto field names, `null` for "not
//! set", enums by name or number, bytes as standard or URL-safe base64 with or without padding.
//! Refused: unknown fields, a field given twice, two members of one oneof, wrong JSON types.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{self, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

use super::schema::{Cardinality, FieldSchema, Kind, MessageId, Schema, WellKnown};
use super::wire::{
    WireType, put_delimited, put_delimited_each, put_duration, put_len_field, put_tag, put_varint,
};

/// Parses `json`, a protojson message of type `root`, and returns its wire bytes.
pub(crate) fn message(
    schema: &Schema,
    root: MessageId,
    json: &[u8],
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(json.len());
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    MessageSeed {
        schema,
        id: root,
        out: &mut out,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(out)
}

/// Writes the fields of one message (no tag, no length).
struct MessageSeed<'s, 'o> {
    schema: &'s Schema,
    id: MessageId,
    out: &'o mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", self.schema.message(self.id).name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let message = self.schema.message(self.id);
        let mut seen = 0u64;
        while let Some(field) = map.next_key_seed(FieldName { message })? {
            let bit = 1u64 << field.slot;
            if seen & bit != 0 {
                return Err(A::Error::custom(format_args!(
                    "field `{}` is given twice, or with another member of its oneof",
                    field.json_name
                )));
            }
            seen |= bit;
            map.next_value_seed(FieldSeed {
                schema: self.schema,
                field,
                out: &mut *self.out,
            })?;
        }
        Ok(())
    }
}

/// Reads a key of a message object as the field it names.
struct FieldName<'s> {
    message: &'s super::schema::MessageSchema,
}

impl<'de, 's> DeserializeSeed<'de> for FieldName<'s> {
    type Value = &'s FieldSchema;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'s> Visitor<'_> for FieldName<'s> {
    type Value = &'s FieldSchema;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        self.message.field_named(name).ok_or_else(|| {
            let known: Vec<&str> = self
                .message
                .fields
                .iter()
                .map(|f| f.json_name.as_str())
                .collect();
            E::custom(format_args!(
                "unknown field `{name}` in {}, expected one of {}",
                self.message.name,
                known.join(", ")
            ))
        })
    }
}

/// Writes one field of a message: nothing for `null`, one value, every element of an array, or
/// every entry of a map.
struct FieldSeed<'s, 'o> {
    schema: &'s Schema,
    field: &'s FieldSchema,
    out: &'o mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value for field `{}`", self.field.json_name)
    }

    /// protojson: `null` leaves a field unset, except where it is a `google.protobuf.Value`.
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        if self.field.kind == Kind::WellKnown(WellKnown::Value)
            && matches!(self.field.cardinality, Cardinality::Single { .. })
        {
            return put_delimited(self.out, self.field.number, |out| {
                DynamicValue { out }.visit_unit::<E>()
            });
        }
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.field.cardinality {
            Cardinality::Single { has_presence } => ValueSeed {
                schema: self.schema,
                kind: self.field.kind,
                number: self.field.number,
                keep_default: has_presence,
                out: self.out,
            }
            .deserialize(deserializer),
            Cardinality::Repeated => deserializer.deserialize_seq(Repeated(self)),
            Cardinality::Map => deserializer.deserialize_map(Repeated(self)),
        }
    }
}

/// Every element of a repeated field (a JSON array) or every entry of a map field (a JSON
/// object, each entry a message with the key as field 1 and the value as field 2).
struct Repeated<'s, 'o>(FieldSeed<'s, 'o>);

impl<'de> Visitor<'de> for Repeated<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.field.cardinality {
            Cardinality::Map => f.write_str("an object"),
            _ => f.write_str("an array"),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let FieldSeed { schema, field, out } = self.0;
        let (kind, number) = (field.kind, field.number);
        if let Kind::Enum(_) = kind {
            // Packed, as proto3 encoders write repeated scalars.
            return put_delimited(out, number, |out| {
                while let Some(value) = seq.next_element_seed(EnumNumber { schema, kind })? {
                    put_varint(out, value);
                }
                Ok(())
            });
        }
        while seq
            .next_element_seed(ValueSeed::element(schema, kind, number, &mut *out))?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let FieldSeed { schema, field, out } = self.0;
        put_delimited_each(out, field.number, |out| {
            if map.next_key_seed(KeyField(&mut *out))?.is_none() {
                return Ok(false);
            }
            map.next_value_seed(ValueSeed::element(schema, field.kind, 2, out))?;
            Ok(true)
        })
    }
}

/// Writes one value of `kind` as field `number`.
struct ValueSeed<'s, 'o> {
    schema: &'s Schema,
    kind: Kind,
    number: u32,
    /// Write default values too (fields with presence, list and map elements).
    keep_default: bool,
    out: &'o mut Vec<u8>,
}

impl<'s, 'o> ValueSeed<'s, 'o> {
    /// A value that is written even when it is the default: a list element or a map value.
    fn element(schema: &'s Schema, kind: Kind, number: u32, out: &'o mut Vec<u8>) -> Self {
        ValueSeed {
            schema,
            kind,
            number,
            keep_default: true,
            out,
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.kind {
            Kind::String | Kind::Bytes | Kind::WellKnown(WellKnown::Duration) => {
                deserializer.deserialize_str(self)
            }
            Kind::Enum(_) => {
                let (out, number, keep_default) = (self.out, self.number, self.keep_default);
                let value = EnumNumber {
                    schema: self.schema,
                    kind: self.kind,
                }
                .deserialize(deserializer)?;
                if value != 0 || keep_default {
                    put_tag(out, number, WireType::Varint);
                    put_varint(out, value);
                }
                Ok(())
            }
            Kind::Message(id) => {
                let schema = self.schema;
                put_delimited(self.out, self.number, |out| {
                    MessageSeed { schema, id, out }.deserialize(deserializer)
                })
            }
            Kind::WellKnown(WellKnown::Struct) => put_delimited(self.out, self.number, |out| {
                deserializer.deserialize_map(StructFields { out })
            }),
            Kind::WellKnown(WellKnown::ListValue) => put_delimited(self.out, self.number, |out| {
                deserializer.deserialize_seq(ListValues { out })
            }),
            Kind::WellKnown(WellKnown::Value) => put_delimited(self.out, self.number, |out| {
                deserializer.deserialize_any(DynamicValue { out })
            }),
        }
    }
}

impl Visitor<'_> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self.schema, self.kind))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        match self.kind {
            Kind::String => {
                if !text.is_empty() || self.keep_default {
                    put_len_field(self.out, self.number, text.as_bytes());
                }
            }
            Kind::Bytes => {
                let bytes = decode_base64(text)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &"base64"))?;
                if !bytes.is_empty() || self.keep_default {
                    put_len_field(self.out, self.number, &bytes);
                }
            }
            Kind::WellKnown(WellKnown::Duration) => {
                let (seconds, nanos) = parse_duration(text).ok_or_else(|| {
                    E::invalid_value(de::Unexpected::Str(text), &"a duration such as \"1.5s\"")
                })?;
                put_duration(self.out, self.number, seconds, nanos);
            }
            _ => unreachable!("only text kinds deserialize from strings"),
        }
        Ok(())
    }
}

/// Reads an enum value, by name or number, as its varint.
struct EnumNumber<'s> {
    schema: &'s Schema,
    kind: Kind,
}

impl<'de> DeserializeSeed<'de> for EnumNumber<'_> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Visitor<'_> for EnumNumber<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self.schema, self.kind))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<u64, E> {
        let Kind::Enum(id) = self.kind else {
            unreachable!("EnumNumber reads enums")
        };
        let enumeration = self.schema.enumeration(id);
        let number = enumeration.number_of(name).ok_or_else(|| {
            let names: Vec<&str> = enumeration.values.iter().map(|(_, n)| n.as_str()).collect();
            E::custom(format_args!(
                "unknown {} value `{name}`, expected one of {}",
                enumeration.name,
                names.join(", ")
            ))
        })?;
        Ok(i64::from(number) as u64)
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<u64, E> {
        let number = i32::try_from(number)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(number), &self))?;
        Ok(i64::from(number) as u64)
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<u64, E> {
        let number = i32::try_from(number)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(number), &self))?;
        Ok(i64::from(number) as u64)
    }
}

/// Writes a map key, read without copying, as field 1 of its entry.
struct KeyField<'o>(&'o mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for KeyField<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyField<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        put_len_field(self.0, 1, key.as_bytes());
        Ok(())
    }
}

/// The fields of a `google.protobuf.Struct`, from a JSON object.
struct StructFields<'o> {
    out: &'o mut Vec<u8>,
}

impl<'de> Visitor<'de> for StructFields<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        put_delimited_each(self.out, 1, |out| {
            if map.next_key_seed(KeyField(&mut *out))?.is_none() {
                return Ok(false);
            }
            put_delimited(out, 2, |out| map.next_value_seed(DynamicValue { out }))?;
            Ok(true)
        })
    }
}

/// The values of a `google.protobuf.ListValue`, from a JSON array.
struct ListValues<'o> {
    out: &'o mut Vec<u8>,
}

impl<'de> Visitor<'de> for ListValues<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        put_delimited_each(self.out, 1, |out| {
            Ok(seq.next_element_seed(DynamicValue { out })?.is_some())
        })
    }
}

/// The fields of a `google.protobuf.Value` (no tag, no length), from any JSON value.
struct DynamicValue<'o> {
    out: &'o mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for DynamicValue<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DynamicValue<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        put_tag(self.out, 1, WireType::Varint);
        put_varint(self.out, 0);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<(), E> {
        put_tag(self.out, 4, WireType::Varint);
        put_varint(self.out, u64::from(flag));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<(), E> {
        put_tag(self.out, 2, WireType::Fixed64);
        self.out.extend_from_slice(&number.to_le_bytes());
        Ok(())
    }

    // JSON integers become the nearest double, as Go's protojson reads them.
    #[allow(
        clippy::cast_precision_loss,
        reason = "a Value holds numbers as doubles"
    )]
    fn visit_i64<E: de::Error>(self, number: i64) -> Result<(), E> {
        self.visit_f64(number as f64)
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "a Value holds numbers as doubles"
    )]
    fn visit_u64<E: de::Error>(self, number: u64) -> Result<(), E> {
        self.visit_f64(number as f64)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        put_len_field(self.out, 3, text.as_bytes());
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        put_delimited(self.out, 5, |out| StructFields { out }.visit_map(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        put_delimited(self.out, 6, |out| ListValues { out }.visit_seq(seq))
    }
}

/// How an error names what a field expects.
fn describe(schema: &Schema, kind: Kind) -> String {
    match kind {
        Kind::String => "a string".to_owned(),
        Kind::Bytes => "a base64 string".to_owned(),
        Kind::Enum(id) => format!("a {} name", schema.enumeration(id).name),
        Kind::Message(id) => format!("a {} object", schema.message(id).name),
        Kind::WellKnown(WellKnown::Struct) => "a JSON object".to_owned(),
        Kind::WellKnown(WellKnown::ListValue) => "a JSON array".to_owned(),
        Kind::WellKnown(WellKnown::Value) => "any JSON value".to_owned(),
        Kind::WellKnown(WellKnown::Duration) => "a duration such as \"1.5s\"".to_owned(),
    }
}

/// Base64 as protojson reads `bytes`: standard or URL-safe alphabet, padded or not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine.decode(text).ok()
}

/// Largest duration protobuf allows, in seconds (10,000 years).
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;

/// Parses a protojson duration: an optional `-`, seconds, up to nine fractional digits, `s`.
fn parse_duration(text: &str) -> Option<(i64, i32)> {
    let number = text.strip_suffix('s')?;
    let (negative, number) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !is_digits(whole)
        || !is_digits(fraction)
        || fraction.len() > 9
        || number.ends_with('.')
    {
        return None;
    }
    let seconds: i64 = whole.parse().ok().filter(|s| *s <= MAX_DURATION_SECONDS)?;
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };
    Some(if negative {
        (-seconds, -nanos)
    } else {
        (seconds, nanos)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_protojson_writes_them() {
        assert_eq!(parse_duration("60s"), Some((60, 0)));
        assert_eq!(parse_duration("1.5s"), Some((1, 500_000_000)));
        assert_eq!(parse_duration("-0.000000001s"), Some((0, -1)));
        assert_eq!(parse_duration("315576000000s"), Some((315_576_000_000, 0)));
        for bad in [
            "",
            "s",
            "60",
            "1.s",
            ".5s",
            "1.0000000001s",
            "315576000001s",
            "1m",
            "+1s",
            "1e3s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64_is_read_in_either_alphabet_with_or_without_padding() {
        assert_eq!(decode_base64("aHVudGVyMg==").unwrap(), b"hunter2");
        assert_eq!(decode_base64("aHVudGVyMg").unwrap(), b"hunter2");
        assert_eq!(decode_base64("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("!!"), None);
    }
}
