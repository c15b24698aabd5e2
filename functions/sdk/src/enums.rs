//! The protocol's enums, serialised by name as protojson does (`"READY_TRUE"`).
//!
//! Each enum reads either its name or its number (protojson parsers accept both) and writes its
//! name. The first variant is the proto3 zero value and the [`Default`].

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Declares a protocol enum with its proto names and numbers, plus serde and `Display`.
///
/// Plain `macro_rules!` over a table: five enums share exactly the same shape, and writing the
/// same two serde impls five times by hand is where a name and a number would drift apart.
macro_rules! proto_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(#[$zero_meta:meta])* $zero:ident = 0 => $zero_str:literal,
            $( $(#[$vmeta:meta])* $variant:ident = $num:literal => $str:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[$zero_meta])*
            #[default]
            $zero,
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// The name protojson uses for this value, e.g. `"READY_TRUE"`.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("assert_eq!(xfn_sdk::", stringify!($name), "::", stringify!($zero), ".as_str_name(), ", stringify!($zero_str), ");")]
            /// ```
            pub const fn as_str_name(self) -> &'static str {
                match self {
                    $name::$zero => $zero_str,
                    $( $name::$variant => $str, )+
                }
            }

            /// The value with the protojson name `name`, if there is one.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use xfn_sdk::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_str_name(", stringify!($zero_str), "), Some(", stringify!($name), "::", stringify!($zero), "));")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_str_name(\"NOPE\"), None);")]
            /// ```
            pub fn from_str_name(name: &str) -> Option<$name> {
                match name {
                    $zero_str => Some($name::$zero),
                    $( $str => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// The protobuf number of this value.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("assert_eq!(xfn_sdk::", stringify!($name), "::", stringify!($zero), ".number(), 0);")]
            /// ```
            pub const fn number(self) -> i32 {
                match self {
                    $name::$zero => 0,
                    $( $name::$variant => $num, )+
                }
            }

            /// The value with the protobuf number `number`, if there is one.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use xfn_sdk::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_number(0), Some(", stringify!($name), "::", stringify!($zero), "));")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_number(99), None);")]
            /// ```
            pub const fn from_number(number: i64) -> Option<$name> {
                match number {
                    0 => Some($name::$zero),
                    $( $num => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// Every name this enum has, for error messages.
            const NAMES: &'static [&'static str] = &[$zero_str, $( $str, )+];
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str_name())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str_name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct EnumVisitor;

                impl Visitor<'_> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "one of {}", $name::NAMES.join(", "))
                    }

                    fn visit_str<E: de::Error>(self, name: &str) -> Result<$name, E> {
                        $name::from_str_name(name)
                            .ok_or_else(|| E::unknown_variant(name, $name::NAMES))
                    }

                    fn visit_i64<E: de::Error>(self, number: i64) -> Result<$name, E> {
                        $name::from_number(number).ok_or_else(|| {
                            E::invalid_value(de::Unexpected::Signed(number), &self)
                        })
                    }

                    fn visit_u64<E: de::Error>(self, number: u64) -> Result<$name, E> {
                        i64::try_from(number)
                            .ok()
                            .and_then($name::from_number)
                            .ok_or_else(|| {
                                E::invalid_value(de::Unexpected::Unsigned(number), &self)
                            })
                    }
                }

                deserializer.deserialize_any(EnumVisitor)
            }
        }
    };
}

proto_enum! {
    /// Whether a desired resource is ready (`Resource.ready`).
    ///
    /// Crossplane counts a composed resource as ready only when it is [`Ready::True`]; an
    /// explicit value on the desired composite overrides the XR's computed readiness.
    Ready {
        /// No opinion (`READY_UNSPECIFIED`); Crossplane treats a composed resource as not ready.
        Unspecified = 0 => "READY_UNSPECIFIED",
        /// Ready (`READY_TRUE`).
        True = 1 => "READY_TRUE",
        /// Not ready (`READY_FALSE`).
        False = 2 => "READY_FALSE",
    }
}

proto_enum! {
    /// How severe a [`FunctionResult`](crate::FunctionResult) is.
    Severity {
        /// Not set (`SEVERITY_UNSPECIFIED`); Crossplane treats it as a warning.
        Unspecified = 0 => "SEVERITY_UNSPECIFIED",
        /// Stops the pipeline (`SEVERITY_FATAL`): later steps do not run and the XR is not synced.
        Fatal = 1 => "SEVERITY_FATAL",
        /// A Warning event on the XR (`SEVERITY_WARNING`).
        Warning = 2 => "SEVERITY_WARNING",
        /// A Normal event on the XR (`SEVERITY_NORMAL`).
        Normal = 3 => "SEVERITY_NORMAL",
    }
}

