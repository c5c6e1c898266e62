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

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/storage"
)

// backupFlags are the flags of `guocedb backup` besides the admin API's.
type backupFlags struct {
	dataDir, out, since string
	keyFile             *string
}

// runBackup writes a backup file of a stopped data directory (--data-dir)
// or, without --data-dir, of the running server behind the admin API
// (--server, default the local one).
func runBackup(e env) int {
	fs := flag.NewFlagSet("guocedb backup", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	af := registerAdminFlags(fs)
	var f backupFlags
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory of a stopped server to back up (read-only); without it, back up the running server at --server")
	fs.StringVar(&f.out, "out", "", `backup file to create ("-" writes to stdout); an existing file is not overwritten`)
	fs.StringVar(&f.since, "incremental-since", "", "previous backup FILE: write only what changed since it")
	f.keyFile = registerKeyFile(fs, e, "`FILE` with the encryption key of an encrypted data directory (--data-dir), or to authenticate an online backup of an encrypted server")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb backup [--data-dir DIR | --server ADDR] --out FILE|- [--incremental-since FILE]\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(e, fs, "backup"); !ok {
		return code
	}
	serverSet := false
	fs.Visit(func(fl *flag.Flag) { serverSet = serverSet || fl.Name == "server" })
	online := f.dataDir == ""
	switch {
	case !online && serverSet:
		fmt.Fprintln(e.stderr, "guocedb backup: give --data-dir (stopped server) or --server (running server), not both")
		return exitUsage
	case f.out == "":
		fmt.Fprintln(e.stderr, "guocedb backup: --out FILE is required (\"-\" for stdout)")
		return exitUsage
	}

	opts := backup.Options{SourceVersion: version}
	var base backup.Manifest
	if f.since != "" {
		var err error
		if base, err = backup.ReadManifestFile(f.since); err != nil {
			printError(e.stderr, "backup: --incremental-since", err)
			return exitError
		}
		opts = backup.SinceOptions(base, opts)
	}
	key, err := loadKey(*f.keyFile)
	if err != nil {
		printError(e.stderr, "backup: --encryption-key-file", err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	unit := "keys"
	if online {
		unit = "bytes" // the server knows the keys; the client sees bytes
	}
	bar := newProgress(e.stderr, "backup", unit)
	opts.Progress = bar.update
	start := time.Now()
	var m backup.Manifest
	write := func(w io.Writer) error {
		if online {
			return backupOnline(ctx, e, af, w, adminclient.BackupBase{Since: opts.Since, ID: opts.BaseID}, bar)
		}
		var err error
		m, err = backupOffline(ctx, f.dataDir, key, w, opts)
		return err
	}
	if f.out == "-" {
		hc := &headCapture{w: e.stdout}
		if err = write(hc); err == nil && online {
			m, err = hc.manifest()
		}
	} else if err = backup.CreateFile(f.out, write); err == nil && online {
		// Read back what arrived: the checksum proves the transfer.
		// With the key, every encrypted chunk is authenticated too.
		m, err = backup.VerifyKey(ctx, f.out, key)
	}
	bar.finish()
	if err == nil && f.since != "" {
		err = checkBase(m, base)
	}
	if err != nil {
		printError(e.stderr, "backup failed", err)
		return exitError
	}
	summary := e.stdout
	if f.out == "-" {
		summary = e.stderr // stdout carries the backup itself
	}
	if f.since != "" && m.BaseID == "" {
		// A server older than base ids ignores the one sent: the file is
		// good, its chain is checked by timestamp only.
		fmt.Fprintln(e.stderr, "guocedb backup: note: the server did not record the base's id (it predates base ids); restore checks this incremental's base by timestamp only")
	}
	name := f.out
	if name == "-" {
		name = "stdout"
	}
	fmt.Fprintf(summary, "guocedb: %s backup written to %s in %s\n", m.Kind(), name, time.Since(start).Round(time.Millisecond))
	printManifest(summary, m)
	return exitOK
}

// checkBase reports whether the incremental m (written by the server, for
// an online backup) builds on base as asked.
func checkBase(m, base backup.Manifest) error {
	if m.SinceTs != base.SnapshotTs {
		return fmt.Errorf("the server wrote an incremental since timestamp %d, not %d", m.SinceTs, base.SnapshotTs)
	}
	if m.BaseID != "" && m.BaseID != base.ID {
		return fmt.Errorf("the server wrote an incremental on backup %s, not %s", m.BaseID, base.ID)
	}
	return nil
}

// backupOffline backs up a stopped server's data directory, opened
// read-only: a running server holding it is refused by the directory lock.
// An encrypted directory opens with its key, and its backup is encrypted.
func backupOffline(ctx context.Context, dataDir string, key *encryption.Key, w io.Writer, opts backup.Options) (backup.Manifest, error) {
	store, err := backup.OpenDir(dataDir, key, nil)
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
	if m.Encryption != nil {
		fmt.Fprintf(w, "  encryption:       %s, key id %s\n", m.Encryption.Cipher, m.Encryption.KeyID)
	}
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
