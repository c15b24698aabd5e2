//! Typed Kubernetes objects (feature `k8s`): read and compose `k8s-openapi` types such as
//! `Deployment`, or any type that implements kube-core's `Resource` with a static type (kube's
//! `CustomResource` derive, kopium's generated CRD types), instead of JSON.
//!
//! The calls check `apiVersion` and `kind` against the type's, so reading a `StatefulSet` as a
//! `Deployment` names both; composing writes them from the type.

use kube_core::Resource as KubeResource;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{ReadError, Request, Resource, Response};

impl Resource {
    /// A resource whose body is the typed Kubernetes object `object`, with its `apiVersion` and
    /// `kind` (from the type when its serialisation leaves them out). Needs the `k8s` feature.
    ///
    /// # Panics
    /// When `object` does not serialise to a JSON object, which k8s-openapi's types and kube's
    /// derived ones always do: only a hand-written `Serialize` can.
    ///
    /// # Examples
    /// ```
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// use xfn_sdk::Resource;
    ///
    /// let config_map = ConfigMap {
    ///     data: Some([("greeting".to_owned(), "Hello".to_owned())].into()),
    ///     ..ConfigMap::default()
    /// };
    /// let resource = Resource::from_object(&config_map);
    /// assert_eq!(resource.api_version(), Some("v1"));
    /// assert_eq!(resource.kind(), Some("ConfigMap"));
    /// assert_eq!(resource.get_str("data.greeting"), Some("Hello"));
    /// ```
    pub fn from_object<K: KubeResource<DynamicType = ()> + Serialize>(object: &K) -> Resource {
        let kind = K::kind(&());
        let value = serde_json::to_value(object).unwrap_or_else(|error| {
            panic!("xfn-sdk: cannot compose a {kind}: it does not serialise to JSON: {error}")
        });
        let mut resource = Resource::from_value(value)
            .unwrap_or_else(|error| panic!("xfn-sdk: cannot compose a {kind}: {error}"));
        resource
            .resource
            .entry("apiVersion")
            .or_insert_with(|| Value::from(K::api_version(&()).as_ref()));
        resource
            .resource
            .entry("kind")
            .or_insert_with(|| Value::from(kind.as_ref()));
        resource
    }

    /// The body read into the typed Kubernetes object `K`. Needs the `k8s` feature.
    ///
    /// # Errors
    /// [`ReadError`] when the body's `apiVersion` or `kind` is not `K`'s (`Deployment "app" is
    /// apps/v1 StatefulSet, not apps/v1 Deployment`), or naming the field path that does not fit
    /// `K`. A body without `apiVersion` or `kind` is read as a `K`.
    ///
    /// # Examples
    /// ```
    /// use k8s_openapi::api::apps::v1::Deployment;
    /// use serde_json::json;
    /// use xfn_sdk::Resource;
    ///
    /// let observed = Resource::from_value(json!({
    ///     "apiVersion": "apps/v1",
    ///     "kind": "Deployment",
    ///     "metadata": {"name": "app"},
    ///     "status": {"availableReplicas": 2},
    /// }))
    /// .unwrap();
    /// let deployment: Deployment = observed.to_object().unwrap();
    /// assert_eq!(deployment.status.unwrap().available_replicas, Some(2));
    ///
    /// let error = observed.to_object::<k8s_openapi::api::apps::v1::StatefulSet>().unwrap_err();
    /// assert_eq!(error.to_string(), r#"Deployment "app" is apps/v1 Deployment, not apps/v1 StatefulSet"#);
    /// ```
    pub fn to_object<K: KubeResource<DynamicType = ()> + DeserializeOwned>(
        &self,
    ) -> Result<K, ReadError> {
        self.to_object_as(&self.describe())
    }

    /// [`Resource::to_object`] with `what` naming the resource in errors.
    fn to_object_as<K: KubeResource<DynamicType = ()> + DeserializeOwned>(
        &self,
        what: &str,
    ) -> Result<K, ReadError> {
        let (api_version, kind) = (self.api_version(), self.kind());
        let expected_api_version = K::api_version(&());
        let expected_kind = K::kind(&());
        let fits = api_version.is_none_or(|found| found == expected_api_version)
            && kind.is_none_or(|found| found == expected_kind);
        if !fits {
            let found = [api_version, kind].into_iter().flatten();
            return Err(ReadError::other_kind(
                what,
                found.collect::<Vec<_>>().join(" "),
                format!("{expected_api_version} {expected_kind}"),
            ));
        }
        self.to_typed_as(what)
    }
}

