//! An observed object converted into a typed Kubernetes object as function-auto-ready converts it:
//! apimachinery's `runtime.DefaultUnstructuredConverter.FromUnstructured`, whose rules differ from
//! serde's. A `null` anywhere is the zero value; an integer is narrowed to its field's width as
//! Go's conversions narrow it (wrapping); a fractional number in an integer field, a string in a
//! number field and any other mismatch fail the whole conversion; timestamps are read with
//! Go's `time.Parse`; unknown fields are ignored. The typed objects are `k8s-openapi`'s.
//!
//! The observed objects reach the module as JSON, in which Go's decoder would hold a whole
//! number as an `int64` and anything else as a `float64`; serde_json's integer and float numbers
//! are read the same way.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde_json::{Map, Value};

use crate::gotime;

/// Why an object does not convert: apimachinery's error would say the same of its first
/// offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConversionError(String);

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConversionError {}

impl de::Error for ConversionError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self(message.to_string())
    }
}

/// `object` as the typed `T`, or why apimachinery would refuse it.
pub(crate) fn from_unstructured<T: DeserializeOwned>(object: &Value) -> Result<T, ConversionError> {
    T::deserialize(Unstructured(object))
}

/// A JSON value read with apimachinery's conversion rules.
#[derive(Clone, Copy)]
struct Unstructured<'a>(&'a Value);

impl<'de> IntoDeserializer<'de, ConversionError> for Unstructured<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'a> Unstructured<'a> {
    /// The Go kind of the value as apimachinery's decoder would hold it.
    fn kind(self) -> &'static str {
        match self.0 {
            Value::Null => "nil",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.as_i64().is_some() => "int64",
            Value::Number(_) => "float64",
            Value::String(_) => "string",
            Value::Array(_) => "slice",
            Value::Object(_) => "map",
        }
    }

    fn cannot_convert(self, into: &str) -> ConversionError {
        ConversionError(format!("cannot convert {} to {into}", self.kind()))
    }

    fn cannot_restore(self, into: &str) -> ConversionError {
        ConversionError(format!("cannot restore {into} from {}", self.kind()))
    }

    /// The value as Go's conversion to an integer type makes it, before narrowing: `null` is 0,
    /// an integer is itself, a whole float converts (as amd64 converts it: out of range is the
    /// minimum), a fractional one or anything else fails.
    fn integer(self, into: &str) -> Result<i64, ConversionError> {
        let Value::Number(number) = self.0 else {
            return match self.0 {
                Value::Null => Ok(0),
                _ => Err(self.cannot_convert(into)),
            };
        };
        if let Some(integer) = number.as_i64() {
            return Ok(integer);
        }
        let float = number.as_f64().unwrap_or(f64::NAN);
        if float.trunc() != float {
            return Err(self.cannot_convert(into));
        }
        #[allow(
            clippy::cast_precision_loss,
            reason = "the bounds of i64 are powers of two, exact as floats"
        )]
        let in_range = (i64::MIN as f64..i64::MAX as f64).contains(&float);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a whole float within i64's range converts exactly"
        )]
        Ok(if in_range { float as i64 } else { i64::MIN })
    }

    /// An object's entries, each value read with these rules.
    fn entries(
        object: &'a Map<String, Value>,
    ) -> MapDeserializer<'a, impl Iterator<Item = (&'a str, Self)>, ConversionError> {
        MapDeserializer::new(
            object
                .iter()
                .map(|(key, value)| (key.as_str(), Unstructured(value))),
        )
    }

    fn items(items: &'a [Value]) -> SeqDeserializer<impl Iterator<Item = Self>, ConversionError> {
        SeqDeserializer::new(items.iter().map(Unstructured))
    }
}

