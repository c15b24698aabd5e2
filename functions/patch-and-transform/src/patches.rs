//! Applying patches: reading a field, transforming it and writing it elsewhere, as upstream's
//! `patches.go`. Patches always read observed state and write desired state.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::fieldpath;
use crate::gofmt::sprintf;
use crate::input::{Combine, Patch, PatchSet, patch_type};
use crate::merge::{MergeOptions, merge_value};
use crate::transforms::resolve_all;
use crate::value::{Piped, settle_written, to_written};

/// The objects a resource's patches read and write.
pub struct Objects<'a> {
    /// The observed composite resource.
    pub observed_composite: &'a Map<String, Value>,
    /// The desired composite resource.
    pub desired_composite: &'a mut Map<String, Value>,
    /// The observed composed resource, if it exists.
    pub observed: Option<&'a Map<String, Value>>,
    /// The desired composed resource being rendered.
    pub desired: &'a mut Map<String, Value>,
    /// The environment.
    pub environment: &'a mut Map<String, Value>,
}

/// Whether the patch writes the composed resource (rather than reading from it).
pub fn is_to_composed(p: &Patch) -> bool {
    matches!(
        p.type_name(),
        patch_type::FROM_COMPOSITE
            | patch_type::COMBINE_FROM_COMPOSITE
            | patch_type::FROM_ENVIRONMENT
            | patch_type::COMBINE_FROM_ENVIRONMENT
    )
}

/// Applies a resource's patch. A patch from an observed composed resource that does not exist
/// yet does nothing.
///
/// # Errors
/// See [`apply_from_field_path`] and [`apply_combine`].
pub fn apply_composed(p: &Patch, objects: &mut Objects<'_>) -> Result<()> {
    let observed = match objects.observed {
        Some(observed) => observed,
        None if !is_to_composed(p) => return Ok(()),
        None => &Map::new(),
    };
    match p.type_name() {
        patch_type::TO_COMPOSITE => apply_from_field_path(p, observed, objects.desired_composite),
        patch_type::COMBINE_TO_COMPOSITE => apply_combine(p, observed, objects.desired_composite),
        patch_type::TO_ENVIRONMENT => apply_from_field_path(p, observed, objects.environment),
        patch_type::COMBINE_TO_ENVIRONMENT => apply_combine(p, observed, objects.environment),
        patch_type::FROM_COMPOSITE => {
            apply_from_field_path(p, objects.observed_composite, objects.desired)
        }
        patch_type::COMBINE_FROM_COMPOSITE => {
            apply_combine(p, objects.observed_composite, objects.desired)
        }
        patch_type::FROM_ENVIRONMENT => {
            apply_from_field_path(p, objects.environment, objects.desired)
        }
        patch_type::COMBINE_FROM_ENVIRONMENT => {
            apply_combine(p, objects.environment, objects.desired)
        }
        _ => Ok(()),
    }
}

/// Applies an `environment.patches` entry: observed XR to environment, or environment to
/// desired XR.
///
/// # Errors
/// See [`apply_from_field_path`] and [`apply_combine`].
pub fn apply_environment(
    p: &Patch,
    environment: &mut Map<String, Value>,
    observed_composite: &Map<String, Value>,
    desired_composite: &mut Map<String, Value>,
) -> Result<()> {
    match p.type_name() {
        patch_type::FROM_COMPOSITE | patch_type::TO_ENVIRONMENT => {
            apply_from_field_path(p, observed_composite, environment)
        }
        patch_type::COMBINE_FROM_COMPOSITE => apply_combine(p, observed_composite, environment),
        patch_type::TO_COMPOSITE | patch_type::FROM_ENVIRONMENT => {
            apply_from_field_path(p, environment, desired_composite)
        }
        patch_type::COMBINE_TO_COMPOSITE => apply_combine(p, environment, desired_composite),
        _ => Ok(()),
    }
}

