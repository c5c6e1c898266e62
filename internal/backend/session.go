package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/storage"
)

// Transaction is a storage transaction seen by go-mysql-server. It is owned
// by one session and used by one statement at a time.
type Transaction struct {
	txn *storage.Txn
	// barrier, when set, runs before the first read of table data (a
	// cluster member's read consistency, reads.go).
	barrierMu sync.Mutex
	barrier   func(*sql.Context) error
	readOnly  bool
	// readCommitted: each statement reads the latest commits (READ
	// COMMITTED, READ UNCOMMITTED) as long as the transaction has not
	// written; otherwise one snapshot for the whole transaction.
	readCommitted bool
	savepoints    []namedSavepoint

	// Statement atomicity: the write buffer as it was when the outermost
	// table editor of the running statement began.
	stmtDepth int
	stmtStart storage.Savepoint
	// readView is what reads see while a statement runs: the writes as of
	// the last time an editor began or completed. A statement so never
	// reads its own in-progress changes (UPDATE ... JOIN updates each row
	// once), while trigger bodies see what earlier sub-statements did.
	readView storage.Savepoint

	// counted are the tables this transaction wrote a row count delta
	// for, with the delta's key (rowcount.go).
	counted []countedTable
}

type namedSavepoint struct {
	name string
	sp   storage.Savepoint
}

var _ sql.Transaction = (*Transaction)(nil)

// String implements sql.Transaction.
func (t *Transaction) String() string { return fmt.Sprintf("guocedb txn @%d", t.txn.ReadTs()) }

// IsReadOnly implements sql.Transaction.
func (t *Transaction) IsReadOnly() bool { return t.readOnly }

func (t *Transaction) statementBegin() {
	t.readView = t.txn.Savepoint()
	if t.stmtDepth == 0 {
		t.stmtStart = t.readView
	}
	t.stmtDepth++
}

// view is what reads of the running statement see: the transaction as it
// was when the statement began, or nil (everything) outside statements.
func (t *Transaction) view() *storage.Savepoint {
	if t.stmtDepth > 0 {
		return &t.readView
	}
	return nil
}

func (t *Transaction) statementDiscard() {
	if t.stmtDepth > 0 {
		t.txn.RollbackTo(t.stmtStart)
	}
}

func (t *Transaction) statementComplete() {
	if t.stmtDepth > 0 {
		t.stmtDepth--
		t.readView = t.txn.Savepoint()
	}
}

// Session is a client session with transactions over the store. It also
// owns the session's temporary tables: their rows live in the store under
// table ids that no catalog record names, and are deleted when the session
// ends (or, after a crash, at the next start).
type Session struct {
	*sql.BaseSession
	store *storage.Store
	p     *Provider

	tempMu sync.Mutex
	temp   map[string]*tableState // lower(db) \x00 lower(name)

	// started are the transactions begun since the last command started.
	// go-mysql-server drops an autocommit transaction without rolling it
	// back when a statement fails to parse or plan; at the next command
	// every one it no longer holds is discarded (a no-op for finished
	// ones), or its snapshot would pin old versions forever. Only between
	// commands is that safe: inside one (a CALL) several transactions can be
	// in use at once.
	started []*Transaction

	// rows counts the table rows read and written (sessionrows.go).
	rows rowCounts

	// wireEncodes: see SetWireEncodesResults (results_charset.go).
	wireEncodes bool

	// stmtDB: see SetStatementDatabase (statement_database.go).
	stmtDB atomic.Pointer[string]
	// routineDB: see SetRoutineDatabase (statement_database.go).
	routineDB atomic.Pointer[string]
	// stmtLock: see SetStatementLock (locking.go).
	stmtLock atomic.Pointer[StatementLock]

	// varsGen: see VarsGeneration (isolation.go).
	varsGen atomic.Uint64
	// memo is what the SQL layer derived from the variables at
	// generation memoGen (VarsMemo).
	memoMu  sync.Mutex
	memoGen uint64
	memo    any
}

// VarsMemo returns what the SQL layer keeps derived from the session's
// variables, if they did not change since it was stored.
func (s *Session) VarsMemo() (any, bool) {
	gen := s.varsGen.Load()
	s.memoMu.Lock()
	defer s.memoMu.Unlock()
	if s.memo == nil || s.memoGen != gen {
		return nil, false
	}
	return s.memo, true
}

