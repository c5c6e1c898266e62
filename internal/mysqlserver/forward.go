package mysqlserver

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/dolthub/vitess/go/vt/vttls"

	"github.com/guocedb/guocedb/internal/metrics"
)

// Forwarding configures follower-writes = forward on a cluster member: a
// session on a follower runs here while it only reads, and on the leader
// from its first statement that needs the leader (a write, START
// TRANSACTION, a locking read, LOCK TABLES: refuseWritesOnFollower) until
// it ends. The follower logs in on the leader's MySQL listener on behalf
// of the session's account (forward_auth.go) and relays each command's
// text there and the answers back. Locks hold cluster-wide because every
// session that locks runs on the leader, which holds the lock table.
// See internal/cluster/DESIGN.md, "Follower writes".
type Forwarding struct {
	// Leader returns the leader's MySQL address; ok is false while no
	// leader is known.
	Leader func() (addr string, ok bool)
	// Key returns the cluster's forwarding key (storage.Store.ForwardKey).
	Key func() ([]byte, bool)
	// Member reports whether a client IP is a cluster member's: the
	// leader accepts forwarded logins only from members.
	Member func(ip string) bool
	// Reject is follower-writes = reject on this member: as a follower
	// it refuses writes with 1290 and forwards nothing, as a leader it
	// still takes the sessions of members that forward (a cluster whose
	// members disagree on the setting, as during a rolling change).
	Reject bool
	// TLS, set when the server has TLS (and so cluster-ca), secures the
	// connection a forwarded session runs over, as raft's links are;
	// nil: plain TCP, which config.Validate allows on loopback only.
	TLS *ForwardTLS
}

// ForwardTLS is how a follower reaches the leader's MySQL listener for a
// forwarded session: over TLS only, the leader's certificate verified
// against the cluster CA for the host of the leader's address (as raft
// peers verify each other), the member's own certificate offered. A
// leader that does not offer TLS, or whose certificate does not verify,
// is not forwarded to: the statement is refused (1290), never sent in
// plaintext. Files, because vitess' client loads them itself (and keeps
// them loaded, per path).
type ForwardTLS struct {
	// CertFile and KeyFile are the member's certificate and key
	// (tls-cert and tls-key, or the generated pair: TLSOptions.Files).
	CertFile, KeyFile string
	// CAFile is cluster-ca.
	CAFile string
	// MinVersion is tls-min-version ("TLSv1.2", "TLSv1.3"; empty is
	// TLSv1.2).
	MinVersion string
}

// forwards reports whether f has followers forward (not Reject).
func (f *Forwarding) forwards() bool { return f != nil && !f.Reject }

// forwardedSession is a client session that runs on the leader: conn is
// the follower's connection there, logged in as the session's account.
// vitess runs one command of a client connection at a time, but a
// cursor's goroutine may still be answering, hence mu.
type forwardedSession struct {
	mu   sync.Mutex
	conn *mysql.Conn
	// addr is the leader's address the session runs on; when another
	// member leads, the session's state (its transaction, its variables)
	// is gone with the old leader's role, and the client's connection is
	// closed (see relay).
	addr string
	// warnings is the leader's warning count of the statement relayed
	// last, read by vitess after the command (handler.WarningCount), or
	// ranHere when the session's last statement ran on this node.
	warnings atomic.Uint32
}

// ranHere marks a forwarded session whose last statement ran on this
// node (KILL, SET GLOBAL): its warnings are this node's.
const ranHere = 1 << 16

// WarningCount implements mysql.Handler: a session that runs on the
// leader has the leader's warnings.
func (h *handler) WarningCount(c *mysql.Conn) uint16 {
	if fs := h.forwarded(c); fs != nil {
		if n := fs.warnings.Load(); n != ranHere {
			return uint16(n)
		}
	}
	return h.Handler.WarningCount(c)
}

// maxForwardedRows bounds one forwarded result: vitess' client holds a
// whole result in memory.
const maxForwardedRows = 1 << 24