/// Reads `fromFieldPath` of `from`, transforms it and writes it at `toFieldPath` of `to`;
/// a `toFieldPath` with `[*]` writes every existing expansion.
///
/// # Errors
/// A missing source ([not found](Error::is_not_found)), a transform error, an unknown policy,
/// `cannot expand ToFieldPath X` when a wildcard matches nothing, or `cannot patch to object:
/// ...` when the write fails.
pub fn apply_from_field_path(
    p: &Patch,
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
) -> Result<()> {
    let input = fieldpath::get(from, p.source_path())?.clone();
    let output = resolve_all(&p.transforms, Piped::Json(input))?
        .into_json()
        .map_err(|e| Error::new(e).wrap("cannot marshal value to JSON"))?;
    let output = to_written(output);
    let options = MergeOptions::from_policy(p.to_policy())?;
    let to_path = p.to_field_path();
    if to_path.contains("[*]") {
        let paths = fieldpath::expand_wildcards(to, to_path)?;
        if paths.is_empty() {
            return Err(Error::new(format!("cannot expand ToFieldPath {to_path}")));
        }
        for path in paths {
            merge_value(to, &path.0, output.clone(), options)?;
        }
        return settle_written(to).map_err(Error::new);
    }
    write(to, to_path, Piped::Json(output), options)
}

/// Reads every `combine.variables[].fromFieldPath` of `from`, combines them, transforms the
/// result and writes it at `toFieldPath` of `to`.
///
/// # Errors
/// Any variable missing ([not found](Error::is_not_found)), an unsupported strategy, a transform
/// error, or `cannot patch to object: ...` when the write fails.
pub fn apply_combine(
    p: &Patch,
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
) -> Result<()> {
    let Some(combine) = &p.combine else {
        return Ok(());
    };
    let mut variables = Vec::with_capacity(combine.variables.len());
    for variable in &combine.variables {
        variables.push(fieldpath::get(from, &variable.from_field_path)?.clone());
    }
    let combined = combine_values(combine, variables)?;
    let output = resolve_all(&p.transforms, combined)?;
    let options = MergeOptions::from_policy(p.to_policy())?;
    write(to, p.to_field_path(), output, options)
}

fn combine_values(combine: &Combine, variables: Vec<Value>) -> Result<Piped> {
    match combine.strategy.as_str() {
        "string" => match &combine.string {
            Some(string) => {
                let variables: Vec<Piped> = variables.into_iter().map(Piped::Json).collect();
                Ok(Piped::Json(Value::String(sprintf(&string.fmt, &variables))))
            }
            None => Err(Error::new(
                "given combine strategy string requires configuration",
            )),
        },
        other => Err(Error::new(format!(
            "combine strategy {other} is not supported"
        ))),
    }
}

/// Writes `value` at `path` of `to`, as upstream's `patchFieldValueToObject`: the path is parsed
/// before the value is marshalled (which fails for NaN and infinities).
fn write(
    to: &mut Map<String, Value>,
    path: &str,
    value: Piped,
    options: Option<MergeOptions>,
) -> Result<()> {
    fieldpath::parse(path)
        .map_err(|e| e.wrap(format!("cannot parse path {path:?}")))
        .and_then(|segments| {
            let value = value
                .into_json()
                .map_err(|e| Error::new(e).wrap("cannot marshal value to JSON"))?;
            merge_value(to, &segments.0, to_written(value), options)
        })
        .and_then(|()| settle_written(to).map_err(Error::new))
        .map_err(|e| e.wrap("cannot patch to object"))
}

