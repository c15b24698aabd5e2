//! The step Input, `wasmtime.fn.crossplane.io/v1alpha1 Module`: its type, its validation, its CRD.
//! Two drop-in inputs run a bundled module on the input itself: a step written for
//! function-patch-and-transform (`pt.fn.crossplane.io/v1beta1 Resources`) or function-dummy
//! (`dummy.fn.crossplane.io/v1beta1 Response`) migrates by changing only its `functionRef`.
//!
//! ```yaml
//! input:
//!   apiVersion: wasmtime.fn.crossplane.io/v1alpha1
//!   kind: Module
//!   module: hello                 # or source: {inline: <base64>} or {oci: <reference>}
//!   sha256: sha256:9f2c...        # optional pin
//!   limits: {timeout: 2s, memory: 64Mi}
//!   ttl: 60s
//!   config: {greeting: Hi}        # the module sees this as the request's `input`
//! ```

mod crd;
mod values;

use std::borrow::Cow;
use std::time::Duration;

use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

pub use crd::{crd, crd_yaml};
pub use values::{GoDuration, ModuleName, Quantity, is_module_name};

use crate::host::Limits;
use crate::modules::oci::OciRef;
use crate::modules::{ModuleRequest, ModuleSource, Sha256};

/// The Input's API group.
pub const GROUP: &str = "wasmtime.fn.crossplane.io";
/// The Input's `apiVersion`.
pub const API_VERSION: &str = "wasmtime.fn.crossplane.io/v1alpha1";
/// The Input's `kind`.
pub const KIND: &str = "Module";
/// How long Crossplane may cache a step's response when the Input sets no `ttl` (as the Go SDK).
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
/// Largest inline module, in bytes after base64 decoding. Crossplane's gRPC client sends requests of
/// any size, but an XR carrying megabytes of code is a sign the module belongs in `--modules-dir`.
pub const MAX_INLINE_MODULE_BYTES: usize = 3 * 1024 * 1024;

/// Inputs of the functions that bundled modules replace, as (apiVersion, kind, module): a step
/// with such an input runs the module with the whole input as its config, under the default
/// limits and TTL.
pub const DROP_IN_INPUTS: [(&str, &str, &str); 2] = [
    (
        "pt.fn.crossplane.io/v1beta1",
        "Resources",
        "patch-and-transform",
    ),
    ("dummy.fn.crossplane.io/v1beta1", "Response", "dummy"),
];

/// Runs a WebAssembly module as one step of a Composition pipeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Module")]
pub struct StepInput {
    /// Always `wasmtime.fn.crossplane.io/v1alpha1`.
    pub api_version: String,
    /// Always `Module`.
    pub kind: String,
    /// Ignored; allowed because Kubernetes objects carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crd::plain_object")]
    pub metadata: Option<Value>,
    /// The module to run: a bundled module (`hello`) or `NAME.wasm` in the server's `--modules-dir`.
    /// Set this or `source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<ModuleName>,
    /// Where to take the module's bytes from, instead of `module`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The sha256 the module's bytes must have, as `sha256:<64 hex digits>`; the step fails when
    /// they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    /// What one call may use; each is capped by the server's maxima.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsSpec>,
    /// How long Crossplane may cache the response, e.g. `60s` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<GoDuration>,
    /// Handed to the module as the request's `input`, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crd::free_form_object")]
    pub config: Option<Config>,
}

/// A step's `config`: a JSON object kept as the text it came in, so it reaches the module without
/// being parsed into a tree and written again.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Config(Box<RawValue>);

impl Config {
    /// The object's JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for Config {
    fn eq(&self, other: &Config) -> bool {
        self.get() == other.get()
    }
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Config, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if !raw.get().starts_with('{') {
            return Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Other(raw.get()),
                &"an object",
            ));
        }
        Ok(Config(raw))
    }
}

/// Where a module's bytes come from: set exactly one field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source {
    /// The module's bytes, base64-encoded (at most 3 MiB decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<String>,
    /// The module as an OCI artifact: `host[:port]/repository@sha256:<manifest digest>`, or
    /// `host[:port]/repository:tag` with `sha256` set (or a server started with
    /// `--allow-unpinned-modules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<OciRef>,
}

