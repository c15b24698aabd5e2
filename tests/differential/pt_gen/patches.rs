//! Random P&T patches: every type, reading paths that mostly exist in what they read, writing
//! paths that are new, already set, arrays or wildcards, with every policy.

use serde_json::{Map, Value, json};

use super::fitting::{self, Flow};
use super::transforms::{self, FORMATS};
use crate::differential::rng::Rng;
use crate::differential::values::{self, bad_path};

/// What a patch can read from and write to: the field paths (with values) of each object.
pub struct Sources {
    /// The observed XR.
    pub xr: Vec<(String, Value)>,
    /// The environment, as the request's context has it.
    pub environment: Vec<(String, Value)>,
    /// The observed composed resource of the template (none when it does not exist yet).
    pub composed: Vec<(String, Value)>,
    /// The template's base.
    pub base: Vec<(String, Value)>,
    /// Whether the case stays clean: every element valid, every transform fitting its value,
    /// paths missing at most (never malformed), so that most such cases render.
    pub clean: bool,
}

/// Where a patch reads and writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Xr,
    Environment,
    Composed,
}

/// A patch type, the sides it reads and writes, and whether it combines.
type Kind = (&'static str, Side, Side, bool);

/// The patch types with the sides they read and write in a resource template.
const COMPOSED_TYPES: &[Kind] = &[
    ("FromCompositeFieldPath", Side::Xr, Side::Composed, false),
    ("ToCompositeFieldPath", Side::Composed, Side::Xr, false),
    ("CombineFromComposite", Side::Xr, Side::Composed, true),
    ("CombineToComposite", Side::Composed, Side::Xr, true),
    (
        "FromEnvironmentFieldPath",
        Side::Environment,
        Side::Composed,
        false,
    ),
    (
        "ToEnvironmentFieldPath",
        Side::Composed,
        Side::Environment,
        false,
    ),
    (
        "CombineFromEnvironment",
        Side::Environment,
        Side::Composed,
        true,
    ),
    (
        "CombineToEnvironment",
        Side::Composed,
        Side::Environment,
        true,
    ),
];

/// The patch types of `environment.patches` with their sides; the last two are invalid there.
const ENVIRONMENT_TYPES: &[Kind] = &[
    ("FromCompositeFieldPath", Side::Xr, Side::Environment, false),
    ("ToEnvironmentFieldPath", Side::Xr, Side::Environment, false),
    ("CombineFromComposite", Side::Xr, Side::Environment, true),
    ("ToCompositeFieldPath", Side::Environment, Side::Xr, false),
    (
        "FromEnvironmentFieldPath",
        Side::Environment,
        Side::Xr,
        false,
    ),
    ("CombineToComposite", Side::Environment, Side::Xr, true),
    (
        "CombineFromEnvironment",
        Side::Environment,
        Side::Composed,
        true,
    ),
    ("PatchSet", Side::Xr, Side::Xr, false),
];

/// Formats for combining variables that never fail.
const COMBINE_FORMATS: &[&str] = &["%v-%v", "%s", "%v/%v/%v", "%s.%s", "prefix-%v"];

/// A patch for a resource template or a PatchSet: any of the eight types, or (when `patch_sets`
/// is not empty) a `PatchSet` patch naming one of them.
pub fn composed(rng: &mut Rng, sources: &Sources, patch_sets: &[String]) -> Value {
    if !patch_sets.is_empty() && rng.chance(12) {
        let mut patch = Map::new();
        patch.insert("type".into(), json!("PatchSet"));
        if sources.clean || !rng.one_in(100) {
            let name = if sources.clean || !rng.one_in(50) {
                rng.pick(patch_sets).clone()
            } else {
                "no-such-set".to_owned()
            };
            patch.insert("patchSetName".into(), json!(name));
        }
        return Value::Object(patch);
    }
    let weights = [36, 12, 9, 6, 10, 10, 9, 8];
    let mut roll = rng.below(weights.iter().sum());
    let mut chosen = COMPOSED_TYPES[0];
    for (entry, weight) in COMPOSED_TYPES.iter().zip(weights) {
        if roll < weight {
            chosen = *entry;
            break;
        }
        roll -= weight;
    }
    build(rng, chosen, sources)
}

/// A patch of `environment.patches`; in a clean case never `Required` (a missing source is
/// fatal there).
pub fn environment(rng: &mut Rng, sources: &Sources) -> Value {
    let chosen = if sources.clean || !rng.one_in(60) {
        *rng.pick(&ENVIRONMENT_TYPES[..6])
    } else {
        *rng.pick(&ENVIRONMENT_TYPES[6..])
    };
    let mut patch = build(rng, chosen, sources);
    if sources.clean
        && let Some(policy) = patch.get_mut("policy").and_then(Value::as_object_mut)
    {
        policy.remove("fromFieldPath");
    }
    patch
}

/// A patch of `writeConnectionSecretToRef.patches`: to `name` or `namespace`.
pub fn connection_secret(rng: &mut Rng, sources: &Sources) -> Value {
    let target = *rng.pick(&["name", "namespace", "name", "metadata.name"]);
    let mut patch = Map::new();
    match rng.below(20) {
        0..=11 => {
            if rng.chance(50) {
                patch.insert("type".into(), json!("FromCompositeFieldPath"));
            }
            let (from, value) = source(rng, &sources.xr, sources.clean);
            patch.insert("fromFieldPath".into(), json!(from));
            patch.insert(
                "transforms".into(),
                Value::Array(pipeline(rng, value.map(Flow::Known), sources.clean)),
            );
        }
        12..=18 => {
            patch.insert("type".into(), json!("CombineFromComposite"));
            patch.insert("combine".into(), combine(rng, &sources.xr, sources.clean));
        }
        _ => {
            patch.insert("type".into(), json!("ToCompositeFieldPath"));
            patch.insert("fromFieldPath".into(), json!("metadata.name"));
        }
    }
    patch.insert("toFieldPath".into(), json!(target));
    if let Some(policy) = policy(rng, sources.clean) {
        patch.insert("policy".into(), policy);
    }
    Value::Object(patch)
}

fn build(rng: &mut Rng, (kind, from, to, is_combine): Kind, sources: &Sources) -> Value {
    let clean = sources.clean;
    let mut patch = Map::new();
    if kind != "FromCompositeFieldPath" || rng.chance(50) {
        patch.insert("type".into(), json!(kind));
    }
    let from_nodes = match from {
        Side::Xr => &sources.xr,
        Side::Environment => &sources.environment,
        Side::Composed => &sources.composed,
    };
    let mut input = Some(Flow::String);
    if is_combine {
        if clean || !rng.one_in(100) {
            patch.insert("combine".into(), combine(rng, from_nodes, clean));
        }
    } else if clean || !rng.one_in(100) {
        let (path, value) = source(rng, from_nodes, clean);
        patch.insert("fromFieldPath".into(), json!(path));
        input = value.map(Flow::Known);
    }
    if (is_combine || rng.chance(80)) && (!is_combine || clean || !rng.one_in(100)) {
        let mut to_path = target(rng, to, sources);
        if is_combine {
            // A combine patch writes `[*]` as a key named `*`, and a later wildcard over
            // that key crashes upstream (pinned by its own test), so combines avoid it.
            to_path = to_path.replace("[*]", "[0]");
        }
        patch.insert("toFieldPath".into(), json!(to_path));
    }
    let pipeline = pipeline(rng, input, clean);
    if !pipeline.is_empty() {
        patch.insert("transforms".into(), Value::Array(pipeline));
    }
    if let Some(policy) = policy(rng, clean) {
        patch.insert("policy".into(), policy);
    }
    Value::Object(patch)
}

/// Transforms: fitting the value in a clean case, random otherwise.
fn pipeline(rng: &mut Rng, input: Option<Flow>, clean: bool) -> Vec<Value> {
    match (clean, input) {
        (true, Some(flow)) => fitting::pipeline(rng, flow),
        (true, None) => Vec::new(),
        (false, Some(Flow::Known(value))) => transforms::pipeline(rng, Some(&value)),
        (false, _) => transforms::pipeline(rng, None),
    }
}

/// A path to read: mostly an existing node, otherwise missing, mistyped or malformed (only
/// missing in a clean case).
fn source(rng: &mut Rng, nodes: &[(String, Value)], clean: bool) -> (String, Option<Value>) {
    if !nodes.is_empty() && rng.chance(if clean { 85 } else { 75 }) {
        let (path, value) = rng.pick(nodes).clone();
        (path, Some(value))
    } else if clean {
        let missing = rng.pick(&[
            "spec.doesNotExist",
            "status.nothing.here",
            "metadata.annotations.missing",
        ]);
        ((*missing).to_owned(), None)
    } else {
        (bad_path(rng, nodes), None)
    }
}

/// A path to write on side `to`: new fields, fields already set, array elements, wildcards. A
/// clean case writes only where the write succeeds.
fn target(rng: &mut Rng, to: Side, sources: &Sources) -> String {
    let existing = match to {
        Side::Composed => &sources.base,
        Side::Xr => &sources.xr,
        Side::Environment => &sources.environment,
    };
    let is_writable = |path: &str| {
        !sources.clean
            || !["apiVersion", "kind", "metadata"]
                .iter()
                .any(|top| path.starts_with(top))
    };
    let writable: Vec<&(String, Value)> = existing
        .iter()
        .filter(|(path, _)| is_writable(path))
        .collect();
    if !writable.is_empty() && rng.chance(30) {
        return rng.pick(&writable).0.clone();
    }
    let key = values::key(rng);
    if sources.clean {
        let has_items = sources.base.iter().any(|(path, _)| path == "spec.items");
        return match (to, rng.below(10)) {
            (Side::Composed, 0..=5) => values::join(rng, "spec.forProvider", &key),
            (Side::Composed, 6 | 7) => values::join(rng, "metadata.labels", &key),
            (Side::Composed, 8) => "metadata.annotations[crossplane.io/external-name]".to_owned(),
            (Side::Composed, _) if has_items => "spec.items[*].name".to_owned(),
            (Side::Composed, _) => values::join(rng, "spec.forProvider", &key),
            (Side::Xr, _) => values::join(rng, "status", &key),
            (Side::Environment, _) => values::join(rng, "", &key),
        };
    }
    match (to, rng.below(10)) {
        (Side::Composed, 0..=3) => values::join(rng, "spec.forProvider", &key),
        (Side::Composed, 4) => values::join(rng, "metadata.labels", &key),
        (Side::Composed, 5) => "metadata.annotations[crossplane.io/external-name]".to_owned(),
        (Side::Composed, 6) => "spec.items[*].name".to_owned(),
        (Side::Xr, 0..=5) => values::join(rng, "status", &key),
        (Side::Xr, 6) => "status.items[*].id".to_owned(),
        (Side::Environment, 0..=5) => values::join(rng, "", &key),
        (Side::Environment, 6) => values::join(rng, "nested", &key),
        (_, 7) => format!("{}[{}]", values::join(rng, "spec", &key), rng.below(3)),
        (_, 8) => values::bad_path(rng, existing),
        _ => values::join(rng, "spec.out", &key),
    }
}

/// A `combine` of 1-3 variables read from `nodes`, with a format for them.
fn combine(rng: &mut Rng, nodes: &[(String, Value)], clean: bool) -> Value {
    let count = if !clean && rng.one_in(100) {
        0
    } else {
        rng.range(1, 3)
    };
    let variables: Vec<Value> = (0..count)
        .map(|_| {
            if clean || !rng.one_in(100) {
                json!({"fromFieldPath": source(rng, nodes, clean).0})
            } else {
                json!({})
            }
        })
        .collect();
    let mut out = Map::new();
    out.insert("variables".into(), Value::Array(variables));
    if clean {
        out.insert("strategy".into(), json!("string"));
        out.insert("string".into(), json!({"fmt": rng.pick(COMBINE_FORMATS)}));
        return Value::Object(out);
    }
    match rng.below(200) {
        0 => {}
        1 => {
            out.insert("strategy".into(), json!("template"));
        }
        _ => {
            out.insert("strategy".into(), json!("string"));
            if !rng.one_in(100) {
                let fmt = match rng.below(3) {
                    0 => (*rng.pick(FORMATS)).to_owned(),
                    1 => format!("{}-{}", rng.pick(FORMATS), rng.pick(FORMATS)),
                    _ => "%s-%s-%s".to_owned(),
                };
                out.insert("string".into(), json!({"fmt": fmt}));
            }
        }
    }
    Value::Object(out)
}

/// A policy, usually none; outside clean cases sometimes one upstream does not know.
fn policy(rng: &mut Rng, clean: bool) -> Option<Value> {
    if rng.chance(65) {
        return None;
    }
    let mut policy = Map::new();
    if rng.chance(60) {
        let from = if !clean && rng.one_in(100) {
            "Sometimes"
        } else {
            *rng.pick(&["Optional", "Required", "Required"])
        };
        policy.insert("fromFieldPath".into(), json!(from));
    }
    if rng.chance(60) {
        let to = if !clean && rng.one_in(100) {
            "Merge"
        } else {
            *rng.pick(&[
                "Replace",
                "MergeObjects",
                "MergeObjectsAppendArrays",
                "ForceMergeObjects",
                "ForceMergeObjectsAppendArrays",
                "MergeObject",
                "AppendArray",
            ])
        };
        policy.insert("toFieldPath".into(), json!(to));
    }
    Some(Value::Object(policy))
}
