//! `deployment-status`: an example reactor module written with `xfn-sdk`, and the transform the
//! performance bench runs next to the same function written with Crossplane's Python SDK
//! (`tests/benches/python/deployment_status.py`: keep the two doing the same work).
//!
//! It reads the observed composite resource (XR) and
//! - composes one Deployment named `app` running `spec.image` with `spec.replicas` replicas
//!   (default 1), labelled with the XR's labels plus `app.kubernetes.io/name: <XR name>`, in the
//!   XR's namespace if it has one;
//! - rolls up every observed composed Deployment into the desired XR's status:
//!   `status.readyReplicas` (the sum of their `status.readyReplicas`) and
//!   `status.availableDeployments` (how many have the condition `Available` `True`).
//!
//! Everything else in the desired state passes through. Without a string `spec.image` it returns
//! a fatal result and leaves the desired state as it came. It takes no config.

use serde_json::{Value, json};
use xfn_sdk::{Request, Response, Status};

/// The composition resource name of the Deployment this module composes.
const RESOURCE_NAME: &str = "app";

/// The label that ties the Deployment's selector to its pods.
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// Composes the Deployment and the XR's status; see the crate docs.
fn compose(req: Request) -> Response {
    let xr = req.observed_composite();
    let Some(image) = xr.and_then(|xr| xr.get_str("spec.image")) else {
        let mut rsp = req.into_response();
        rsp.fatal("deployment-status: the composite resource has no spec.image; set spec.image to the container image to run");
        return rsp;
    };
    let replicas = xr
        .and_then(|xr| xr.get_path("spec.replicas"))
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let name = xr.and_then(|xr| xr.name()).unwrap_or(RESOURCE_NAME);
    let mut labels = xr
        .and_then(|xr| xr.get_path("metadata.labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(NAME_LABEL.to_owned(), json!(name));
    let mut deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {NAME_LABEL: name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    });
    if let Some(namespace) = xr.and_then(|xr| xr.namespace()) {
        deployment["metadata"]["namespace"] = json!(namespace);
    }

    let (mut ready_replicas, mut available) = (0, 0);
    let observed = req.observed_resources().values();
    for resource in observed.filter(|resource| resource.kind() == Some("Deployment")) {
        ready_replicas += resource
            .get_path("status.readyReplicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if resource.condition_status("Available") == Some(Status::True) {
            available += 1;
        }
    }

    let mut rsp = req.into_response();
    rsp.set_desired_resource(RESOURCE_NAME, deployment)
        .expect("a json! object literal is an object");
    let xr = rsp.desired_composite_mut();
    let written = xr
        .set_path("status.readyReplicas", json!(ready_replicas))
        .and_then(|()| xr.set_path("status.availableDeployments", json!(available)));
    if let Err(error) = written {
        rsp.fatal(format!(
            "deployment-status: the desired composite resource's status: {error}"
        ));
    }
    rsp
}

xfn_sdk::export!(compose);

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use xfn_sdk::testing::run_value;

    use super::compose;

    /// The sample request (the one `function-wasmtime module new` projects start from) and the
    /// exact response: the Deployment composed from the XR's spec, and the observed Deployments
    /// rolled up (3 + 1 ready replicas, one available; the ConfigMap is not a Deployment).
    #[test]
    fn answers_the_sample_request() {
        let request: Value = serde_json::from_str(include_str!("../request.json")).unwrap();
        let expected: Value = serde_json::from_str(include_str!("../response.json")).unwrap();
        assert_eq!(run_value(compose, &request), expected);
    }

    #[test]
    fn defaults_to_one_replica_and_no_namespace() {
        let rsp = run_value(
            compose,
            &json!({"observed": {"composite": {"resource": {"spec": {"image": "i"}}}}}),
        );
        let app = &rsp["desired"]["resources"]["app"]["resource"];
        assert_eq!(app["spec"]["replicas"], 1);
        assert_eq!(
            app["metadata"],
            json!({"labels": {"app.kubernetes.io/name": "app"}})
        );
        assert_eq!(
            rsp["desired"]["composite"]["resource"]["status"],
            json!({"readyReplicas": 0, "availableDeployments": 0})
        );
    }

    #[test]
    fn a_desired_status_that_is_not_an_object_is_fatal() {
        let rsp = run_value(
            compose,
            &json!({
                "observed": {"composite": {"resource": {"spec": {"image": "i"}}}},
                "desired": {"composite": {"resource": {"status": "done"}}},
            }),
        );
        assert_eq!(
            rsp["results"],
            json!([{
                "severity": "SEVERITY_FATAL",
                "message": "deployment-status: the desired composite resource's status: cannot set \"status.readyReplicas\": status is a string, not an object; remove or replace it first",
            }])
        );
    }

    #[test]
    fn missing_image_is_fatal_and_changes_nothing() {
        let desired = json!({"resources": {"other": {"resource": {"kind": "Other"}}}});
        let rsp = run_value(
            compose,
            &json!({
                "observed": {"composite": {"resource": {"spec": {"replicas": 2}}}},
                "desired": desired,
            }),
        );
        assert_eq!(
            rsp,
            json!({
                "desired": desired,
                "results": [{
                    "severity": "SEVERITY_FATAL",
                    "message": "deployment-status: the composite resource has no spec.image; set spec.image to the container image to run",
                }],
            })
        );
    }
}
