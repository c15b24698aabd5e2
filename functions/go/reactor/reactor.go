// Package reactor makes a handler a function-wasmtime reactor module: it exports cabi_realloc and
// xfn_run_v1 and sends log lines to the xfn.log import (docs/ABI.md §3).
//
// Register the handler from an init function (a reactor's main never runs) and build with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o module.wasm:
//
//	func init() { reactor.Serve(compose) }
//
//	func main() {}
//
// On other platforms Serve only registers the handler, so the package's tests build natively.
package reactor

import xfn "github.com/crossplane-contrib/function-wasmtime/functions/go"

// handler is what xfn_run_v1 runs.
var handler xfn.Handler

// Serve makes handler the module's function. Call it from an init function.
func Serve(h xfn.Handler) {
	handler = h
	useHostLog()
}
