"""deployment-status in Python: the transform of ``functions/examples/deployment-status`` (Rust),
as a component built with componentize-py.

It composes one Deployment named ``app`` running the XR's ``spec.image`` with ``spec.replicas``
replicas (default 1), labelled with the XR's labels plus ``app.kubernetes.io/name: <XR name>``, in
the XR's namespace if it has one, and rolls the observed Deployments up into the desired XR's
status: ``readyReplicas`` (their sum) and ``availableDeployments`` (how many are Available).
Without a string ``spec.image`` it returns a fatal result and leaves the desired state as it came.
"""

import xfn

RESOURCE_NAME = "app"
NAME_LABEL = "app.kubernetes.io/name"


def compose(req: dict) -> dict:
    """Composes the Deployment and the XR's status."""
    rsp = xfn.response_to(req)
    xr = xfn.observed_composite(req)
    image = xfn.get(xr, "spec.image")
    if not isinstance(image, str):
        return xfn.fatal(
            rsp,
            "deployment-status: the composite resource has no spec.image; "
            "set spec.image to the container image to run",
        )
    replicas = xfn.get(xr, "spec.replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        replicas = 1
    name = xfn.get(xr, "metadata.name", RESOURCE_NAME)
    labels = dict(xfn.get(xr, "metadata.labels", {}))
    labels[NAME_LABEL] = name
    metadata = {"labels": labels}
    namespace = xfn.get(xr, "metadata.namespace")
    if namespace is not None:
        metadata["namespace"] = namespace
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {NAME_LABEL: name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }

    ready_replicas = 0
    available = 0
    for resource in xfn.observed_resources(req).values():
        if resource.get("kind") != "Deployment":
            continue
        ready = xfn.get(resource, "status.readyReplicas", 0)
        ready_replicas += ready if isinstance(ready, int) else 0
        if xfn.condition_status(resource, "Available") == "True":
            available += 1

    xfn.set_desired_resource(rsp, RESOURCE_NAME, deployment)
    status = xfn.desired_composite(rsp).setdefault("status", {})
    if not isinstance(status, dict):
        return xfn.fatal(
            rsp, "deployment-status: the desired composite resource's status is not an object"
        )
    status["readyReplicas"] = ready_replicas
    status["availableDeployments"] = available
    return rsp


Handler = xfn.handler(compose)
