//go:build !command

package main

import "github.com/crossplane-contrib/function-wasmtime/functions/go/reactor"

// init registers the handler: a reactor's main never runs.
func init() {
	reactor.Serve(compose)
}

func main() {}
