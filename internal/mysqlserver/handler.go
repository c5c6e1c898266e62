package mysqlserver

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/metrics"
)

// handler wraps go-mysql-server's wire handler. It maps errors to MySQL
// codes (mapError), and it fences the store during shutdown: every command
// runs inside the gate, and once the gate closes no command starts, so no
// connection can reach storage after Shutdown returned.
type handler struct {
	mysql.Handler

	mu      sync.Mutex
	closing bool
	running sync.WaitGroup
	// conns are the open client connections; the value says whether the
	// connection's session is in go-mysql-server's process list under its
	// user (see ready).
	conns map[*mysql.Conn]bool

	// connectionExists reports whether a connection id is open (for KILL).
	connectionExists func(id uint32) bool
	// floatScale returns a FLOAT(M,D) column's D (see fields.go).
	floatScale func(db, table, column string) (int, bool)
	// aliases are the table aliases of each connection's statement
	// (table_aliases.go).
	aliases *aliasBook

	gate conflictGate
	// txns holds the replayable transactions of connections (replay.go),
	// under mu.
	txns map[*mysql.Conn]*txnLog

	// obs counts connections and statements (metrics.go).
	obs *observer
	// preparedStmt returns the AST go-mysql-server cached for a prepared
	// statement of a session (statement_database.go).
	preparedStmt func(sessionID uint32, query string) (ast.Statement, bool)
	// cacheStmt replaces that AST, procParams reads a procedure's
	// parameters (prepared_out_params.go).
	cacheStmt  func(sessionID uint32, query string, stmt ast.Statement)
	procParams procedureParams
	// users checks the password of a COM_CHANGE_USER (com_change_user.go).
	users interface {
		ValidateHash(salt []byte, user string, authResponse []byte, addr net.Addr) (mysql.Getter, error)
	}
	// functions answers CREATE/DROP/SHOW CREATE FUNCTION
	// (stored_functions.go); nil in handlers built without an engine.
	functions *storedFunctions
	// plans is the plan cache of prepared and text statements
	// (plancache.go, plancache_text.go); nil when off.
	plans *planCache
	// parser is the engine's parser (lockingParser).
	parser sql.Parser
	// engine runs cached point lookups (plancache_spool.go).
	engine *sqle.Engine
	// fastInserts counts the executions spoolInsert ran
	// (plancache_insert.go); noFastInsert turns that path off (the
	// benchmarks compare both).
	fastInserts  atomic.Uint64
	noFastInsert atomic.Bool
	// locks renders the row lock table (SHOW ENGINE INNODB STATUS,
	// locktables.go).
	locks lockViews

	// fwd is set on a cluster member with follower-writes = forward
	// (forward.go); fwdSessions are the connections whose session runs
	// on the leader, fwdIn those that are such sessions of another
	// member, under mu.
	fwd      *Forwarding
	writable func() bool
	// rejectWrites is follower-writes = reject on a cluster member: a
	// commit refused there for want of leadership says so
	// (followerWriteError).
	rejectWrites bool
	fwdSessions  map[*mysql.Conn]*forwardedSession
	fwdIn        map[*mysql.Conn]bool
	// userVars are the user variable names each connection mentioned
	// (forward_uservars.go), under mu.
	userVars map[*mysql.Conn]map[string]bool
}

func newHandler(h mysql.Handler) *handler {
	return &handler{Handler: h, conns: make(map[*mysql.Conn]bool), txns: make(map[*mysql.Conn]*txnLog),
		fwdSessions: make(map[*mysql.Conn]*forwardedSession), fwdIn: make(map[*mysql.Conn]bool),
		userVars: make(map[*mysql.Conn]map[string]bool)}
}

// maxPreparedParams is the most placeholders a prepared statement may
// have here. MySQL allows 65535, but vitess sizes the NULL bitmap of
// COM_STMT_EXECUTE as (count+7)/8 in 16 bits, which wraps to 0 from 65529
// on and panics (the connection drops); refusing at PREPARE gives a clear
// error instead.
const maxPreparedParams = 65528

