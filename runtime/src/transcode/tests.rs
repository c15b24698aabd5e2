//! The transcoder against prost + pbjson: on generated requests and responses (arbitrary
//! `Struct`s, unicode and escapes, big, negative and fractional numbers, empty and missing
//! fields) both paths must give the same JSON and the same messages.

use std::collections::HashMap;

use proptest::collection::{hash_map, vec};
use proptest::prelude::*;
use prost::Message as _;
use serde_json::{Value as Json, json};
use xfn_proto::pbjson_types::{Duration, ListValue, Struct, Value, value::Kind};
use xfn_proto::v1::{
    Condition, CredentialData, Credentials, MatchLabels, RequestMeta, Requirements, Resource,
    ResourceSelector, Resources, ResponseMeta, Result as StepResult, RunFunctionRequest,
    RunFunctionResponse, Schema, SchemaSelector, State, credentials, resource_selector,
};

use super::*;

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<i32>().prop_map(f64::from),
        (-(1i64 << 60)..(1i64 << 60)).prop_map(|n| n as f64),
        any::<f64>().prop_filter("JSON holds finite numbers", |n| n.is_finite()),
        Just(-0.0),
        Just(9_007_199_254_740_992.0),
        Just(1e21),
        Just(1e-7),
        Just(0.1),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,8}",
        any::<String>(),
        Just("quote \" backslash \\ newline \n tab \t nul \u{0}".to_owned()),
        Just("ünïcödé ✓ 😀".to_owned()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Kind::NullValue(0)),
        number().prop_map(Kind::NumberValue),
        text().prop_map(Kind::StringValue),
        any::<bool>().prop_map(Kind::BoolValue),
    ];
    leaf.prop_map(|kind| Value { kind: Some(kind) })
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                hash_map(text(), inner.clone(), 0..6).prop_map(|fields| Value {
                    kind: Some(Kind::StructValue(Struct { fields }))
                }),
                vec(inner, 0..6).prop_map(|values| Value {
                    kind: Some(Kind::ListValue(ListValue { values }))
                }),
            ]
        })
}

fn structure() -> impl Strategy<Value = Struct> {
    hash_map(text(), value(), 0..6).prop_map(|fields| Struct { fields })
}

fn bytes_map() -> impl Strategy<Value = HashMap<String, Vec<u8>>> {
    hash_map(text(), vec(any::<u8>(), 0..12), 0..3)
}

fn resource() -> impl Strategy<Value = Resource> {
    (proptest::option::of(structure()), bytes_map(), 0..3i32).prop_map(
        |(resource, connection_details, ready)| Resource {
            resource,
            connection_details,
            ready,
        },
    )
}

fn state() -> impl Strategy<Value = State> {
    (
        proptest::option::of(resource()),
        hash_map(text(), resource(), 0..4),
    )
        .prop_map(|(composite, resources)| State {
            composite,
            resources,
        })
}

fn resources() -> impl Strategy<Value = Resources> {
    vec(resource(), 0..3).prop_map(|items| Resources { items })
}

prop_compose! {
    fn request()(
        meta in proptest::option::of(
            (text(), vec(0..6i32, 0..4))
                .prop_map(|(tag, capabilities)| RequestMeta { tag, capabilities }),
        ),
        observed in proptest::option::of(state()),
        desired in proptest::option::of(state()),
        input in proptest::option::of(structure()),
        context in proptest::option::of(structure()),
        extra_resources in hash_map(text(), resources(), 0..2),
        credentials in hash_map(text(), proptest::option::of(bytes_map()), 0..2),
        required_resources in hash_map(text(), resources(), 0..2),
        required_schemas in hash_map(text(), proptest::option::of(structure()), 0..2),
    ) -> RunFunctionRequest {
        let credentials = credentials
            .into_iter()
            .map(|(name, data)| {
                let source =
                    data.map(|data| credentials::Source::CredentialData(CredentialData { data }));
                (name, Credentials { source })
            })
            .collect();
        let required_schemas = required_schemas
            .into_iter()
            .map(|(name, openapi_v3)| (name, Schema { openapi_v3 }))
            .collect();
        RunFunctionRequest {
            meta,
            observed,
            desired,
            input,
            context,
            extra_resources,
            credentials,
            required_resources,
            required_schemas,
        }
    }
}

