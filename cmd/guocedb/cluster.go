package main

import (
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/config"
)

const clusterUsage = `Usage:
  guocedb cluster status [flags]                 the members, the leader and each member's progress
  guocedb cluster add ID RAFT-ADDR [flags]        add node ID (its --node-id) at RAFT-ADDR (its --raft-addr) as a learner
  guocedb cluster remove ID [flags]               remove member ID
  guocedb cluster transfer-leader ID [flags]      hand leadership to voter ID

Changes sent to a follower go to the leader it names. The flags are the
admin commands' (--server, --user, --password-file, --tls-ca, --json,
--timeout); changes need SUPER.
`

// runCluster dispatches guocedb cluster's subcommands.
func runCluster(e env) int {
	if len(e.args) == 0 || e.args[0] == "-h" || e.args[0] == "--help" || e.args[0] == "help" {
		w := e.stderr
		code := exitUsage
		if len(e.args) > 0 {
			w, code = e.stdout, exitOK
		}
		fmt.Fprint(w, clusterUsage)
		return code
	}
	sub := e.args[0]
	fs := flag.NewFlagSet("guocedb cluster "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	af := registerAdminFlags(fs)
	args, code, ok := parseAdminFlags(fs, e.args[1:])
	if !ok {
		return code
	}
	want := map[string]int{"status": 0, "add": 2, "remove": 1, "transfer-leader": 1}
	n, known := want[sub]
	if !known {
		fmt.Fprintf(e.stderr, "guocedb cluster: unknown subcommand %q\n\n%s", sub, clusterUsage)
		return exitUsage
	}
	if len(args) != n {
		fmt.Fprintf(e.stderr, "guocedb cluster %s: takes %d argument(s), got %d\n\n%s", sub, n, len(args), clusterUsage)
		return exitUsage
	}
	if sub != "status" && !config.ValidNodeID(args[0]) {
		fmt.Fprintf(e.stderr, "guocedb cluster %s: %q is not a node id (1-64 letters, digits, '.', '_' or '-')\n", sub, args[0])
		return exitUsage
	}
	if sub == "add" {
		// The form only: whether the address may leave loopback (TLS
		// between members) is the cluster's to say.
		if err := config.CheckPeerAddr(args[1], true); err != nil {
			fmt.Fprintf(e.stderr, "guocedb cluster add: raft address: %v\n", err)
			return exitUsage
		}
	}
	c, ctx, cancel, err := af.client(e)
	if err != nil {
		printError(e.stderr, "cluster "+sub, err)
		return exitError
	}
	defer cancel()
	switch sub {
	case "status":
		st, err := c.Status(ctx)
		if err == nil && st.GetCluster() == nil {
			err = errors.New("the server at " + af.server + " is a single node, not a cluster member")
		}
		if err != nil {
			printError(e.stderr, "cluster status", err)
			return exitError
		}
		if af.json {
			err = printJSON(e, st.GetCluster())
		} else {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			printClusterStatus(tw, st.GetCluster())
			err = tw.Flush()
		}
		if err != nil {
			printError(e.stderr, "cluster status", err)
			return exitError
		}
		return exitOK
	case "add":
		resp, err := c.AddMember(ctx, args[0], args[1])
		if err != nil {
			printError(e.stderr, "cluster add", err)
			return exitError
		}
		if af.json {
			if err := printJSON(e, resp); err != nil {
				return exitError
			}
			return exitOK
		}
		fmt.Fprintf(e.stdout, "added %s (raft id %d) as a learner; start it with --node-id %s --raft-addr %s --join ADMIN-ADDR of any member; it becomes a voter once it has caught up\n",
			args[0], resp.GetRaftId(), args[0], args[1])
	case "remove":
		if err := c.RemoveMember(ctx, args[0]); err != nil {
			printError(e.stderr, "cluster remove", err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "removed %s from the cluster; stop it, and delete its data directory before reusing it\n", args[0])
	case "transfer-leader":
		if err := c.TransferLeader(ctx, args[0]); err != nil {
			printError(e.stderr, "cluster transfer-leader", err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "%s leads\n", args[0])
	}
	return exitOK
}

// printClusterStatus prints one line per member: this node first, then
// its peers, with progress where this node knows it (on the leader).
func printClusterStatus(tw *tabwriter.Writer, c *adminv1.ClusterStatus) {
	leader := c.GetLeaderId()
	if leader == "" {
		leader = "(none)"
	}
	fmt.Fprintf(tw, "node %s (%s, term %d), leader %s, commit %d, applied %d\n",
		c.GetNodeId(), c.GetRole(), c.GetTerm(), leader, c.GetCommitIndex(), c.GetAppliedIndex())
	fmt.Fprintln(tw, "MEMBER\tRAFT ADDR\tROLE\tMATCH\tLAG\tACTIVE")
	role := func(id string, learner bool) string {
		switch {
		case id == c.GetLeaderId():
			return "leader"
		case learner:
			return "learner"
		}
		return "follower"
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\n", c.GetNodeId(), "(this node)", role(c.GetNodeId(), false))
	for _, p := range c.GetPeers() {
		match, lag, active := "-", "-", "-"
		if c.GetRole() == "leader" {
			match, lag, active = fmt.Sprint(p.GetMatchIndex()), fmt.Sprint(p.GetLag()), fmt.Sprint(p.GetActive())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.GetNodeId(), p.GetRaftAddr(), role(p.GetNodeId(), p.GetLearner()), match, lag, active)
	}
	if c.GetRole() != "leader" {
		fmt.Fprintf(tw, "(progress is known on the leader: run this against %s's admin address)\n", leader)
	}
}
