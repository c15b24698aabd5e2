//! The step's configuration: `pt.fn.crossplane.io/v1beta1 Resources`, field for field as
//! upstream's `input/v1beta1` types.
//!
//! Enumerations stay strings here: upstream decodes any string and rejects unknown values in
//! validation (`validate`, which builds on these types), with messages that name the field path.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::gojson;

/// The whole input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// `pt.fn.crossplane.io/v1beta1`; accepted and not checked, as upstream.
    #[serde(default, rename = "apiVersion")]
    pub _api_version: Option<serde::de::IgnoredAny>,
    /// `Resources`; accepted and not checked, as upstream.
    #[serde(default, rename = "kind")]
    pub _kind: Option<serde::de::IgnoredAny>,
    /// Accepted and ignored, as upstream.
    #[serde(default, rename = "metadata")]
    pub _metadata: Option<serde::de::IgnoredAny>,
    /// Named patch lists that resources reference with `type: PatchSet`.
    #[serde(default, deserialize_with = "nullable")]
    pub patch_sets: Vec<PatchSet>,
    /// Patches between the XR and the environment, run before any resource.
    #[serde(default)]
    pub environment: Option<Environment>,
    /// The composed resource templates, in order.
    #[serde(default, deserialize_with = "nullable")]
    pub resources: Vec<ComposedTemplate>,
    /// Where the connection Secret of a Crossplane v2 XR goes.
    #[serde(default)]
    pub write_connection_secret_to_ref: Option<WriteConnectionSecretToRef>,
}

/// A named list of patches.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchSet {
    /// The name resources reference it by.
    #[serde(default)]
    pub name: String,
    /// Its patches; none may be of type `PatchSet`.
    #[serde(default, deserialize_with = "nullable")]
    pub patches: Vec<Patch>,
}

/// `environment`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    /// Patches from the observed XR to the environment, or from the environment to the desired XR.
    #[serde(default, deserialize_with = "nullable")]
    pub patches: Vec<Patch>,
}

/// A composed resource template.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComposedTemplate {
    /// The composition resource name.
    #[serde(default)]
    pub name: String,
    /// The resource to start from; absent means the desired resource an earlier step produced.
    #[serde(default)]
    pub base: Option<Value>,
    /// Patches, in order.
    #[serde(default, deserialize_with = "nullable")]
    pub patches: Vec<Patch>,
    /// XR connection details taken from this resource.
    #[serde(default, deserialize_with = "nullable")]
    pub connection_details: Vec<ConnectionDetail>,
    /// Readiness checks; none means "the Ready condition is True".
    #[serde(default, deserialize_with = "nullable")]
    pub readiness_checks: Vec<ReadinessCheck>,
}

/// One patch, of any kind: composed, PatchSet, environment and connection-secret patches share
/// these fields.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    /// The patch type; empty means `FromCompositeFieldPath`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// The PatchSet to inline, for `type: PatchSet`.
    #[serde(default)]
    pub patch_set_name: Option<String>,
    /// Where to read.
    #[serde(default)]
    pub from_field_path: Option<String>,
    /// What to combine, for the Combine types.
    #[serde(default)]
    pub combine: Option<Combine>,
    /// Where to write; defaults to `fromFieldPath`.
    #[serde(default)]
    pub to_field_path: Option<String>,
    /// Transforms applied in order to the value read.
    #[serde(default, deserialize_with = "nullable")]
    pub transforms: Vec<Transform>,
    /// What to do when the source is missing and how to write.
    #[serde(default)]
    pub policy: Option<PatchPolicy>,
}

