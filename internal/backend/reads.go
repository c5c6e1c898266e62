package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// Read consistency of a cluster member (README "Reads on a cluster").
const (
	// ReadLinearizable: a transaction's snapshot includes every commit
	// acknowledged before it began, on any node (a read index from the
	// leader first).
	ReadLinearizable = "linearizable"
	// ReadStale: the node's own data, refused once the node has not
	// heard from a leader for guocedb_max_staleness seconds.
	ReadStale = "stale"
	// DefaultMaxStaleness is guocedb_max_staleness's default.
	DefaultMaxStaleness = 10 * time.Second
)

var readVariablesOnce sync.Once

// registerReadVariables adds guocedb_read_consistency and
// guocedb_max_staleness (session and global).
func registerReadVariables() {
	readVariablesOnce.Do(func() {
		sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{
			&sql.MysqlSystemVariable{
				Name:    "guocedb_read_consistency",
				Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
				Dynamic: true,
				Type:    types.NewSystemEnumType("guocedb_read_consistency", ReadLinearizable, ReadStale),
				Default: ReadLinearizable,
			},
			&sql.MysqlSystemVariable{
				Name:    "guocedb_max_staleness",
				Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
				Dynamic: true,
				Type:    types.NewSystemIntType("guocedb_max_staleness", 1, 31536000, false),
				Default: int64(DefaultMaxStaleness / time.Second),
			},
		})
	})
}

// armReadBarrier makes t's first read of table data (on a cluster member)
// wait for readBarrier and then take a fresh snapshot. Not at the start of
// the transaction: go-mysql-server starts one for every statement (SET,
// SHOW, ...), and a member cut off from its leader must still take those.
func (s *Session) armReadBarrier(t *Transaction) {
	if !s.store.Clustered() {
		return
	}
	t.barrierMu.Lock()
	t.barrier = s.readBarrier
	t.barrierMu.Unlock()
}

// beforeRead runs t's pending read barrier, once.
func (t *Transaction) beforeRead(ctx *sql.Context) error {
	t.barrierMu.Lock()
	defer t.barrierMu.Unlock()
	if t.barrier == nil {
		return nil
	}
	if err := t.barrier(ctx); err != nil {
		return err
	}
	t.barrier = nil
	t.txn.Refresh()
	return nil
}

// readBarrier makes a new transaction of a cluster member read what the
// session's read consistency asks for; nothing on a single node.
func (s *Session) readBarrier(ctx *sql.Context) error {
	if !s.store.Clustered() {
		return nil
	}
	if strings.EqualFold(sessionString(ctx, "guocedb_read_consistency"), ReadStale) {
		limit := DefaultMaxStaleness
		if v, err := ctx.GetSessionVariable(ctx, "guocedb_max_staleness"); err == nil {
			if n, ok := v.(int64); ok {
				limit = time.Duration(n) * time.Second
			}
		}
		if since := s.store.SinceLeaderContact(); since > limit {
			return errReadRefused(fmt.Sprintf("this node has not heard from a leader for longer than guocedb_max_staleness (%s)", limit))
		}
		return nil
	}
	err := s.store.ReadBarrier(context.WithoutCancel(ctx))
	if errors.Is(err, raftlog.ErrNoLeader) {
		return errReadRefused("no leader confirmed a linearizable read (this node cannot reach a majority); SET guocedb_read_consistency = 'stale' reads this node's data")
	}
	return err
}

func sessionString(ctx *sql.Context, name string) string {
	v, err := ctx.GetSessionVariable(ctx, name)
	if err != nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

// errReadRefused is MySQL's ER_OPTION_PREVENTS_STATEMENT, as for writes
// on a follower.
func errReadRefused(why string) error {
	return mysql.NewSQLError(mysql.EROptionPreventsStatement, "HY000", "The guocedb server cannot serve this read: %s", why)
}
