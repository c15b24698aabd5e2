//! One request to an upstream function and to our server, and the differences between the two
//! responses as a short list of paths.

use std::fmt::Write as _;

use serde_json::{Value, json};
use tonic::transport::Channel;
use xfn_proto::pbjson_types::{self, Struct, value::Kind};
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;
use xfn_proto::v1::{RunFunctionRequest, RunFunctionResponse};

use super::upstream::UpstreamFunction;
use crate::to_json;

/// The request our server gets for `request`, whose `input` is an upstream function's input:
/// the same request with that input moved under the step Input's `config`, for bundled module
/// `module`. This is how a Composition migrates from the upstream function to ours.
pub fn wrap_for_module(request: &Value, module: &str) -> Value {
    let mut wrapped = request.clone();
    if let Some(fields) = wrapped.as_object_mut() {
        let mut step_input = json!({
            "apiVersion": "wasmtime.fn.crossplane.io/v1alpha1",
            "kind": "Module",
            "module": module,
        });
        if let Some(config) = fields.remove("input").filter(|config| !config.is_null()) {
            step_input["config"] = config;
        }
        fields.insert("input".to_owned(), step_input);
    }
    wrapped
}

/// Two clients: the upstream function and our server running a bundled module.
pub struct Pair {
    /// The real Go function.
    pub upstream: FunctionRunnerServiceClient<Channel>,
    /// Our server.
    pub ours: FunctionRunnerServiceClient<Channel>,
    /// The bundled module standing in for the upstream function.
    pub module: &'static str,
}

/// What both sides answered to one request, as protojson.
pub struct Answers {
    /// The upstream function's response.
    pub upstream: Value,
    /// Our server's response.
    pub ours: Value,
}

impl Pair {
    /// Starts both sides for `module`: the upstream function of the same name, built by
    /// `scripts/upstream`, and our server running the bundled module. The caller stops both.
    pub async fn start(module: &'static str) -> (UpstreamFunction, crate::TestServer, Pair) {
        let upstream = UpstreamFunction::start(module).await;
        let ours = crate::TestServer::start(crate::runner(), None).await;
        let pair = Pair {
            upstream: upstream.client().await,
            ours: ours.client().await,
            module,
        };
        (upstream, ours, pair)
    }

    /// Sends `request` (protojson, its `input` the upstream function's input) to both sides at
    /// once and returns both responses. A gRPC error becomes `{"grpcError": {code, message}}`, so
    /// a side that errors where the other answers shows up as a difference.
    ///
    /// # Errors
    ///
    /// When `request` is not a valid protojson RunFunctionRequest: the generator or a fixture is
    /// wrong, not a function.
    pub async fn call(&self, request: &Value) -> Result<Answers, String> {
        let upstream_request = to_request(request)?;
        let our_request = to_request(&wrap_for_module(request, self.module))?;
        let (mut upstream_client, mut our_client) = (self.upstream.clone(), self.ours.clone());
        let (upstream, ours) = tokio::join!(
            upstream_client.run_function(upstream_request),
            our_client.run_function(our_request)
        );
        let mut upstream = answer(upstream);
        normalise_upstream(&mut upstream);
        Ok(Answers {
            upstream,
            ours: answer(ours),
        })
    }
}

/// Parses a protojson request as Crossplane would send it, working around two habits of
/// pbjson-types: it refuses integers beyond ±2^53 (a `Struct` holds doubles only, so every number
/// is made a double first), and it reads JSON `null` as a `Value` with no kind
/// (influxdata/pbjson#100), which Go's protojson rejects; nulls become explicit `NullValue`s.
///
/// # Errors
///
/// When `request` is not a protojson RunFunctionRequest.
pub fn to_request(request: &Value) -> Result<RunFunctionRequest, String> {
    let mut request = request.clone();
    numbers_as_doubles(&mut request);
    let mut request: RunFunctionRequest = serde_json::from_value(request)
        .map_err(|error| format!("the request is not protojson: {error}"))?;
    let states = [request.observed.as_mut(), request.desired.as_mut()];
    let resources = states.into_iter().flatten().flat_map(|state| {
        state.composite.iter_mut().map(|xr| &mut xr.resource).chain(
            state
                .resources
                .values_mut()
                .map(|composed| &mut composed.resource),
        )
    });
    let required = request
        .extra_resources
        .values_mut()
        .chain(request.required_resources.values_mut())
        .flat_map(|list| list.items.iter_mut().map(|item| &mut item.resource));
    for object in resources
        .chain(required)
        .chain([&mut request.input, &mut request.context])
        .flatten()
    {
        explicit_nulls_in_struct(object);
    }
    Ok(request)
}

