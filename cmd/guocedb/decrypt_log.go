package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/guocedb/guocedb/internal/encryption"
)

// runDecryptLog runs `guocedb decrypt-log --encryption-key-file KEY
// FILE...`: it prints the slow log or audit log files of an encrypted
// server with their sealed fields (query, db) decrypted, the rest of each
// line as written. The audit chain is verified on the file as written
// (`guocedb audit verify`), without the key.
func runDecryptLog(e env) int {
	fs := flag.NewFlagSet("guocedb decrypt-log", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keyFile := registerKeyFile(fs, e, "`FILE` with the server's encryption key")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: guocedb decrypt-log --encryption-key-file FILE LOGFILE...\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 || *keyFile == "" {
		fmt.Fprintln(e.stderr, "guocedb decrypt-log: give --encryption-key-file FILE and at least one LOGFILE")
		return exitUsage
	}
	key, err := loadKey(*keyFile)
	if err != nil {
		printError(e.stderr, "decrypt-log", err)
		return exitError
	}
	sealer, err := encryption.NewSealer(key, encryption.LogFieldUse)
	if err != nil {
		printError(e.stderr, "decrypt-log", err)
		return exitError
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			printError(e.stderr, "decrypt-log", err)
			return exitError
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
		for n := 1; sc.Scan(); n++ {
			line, err := sealer.OpenLine(sc.Bytes())
			if err != nil {
				_ = f.Close()
				printError(e.stderr, fmt.Sprintf("decrypt-log %s line %d", name, n), err)
				return exitError
			}
			out.Write(line)
			out.WriteByte('\n')
		}
		err = sc.Err()
		_ = f.Close()
		if err != nil {
			printError(e.stderr, "decrypt-log "+name, err)
			return exitError
		}
	}
	return exitOK
}
