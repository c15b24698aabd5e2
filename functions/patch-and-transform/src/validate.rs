//! Input validation, as upstream's `validate.go`: the first error wins and names its field path
//! (`resources[1].patches[2].transforms[0].string.type: Required value: ...`).

use std::fmt;

use crate::goregex;
use crate::input::{
    Combine, ComposedTemplate, ConnectionDetail, ConvertTransform, MatchCondition, MatchPattern,
    MatchTransform, MathTransform, Patch, PatchSet, ReadinessCheck, Resources, StringTransform,
    Transform, patch_type,
};

/// A validation error: Kubernetes' `field.Error` with its `Required` and `Invalid` types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    path: String,
    body: String,
}

/// Validation results.
pub type Result<T = (), E = FieldError> = std::result::Result<T, E>;

impl FieldError {
    fn required(path: impl Into<String>, detail: impl fmt::Display) -> FieldError {
        FieldError {
            path: path.into(),
            body: format!("Required value: {detail}"),
        }
    }

    /// `Invalid value: "<value>": <detail>`; `value` is `None` for a Go nil.
    fn invalid(
        path: impl Into<String>,
        value: Option<&str>,
        detail: impl fmt::Display,
    ) -> FieldError {
        let value = value.map_or_else(|| "null".to_owned(), |v| format!("{v:?}"));
        FieldError {
            path: path.into(),
            body: format!("Invalid value: {value}: {detail}"),
        }
    }

    /// Prefixes the path with `parent`.
    fn under(self, parent: impl fmt::Display) -> FieldError {
        FieldError {
            path: format!("{parent}.{}", self.path),
            body: self.body,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.body)
    }
}

/// Where a patch appears; PatchSet patches can only appear in resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PatchKind {
    Composed,
    InPatchSet,
    Environment,
}

/// Validates the whole input: patch sets, then "some resources or environment patches", then
/// resources, then environment patches.
///
/// # Errors
/// The first problem found.
pub fn resources(r: &Resources) -> Result {
    for set in &r.patch_sets {
        patch_set(set)?;
    }
    let has_environment_patches = r
        .environment
        .as_ref()
        .is_some_and(|e| !e.patches.is_empty());
    if r.resources.is_empty() && !has_environment_patches {
        return Err(FieldError::required(
            "resources",
            "resources or environment patches are required",
        ));
    }
    for (i, template) in r.resources.iter().enumerate() {
        composed_template(template).map_err(|e| e.under(format!("resources[{i}]")))?;
    }
    if let Some(environment) = &r.environment {
        for (i, p) in environment.patches.iter().enumerate() {
            environment_patch(p, i).map_err(|e| e.under("environment"))?;
        }
    }
    Ok(())
}

fn environment_patch(p: &Patch, i: usize) -> Result {
    match p.type_name() {
        patch_type::FROM_COMPOSITE
        | patch_type::TO_COMPOSITE
        | patch_type::COMBINE_FROM_COMPOSITE
        | patch_type::COMBINE_TO_COMPOSITE
        | patch_type::FROM_ENVIRONMENT
        | patch_type::TO_ENVIRONMENT => {
            patch(p, PatchKind::Environment).map_err(|e| e.under(format!("patches[{i}]")))
        }
        other => Err(FieldError::invalid(
            format!("patches[{i}][type]"),
            Some(other),
            "invalid environment patch type",
        )),
    }
}

fn composed_template(t: &ComposedTemplate) -> Result {
    if t.name.is_empty() {
        return Err(FieldError::required("name", "name is required"));
    }
    for (i, p) in t.patches.iter().enumerate() {
        patch(p, PatchKind::Composed).map_err(|e| e.under(format!("patches[{i}]")))?;
    }
    for (i, detail) in t.connection_details.iter().enumerate() {
        connection_detail(detail).map_err(|e| e.under(format!("connectionDetails[{i}]")))?;
    }
    for (i, check) in t.readiness_checks.iter().enumerate() {
        readiness_check(check).map_err(|e| e.under(format!("readinessChecks[{i}]")))?;
    }
    Ok(())
}

