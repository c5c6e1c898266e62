package backend

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/lockmgr"
)

// Row locks (issue 10; internal/lockmgr and storage/locking.go).
//
// Which keys: the row key (primary key or hidden row id) of every row a
// locking read returns or DML changes, and the key of a UNIQUE index entry
// without NULLs (the unique value) that an INSERT or UPDATE writes or an
// UPDATE or DELETE removes, so two inserts of one value wait for each
// other. Non-unique index entries carry the primary key and are covered
// by the row lock. No gap locks: phantoms (docs/compatibility.md).
//
// Where: locking reads and the rows UPDATE and DELETE scan in their target
// tables lock in the scan (scanIter.locked), before the row is returned,
// and read it again with a current read. Editors lock what they write;
// a row an editor locks first (not scanned by a locking scan: trigger
// bodies, stored procedures, the source of INSERT ... SELECT) is compared
// with its current version, and a changed one fails with 1213 as the
// optimistic path did, rather than being overwritten.

// LockWait is what a locking read does with a row another transaction
// has locked.
type LockWait uint8

// Lock wait policies.
const (
	// WaitBlock waits up to innodb_lock_wait_timeout.
	WaitBlock LockWait = iota
	// WaitNoWait (NOWAIT) fails at once with 3572.
	WaitNoWait
	// WaitSkipLocked (SKIP LOCKED) leaves the row out.
	WaitSkipLocked
)

// StatementLock says which rows the running statement locks as it reads
// them: its locking clause, or the target tables of UPDATE and DELETE.
// The wire layer sets it once per statement from the parsed statement.
type StatementLock struct {
	Mode lockmgr.Mode
	Wait LockWait
	// Tables are the lower-case names of the tables whose rows are
	// locked; empty means every table the statement reads.
	Tables []string
}

func (l *StatementLock) covers(table string) bool {
	if l == nil || l.Mode == 0 {
		return false
	}
	if len(l.Tables) == 0 {
		return true
	}
	for _, t := range l.Tables {
		if strings.EqualFold(t, table) {
			return true
		}
	}
	return false
}

// SetStatementLock sets the running statement's locking (nil: none). It
// ends with the command (CommandEnd).
func (s *Session) SetStatementLock(l *StatementLock) { s.stmtLock.Store(l) }

func (s *Session) statementLock() *StatementLock { return s.stmtLock.Load() }

// StatementLocks reports whether the running statement locks rows as it
// reads (a locking clause, UPDATE, DELETE): a cluster follower forwards
// such a statement to the leader, which holds the lock table.
func (s *Session) StatementLocks() bool { return s.statementLock() != nil }

// DefaultLockWaitTimeout is innodb_lock_wait_timeout's default, InnoDB's.
const DefaultLockWaitTimeout = 50 * time.Second

var lockVariablesOnce sync.Once

// registerLockVariables replaces go-mysql-server's innodb_lock_wait_timeout
// (global only, fixed at 1) with InnoDB's: session and global, 1 to
// 1073741824 seconds, default 50. Process-wide, as every go-mysql-server
// variable.
func registerLockVariables() {
	lockVariablesOnce.Do(func() {
		sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{&sql.MysqlSystemVariable{
			Name:    "innodb_lock_wait_timeout",
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Dynamic: true,
			Type:    types.NewSystemIntType("innodb_lock_wait_timeout", 1, 1073741824, false),
			Default: int64(DefaultLockWaitTimeout / time.Second),
		}})
	})
}

func lockWaitTimeout(ctx *sql.Context) time.Duration {
	v, err := ctx.GetSessionVariable(ctx, "innodb_lock_wait_timeout")
	if err != nil {
		return DefaultLockWaitTimeout
	}
	switch n := v.(type) {
	case int64:
		return time.Duration(n) * time.Second
	case int32:
		return time.Duration(n) * time.Second
	case int:
		return time.Duration(n) * time.Second
	case uint64:
		return time.Duration(n) * time.Second
	}
	return DefaultLockWaitTimeout
}

