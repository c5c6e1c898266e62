package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/storage"
)

// backupFlags are the flags of `guocedb backup`.
type backupFlags struct {
	dataDir, server, out, since string
}

// runBackup writes a backup file of a stopped data directory (--data-dir)
// or of a running server (--server, through the admin API).
func runBackup(e env) int {
	fs := flag.NewFlagSet("guocedb backup", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f backupFlags
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory of a stopped server to back up (read-only)")
	fs.StringVar(&f.server, "server", "", "admin address (HOST:PORT) of a running server to back up online")
	fs.StringVar(&f.out, "out", "", `backup file to create ("-" writes to stdout); an existing file is not overwritten`)
	fs.StringVar(&f.since, "incremental-since", "", "previous backup FILE: write only what changed since it")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb backup (--data-dir DIR | --server ADDR) --out FILE|- [--incremental-since FILE]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(e.stderr, "guocedb backup: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	case (f.dataDir == "") == (f.server == ""):
		fmt.Fprintln(e.stderr, "guocedb backup: give exactly one of --data-dir (stopped server) and --server (running server)")
		return exitUsage
	case f.out == "":
		fmt.Fprintln(e.stderr, "guocedb backup: --out FILE is required (\"-\" for stdout)")
		return exitUsage
	}

	opts := backup.Options{SourceVersion: version}
	if f.since != "" {
		base, err := backup.ReadManifestFile(f.since)
		if err != nil {
			printError(e.stderr, "backup: --incremental-since", err)
			return exitError
		}
		opts = backup.SinceOptions(base, opts)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	bar := newProgress(e.stderr, "backup", "keys")
	opts.Progress = bar.update
	start := time.Now()
	var m backup.Manifest
	write := func(w io.Writer) error {
		var err error
		if f.server != "" {
			m, err = backupOnline(ctx, f.server, w, opts)
		} else {
			m, err = backupOffline(ctx, f.dataDir, w, opts)
		}
		return err
	}
	var err error
	if f.out == "-" {
		err = write(e.stdout)
	} else {
		err = backup.CreateFile(f.out, write)
	}
	bar.finish()
	if err != nil {
		printError(e.stderr, "backup failed", err)
		return exitError
	}
	summary := e.stdout
	if f.out == "-" {
		summary = e.stderr // stdout carries the backup itself
	}
	name := f.out
	if name == "-" {
		name = "stdout"
	}
	fmt.Fprintf(summary, "guocedb: %s backup written to %s in %s\n", m.Kind(), name, time.Since(start).Round(time.Millisecond))
	printManifest(summary, m)
	return exitOK
}

// backupOffline backs up a stopped server's data directory, opened
// read-only: a running server holding it is refused by the directory lock.
func backupOffline(ctx context.Context, dataDir string, w io.Writer, opts backup.Options) (backup.Manifest, error) {
	store, err := backup.OpenDir(dataDir, nil)
	if errors.Is(err, storage.ErrLocked) {
		return backup.Manifest{}, fmt.Errorf("%w; to back up a running server, use --server", err)
	}
	if err != nil {
		return backup.Manifest{}, err
	}
	m, err := backup.Write(ctx, store, w, opts)
	return m, errors.Join(err, store.Close())
}

// printManifest writes a manifest's fields, one per line.
func printManifest(w io.Writer, m backup.Manifest) {
	fmt.Fprintf(w, "  id:               %s\n", m.ID)
	if m.Incremental() {
		fmt.Fprintf(w, "  base:             %s (snapshot ts %d)\n", orNone(m.BaseID), m.SinceTs)
	}
	fmt.Fprintf(w, "  snapshot ts:      %d\n", m.SnapshotTs)
	fmt.Fprintf(w, "  created:          %s\n", m.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "  source version:   %s (storage format %d, backup format %d)\n", m.SourceVersion, m.StorageFormatVersion, m.FormatVersion)
	fmt.Fprintf(w, "  keys:             %d (%d with values)\n", m.Keys, m.ChangedKeys)
	if m.FileBytes > 0 {
		fmt.Fprintf(w, "  bytes:            %d (keys %d, values %d)\n", m.FileBytes, m.KeyBytes, m.ValueBytes)
		fmt.Fprintf(w, "  sha256:           %s\n", m.SHA256)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return s
}
