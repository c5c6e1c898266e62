package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/storage"
)

// runCheck verifies a stopped server's data directory: catalog, rows and
// secondary indexes must agree, and the commit log must read back whole
// and be applied. Exit 1 when anything is wrong.
func runCheck(e env) int {
	fs := flag.NewFlagSet("guocedb check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dataDir := fs.String("data-dir", "", "data directory of a stopped server (opened read-only)")
	keyFile := registerKeyFile(fs, e, "`FILE` with the encryption key of an encrypted data directory")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb check --data-dir DIR [--encryption-key-file FILE]\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(e, fs, "check"); !ok {
		return code
	}
	switch {
	case *dataDir == "":
		fmt.Fprintln(e.stderr, "guocedb check: --data-dir DIR is required")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	key, err := loadKey(*keyFile)
	if err != nil {
		printError(e.stderr, "check: --encryption-key-file", err)
		return exitError
	}
	store, err := storage.OpenReadOnlyKey(*dataDir, key, nil)
	if err != nil {
		printError(e.stderr, "check", err)
		return exitError
	}
	// OpenReadOnly has verified the commit log: every record's checksum,
	// the continuity of the entries after the checkpoint, and that Badger
	// holds each of them.
	lr := store.LogReport()
	bar := newProgress(e.stderr, "check", "keys")
	r, err := backend.Check(ctx, store, backend.CheckOptions{Progress: bar.update})
	bar.finish()
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		printError(e.stderr, "check could not finish", err)
		return exitError
	}
	for _, n := range r.Notes {
		fmt.Fprintf(e.stdout, "note: %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(e.stdout, "problem: %s\n", p)
	}
	if int64(len(r.Problems)) < r.ProblemCount {
		fmt.Fprintf(e.stdout, "... and %d more problems\n", r.ProblemCount-int64(len(r.Problems)))
	}
	fmt.Fprintf(e.stdout, "checked %d databases, %d tables, %d indexes: %d rows, %d index entries\n",
		r.Databases, r.Tables, r.Indexes, r.Rows, r.IndexEntries)
	fmt.Fprintf(e.stdout, "checked the commit log: %d segments, %d bytes, checkpoint at entry %d, %d entries after it, all applied\n",
		lr.Segments, lr.Bytes, lr.Checkpoint, lr.Tail)
	if !r.OK() {
		fmt.Fprintf(e.stderr, "guocedb: check: %d problems found in %s\n", r.ProblemCount, *dataDir)
		return exitError
	}
	fmt.Fprintln(e.stdout, "no problems found")
	return exitOK
}
