package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/guocedb/guocedb/internal/exporter/app"
	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/logging"
	"github.com/guocedb/guocedb/internal/exporter/web"
)

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "guocedb-exporter.toml", "configuration file (TOML)")
	listen := fs.String("listen-address", "", "override listenAddress from the file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := runServe(ctx, *path, *listen, hup, nil); err != nil {
		_, _ = fmt.Fprintf(stderr, "guocedb-exporter: %v\n", err)
		return 1
	}
	return 0
}

// runServe runs the exporter until ctx ends. Every value on hup reloads the
// configuration; ready, if set, gets the listen address once serving.
func runServe(ctx context.Context, path, listen string, hup <-chan os.Signal, ready func(addr string)) (err error) {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	if listen != "" {
		cfg.ListenAddress = listen
	}
	if err := web.ValidateWebConfig(cfg.WebConfigFile); err != nil {
		return err
	}
	logger, logCloser, err := logging.New(cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, logCloser.Close()) }()

	a, err := app.New(path, cfg, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.Close()) }()

	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				logger.Info("SIGHUP received, reloading configuration")
				_ = a.Reload() // logged by Reload; the old configuration stays
			}
		}
	}()

	l, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.ListenAddress, err)
	}
	for _, w := range cfg.Warnings {
		logger.Warn("configuration key ignored", "detail", w)
	}
	logger.Info("guocedb-exporter started", "version", version, "address", l.Addr().String(),
		"datasources", len(cfg.EnabledSources()))
	if ready != nil {
		ready(l.Addr().String())
	}
	h := web.Handler(a, logger)
	if cfg.BasicAuthUser != "" {
		h = web.BasicAuth(h, cfg.BasicAuthUser, cfg.BasicAuthPassword)
	}
	return web.Serve(ctx, l, h, cfg.WebConfigFile, logger)
}
