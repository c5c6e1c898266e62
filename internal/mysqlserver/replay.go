package mysqlserver

import (
	"context"
	"maps"
	"strings"
	"time"

	"math/rand/v2"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/guocedb/guocedb/internal/metrics"
)

// maxReplayStatements bounds the statements a transaction may hold and
// still be replayed.
const maxReplayStatements = 16

// txnLog is what a connection's open transaction did so far, kept while
// it may still be replayed at COMMIT.
//
// A transaction is replayable when it began with BEGIN or START
// TRANSACTION and then ran only INSERT, UPDATE, DELETE or REPLACE
// statements that succeeded with an OK result (no rows). That is the shape
// ORMs give every write (GORM wraps each Create, Update and Delete in
// one). When its COMMIT fails with 1213, the client has seen nothing but
// those OK results, so running the statements again in a new transaction
// and committing is indistinguishable from MySQL waiting on the row lock,
// provided every OK result (affected rows, insert id, info) comes out the
// same. Otherwise the replay is rolled back and the client gets the 1213.
type txnLog struct {
	begin string
	stmts []loggedStmt
	// broken is set once the transaction ran anything else.
	broken bool
}

type loggedStmt struct {
	text    string
	prepare *mysql.PrepareData // nil for a text query
	result  okPacket
}

// okPacket is what a client sees of an OK packet.
type okPacket struct {
	affected, insertID uint64
	info               string
}

// runStatement runs one client statement: exec hands it to
// go-mysql-server, send delivers results to the client. It adds the
// autocommit retry (conflictGate) and the transaction replay. executed
// returns the text of the statement that ran (a multi-statement query runs
// its first statement). cmd is the statement's command (stmtclass.go).
func (h *handler) runStatement(ctx context.Context, c *mysql.Conn, text string, cmd metrics.Command, prepare *mysql.PrepareData,
	exec func(mysql.ResultSpoolFn) error, send mysql.ResultSpoolFn, executed func() string) error {
	kind := replayKind(cmd, text)
	var res okPacket
	var rows bool
	err := h.gate.run(ctx, c, kind, func(sent *bool) error {
		return exec(func(r *sqltypes.Result, more bool) error {
			*sent = true
			rows = rows || len(r.Fields) > 0 || len(r.Rows) > 0
			res = okPacket{affected: r.RowsAffected, insertID: r.InsertID, info: r.Info}
			return send(r, more)
		})
	})

	h.mu.Lock()
	log := h.txns[c]
	switch {
	case kind == kindBegin:
		if err == nil && c.StatusFlags&mysql.ServerInTransaction != 0 {
			h.txns[c] = &txnLog{begin: text}
		} else {
			delete(h.txns, c)
		}
	case log == nil:
	case kind == kindDML && err == nil && !rows && len(log.stmts) < maxReplayStatements && replayable(text):
		var p *mysql.PrepareData
		if prepare != nil {
			cp := *prepare
			cp.BindVars = maps.Clone(prepare.BindVars)
			p = &cp
		}
		log.stmts = append(log.stmts, loggedStmt{text: executed(), prepare: p, result: res})
	case kind == kindCommit:
		delete(h.txns, c)
		h.mu.Unlock()
		if isConflict(err) && !log.broken && len(log.stmts) > 0 && !moreStatements(text) {
			return h.replay(ctx, c, log, err, send)
		}
		return err
	case kind == kindRollback:
		delete(h.txns, c)
	default:
		log.broken = true
	}
	h.mu.Unlock()
	return err
}

