//! Protojson for guests, with numbers written the way Go's protojson writes them.
//!
//! `google.protobuf.Struct` holds every number as a double, so serde would write a replica count
//! of 3 as `3.0`, which a guest parsing into an integer rejects. Crossplane's Go encoder writes
//! integral doubles without a fraction; so does this one, for integral values within ±2^53 (where a
//! double is exact).

use serde::Serialize;
use serde_json::{Map, Number, Value};
use xfn_proto::v1::RunFunctionRequest;

/// Largest integer a double represents exactly.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The protojson bytes of `message`, integral numbers without a fraction.
pub fn to_protojson<T: Serialize>(message: &T) -> Vec<u8> {
    let mut value =
        serde_json::to_value(message).expect("protobuf messages always serialise to JSON");
    write_integers_plainly(&mut value);
    serde_json::to_vec(&value).expect("a JSON value always serialises")
}

/// The protojson bytes a module receives: `request` with its `input` replaced by the step's
/// `config` (absent when the step has none), integral numbers without a fraction.
///
/// `request` is borrowed mutably only to leave its `input` out while serialising; it is restored.
pub fn guest_request(
    request: &mut RunFunctionRequest,
    config: Option<Map<String, Value>>,
) -> Vec<u8> {
    let step_input = request.input.take();
    let mut json =
        serde_json::to_value(&*request).expect("protobuf messages always serialise to JSON");
    request.input = step_input;
    if let (Some(config), Value::Object(fields)) = (config, &mut json) {
        fields.insert("input".to_owned(), Value::Object(config));
    }
    write_integers_plainly(&mut json);
    serde_json::to_vec(&json).expect("a JSON value always serialises")
}

/// Rewrites every integral floating-point number in `value` as an integer, in place.
pub fn write_integers_plainly(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && float.abs() <= MAX_EXACT_INTEGER
            {
                // The range check above makes the conversion exact.
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "integral and within ±2^53, so exact"
                )]
                let integer = float as i64;
                *number = Number::from(integer);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(write_integers_plainly),
        Value::Object(fields) => fields.values_mut().for_each(write_integers_plainly),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_doubles_lose_their_fraction_and_others_keep_it() {
        let mut value = json!({"replicas": 3.0, "ratio": 0.5, "list": [1.0, -2.0, 1e300], "big": 9007199254740993.0});
        write_integers_plainly(&mut value);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"big":9007199254740992,"list":[1,-2,1e+300],"ratio":0.5,"replicas":3}"#
        );
    }

    #[test]
    fn the_guest_sees_the_config_as_its_input_and_the_request_keeps_its_own() {
        let mut request: RunFunctionRequest = serde_json::from_value(json!({
            "meta": {"tag": "t"},
            "input": {"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module", "module": "hello"}
        }))
        .unwrap();
        let original = request.clone();
        let config = json!({"replicas": 2, "name": "x"})
            .as_object()
            .unwrap()
            .clone();
        let bytes = guest_request(&mut request, Some(config));
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"input":{"name":"x","replicas":2},"meta":{"tag":"t"}}"#
        );
        assert_eq!(request, original);
        assert_eq!(
            String::from_utf8(guest_request(&mut request, None)).unwrap(),
            r#"{"meta":{"tag":"t"}}"#
        );
    }

    #[test]
    fn struct_numbers_reach_the_guest_as_go_writes_them() {
        let structure: xfn_proto::pbjson_types::Struct =
            serde_json::from_value(json!({"size": 3, "cpu": 1.5})).unwrap();
        let text = String::from_utf8(to_protojson(&structure)).unwrap();
        assert_eq!(text, r#"{"cpu":1.5,"size":3}"#);
    }
}