// forwardConnectTimeout bounds the login on the leader.
const forwardConnectTimeout = 5 * time.Second

// forwardNoLeaderGrace is how long a running forwarded command may go on
// while this node knows no leader: about two election timeouts, after
// which a healthy cluster has one again.
const forwardNoLeaderGrace = 6 * time.Second

// forwardWatchInterval is how often a running forwarded command checks
// that its leader still leads.
const forwardWatchInterval = 250 * time.Millisecond

// errNoLeaderToForward answers a statement that needs the leader when
// none can be reached; nothing ran, so the error is definite.
func errNoLeaderToForward(why string) error {
	return mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState,
		"this node follows the cluster's leader and could not forward the statement there (%s); nothing was run", why)
}

// inbound reports whether c is a forwarded session from a follower.
func (h *handler) inbound(c *mysql.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fwdIn[c]
}

// noteInbound recognizes a forwarded login (forward_auth.go) at c's
// first command: vitess keeps the login's name as the connection's user,
// which is set back to the account's (audit, slow log, metrics).
func (h *handler) noteInbound(c *mysql.Conn) {
	if !strings.HasPrefix(c.User, forwardUserPrefix) {
		return
	}
	if u, ok := c.UserData.(sql.MysqlConnectionUser); ok {
		c.User = u.User
	}
	h.mu.Lock()
	h.fwdIn[c] = true
	h.mu.Unlock()
}

// forwarded returns c's session on the leader, nil when it runs here.
func (h *handler) forwarded(c *mysql.Conn) *forwardedSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fwdSessions[c]
}

// dropForward closes c's connection to the leader, if any (the leader
// rolls back what it held open).
func (h *handler) dropForward(c *mysql.Conn) {
	h.mu.Lock()
	fs := h.fwdSessions[c]
	delete(h.fwdSessions, c)
	h.mu.Unlock()
	if fs != nil {
		fs.conn.Close()
	}
}

// leaderBound reports whether a statement of command cmd on c must run
// on the leader, decided before it runs: go-mysql-server runs START
// TRANSACTION without analysis and a literal INSERT through a short
// batch, past refuseWritesOnFollower. What the command does not tell (a
// locking SELECT, a write inside a CALL's text the classifier does not
// know) is left to that rule, and at worst to the store's commit, which
// refuses with 1290 (storage.ErrFollower).
//
// With autocommit off, every statement opens or continues a transaction:
// its SELECTs go to the leader too, so that the transaction's reads and
// writes are one transaction there.
func (h *handler) leaderBound(c *mysql.Conn, cmd metrics.Command) bool {
	if h.fwd == nil || h.writable == nil {
		return false
	}
	if !leaderCommand(cmd) && (cmd != metrics.CommandSelect || !autocommitOff(c)) {
		return false
	}
	return !h.writable() && !h.inbound(c)
}

// autocommitOff reports whether c's session runs with autocommit = 0.
func autocommitOff(c *mysql.Conn) bool {
	s := connSession(c)
	if s == nil {
		return false
	}
	// A context on the session itself: sql.NewEmptyContext builds a
	// whole new session (every system and status variable), which cost
	// half a follower's CPU when this ran for every statement.
	ctx := sql.NewContext(context.Background(), sql.WithSession(s))
	v, err := s.GetSessionVariable(ctx, "autocommit")
	if err != nil {
		return false
	}
	on, err := sql.ConvertToBool(ctx, v)
	return err == nil && !on
}

