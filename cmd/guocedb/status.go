package main

import (
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// runStatus prints the server's status from the admin API.
func runStatus(e env) int {
	fs := flag.NewFlagSet("guocedb status", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	af := registerAdminFlags(fs)
	args, code, ok := parseAdminFlags(fs, e.args)
	if !ok {
		return code
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "guocedb status: unexpected argument %q\n", args[0])
		return exitUsage
	}
	c, ctx, cancel, err := af.client(e)
	if err != nil {
		printError(e.stderr, "status", err)
		return exitError
	}
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		printError(e.stderr, "error", err)
		return exitError
	}
	if af.json {
		if err := printJSON(e, st); err != nil {
			printError(e.stderr, "status", err)
			return exitError
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	uptime := time.Duration(st.GetUptimeSeconds() * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(tw, "version\t%s\n", st.GetVersion())
	fmt.Fprintf(tw, "uptime\t%s\n", uptime)
	fmt.Fprintf(tw, "data size\t%s (%d bytes)\n", humanBytes(st.GetDataSizeBytes()), st.GetDataSizeBytes())
	fmt.Fprintf(tw, "databases\t%d\n", st.GetDatabases())
	fmt.Fprintf(tw, "tables\t%d\n", st.GetTables())
	fmt.Fprintf(tw, "connections\t%d\n", st.GetConnections())
	fmt.Fprintf(tw, "format version\t%d\n", st.GetFormatVersion())
	if err := tw.Flush(); err != nil {
		printError(e.stderr, "status", err)
		return exitError
	}
	return exitOK
}

// humanBytes prints n in the largest binary unit that keeps it >= 1.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