/// The patch types, as upstream spells them.
pub mod patch_type {
    /// Observed XR to desired composed resource (the default).
    pub const FROM_COMPOSITE: &str = "FromCompositeFieldPath";
    /// Inline a PatchSet.
    pub const PATCH_SET: &str = "PatchSet";
    /// Observed composed resource to desired XR.
    pub const TO_COMPOSITE: &str = "ToCompositeFieldPath";
    /// Observed XR fields, combined, to desired composed resource.
    pub const COMBINE_FROM_COMPOSITE: &str = "CombineFromComposite";
    /// Observed composed resource fields, combined, to desired XR.
    pub const COMBINE_TO_COMPOSITE: &str = "CombineToComposite";
    /// Environment to desired composed resource.
    pub const FROM_ENVIRONMENT: &str = "FromEnvironmentFieldPath";
    /// Observed composed resource to environment.
    pub const TO_ENVIRONMENT: &str = "ToEnvironmentFieldPath";
    /// Environment fields, combined, to desired composed resource.
    pub const COMBINE_FROM_ENVIRONMENT: &str = "CombineFromEnvironment";
    /// Observed composed resource fields, combined, to environment.
    pub const COMBINE_TO_ENVIRONMENT: &str = "CombineToEnvironment";
}

impl Patch {
    /// The patch type, defaulted.
    pub fn type_name(&self) -> &str {
        if self.type_.is_empty() {
            patch_type::FROM_COMPOSITE
        } else {
            &self.type_
        }
    }

    /// `fromFieldPath`, or `""`.
    pub fn source_path(&self) -> &str {
        self.from_field_path.as_deref().unwrap_or("")
    }

    /// `toFieldPath`, defaulting to `fromFieldPath`.
    pub fn to_field_path(&self) -> &str {
        self.to_field_path
            .as_deref()
            .unwrap_or_else(|| self.source_path())
    }

    /// `policy.fromFieldPath`, defaulting to `Optional`.
    pub fn source_policy(&self) -> &str {
        self.policy
            .as_ref()
            .and_then(|p| p.from_field_path.as_deref())
            .unwrap_or(FROM_OPTIONAL)
    }

    /// `policy.toFieldPath`, defaulting to `Replace`.
    pub fn to_policy(&self) -> &str {
        self.policy
            .as_ref()
            .and_then(|p| p.to_field_path.as_deref())
            .unwrap_or("Replace")
    }

    /// Whether `policy.fromFieldPath` is `Required`.
    pub fn is_required(&self) -> bool {
        self.source_policy() == FROM_REQUIRED
    }
}

/// `policy.fromFieldPath: Optional`.
pub const FROM_OPTIONAL: &str = "Optional";
/// `policy.fromFieldPath: Required`.
pub const FROM_REQUIRED: &str = "Required";

/// `policy`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchPolicy {
    /// `Optional` or `Required`.
    #[serde(default)]
    pub from_field_path: Option<String>,
    /// `Replace` or a merge mode.
    #[serde(default)]
    pub to_field_path: Option<String>,
}

/// `combine`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Combine {
    /// The values to combine, in order.
    #[serde(default, deserialize_with = "nullable")]
    pub variables: Vec<CombineVariable>,
    /// Only `string`.
    #[serde(default)]
    pub strategy: String,
    /// The format for `strategy: string`.
    #[serde(default)]
    pub string: Option<StringCombine>,
}

/// One combine variable.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CombineVariable {
    /// Where to read it.
    #[serde(default)]
    pub from_field_path: String,
}

/// `combine.string`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringCombine {
    /// A Go `fmt` format applied to the variables.
    #[serde(default)]
    pub fmt: String,
}

/// One transform.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transform {
    /// `map`, `match`, `math`, `string` or `convert`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// For `math`.
    #[serde(default)]
    pub math: Option<MathTransform>,
    /// For `map`: value by input string.
    #[serde(default)]
    pub map: Option<BTreeMap<String, Value>>,
    /// For `match`.
    #[serde(default, rename = "match")]
    pub match_: Option<MatchTransform>,
    /// For `string`.
    #[serde(default)]
    pub string: Option<StringTransform>,
    /// For `convert`.
    #[serde(default)]
    pub convert: Option<ConvertTransform>,
}

/// `math`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MathTransform {
    /// `Multiply`, `ClampMin` or `ClampMax`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// The factor for `Multiply`.
    #[serde(default)]
    pub multiply: Option<i64>,
    /// The bound for `ClampMin`.
    #[serde(default)]
    pub clamp_min: Option<i64>,
    /// The bound for `ClampMax`.
    #[serde(default)]
    pub clamp_max: Option<i64>,
}