// leaderCommand reports whether statements of cmd need the leader under
// follower-writes = forward: they write, start a transaction or lock.
// CALL counts: a procedure may write.
func leaderCommand(cmd metrics.Command) bool {
	switch cmd {
	case metrics.CommandInsert, metrics.CommandUpdate, metrics.CommandDelete, metrics.CommandReplace,
		metrics.CommandLoad, metrics.CommandCallProcedure, metrics.CommandBegin, metrics.CommandLockTables,
		metrics.CommandCreateDB, metrics.CommandCreateTable, metrics.CommandCreateIndex, metrics.CommandCreateView,
		metrics.CommandCreateTrigger, metrics.CommandCreateProcedure, metrics.CommandCreateUser,
		metrics.CommandAlterTable, metrics.CommandAlterUser, metrics.CommandDropDB, metrics.CommandDropTable,
		metrics.CommandDropIndex, metrics.CommandDropView, metrics.CommandDropTrigger, metrics.CommandDropProcedure,
		metrics.CommandDropUser, metrics.CommandTruncate, metrics.CommandRenameTable, metrics.CommandGrant,
		metrics.CommandRevoke, metrics.CommandAnalyze, metrics.CommandOptimize, metrics.CommandSetPassword,
		metrics.CommandRenameUser:
		return true
	}
	return false
}

// onLeader runs a text statement on the leader when c's session runs
// there, or must move there for it (leaderBound); ok is false when the
// statement runs here (also in a moved session: stayHere). With multi,
// query may hold several statements: only the first runs, and rest is
// what vitess hands back.
func (h *handler) onLeader(ctx context.Context, c *mysql.Conn, cmd metrics.Command, query string, multi bool, send mysql.ResultSpoolFn) (rest string, ok bool, err error) {
	fs := h.forwarded(c)
	if fs == nil && !h.leaderBound(c, cmd) {
		return "", false, nil
	}
	if multi {
		query, rest = splitFirstStatement(query)
	}
	if fs != nil {
		if here, err := stayHere(fs, cmd, query); err != nil {
			return rest, true, err
		} else if here {
			return "", false, nil
		}
	}
	if err := localLoadNotForwarded(cmd, query); err != nil {
		return rest, true, err
	}
	if fs == nil {
		return rest, true, h.forwardStatement(ctx, c, query, send)
	}
	return rest, true, h.relay(ctx, c, fs, query, send, false)
}

// stayHere reports whether a statement of a session that runs on the
// leader runs on this node instead: KILL, which names this node's
// connection ids (killForwarded reaches the leader), and SET GLOBAL,
// whose variables are this member's (forward_set.go). SET PERSIST and a
// SET of global and session variables at once are refused (err).
func stayHere(fs *forwardedSession, cmd metrics.Command, query string) (bool, error) {
	switch cmd {
	case metrics.CommandKill:
	case metrics.CommandSetOption:
		switch scopeOfSet(query) {
		case setGlobal:
		case setPersist:
			return false, errPersistOnFollower
		case setMixed:
			return false, errMixedSetForwarded
		default:
			return false, nil
		}
	default:
		return false, nil
	}
	fs.warnings.Store(ranHere)
	return true, nil
}

// forwardStatement moves c's session to the leader and runs query there:
// the local run of query failed with errNeedsLeader, before it did
// anything.
func (h *handler) forwardStatement(ctx context.Context, c *mysql.Conn, query string, send mysql.ResultSpoolFn) error {
	fs, err := h.startForward(ctx, c)
	if err != nil {
		return err
	}
	return h.relay(ctx, c, fs, query, send, false)
}