/// Per-call limits a step asks for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsSpec {
    /// Wall-clock time per call, e.g. `2s` or `500ms` (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    /// Largest memory the module may use, e.g. `64Mi` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

/// A validated step: what to run, under which limits, with which config.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The module to run.
    pub module: ModuleRequest,
    /// The limits for each call, within the server's maxima.
    pub limits: Limits,
    /// The response's TTL.
    pub ttl: Duration,
    /// The module's config, sent as the request's `input`.
    pub config: Option<Config>,
}

/// An Input that cannot be used, with the field path at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The step has no input at all.
    #[error("input: missing; set the step's input to a {API_VERSION} {KIND} that names a module")]
    Missing,
    /// A field is wrong; `path` is relative to `input` (empty for the object itself).
    #[error("input{}: {message}", if path.is_empty() { String::new() } else { format!(".{path}") })]
    Invalid {
        /// The field path, e.g. `limits.memory`.
        path: String,
        /// What is wrong and what to write instead.
        message: String,
    },
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Parses and validates a step's Input (the request's `input`, as JSON text) against the server's
/// maxima. A drop-in input ([`DROP_IN_INPUTS`]) becomes its module's step.
///
/// # Errors
/// [`Error::Missing`] without an input; [`Error::Invalid`] naming the field otherwise.
pub fn validate(input: Option<&[u8]>, maxima: Limits) -> Result<Step> {
    let input = input.ok_or(Error::Missing)?;
    if let Some(step) = drop_in(input, maxima)? {
        return Ok(step);
    }
    let mut json = serde_json::Deserializer::from_slice(input);
    let module: StepInput = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        invalid(&path, without_position(error.inner()))
    })?;
    module.validate(maxima)
}

impl StepInput {
    /// Checks what no single field can: the apiVersion and kind, one source of the module, the
    /// limits within the server's maxima; then resolves the defaults. See [`validate`].
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first field at fault.
    pub fn validate(self, maxima: Limits) -> Result<Step> {
        if self.api_version != API_VERSION {
            return Err(invalid(
                "apiVersion",
                format!(
                    "{:?} is not {API_VERSION}, nor the apiVersion of a drop-in input ({})",
                    self.api_version,
                    drop_in_list()
                ),
            ));
        }
        if self.kind != KIND {
            return Err(invalid("kind", format!("{:?} is not {KIND}", self.kind)));
        }
        let source = module_source(self.module, self.source)?;
        Ok(Step {
            module: ModuleRequest {
                source,
                sha256: self.sha256,
            },
            limits: limits(self.limits.unwrap_or_default(), maxima)?,
            ttl: self.ttl.map_or(DEFAULT_TTL, |ttl| ttl.0),
            config: self.config,
        })
    }
}

/// Where the module comes from: exactly one of `module`, `source.inline` and `source.oci`.
fn module_source(module: Option<ModuleName>, source: Option<Source>) -> Result<ModuleSource> {
    match (module, source) {
        (Some(name), None) => Ok(ModuleSource::Named(name.into_inner())),
        (None, Some(source)) => match (source.inline, source.oci) {
            (Some(inline), None) => Ok(ModuleSource::Inline(decode_inline(&inline)?)),
            (None, Some(reference)) => Ok(ModuleSource::Oci(reference)),
            _ => Err(invalid("source", "must set exactly one of inline and oci")),
        },
        (None, None) => Err(invalid(
            "",
            "names no module; set input.module to a module name, input.source.inline to its base64 bytes, or input.source.oci to its OCI reference",
        )),
        (Some(_), Some(_)) => Err(invalid(
            "source",
            "is set together with input.module; set only one of them",
        )),
    }
}

