package main

import (
	"fmt"
	"runtime"
)

// runVersion prints the version, commit and Go version.
func runVersion(e env) int {
	if len(e.args) > 0 {
		fmt.Fprintf(e.stderr, "guocedb version: unexpected argument %q\n", e.args[0])
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "guocedb %s (commit %s, %s)\n", version, commit, runtime.Version())
	return exitOK
}
