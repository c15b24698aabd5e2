//! Deserialisation helpers shared by the message types.
//!
//! protojson allows `null` for any field (meaning its default) and accepts both the
//! lowerCamelCase and the original snake_case field names. The large messages (request,
//! response, state, resource) are read by [`read_message`], which reads each known field straight
//! into its type and keeps unknown fields as JSON. `#[serde(flatten)]` would do the latter too,
//! but it buffers the whole message first, which roughly doubles the cost of parsing a request.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::Capability;

/// Reads a field that may be `null`, giving its default for `null`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads `meta.capabilities`, dropping values this SDK does not know.
///
/// A newer Crossplane may advertise capabilities this SDK has never heard of; a module must keep
/// working, and a capability it does not know is one it cannot use anyway.
pub(crate) fn known_capabilities<'de, D>(deserializer: D) -> Result<Vec<Capability>, D::Error>
where
    D: Deserializer<'de>,
{
    let values: Vec<Value> = nullable(deserializer)?;
    Ok(values
        .into_iter()
        .filter_map(|value| Capability::deserialize(value).ok())
        .collect())
}

/// A protobuf message read field by field, with a place for fields it does not know.
pub(crate) trait Message: Default {
    /// What the message is, for "expected ..." errors: `"a RunFunctionRequest"`.
    const EXPECTING: &'static str;

    /// Reads the value of `key` into `self`, or returns `false` without reading when `key` is
    /// not a field of this message.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;

    /// Where unknown fields go.
    fn unknown_fields(&mut self) -> &mut Map<String, Value>;
}

/// Implements `Deserialize` for a message through [`read_message`]: each listed field read
/// under its protojson names (lowerCamelCase, then the proto name where it differs), `null` as
/// its default, and every other field kept in the message's `unknown_fields`.
///
/// ```text
/// message_fields!(State, "a State", {
///     "composite" => composite,
///     "resources" => resources,
/// });
/// ```
macro_rules! message_fields {
    ($message:ty, $expecting:literal, { $($($key:literal)|+ => $field:ident),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $message {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::de::read_message(deserializer)
            }
        }

        impl $crate::de::Message for $message {
            const EXPECTING: &'static str = $expecting;

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $($($key)|+ => self.$field = $crate::de::next_or_default(map)?,)+
                    _ => return Ok(false),
                }
                Ok(true)
            }

            fn unknown_fields(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                &mut self.unknown_fields
            }
        }
    };
}
pub(crate) use message_fields;

/// Reads a message of type `M`; unknown fields land in [`Message::unknown_fields`].
pub(crate) fn read_message<'de, D, M>(deserializer: D) -> Result<M, D::Error>
where
    D: Deserializer<'de>,
    M: Message,
{
    deserializer.deserialize_map(MessageVisitor(PhantomData))
}

/// Reads the next value of `map`, giving the default for `null`.
pub(crate) fn next_or_default<'de, A, T>(map: &mut A) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
}

struct MessageVisitor<M>(PhantomData<M>);

impl<'de, M: Message> Visitor<'de> for MessageVisitor<M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(M::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
        let mut message = M::default();
        while let Some(key) = map.next_key::<String>()? {
            if !message.read_field(&key, &mut map)? {
                let value: Value = map.next_value()?;
                message.unknown_fields().insert(key, value);
            }
        }
        Ok(message)
    }
}
