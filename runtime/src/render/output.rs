//! The YAML stream `crossplane render` (v2.2) prints: the XR, the composed resources, then with
//! `-r` the results and with `-c` the context, each document after a `---` line.

use serde_json::{Value, json};

use super::Config;
use super::compose::Rendered;
use super::load::Inputs;
use super::pipeline::Outcome;
use super::yaml::to_yaml;

/// `apiVersion` of the Result and Context pseudo-objects.
const RENDER_API_VERSION: &str = "render.crossplane.io/v1beta1";

/// The output documents, in order, as one YAML stream.
pub(crate) fn stream(
    inputs: &Inputs,
    rendered: Rendered,
    outcome: &Outcome,
    config: &Config,
) -> String {
    let mut xr = rendered.xr;
    if config.include_full_xr {
        // Like v2.2: the input XR's spec and metadata replace the rendered ones.
        for field in ["spec", "metadata"] {
            if let Some(value) = inputs.xr.value.get(field) {
                xr[field] = value.clone();
            }
        }
    }
    let mut documents = vec![xr];
    documents.extend(rendered.composed);
    if config.include_function_results {
        documents.extend(outcome.results.iter().map(|result| {
            json!({
                "apiVersion": RENDER_API_VERSION,
                "kind": "Result",
                "step": result.step,
                "severity": result.severity.as_str_name(),
                "message": result.message,
            })
        }));
    }
    if config.include_context {
        documents.push(json!({
            "apiVersion": RENDER_API_VERSION,
            "kind": "Context",
            "fields": Value::Object(outcome.context.clone()),
        }));
    }
    documents
        .iter()
        .map(|document| format!("---\n{}", to_yaml(document)))
        .collect()
}
