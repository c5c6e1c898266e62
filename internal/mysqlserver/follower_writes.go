package mysqlserver

import (
	"errors"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// refuseWritesOnFollower fails a write on a cluster member that does not
// lead, before it runs. With follower-writes = reject (forward false) the
// error is MySQL's 1290 (ER_OPTION_PREVENTS_STATEMENT, as MySQL answers
// under read_only) with errRejectedOnFollower's text; the store's commit
// refuses as well (storage.ErrFollower, whose text names no mode), for a
// write that slips through here or a leader that loses its role
// mid-statement. Transaction control and SET change
// no stored data and pass, so that a read-only transaction works on a
// follower.
//
// With follower-writes = forward the error is errNeedsLeader, which the
// handler catches to run the statement, and the rest of the session, on
// the leader (forward.go). It is raised before anything ran, so the
// statement is run once. Besides writes, a session needs the leader for
// what takes locks, since the lock table is the leader's: START
// TRANSACTION (a transaction's reads and writes must be one on one
// node; READ ONLY stays here), locking reads and LOCK TABLES.
func refuseWritesOnFollower(writable func() bool, forward bool) analyzer.RuleFunc {
	return func(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if set, ok := n.(*plan.Set); ok && setPersists(set) && !writable() {
			// In either mode: a SET changes no stored data, but SET
			// PERSIST does (forward_set.go).
			return nil, transform.SameTree, errPersistOnFollower
		}
		if forward && !writable() && needsLeader(ctx, n) {
			return nil, transform.SameTree, errNeedsLeader
		}
		if n.IsReadOnly() || writable() {
			return n, transform.SameTree, nil
		}
		switch n.(type) {
		case *plan.StartTransaction, *plan.Commit, *plan.Rollback, *plan.Set,
			*plan.CreateSavepoint, *plan.RollbackSavepoint, *plan.ReleaseSavepoint:
			return n, transform.SameTree, nil
		}
		return nil, transform.SameTree, errRejectedOnFollower
	}
}

// followerWriteError gives a commit that the store refused for want of
// leadership (storage.ErrFollower, whose text fits a moment without a
// leader, as under follower-writes = forward, where no steady follower
// commits) follower-writes = reject's text on a member with that
// setting: there a follower's literal INSERT, which go-mysql-server runs
// past this package's rule, reaches the commit.
func (h *handler) followerWriteError(err error) error {
	if h.rejectWrites && err != nil && strings.Contains(err.Error(), storage.ErrFollower.Error()) {
		return errRejectedOnFollower
	}
	return err
}

// errRejectedOnFollower is follower-writes = reject's answer to a write
// on a follower.
var errRejectedOnFollower = mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState,
	"this node is a follower of its cluster and refuses writes (follower-writes = reject); write on the leader")

// needsLeader reports whether n must run on the leader when follower
// writes are forwarded (see refuseWritesOnFollower).
func needsLeader(ctx *sql.Context, n sql.Node) bool {
	switch n := n.(type) {
	case *plan.StartTransaction:
		return n.TransChar != sql.ReadOnly
	case *plan.Commit, *plan.Rollback, *plan.Set,
		*plan.CreateSavepoint, *plan.RollbackSavepoint, *plan.ReleaseSavepoint:
		return false
	case *plan.LockTables:
		return true
	}
	if s, ok := ctx.Session.(*backend.Session); ok && s.StatementLocks() {
		return true
	}
	return !n.IsReadOnly() || usesNamedLocks(n)
}

// usesNamedLocks reports whether n calls a named lock function (GET_LOCK,
// RELEASE_LOCK, ...): go-mysql-server keeps named locks in the process,
// so they hold cluster-wide only when taken on the leader.
func usesNamedLocks(n sql.Node) bool {
	found := false
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		switch e.(type) {
		case *function.GetLock, *function.ReleaseLock, *function.ReleaseAllLocks, *function.IsFreeLock, *function.IsUsedLock:
			found = true
		}
		return !found
	})
	return found
}

// errNeedsLeader is refuseWritesOnFollower's answer to a statement that
// must run on the leader under follower-writes = forward. The handler
// forwards the statement on it (isNeedsLeader); a client sees it only
// where nothing forwards (a statement inside a stored program), as the
// 1290 of follower-writes = reject.
var errNeedsLeader = mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState, "%s", needsLeaderText)

// needsLeaderText is errNeedsLeader's message; go-mysql-server flattens
// errors to their text, hence a text that says so.
const needsLeaderText = "this statement must run on the cluster's leader (this node follows it) and could not be forwarded there"

// isNeedsLeader reports whether err is errNeedsLeader.
func isNeedsLeader(err error) bool {
	return err != nil && strings.Contains(err.Error(), needsLeaderText)
}

// unknownOutcome reports whether err says that a commit's outcome is
// unknown (leadership changed while its entry was in flight). The answer
// must be neither OK nor a definite error: the connection is closed, and
// the client sees 2013 (lost connection), as after a crash of a server.
// go-mysql-server flattens errors to their text, hence the match on it.
func unknownOutcome(err error) bool {
	return err != nil && (errors.Is(err, raftlog.ErrUnknownOutcome) || strings.Contains(err.Error(), raftlog.ErrUnknownOutcome.Error()))
}

// closeOnUnknownOutcome closes c when err is an unknown outcome.
func closeOnUnknownOutcome(c *mysql.Conn, err error) {
	if unknownOutcome(err) {
		c.Close()
	}
}
