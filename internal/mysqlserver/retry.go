package mysqlserver

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dolthub/vitess/go/mysql"
)

// conflictRetries bounds how often one autocommit statement is run again
// after a write-write conflict.
const conflictRetries = 10

// conflictGate lets autocommit DML statements and COMMITs run side by side
// (shared), and a statement or transaction re-run after a write-write
// conflict run alone among them (exclusive), so that the re-run cannot
// lose the same race again: busy rows would otherwise starve it. Only DDL
// commits outside the gate. The zero value is ready.
type conflictGate struct{ mu sync.RWMutex }

// run runs one statement of kind (classify) through run and, when it is an autocommit INSERT,
// UPDATE, DELETE or REPLACE that failed with 1213 at commit before any
// result reached the client, runs it again with the gate held exclusively
// (a bounded number of times: explicit transactions still commit
// meanwhile).
//
// Why: guocedb's transactions are optimistic, so two autocommit updates of
// one row race and the later commit fails. MySQL serialises them on the
// row lock and both succeed; applications and ORMs do not retry a single
// statement. A failed commit wrote nothing (storage commits atomically), so
// running the statement again is what MySQL's lock wait amounts to.
//
// Only the commit of a statement's own transaction can fail with 1213
// (guocedb detects conflicts at commit), so a DML statement failing with it
// ran in autocommit. As a second guard the status flags go-mysql-server
// sets after every successful statement must not show an open
// transaction: a statement of an explicit transaction is never re-run (its
// client must retry the whole transaction).
//
// run gets a flag to set once it has handed a result to the client.
func (g *conflictGate) run(ctx context.Context, c *mysql.Conn, kind stmtKind, run func(sent *bool) error) error {
	var sent bool
	if kind == kindCommit {
		g.mu.RLock()
		defer g.mu.RUnlock()
		return run(&sent)
	}
	if kind != kindDML || !inAutocommit(c) {
		return run(&sent)
	}
	g.mu.RLock()
	err := run(&sent)
	g.mu.RUnlock()
	if err == nil || sent || !isConflict(err) {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for attempt := 1; attempt <= conflictRetries; attempt++ {
		err = run(&sent)
		if err == nil || sent || !isConflict(err) {
			return err
		}
		pause := time.Duration(rand.IntN(attempt*1000+1)) * time.Microsecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
	return err
}

func isConflict(err error) bool {
	var se *mysql.SQLError
	return errors.As(err, &se) && se.Num == mysql.ERLockDeadlock
}

// inAutocommit reports whether the connection had no open transaction
// after its last successful statement (a new connection has none).
func inAutocommit(c *mysql.Conn) bool {
	return c.StatusFlags&mysql.ServerInTransaction == 0
}
