//go:build !wasip1

package reactor

// useHostLog does nothing off wasip1: there is no host, so lines stay on stderr.
func useHostLog() {}
