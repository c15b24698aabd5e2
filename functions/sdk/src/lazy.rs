//! [`Lazy`]: a part of the request kept as JSON text until a handler first reads it.

use std::cell::OnceCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A value read from the request only when a handler first uses it.
///
/// A request carries every observed and desired resource, but most modules read a few of them.
/// `Lazy` keeps each resource body as the JSON text the host wrote (checked to be JSON, not
/// parsed into a tree) and parses it on first access through [`Deref`]. A body that is never
/// read is written back out as the same text, so passing desired state through costs a copy.
/// Changing it through [`DerefMut`] parses it first and writes the changed value.
///
/// Use it like the value it holds: `resource.resource.get("spec")` reads the body,
/// `resource.resource.insert(…)` changes it, and `Lazy::from(map)` (or `.into()`) wraps a value
/// a handler built.
///
/// # Panics
/// Dereferencing panics if the JSON text does not fit `T`. The host writes every resource body
/// as a JSON object, so this happens only to a `Lazy` built from text that is not one by
/// [`Lazy::from_json`].
///
/// # Examples
/// ```
/// use serde_json::{Map, Value, json};
/// use xfn_sdk::Lazy;
///
/// let mut body: Lazy<Map<String, Value>> = serde_json::from_str(r#"{"kind": "Bucket"}"#).unwrap();
/// assert!(!body.is_parsed());
/// assert_eq!(body["kind"], "Bucket");
/// assert!(body.is_parsed());
/// body.insert("apiVersion".into(), json!("v1"));
/// assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"apiVersion":"v1","kind":"Bucket"}"#);
/// ```
pub struct Lazy<T> {
    raw: Option<Box<RawValue>>,
    value: OnceCell<T>,
}

impl<T> Lazy<T> {
    /// A `Lazy` that already holds `value`.
    pub fn new(value: T) -> Lazy<T> {
        Lazy {
            raw: None,
            value: OnceCell::from(value),
        }
    }

    /// A `Lazy` over JSON text, parsed on first access.
    ///
    /// # Errors
    /// When `json` is not JSON at all (it is not checked against `T` until first access).
    pub fn from_json(json: &str) -> Result<Lazy<T>, serde_json::Error> {
        Ok(Lazy {
            raw: Some(RawValue::from_string(json.to_owned())?),
            value: OnceCell::new(),
        })
    }

    /// Whether the value has been parsed (or was never text).
    pub fn is_parsed(&self) -> bool {
        self.value.get().is_some()
    }

    /// The JSON text, while the value has not been parsed or changed.
    pub fn raw_json(&self) -> Option<&str> {
        self.raw.as_deref().map(RawValue::get)
    }
}

impl<T: DeserializeOwned> Lazy<T> {
    /// The value, parsed now if it was not yet.
    pub fn into_inner(mut self) -> T {
        self.force();
        self.value.take().expect("force parsed the value")
    }

    fn force(&self) -> &T {
        self.value.get_or_init(|| {
            let raw = self.raw.as_deref().expect("a Lazy holds text or a value");
            serde_json::from_str(raw.get()).unwrap_or_else(|error| {
                panic!("xfn-sdk: a lazily read part of the request does not fit its type: {error}")
            })
        })
    }
}

impl<T: DeserializeOwned> Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.force()
    }
}

impl<T: DeserializeOwned> DerefMut for Lazy<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.force();
        // The value may change now, so the text no longer stands for it.
        self.raw = None;
        self.value.get_mut().expect("force parsed the value")
    }
}

impl<T> From<T> for Lazy<T> {
    fn from(value: T) -> Lazy<T> {
        Lazy::new(value)
    }
}

impl<T: Default> Default for Lazy<T> {
    fn default() -> Lazy<T> {
        Lazy::new(T::default())
    }
}

impl<T: Clone> Clone for Lazy<T> {
    fn clone(&self) -> Lazy<T> {
        Lazy {
            raw: self.raw.clone(),
            value: self.value.clone(),
        }
    }
}

impl<T: DeserializeOwned + fmt::Debug> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.force().fmt(f)
    }
}

impl<T: DeserializeOwned + PartialEq> PartialEq for Lazy<T> {
    fn eq(&self, other: &Lazy<T>) -> bool {
        match (self.raw_json(), other.raw_json()) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.force() == other.force(),
        }
    }
}

impl<T: Serialize> Serialize for Lazy<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.value.get(), &self.raw) {
            (Some(value), _) => value.serialize(serializer),
            (None, Some(raw)) => raw.serialize(serializer),
            (None, None) => unreachable!("a Lazy holds text or a value"),
        }
    }
}

impl<'de, T> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Lazy<T>, D::Error> {
        Ok(Lazy {
            raw: Some(Box::<RawValue>::deserialize(deserializer)?),
            value: OnceCell::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;

    type Body = Lazy<Map<String, Value>>;

    #[test]
    fn an_unread_value_is_written_back_as_its_text() {
        let text = r#"{"b": 1.50, "a": [1,2]}"#;
        let body: Body = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"b": 1.50, "a": [1,2]}"#
        );
        assert!(!body.is_parsed());
        let copy = body.clone();
        assert_eq!(copy.raw_json(), Some(text));
    }

    #[test]
    fn a_read_value_is_parsed_once_and_a_changed_one_loses_its_text() {
        let mut body: Body = serde_json::from_str(r#"{"kind": "Bucket"}"#).unwrap();
        assert_eq!(body.get("kind"), Some(&json!("Bucket")));
        assert!(body.raw_json().is_some());
        body.remove("kind");
        assert_eq!(body.raw_json(), None);
        assert_eq!(serde_json::to_string(&body).unwrap(), "{}");
    }

    #[test]
    fn values_compare_by_content_and_convert_through_serde_json_values() {
        let parsed: Body = Lazy::new(json!({"a": 1}).as_object().unwrap().clone());
        let text: Body = serde_json::from_str(r#"{ "a" : 1 }"#).unwrap();
        assert_eq!(parsed, text);
        let via_value: Body = serde_json::from_value(json!({"a": 1})).unwrap();
        assert_eq!(via_value, text);
        assert_eq!(serde_json::to_value(&text).unwrap(), json!({"a": 1}));
        assert_eq!(text.into_inner(), *parsed);
    }

    #[test]
    #[should_panic(expected = "xfn-sdk: a lazily read part of the request does not fit its type")]
    fn text_that_does_not_fit_panics_on_first_use() {
        let body: Body = Lazy::from_json("[1]").unwrap();
        let _ = body.len();
    }
}
