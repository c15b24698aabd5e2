"""The bench's transform as a function written with Crossplane's Python SDK.

It does what functions/examples/deployment-status does (keep the two doing the same work): from
the observed composite resource (XR) it composes a Deployment named `app` running `spec.image`
with `spec.replicas` replicas (default 1), labelled with the XR's labels plus
`app.kubernetes.io/name: <XR name>`, in the XR's namespace if it has one; and it rolls every
observed composed Deployment up into the desired XR's status: `readyReplicas` (the sum of theirs)
and `availableDeployments` (how many have the condition Available True).

Run as a real function server, as function-template-python's main.py runs one:

    python deployment_status.py --insecure --address 127.0.0.1:9443
"""

import argparse

from crossplane.function import resource, response, runtime
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

RESOURCE_NAME = "app"
NAME_LABEL = "app.kubernetes.io/name"


class DeploymentStatus(grpcv1.FunctionRunnerServiceServicer):
    """Composes the XR's Deployment and rolls up the observed Deployments' status."""

    async def RunFunction(  # noqa: N802 - the gRPC method's name
        self, req: fnv1.RunFunctionRequest, _context
    ) -> fnv1.RunFunctionResponse:
        """Runs the transform on one request."""
        rsp = response.to(req)
        xr = req.observed.composite.resource
        spec = xr["spec"] if "spec" in xr else {}
        if "image" not in spec or not isinstance(spec["image"], str):
            response.fatal(
                rsp,
                "deployment-status: the composite resource has no spec.image; "
                "set spec.image to the container image to run",
            )
            return rsp
        metadata = xr["metadata"] if "metadata" in xr else {}
        name = metadata["name"] if "name" in metadata else RESOURCE_NAME
        labels = dict(metadata["labels"].items()) if "labels" in metadata else {}
        labels[NAME_LABEL] = name
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"labels": labels},
            "spec": {
                "replicas": int(spec["replicas"]) if "replicas" in spec else 1,
                "selector": {"matchLabels": {NAME_LABEL: name}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "app", "image": spec["image"]}]},
                },
            },
        }
        if "namespace" in metadata:
            deployment["metadata"]["namespace"] = metadata["namespace"]

        ready_replicas, available = 0, 0
        for observed in req.observed.resources.values():
            body = observed.resource
            if "kind" not in body or body["kind"] != "Deployment":
                continue
            status = body["status"] if "status" in body else {}
            if "readyReplicas" in status:
                ready_replicas += int(status["readyReplicas"])
            if resource.get_condition(body, "Available").status == "True":
                available += 1

        resource.update(rsp.desired.resources[RESOURCE_NAME], deployment)
        status = rsp.desired.composite.resource.get_or_create_struct("status")
        status["readyReplicas"] = ready_replicas
        status["availableDeployments"] = available
        return rsp


def main() -> None:
    """Serves the function until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="0.0.0.0:9443", help="where to listen")
    parser.add_argument(
        "--insecure",
        action="store_true",
        required=True,
        help="serve plaintext gRPC (the only mode this bench function has)",
    )
    args = parser.parse_args()
    runtime.serve(DeploymentStatus(), args.address, creds=None, insecure=args.insecure)


if __name__ == "__main__":
    main()
