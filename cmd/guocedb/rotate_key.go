package main

import (
	"flag"
	"fmt"

	"github.com/guocedb/guocedb/internal/storage"
)

// runRotateKey re-keys a stopped server's encrypted data directory:
// `guocedb rotate-key --data-dir DIR --old-key-file A --new-key-file B`.
func runRotateKey(e env) int {
	fs := flag.NewFlagSet("guocedb rotate-key", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dataDir := fs.String("data-dir", "", "encrypted data directory of a stopped server")
	oldFile := fs.String("old-key-file", "", "`FILE` with the key the directory is encrypted with now")
	newFile := fs.String("new-key-file", "", "`FILE` with the new key (64 hex characters, mode 0600)")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb rotate-key --data-dir DIR --old-key-file FILE --new-key-file FILE\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(e, fs, "rotate-key"); !ok {
		return code
	}
	if *dataDir == "" || *oldFile == "" || *newFile == "" {
		fmt.Fprintln(e.stderr, "guocedb rotate-key: --data-dir, --old-key-file and --new-key-file are required")
		return exitUsage
	}
	oldKey, err := loadKey(*oldFile)
	if err != nil {
		printError(e.stderr, "rotate-key: --old-key-file", err)
		return exitError
	}
	newKey, err := loadKey(*newFile)
	if err != nil {
		printError(e.stderr, "rotate-key: --new-key-file", err)
		return exitError
	}
	if err := storage.RotateKey(*dataDir, oldKey, newKey, nil); err != nil {
		printError(e.stderr, "rotate-key failed", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "guocedb: %s is now encrypted with key id %s; key id %s no longer opens it (backups and log lines written before still need it)\n",
		*dataDir, newKey.ID(), oldKey.ID())
	return exitOK
}
