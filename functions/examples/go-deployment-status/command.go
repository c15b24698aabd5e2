//go:build command

package main

import xfn "github.com/crossplane-contrib/function-wasmtime/functions/go"

// main reads the request from stdin and writes the response to stdout.
func main() {
	xfn.Main(compose)
}