fn patch_set(set: &PatchSet) -> Result {
    if set.name.is_empty() {
        return Err(FieldError::required("name", "name is required"));
    }
    for (i, p) in set.patches.iter().enumerate() {
        patch(p, PatchKind::InPatchSet).map_err(|e| e.under(format!("patches[{i}]")))?;
    }
    Ok(())
}

/// Validates a readiness check.
///
/// # Errors
/// An unknown type or a missing field the type needs.
pub fn readiness_check(r: &ReadinessCheck) -> Result {
    match r.type_.as_str() {
        "None" => return Ok(()),
        "MatchString" if r.match_string.is_none() => {
            return Err(FieldError::required(
                "matchString",
                "cannot be nil for type MatchString",
            ));
        }
        "MatchInteger" if r.match_integer.is_none() => {
            return Err(FieldError::required(
                "matchInteger",
                "cannot be nil for type MatchInteger",
            ));
        }
        "MatchCondition" => {
            return r
                .match_condition
                .as_ref()
                .map_or(Ok(()), match_condition)
                .map_err(|e| e.under("matchCondition"));
        }
        "MatchString" | "MatchInteger" | "NonEmpty" | "MatchFalse" | "MatchTrue" => {}
        other => {
            return Err(FieldError::invalid(
                "type",
                Some(other),
                "unknown readiness check type",
            ));
        }
    }
    if r.field_path.is_none() {
        return Err(FieldError::required("fieldPath", "cannot be empty"));
    }
    Ok(())
}

fn match_condition(m: &MatchCondition) -> Result {
    if m.type_.is_empty() {
        return Err(FieldError::required(
            "type",
            "cannot be empty for type MatchCondition",
        ));
    }
    if m.status.is_empty() {
        return Err(FieldError::required(
            "status",
            "cannot be empty for type MatchCondition",
        ));
    }
    Ok(())
}

fn patch(p: &Patch, kind: PatchKind) -> Result {
    let type_name = p.type_name();
    match type_name {
        patch_type::FROM_COMPOSITE
        | patch_type::TO_COMPOSITE
        | patch_type::FROM_ENVIRONMENT
        | patch_type::TO_ENVIRONMENT => {
            if p.source_path().is_empty() {
                return Err(FieldError::required(
                    "fromFieldPath",
                    format!("fromFieldPath must be set for patch type {type_name}"),
                ));
            }
        }
        patch_type::PATCH_SET => patch_set_patch(p, kind)?,
        patch_type::COMBINE_FROM_COMPOSITE
        | patch_type::COMBINE_TO_COMPOSITE
        | patch_type::COMBINE_FROM_ENVIRONMENT
        | patch_type::COMBINE_TO_ENVIRONMENT => {
            // Upstream returns here: transforms and policy of Combine patches are not validated.
            return combine_patch(p);
        }
        other => {
            return Err(FieldError::invalid(
                "type",
                Some(other),
                "unknown patch type",
            ));
        }
    }
    for (i, t) in p.transforms.iter().enumerate() {
        transform(t).map_err(|e| e.under(format!("transforms[{i}]")))?;
    }
    if p.policy.is_some() {
        policy(p)?;
    }
    Ok(())
}

/// A `PatchSet` patch: composed resources only, and it names its set.
fn patch_set_patch(p: &Patch, kind: PatchKind) -> Result {
    let type_name = p.type_name();
    if kind != PatchKind::Composed {
        // Environment patches of this type are rejected before they get here.
        return Err(FieldError::invalid(
            "type",
            Some(type_name),
            format!("patch type *v1beta1.PatchSetPatch does not support patch of type {type_name}"),
        ));
    }
    if p.patch_set_name.as_deref().unwrap_or("").is_empty() {
        return Err(FieldError::required(
            "patchSetName",
            format!("patchSetName must be set for patch type {type_name}"),
        ));
    }
    Ok(())
}