// startForward logs in on the leader as c's account and gives the new
// session c's state: the current database, the session variables that
// differ from the global ones and the user variables its statements
// named (forward_uservars.go). Temporary tables and prepared statements
// stay behind (prepared statements are relayed as text, see
// interpolate).
func (h *handler) startForward(ctx context.Context, c *mysql.Conn) (*forwardedSession, error) {
	if h.fwd == nil || h.inbound(c) {
		// A session forwarded here is never forwarded again: two members
		// that each take the other for the leader would chain forever.
		return nil, errNoLeaderToForward("this node no longer leads")
	}
	addr, ok := h.fwd.Leader()
	if !ok {
		return nil, errNoLeaderToForward("no leader is known")
	}
	u, ok := c.UserData.(sql.MysqlConnectionUser)
	if !ok {
		return nil, errNoLeaderToForward("the session has no account")
	}
	conn, err := h.dialLeader(ctx, addr, u, c.Capabilities&mysql.CapabilityClientFoundRows)
	if err != nil {
		return nil, errNoLeaderToForward(err.Error())
	}
	for _, stmt := range append(sessionReplay(c), h.userVarReplay(c)...) {
		if _, err := conn.ExecuteFetch(stmt, 0, false); err != nil {
			var se *mysql.SQLError
			if !errors.As(err, &se) || !serverAnswer(se) {
				conn.Close()
				return nil, errNoLeaderToForward(fmt.Sprintf("session state on %s: %v", addr, err))
			}
			if strings.HasPrefix(stmt, "USE ") {
				// The database is gone on the leader: the client would
				// get its statement run elsewhere than it thinks.
				conn.Close()
				return nil, se
			}
			// A variable the leader does not take (read-only there,
			// unknown to its version) is left at its default.
		}
	}
	fs := &forwardedSession{conn: conn, addr: addr}
	h.mu.Lock()
	h.fwdSessions[c] = fs
	h.mu.Unlock()
	h.obs.m.SessionForwarded()
	return fs, nil
}

// dialLeader logs in on the leader at addr for account u (forward_auth.go);
// flags are client capabilities to pass on.
func (h *handler) dialLeader(ctx context.Context, addr string, u sql.MysqlConnectionUser, flags uint32) (*mysql.Conn, error) {
	key, ok := h.fwd.Key()
	if !ok {
		return nil, errors.New("the cluster's forwarding key is not written yet")
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bad leader address %s", addr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("bad leader address %s", addr)
	}
	params := &mysql.ConnParams{
		Host: host, Port: port,
		Uname:   forwardLoginName(u.User, u.Host),
		Pass:    forwardPassword(key, u.User, u.Host),
		Charset: "utf8mb4",
		// Affected rows count as the client asked (matched or changed).
		Flags:            uint64(flags),
		ConnectTimeoutMs: uint64(forwardConnectTimeout / time.Millisecond),
	}
	if t := h.fwd.TLS; t != nil {
		// VerifyIdentity: TLS required (a leader that does not offer it
		// fails the login), the chain checked against the cluster CA and
		// the name against the host dialed. ServerName is set: vitess
		// would otherwise ask for "IP:127.0.0.1".
		params.SslMode = vttls.VerifyIdentity
		params.SslCa, params.SslCert, params.SslKey = t.CAFile, t.CertFile, t.KeyFile
		params.ServerName, params.TLSMinVersion = host, t.MinVersion
	}
	cctx, cancel := context.WithTimeout(ctx, forwardConnectTimeout)
	defer cancel()
	conn, err := mysql.Connect(cctx, params)
	if err != nil {
		if h.fwd.TLS != nil {
			return nil, fmt.Errorf("login over TLS on %s: %w", addr, err)
		}
		return nil, fmt.Errorf("login on %s: %w", addr, err)
	}
	return conn, nil
}

// sessionReplay returns the statements that give a new session on the
// leader c's state.
func sessionReplay(c *mysql.Conn) []string {
	s := connSession(c)
	if s == nil {
		return nil
	}
	var out []string
	if db := s.GetCurrentDatabase(); db != "" {
		out = append(out, "USE "+quoteIdent(db))
	}
	vars := s.GetAllSessionVariables()
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !replayedVariable(name) {
			continue
		}
		v := vars[name]
		if _, global, ok := sql.SystemVariables.GetGlobal(name); ok && fmt.Sprint(global) == fmt.Sprint(v) {
			continue
		}
		lit, ok := sqlLiteral(v)
		if !ok {
			continue
		}
		out = append(out, "SET SESSION "+quoteIdent(name)+" = "+lit)
	}
	return out
}