fn selector() -> impl Strategy<Value = ResourceSelector> {
    (
        text(),
        text(),
        prop_oneof![
            Just(None),
            text().prop_map(|name| Some(resource_selector::Match::MatchName(name))),
            hash_map(text(), text(), 0..3).prop_map(|labels| Some(
                resource_selector::Match::MatchLabels(MatchLabels { labels })
            )),
        ],
        proptest::option::of(text()),
    )
        .prop_map(|(api_version, kind, r#match, namespace)| ResourceSelector {
            api_version,
            kind,
            r#match,
            namespace,
        })
}

fn response() -> impl Strategy<Value = RunFunctionResponse> {
    let result = (
        0..4i32,
        text(),
        proptest::option::of(text()),
        proptest::option::of(0..3i32),
    )
        .prop_map(|(severity, message, reason, target)| StepResult {
            severity,
            message,
            reason,
            target,
        });
    let condition = (
        text(),
        0..4i32,
        text(),
        proptest::option::of(text()),
        proptest::option::of(0..3i32),
    )
        .prop_map(|(r#type, status, reason, message, target)| Condition {
            r#type,
            status,
            reason,
            message,
            target,
        });
    let requirements = (
        hash_map(text(), selector(), 0..2),
        hash_map(text(), selector(), 0..3),
        hash_map(
            text(),
            (text(), text()).prop_map(|(api_version, kind)| SchemaSelector { api_version, kind }),
            0..2,
        ),
    )
        .prop_map(|(extra_resources, resources, schemas)| Requirements {
            extra_resources,
            resources,
            schemas,
        });
    (
        proptest::option::of(
            (
                text(),
                proptest::option::of((0..1_000_000i64, 0..1_000_000_000i32)),
            )
                .prop_map(|(tag, ttl)| ResponseMeta {
                    tag,
                    ttl: ttl.map(|(seconds, nanos)| Duration { seconds, nanos }),
                }),
        ),
        proptest::option::of(state()),
        vec(result, 0..3),
        proptest::option::of(structure()),
        proptest::option::of(requirements),
        vec(condition, 0..3),
        proptest::option::of(structure()),
    )
        .prop_map(
            |(meta, desired, results, context, requirements, conditions, output)| {
                RunFunctionResponse {
                    meta,
                    desired,
                    results,
                    context,
                    requirements,
                    conditions,
                    output,
                }
            },
        )
}