/// A `Combine*` patch: its `combine` and `toFieldPath`.
fn combine_patch(p: &Patch) -> Result {
    let type_name = p.type_name();
    let Some(c) = &p.combine else {
        return Err(FieldError::required(
            "combine",
            format!("combine must be set for patch type {type_name}"),
        ));
    };
    if p.to_field_path().is_empty() {
        return Err(FieldError::required(
            "toFieldPath",
            format!("toFieldPath must be set for patch type {type_name}"),
        ));
    }
    combine(c).map_err(|e| e.under("combine"))
}

/// A patch's `policy`: known `toFieldPath` and `fromFieldPath` policies.
fn policy(p: &Patch) -> Result {
    match p.to_policy() {
        "Replace"
        | "MergeObjects"
        | "MergeObjectsAppendArrays"
        | "ForceMergeObjects"
        | "ForceMergeObjectsAppendArrays"
        | "MergeObject"
        | "AppendArray" => {}
        other => {
            return Err(FieldError::invalid(
                "policy.toFieldPathPolicy",
                Some(other),
                "unknown toFieldPathPolicy",
            ));
        }
    }
    match p.source_policy() {
        "Required" | "Optional" => Ok(()),
        other => Err(FieldError::invalid(
            "policy.fromFieldPathPolicy",
            Some(other),
            "unknown fromFieldPathPolicy",
        )),
    }
}

fn combine(c: &Combine) -> Result {
    match c.strategy.as_str() {
        "string" => {
            if c.string.is_none() {
                return Err(FieldError::required(
                    "string",
                    "string must be set for combine strategy string",
                ));
            }
        }
        "" => {
            return Err(FieldError::required(
                "strategy",
                "a combine strategy must be provided",
            ));
        }
        other => {
            return Err(FieldError::invalid(
                "strategy",
                Some(other),
                "unknown strategy type",
            ));
        }
    }
    if c.variables.is_empty() {
        return Err(FieldError::required(
            "variables",
            "at least one variable must be provided",
        ));
    }
    for (i, variable) in c.variables.iter().enumerate() {
        if variable.from_field_path.is_empty() {
            return Err(FieldError::required(
                format!("variables[{i}].fromFieldPath"),
                "fromFieldPath must be set for each combine variable",
            ));
        }
    }
    Ok(())
}

fn transform(t: &Transform) -> Result {
    let kind = t.type_.as_str();
    let required = || {
        FieldError::required(
            kind,
            format!("given transform type {kind} requires configuration"),
        )
    };
    match kind {
        "math" => math(t.math.as_ref().ok_or_else(required)?).map_err(|e| e.under("math")),
        "map" => {
            if t.map.as_ref().ok_or_else(required)?.is_empty() {
                return Err(FieldError::required(
                    "map.pairs",
                    "at least one pair must be specified if a map transform is specified",
                ));
            }
            Ok(())
        }
        "match" => {
            match_transform(t.match_.as_ref().ok_or_else(required)?).map_err(|e| e.under("match"))
        }
        "string" => string(t.string.as_ref().ok_or_else(required)?).map_err(|e| e.under("string")),
        "convert" => {
            convert(t.convert.as_ref().ok_or_else(required)?).map_err(|e| e.under("convert"))
        }
        other => Err(FieldError::invalid(
            "type",
            Some(other),
            "unknown transform type",
        )),
    }
}

/// Validates a `math` transform; upstream also runs this when the transform runs.
///
/// # Errors
/// A missing or unknown type, or a missing operand.
pub fn math(m: &MathTransform) -> Result {
    match m.type_.as_str() {
        "" => Err(FieldError::required(
            "type",
            "math transform type is required",
        )),
        "Multiply" if m.multiply.is_none() => Err(FieldError::required(
            "multiply",
            "must specify a value if a multiply math transform is specified",
        )),
        "ClampMin" if m.clamp_min.is_none() => Err(FieldError::required(
            "clampMin",
            "must specify a value if a clamp min math transform is specified",
        )),
        "ClampMax" if m.clamp_max.is_none() => Err(FieldError::required(
            "clampMax",
            "must specify a value if a clamp max math transform is specified",
        )),
        "Multiply" | "ClampMin" | "ClampMax" => Ok(()),
        other => Err(FieldError::invalid(
            "type",
            Some(other),
            "unknown math transform type",
        )),
    }
}