// errTooManyPlaceholders is MySQL's ER_PS_MANY_PARAM.
var errTooManyPlaceholders = mysql.NewSQLError(1390, "HY000",
	"Prepared statement contains too many placeholders (guocedb accepts at most 65528)")

var errShuttingDown = mysql.NewSQLError(mysql.ERServerShutdown, mysql.SSServerShutdown, "server shutdown in progress")

// enter admits a command unless the server is shutting down; the caller
// must call h.running.Done when it admitted one.
func (h *handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.running.Add(1)
	return true
}

// close stops admitting commands and returns a channel closed when every
// admitted command has finished.
func (h *handler) close() <-chan struct{} {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.running.Wait()
		close(done)
	}()
	return done
}

// clientConns returns the open client connections.
func (h *handler) clientConns() []*mysql.Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	conns := make([]*mysql.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	return conns
}

// closeConns closes every client connection; their sessions end and roll
// back their open transactions.
func (h *handler) closeConns() {
	for _, c := range h.clientConns() {
		c.Close()
	}
}

// endConns ends every client connection once it is idle, after close's
// channel said no command runs: it closes the reading half of each
// socket, so vitess finishes what it is writing (the end of a result and
// a COMMIT's OK are written after the handler returned: closing the
// socket then would turn a committed transaction into a lost connection
// for its client), reads end of file and ends the connection, rolling
// back an open transaction. A connection that cannot half-close is
// closed. It returns once every connection ended or after grace.
func (h *handler) endConns(grace time.Duration) {
	for _, c := range h.clientConns() {
		if !closeRead(c.Conn) {
			c.Close()
		}
	}
	deadline := time.Now().Add(grace)
	for len(h.clientConns()) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// closeRead shuts down the reading half of the socket under c (through
// the layers above it: packetConn, compressConn, TLS), and reports
// whether it could.
func closeRead(c net.Conn) bool {
	for c != nil {
		switch x := c.(type) {
		case interface{ CloseRead() error }:
			return x.CloseRead() == nil
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return false
		}
	}
	return false
}

func (h *handler) NewConnection(c *mysql.Conn) {
	h.obs.m.ConnectionOpened()
	initialStatusFlags(c)
	followStatusFlags(c)
	h.mu.Lock()
	h.conns[c] = false
	h.mu.Unlock()
	h.Handler.NewConnection(c)
}

func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.aliases.forget(c.ConnectionID)
	h.dropForward(c)
	h.mu.Lock()
	delete(h.conns, c)
	delete(h.txns, c)
	delete(h.fwdIn, c)
	delete(h.userVars, c)
	h.mu.Unlock()
	h.plans.forget(c.ConnectionID)
	h.Handler.ConnectionClosed(c)
	h.obs.m.ConnectionClosed()
	h.obs.audit.logout(c)
}

func (h *handler) ComInitDB(c *mysql.Conn, schemaName string) error {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	if fs := h.forwarded(c); fs != nil {
		err := h.relay(context.Background(), c, fs, "USE "+quoteIdent(schemaName), func(*sqltypes.Result, bool) error { return nil }, false)
		if err == nil {
			// Here too, for what still runs here (prepares, KILL): the
			// database may not be applied here yet.
			_ = h.Handler.ComInitDB(c, schemaName)
		}
		return err
	}
	err := h.Handler.ComInitDB(c, schemaName)
	if err == nil {
		h.setReady(c)
	}
	return mapError(err, "")
}

// ready puts the connection's session into the process list under its
// user, at login (loginGuard.onAuthenticated) and again, as a no-op, before
// each command. go-mysql-server does that only when a database is selected
// (at login or with USE); until then SHOW PROCESSLIST would show an
// "unauthenticated user" connecting.
func (h *handler) ready(c *mysql.Conn) {
	h.noteInbound(c)
	h.mu.Lock()
	done := h.conns[c]
	h.mu.Unlock()
	if done {
		return
	}
	// An empty name selects no database; it registers the session.
	if err := h.Handler.ComInitDB(c, ""); err == nil {
		h.setReady(c)
	}
}

