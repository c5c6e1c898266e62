package mysqlserver

import (
	"errors"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// refuseWritesOnFollower fails a write on a cluster member that does not
// lead with MySQL's 1290 (ER_OPTION_PREVENTS_STATEMENT, as MySQL answers
// under read_only), before it runs: follower-writes = reject. The
// store's commit refuses as well (storage.ErrFollower), for a write that
// slips through here or a leader that loses its role mid-statement.
// Transaction control and SET change no stored data and pass, so that a
// read-only transaction works on a follower.
func refuseWritesOnFollower(writable func() bool) analyzer.RuleFunc {
	return func(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if n.IsReadOnly() || writable() {
			return n, transform.SameTree, nil
		}
		switch n.(type) {
		case *plan.StartTransaction, *plan.Commit, *plan.Rollback, *plan.Set,
			*plan.CreateSavepoint, *plan.RollbackSavepoint, *plan.ReleaseSavepoint:
			return n, transform.SameTree, nil
		}
		return nil, transform.SameTree, mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState, "%s", storage.ErrFollower.Error())
	}
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
