//! Protojson for guests, with numbers written the way Go's protojson writes them.
//!
//! `google.protobuf.Struct` holds every number as a double, so serde would write a replica count
//! of 3 as `3.0`, which a guest parsing into an integer rejects. Crossplane's Go encoder writes
//! integral doubles without a fraction; so does this one, for integral values within ±2^53 (where a
//! double is exact).

use serde::Serialize;
use serde_json::{Number, Value};

/// Largest integer a double represents exactly.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The protojson bytes of `message`, integral numbers without a fraction.
pub fn to_protojson<T: Serialize>(message: &T) -> Vec<u8> {
    let mut value =
        serde_json::to_value(message).expect("protobuf messages always serialise to JSON");
    write_integers_plainly(&mut value);
    serde_json::to_vec(&value).expect("a JSON value always serialises")
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
    fn struct_numbers_reach_the_guest_as_go_writes_them() {
        let structure: xfn_proto::pbjson_types::Struct =
            serde_json::from_value(json!({"size": 3, "cpu": 1.5})).unwrap();
        let text = String::from_utf8(to_protojson(&structure)).unwrap();
        assert_eq!(text, r#"{"cpu":1.5,"size":3}"#);
    }
}
