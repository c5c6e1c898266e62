package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/adminclient"
)

// runStatus prints the server's status from the admin API.
func runStatus(e env) int {
	return runAdminReport(e, "status", (*adminclient.Client).Status, func(tw *tabwriter.Writer, st *adminv1.StatusResponse) {
		uptime := time.Duration(st.GetUptimeSeconds() * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(tw, "version\t%s\n", st.GetVersion())
		fmt.Fprintf(tw, "uptime\t%s\n", uptime)
		fmt.Fprintf(tw, "data size\t%s (%d bytes)\n", humanBytes(st.GetDataSizeBytes()), st.GetDataSizeBytes())
		fmt.Fprintf(tw, "databases\t%d\n", st.GetDatabases())
		fmt.Fprintf(tw, "tables\t%d\n", st.GetTables())
		fmt.Fprintf(tw, "connections\t%d\n", st.GetConnections())
		fmt.Fprintf(tw, "format version\t%d\n", st.GetFormatVersion())
	})
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