/// The limits a step asks for, above zero and within the server's maxima.
fn limits(spec: LimitsSpec, maxima: Limits) -> Result<Limits> {
    let mut limits = default_limits(maxima);
    if let Some(GoDuration(timeout)) = spec.timeout {
        if timeout.is_zero() {
            return Err(invalid(
                "limits.timeout",
                "0s is not a timeout; give the call some time, like 2s",
            ));
        }
        limits.timeout = timeout;
    }
    if limits.timeout > maxima.timeout {
        return Err(invalid(
            "limits.timeout",
            format!(
                "{} is above the server maximum {}; lower it, or start the server with a larger --max-timeout",
                GoDuration(limits.timeout),
                GoDuration(maxima.timeout)
            ),
        ));
    }
    if let Some(Quantity(memory)) = spec.memory {
        if memory == 0 {
            return Err(invalid(
                "limits.memory",
                "0 is not a memory limit; give the module some, like 64Mi",
            ));
        }
        limits.memory_bytes = memory;
    }
    if limits.memory_bytes > maxima.memory_bytes {
        return Err(invalid(
            "limits.memory",
            format!(
                "{} is above the server maximum {}; lower it, or start the server with a larger --max-memory",
                Quantity(limits.memory_bytes),
                Quantity(maxima.memory_bytes)
            ),
        ));
    }
    Ok(limits)
}

/// The step a drop-in input stands for, `None` for any other apiVersion.
///
/// # Errors
/// [`Error::Invalid`] at `kind` when the apiVersion is a drop-in's but the kind is not.
fn drop_in(input: &[u8], maxima: Limits) -> Result<Option<Step>> {
    /// Only the fields that pick the input's type; the module validates the rest.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Header {
        #[serde(default)]
        api_version: Option<String>,
        #[serde(default)]
        kind: Option<String>,
    }
    let Ok(header) = serde_json::from_slice::<Header>(input) else {
        return Ok(None);
    };
    let api_version = header.api_version.unwrap_or_default();
    let Some(&(_, kind, module)) = DROP_IN_INPUTS
        .iter()
        .find(|(drop_in, _, _)| *drop_in == api_version)
    else {
        return Ok(None);
    };
    let found = header.kind.unwrap_or_default();
    if found != kind {
        return Err(invalid(
            "kind",
            format!(
                "{found:?} is not {kind}: a {api_version} input runs the bundled {module} module only as kind {kind}"
            ),
        ));
    }
    let text = std::str::from_utf8(input)
        .map_err(|error| invalid("", format!("is not UTF-8 JSON: {error}")))?;
    let config = RawValue::from_string(text.to_owned())
        .map_err(|error| invalid("", without_position(&error)))?;
    Ok(Some(Step {
        module: ModuleRequest {
            source: ModuleSource::Named(module.to_owned()),
            sha256: None,
        },
        limits: default_limits(maxima),
        ttl: DEFAULT_TTL,
        config: Some(Config(config)),
    }))
}

/// The limits of a step that asks for none: the defaults, with the server's output and log caps.
fn default_limits(maxima: Limits) -> Limits {
    Limits {
        max_output_bytes: maxima.max_output_bytes,
        max_log_bytes: maxima.max_log_bytes,
        ..Limits::DEFAULT
    }
}