fn numbers_as_doubles(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(double) = number.as_f64().and_then(serde_json::Number::from_f64) {
                *number = double;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(numbers_as_doubles),
        Value::Object(fields) => fields.values_mut().for_each(numbers_as_doubles),
        _ => {}
    }
}

fn explicit_nulls_in_struct(object: &mut Struct) {
    object.fields.values_mut().for_each(explicit_nulls);
}

fn explicit_nulls(value: &mut pbjson_types::Value) {
    match &mut value.kind {
        None => value.kind = Some(Kind::NullValue(0)),
        Some(Kind::StructValue(object)) => explicit_nulls_in_struct(object),
        Some(Kind::ListValue(list)) => list.values.iter_mut().for_each(explicit_nulls),
        Some(_) => {}
    }
}

/// Removes the one difference that is noise: go-json-experiment starts its error messages with
/// "cannot" or "unable to" at random (on purpose, so nobody matches on them), and our module
/// always writes "cannot".
fn normalise_upstream(response: &mut Value) {
    let Some(results) = response.get_mut("results").and_then(Value::as_array_mut) else {
        return;
    };
    for message in results.iter_mut().filter_map(|r| r.get_mut("message")) {
        if let Value::String(text) = message {
            *text = text.replace("json: unable to ", "json: cannot ");
        }
    }
}

fn answer(result: Result<tonic::Response<RunFunctionResponse>, tonic::Status>) -> Value {
    match result {
        Ok(response) => to_json(&response.into_inner()),
        Err(status) => json!({"grpcError": {
            "code": format!("{:?}", status.code()),
            "message": status.message(),
        }}),
    }
}

/// Every path where `ours` differs from `upstream`, one line each: `path: upstream X, ours Y`.
/// Objects compare key by key (order never matters), arrays element by element when their
/// lengths agree, numbers by value (a fixture's `3` equals a `Struct`'s `3.0`), anything else as
/// a whole.
pub fn differences(upstream: &Value, ours: &Value) -> Vec<String> {
    differences_from(upstream, ours, "ours")
}

/// [`differences`], naming the other side `other` (`expected` for a fixture, say).
pub fn differences_from(upstream: &Value, theirs: &Value, other: &str) -> Vec<String> {
    let mut out = Vec::new();
    walk("", upstream, theirs, other, &mut out);
    out
}

fn walk(path: &str, upstream: &Value, theirs: &Value, other: &str, out: &mut Vec<String>) {
    match (upstream, theirs) {
        (Value::Object(u), Value::Object(t)) => {
            for (key, u) in u {
                let child = format!("{path}.{key}");
                match t.get(key) {
                    Some(t) => walk(&child, u, t, other, out),
                    None => out.push(format!("{}: upstream {u}, {other} nothing", shown(&child))),
                }
            }
            for (key, t) in t.iter().filter(|(key, _)| !u.contains_key(*key)) {
                let child = format!("{path}.{key}");
                out.push(format!("{}: upstream nothing, {other} {t}", shown(&child)));
            }
        }
        (Value::Array(u), Value::Array(t)) if u.len() == t.len() => {
            for (index, (u, t)) in u.iter().zip(t).enumerate() {
                walk(&format!("{path}[{index}]"), u, t, other, out);
            }
        }
        (Value::Number(u), Value::Number(t)) if u.as_f64() == t.as_f64() => {}
        (u, t) if u == t => {}
        (u, t) => out.push(format!("{}: upstream {u}, {other} {t}", shown(path))),
    }
}

fn shown(path: &str) -> &str {
    match path.strip_prefix('.') {
        Some(rest) => rest,
        None if path.is_empty() => "(the response)",
        None => path,
    }
}

/// A mismatch report: `title` (which case, and how to rerun it), the request as JSON, the
/// differing paths, then both whole responses.
pub fn report(title: &str, request: &Value, answers: &Answers, differences: &[String]) -> String {
    let mut text = format!("── {title}\nrequest (its input as upstream gets it):\n");
    let _ = writeln!(text, "{}", pretty(request));
    let _ = writeln!(text, "differences:");
    for line in differences {
        let _ = writeln!(text, "  {line}");
    }
    let _ = writeln!(text, "upstream answered:\n{}", pretty(&answers.upstream));
    let _ = write!(text, "ours answered:\n{}", pretty(&answers.ours));
    text
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|error| format!("(unprintable: {error})"))
}