/// `value` with every number as a double, so `3` and `3.0` compare equal.
fn normalise(value: Json) -> Json {
    match value {
        Json::Number(n) => json!(n.as_f64().expect("every JSON number reads as a double")),
        Json::Array(items) => Json::Array(items.into_iter().map(normalise).collect()),
        Json::Object(fields) => {
            Json::Object(fields.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn requests_transcode_to_the_json_pbjson_writes(request in request(), config in proptest::option::of(structure())) {
        let transcoder = Transcoder::new();
        let config_json = config.as_ref().map(|c| serde_json::to_vec(c).unwrap());
        let ours = transcoder.request_json(&request.encode_to_vec(), config_json.as_deref()).unwrap();
        let ours: Json = serde_json::from_slice(&ours).expect("the transcoder writes valid JSON");

        let expected = RunFunctionRequest { input: None, ..request };
        let mut expected = serde_json::to_value(&expected).unwrap();
        if let Some(config) = config {
            expected["input"] = serde_json::to_value(config).unwrap();
        }
        prop_assert_eq!(normalise(ours), normalise(expected));
    }

    #[test]
    fn responses_encode_to_the_message_pbjson_reads(response in response()) {
        let transcoder = Transcoder::new();
        let json = serde_json::to_vec(&response).unwrap();
        let wire = transcoder.response_wire(&json).unwrap();
        prop_assert_eq!(RunFunctionResponse::decode(wire.as_slice()).unwrap(), response);
    }

    #[test]
    fn responses_round_trip_through_both_directions(response in response()) {
        let transcoder = Transcoder::new();
        let json = decode::Decoder::message(&transcoder.schema, transcoder.response, &response.encode_to_vec(), None)
            .map_err(Error::from)
            .unwrap();
        let wire = transcoder.response_wire(&json).unwrap();
        prop_assert_eq!(RunFunctionResponse::decode(wire.as_slice()).unwrap(), response);
    }
}

fn request_json(request: &RunFunctionRequest) -> Result<String> {
    Transcoder::new()
        .request_json(&request.encode_to_vec(), None)
        .map(|bytes| String::from_utf8(bytes).unwrap())
}

#[test]
fn numbers_reach_the_module_as_go_writes_them() {
    let numbers = [
        ("replicas", 3.0),
        ("ratio", 0.5),
        ("big", 1_152_921_504_606_846_976.0),
        ("huge", 1e21),
        ("small", -1.5e-7),
    ];
    let request = observed_spec_fields(
        numbers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect(),
    );
    let json = request_json(&request).unwrap();
    for expected in [
        r#""replicas":3"#,
        r#""ratio":0.5"#,
        r#""big":1152921504606847000"#,
        r#""huge":1e+21"#,
        r#""small":-1.5e-7"#,
    ] {
        assert!(json.contains(expected), "{json} lacks {expected}");
    }
}

/// A request whose observed XR has `spec` with `fields`, built as prost messages so they may hold
/// what JSON cannot.
fn observed_spec_fields(fields: HashMap<String, Value>) -> RunFunctionRequest {
    let spec = Value {
        kind: Some(Kind::StructValue(Struct { fields })),
    };
    let resource = Struct {
        fields: HashMap::from([("spec".to_owned(), spec)]),
    };
    RunFunctionRequest {
        observed: Some(State {
            composite: Some(Resource {
                resource: Some(resource),
                ..Resource::default()
            }),
            ..State::default()
        }),
        ..RunFunctionRequest::default()
    }
}

#[test]
fn nan_and_infinity_are_refused_with_their_path() {
    let nan = observed_spec_fields(HashMap::from([("ratio".to_owned(), Value::from(f64::NAN))]));
    assert_eq!(
        request_json(&nan).unwrap_err().to_string(),
        "observed.composite.resource.spec.ratio: NaN is not a JSON number; a google.protobuf.Value holds only finite numbers, so the function that wrote it must write a string or a finite number"
    );
    let list = Value::from(vec![Value::from(1.0), Value::from(f64::NEG_INFINITY)]);
    let infinity = observed_spec_fields(HashMap::from([("a b".to_owned(), list)]));
    let message = request_json(&infinity).unwrap_err().to_string();
    assert!(
        message
            .starts_with("observed.composite.resource.spec[\"a b\"][1]: -inf is not a JSON number"),
        "{message}"
    );
}

#[test]
fn the_config_replaces_the_input_and_without_one_the_input_is_left_out() {
    let request = RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: "t".into(),
            capabilities: vec![1, 5],
        }),
        input: Some(serde_json::from_value(json!({"kind": "Module"})).unwrap()),
        ..RunFunctionRequest::default()
    };
    let transcoder = Transcoder::new();
    let bytes = request.encode_to_vec();
    assert_eq!(
        String::from_utf8(
            transcoder
                .request_json(&bytes, Some(br#"{"a":1}"#))
                .unwrap()
        )
        .unwrap(),
        r#"{"meta":{"tag":"t","capabilities":["CAPABILITY_CAPABILITIES","CAPABILITY_REQUIRED_SCHEMAS"]},"input":{"a":1}}"#
    );
    assert_eq!(
        String::from_utf8(transcoder.request_json(&bytes, None).unwrap()).unwrap(),
        r#"{"meta":{"tag":"t","capabilities":["CAPABILITY_CAPABILITIES","CAPABILITY_REQUIRED_SCHEMAS"]}}"#
    );
    assert_eq!(
        String::from_utf8(transcoder.request_json(&[], Some(b"{}")).unwrap()).unwrap(),
        r#"{"input":{}}"#
    );
}

#[test]
fn a_field_split_on_the_wire_is_merged_as_protobuf_does() {
    let first = RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: "a".into(),
            capabilities: vec![1],
        }),
        ..RunFunctionRequest::default()
    };
    let second = observed_spec_fields(HashMap::from([("n".to_owned(), Value::from(1.0))]));
    let third = RunFunctionRequest {
        meta: Some(RequestMeta {
            tag: "b".into(),
            capabilities: vec![2],
        }),
        ..RunFunctionRequest::default()
    };
    let bytes = [
        first.encode_to_vec(),
        second.encode_to_vec(),
        third.encode_to_vec(),
    ]
    .concat();
    let json = String::from_utf8(Transcoder::new().request_json(&bytes, None).unwrap()).unwrap();
    assert_eq!(
        json,
        r#"{"meta":{"tag":"b","capabilities":["CAPABILITY_CAPABILITIES","CAPABILITY_REQUIRED_RESOURCES"]},"observed":{"composite":{"resource":{"spec":{"n":1}}}}}"#
    );
}

#[test]
fn garbage_is_malformed_with_a_path() {
    let transcoder = Transcoder::new();
    let error = transcoder
        .request_json(b"\x1a\x04\x0a\x02\x0a\x05", None)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "desired.composite: the bytes end in the middle of a field"
    );
    let error = transcoder
        .request_json(&[0x0a, 0x02, 0x0a, 0x80], None)
        .unwrap_err();
    assert!(matches!(error, Error::Malformed { .. }), "{error}");
    let bad_utf8 = [0x0a, 0x03, 0x0a, 0x01, 0xff];
    assert_eq!(
        transcoder
            .request_json(&bad_utf8, None)
            .unwrap_err()
            .to_string(),
        "meta: a string is not valid UTF-8"
    );
}

