//! `policy.toFieldPath`: how a patched value meets the value already at the destination,
//! with the semantics of `crossplane-runtime`'s `Paved.MergeValue` over `mergo`.
//!
//! In short, for two objects: keys only in the source are added; for a key in both, nested
//! objects merge recursively, and otherwise the source wins only when `overwrite` is set or the
//! destination value is "empty" (`null`, `""`, `0`, `false`, `[]`, `{}`). Arrays are kept,
//! replaced (with `overwrite`) or appended to (with `append`). Appending first drops source
//! elements that are already in the destination, but only at the top level, as upstream.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::fieldpath::{self, Segment};
use crate::value::{go_type, json_equal};

/// What `policy.toFieldPath` asks for; `None` is `Replace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergeOptions {
    /// Source values replace existing non-empty values (all `Force*` modes).
    pub overwrite: bool,
    /// Arrays are appended to rather than kept or replaced (`*AppendArrays`).
    pub append: bool,
}

impl MergeOptions {
    /// The options for a `policy.toFieldPath` value; `Ok(None)` for `Replace`.
    ///
    /// # Errors
    /// `invalid patch policy X` for an unknown policy (validation rejects those first).
    pub fn from_policy(policy: &str) -> Result<Option<MergeOptions>> {
        let (overwrite, append) = match policy {
            "Replace" => return Ok(None),
            "MergeObjects" | "MergeObject" => (false, false),
            "MergeObjectsAppendArrays" => (false, true),
            "ForceMergeObjects" => (true, false),
            "ForceMergeObjectsAppendArrays" | "AppendArray" => (true, true),
            other => return Err(Error::new(format!("invalid patch policy {other}"))),
        };
        Ok(Some(MergeOptions { overwrite, append }))
    }
}

/// Writes `value` at `segments` of `root`, merged with what is there per `options`.
///
/// # Errors
/// Reading the destination fails for another reason than a missing field (only when merging),
/// the merge fails (`failed to merge values: cannot append two slices with different type
/// ([]interface {}, string)`), or the write fails.
pub fn merge_value(
    root: &mut Map<String, Value>,
    segments: &[Segment],
    value: Value,
    options: Option<MergeOptions>,
) -> Result<()> {
    let merged = match options {
        None => value,
        Some(options) => match fieldpath::get_segments(root, segments) {
            Ok(existing) => merge(existing.clone(), value, options)?,
            Err(e) if e.is_not_found() => value,
            Err(e) => return Err(e),
        },
    };
    fieldpath::set_segments(root, segments, merged)
}

/// Merges `src` into `dst`; a `null` on either side yields `src`.
fn merge(dst: Value, src: Value, options: MergeOptions) -> Result<Value> {
    if dst.is_null() || src.is_null() {
        return Ok(src);
    }
    let src = match (&dst, src) {
        (Value::Array(existing), Value::Array(new)) if options.append => {
            let kept: Vec<Value> = new
                .into_iter()
                .filter(|item| !existing.iter().any(|e| json_equal(e, item)))
                .collect();
            // Upstream collects the kept elements into a slice that starts nil: with none kept
            // it stays nil, which replaces an empty destination (written as null) and leaves a
            // non-empty one as it is.
            if kept.is_empty() {
                return Ok(if existing.is_empty() {
                    Value::Null
                } else {
                    dst
                });
            }
            Value::Array(kept)
        }
        (_, src) => src,
    };
    // mergo merges the two values wrapped in one-key maps.
    let mut wrapper = Map::new();
    wrapper.insert(String::new(), dst);
    merge_entry(&mut wrapper, String::new(), src, options)
        .map_err(|e| e.wrap("failed to merge values"))?;
    Ok(wrapper.remove("").unwrap_or(Value::Null))
}

fn merge_maps(
    dst: &mut Map<String, Value>,
    src: Map<String, Value>,
    options: MergeOptions,
) -> Result<()> {
    for (key, value) in src {
        merge_entry(dst, key, value, options)?;
    }
    Ok(())
}

/// One key of mergo's map merge.
fn merge_entry(
    dst: &mut Map<String, Value>,
    key: String,
    src: Value,
    options: MergeOptions,
) -> Result<()> {
    let MergeOptions { overwrite, append } = options;
    if src.is_null() {
        if overwrite {
            dst.insert(key, Value::Null);
        }
        return Ok(());
    }
    let original = dst.get(&key).cloned();
    match &src {
        Value::Object(src_map) => {
            if let Some(Value::Object(dst_map)) = dst.get_mut(&key) {
                merge_maps(dst_map, src_map.clone(), options)?;
            }
        }
        Value::Array(src_items) => {
            let existing = match &original {
                None | Some(Value::Null) => Value::Array(Vec::new()),
                Some(other) => other.clone(),
            };
            let merged = if (overwrite || dst.is_empty()) && !append {
                src.clone()
            } else if append {
                match existing {
                    Value::Array(mut items) => {
                        items.extend(src_items.iter().cloned());
                        Value::Array(items)
                    }
                    other => {
                        return Err(Error::new(format!(
                            "cannot append two slices with different type ([]interface {{}}, {})",
                            go_type(&other)
                        )));
                    }
                }
            } else {
                existing
            };
            dst.insert(key.clone(), merged);
        }
        _ => {}
    }
    // mergo asks whether the destination is empty after the nested merge above: a map was
    // merged in place (so it may no longer be empty), anything else was replaced.
    let is_dst_empty = match (&original, dst.get(&key)) {
        (Some(Value::Object(_)), Some(Value::Object(merged))) if src.is_object() => {
            merged.is_empty()
        }
        _ => original.as_ref().is_none_or(is_empty),
    };
    if let Some(existing) = &original
        && !is_dst_empty
        && (src.is_array() || (src.is_object() && existing.is_object()))
    {
        return Ok(());
    }
    if overwrite || is_dst_empty {
        dst.insert(key, src);
    }
    Ok(())
}

