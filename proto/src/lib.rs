//! Crossplane's composition function protocol: the `RunFunction` messages and service of
//! `apiextensions.fn.proto.v1` and `apiextensions.fn.proto.v1beta1`.
//!
//! The types are generated at build time from `fn/v1/run_function.proto` and
//! `fn/v1beta1/run_function.proto` (no system `protoc` needed):
//!
//! - [`prost`] message types, one module per protocol version: [`v1`] and [`v1beta1`]. The two
//!   are wire-identical, so bytes encoded from one decode as the other.
//! - proto3-JSON (`serde`) impls for every message, as Go's `protojson` writes them:
//!   lowerCamelCase field names, enums by name (`"SEVERITY_FATAL"`), bytes as base64, durations
//!   as `"60s"`, `google.protobuf.Struct` as a plain JSON object, default values omitted. Unknown
//!   fields are an error when parsing; both lowerCamelCase and proto field names are accepted.
//!   Fields are written in field-number order; map entries in `HashMap` order.
//!   `Struct` numbers are doubles, so `3` comes back as `3.0` (Go writes `3`; both parse alike).
//! - [`FILE_DESCRIPTOR_SET`], the encoded descriptors of both files and their imports, for gRPC
//!   reflection.
//!
//! The google well-known types (`Struct`, `Value`, `Duration`) are [`pbjson_types`]'s, which
//! this crate re-exports along with [`prost`].
//!
//! # Features
//!
//! - `grpc` (default): the tonic client and server for `FunctionRunnerService`, in
//!   `v1::function_runner_service_client` / `v1::function_runner_service_server` and the same
//!   for `v1beta1`. Without it the crate has no networking dependencies: the fuzz targets use
//!   it so. Guests do not use this crate: `xfn-sdk` keeps its own borrowed, lazily parsed types,
//!   checked against these descriptors by `tests/e2e/protocol.rs`, and the dummy module's
//!   tables are generated from them there.

pub use pbjson_types;
pub use prost;

/// Includes the prost and pbjson output for one protobuf package. The file names escape the
/// `fn` segment of the package as `r#fn`, because `fn` is a Rust keyword.
macro_rules! include_generated {
    ($package:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $package, ".rs"));
        include!(concat!(env!("OUT_DIR"), "/", $package, ".serde.rs"));
    };
}

/// `apiextensions.fn.proto.v1`: the protocol Crossplane ≥ 1.17 calls first.
#[allow(
    missing_docs,
    clippy::allow_attributes_without_reason,
    reason = "generated code: documented only where the .proto has comments, and prost, pbjson and tonic emit bare #[allow]s"
)]
pub mod v1 {
    include_generated!("apiextensions.r#fn.proto.v1");
}

/// `apiextensions.fn.proto.v1beta1`: the same messages under the older package name.
///
/// Crossplane ≤ 1.16 calls only this; newer versions fall back to it when the v1 call fails with
/// `UNIMPLEMENTED`.
#[allow(
    missing_docs,
    clippy::allow_attributes_without_reason,
    reason = "generated code: documented only where the .proto has comments, and prost, pbjson and tonic emit bare #[allow]s"
)]
pub mod v1beta1 {
    include_generated!("apiextensions.r#fn.proto.v1beta1");
}

