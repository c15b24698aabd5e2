// deployment-status in Go: the transform of functions/examples/deployment-status (Rust), on
// function-sdk-go's request and response types. Built as a reactor (reactor.go, the default) or,
// with -tags command, as a WASI command (command.go) from the same code.
//
// It composes one Deployment named app running the XR's spec.image with spec.replicas replicas
// (default 1), labelled with the XR's labels plus app.kubernetes.io/name: <XR name>, in the XR's
// namespace if it has one, and rolls the observed Deployments up into the desired XR's status:
// readyReplicas (their sum) and availableDeployments (how many are Available). Without a string
// spec.image it returns a fatal result and leaves the desired state as it came.
package main

import (
	"math"

	xfn "github.com/crossplane-contrib/function-wasmtime/functions/go"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

const (
	resourceName = "app"
	nameLabel    = "app.kubernetes.io/name"
)

// compose composes the Deployment and the XR's status.
func compose(req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := xfn.To(req)
	xr := xfn.ObservedComposite(req)
	image, ok := xfn.Get(xr, "spec.image").(string)
	if !ok {
		xfn.Fatal(rsp, "deployment-status: the composite resource has no spec.image; set spec.image to the container image to run")
		return rsp, nil
	}
	replicas, ok := xfn.Get(xr, "spec.replicas").(float64)
	if !ok || replicas != math.Trunc(replicas) {
		replicas = 1
	}
	name, ok := xfn.Get(xr, "metadata.name").(string)
	if !ok {
		name = resourceName
	}
	labels := map[string]any{}
	if xrLabels, ok := xfn.Get(xr, "metadata.labels").(map[string]any); ok {
		for key, value := range xrLabels {
			labels[key] = value
		}
	}
	labels[nameLabel] = name
	metadata := map[string]any{"labels": labels}
	if namespace, ok := xfn.Get(xr, "metadata.namespace").(string); ok {
		metadata["namespace"] = namespace
	}
	deployment := map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   metadata,
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{nameLabel: name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{"containers": []any{
					map[string]any{"name": "app", "image": image},
				}},
			},
		},
	}

	readyReplicas, available := 0.0, 0.0
	for _, resource := range xfn.ObservedResources(req) {
		if resource["kind"] != "Deployment" {
			continue
		}
		if ready, ok := xfn.Get(resource, "status.readyReplicas").(float64); ok {
			readyReplicas += ready
		}
		if xfn.ConditionStatus(resource, "Available") == "True" {
			available++
		}
	}

	if err := xfn.SetDesiredResource(rsp, resourceName, deployment, fnv1.Ready_READY_UNSPECIFIED); err != nil {
		return nil, err
	}
	desired := xfn.DesiredComposite(rsp)
	status, ok := desired["status"].(map[string]any)
	if desired["status"] != nil && !ok {
		xfn.Fatal(rsp, "deployment-status: the desired composite resource's status is not an object")
		return rsp, nil
	}
	if status == nil {
		status = map[string]any{}
	}
	status["readyReplicas"] = readyReplicas
	status["availableDeployments"] = available
	desired["status"] = status
	if err := xfn.SetDesiredComposite(rsp, desired); err != nil {
		return nil, err
	}
	return rsp, nil
}
