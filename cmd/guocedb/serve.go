package main

import (
	"context"
	"os/signal"
	"syscall"

	"github.com/guocedb/guocedb/internal/server"
)

// runServe runs the server until SIGINT or SIGTERM, then stops it
// gracefully and exits 0; a startup or component failure exits 1.
func runServe(e env) int {
	cfg, code, ok := loadConfig("serve", e)
	if !ok {
		return code
	}
	logger := newLogger(cfg, e.stderr)
	routeLogrus(logger)
	logger.Info("starting guocedb", "version", version, "commit", commit)
	applyMemoryLimit(cfg, e.lookupEnv, logger)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := server.Run(ctx, cfg, logger, server.WithVersion(version)); err != nil {
		logger.Error("guocedb stopped with an error", "err", err)
		printError(e.stderr, "error", err)
		return exitError
	}
	logger.Info("guocedb stopped")
	return exitOK
}