// replayedVariable reports whether a session variable is given to the
// forwarded session. The character set ones are not: the follower talks
// to the leader in utf8mb4 and converts for its client itself.
func replayedVariable(name string) bool {
	n := strings.ToLower(name)
	return !strings.HasPrefix(n, "character_set_") && !strings.HasPrefix(n, "collation_")
}

// sqlLiteral renders a session variable's value as SQL.
func sqlLiteral(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "NULL", true
	case string:
		var b strings.Builder
		sqltypes.NewVarChar(v).EncodeSQL(&b)
		return b.String(), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(v), true
	case float32, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

// serverAnswer reports whether se is an answer of the leader rather than
// the client library's report of a broken connection (CR_* codes,
// 2000-2999, which no server sends).
func serverAnswer(se *mysql.SQLError) bool {
	return se.Num < 2000 || se.Num >= 3000
}

// relay runs query on the leader and sends its answer to the client.
// The leader's errors reach the client unchanged. When the connection to
// the leader breaks, or the leader no longer leads, mid-command, the
// command's outcome is unknown: the client's connection is closed (it
// sees 2013), never answered OK or a definite error. binaryRows says
// that the client executed a prepared statement (rows of extra result
// sets are then written in the binary protocol).
func (h *handler) relay(ctx context.Context, c *mysql.Conn, fs *forwardedSession, query string, send mysql.ResultSpoolFn, binaryRows bool) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	h.obs.m.CommandForwarded()
	if addr, ok := h.fwd.Leader(); ok && addr != fs.addr {
		return h.lostLeader(c, errors.New("the leader changed since the session moved there"))
	}
	stop := h.watchLeader(fs)
	var (
		sets   []*sqltypes.Result
		answer relayedAnswer
	)
	err := fs.conn.WriteComQuery(query)
	for more := err == nil; more; more = answer.status&mysql.ServerMoreResultsExists != 0 {
		// With more: a CALL's result sets, then its OK (or the error
		// that stopped the procedure).
		if answer, err = readRelayed(ctx, fs.conn, maxForwardedRows); err != nil {
			break
		}
		sets = append(sets, answer.res)
	}
	stop()
	// The client's OK or EOF carries the leader's count
	// (handler.WarningCount); SHOW WARNINGS runs there too.
	fs.warnings.Store(uint32(answer.warnings))
	var se *mysql.SQLError
	if err != nil && (!errors.As(err, &se) || !serverAnswer(se)) {
		return h.lostLeader(c, err)
	}
	var final *sqltypes.Result
	if err == nil {
		final, sets = sets[len(sets)-1], sets[:len(sets)-1]
	}
	if pc := resultWriterOf(c.Conn); len(sets) > 0 && pc != nil {
		// Result sets before the last answer go below vitess, as a local
		// CALL's do (call.go).
		if err := c.FlushBuffer(); err != nil {
			return err
		}
		for _, set := range sets {
			payloads, err := resultPackets(set, c.Capabilities, c.StatusFlags, binaryRows)
			if err != nil {
				return err
			}
			if err := pc.sendPackets(payloads); err != nil {
				return err
			}
		}
	}
	if err != nil {
		se.Query = ""
		return se
	}
	// The client learns the session's transaction state from the status
	// flags, which are the leader's now.
	const txnFlags = mysql.ServerInTransaction | mysql.ServerStatusAutocommit
	c.StatusFlags = c.StatusFlags&^txnFlags | answer.status&txnFlags
	return send(final, false)
}

// localLoadNotForwarded refuses LOAD DATA LOCAL INFILE in a session that
// runs on the leader: the leader would ask this node, not the client,
// for the file. Nothing ran, so the error is definite.
func localLoadNotForwarded(cmd metrics.Command, query string) error {
	if cmd != metrics.CommandLoad {
		return nil
	}
	stmt, err := ast.Parse(query)
	if err != nil {
		return nil // the leader answers the syntax error
	}
	if l, ok := stmt.(*ast.Load); ok && bool(l.Local) {
		return mysql.NewSQLError(mysql.ERNotSupportedYet, mysql.SSUnknownSQLState,
			"LOAD DATA LOCAL INFILE is not forwarded from a follower to the cluster's leader yet: run it on the leader")
	}
	return nil
}

