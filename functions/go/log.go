package xfn

import (
	"fmt"
	"os"
)

// Level is a log line's level, numbered as xfn.log's (docs/ABI.md §3.2).
type Level int32

// Log levels.
const (
	LevelError Level = 0
	LevelWarn  Level = 1
	LevelInfo  Level = 2
	LevelDebug Level = 3
	LevelTrace Level = 4
)

// logger writes one line; a command's goes to stderr (which the host logs), a reactor's to xfn.log.
var logger = func(level Level, message string) {
	fmt.Fprintln(os.Stderr, message)
}

// SetLogger replaces where log lines go; package reactor sends them to the xfn.log import.
func SetLogger(write func(level Level, message string)) {
	logger = write
}

// Logf writes one line to the host's log under the module's name, formatted as fmt.Sprintf does.
func Logf(level Level, format string, args ...any) {
	logger(level, fmt.Sprintf(format, args...))
}
