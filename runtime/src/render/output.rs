//! The YAML stream `crossplane render` prints: the XR, the composed resources in composition
//! resource name order, then with `-r` every recorded event as a `Result` and with `-c` the
//! context, each document after a `---` line, every condition's time pinned.

use serde_json::{Map, Value, json};

use super::Config;
use super::conditions;
use super::events::RENDER_API_VERSION;
use super::load::Inputs;
use super::reconcile::Rendered;
use super::yaml::to_yaml;

/// The output documents, in order, as one YAML stream.
pub(crate) fn stream(inputs: &Inputs, rendered: Rendered, config: &Config) -> String {
    let mut xr = rendered.xr;
    if config.include_full_xr {
        // The CLI's best effort: the rendered XR deep-merged over the input XR.
        let mut full = match &inputs.xr.value {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        merge(&mut full, xr);
        xr = full;
    }
    conditions::pin_times(&mut xr);
    let mut documents = vec![Value::Object(xr)];
    for mut composed in rendered.composed {
        conditions::pin_times(&mut composed);
        documents.push(Value::Object(composed));
    }
    if config.include_function_results {
        documents.extend(rendered.events.iter().map(|event| event.to_result()));
    }
    if config.include_context
        && let Some(context) = rendered.context
    {
        documents.push(json!({
            "apiVersion": RENDER_API_VERSION,
            "kind": "Context",
            "fields": Value::Object(context),
        }));
    }
    documents
        .iter()
        .map(|document| format!("---\n{}", to_yaml(document)))
        .collect()
}

/// `mergo.Merge(dst, src, mergo.WithOverride)` on JSON objects: an object merges into a
/// non-empty object key by key; anything else (lists, scalars, null, an object over a
/// non-object) replaces what `dst` has.
fn merge(dst: &mut Map<String, Value>, src: Map<String, Value>) {
    for (key, value) in src {
        match (dst.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) if !existing.is_empty() => {
                merge(existing, incoming);
            }
            (_, value) => {
                dst.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_overrides_like_mergo() {
        let Value::Object(mut dst) = json!({
            "metadata": {"name": "x", "labels": {"a": "1"}},
            "spec": {"list": [1, 2], "keep": true, "empty": {}, "scalar": 1},
            "status": {"old": 1}
        }) else {
            unreachable!()
        };
        let Value::Object(src) = json!({
            "metadata": {"labels": {"b": "2"}},
            "spec": {"list": [3], "empty": {"x": 1}, "scalar": {"now": "object"}, "gone": null},
            "status": {}
        }) else {
            unreachable!()
        };
        merge(&mut dst, src);
        assert_eq!(
            Value::Object(dst),
            json!({
                "metadata": {"name": "x", "labels": {"a": "1", "b": "2"}},
                "spec": {"list": [3], "keep": true, "empty": {"x": 1}, "scalar": {"now": "object"}, "gone": null},
                "status": {"old": 1}
            })
        );
    }
}