// MySQL's lock errors.
var (
	errLockWaitTimeout = func() error {
		return mysql.NewSQLError(mysql.ERLockWaitTimeout, mysql.SSUnknownSQLState, "Lock wait timeout exceeded; try restarting transaction")
	}
	errDeadlock = func() error {
		return mysql.NewSQLError(mysql.ERLockDeadlock, mysql.SSLockDeadlock, "Deadlock found when trying to get lock; try restarting transaction")
	}
	errLockNoWait = func() error {
		return mysql.NewSQLError(ERLockNowait, mysql.SSUnknownSQLState, "Statement aborted because lock(s) could not be acquired immediately and NOWAIT is set.")
	}
	errLockTableFull = func() error {
		return mysql.NewSQLError(mysql.ERLockTableFull, mysql.SSUnknownSQLState, "The total number of locks exceeds the lock table size")
	}
)

// ERLockNowait is MySQL 8's ER_LOCK_NOWAIT, which vitess does not name.
const ERLockNowait = 3572

// errSkipRow is lock's answer to a SKIP LOCKED read of a locked row.
var errSkipRow = errors.New("row is locked: skipped")

// lock takes a row lock for the transaction. A deadlock victim's whole
// transaction is rolled back at once (InnoDB's behaviour, and its locks
// must go so that the others proceed); a timeout fails the statement
// only, whose changes the engine discards.
func (t *Transaction) lock(ctx *sql.Context, key []byte, mode lockmgr.Mode, wait LockWait) error {
	w := lockmgr.Wait{NoWait: wait != WaitBlock, Info: LockOwner{ConnID: ctx.Session.ID()}}
	if wait == WaitBlock {
		w.Timeout = lockWaitTimeout(ctx)
	}
	err := t.txn.Lock(ctx, key, mode, w)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lockmgr.ErrWouldBlock):
		if wait == WaitSkipLocked {
			return errSkipRow
		}
		return errLockNoWait()
	case errors.Is(err, lockmgr.ErrLockWaitTimeout):
		return errLockWaitTimeout()
	case errors.Is(err, lockmgr.ErrDeadlock):
		t.txn.Discard()
		return errDeadlock()
	case errors.Is(err, lockmgr.ErrTooManyLocks):
		return errLockTableFull()
	}
	return err
}

// LockOwner is what the lock table knows of a transaction's connection
// (lockmgr.Wait.Info).
type LockOwner struct {
	// ConnID is the connection id (CONNECTION_ID(), the process list's).
	ConnID uint32
}

func (o LockOwner) String() string { return fmt.Sprintf("MySQL thread id %d", o.ConnID) }

// lockForWrite locks key exclusively for an editor. Temporary tables are
// private to their session and need none.
func (e *editor) lockForWrite(ctx *sql.Context, key []byte) error {
	if e.t.temp != nil {
		return nil
	}
	return e.tx.lock(ctx, key, lockmgr.Exclusive, WaitBlock)
}

// lockRow locks the row an UPDATE or DELETE changes. A row the statement's
// scan did not lock was read from the snapshot: if an UPDATE's row (old
// non-nil) changed since, the write would overwrite a commit it never
// saw, so it fails with 1213 (the client restarts the transaction)
// instead. A DELETE is not compared: deleting a changed row loses
// nothing, and the engine deletes some rows by key with made-up values
// (the FULLTEXT editor's word counts).
func (e *editor) lockRow(ctx *sql.Context, rk []byte, old sql.Row) error {
	if e.t.temp != nil {
		return nil
	}
	if e.tx.txn.Holds(rk) {
		return nil
	}
	if err := e.lockForWrite(ctx, rk); err != nil || old == nil {
		return err
	}
	cur, ok, err := e.tx.txn.GetCurrent(nil, rk)
	if err != nil || !ok {
		return err
	}
	enc, err := codec.EncodeRow(nil, e.t.st.schema, old)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, enc) {
		if mine, _, err := e.tx.txn.GetCurrent(e.tx.view(), rk); err == nil && bytes.Equal(mine, enc) {
			return nil // changed by this statement (a trigger, an earlier row)
		}
		return sql.ErrLockDeadlock.New("a concurrent transaction changed the row after this statement read it")
	}
	return nil
}

// lockUniqueEntries locks the unique-value entries of row (those without
// NULLs) that a write adds or removes.
func (e *editor) lockUniqueEntries(ctx *sql.Context, row sql.Row, pk []byte) error {
	if e.t.temp != nil {
		return nil
	}
	for _, ix := range e.t.st.indexes {
		if !ix.def.Unique {
			continue
		}
		k, unique, err := e.t.st.indexKey(ix, row, pk)
		if err != nil {
			return err
		}
		if unique {
			if err := e.lockForWrite(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}