/// The drop-in inputs as `apiVersion kind` pairs, for messages.
fn drop_in_list() -> String {
    DROP_IN_INPUTS
        .iter()
        .map(|(api_version, kind, _)| format!("{api_version} {kind}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn decode_inline(text: &str) -> Result<Vec<u8>> {
    let compact: Cow<'_, str> = if text.contains(char::is_whitespace) {
        Cow::Owned(text.split_whitespace().collect())
    } else {
        Cow::Borrowed(text)
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| invalid("source.inline", format!("is not valid base64: {e}")))?;
    if bytes.len() > MAX_INLINE_MODULE_BYTES {
        return Err(invalid(
            "source.inline",
            format!(
                "the module is {} bytes, over the {MAX_INLINE_MODULE_BYTES}-byte limit for inline modules; put it in the server's --modules-dir instead",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// A serde_json message without its ` at line L column C`: the Input's JSON is written by the
/// transcoder, not by the user, so only the field path means something to them.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&position)
        .map_or_else(|| text.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: Value) -> Result<Step> {
        validate(Some(input.to_string().as_bytes()), Limits::DEFAULT_MAXIMA)
    }

    fn base() -> Value {
        json!({"apiVersion": API_VERSION, "kind": KIND, "module": "hello"})
    }

    fn with(field: &str, value: Value) -> Value {
        let mut input = base();
        input[field] = value;
        input
    }

    fn message(input: Value) -> String {
        check(input).unwrap_err().to_string()
    }

    #[test]
    fn a_named_module_gets_the_default_limits_and_ttl() {
        let step = check(base()).unwrap();
        assert_eq!(
            step.module,
            ModuleRequest {
                source: ModuleSource::Named("hello".into()),
                sha256: None
            }
        );
        assert_eq!(step.limits.timeout, Duration::from_secs(5));
        assert_eq!(step.limits.memory_bytes, 64 << 20);
        assert_eq!(step.ttl, DEFAULT_TTL);
        assert_eq!(step.config, None);
    }

    #[test]
    fn limits_ttl_pin_and_config_are_read() {
        let mut input = with("limits", json!({"timeout": "500ms", "memory": "16Mi"}));
        input["ttl"] = json!("5m");
        input["sha256"] = json!(format!("sha256:{}", "AB".repeat(32)));
        input["config"] = json!({"greeting": "Hi"});
        let step = check(input).unwrap();
        assert_eq!(step.limits.timeout, Duration::from_millis(500));
        assert_eq!(step.limits.memory_bytes, 16 << 20);
        assert_eq!(step.ttl, Duration::from_secs(300));
        assert_eq!(
            step.module.sha256.as_ref().map(Sha256::hex),
            Some("ab".repeat(32).as_str())
        );
        assert_eq!(step.config.unwrap().get(), r#"{"greeting":"Hi"}"#);
    }

    #[test]
    fn oci_sources_are_parsed_references() {
        let mut input = base();
        input.as_object_mut().unwrap().remove("module");
        input["source"] = json!({"oci": "127.0.0.1:5000/team/hello:v1"});
        let step = check(input).unwrap();
        assert_eq!(
            step.module.source,
            ModuleSource::Oci("127.0.0.1:5000/team/hello:v1".parse().unwrap())
        );
    }

    #[test]
    fn inline_sources_are_base64_decoded() {
        let mut input = base();
        input.as_object_mut().unwrap().remove("module");
        input["source"] = json!({"inline": "AGFz\nbQEAAAA="});
        let step = check(input).unwrap();
        assert_eq!(
            step.module.source,
            ModuleSource::Inline(b"\0asm\x01\0\0\0".to_vec())
        );
    }

    #[test]
    fn bad_inputs_name_the_field_and_the_fix() {
        assert_eq!(
            validate(None, Limits::DEFAULT_MAXIMA)
                .unwrap_err()
                .to_string(),
            "input: missing; set the step's input to a wasmtime.fn.crossplane.io/v1alpha1 Module that names a module"
        );
        assert_eq!(
            message(with("limits", json!({"memory": "64Mo"}))),
            "input.limits.memory: \"64Mo\" is not a quantity; write it like 64Mi"
        );
        assert_eq!(
            message(with("limits", json!({"timeout": "2x"}))),
            "input.limits.timeout: \"2x\" is not a duration; write it like 2s, 500ms or 5m"
        );
        assert_eq!(
            message(with("limits", json!({"timeout": "0s"}))),
            "input.limits.timeout: 0s is not a timeout; give the call some time, like 2s"
        );
        assert_eq!(
            message(with("ttl", json!("soon"))),
            "input.ttl: \"soon\" is not a duration; write it like 2s, 500ms or 5m"
        );
        assert_eq!(
            message(with("limits", json!({"timeout": "1m"}))),
            "input.limits.timeout: 1m is above the server maximum 30s; lower it, or start the server with a larger --max-timeout"
        );
        assert_eq!(
            message(with("limits", json!({"memory": "1Gi"}))),
            "input.limits.memory: 1Gi is above the server maximum 512Mi; lower it, or start the server with a larger --max-memory"
        );
        assert_eq!(
            message(with("limits", json!({"timeout": 2}))),
            "input.limits.timeout: invalid type: integer `2`, expected a string"
        );
        assert_eq!(
            message(with("kind", json!("Resources"))),
            "input.kind: \"Resources\" is not Module"
        );
        assert_eq!(
            message(with(
                "apiVersion",
                json!("template.fn.crossplane.io/v1beta1")
            )),
            "input.apiVersion: \"template.fn.crossplane.io/v1beta1\" is not wasmtime.fn.crossplane.io/v1alpha1, nor the apiVersion of a drop-in input (pt.fn.crossplane.io/v1beta1 Resources, dummy.fn.crossplane.io/v1beta1 Response)"
        );
        assert_eq!(
            message(with("module", json!("../etc/passwd"))),
            "input.module: \"../etc/passwd\" is not a module name; use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"
        );
        assert_eq!(
            message(with("sha256", json!("abc"))),
            "input.sha256: \"abc\" is not a sha256 digest; write it like sha256:<64 hex digits>"
        );
        assert_eq!(
            message(with("source", json!({"inline": "AA=="}))),
            "input.source: is set together with input.module; set only one of them"
        );
        assert_eq!(
            message(with("source", json!({"git": "x"}))),
            "input.source.git: unknown field `git`, expected `inline` or `oci`"
        );
        assert_eq!(
            message(with("modul", json!("x"))),
            "input.modul: unknown field `modul`, expected one of `apiVersion`, `kind`, `metadata`, `module`, `source`, `sha256`, `limits`, `ttl`, `config`"
        );
        let mut nothing = base();
        nothing.as_object_mut().unwrap().remove("module");
        assert_eq!(
            message(nothing.clone()),
            "input: names no module; set input.module to a module name, input.source.inline to its base64 bytes, or input.source.oci to its OCI reference"
        );
        nothing["source"] = json!({"oci": "hello:v1"});
        assert_eq!(
            message(nothing.clone()),
            "input.source.oci: \"hello:v1\" does not name a registry; write it like ghcr.io/team/module@sha256:<64 hex digits> or ghcr.io/team/module:v1"
        );
        nothing["source"] = json!({"oci": "ghcr.io/a/b:v1", "inline": "AA=="});
        assert_eq!(
            message(nothing),
            "input.source: must set exactly one of inline and oci"
        );
    }

    #[test]
    fn drop_in_inputs_run_their_bundled_module_on_the_whole_input() {
        let pt = json!({"apiVersion": "pt.fn.crossplane.io/v1beta1", "kind": "Resources", "resources": []});
        let step = check(pt.clone()).unwrap();
        assert_eq!(
            step.module,
            ModuleRequest {
                source: ModuleSource::Named("patch-and-transform".into()),
                sha256: None
            }
        );
        assert_eq!(step.limits, check(base()).unwrap().limits);
        assert_eq!(step.ttl, DEFAULT_TTL);
        assert_eq!(step.config.unwrap().get(), pt.to_string());
        let dummy = json!({"apiVersion": "dummy.fn.crossplane.io/v1beta1", "kind": "Response", "response": {}});
        let step = check(dummy).unwrap();
        assert_eq!(step.module.source, ModuleSource::Named("dummy".into()));
    }

    #[test]
    fn a_drop_in_apiversion_with_another_kind_names_the_kind_it_needs() {
        assert_eq!(
            message(json!({"apiVersion": "pt.fn.crossplane.io/v1beta1", "kind": "Resource"})),
            "input.kind: \"Resource\" is not Resources: a pt.fn.crossplane.io/v1beta1 input runs the bundled patch-and-transform module only as kind Resources"
        );
        assert_eq!(
            message(json!({"apiVersion": "dummy.fn.crossplane.io/v1beta1"})),
            "input.kind: \"\" is not Response: a dummy.fn.crossplane.io/v1beta1 input runs the bundled dummy module only as kind Response"
        );
    }

    #[test]
    fn the_crd_keeps_the_fields_at_the_top_level() {
        let crd = serde_json::to_value(crd()).unwrap();
        let props = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
        assert_eq!(props["limits"]["properties"]["memory"]["type"], "string");
        assert_eq!(
            props["config"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        assert_eq!(
            crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["required"],
            json!(["apiVersion", "kind"])
        );
        assert_eq!(crd["metadata"]["name"], "modules.wasmtime.fn.crossplane.io");
        assert!(
            !serde_json::to_string(&crd)
                .unwrap()
                .contains("additionalProperties")
        );
    }
}
