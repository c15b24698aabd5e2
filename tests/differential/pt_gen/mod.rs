//! A seeded generator of whole RunFunctionRequests for patch-and-transform: a random XR, an
//! environment, observed and earlier-desired composed resources, and a P&T `Resources` input
//! that patches between them with every patch type, policy, transform, readiness check and
//! connection detail. About two cases in three are clean (every element valid, transforms
//! fitting their values, so they mostly render); the others draw freely, with a few percent of
//! invalid elements, so validation and error paths are compared too.

mod checks;
mod fitting;
mod patches;
mod transforms;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use self::patches::Sources;
use super::rng::Rng;
use super::values;

/// The context key of the Composition environment.
const ENVIRONMENT_KEY: &str = "apiextensions.crossplane.io/environment";

/// Composition resource names; `ünï` checks unicode names, repeats make duplicates.
const NAMES: &[&str] = &["bucket", "database", "network", "r-0", "ünï", "bucket"];

/// The request for generated case `case` (protojson; `input` is the P&T input).
pub fn request(rng: &mut Rng, case: u64) -> Value {
    let clean = rng.chance(65);
    let xr = composite(rng);
    let environment = rng.chance(60).then(|| environment(rng, clean));
    let names: Vec<&str> = (0..rng.range(1, 4)).map(|_| *rng.pick(NAMES)).collect();

    let mut observed_resources = Map::new();
    let mut desired_resources = Map::new();
    let mut templates = Vec::new();
    let mut sources = Sources {
        xr: values::nodes(rng, &xr, ""),
        environment: environment
            .as_ref()
            .map(|e| values::nodes(rng, e, ""))
            .unwrap_or_default(),
        composed: Vec::new(),
        base: Vec::new(),
        clean,
    };
    let patch_set_names: Vec<String> = (0..rng.range(0, 2)).map(|i| format!("set-{i}")).collect();
    for name in &names {
        let base = rng.chance(85).then(|| base(rng, clean));
        let observed = rng.chance(55).then(|| observed_composed(rng, name));
        if base.is_none() && (clean || rng.chance(85)) || rng.chance(10) {
            desired_resources.insert((*name).to_owned(), earlier_desired(rng));
        }
        sources.base = base
            .as_ref()
            .map(|b| values::nodes(rng, b, ""))
            .unwrap_or_default();
        sources.composed = observed
            .as_ref()
            .map(|o| values::nodes(rng, &o["resource"], ""))
            .unwrap_or_default();
        let keys: Vec<String> = observed
            .as_ref()
            .and_then(|o| o.get("connectionDetails"))
            .and_then(Value::as_object)
            .map(|details| details.keys().cloned().collect())
            .unwrap_or_default();
        templates.push(template(rng, name, base, &sources, &patch_set_names, &keys));
        if let Some(observed) = observed {
            observed_resources.insert((*name).to_owned(), observed);
        }
    }
    if rng.chance(15) {
        desired_resources.insert("earlier".into(), earlier_desired(rng));
    }

    let mut input = Map::new();
    input.insert("apiVersion".into(), json!("pt.fn.crossplane.io/v1beta1"));
    input.insert("kind".into(), json!("Resources"));
    if !patch_set_names.is_empty() {
        let sets = patch_set_names
            .iter()
            .map(|name| {
                let mut patches: Vec<Value> = (0..rng.range(1, 3))
                    .map(|_| patches::composed(rng, &sources, &[]))
                    .collect();
                if !clean && rng.chance(3) {
                    patches.push(json!({"type": "PatchSet", "patchSetName": name}));
                }
                json!({"name": name, "patches": patches})
            })
            .collect();
        input.insert("patchSets".into(), Value::Array(sets));
    }
    if rng.chance(30) {
        let patches: Vec<Value> = (0..rng.range(0, 3))
            .map(|_| patches::environment(rng, &sources))
            .collect();
        input.insert("environment".into(), json!({"patches": patches}));
    }
    if clean || !rng.one_in(100) {
        input.insert("resources".into(), Value::Array(templates));
    }
    if rng.chance(12) {
        input.insert(
            "writeConnectionSecretToRef".into(),
            connection_secret_ref(rng, &sources),
        );
    }
    let mut input = Value::Object(input);
    if !clean && rng.chance(6) {
        mistype(rng, &mut input);
    }

    let mut desired = Map::new();
    if rng.chance(40) {
        let mut composite = json!({"resource": {"apiVersion": "example.org/v1", "kind": "XThing",
            "status": values::object(rng, 1, 3)}});
        if rng.chance(30) {
            composite["connectionDetails"] = connection_details(rng);
        }
        desired.insert("composite".into(), composite);
    }
    if !desired_resources.is_empty() {
        desired.insert("resources".into(), Value::Object(desired_resources));
    }
    let mut observed = json!({"composite": {"resource": xr}});
    if !observed_resources.is_empty() {
        observed["resources"] = Value::Object(observed_resources);
    }
    let mut request = json!({
        "meta": {"tag": format!("generated-{case}")},
        "observed": observed,
        "desired": desired,
        "input": input,
    });
    if let Some(environment) = environment {
        request["context"] = json!({ENVIRONMENT_KEY: environment});
    } else if rng.chance(10) {
        request["context"] = json!({"other.example.org/key": values::value(rng, 1)});
    }
    request
}