fn match_transform(m: &MatchTransform) -> Result {
    if m.patterns.is_empty() {
        return Err(FieldError::required(
            "patterns",
            "at least one pattern must be specified if a match transform is specified",
        ));
    }
    for (i, p) in m.patterns.iter().enumerate() {
        match_pattern(p).map_err(|e| e.under(format!("patterns[{i}]")))?;
    }
    Ok(())
}

fn match_pattern(p: &MatchPattern) -> Result {
    match p.type_.as_str() {
        "literal" | "" => {
            if p.literal.is_none() {
                return Err(FieldError::required(
                    "literal",
                    "literal pattern type requires a literal",
                ));
            }
        }
        "regexp" => {
            let Some(expression) = &p.regexp else {
                return Err(FieldError::required(
                    "regexp",
                    "regexp pattern type requires a regexp",
                ));
            };
            if goregex::compile(expression).is_err() {
                return Err(FieldError::invalid(
                    "regexp",
                    Some(expression),
                    "invalid regexp",
                ));
            }
        }
        other => {
            return Err(FieldError::invalid(
                "type",
                Some(other),
                "unknown pattern type",
            ));
        }
    }
    Ok(())
}

fn string(s: &StringTransform) -> Result {
    match s.type_.as_str() {
        "" => {
            return Err(FieldError::required(
                "type",
                "string transform type is required",
            ));
        }
        "Format" if s.fmt.is_none() => {
            return Err(FieldError::required(
                "fmt",
                "format transform requires a format",
            ));
        }
        "Convert" if s.convert.is_none() => {
            return Err(FieldError::required(
                "convert",
                "convert transform requires a conversion type",
            ));
        }
        "TrimPrefix" | "TrimSuffix" if s.trim.is_none() => {
            return Err(FieldError::required(
                "trim",
                "trim transform requires a trim value",
            ));
        }
        "Regexp" => {
            let Some(regexp) = &s.regexp else {
                return Err(FieldError::required(
                    "regexp",
                    "regexp transform requires a regexp",
                ));
            };
            if regexp.match_.is_empty() {
                return Err(FieldError::required(
                    "regexp.match",
                    "regexp transform requires a match",
                ));
            }
            if goregex::compile(&regexp.match_).is_err() {
                return Err(FieldError::invalid(
                    "regexp.match",
                    Some(&regexp.match_),
                    "invalid regexp",
                ));
            }
        }
        "Join" if s.join.is_none() => {
            return Err(FieldError::required(
                "join",
                "join transform requires a join",
            ));
        }
        "Replace" => {
            let Some(replace) = &s.replace else {
                return Err(FieldError::required(
                    "replace",
                    "replace transform requires a replace",
                ));
            };
            if replace.search.is_empty() {
                return Err(FieldError::required(
                    "replace.search",
                    "replace transform requires a search",
                ));
            }
        }
        "Format" | "Convert" | "TrimPrefix" | "TrimSuffix" | "Join" => {}
        other => {
            return Err(FieldError::invalid(
                "type",
                Some(other),
                "unknown string transform type",
            ));
        }
    }
    Ok(())
}

/// Validates a `convert` transform; upstream also runs this when the transform runs.
///
/// # Errors
/// An unknown format or target type.
pub fn convert(t: &ConvertTransform) -> Result {
    if !matches!(t.format(), "none" | "quantity" | "json") {
        return Err(FieldError::invalid(
            "format",
            t.format.as_deref(),
            "invalid format",
        ));
    }
    if !matches!(
        t.to_type.as_str(),
        "string" | "bool" | "int" | "int64" | "float64" | "object" | "array"
    ) {
        return Err(FieldError::invalid(
            "toType",
            Some(&t.to_type),
            "invalid type",
        ));
    }
    Ok(())
}

