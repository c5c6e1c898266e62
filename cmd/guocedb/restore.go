package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/guocedb/guocedb/internal/backup"
)

// fileList is a repeatable string flag.
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

// runRestore builds a new data directory from a full backup and,
// optionally, its incrementals in order.
func runRestore(e env) int {
	fs := flag.NewFlagSet("guocedb restore", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var in fileList
	fs.Var(&in, "in", "backup FILE; repeat: the full backup first, then its incrementals in the order they were taken")
	dataDir := fs.String("data-dir", "", "data directory to create; must be missing or empty")
	keyFile := registerKeyFile(fs, e, "`FILE` with the encryption key: decrypts encrypted backups, and the new data directory is encrypted with it (also when the backup is not: the way to encrypt a plaintext server)")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb restore --in FULL [--in INCREMENTAL ...] --data-dir DIR [--encryption-key-file FILE]\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(e, fs, "restore"); !ok {
		return code
	}
	switch {
	case len(in) == 0:
		fmt.Fprintln(e.stderr, "guocedb restore: --in FILE is required")
		return exitUsage
	case *dataDir == "":
		fmt.Fprintln(e.stderr, "guocedb restore: --data-dir DIR is required")
		return exitUsage
	}
	key, err := loadKey(*keyFile)
	if err != nil {
		printError(e.stderr, "restore: --encryption-key-file (nothing was written to "+*dataDir+")", err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newProgress(e.stderr, "restore", "bytes")
	start := time.Now()
	m, err := backup.Restore(ctx, *dataDir, in, backup.RestoreOptions{Progress: bar.update, Key: key})
	bar.finish()
	if err != nil {
		printError(e.stderr, "restore failed (nothing was written to "+*dataDir+")", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "guocedb: restored %d backup file(s) into %s in %s; it holds every transaction committed up to snapshot ts %d\n",
		len(in), *dataDir, time.Since(start).Round(time.Millisecond), m.SnapshotTs)
	if key != nil {
		fmt.Fprintf(e.stdout, "guocedb: %s is encrypted with key id %s; start the server on it with --encryption-key-file\n", *dataDir, key.ID())
	}
	printManifest(e.stdout, m)
	return exitOK
}