func (h *handler) setReady(c *mysql.Conn) {
	h.mu.Lock()
	if _, open := h.conns[c]; open {
		h.conns[c] = true
	}
	h.mu.Unlock()
}

func (h *handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (err error) {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	// Deferred calls run last first: the probe sees the statement's
	// outcome after recoverCommand has turned a panic into its error, so a
	// panic counts as a failed statement in metrics, digests and audit.
	var probe *stmtProbe
	defer func() {
		if probe != nil {
			probe.finish(err, "")
		}
	}()
	defer h.recoverCommand(c, &err)
	defer endCommand(c)
	h.ready(c)
	query, _ = decodeClientText(c, query)
	probe = h.obs.start(c, query)
	cb := probe.rows(padOKInfo(withStatusFlags(c, callback)))
	if err := h.unknownThread(probe.cmd, query); err != nil {
		return err
	}
	if ok, err := h.changeUser(c, query, cb); ok {
		if err == nil {
			h.dropForward(c) // the leader's session is the old account's
		}
		return mapError(err, query)
	}
	if _, ok, err := h.onLeader(ctx, c, probe.cmd, query, false, encodeResults(c, cb)); ok {
		noteError(c, err)
		return err
	}
	h.noteUserVars(c, query)
	if _, ok, err := h.doQuery(ctx, c, query, &probe.stmt, false, cb); ok {
		h.untracked(c)
		if isNeedsLeader(err) {
			// DO GET_LOCK(...): named locks are the leader's.
			err = h.forwardStatement(ctx, c, query, encodeResults(c, cb))
		}
		return mapError(err, query)
	}
	if _, ok, err := h.diagnosticsQuery(ctx, c, query, &probe.stmt, false, cb); ok {
		return err
	}
	if _, ok, err := h.getDiagnosticsQuery(ctx, c, query, &probe.stmt, false, cb); ok {
		err = mapError(err, query)
		noteError(c, err)
		return err
	}
	if _, ok, err := h.engineStatusQuery(query, &probe.stmt, false, cb); ok {
		return err
	}
	if _, ok, err := h.routineQuery(ctx, c, query, &probe.stmt, false, cb); ok {
		err = mapError(err, query)
		noteError(c, err)
		return err
	}
	if _, ok, err := h.checksumTableQuery(ctx, c, query, &probe.stmt, false, cb); ok {
		err = mapError(err, query)
		noteError(c, err)
		return err
	}
	err = h.runStatement(ctx, c, query, probe.cmd, nil, func(send mysql.ResultSpoolFn) error {
		return h.withCallResultSets(ctx, c, query, probe.cmd, false, func(ctx context.Context, send mysql.ResultSpoolFn) error {
			_, err := h.executeText(ctx, c, query, false, send, &probe.shape)
			return err
		}, send, nil)
	}, h.fixingFields(c, query, encodeResults(c, cb)), func() string { return query })
	if err == nil {
		h.killForwarded(ctx, probe.cmd, query)
	}
	if isNeedsLeader(err) {
		err = h.forwardStatement(ctx, c, query, encodeResults(c, cb))
	}
	err = mapError(err, query)
	err = h.followerWriteError(err)
	noteError(c, err)
	closeOnUnknownOutcome(c, err)
	return err
}

func (h *handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (rest string, err error) {
	if !h.enter() {
		return "", errShuttingDown
	}
	defer h.running.Done()
	// As in ComQuery, the probe finishes after recoverCommand; vitess
	// hands the rest back as the next query, in the client's bytes,
	// encoded after the probe saw the text.
	var (
		probe *stmtProbe
		wire  wireCharset
	)
	defer func() {
		if probe != nil {
			probe.finish(err, rest)
			rest = wire.encodeRest(rest)
		}
	}()
	defer h.recoverCommand(c, &err)
	defer endCommand(c)
	h.ready(c)
	query, wire = decodeClientText(c, query)
	probe = h.obs.start(c, query)
	cb := probe.rows(padOKInfo(withStatusFlags(c, callback)))
	if err := h.unknownThread(probe.cmd, query); err != nil {
		return "", err
	}
	if ok, err := h.changeUser(c, query, cb); ok {
		if err == nil {
			h.dropForward(c)
		}
		return "", mapError(err, query)
	}
	if rest, ok, err := h.onLeader(ctx, c, probe.cmd, query, true, encodeResults(c, cb)); ok {
		noteError(c, err)
		return rest, err
	}
	h.noteUserVars(c, query)
	if rest, ok, err := h.doQuery(ctx, c, query, &probe.stmt, true, cb); ok {
		h.untracked(c)
		return rest, mapError(err, query)
	}
	if rest, ok, err := h.diagnosticsQuery(ctx, c, query, &probe.stmt, true, cb); ok {
		return rest, err
	}
	if rest, ok, err := h.getDiagnosticsQuery(ctx, c, query, &probe.stmt, true, cb); ok {
		err = mapError(err, query)
		noteError(c, err)
		return rest, err
	}
	if rest, ok, err := h.engineStatusQuery(query, &probe.stmt, true, cb); ok {
		return rest, err
	}
	if rest, ok, err := h.routineQuery(ctx, c, query, &probe.stmt, true, cb); ok {
		err = mapError(err, query)
		noteError(c, err)
		return rest, err
	}
	if rest, ok, err := h.checksumTableQuery(ctx, c, query, &probe.stmt, true, cb); ok {
		err = mapError(err, query)
		noteError(c, err)
		return rest, err
	}
	// go-mysql-server runs the first statement of query and returns the
	// rest: a retry or replay runs that first statement again.
	err = h.runStatement(ctx, c, query, probe.cmd, nil, func(send mysql.ResultSpoolFn) error {
		return h.withCallResultSets(ctx, c, query, probe.cmd, false, func(ctx context.Context, send mysql.ResultSpoolFn) error {
			var err error
			rest, err = h.executeText(ctx, c, query, true, send, &probe.shape)
			return err
		}, send, nil)
	}, h.fixingFields(c, query, encodeResults(c, cb)), func() string { return strings.TrimSuffix(query, rest) })
	if err == nil {
		h.killForwarded(ctx, probe.cmd, strings.TrimSuffix(query, rest))
	}
	if isNeedsLeader(err) {
		var first string
		first, rest = splitFirstStatement(query)
		err = h.forwardStatement(ctx, c, first, encodeResults(c, cb))
	}
	err = mapError(err, query)
	err = h.followerWriteError(err)
	noteError(c, err)
	closeOnUnknownOutcome(c, err)
	return rest, err
}

func (h *handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) (_ []*querypb.Field, err error) {
	if !h.enter() {
		return nil, errShuttingDown
	}
	defer h.running.Done()
	defer h.recoverCommand(c, &err)
	defer endCommand(c)
	// vitess registered the statement before calling us, whatever the
	// outcome: a later COM_STMT_RESET of it is safe (malformed_packets.go).
	notePrepared(c, prepare.StatementID)
	h.obs.m.CountCommand(metrics.CommandStmtPrepare)
	h.ready(c)
	if prepare.ParamsCount > maxPreparedParams {
		return nil, errTooManyPlaceholders
	}
	query, _ = decodeClientText(c, query)
	if opts, err := h.ParserOptionsForConnection(c); err == nil {
		countExplainParams(ctx, query, opts, prepare)
	}
	fields, err := h.Handler.ComPrepare(ctx, c, query, prepare)
	if isNeedsLeader(err) || (err != nil && h.forwarded(c) != nil) {
		// It will run on the leader (ComStmtExecute), which announces
		// its columns with the execution, and answers its errors then.
		// A statement that needs the leader writes or locks; one of a
		// session that runs there may name what the leader created a
		// moment ago and this node has not applied yet.
		fields, err = nil, nil
	}
	if isPreparedDo(query) {
		fields = nil // DO has no result columns
	}
	if err == nil {
		h.prepareOutParams(ctx, c, query)
	}
	h.fixFields(query, fields, h.aliases.of(c.ConnectionID))
	return fields, mapError(err, query)
}

func (h *handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (err error) {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	h.obs.m.CountCommand(metrics.CommandStmtExecute)
	prepare = decodeClientParams(c, prepare)
	probe := h.obs.start(c, prepare.PrepareStmt)
	defer func() { probe.finish(err, "") }()
	defer h.recoverCommand(c, &err)
	fixed := probe.rows(encodeResults(c, func(res *sqltypes.Result, _ bool) error {
		if res != nil {
			h.fixFields(prepare.PrepareStmt, res.Fields, h.aliases.of(c.ConnectionID))
			zeroDatesForBinary(res)
		}
		return callback(res)
	}))
	zeroDateParams(prepare)
	if fs := h.forwarded(c); fs != nil {
		if here, err := stayHere(fs, probe.cmd, prepare.PrepareStmt); err != nil {
			return err
		} else if !here {
			return h.relayPrepared(ctx, c, fs, prepare, fixed)
		}
	} else if h.leaderBound(c, probe.cmd) {
		fs, err := h.startForward(ctx, c)
		if err != nil {
			return err
		}
		return h.relayPrepared(ctx, c, fs, prepare, fixed)
	}
	h.noteUserVars(c, prepare.PrepareStmt)
	if isPreparedDo(prepare.PrepareStmt) {
		return mapError(h.execPreparedDo(ctx, c, prepare, callback), prepare.PrepareStmt)
	}
	// No status flags here (endCommand): an execute with a cursor runs in
	// a goroutine of vitess' own while the connection's goroutine writes
	// the flags, so touching them would race. A SET sql_mode run as a
	// prepared statement shows in the status flags of the next command.
	defer resetStatementDatabase(c)
	err = h.runStatement(ctx, c, prepare.PrepareStmt, probe.cmd, prepare, func(send mysql.ResultSpoolFn) error {
		h.noteExecuteDatabase(c, prepare)
		bound, outParams := prepare, outParamsFn(nil)
		if sctx := sessionContext(ctx, c); mayBeCall(probe.cmd, prepare.PrepareStmt) {
			if outs := h.outParamsOf(sctx, c, prepare.PrepareStmt); len(outs) > 0 {
				var err error
				if bound, err = bindOutParams(sctx, prepare, outs); err != nil {
					return err
				}
				outParams = func() (*sqltypes.Result, error) { return outParamsResult(sctx, outs) }
			}
		}
		return h.withCallResultSets(ctx, c, prepare.PrepareStmt, probe.cmd, true, func(ctx context.Context, send mysql.ResultSpoolFn) error {
			return h.executePrepared(ctx, c, bound, send)
		}, send, outParams)
	}, fixed, func() string { return prepare.PrepareStmt })
	if isNeedsLeader(err) {
		var fs *forwardedSession
		if fs, err = h.startForward(ctx, c); err == nil {
			err = h.relayPrepared(ctx, c, fs, prepare, fixed)
		}
	}
	err = mapError(err, prepare.PrepareStmt)
	err = h.followerWriteError(err)
	noteError(c, err)
	closeOnUnknownOutcome(c, err)
	return err
}

func (h *handler) ComResetConnection(c *mysql.Conn) error {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	h.forget(c)
	h.plans.forget(c.ConnectionID)
	// A reset session starts afresh, here.
	h.dropForward(c)
	h.mu.Lock()
	delete(h.userVars, c)
	h.mu.Unlock()
	return h.Handler.ComResetConnection(c)
}
