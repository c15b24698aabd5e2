package xfn

import (
	"fmt"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
)

// To returns a response to req that keeps its tag, desired state and context, as
// function-sdk-go's response.To does. Always start from it rather than from an empty response:
// Crossplane replaces its desired state and context with the response's.
func To(req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:    &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag()},
		Desired: req.GetDesired(),
		Context: req.GetContext(),
	}
}

// Fatal adds a fatal result: Crossplane stops the pipeline and reports message on the XR.
func Fatal(rsp *fnv1.RunFunctionResponse, message string) {
	addResult(rsp, fnv1.Severity_SEVERITY_FATAL, message)
}

// Warning adds a warning result, an event on the XR.
func Warning(rsp *fnv1.RunFunctionResponse, message string) {
	addResult(rsp, fnv1.Severity_SEVERITY_WARNING, message)
}

// Normal adds a normal result, an event on the XR.
func Normal(rsp *fnv1.RunFunctionResponse, message string) {
	addResult(rsp, fnv1.Severity_SEVERITY_NORMAL, message)
}

func addResult(rsp *fnv1.RunFunctionResponse, severity fnv1.Severity, message string) {
	rsp.Results = append(rsp.Results, &fnv1.Result{Severity: severity, Message: message})
}

// ObservedComposite returns the observed composite resource (XR) as a map, empty when absent.
func ObservedComposite(req *fnv1.RunFunctionRequest) map[string]any {
	return req.GetObserved().GetComposite().GetResource().AsMap()
}

// ObservedResources returns the observed composed resources as maps, by name.
func ObservedResources(req *fnv1.RunFunctionRequest) map[string]map[string]any {
	resources := map[string]map[string]any{}
	for name, resource := range req.GetObserved().GetResources() {
		resources[name] = resource.GetResource().AsMap()
	}
	return resources
}

// Get returns the value at a dotted path ("spec.forProvider.region") of nested maps, or nil.
// Numbers are float64, as in JSON.
func Get(object map[string]any, path string) any {
	var value any = object
	for _, key := range strings.Split(path, ".") {
		fields, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		value = fields[key]
	}
	return value
}

// ConditionStatus returns the status ("True", "False", "Unknown") of a resource's condition, or "".
func ConditionStatus(resource map[string]any, conditionType string) string {
	conditions, _ := Get(resource, "status.conditions").([]any)
	for _, condition := range conditions {
		fields, _ := condition.(map[string]any)
		if fields["type"] == conditionType {
			status, _ := fields["status"].(string)
			return status
		}
	}
	return ""
}

// SetDesiredResource sets the desired composed resource name to resource.
func SetDesiredResource(rsp *fnv1.RunFunctionResponse, name string, resource map[string]any, ready fnv1.Ready) error {
	body, err := structpb.NewStruct(resource)
	if err != nil {
		return fmt.Errorf("desired resource %q: %w", name, err)
	}
	desired := desiredState(rsp)
	if desired.Resources == nil {
		desired.Resources = map[string]*fnv1.Resource{}
	}
	desired.Resources[name] = &fnv1.Resource{Resource: body, Ready: ready}
	return nil
}

// DesiredComposite returns the desired composite resource as a map, empty when absent; write
// it back with SetDesiredComposite.
func DesiredComposite(rsp *fnv1.RunFunctionResponse) map[string]any {
	return rsp.GetDesired().GetComposite().GetResource().AsMap()
}

// SetDesiredComposite sets the desired composite resource to xr.
func SetDesiredComposite(rsp *fnv1.RunFunctionResponse, xr map[string]any) error {
	body, err := structpb.NewStruct(xr)
	if err != nil {
		return fmt.Errorf("desired composite resource: %w", err)
	}
	desired := desiredState(rsp)
	if desired.Composite == nil {
		desired.Composite = &fnv1.Resource{}
	}
	desired.Composite.Resource = body
	return nil
}

func desiredState(rsp *fnv1.RunFunctionResponse) *fnv1.State {
	if rsp.Desired == nil {
		rsp.Desired = &fnv1.State{}
	}
	return rsp.Desired
}