/// `match`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchTransform {
    /// Tried in order; the first match wins.
    #[serde(default, deserialize_with = "nullable")]
    pub patterns: Vec<MatchPattern>,
    /// The result when nothing matches. `null` reads as absent, as upstream's `extv1.JSON` does,
    /// so `fallbackValue: null` with `fallbackTo: Input` is no error.
    #[serde(default)]
    pub fallback_value: Option<Value>,
    /// `Value` (default) or `Input`.
    #[serde(default)]
    pub fallback_to: String,
}

/// One `match` pattern.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchPattern {
    /// `literal` or `regexp`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// For `literal`.
    #[serde(default)]
    pub literal: Option<String>,
    /// For `regexp`.
    #[serde(default)]
    pub regexp: Option<String>,
    /// The output on a match; `None` when absent (the output is then `null`).
    #[serde(default, deserialize_with = "present")]
    pub result: Option<Value>,
}

/// `string`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringTransform {
    /// `Format`, `Convert`, `TrimPrefix`, `TrimSuffix`, `Regexp`, `Join` or `Replace`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// For `Format`.
    #[serde(default)]
    pub fmt: Option<String>,
    /// For `Convert`.
    #[serde(default)]
    pub convert: Option<String>,
    /// For `TrimPrefix` and `TrimSuffix`.
    #[serde(default)]
    pub trim: Option<String>,
    /// For `Regexp`.
    #[serde(default)]
    pub regexp: Option<StringRegexp>,
    /// For `Join`.
    #[serde(default)]
    pub join: Option<StringJoin>,
    /// For `Replace`.
    #[serde(default)]
    pub replace: Option<StringReplace>,
}

/// `string.regexp`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringRegexp {
    /// The regular expression (RE2 syntax).
    #[serde(default, rename = "match")]
    pub match_: String,
    /// The capture group to return; 0 (the whole match) by default.
    #[serde(default)]
    pub group: Option<i64>,
}

/// `string.join`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringJoin {
    /// Put between the elements.
    #[serde(default)]
    pub separator: String,
}

/// `string.replace`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringReplace {
    /// What to replace.
    #[serde(default)]
    pub search: String,
    /// What to replace it with.
    #[serde(default)]
    pub replace: String,
}

/// `convert`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConvertTransform {
    /// `string`, `int`, `int64`, `bool`, `float64`, `object` or `array`.
    #[serde(default)]
    pub to_type: String,
    /// `none` (default), `quantity` or `json`.
    #[serde(default)]
    pub format: Option<String>,
}

impl ConvertTransform {
    /// The format, defaulting to `none`.
    pub fn format(&self) -> &str {
        self.format.as_deref().unwrap_or("none")
    }
}

/// A readiness check.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadinessCheck {
    /// The check type.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// The field to check.
    #[serde(default)]
    pub field_path: Option<String>,
    /// For `MatchString`.
    #[serde(default)]
    pub match_string: Option<String>,
    /// For `MatchInteger`.
    #[serde(default)]
    pub match_integer: Option<i64>,
    /// For `MatchCondition`.
    #[serde(default)]
    pub match_condition: Option<MatchCondition>,
}

/// `matchCondition`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchCondition {
    /// The condition type, e.g. `Ready`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// The wanted status: `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
}

/// A connection detail.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionDetail {
    /// The key in the XR's connection details.
    #[serde(default)]
    pub name: String,
    /// `FromConnectionSecretKey`, `FromFieldPath` or `FromValue`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// For `FromConnectionSecretKey`.
    #[serde(default)]
    pub from_connection_secret_key: Option<String>,
    /// For `FromFieldPath`.
    #[serde(default)]
    pub from_field_path: Option<String>,
    /// For `FromValue`.
    #[serde(default)]
    pub value: Option<String>,
}

/// `writeConnectionSecretToRef`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteConnectionSecretToRef {
    /// The Secret's name.
    #[serde(default)]
    pub name: String,
    /// The Secret's namespace.
    #[serde(default)]
    pub namespace: String,
    /// Patches from the XR to `name` and `namespace`.
    #[serde(default, deserialize_with = "nullable")]
    pub patches: Vec<Patch>,
}