// relayPrepared runs an execution of a prepared statement on the leader,
// as text (interpolate).
func (h *handler) relayPrepared(ctx context.Context, c *mysql.Conn, fs *forwardedSession, prepare *mysql.PrepareData, send func(*sqltypes.Result, bool) error) error {
	query, err := interpolate(prepare.PrepareStmt, prepare.BindVars)
	if err != nil {
		return mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "%v", err)
	}
	return h.relay(ctx, c, fs, query, send, true)
}

// splitFirstStatement splits a multi-statement text after its first
// statement: a forwarded session relays one statement per command, and
// vitess hands the rest back.
func splitFirstStatement(query string) (first, rest string) {
	first, rest, err := ast.SplitStatement(query)
	if err != nil || strings.TrimSpace(rest) == "" {
		return query, ""
	}
	return first, rest
}

// watchLeader closes fs's connection when another member leads, or no
// member has led for forwardNoLeaderGrace, while a command runs there: a
// stopped or cut-off leader would otherwise hold the command until TCP
// gave up. The returned func ends the watch.
func (h *handler) watchLeader(fs *forwardedSession) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(forwardWatchInterval)
		defer t.Stop()
		var noLeaderSince time.Time
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				addr, ok := h.fwd.Leader()
				switch {
				case ok && addr != fs.addr:
					fs.conn.Close()
					return
				case ok:
					noLeaderSince = time.Time{}
				case noLeaderSince.IsZero():
					noLeaderSince = now
				case now.Sub(noLeaderSince) >= forwardNoLeaderGrace:
					fs.conn.Close()
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// lostLeader ends a forwarded session whose command has an unknown
// outcome: the client's connection is closed.
func (h *handler) lostLeader(c *mysql.Conn, cause error) error {
	h.dropForward(c)
	c.Close()
	return mysql.NewSQLError(mysql.CRServerLost, mysql.SSUnknownSQLState, "lost the connection to the cluster's leader: %v", cause)
}

// interpolate returns a prepared statement's text with its parameters as
// literals, for the leader's text protocol: a forwarded session relays
// COM_STMT_EXECUTE as a query, so that no statement ids need mapping
// between the client, this node and the leader. Placeholders are the
// `?` outside quotes and comments; vitess names their values v1, v2, ...
func interpolate(query string, binds map[string]*querypb.BindVariable) (string, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"' || ch == '`':
			j := i + 1
			for j < len(query) {
				if query[j] == '\\' && ch != '`' {
					j += 2
					continue
				}
				if query[j] == ch {
					if j+1 < len(query) && query[j+1] == ch {
						j += 2 // a doubled quote
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end - 1
		case ch == '#' || (ch == '-' && strings.HasPrefix(query[i:], "-- ")):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case ch == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end - 1
		case ch == '?':
			n++
			bv, ok := binds["v"+strconv.Itoa(n)]
			if !ok {
				return "", fmt.Errorf("forward a prepared statement: no value for parameter %d", n)
			}
			v, err := sqltypes.BindVariableToValue(bv)
			if err != nil {
				return "", fmt.Errorf("forward a prepared statement: parameter %d: %w", n, err)
			}
			writeLiteral(&b, v)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// writeLiteral writes v as a SQL literal: bytes that are not UTF-8 as a
// hex literal (the leader's connection is utf8mb4), everything else as
// vitess encodes it.
func writeLiteral(b *strings.Builder, v sqltypes.Value) {
	if v.IsQuoted() && !utf8.Valid(v.Raw()) {
		b.WriteString("X'")
		b.WriteString(hex.EncodeToString(v.Raw()))
		b.WriteString("'")
		return
	}
	v.EncodeSQL(b)
}