/// The observed XR: a Crossplane v1 or v2 XR with random spec and status.
fn composite(rng: &mut Rng) -> Value {
    let mut metadata = json!({"name": rng.pick(&["demo", "my-xr", "ünï-xr", "x"])});
    if rng.chance(50) {
        metadata["namespace"] = json!(rng.pick(&["default", "team-a"]));
    }
    if rng.chance(30) {
        metadata["labels"] = json!({"team": "platform", "app.kubernetes.io/name": "demo"});
    }
    let mut spec = values::object(rng, 2, 6);
    spec.insert(
        "parameters".into(),
        Value::Object(values::object(rng, 2, 4)),
    );
    if rng.chance(25) {
        spec.insert(
            "items".into(),
            json!([{"id": 1, "name": "first"}, {"id": 2}]),
        );
    }
    if rng.chance(40) {
        spec.insert(
            "crossplane".into(),
            json!({"compositionRef": {"name": "demo"}}),
        );
    }
    if rng.chance(15) {
        let mut reference = json!({"name": rng.pick(&["from-xr", ""])});
        if rng.chance(50) {
            reference["namespace"] = json!("xr-ns");
        }
        spec.insert("writeConnectionSecretToRef".into(), reference);
    }
    let mut xr = json!({"apiVersion": "example.org/v1", "kind": "XThing", "metadata": metadata, "spec": spec});
    if rng.chance(40) {
        xr["status"] = Value::Object(values::object(rng, 1, 3));
    }
    xr
}

/// The environment in the request's context: random data, sometimes with a GVK, rarely not an
/// object at all.
fn environment(rng: &mut Rng, clean: bool) -> Value {
    if !clean && rng.chance(4) {
        return values::scalar(rng);
    }
    let mut environment = values::object(rng, 2, 5);
    if rng.chance(30) {
        environment.insert("apiVersion".into(), json!("example.org/v1"));
        environment.insert(
            "kind".into(),
            json!(rng.pick(&["Environment", "EnvironmentConfig"])),
        );
    }
    Value::Object(environment)
}

/// A base template; rarely something that is not an object.
fn base(rng: &mut Rng, clean: bool) -> Value {
    if !clean && rng.one_in(60) {
        return rng.pick(&[json!("not-an-object"), json!([])]).clone();
    }
    let mut spec = json!({"forProvider": values::object(rng, 2, 4)});
    if rng.chance(30) {
        spec["items"] = json!([{"name": ""}, {"name": "b", "size": 1}]);
    }
    let mut base = json!({"apiVersion": "example.org/v1", "kind": rng.pick(&["Bucket", "Database", "Thing"]), "spec": spec});
    if rng.chance(30) {
        base["metadata"] =
            json!({"labels": {"tier": "gold"}, "annotations": {"note": "from base"}});
    }
    base
}

/// An observed composed resource named after template `name`, with conditions and connection
/// details.
fn observed_composed(rng: &mut Rng, name: &str) -> Value {
    let mut metadata = json!({"name": format!("{name}-x7k2p")});
    if rng.chance(40) {
        metadata["namespace"] = json!("default");
    }
    let mut status = values::object(rng, 2, 4);
    status.insert(
        "atProvider".into(),
        Value::Object(values::object(rng, 1, 4)),
    );
    if rng.chance(80) {
        status.insert("conditions".into(), conditions(rng));
    }
    let mut observed = json!({"resource": {
        "apiVersion": "example.org/v1",
        "kind": "Bucket",
        "metadata": metadata,
        "spec": values::object(rng, 1, 3),
        "status": status,
    }});
    if rng.chance(60) {
        observed["connectionDetails"] = connection_details(rng);
    }
    observed
}