/// Replaces each `type: PatchSet` patch with the patches of the named set.
///
/// # Errors
/// `cannot find PatchSet by name X`, or a PatchSet patch inside a PatchSet.
pub fn inline_patch_sets<'a>(sets: &'a [PatchSet], patches: &'a [Patch]) -> Result<Vec<&'a Patch>> {
    if sets
        .iter()
        .flat_map(|s| &s.patches)
        .any(|p| p.type_name() == patch_type::PATCH_SET)
    {
        return Err(Error::new(
            "a patch in a PatchSet cannot be of type PatchSet",
        ));
    }
    let mut out = Vec::with_capacity(patches.len());
    for p in patches {
        if p.type_name() != patch_type::PATCH_SET {
            out.push(p);
            continue;
        }
        let Some(name) = &p.patch_set_name else {
            return Err(Error::new("PatchSetName is required by type PatchSet"));
        };
        // With duplicate names the last set wins, as upstream's map does.
        let Some(set) = sets.iter().rev().find(|s| &s.name == name) else {
            return Err(Error::new(format!("cannot find PatchSet by name {name}")));
        };
        out.extend(set.patches.iter());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tests::object;

    fn patch(value: Value) -> Patch {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn from_field_path_transforms_and_writes() {
        let from = object(json!({"spec": {"size": "large"}}));
        let mut to = object(json!({"kind": "Bucket"}));
        let p = patch(json!({
            "fromFieldPath": "spec.size",
            "toFieldPath": "spec.forProvider.instanceType",
            "transforms": [{"type": "map", "map": {"large": "m5.xlarge"}}],
        }));
        apply_from_field_path(&p, &from, &mut to).unwrap();
        assert_eq!(
            Value::Object(to),
            json!({"kind": "Bucket", "spec": {"forProvider": {"instanceType": "m5.xlarge"}}})
        );
    }

    #[test]
    fn wildcards_write_existing_fields_only() {
        let from = object(json!({"metadata": {"name": "test"}}));
        let mut to = object(
            json!({"kind": "Bucket", "metadata": {"ownerReferences": [{"name": ""}, {"name": ""}]}}),
        );
        let p = patch(
            json!({"fromFieldPath": "metadata.name", "toFieldPath": "metadata.ownerReferences[*].name"}),
        );
        apply_from_field_path(&p, &from, &mut to).unwrap();
        assert_eq!(
            to["metadata"]["ownerReferences"],
            json!([{"name": "test"}, {"name": "test"}])
        );
        let p = patch(
            json!({"fromFieldPath": "metadata.name", "toFieldPath": "metadata.ownerReferences[*].badField"}),
        );
        assert_eq!(
            apply_from_field_path(&p, &from, &mut to)
                .unwrap_err()
                .to_string(),
            "cannot expand ToFieldPath metadata.ownerReferences[*].badField"
        );
    }

    #[test]
    fn combine_formats_variables_and_any_missing_one_is_not_found() {
        let from = object(json!({"spec": {"a": "x", "n": 3}}));
        let mut to = object(json!({"kind": "Bucket"}));
        let p = patch(json!({
            "type": "CombineFromComposite",
            "combine": {"variables": [{"fromFieldPath": "spec.a"}, {"fromFieldPath": "spec.n"}], "strategy": "string", "string": {"fmt": "%s-%v"}},
            "toFieldPath": "metadata.name",
        }));
        apply_combine(&p, &from, &mut to).unwrap();
        assert_eq!(to["metadata"]["name"], json!("x-3"));
        let p = patch(json!({
            "type": "CombineFromComposite",
            "combine": {"variables": [{"fromFieldPath": "spec.missing"}], "strategy": "string", "string": {"fmt": "%s"}},
            "toFieldPath": "metadata.name",
        }));
        assert!(
            apply_combine(&p, &from, &mut to)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn written_objects_are_decoded_again_and_need_a_kind() {
        let from = object(json!({"spec": {"kind": 7}}));
        let mut to = object(json!({"kind": "Bucket", "spec": {"size": 3.0}}));
        let p = patch(json!({"fromFieldPath": "spec.kind", "toFieldPath": "spec.copy"}));
        apply_from_field_path(&p, &from, &mut to).unwrap();
        assert_eq!(to["spec"]["size"], json!(3), "whole numbers become int64");
        let p = patch(json!({"fromFieldPath": "spec.kind", "toFieldPath": "kind"}));
        assert_eq!(
            apply_from_field_path(&p, &from, &mut to)
                .unwrap_err()
                .to_string(),
            r#"cannot patch to object: Object 'Kind' is missing in '{"kind":7,"spec":{"copy":7,"size":3}}'"#
        );
    }

    #[test]
    fn write_errors_say_cannot_patch_to_object() {
        let from = object(json!({"spec": {"a": "x"}}));
        let mut to = object(json!({"spec": "text"}));
        let p = patch(json!({"fromFieldPath": "spec.a"}));
        assert_eq!(
            apply_from_field_path(&p, &from, &mut to)
                .unwrap_err()
                .to_string(),
            "cannot patch to object: spec is not an object"
        );
    }

    #[test]
    fn patch_sets_are_inlined_in_place() {
        let sets: Vec<PatchSet> = serde_json::from_value(json!([
            {"name": "s", "patches": [{"fromFieldPath": "a"}, {"fromFieldPath": "b"}]},
        ]))
        .unwrap();
        let patches = vec![
            patch(json!({"fromFieldPath": "x"})),
            patch(json!({"type": "PatchSet", "patchSetName": "s"})),
        ];
        let inlined = inline_patch_sets(&sets, &patches).unwrap();
        let froms: Vec<&str> = inlined.iter().map(|p| p.source_path()).collect();
        assert_eq!(froms, ["x", "a", "b"]);
        let missing = vec![patch(json!({"type": "PatchSet", "patchSetName": "nope"}))];
        assert_eq!(
            inline_patch_sets(&sets, &missing).unwrap_err().to_string(),
            "cannot find PatchSet by name nope"
        );
    }
}
