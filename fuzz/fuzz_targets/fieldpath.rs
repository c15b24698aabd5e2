//! Any text as a patch-and-transform field path: parsing never panics, a path of plain fields
//! prints in a form that parses back to the same segments, and reading, expanding and writing
//! the path on an object never panic (writes beyond index 1024 are refused, not allocated).
#![no_main]

use libfuzzer_sys::fuzz_target;
use patch_and_transform::fieldpath::{self, Segment};
use serde_json::{Map, Value, json};

/// A field that prints as itself: brackets and surrounding quotes would not read back.
fn plain(segment: &Segment) -> bool {
    match segment {
        Segment::Index(_) => true,
        Segment::Field(field) => {
            !field.is_empty()
                && !field.contains(['[', ']'])
                && !field.starts_with(['\'', '"'])
                && !field.ends_with(['\'', '"'])
        }
    }
}

fuzz_target!(|path: &str| {
    let Ok(segments) = fieldpath::parse(path) else {
        return;
    };
    let printed = segments.to_string();
    if segments.0.iter().all(plain) {
        let reparsed = fieldpath::parse(&printed);
        assert_eq!(reparsed.as_ref().ok(), Some(&segments), "{path:?} printed as {printed:?}");
    }
    let Value::Object(mut object) = json!({
        "spec": {"a": [1, {"b": "c"}], "d.e": {"*": true}},
        "metadata": {"labels": {"x": "y"}},
    }) else {
        unreachable!("an object literal")
    };
    let _ = fieldpath::get_segments(&object, &segments.0);
    let _ = fieldpath::expand_wildcards(&object, path);
    let _ = fieldpath::set_segments(&mut object, &segments.0, json!(1));
    let _ = fieldpath::set_segments(&mut Map::new(), &segments.0, Value::Null);
});