// replay runs log's transaction again after its COMMIT failed with
// conflict, a bounded number of times. With row locks a COMMIT fails with
// 1213 only for a write no lock covers (see conflictGate); the replay's
// statements lock their rows like any others. It returns nil once a replay committed with the same results, and
// conflict when the results differ or the replays keep conflicting. send
// gets the OK result of the COMMIT that succeeded.
func (h *handler) replay(ctx context.Context, c *mysql.Conn, log *txnLog, conflict error, send mysql.ResultSpoolFn) error {
	discard := func(*sqltypes.Result, bool) error { return nil }
	for attempt := 1; attempt <= conflictRetries; attempt++ {
		if err := h.Handler.ComQuery(ctx, c, log.begin, discard); err != nil {
			return conflict
		}
		for _, s := range log.stmts {
			var got okPacket
			var rows bool
			capture := func(r *sqltypes.Result) error {
				rows = rows || len(r.Fields) > 0 || len(r.Rows) > 0
				got = okPacket{affected: r.RowsAffected, insertID: r.InsertID, info: r.Info}
				return nil
			}
			var err error
			if s.prepare != nil {
				p := *s.prepare
				p.BindVars = maps.Clone(s.prepare.BindVars)
				h.noteExecuteDatabase(c, &p)
				err = h.Handler.ComStmtExecute(ctx, c, &p, capture)
			} else {
				err = h.Handler.ComQuery(ctx, c, s.text, func(r *sqltypes.Result, _ bool) error { return capture(r) })
			}
			if err != nil || rows || got != s.result {
				_ = h.Handler.ComQuery(ctx, c, "ROLLBACK", discard)
				return conflict
			}
		}
		var ok *sqltypes.Result
		err := h.Handler.ComQuery(ctx, c, "COMMIT", func(r *sqltypes.Result, _ bool) error {
			ok = r
			return nil
		})
		if err == nil && ok != nil {
			return send(ok, false)
		}
		if err == nil {
			return conflict
		}
		if !isConflict(err) {
			return err
		}
		pause := time.Duration(rand.IntN(attempt*1000+1)) * time.Microsecond
		select {
		case <-ctx.Done():
			return conflict
		case <-time.After(pause):
		}
	}
	return conflict
}

// moreStatements reports whether a multi-statement query has statements
// after its first; a COMMIT followed by more is not replayed (its result
// would have to announce them).
func moreStatements(q string) bool {
	i := strings.IndexByte(q, ';')
	return i >= 0 && strings.TrimSpace(q[i+1:]) != ""
}

// untracked marks the open transaction of c unreplayable: it ran a
// statement the replay does not see.
func (h *handler) untracked(c *mysql.Conn) {
	h.mu.Lock()
	if l := h.txns[c]; l != nil {
		l.broken = true
	}
	h.mu.Unlock()
}

// forget drops the transaction log of a connection that closed or reset.
func (h *handler) forget(c *mysql.Conn) {
	h.mu.Lock()
	delete(h.txns, c)
	h.mu.Unlock()
}

type stmtKind int

const (
	kindOther stmtKind = iota
	kindBegin
	kindCommit
	kindRollback
	kindDML
)

// classify tells the statements the replay tracks apart. Variants it does
// not replay through (COMMIT AND CHAIN, ROLLBACK TO SAVEPOINT, ...) are
// kindOther and make the transaction unreplayable.
func classify(q string) stmtKind {
	words := leadingWords(q, 3)
	if len(words) == 0 {
		return kindOther
	}
	first := strings.ToUpper(words[0])
	switch {
	case first == "INSERT" || first == "UPDATE" || first == "DELETE" || first == "REPLACE":
		return kindDML
	case first == "BEGIN" && (len(words) == 1 || len(words) == 2 && strings.EqualFold(words[1], "WORK")):
		return kindBegin
	case first == "START" && len(words) >= 2 && strings.EqualFold(words[1], "TRANSACTION"):
		return kindBegin
	case first == "COMMIT" && (len(words) == 1 || len(words) == 2 && strings.EqualFold(words[1], "WORK")):
		return kindCommit
	case first == "ROLLBACK" && (len(words) == 1 || len(words) == 2 && strings.EqualFold(words[1], "WORK")):
		return kindRollback
	}
	return kindOther
}

// replayable rules out DML whose second run would change more than its
// transaction: user variable assignments and named locks.
func replayable(q string) bool {
	return !strings.Contains(q, "@") && !containsFold(q, "get_lock") && !containsFold(q, "release_") &&
		!containsFold(q, "sleep")
}

// leadingWords returns up to n words of q before the first character that
// is neither a word, white space, a comment nor an opening parenthesis;
// the words of START TRANSACTION READ ONLY and the like.
func leadingWords(q string, n int) []string {
	var words []string
	for i := 0; i < len(q) && len(words) < n; {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '(':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- "):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*") && !strings.HasPrefix(q[i:], "/*!"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return words
			}
			i += end + 4
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			words = append(words, q[i:j])
			i = j
		default:
			if c == ';' {
				return words
			}
			// Something else follows: the statement has more than
			// leading words (BEGIN must stand alone to count).
			return append(words, q[i:i+1])
		}
	}
	return words
}