// SetVarsMemo stores v as derived from the variables at generation gen
// (read with VarsGeneration before deriving it).
func (s *Session) SetVarsMemo(gen uint64, v any) {
	s.memoMu.Lock()
	s.memoGen, s.memo = gen, v
	s.memoMu.Unlock()
}

var (
	_ sql.TransactionSession    = (*Session)(nil)
	_ sql.LifecycleAwareSession = (*Session)(nil)
)

// NewSession wraps a base session.
func NewSession(base *sql.BaseSession, p *Provider) *Session {
	return &Session{BaseSession: base, store: p.store, p: p, temp: map[string]*tableState{}}
}

func tempKey(db, name string) string { return strings.ToLower(db) + "\x00" + strings.ToLower(name) }

func (s *Session) tempTable(db, name string) *tableState {
	s.tempMu.Lock()
	defer s.tempMu.Unlock()
	return s.temp[tempKey(db, name)]
}

func (s *Session) setTempTable(db, name string, st *tableState) {
	s.tempMu.Lock()
	defer s.tempMu.Unlock()
	if st == nil {
		delete(s.temp, tempKey(db, name))
		return
	}
	s.temp[tempKey(db, name)] = st
}

// HasTempTables reports whether the session has a temporary table: it
// may hide a permanent table of the same name.
func (s *Session) HasTempTables() bool {
	s.tempMu.Lock()
	defer s.tempMu.Unlock()
	return len(s.temp) > 0
}

func (s *Session) tempTables(db string) []*tableState {
	s.tempMu.Lock()
	defer s.tempMu.Unlock()
	var out []*tableState
	for k, st := range s.temp {
		if strings.HasPrefix(k, strings.ToLower(db)+"\x00") {
			out = append(out, st)
		}
	}
	return out
}

// StartTransaction implements sql.TransactionSession.
func (s *Session) StartTransaction(ctx *sql.Context, tc sql.TransactionCharacteristic) (sql.Transaction, error) {
	t := &Transaction{
		txn:           s.store.Begin(),
		readOnly:      tc == sql.ReadOnly || (s.sessionReadOnly(ctx) && !explicitReadWrite(ctx)),
		readCommitted: s.readCommitted(ctx),
	}
	s.armReadBarrier(t)
	s.started = append(s.started, t)
	return t, nil
}

// CommitTransaction implements sql.TransactionSession. A write-write
// conflict becomes MySQL error 1213 (SQLSTATE 40001): the client retries.
func (s *Session) CommitTransaction(ctx *sql.Context, tx sql.Transaction) error {
	t, err := asTransaction(tx)
	if err != nil {
		return err
	}
	err = t.txn.Commit(ctx)
	if errors.Is(err, storage.ErrTxnDone) {
		// Already committed or rolled back (a failed commit finishes the
		// transaction too); the engine may ask again, e.g. on BEGIN.
		return nil
	}
	if errors.Is(err, storage.ErrConflict) {
		return sql.ErrLockDeadlock.New("a concurrent transaction committed a change to the same rows")
	}
	if err == nil {
		t.committed(s.p.catalog)
	}
	return err
}

// Rollback implements sql.TransactionSession.
func (s *Session) Rollback(_ *sql.Context, tx sql.Transaction) error {
	if t, ok := tx.(*Transaction); ok {
		t.txn.Discard()
	}
	return nil
}

// CreateSavepoint implements sql.TransactionSession.
func (s *Session) CreateSavepoint(_ *sql.Context, tx sql.Transaction, name string) error {
	t, err := asTransaction(tx)
	if err != nil {
		return err
	}
	t.dropSavepoint(name)
	t.savepoints = append(t.savepoints, namedSavepoint{name: name, sp: t.txn.Savepoint()})
	return nil
}

func (t *Transaction) findSavepoint(name string) int {
	for i := len(t.savepoints) - 1; i >= 0; i-- {
		if strings.EqualFold(t.savepoints[i].name, name) {
			return i
		}
	}
	return -1
}

func (t *Transaction) dropSavepoint(name string) bool {
	i := t.findSavepoint(name)
	if i < 0 {
		return false
	}
	t.savepoints = append(t.savepoints[:i], t.savepoints[i+1:]...)
	return true
}

