//! The Input's CustomResourceDefinition, generated from [`StepInput`]'s schema: the package ships
//! it as `package/input/wasmtime.fn.crossplane.io_modules.yaml`, which a test keeps in sync.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceDefinitionNames, CustomResourceDefinitionSpec,
    CustomResourceDefinitionVersion, CustomResourceValidation, JSONSchemaProps,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use super::{GROUP, KIND, StepInput};

pub(super) fn plain_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

pub(super) fn free_form_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "Handed to the module as the request's `input`, unchanged.",
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}

/// The CustomResourceDefinition of the Input, built from [`StepInput`]'s schema.
pub fn crd() -> CustomResourceDefinition {
    let settings = schemars::generate::SchemaSettings::openapi3().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let schema = settings
        .into_generator()
        .into_root_schema_for::<StepInput>();
    let mut schema = schema.to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("title");
    }
    remove_closed_objects(&mut schema);
    let props: JSONSchemaProps = serde_json::from_value(schema)
        .expect("schemars emits a valid OpenAPI v3 schema for StepInput");
    CustomResourceDefinition {
        metadata: ObjectMeta {
            name: Some(format!("modules.{GROUP}")),
            ..ObjectMeta::default()
        },
        spec: CustomResourceDefinitionSpec {
            group: GROUP.to_owned(),
            names: CustomResourceDefinitionNames {
                categories: Some(vec!["crossplane".to_owned()]),
                kind: KIND.to_owned(),
                list_kind: Some(format!("{KIND}List")),
                plural: "modules".to_owned(),
                singular: Some("module".to_owned()),
                short_names: None,
            },
            scope: "Namespaced".to_owned(),
            versions: vec![CustomResourceDefinitionVersion {
                name: "v1alpha1".to_owned(),
                served: true,
                storage: true,
                schema: Some(CustomResourceValidation {
                    open_api_v3_schema: Some(props),
                }),
                ..CustomResourceDefinitionVersion::default()
            }],
            ..CustomResourceDefinitionSpec::default()
        },
        status: None,
    }
}

/// Drops `additionalProperties: false` (from `deny_unknown_fields`) everywhere: Kubernetes
/// structural schemas forbid it, and the apiserver prunes unknown fields anyway.
fn remove_closed_objects(schema: &mut Value) {
    match schema {
        Value::Object(fields) => {
            if fields.get("additionalProperties") == Some(&Value::Bool(false)) {
                fields.remove("additionalProperties");
            }
            fields.values_mut().for_each(remove_closed_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_closed_objects),
        _ => {}
    }
}

/// [`crd`] as the YAML document the package ships.
pub fn crd_yaml() -> String {
    serde_yaml_ng::to_string(&crd()).expect("a CustomResourceDefinition always serialises to YAML")
}
