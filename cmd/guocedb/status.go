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
		if c := st.GetCluster(); c != nil {
			leader := c.GetLeaderId()
			if leader == "" {
				leader = "(none)"
			}
			fmt.Fprintf(tw, "node id\t%s\n", c.GetNodeId())
			fmt.Fprintf(tw, "raft role\t%s (term %d, writable %t)\n", c.GetRole(), c.GetTerm(), c.GetWritable())
			fmt.Fprintf(tw, "leader\t%s\n", leader)
			fmt.Fprintf(tw, "commit index\t%d\n", c.GetCommitIndex())
			fmt.Fprintf(tw, "applied index\t%d\n", c.GetAppliedIndex())
			for _, p := range c.GetPeers() {
				// Progress is known on the leader only.
				learner := ""
				if p.GetLearner() {
					learner = " (learner)"
				}
				if c.GetRole() == "leader" {
					fmt.Fprintf(tw, "peer %s\t%s%s match %d lag %d active %t\n", p.GetNodeId(), p.GetRaftAddr(), learner, p.GetMatchIndex(), p.GetLag(), p.GetActive())
				} else {
					fmt.Fprintf(tw, "peer %s\t%s%s\n", p.GetNodeId(), p.GetRaftAddr(), learner)
				}
			}
		}
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