impl Request {
    /// The observed composed resource `name` read into the typed Kubernetes object `K`; `None`
    /// when there is no such observed resource (Crossplane has not created it yet). Needs the
    /// `k8s` feature.
    ///
    /// # Errors
    /// [`ReadError`] when the resource is of another `apiVersion` or `kind` than `K`, or naming
    /// the field path that does not fit `K`.
    ///
    /// # Examples
    /// ```
    /// use k8s_openapi::api::apps::v1::Deployment;
    /// use xfn_sdk::Request;
    ///
    /// let req: Request = serde_json::from_str(r#"{"observed": {"resources": {"app": {"resource":
    ///     {"apiVersion": "apps/v1", "kind": "Deployment", "status": {"availableReplicas": 3}}}}}}"#).unwrap();
    /// let available = req
    ///     .observed_object::<Deployment>("app")
    ///     .unwrap()
    ///     .and_then(|deployment| deployment.status?.available_replicas);
    /// assert_eq!(available, Some(3));
    /// assert!(req.observed_object::<Deployment>("db").unwrap().is_none());
    ///
    /// let req: Request = serde_json::from_str(r#"{"observed": {"resources": {"app": {"resource":
    ///     {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": "three"}}}}}}"#).unwrap();
    /// assert_eq!(
    ///     req.observed_object::<Deployment>("app").unwrap_err().to_string(),
    ///     r#"observed resource "app" spec.replicas: invalid type: string "three", expected i32"#
    /// );
    /// ```
    pub fn observed_object<K: KubeResource<DynamicType = ()> + DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<K>, ReadError> {
        self.observed_resource(name)
            .map(|resource| resource.to_object_as(&format!("observed resource {name:?}")))
            .transpose()
    }

    /// The desired composed resource `name`, as earlier steps left it, read into the typed
    /// Kubernetes object `K`; `None` when no earlier step composed it. Needs the `k8s` feature.
    ///
    /// # Errors
    /// [`ReadError`] when the resource is of another `apiVersion` or `kind` than `K`, or naming
    /// the field path that does not fit `K`.
    ///
    /// # Examples
    /// ```
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// use xfn_sdk::Request;
    ///
    /// let req: Request = serde_json::from_str(r#"{"desired": {"resources": {"cm": {"resource":
    ///     {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}}}}}"#).unwrap();
    /// let config_map: ConfigMap = req.desired_object("cm").unwrap().unwrap();
    /// assert_eq!(config_map.data.unwrap()["a"], "b");
    /// ```
    pub fn desired_object<K: KubeResource<DynamicType = ()> + DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<K>, ReadError> {
        self.desired_resource(name)
            .map(|resource| resource.to_object_as(&format!("desired resource {name:?}")))
            .transpose()
    }
}