/// Go's zero `time.Time`, what `metav1.Time` holds after reading `null`.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Integer fields, narrowed with Go's wrapping conversion.
macro_rules! integers {
    ($($method:ident => $visit:ident($type:ty) as $go:literal;)*) => {$(
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "Go's integer conversions wrap"
        )]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            visitor.$visit(self.integer($go)? as $type)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Unstructured<'de> {
    type Error = ConversionError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => visitor.visit_i64(i),
                (None, Some(u)) => visitor.visit_u64(u),
                _ => visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Self::items(items)),
            Value::Object(object) => visitor.visit_map(Self::entries(object)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_bool(false),
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.cannot_convert("bool")),
        }
    }

    integers! {
        deserialize_i8 => visit_i8(i8) as "int8";
        deserialize_i16 => visit_i16(i16) as "int16";
        deserialize_i32 => visit_i32(i32) as "int32";
        deserialize_i64 => visit_i64(i64) as "int64";
        deserialize_u8 => visit_u8(u8) as "uint8";
        deserialize_u16 => visit_u16(u16) as "uint16";
        deserialize_u32 => visit_u32(u32) as "uint32";
        deserialize_u64 => visit_u64(u64) as "uint64";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_f64(0.0),
            Value::Number(n) => visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
            _ => Err(self.cannot_convert("float64")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_borrowed_str(""),
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.cannot_convert("string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_seq(Self::items(&[])),
            Value::Array(items) => visitor.visit_seq(Self::items(items)),
            _ => Err(self.cannot_restore("slice")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => {
                visitor.visit_map(MapDeserializer::new(std::iter::empty::<(&str, Self)>()))
            }
            Value::Object(object) => visitor.visit_map(Self::entries(object)),
            _ => Err(self.cannot_restore("map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => {
                visitor.visit_map(MapDeserializer::new(std::iter::empty::<(&str, Self)>()))
            }
            Value::Object(object) => visitor.visit_map(Self::entries(object)),
            _ => Err(self.cannot_restore("struct")),
        }
    }

    /// `Time` and `MicroTime` are read with Go's RFC 3339 parser and handed to k8s-openapi in
    /// UTC; other newtypes (quantities, `FieldsV1`) take the value as it is.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        if !matches!(name, "Time" | "MicroTime") {
            return visitor.visit_newtype_struct(self);
        }
        let text = match self.0 {
            Value::Null => return visitor.visit_newtype_struct(StrDeserializer::new(ZERO_TIME)),
            Value::String(text) => text,
            _ => return Err(self.cannot_convert("metav1.Time")),
        };
        let cannot_parse =
            || ConversionError(format!("parsing time {text:?} as RFC 3339: cannot parse"));
        let (seconds, nanos) = gotime::parse_rfc3339(text).ok_or_else(cannot_parse)?;
        // Go's years run to 9999 in any zone; jiff's end at 9999 in UTC.
        let utc = i32::try_from(nanos)
            .ok()
            .and_then(|nanos| jiff::Timestamp::new(seconds, nanos).ok())
            .ok_or_else(cannot_parse)?;
        visitor.visit_newtype_struct(StrDeserializer::new(&utc.to_string()))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf unit unit_struct tuple tuple_struct enum identifier
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use k8s_openapi::api::batch::v1::CronJob;
    use serde_json::json;

    use super::from_unstructured;

    fn replica_set(object: serde_json::Value) -> Result<ReplicaSet, String> {
        from_unstructured(&object).map_err(|e| e.to_string())
    }

    #[test]
    fn nulls_are_zero_values() {
        let converted = replica_set(json!({
            "metadata": {"labels": {"a": null}, "generation": null},
            "spec": {"template": {"spec": {"containers": [null]}}},
            "status": {"replicas": null, "conditions": null},
        }))
        .unwrap();
        assert_eq!(converted.metadata.labels.unwrap()["a"], "");
        let containers = converted
            .spec
            .unwrap()
            .template
            .unwrap()
            .spec
            .unwrap()
            .containers;
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].name, "");
    }

    #[test]
    fn numbers_follow_go() {
        let available = |value| {
            replica_set(json!({"status": {"availableReplicas": value}}))
                .map(|rs| rs.status.unwrap().available_replicas)
        };
        assert_eq!(available(json!(3)), Ok(Some(3)));
        assert_eq!(available(json!(-1)), Ok(Some(-1)));
        assert_eq!(available(json!(2_147_483_648_i64)), Ok(Some(i32::MIN)));
        assert_eq!(
            available(json!(2.5)),
            Err("cannot convert float64 to int32".into())
        );
        assert_eq!(
            available(json!("3")),
            Err("cannot convert string to int32".into())
        );
        assert_eq!(
            available(json!(true)),
            Err("cannot convert bool to int32".into())
        );
    }

    #[test]
    fn shapes_must_match() {
        assert_eq!(
            replica_set(json!({"spec": "big"})).map(drop),
            Err("cannot restore struct from string".into())
        );
        assert_eq!(
            replica_set(json!({"metadata": {"finalizers": "one"}})).map(drop),
            Err("cannot restore slice from string".into())
        );
        assert_eq!(
            replica_set(json!({"metadata": {"labels": ["a"]}})).map(drop),
            Err("cannot restore map from slice".into())
        );
        assert_eq!(
            replica_set(json!({"unknown": {"fields": [1, "x"]}, "status": {"other": 1}})).map(drop),
            Ok(())
        );
    }

    #[test]
    fn timestamps_are_read_with_go_rules() {
        let scheduled = |value| {
            from_unstructured::<CronJob>(&json!({"status": {"lastScheduleTime": value}}))
                .map(|job| {
                    job.status
                        .unwrap()
                        .last_schedule_time
                        .map(|t| t.0.to_string())
                })
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            scheduled(json!("2024-05-01T12:00:00.5+02:00")),
            Ok(Some("2024-05-01T10:00:00.5Z".into()))
        );
        assert_eq!(scheduled(json!(null)), Ok(None));
        assert_eq!(
            scheduled(json!("2024-05-01t12:00:00Z")),
            Err(r#"parsing time "2024-05-01t12:00:00Z" as RFC 3339: cannot parse"#.into())
        );
        assert_eq!(
            scheduled(json!(1_714_557_600)),
            Err("cannot convert int64 to metav1.Time".into())
        );
    }
}