/// Validates a connection detail.
///
/// # Errors
/// A missing or unknown type, a missing name, or a missing field the type needs.
pub fn connection_detail(cd: &ConnectionDetail) -> Result {
    match cd.type_.as_str() {
        "" => {
            return Err(FieldError::required(
                "type",
                "connection detail type is required",
            ));
        }
        "FromConnectionSecretKey" | "FromFieldPath" | "FromValue" => {}
        other => {
            return Err(FieldError::invalid(
                "type",
                Some(other),
                "unknown connection detail type",
            ));
        }
    }
    if cd.name.is_empty() {
        return Err(FieldError::required("name", "name is required"));
    }
    match cd.type_.as_str() {
        "FromValue" if cd.value.is_none() => Err(FieldError::required(
            "value",
            "value connection detail requires a value",
        )),
        "FromConnectionSecretKey" if cd.from_connection_secret_key.is_none() => {
            Err(FieldError::required(
                "fromConnectionSecretKey",
                "from connection secret key connection detail requires a key",
            ))
        }
        "FromFieldPath" if cd.from_field_path.is_none() => Err(FieldError::required(
            "fromFieldPath",
            "from field path connection detail requires a field path",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn error(input: Value) -> String {
        let Value::Object(map) = input else {
            panic!("test inputs are objects")
        };
        let input = crate::input::decode(Some(&map)).unwrap();
        resources(&input).unwrap_err().to_string()
    }

    #[test]
    fn resources_or_environment_patches_are_required() {
        assert_eq!(
            error(json!({})),
            "resources: Required value: resources or environment patches are required"
        );
    }

    #[test]
    fn patch_sets_are_checked_first_and_without_a_prefix() {
        assert_eq!(
            error(json!({"patchSets": [{"name": "s", "patches": [{"type": "PatchSet"}]}]})),
            "patches[0].type: Invalid value: \"PatchSet\": patch type *v1beta1.PatchSetPatch does not support patch of type PatchSet"
        );
    }

    #[test]
    fn environment_patch_types_use_a_key_segment() {
        assert_eq!(
            error(json!({"environment": {"patches": [{"type": "CombineFromEnvironment"}]}})),
            "environment.patches[0][type]: Invalid value: \"CombineFromEnvironment\": invalid environment patch type"
        );
        assert_eq!(
            error(json!({"environment": {"patches": [{"type": "ToCompositeFieldPath"}]}})),
            "environment.patches[0].fromFieldPath: Required value: fromFieldPath must be set for patch type ToCompositeFieldPath"
        );
    }

    #[test]
    fn nested_fields_name_their_whole_path() {
        let input = json!({"resources": [{"name": "a", "patches": [
            {"type": "CombineFromComposite", "toFieldPath": "x", "combine": {"strategy": "string", "string": {"fmt": "%s"}, "variables": [{"fromFieldPath": ""}]}},
        ]}]});
        assert_eq!(
            error(input),
            "resources[0].patches[0].combine.variables[0].fromFieldPath: Required value: fromFieldPath must be set for each combine variable"
        );
        let input = json!({"resources": [{"name": "a", "patches": [{"fromFieldPath": "x", "transforms": [
            {"type": "convert", "convert": {"toType": "decimal"}},
        ]}]}]});
        assert_eq!(
            error(input),
            "resources[0].patches[0].transforms[0].convert.toType: Invalid value: \"decimal\": invalid type"
        );
        let input = json!({"resources": [{"name": "a", "patches": [{"fromFieldPath": "x", "policy": {"toFieldPath": "Merge"}}]}]});
        assert_eq!(
            error(input),
            "resources[0].patches[0].policy.toFieldPathPolicy: Invalid value: \"Merge\": unknown toFieldPathPolicy"
        );
        let input = json!({"resources": [{"name": "a", "readinessChecks": [{"type": "MatchCondition", "matchCondition": {"type": "Ready"}}]}]});
        assert_eq!(
            error(input),
            "resources[0].readinessChecks[0].matchCondition.status: Required value: cannot be empty for type MatchCondition"
        );
    }
}