proto_enum! {
    /// Which object a result or condition is about.
    Target {
        /// Not set (`TARGET_UNSPECIFIED`): the composite resource.
        Unspecified = 0 => "TARGET_UNSPECIFIED",
        /// The composite resource (`TARGET_COMPOSITE`).
        Composite = 1 => "TARGET_COMPOSITE",
        /// The composite resource and its claim, if any (`TARGET_COMPOSITE_AND_CLAIM`).
        CompositeAndClaim = 2 => "TARGET_COMPOSITE_AND_CLAIM",
    }
}

proto_enum! {
    /// The status of a [`Condition`](crate::Condition).
    Status {
        /// Not set (`STATUS_CONDITION_UNSPECIFIED`).
        Unspecified = 0 => "STATUS_CONDITION_UNSPECIFIED",
        /// Unknown (`STATUS_CONDITION_UNKNOWN`).
        Unknown = 1 => "STATUS_CONDITION_UNKNOWN",
        /// True (`STATUS_CONDITION_TRUE`).
        True = 2 => "STATUS_CONDITION_TRUE",
        /// False (`STATUS_CONDITION_FALSE`).
        False = 3 => "STATUS_CONDITION_FALSE",
    }
}

proto_enum! {
    /// A capability the caller advertises in `meta.capabilities` (Crossplane 2.2 and later).
    ///
    /// Before 2.2 the list is empty; check [`Capability::Capabilities`] before relying on the
    /// absence of another one, as [`Request::has_capability`](crate::Request::has_capability)
    /// explains.
    Capability {
        /// Not set (`CAPABILITY_UNSPECIFIED`).
        Unspecified = 0 => "CAPABILITY_UNSPECIFIED",
        /// The caller advertises its capabilities (`CAPABILITY_CAPABILITIES`).
        Capabilities = 1 => "CAPABILITY_CAPABILITIES",
        /// The caller fetches `requirements.resources` (`CAPABILITY_REQUIRED_RESOURCES`).
        RequiredResources = 2 => "CAPABILITY_REQUIRED_RESOURCES",
        /// The caller sends credentials (`CAPABILITY_CREDENTIALS`).
        Credentials = 3 => "CAPABILITY_CREDENTIALS",
        /// The caller honours response conditions (`CAPABILITY_CONDITIONS`).
        Conditions = 4 => "CAPABILITY_CONDITIONS",
        /// The caller fetches `requirements.schemas` (`CAPABILITY_REQUIRED_SCHEMAS`).
        RequiredSchemas = 5 => "CAPABILITY_REQUIRED_SCHEMAS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_serialise_by_name() {
        assert_eq!(
            serde_json::to_string(&Ready::True).unwrap(),
            r#""READY_TRUE""#
        );
        assert_eq!(
            serde_json::to_string(&Severity::Fatal).unwrap(),
            r#""SEVERITY_FATAL""#
        );
        assert_eq!(
            serde_json::to_string(&Status::False).unwrap(),
            r#""STATUS_CONDITION_FALSE""#
        );
    }

    #[test]
    fn enums_read_names_and_numbers() {
        let ready: Ready = serde_json::from_str(r#""READY_FALSE""#).unwrap();
        assert_eq!(ready, Ready::False);
        let severity: Severity = serde_json::from_str("2").unwrap();
        assert_eq!(severity, Severity::Warning);
        let target: Target = serde_json::from_str("0").unwrap();
        assert_eq!(target, Target::Unspecified);
    }

    #[test]
    fn unknown_enum_name_is_an_error_that_lists_the_names() {
        let error = serde_json::from_str::<Ready>(r#""READY_MAYBE""#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown variant `READY_MAYBE`, expected one of `READY_UNSPECIFIED`, `READY_TRUE`, \
             `READY_FALSE` at line 1 column 13"
        );
        assert!(serde_json::from_str::<Ready>("7").is_err());
        assert!(serde_json::from_str::<Ready>("-1").is_err());
    }

    #[test]
    fn numbers_round_trip() {
        for ready in [Ready::Unspecified, Ready::True, Ready::False] {
            assert_eq!(Ready::from_number(ready.number().into()), Some(ready));
        }
        assert_eq!(Capability::RequiredSchemas.number(), 5);
    }
}
