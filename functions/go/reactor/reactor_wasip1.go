//go:build wasip1

package reactor

import (
	"errors"
	"unsafe"

	xfn "github.com/crossplane-contrib/function-wasmtime/functions/go"
)

//go:wasmimport xfn set_output
//go:noescape
func setOutput(ptr unsafe.Pointer, size uint32)

//go:wasmimport xfn log
//go:noescape
func hostLog(level int32, ptr unsafe.Pointer, size uint32)

// blocks keeps what cabi_realloc hands out reachable: the host writes the request there and the
// garbage collector must not reuse it before xfn_run_v1 reads it. Each call has a fresh instance,
// so nothing is ever released.
var blocks [][]byte

// cabiRealloc allocates newLen bytes (copying min(oldLen, newLen) from oldPtr when it is not nil).
// Go's allocator aligns every block to at least 8 bytes, more than the host's alignment of 1.
//
//go:wasmexport cabi_realloc
func cabiRealloc(oldPtr unsafe.Pointer, oldLen, align, newLen uint32) unsafe.Pointer {
	block := make([]byte, max(newLen, 1))
	if oldPtr != nil {
		copy(block, unsafe.Slice((*byte)(oldPtr), min(oldLen, newLen)))
	}
	blocks = append(blocks, block)
	return unsafe.Pointer(unsafe.SliceData(block))
}

// run is xfn_run_v1: the request is at [ptr, ptr+size).
//
//go:wasmexport xfn_run_v1
func run(ptr unsafe.Pointer, size uint32) int32 {
	if handler == nil {
		output([]byte("no handler: call reactor.Serve(handler) from an init function"))
		return xfn.StatusHandlerFailed
	}
	request := unsafe.Slice((*byte)(ptr), size)
	response, err := xfn.Run(handler, request)
	if runError := (*xfn.RunError)(nil); errors.As(err, &runError) {
		output([]byte(runError.Error()))
		return runError.Status
	}
	output(response)
	return xfn.StatusOK
}

// output hands bytes to the host, which copies them at once.
func output(bytes []byte) {
	setOutput(unsafe.Pointer(unsafe.SliceData(bytes)), uint32(len(bytes)))
}

// useHostLog sends xfn.Logf's lines to the xfn.log import.
func useHostLog() {
	xfn.SetLogger(func(level xfn.Level, message string) {
		hostLog(int32(level), unsafe.Pointer(unsafe.StringData(message)), uint32(len(message)))
	})
}