/// Reads `input` into [`Resources`], failing as upstream's decoder does (see [`crate::gojson`]).
///
/// # Errors
/// Upstream's message for the first unknown field or mistyped value, e.g. `cannot get function
/// input *v1beta1.Resources from *v1.RunFunctionRequest: cannot unmarshal JSON from
/// *structpb.Struct into *v1beta1.Resources: json: cannot unmarshal Go value of type
/// v1beta1.ComposedPatch: unknown name "fromFieldPth"`.
pub fn decode(input: Option<&Map<String, Value>>) -> Result<Resources, String> {
    let empty = Map::new();
    let input = input.unwrap_or(&empty);
    let has_null = gojson::check(input).map_err(|error| {
        format!(
            "cannot get function input *v1beta1.Resources from *v1.RunFunctionRequest: cannot \
             unmarshal JSON from *structpb.Struct into *v1beta1.Resources: json: {error}"
        )
    })?;
    if has_null {
        deserialize(&gojson::without_nulls(input))
    } else {
        deserialize(input)
    }
}

/// The serde types over an input upstream's decoder accepts. Borrowing and skipping path
/// tracking is the fast path; only a failure (a bug: the types should accept what
/// [`gojson::check`] accepts) is decoded again, to name the offending field.
fn deserialize(input: &Map<String, Value>) -> Result<Resources, String> {
    if let Ok(resources) = Resources::deserialize(input) {
        return Ok(resources);
    }
    serde_path_to_error::deserialize(input)
        .map(|resources: Resources| resources)
        .map_err(|error| {
            let path = error.path().to_string();
            if path == "." {
                error.inner().to_string()
            } else {
                format!("{path}: {}", error.inner())
            }
        })
}

/// `null` reads as the default, as Go reads it.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Any present value, `null` included, is `Some`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decode_value(value: Value) -> Result<Resources, String> {
        let Value::Object(map) = value else {
            panic!("test inputs are objects")
        };
        decode(Some(&map))
    }

    #[test]
    fn reads_a_full_input() {
        let input = decode_value(json!({
            "apiVersion": "pt.fn.crossplane.io/v1beta1",
            "kind": "Resources",
            "patchSets": [{"name": "common", "patches": [{"fromFieldPath": "spec.a"}]}],
            "resources": [{
                "name": "bucket",
                "base": {"apiVersion": "v1", "kind": "ConfigMap"},
                "patches": [{"type": "PatchSet", "patchSetName": "common"}],
                "readinessChecks": [{"type": "None"}],
            }],
        }))
        .unwrap();
        assert_eq!(input.resources[0].patches[0].type_name(), "PatchSet");
        assert_eq!(
            input.patch_sets[0].patches[0].type_name(),
            "FromCompositeFieldPath"
        );
        assert_eq!(input.patch_sets[0].patches[0].to_field_path(), "spec.a");
    }

    #[test]
    fn unknown_fields_fail_as_upstream() {
        let error =
            decode_value(json!({"resources": [{"name": "a", "patches": [{"fromFieldPth": "x"}]}]}))
                .unwrap_err();
        assert_eq!(
            error,
            "cannot get function input *v1beta1.Resources from *v1.RunFunctionRequest: cannot \
             unmarshal JSON from *structpb.Struct into *v1beta1.Resources: json: cannot unmarshal \
             Go value of type v1beta1.ComposedPatch: unknown name \"fromFieldPth\""
        );
    }

    #[test]
    fn null_fields_read_as_absent() {
        let input =
            decode_value(json!({"resources": [{"name": "a", "base": null, "patches": [null]}]}))
                .unwrap();
        assert!(input.resources[0].base.is_none());
        assert_eq!(
            input.resources[0].patches[0].type_name(),
            "FromCompositeFieldPath"
        );
    }

    #[test]
    fn fallback_value_null_is_absent() {
        let input = decode_value(json!({"resources": [{"name": "a", "patches": [{
            "fromFieldPath": "x",
            "transforms": [{"type": "match", "match": {"fallbackValue": null, "patterns": []}}],
        }]}]}))
        .unwrap();
        let transform = &input.resources[0].patches[0].transforms[0];
        assert!(transform.match_.as_ref().unwrap().fallback_value.is_none());
    }
}
