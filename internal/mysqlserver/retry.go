package mysqlserver

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/dolthub/vitess/go/mysql"
)

// conflictRetries bounds how often one autocommit statement is run again
// after a write-write conflict.
const conflictRetries = 10

// conflictGate re-runs an autocommit INSERT, UPDATE, DELETE or REPLACE
// that failed with 1213 before any result reached the client, a bounded
// number of times. The zero value is ready.
//
// Why it is still here, now that rows are locked (issue 10): a 1213 is no
// longer the loser of an optimistic race on a row, but it can still come
// from (1) a deadlock whose victim is an autocommit statement, (2) a
// write-write conflict at commit on a key no lock covers (catalog and DDL
// commits), (3) an editor that finds a row changed after a statement that
// does not lock (a trigger body, a stored procedure) read it. Each time the
// statement's transaction is rolled back and wrote nothing, so running it
// again is invisible to the client, while MySQL applications and ORMs do
// not retry a single statement. InnoDB does not retry (1) either; this is
// a convenience, not a guarantee.
//
// Why it no longer serialises re-runs (it held an exclusive lock around
// them, shared by every other DML and COMMIT): a re-run now waits for row
// locks, and an exclusive gate held while waiting for a row whose holder
// needs the gate to COMMIT would stall both until the lock wait timeout.
// Row locks serialise what the gate did.
type conflictGate struct{}

// run runs one statement of kind (classify) through run, again after a
// 1213 as conflictGate says. run gets a flag to set once it has handed a
// result to the client. A statement of an explicit transaction is never
// re-run (its client must retry the whole transaction): the status flags
// go-mysql-server sets after every successful statement must not show an
// open transaction.
func (g *conflictGate) run(ctx context.Context, c *mysql.Conn, kind stmtKind, run func(sent *bool) error) error {
	var sent bool
	if kind != kindDML || !inAutocommit(c) {
		return run(&sent)
	}
	err := run(&sent)
	for attempt := 1; attempt <= conflictRetries; attempt++ {
		if err == nil || sent || !isConflict(err) {
			return err
		}
		pause := time.Duration(rand.IntN(attempt*1000+1)) * time.Microsecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		err = run(&sent)
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
