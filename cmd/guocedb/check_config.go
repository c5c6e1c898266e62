package main

import (
	"fmt"

	"github.com/guocedb/guocedb/internal/config"
)

// runCheckConfig loads and validates the configuration like serve would,
// and prints the effective configuration as TOML (root password hidden).
func runCheckConfig(e env) int {
	cfg, code, ok := loadConfig("check-config", e)
	if !ok {
		return code
	}
	if err := config.Write(e.stdout, cfg); err != nil {
		fmt.Fprintf(e.stderr, "guocedb: %v\n", err)
		return exitError
	}
	return exitOK
}
