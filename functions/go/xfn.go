// Package xfn runs Crossplane composition functions written with function-sdk-go's request and
// response types (github.com/crossplane/function-sdk-go/proto/v1) as function-wasmtime modules.
//
// A handler takes a RunFunctionRequest and returns a RunFunctionResponse, as a function-sdk-go
// function's RunFunction does. Package reactor makes it a reactor module (the fast ABI; build
// with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared); Main makes it a WASI command
// (request on stdin, response on stdout; a plain go build). Requests and responses cross the
// boundary as protojson (docs/ABI.md).
//
// function-sdk-go's request, response and resource packages are not used here: they bring
// Kubernetes' apimachinery and crossplane-runtime, which make a module four times larger (80 MB
// instead of 20 MB). This package has the few helpers a module needs on the proto types.
package xfn

import (
	"fmt"
	"io"
	"os"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Handler is a composition function: what function-sdk-go's RunFunction is, without the context.
// An error fails the module (a FATAL result naming it); a problem the user can fix is better
// reported with Fatal on the response.
type Handler func(req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error)

// Statuses a reactor's xfn_run_v1 returns, as the Rust SDK uses them (docs/ABI.md §3.1).
const (
	// StatusOK: the output is the response.
	StatusOK int32 = 0
	// StatusBadRequest: the request could not be read.
	StatusBadRequest int32 = 1
	// StatusHandlerFailed: the handler returned an error.
	StatusHandlerFailed int32 = 2
	// StatusBadResponse: the response could not be written.
	StatusBadResponse int32 = 3
)

// RunError is why Run produced no response: a status for xfn_run_v1 (or an exit code for a
// command) and what went wrong.
type RunError struct {
	Status int32
	Err    error
}

func (e *RunError) Error() string { return e.Err.Error() }

func (e *RunError) Unwrap() error { return e.Err }

// unmarshal reads requests leniently: a newer Crossplane may send fields this SDK version lacks.
var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// Run runs handler on the protojson of a request and returns the protojson of its response, as
// the module does; tests call it natively.
func Run(handler Handler, request []byte) ([]byte, error) {
	req := &fnv1.RunFunctionRequest{}
	if err := unmarshal.Unmarshal(request, req); err != nil {
		return nil, &RunError{StatusBadRequest, fmt.Errorf("the request is not a RunFunctionRequest: %w", err)}
	}
	rsp, err := handler(req)
	if err != nil {
		return nil, &RunError{StatusHandlerFailed, err}
	}
	out, err := protojson.Marshal(rsp)
	if err != nil {
		return nil, &RunError{StatusBadResponse, fmt.Errorf("cannot write the response: %w", err)}
	}
	return out, nil
}

// Main runs handler as a WASI command: the request from stdin, the response to stdout, the
// failure's message to stderr and its status as the exit code. It does not return.
func Main(handler Handler) {
	os.Exit(int(command(handler, os.Stdin, os.Stdout, os.Stderr)))
}

// command is Main on given streams; it returns the exit code.
func command(handler Handler, stdin io.Reader, stdout, stderr io.Writer) int32 {
	request, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "cannot read the request from stdin: %v\n", err)
		return StatusBadRequest
	}
	out, err := Run(handler, request)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return err.(*RunError).Status
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "cannot write the response to stdout: %v\n", err)
		return StatusBadResponse
	}
	return StatusOK
}