impl Response {
    /// Sets the body of the desired composed resource `name` to the typed Kubernetes object
    /// `object` and returns the resource, as [`Response::set_desired_resource`] does for JSON:
    /// an existing resource keeps its `ready` and connection details. Needs the `k8s` feature.
    ///
    /// Leave `metadata.name` unset: Crossplane generates it.
    ///
    /// # Panics
    /// As [`Resource::from_object`]: only when `object` has a hand-written `Serialize` that does
    /// not produce a JSON object.
    ///
    /// # Examples
    /// ```
    /// use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
    /// use xfn_sdk::{Ready, Response};
    ///
    /// let deployment = Deployment {
    ///     spec: Some(DeploymentSpec { replicas: Some(3), ..DeploymentSpec::default() }),
    ///     ..Deployment::default()
    /// };
    /// let mut rsp = Response::default();
    /// rsp.set_desired_object("app", &deployment).ready = Ready::False;
    /// let app = rsp.desired_resource_mut("app").unwrap();
    /// assert_eq!(app.api_version(), Some("apps/v1"));
    /// assert_eq!(app.get_path("spec.replicas"), Some(&serde_json::json!(3)));
    /// ```
    pub fn set_desired_object<K: KubeResource<DynamicType = ()> + Serialize>(
        &mut self,
        name: impl Into<String>,
        object: &K,
    ) -> &mut Resource {
        self.set_desired_body(name.into(), Resource::from_object(object).resource)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use k8s_openapi::api::apps::v1::Deployment;
    use kube_core::{NamespaceResourceScope, ObjectMeta};
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::Ready;

    /// A provider's CRD typed by hand, as kube's `CustomResource` derive would: its
    /// serialisation leaves `apiVersion` and `kind` out and its deserialisation ignores them.
    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Bucket {
        metadata: ObjectMeta,
        spec: BucketSpec,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct BucketSpec {
        region: String,
    }

    impl KubeResource for Bucket {
        type DynamicType = ();
        type Scope = NamespaceResourceScope;

        fn kind(_: &()) -> Cow<'_, str> {
            "Bucket".into()
        }
        fn group(_: &()) -> Cow<'_, str> {
            "s3.aws.upbound.io".into()
        }
        fn version(_: &()) -> Cow<'_, str> {
            "v1beta1".into()
        }
        fn plural(_: &()) -> Cow<'_, str> {
            "buckets".into()
        }
        fn meta(&self) -> &ObjectMeta {
            &self.metadata
        }
        fn meta_mut(&mut self) -> &mut ObjectMeta {
            &mut self.metadata
        }
    }

    fn bucket() -> Bucket {
        Bucket {
            metadata: ObjectMeta::default(),
            spec: BucketSpec {
                region: "eu-west-1".to_owned(),
            },
        }
    }

    #[test]
    fn composing_a_custom_resource_writes_its_api_version_and_kind() {
        let mut rsp = Response::default();
        rsp.set_desired_object("bucket", &bucket()).ready = Ready::True;
        assert_eq!(
            serde_json::to_value(&rsp).unwrap(),
            json!({"desired": {"resources": {"bucket": {
                "resource": {
                    "apiVersion": "s3.aws.upbound.io/v1beta1",
                    "kind": "Bucket",
                    "metadata": {},
                    "spec": {"region": "eu-west-1"},
                },
                "ready": "READY_TRUE",
            }}}})
        );
    }

    #[test]
    fn replacing_a_body_with_an_object_keeps_readiness() {
        let mut rsp = Response::default();
        rsp.set_desired_resource("bucket", json!({"kind": "Bucket"}))
            .unwrap()
            .ready = Ready::True;
        let resource = rsp.set_desired_object("bucket", &bucket());
        assert_eq!(resource.ready, Ready::True);
        assert_eq!(resource.get_str("spec.region"), Some("eu-west-1"));
    }

    #[test]
    fn reading_checks_api_version_and_kind() {
        let req: Request = serde_json::from_value(json!({"observed": {"resources": {
            "bucket": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
                                    "metadata": {}, "spec": {"region": "eu-west-1"}}},
            "old": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta2", "kind": "Bucket",
                                 "metadata": {}, "spec": {"region": "eu-west-1"}}},
            "app": {"resource": {"kind": "Deployment", "metadata": {"name": "app"}}},
        }}}))
        .unwrap();
        assert_eq!(
            req.observed_object::<Bucket>("bucket").unwrap(),
            Some(bucket())
        );
        assert_eq!(
            req.observed_object::<Bucket>("old")
                .unwrap_err()
                .to_string(),
            "observed resource \"old\" is s3.aws.upbound.io/v1beta2 Bucket, not \
             s3.aws.upbound.io/v1beta1 Bucket"
        );
        assert_eq!(
            req.observed_object::<Bucket>("app")
                .unwrap_err()
                .to_string(),
            "observed resource \"app\" is Deployment, not s3.aws.upbound.io/v1beta1 Bucket"
        );
        assert_eq!(req.observed_object::<Bucket>("absent").unwrap(), None);
        assert_eq!(req.desired_object::<Bucket>("bucket").unwrap(), None);
    }

    #[test]
    fn a_body_without_api_version_and_kind_reads_as_the_type() {
        let resource = Resource::from_value(json!({"metadata": {"name": "app"}})).unwrap();
        let deployment: Deployment = resource.to_object().unwrap();
        assert_eq!(deployment.metadata.name.as_deref(), Some("app"));
    }

    #[test]
    fn a_deployment_round_trips() {
        let observed = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "app", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        });
        let resource = Resource::from_value(observed.clone()).unwrap();
        let deployment: Deployment = resource.to_object().unwrap();
        assert_eq!(
            Value::Object((*Resource::from_object(&deployment).resource).clone()),
            observed
        );
    }

    #[test]
    #[should_panic(
        expected = "xfn-sdk: cannot compose a Bucket: a resource must be a JSON \
                               object with apiVersion and kind, got a string"
    )]
    fn an_object_that_serialises_to_a_string_panics_naming_its_kind() {
        struct Odd(ObjectMeta);
        impl Serialize for Odd {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str("odd")
            }
        }
        impl KubeResource for Odd {
            type DynamicType = ();
            type Scope = NamespaceResourceScope;

            fn kind(_: &()) -> Cow<'_, str> {
                "Bucket".into()
            }
            fn group(_: &()) -> Cow<'_, str> {
                "".into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                "v1".into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                "odds".into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.0
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.0
            }
        }
        Resource::from_object(&Odd(ObjectMeta::default()));
    }
}
