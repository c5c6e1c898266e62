package main

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
)

// infoWidth bounds the statement text in the sessions table; --json
// prints it whole.
const infoWidth = 60

// runSessions lists the server's client connections (SHOW PROCESSLIST)
// from the admin API.
func runSessions(e env) int {
	fs := flag.NewFlagSet("guocedb sessions", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	af := registerAdminFlags(fs)
	args, code, ok := parseAdminFlags(fs, e.args)
	if !ok {
		return code
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "guocedb sessions: unexpected argument %q\n", args[0])
		return exitUsage
	}
	c, ctx, cancel, err := af.client(e)
	if err != nil {
		printError(e.stderr, "sessions", err)
		return exitError
	}
	defer cancel()
	list, err := c.ListSessions(ctx)
	if err != nil {
		printError(e.stderr, "error", err)
		return exitError
	}
	if af.json {
		if err := printJSON(e, &adminv1.ListSessionsResponse{Sessions: list}); err != nil {
			printError(e.stderr, "sessions", err)
			return exitError
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tHOST\tDB\tCOMMAND\tTIME\tSTATE\tINFO")
	for _, s := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.GetId(), s.GetUser(), s.GetHost(),
			orDash(s.GetDb()), s.GetCommand(), s.GetTimeSeconds(), orDash(oneLine(s.GetState(), infoWidth)), orDash(oneLine(s.GetInfo(), infoWidth)))
	}
	if err := tw.Flush(); err != nil {
		printError(e.stderr, "sessions", err)
		return exitError
	}
	return exitOK
}

// oneLine folds whitespace runs (newlines, tabs) to single spaces, so a
// multi-line statement keeps the table's shape, and cuts it at width.
func oneLine(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > width {
		return string(r[:width-3]) + "..."
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
