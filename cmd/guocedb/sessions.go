package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/adminclient"
)

// infoWidth bounds the statement text in the sessions table; --json
// prints it whole.
const infoWidth = 60

// runSessions lists the server's client connections (SHOW PROCESSLIST)
// from the admin API.
func runSessions(e env) int {
	list := func(c *adminclient.Client, ctx context.Context) (*adminv1.ListSessionsResponse, error) {
		sessions, err := c.ListSessions(ctx)
		return &adminv1.ListSessionsResponse{Sessions: sessions}, err
	}
	return runAdminReport(e, "sessions", list, func(tw *tabwriter.Writer, resp *adminv1.ListSessionsResponse) {
		fmt.Fprintln(tw, "ID\tUSER\tHOST\tDB\tCOMMAND\tTIME\tSTATE\tINFO")
		for _, s := range resp.GetSessions() {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.GetId(), s.GetUser(), s.GetHost(),
				orDash(s.GetDb()), s.GetCommand(), s.GetTimeSeconds(), orDash(oneLine(s.GetState(), infoWidth)), orDash(oneLine(s.GetInfo(), infoWidth)))
		}
	})
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
