package main

import (
	"fmt"
	"io"

	"github.com/guocedb/guocedb/internal/exporter/app"
	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/web"
)

// checkConfig validates a file without connecting to any database.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		_, _ = fmt.Fprintln(stderr, "usage: guocedb-exporter check-config FILE")
		return 2
	}
	cfg, err := config.Load(args[0])
	if err == nil {
		_, err = app.LoadCustom(cfg)
	}
	if err == nil {
		err = web.ValidateWebConfig(cfg.WebConfigFile)
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "configuration invalid:\n%v\n", err)
		return 1
	}
	for _, w := range cfg.Warnings {
		_, _ = fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err := cfg.WriteSummary(stdout); err != nil {
		_, _ = fmt.Fprintf(stderr, "write summary: %v\n", err)
		return 1
	}
	_, _ = fmt.Fprintln(stdout, "configuration OK")
	return 0
}