/// The encoded `google.protobuf.FileDescriptorSet` of both protocol versions and their imports
/// (`struct.proto`, `duration.proto`), with source info; what gRPC reflection serves.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/file_descriptor_set.bin"));

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use prost::Message as _;

    use super::*;

    /// Parses a JSON object into a `google.protobuf.Struct`.
    fn object(json: &str) -> pbjson_types::Struct {
        serde_json::from_str(json).expect("test JSON is an object")
    }

    /// Removes the comments, which differ between the copies, and the version from a `.proto`.
    fn without_comments_and_version(proto: &str) -> String {
        proto
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("v1beta1", "v1")
    }

    #[test]
    fn response_serializes_to_protojson_with_camel_case_names_enum_names_and_base64() {
        let response = v1::RunFunctionResponse {
            meta: Some(v1::ResponseMeta {
                tag: "t".into(),
                ttl: Some(pbjson_types::Duration {
                    seconds: 60,
                    nanos: 0,
                }),
            }),
            desired: Some(v1::State {
                composite: Some(v1::Resource {
                    resource: Some(object(r#"{"status":{"replicas":[1,2.5,null,true]}}"#)),
                    connection_details: HashMap::from([("password".into(), b"hunter2".to_vec())]),
                    ready: v1::Ready::True.into(),
                }),
                resources: HashMap::new(),
            }),
            results: vec![v1::Result {
                severity: v1::Severity::Fatal.into(),
                message: "module \"hello\": trapped".into(),
                reason: Some("ModuleTrapped".into()),
                target: Some(v1::Target::CompositeAndClaim.into()),
            }],
            context: Some(pbjson_types::Struct::default()),
            requirements: Some(v1::Requirements {
                resources: HashMap::from([(
                    "cm".into(),
                    v1::ResourceSelector {
                        api_version: "v1".into(),
                        kind: "ConfigMap".into(),
                        namespace: Some("default".into()),
                        r#match: Some(v1::resource_selector::Match::MatchName("cfg".into())),
                    },
                )]),
                ..Default::default()
            }),
            conditions: vec![v1::Condition {
                r#type: "DatabaseReady".into(),
                status: v1::Status::ConditionTrue.into(),
                reason: "Available".into(),
                message: None,
                target: None,
            }],
            output: None,
        };

        let json = serde_json::to_string(&response).expect("response serializes");

        assert_eq!(
            json,
            concat!(
                r#"{"meta":{"tag":"t","ttl":"60s"},"#,
                r#""desired":{"composite":{"resource":{"status":{"replicas":[1.0,2.5,null,true]}},"#,
                r#""connectionDetails":{"password":"aHVudGVyMg=="},"ready":"READY_TRUE"}},"#,
                r#""results":[{"severity":"SEVERITY_FATAL","message":"module \"hello\": trapped","#,
                r#""reason":"ModuleTrapped","target":"TARGET_COMPOSITE_AND_CLAIM"}],"#,
                r#""context":{},"#,
                r#""requirements":{"resources":{"cm":{"apiVersion":"v1","kind":"ConfigMap","#,
                r#""namespace":"default","matchName":"cfg"}}},"#,
                r#""conditions":[{"type":"DatabaseReady","status":"STATUS_CONDITION_TRUE","#,
                r#""reason":"Available"}]}"#,
            )
        );
        let parsed: v1::RunFunctionResponse =
            serde_json::from_str(&json).expect("serialized response parses");
        assert_eq!(parsed, response);
    }

    #[test]
    fn request_parses_from_protojson_with_required_resources_and_credentials() {
        let json = r#"{
            "meta": {"tag": "abc", "capabilities": ["CAPABILITY_CAPABILITIES", "CAPABILITY_CREDENTIALS"]},
            "observed": {"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XBucket"}}},
            "input": {"apiVersion": "wasmtime.fn.crossplane.io/v1alpha1", "kind": "Module"},
            "requiredResources": {
                "cm": {"items": [{"resource": {"kind": "ConfigMap"}}]},
                "missing": {}
            },
            "requiredSchemas": {"bucket": {"openapiV3": {"type": "object"}}},
            "credentials": {"aws": {"credentialData": {"data": {"key": "c2VjcmV0"}}}}
        }"#;

        let request: v1::RunFunctionRequest = serde_json::from_str(json).expect("request parses");

        let meta = request.meta.as_ref().expect("meta is set");
        assert_eq!(meta.tag, "abc");
        assert_eq!(
            meta.capabilities().collect::<Vec<_>>(),
            [v1::Capability::Capabilities, v1::Capability::Credentials]
        );
        let composite = request
            .observed
            .as_ref()
            .and_then(|observed| observed.composite.as_ref())
            .expect("observed composite is set");
        assert_eq!(
            composite.resource,
            Some(object(
                r#"{"apiVersion":"example.org/v1","kind":"XBucket"}"#
            ))
        );
        assert_eq!(request.desired, None);
        assert_eq!(
            request.input,
            Some(object(
                r#"{"apiVersion":"wasmtime.fn.crossplane.io/v1alpha1","kind":"Module"}"#
            ))
        );
        assert_eq!(
            request.required_resources,
            HashMap::from([
                (
                    "cm".to_owned(),
                    v1::Resources {
                        items: vec![v1::Resource {
                            resource: Some(object(r#"{"kind":"ConfigMap"}"#)),
                            ..Default::default()
                        }],
                    }
                ),
                ("missing".to_owned(), v1::Resources::default()),
            ])
        );
        assert_eq!(
            request.required_schemas["bucket"].openapi_v3,
            Some(object(r#"{"type":"object"}"#))
        );
        assert_eq!(
            request.credentials["aws"].source,
            Some(v1::credentials::Source::CredentialData(
                v1::CredentialData {
                    data: HashMap::from([("key".into(), b"secret".to_vec())]),
                }
            ))
        );
    }

    #[test]
    fn request_with_unknown_field_is_rejected() {
        let error = serde_json::from_str::<v1::RunFunctionRequest>(r#"{"metadata":{}}"#)
            .expect_err("unknown fields are an error");

        assert!(
            error.to_string().starts_with("unknown field `metadata`"),
            "{error}"
        );
    }

    #[test]
    fn v1_wire_bytes_decode_as_the_same_v1beta1_message() {
        // Canonical form: fields in field-number order, Struct numbers as doubles.
        let json = concat!(
            r#"{"meta":{"tag":"t","capabilities":["CAPABILITY_REQUIRED_SCHEMAS"]},"#,
            r#""desired":{"composite":{"resource":{"spec":{"size":3.0}},"ready":"READY_FALSE"}},"#,
            r#""context":{"k":"v"},"credentials":{"c":{"credentialData":{"data":{"k":"dg=="}}}},"#,
            r#""requiredResources":{"cm":{"items":[{"connectionDetails":{"a":"Yg=="}}]}}}"#,
        );
        let v1_request: v1::RunFunctionRequest = serde_json::from_str(json).expect("v1 parses");
        let bytes = v1_request.encode_to_vec();

        let beta_request = v1beta1::RunFunctionRequest::decode(bytes.as_slice())
            .expect("v1 bytes decode as v1beta1");

        assert_eq!(
            serde_json::to_string(&beta_request).expect("v1beta1 serializes"),
            json
        );
        assert_eq!(beta_request.encode_to_vec(), bytes);
    }

    #[test]
    fn struct_numbers_are_doubles_and_serialize_with_a_fraction() {
        let resource: v1::Resource =
            serde_json::from_str(r#"{"resource":{"replicas":3,"ratio":0.5}}"#).expect("parses");

        let fields = &resource.resource.as_ref().expect("resource is set").fields;
        assert_eq!(
            fields["replicas"].kind,
            Some(pbjson_types::value::Kind::NumberValue(3.0))
        );
        assert_eq!(
            serde_json::to_string(&fields["replicas"]).expect("serializes"),
            "3.0"
        );
    }

    #[cfg(feature = "grpc")]
    #[test]
    fn grpc_services_have_the_names_crossplane_dials() {
        use tonic::server::NamedService;

        type V1Server = v1::function_runner_service_server::FunctionRunnerServiceServer<()>;
        type BetaServer = v1beta1::function_runner_service_server::FunctionRunnerServiceServer<()>;

        assert_eq!(
            V1Server::NAME,
            "apiextensions.fn.proto.v1.FunctionRunnerService"
        );
        assert_eq!(
            BetaServer::NAME,
            "apiextensions.fn.proto.v1beta1.FunctionRunnerService"
        );
    }

    #[test]
    fn descriptor_set_has_both_versions_their_imports_and_the_deprecated_fields() {
        let set = pbjson_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)
            .expect("FILE_DESCRIPTOR_SET decodes");
        let mut names: Vec<&str> = set.file.iter().map(|file| file.name()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "fn/v1/run_function.proto",
                "fn/v1beta1/run_function.proto",
                "google/protobuf/duration.proto",
                "google/protobuf/struct.proto",
            ]
        );

        for file in set
            .file
            .iter()
            .filter(|file| file.name().starts_with("fn/"))
        {
            let mut deprecated: Vec<String> = file
                .message_type
                .iter()
                .flat_map(|message| {
                    message
                        .field
                        .iter()
                        .filter(|field| field.options.as_ref().is_some_and(|o| o.deprecated()))
                        .map(move |field| format!("{}.{}", message.name(), field.name()))
                })
                .collect();
            deprecated.sort_unstable();
            assert_eq!(
                deprecated,
                [
                    "Requirements.extra_resources",
                    "RunFunctionRequest.extra_resources"
                ],
                "{}",
                file.name()
            );
            assert_eq!(
                file.service
                    .iter()
                    .flat_map(|service| service
                        .method
                        .iter()
                        .map(move |m| (service.name(), m.name())))
                    .collect::<Vec<_>>(),
                [("FunctionRunnerService", "RunFunction")]
            );
        }
    }

    #[test]
    fn v1beta1_proto_is_v1_with_only_the_package_changed() {
        let v1 = include_str!("../fn/v1/run_function.proto");
        let v1beta1 = include_str!("../fn/v1beta1/run_function.proto");

        assert!(v1beta1.contains("\npackage apiextensions.fn.proto.v1beta1;\n"));
        assert_eq!(
            without_comments_and_version(v1beta1),
            without_comments_and_version(v1)
        );
    }
}