/// Conditions: Ready and Synced with any status, sometimes incomplete.
fn conditions(rng: &mut Rng) -> Value {
    let list = (0..rng.range(0, 3))
        .map(|_| {
            let mut condition = Map::new();
            if rng.chance(95) {
                condition.insert(
                    "type".into(),
                    json!(rng.pick(&["Ready", "Ready", "Synced", "Healthy"])),
                );
            }
            if rng.chance(95) {
                condition.insert(
                    "status".into(),
                    json!(rng.pick(&["True", "False", "Unknown", "true"])),
                );
            }
            condition.insert("reason".into(), json!("Available"));
            Value::Object(condition)
        })
        .collect();
    Value::Array(list)
}

/// Connection details as protojson bytes (base64): text, empty, unicode, non-UTF-8.
fn connection_details(rng: &mut Rng) -> Value {
    let mut details = Map::new();
    for _ in 0..rng.range(1, 3) {
        let key = *rng.pick(&[
            "username",
            "password",
            "endpoint",
            "port",
            "attribute.token",
        ]);
        let choices: [&[u8]; 5] = [
            b"admin",
            b"",
            "sécret".as_bytes(),
            &[0xff, 0xfe, 0x00],
            b"5432",
        ];
        let bytes = *rng.pick(&choices);
        details.insert(
            key.into(),
            json!(base64::engine::general_purpose::STANDARD.encode(bytes)),
        );
    }
    Value::Object(details)
}

/// What an earlier pipeline step composed under some name.
fn earlier_desired(rng: &mut Rng) -> Value {
    let mut desired = json!({"resource": {"apiVersion": "example.org/v1", "kind": "Earlier",
        "spec": {"forProvider": values::object(rng, 1, 3)}}});
    if rng.chance(40) {
        desired["ready"] = json!(rng.pick(&["READY_TRUE", "READY_FALSE"]));
    }
    if rng.chance(20) {
        desired["connectionDetails"] = connection_details(rng);
    }
    desired
}

/// A resource template.
fn template(
    rng: &mut Rng,
    name: &str,
    base: Option<Value>,
    sources: &Sources,
    patch_sets: &[String],
    keys: &[String],
) -> Value {
    let mut template = Map::new();
    if sources.clean || !rng.one_in(100) {
        template.insert("name".into(), json!(name));
    }
    if let Some(base) = base {
        template.insert("base".into(), base);
    }
    let patches: Vec<Value> = (0..rng.range(0, 5))
        .map(|_| patches::composed(rng, sources, patch_sets))
        .collect();
    if !patches.is_empty() {
        template.insert("patches".into(), Value::Array(patches));
    }
    if let Some(details) = checks::connection_details(rng, &sources.composed, keys, sources.clean) {
        template.insert("connectionDetails".into(), details);
    }
    if let Some(checks) = checks::readiness_checks(rng, &sources.composed, sources.clean) {
        template.insert("readinessChecks".into(), checks);
    }
    Value::Object(template)
}

/// `writeConnectionSecretToRef` of the input.
fn connection_secret_ref(rng: &mut Rng, sources: &Sources) -> Value {
    let mut reference = Map::new();
    if rng.chance(50) {
        reference.insert("name".into(), json!(rng.pick(&["from-input", ""])));
    }
    if rng.chance(40) {
        reference.insert("namespace".into(), json!("input-ns"));
    }
    if rng.chance(60) {
        let patches = (0..rng.range(1, 2))
            .map(|_| patches::connection_secret(rng, sources))
            .collect();
        reference.insert("patches".into(), Value::Array(patches));
    }
    Value::Object(reference)
}

/// Breaks the input's shape in one place: an unknown field, or a value of the wrong type.
fn mistype(rng: &mut Rng, input: &mut Value) {
    let mut pointers = Vec::new();
    objects(input, String::new(), &mut pointers);
    let pointer = rng.pick(&pointers).clone();
    let Some(Value::Object(object)) = input.pointer_mut(&pointer) else {
        return;
    };
    let keys: Vec<String> = object.keys().cloned().collect();
    if keys.is_empty() || rng.chance(50) {
        object.insert(
            rng.pick(&["extra", "FromFieldPath", "Type"]).to_string(),
            json!("x"),
        );
    } else {
        let key = rng.pick(&keys).clone();
        object.insert(
            key,
            rng.pick(&[
                json!(7),
                json!("seven"),
                json!(true),
                json!([1]),
                json!({"k": 1}),
                Value::Null,
            ])
            .clone(),
        );
    }
}

/// JSON pointers of every object in `value` that is part of the P&T schema (not a base, map
/// pairs or match results, which hold arbitrary JSON).
fn objects(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            out.push(pointer.clone());
            for (key, child) in map {
                if !matches!(key.as_str(), "base" | "map" | "result" | "fallbackValue") {
                    objects(
                        child,
                        format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                objects(child, format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}
