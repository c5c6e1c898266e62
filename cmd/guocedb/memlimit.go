package main

import (
	"log/slog"
	"math"
	"runtime/debug"

	"github.com/guocedb/guocedb/internal/config"
)

// applyMemoryLimit sets the Go runtime's soft memory limit from
// memory-limit before the server allocates anything large. It is process
// state, hence set here and not by the server (tests run many servers in
// one process). auto leaves a GOMEMLIMIT from the environment in force
// (the runtime read it at start): an operator who set it knows the
// machine; an explicit memory-limit wins over it. It returns the limit in
// force, math.MaxInt64 for none.
func applyMemoryLimit(cfg config.Config, lookupEnv func(string) (string, bool), logger *slog.Logger) int64 {
	source := "memory-limit"
	switch limit := cfg.MemoryLimit; {
	case limit == config.MemoryLimitAuto && hasEnv(lookupEnv, "GOMEMLIMIT"):
		source = "GOMEMLIMIT"
	case limit == config.MemoryLimitAuto:
		debug.SetMemoryLimit(cfg.AutoMemoryLimit())
		source = "auto"
	case limit == 0:
		debug.SetMemoryLimit(math.MaxInt64)
	default:
		debug.SetMemoryLimit(limit)
	}
	got := debug.SetMemoryLimit(-1) // reads the limit without changing it
	if got == math.MaxInt64 {
		logger.Info("no memory limit", "source", source)
	} else {
		logger.Info("memory limit", "bytes", got, "source", source)
	}
	return got
}

func hasEnv(lookupEnv func(string) (string, bool), name string) bool {
	if lookupEnv == nil {
		return false
	}
	v, ok := lookupEnv(name)
	return ok && v != ""
}
