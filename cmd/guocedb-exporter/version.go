package main

import (
	"fmt"
	"io"
)

// Set through -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "none"
)

func printVersion(w io.Writer) int {
	_, _ = fmt.Fprintf(w, "guocedb-exporter %s (commit %s)\n", version, commit)
	return 0
}