/// The wire bytes of a `Struct` `{"a": {"a": … 1 …}}` nested `levels` deep, built inside out
/// (prost would recurse to encode or drop it).
fn nested_struct(levels: usize, innermost: &[u8]) -> Vec<u8> {
    let mut value = innermost.to_vec();
    for _ in 0..levels {
        let mut entry = Vec::new();
        put_len_field(&mut entry, 1, b"a");
        put_len_field(&mut entry, 2, &value);
        let mut fields = Vec::new();
        put_len_field(&mut fields, 1, &entry);
        value.clear();
        put_len_field(&mut value, 5, &fields);
    }
    let Some(WireValue::Len(fields)) = Reader::new(&value).next_field().unwrap().map(|f| f.value)
    else {
        unreachable!("the outermost value is a struct")
    };
    fields.to_vec()
}

#[test]
fn deep_structs_are_walked_without_recursion_up_to_the_limit() {
    let one = Value::from(1.0).encode_to_vec();
    let deep = nested_struct(MAX_DEPTH, &one);
    let json = Transcoder::new().struct_json(&deep, "input").unwrap();
    let levels = MAX_DEPTH;
    assert!(json == format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels)).into_bytes());

    let error = Transcoder::new()
        .struct_json(&nested_struct(MAX_DEPTH + 1, &one), "input")
        .map(drop)
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::TooDeep { .. }), "{message}");
    assert!(message.starts_with("input.a.a.a."), "{message}");
    assert!(
        message.ends_with(".a: nested deeper than 10000 levels"),
        "{}",
        &message[message.len() - 60..]
    );
}

#[test]
fn bad_module_json_names_line_column_and_what_was_expected() {
    let transcoder = Transcoder::new();
    let error = |json: &str| {
        transcoder
            .response_wire(json.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error(r#"{"desired":{},"result":[]}"#),
        "unknown field `result` in apiextensions.fn.proto.v1.RunFunctionResponse, expected one of meta, desired, results, context, requirements, conditions, output at line 1 column 22"
    );
    assert_eq!(
        error(r#"{"results":[{"severity":"FATAL"}]}"#),
        "unknown apiextensions.fn.proto.v1.Severity value `FATAL`, expected one of SEVERITY_UNSPECIFIED, SEVERITY_FATAL, SEVERITY_WARNING, SEVERITY_NORMAL at line 1 column 31"
    );
    assert_eq!(
        error(r#"{"meta":{},"meta":{}}"#),
        "field `meta` is given twice, or with another member of its oneof at line 1 column 17"
    );
    assert_eq!(
        error(r#"{"desired":{"composite":{"ready":"READY_TRUE"}}} x"#),
        "trailing characters at line 1 column 50"
    );
    assert_eq!(
        error(r#"{"results":{}}"#),
        "invalid type: map, expected an array at line 1 column 11"
    );
    assert_eq!(
        error(&format!(
            "{{\"output\":{{\"a\":{}1{}}}}}",
            "[".repeat(200),
            "]".repeat(200)
        )),
        "recursion limit exceeded at line 1 column 141"
    );
    let error = error(r#"{"requirements":{"resources":{"a":{"matchName":"x","matchLabels":{}}}}}"#);
    assert!(
        error
            .starts_with("field `matchLabels` is given twice, or with another member of its oneof"),
        "{error}"
    );
}

#[test]
fn module_json_may_use_proto_names_nulls_enum_numbers_and_unpadded_base64() {
    let transcoder = Transcoder::new();
    let wire = transcoder
        .response_wire(br#"{"output":null,"desired":{"composite":{"connection_details":{"k":"aHVudGVyMg"},"ready":1}},"results":[{"severity":2,"message":""}],"meta":{"ttl":"1.5s"}}"#)
        .unwrap();
    let response = RunFunctionResponse::decode(wire.as_slice()).unwrap();
    let composite = response.desired.unwrap().composite.unwrap();
    assert_eq!(composite.connection_details["k"], b"hunter2");
    assert_eq!(composite.ready, 1);
    assert_eq!(response.results[0].severity, 2);
    assert_eq!(
        response.meta.unwrap().ttl,
        Some(Duration {
            seconds: 1,
            nanos: 500_000_000
        })
    );
}