/// mergo's `isEmptyValue`: the zero value of the Go type.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(dst: Value, src: Value, policy: &str) -> Result<Value> {
        let mut root = Map::new();
        root.insert("a".into(), dst);
        let segments = fieldpath::parse("a").unwrap().0;
        merge_value(
            &mut root,
            &segments,
            src,
            MergeOptions::from_policy(policy).unwrap(),
        )?;
        Ok(root.remove("a").unwrap())
    }

    #[test]
    fn an_empty_object_merged_into_keeps_what_the_merge_put_there() {
        // mergo checks emptiness after merging a map in place: nulls of the source are dropped
        // once anything else lands, but an object of nulls replaces an empty one whole.
        assert_eq!(
            run(json!({}), json!({"n": null, "k": 1}), "MergeObjects").unwrap(),
            json!({"k": 1})
        );
        assert_eq!(
            run(json!({}), json!({"n": null}), "MergeObjects").unwrap(),
            json!({"n": null})
        );
    }

    #[test]
    fn appending_nothing_new_to_an_empty_array_writes_null() {
        assert_eq!(
            run(json!([]), json!([]), "MergeObjectsAppendArrays").unwrap(),
            Value::Null
        );
        assert_eq!(
            run(json!([1]), json!([1]), "ForceMergeObjectsAppendArrays").unwrap(),
            json!([1])
        );
    }

    #[test]
    fn replace_replaces() {
        assert_eq!(
            run(json!({"k": 1}), json!({"j": 2}), "Replace").unwrap(),
            json!({"j": 2})
        );
    }

    #[test]
    fn merge_objects_keeps_existing_values_and_arrays() {
        let dst = json!({"keep": "me", "a": [1], "empty": "", "nested": {"x": 1}});
        let src =
            json!({"keep": "new", "a": [2], "empty": "filled", "nested": {"y": 2}, "me": "too"});
        assert_eq!(
            run(dst, src, "MergeObjects").unwrap(),
            json!({"keep": "me", "a": [1], "empty": "filled", "nested": {"x": 1, "y": 2}, "me": "too"})
        );
        assert_eq!(
            run(json!("old"), json!("new"), "MergeObjects").unwrap(),
            json!("old")
        );
    }

    #[test]
    fn force_merge_overwrites_and_replaces_arrays() {
        let dst = json!({"keep": "me", "a": [1], "nested": {"x": 1}});
        let src = json!({"keep": "new", "a": [2], "nested": {"x": 3, "y": 2}, "n": null});
        assert_eq!(
            run(dst, src, "ForceMergeObjects").unwrap(),
            json!({"keep": "new", "a": [2], "nested": {"x": 3, "y": 2}, "n": null})
        );
    }

    #[test]
    fn append_modes_append_and_drop_duplicates_at_the_top() {
        assert_eq!(
            run(
                json!([12345678]),
                json!([12345678, 7891234]),
                "ForceMergeObjectsAppendArrays"
            )
            .unwrap(),
            json!([12345678, 7891234])
        );
        // A float64 from the request is not an int64 from a patch, for reflect.DeepEqual.
        assert_eq!(
            run(json!([1.0]), json!([1, 2]), "ForceMergeObjectsAppendArrays").unwrap(),
            json!([1.0, 1, 2])
        );
        assert_eq!(
            run(
                json!({"l": [1]}),
                json!({"l": [1, 2]}),
                "MergeObjectsAppendArrays"
            )
            .unwrap(),
            json!({"l": [1, 1, 2]})
        );
    }

    #[test]
    fn appending_to_a_non_array_fails() {
        assert_eq!(
            run(json!({"l": "x"}), json!({"l": [1]}), "AppendArray")
                .unwrap_err()
                .to_string(),
            "failed to merge values: cannot append two slices with different type ([]interface {}, string)"
        );
    }

    #[test]
    fn missing_destination_takes_the_source() {
        let mut root = Map::new();
        let segments = fieldpath::parse("spec.a").unwrap().0;
        let options = MergeOptions::from_policy("MergeObjects").unwrap();
        merge_value(&mut root, &segments, json!({"x": 1}), options).unwrap();
        assert_eq!(Value::Object(root), json!({"spec": {"a": {"x": 1}}}));
    }
}
