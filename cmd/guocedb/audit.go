package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/guocedb/guocedb/internal/audit"
	"github.com/guocedb/guocedb/internal/config"
)

// runAudit runs `guocedb audit verify [--data-dir DIR | --key-file FILE]
// FILE...`: it checks each audit log file's HMAC chain and exits 1 naming
// the first bad seq of the first file that fails.
func runAudit(e env) int {
	if len(e.args) == 0 || e.args[0] != "verify" {
		fmt.Fprintln(e.stderr, "Usage: guocedb audit verify [--data-dir DIR | --key-file FILE] FILE...")
		return exitUsage
	}
	fs := flag.NewFlagSet("guocedb audit verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dataDir := fs.String("data-dir", config.DefaultDataDir, "data directory holding the HMAC key ("+audit.KeyFileName+")")
	keyFile := fs.String("key-file", "", "HMAC key `FILE` (default DATA-DIR/"+audit.KeyFileName+")")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb audit verify [--data-dir DIR | --key-file FILE] FILE...\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(e.args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "guocedb audit verify: name at least one audit log FILE")
		return exitUsage
	}
	path := *keyFile
	if path == "" {
		path = filepath.Join(*dataDir, audit.KeyFileName)
	}
	key, err := audit.LoadKey(path)
	if err != nil {
		printError(e.stderr, "audit verify", err)
		return exitError
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			printError(e.stderr, "audit verify", err)
			return exitError
		}
		n, last, err := audit.Verify(f, key)
		_ = f.Close()
		if err != nil {
			printError(e.stderr, "audit verify "+name, err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "%s: %d records intact, last seq %d\n", name, n, last)
	}
	return exitOK
}
