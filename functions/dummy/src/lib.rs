//! `dummy`: a bundled module compatible with function-dummy. It returns the response its config
//! asks for, merged over the response that passes everything through.
//!
//! The config is function-dummy's input, a `dummy.fn.crossplane.io/v1beta1` `Response`:
//!
//! ```yaml
//! config:
//!   apiVersion: dummy.fn.crossplane.io/v1beta1
//!   kind: Response
//!   response:            # a RunFunctionResponse in protojson form
//!     desired:
//!       resources:
//!         configmap:
//!           resource: {apiVersion: v1, kind: ConfigMap, data: {cool: "yes"}}
//!           ready: READY_TRUE
//!     results:
//!     - severity: SEVERITY_NORMAL
//!       message: I did the thing!
//! ```
//!
//! Per call: read `response` strictly as protojson (`protojson.rs`), start from the response that
//! echoes the tag and carries the request's desired state and context, and merge `response`
//! into it with Go's `proto.Merge` rules (`merge.rs`). An invalid config is a fatal result that
//! names the field, with the desired state unchanged.

mod merge;
mod protojson;
mod schema;

use std::time::Duration;

use serde_json::{Map, Value};
use xfn_sdk::{ConfigError, Request, Response};

use crate::merge::merge_message;
use crate::protojson::read_message;
use crate::schema::RUN_FUNCTION_RESPONSE;

/// The time to live function-dummy starts from (function-sdk-go's `response.DefaultTTL`).
///
/// It matters only when the config's response sets `meta.ttl`, which is merged into it field by
/// field; otherwise the step's `ttl` applies, as for any module.
const UPSTREAM_DEFAULT_TTL: Duration = Duration::from_secs(60);

/// Returns the config's response merged over the pass-through response; see the crate docs.
///
/// # Errors
/// Only if the merged response no longer reads as a `RunFunctionResponse`, which would be a bug
/// here: the host reports it as a fatal result naming the module.
pub fn dummy(req: Request) -> Result<Response, String> {
    let overlay = match read_config(req.input()) {
        Ok(overlay) => overlay,
        Err(error) => {
            let mut rsp = req.into_response();
            rsp.fatal(format!("dummy: {error}"));
            return Ok(rsp);
        }
    };
    let mut rsp = req.into_response();
    if overlay
        .get("meta")
        .and_then(|meta| meta.get("ttl"))
        .is_some()
    {
        rsp.set_ttl(UPSTREAM_DEFAULT_TTL);
    }
    let Value::Object(mut merged) = serde_json::to_value(&rsp)
        .map_err(|error| format!("dummy: cannot write the response as JSON: {error}"))?
    else {
        return Err("dummy: the response did not serialise to a JSON object".to_owned());
    };
    merge_message(&mut merged, overlay, &RUN_FUNCTION_RESPONSE);
    serde_json::from_value(Value::Object(merged)).map_err(|error| {
        format!("dummy: the merged response is not a RunFunctionResponse: {error}; please report this bug")
    })
}

/// The config's `response`, read as a protojson `RunFunctionResponse` in canonical form.
///
/// `apiVersion`, `kind` and `metadata` are accepted and ignored, like function-dummy does.
fn read_config(input: Option<&Map<String, Value>>) -> Result<Map<String, Value>, ConfigError> {
    let empty = Map::new();
    let input = input.unwrap_or(&empty);
    if let Some(unknown) = input.keys().find(|key| {
        !matches!(
            key.as_str(),
            "apiVersion" | "kind" | "metadata" | "response"
        )
    }) {
        return Err(ConfigError::at(
            unknown,
            "unknown field; the config is function-dummy's Response input: apiVersion, kind and response",
        ));
    }
    match input.get("response") {
        None | Some(Value::Null) => Err(ConfigError::at(
            "response",
            "is required: the RunFunctionResponse to merge over the desired state, e.g. \
             {desired: {resources: {...}}, results: [...]}; write response: {} to pass everything through",
        )),
        Some(response) => read_message(response, &RUN_FUNCTION_RESPONSE, "response"),
    }
}

xfn_sdk::export!(dummy);

#[cfg(test)]
mod tests;
