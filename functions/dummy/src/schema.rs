//! The shape of `RunFunctionResponse` (apiextensions.fn.proto.v1) as data: what the protojson
//! reader checks an overlay against and what the merge walks.
//!
//! Only what protojson and `proto.Merge` need: field names (JSON and proto), types, whether a
//! field is repeated, a map, explicitly optional or in a oneof.

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

const READY: Enum = Enum {
    name: "Ready",
    values: &["READY_UNSPECIFIED", "READY_TRUE", "READY_FALSE"],
};

const SEVERITY: Enum = Enum {
    name: "Severity",
    values: &[
        "SEVERITY_UNSPECIFIED",
        "SEVERITY_FATAL",
        "SEVERITY_WARNING",
        "SEVERITY_NORMAL",
    ],
};

const TARGET: Enum = Enum {
    name: "Target",
    values: &[
        "TARGET_UNSPECIFIED",
        "TARGET_COMPOSITE",
        "TARGET_COMPOSITE_AND_CLAIM",
    ],
};

const STATUS: Enum = Enum {
    name: "Status",
    values: &[
        "STATUS_CONDITION_UNSPECIFIED",
        "STATUS_CONDITION_UNKNOWN",
        "STATUS_CONDITION_TRUE",
        "STATUS_CONDITION_FALSE",
    ],
};

const RESPONSE_META: Message = Message {
    name: "ResponseMeta",
    fields: &[
        field("tag", "tag", Type::String),
        optional("ttl", "ttl", Type::Duration),
    ],
};

const RESOURCE: Message = Message {
    name: "Resource",
    fields: &[
        field("resource", "resource", Type::Struct),
        map("connectionDetails", "connection_details", Type::Bytes),
        field("ready", "ready", Type::Enum(&READY)),
    ],
};

const STATE: Message = Message {
    name: "State",
    fields: &[
        field("composite", "composite", Type::Message(&RESOURCE)),
        map("resources", "resources", Type::Message(&RESOURCE)),
    ],
};

const RESULT: Message = Message {
    name: "Result",
    fields: &[
        field("severity", "severity", Type::Enum(&SEVERITY)),
        field("message", "message", Type::String),
        optional("reason", "reason", Type::String),
        optional("target", "target", Type::Enum(&TARGET)),
    ],
};

const MATCH_LABELS: Message = Message {
    name: "MatchLabels",
    fields: &[map("labels", "labels", Type::String)],
};

const RESOURCE_SELECTOR: Message = Message {
    name: "ResourceSelector",
    fields: &[
        field("apiVersion", "api_version", Type::String),
        field("kind", "kind", Type::String),
        one_of("matchName", "match_name", Type::String, "match"),
        one_of(
            "matchLabels",
            "match_labels",
            Type::Message(&MATCH_LABELS),
            "match",
        ),
        optional("namespace", "namespace", Type::String),
    ],
};

const SCHEMA_SELECTOR: Message = Message {
    name: "SchemaSelector",
    fields: &[
        field("apiVersion", "api_version", Type::String),
        field("kind", "kind", Type::String),
    ],
};

const REQUIREMENTS: Message = Message {
    name: "Requirements",
    fields: &[
        map(
            "extraResources",
            "extra_resources",
            Type::Message(&RESOURCE_SELECTOR),
        ),
        map("resources", "resources", Type::Message(&RESOURCE_SELECTOR)),
        map("schemas", "schemas", Type::Message(&SCHEMA_SELECTOR)),
    ],
};

const CONDITION: Message = Message {
    name: "Condition",
    fields: &[
        field("type", "type", Type::String),
        field("status", "status", Type::Enum(&STATUS)),
        field("reason", "reason", Type::String),
        optional("message", "message", Type::String),
        optional("target", "target", Type::Enum(&TARGET)),
    ],
};

/// `RunFunctionResponse`.
pub(crate) const RUN_FUNCTION_RESPONSE: Message = Message {
    name: "RunFunctionResponse",
    fields: &[
        field("meta", "meta", Type::Message(&RESPONSE_META)),
        field("desired", "desired", Type::Message(&STATE)),
        repeated("results", "results", Type::Message(&RESULT)),
        optional("context", "context", Type::Struct),
        field("requirements", "requirements", Type::Message(&REQUIREMENTS)),
        repeated("conditions", "conditions", Type::Message(&CONDITION)),
        optional("output", "output", Type::Struct),
    ],
};
