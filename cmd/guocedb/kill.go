package main

import (
	"flag"
	"fmt"
	"strconv"
)

// runKill ends a session, or with --query only its running statement,
// through the admin API (KILL [QUERY] id).
func runKill(e env) int {
	fs := flag.NewFlagSet("guocedb kill", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	queryOnly := fs.Bool("query", false, "stop only the running statement (it fails with error 1317); the connection stays open")
	af := registerAdminFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: guocedb kill [--query] [flags] ID")
		fs.PrintDefaults()
	}
	args, code, ok := parseAdminFlags(fs, e.args)
	if !ok {
		return code
	}
	if len(args) != 1 {
		fmt.Fprintln(e.stderr, "guocedb kill: want exactly one session ID (see guocedb sessions)")
		return exitUsage
	}
	id, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil || id == 0 {
		fmt.Fprintf(e.stderr, "guocedb kill: %q is not a session ID (a positive number, see guocedb sessions)\n", args[0])
		return exitUsage
	}
	c, ctx, cancel, err := af.client(e)
	if err != nil {
		printError(e.stderr, "kill", err)
		return exitError
	}
	defer cancel()
	if err := c.KillSession(ctx, uint32(id), *queryOnly); err != nil {
		printError(e.stderr, "error", err)
		return exitError
	}
	if *queryOnly {
		fmt.Fprintf(e.stdout, "stopped the running statement of session %d\n", id)
	} else {
		fmt.Fprintf(e.stdout, "closed session %d\n", id)
	}
	return exitOK
}