// namedSavepointOf returns the transaction and the index of its savepoint
// name, or MySQL's "SAVEPOINT does not exist" (1305).
func namedSavepointOf(tx sql.Transaction, name string) (*Transaction, int, error) {
	t, err := asTransaction(tx)
	if err != nil {
		return nil, 0, err
	}
	i := t.findSavepoint(name)
	if i < 0 {
		return nil, 0, sql.ErrSavepointDoesNotExist.New(name)
	}
	return t, i, nil
}

func asTransaction(tx sql.Transaction) (*Transaction, error) {
	t, ok := tx.(*Transaction)
	if !ok {
		return nil, fmt.Errorf("unexpected transaction type %T", tx)
	}
	return t, nil
}

// RollbackToSavepoint implements sql.TransactionSession. Savepoints set
// after the named one are released, as in MySQL.
func (s *Session) RollbackToSavepoint(_ *sql.Context, tx sql.Transaction, name string) error {
	t, i, err := namedSavepointOf(tx, name)
	if err != nil {
		return err
	}
	t.txn.RollbackTo(t.savepoints[i].sp)
	t.savepoints = t.savepoints[:i+1]
	return nil
}

// ReleaseSavepoint implements sql.TransactionSession.
func (s *Session) ReleaseSavepoint(_ *sql.Context, tx sql.Transaction, name string) error {
	t, i, err := namedSavepointOf(tx, name)
	if err != nil {
		return err
	}
	t.savepoints = t.savepoints[:i]
	return nil
}

// CommandBegin implements sql.LifecycleAwareSession: it releases the
// transactions the engine dropped (see Session.started).
func (s *Session) CommandBegin() error {
	held, _ := s.GetTransaction().(*Transaction)
	if held != nil && held.txn.Finished() {
		// A commit that failed with 1213 finished the transaction, but
		// go-mysql-server keeps it as the session's transaction (and after
		// a failed COMMIT stays in explicit-transaction mode): every later
		// statement would fail with "transaction already finished". As in
		// MySQL, the failed transaction is over and the session goes on
		// in autocommit.
		s.SetTransaction(nil)
		s.SetIgnoreAutoCommit(false)
		held = nil
	}
	if held != nil && held.readCommitted {
		held.txn.Refresh()
		s.armReadBarrier(held)
	}
	kept := s.started[:0]
	for _, t := range s.started {
		if t == held {
			kept = append(kept, t)
			continue
		}
		t.txn.Discard()
	}
	clear(s.started[len(kept):])
	s.started = kept
	return nil
}

// CommandEnd implements sql.LifecycleAwareSession: the statement's
// database (SetStatementDatabase) ends with the command.
func (s *Session) CommandEnd() {
	s.stmtDB.Store(nil)
	s.stmtLock.Store(nil)
}

// SessionEnd implements sql.LifecycleAwareSession: a closed connection
// rolls back its open transaction.
func (s *Session) SessionEnd() {
	if t, ok := s.GetTransaction().(*Transaction); ok && t != nil {
		t.txn.Discard()
	}
	for _, t := range s.started {
		t.txn.Discard()
	}
	s.started = nil
	s.tempMu.Lock()
	defer s.tempMu.Unlock()
	for k, st := range s.temp {
		s.p.catalog.abandonTableID(st.def.ID)
		delete(s.temp, k)
	}
}

// sessionOf returns the guocedb session of ctx, or nil.
func sessionOf(ctx *sql.Context) *Session {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Session.(*Session)
	return s
}

// transaction returns the statement's transaction, starting one if the
// engine has not (internal paths such as harness setup).
func transaction(ctx *sql.Context, store *storage.Store) (*Transaction, error) {
	if t, ok := ctx.GetTransaction().(*Transaction); ok && t != nil {
		return t, nil
	}
	if ts, ok := ctx.Session.(sql.TransactionSession); ok {
		tx, err := ts.StartTransaction(ctx, sql.ReadWrite)
		if err != nil {
			return nil, err
		}
		ctx.SetTransaction(tx)
		return tx.(*Transaction), nil
	}
	return nil, fmt.Errorf("session %T cannot hold guocedb transactions", ctx.Session)
}

// commitCtx adapts a sql.Context for storage calls.
func commitCtx(ctx *sql.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
