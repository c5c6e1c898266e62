package mysqlserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/digest"
	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/slowlog"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// observer measures client statements and connections for the server's
// counters (metrics.SQL, the source of /metrics and SHOW GLOBAL STATUS)
// and the slow query log. Per statement it costs a clock read, a
// classification of the first words and a few atomic adds; only slow
// statements take the slow log's lock.
type observer struct {
	m       *metrics.SQL
	slow    *slowlog.Log
	digests *digest.Summary
	logger  *slog.Logger
	audit   *auditor
}

// stmtProbe follows one client statement from start to finish. It lives
// on the connection's goroutine.
type stmtProbe struct {
	o    *observer
	c    *mysql.Conn
	text string
	// stmt is the statement's one classification (sqltext.Classify);
	// cmd is its command. Features consult them, not the text.
	stmt   sqltext.Statement
	cmd    metrics.Command
	start  time.Time
	sess   *backend.Session
	read0  uint64
	write0 uint64
	sent   uint64
	// shape is the statement's text shape when the plan cache read it
	// (executeText): its digest is then computed once per shape.
	shape string
}

// connSession returns the guocedb session of c (set by the session
// builder in vitess' ClientData, which vitess leaves to applications), or
// nil before the first command created it.
func connSession(c *mysql.Conn) *backend.Session {
	s, _ := c.ClientData.(*backend.Session)
	return s
}

// trackingSessionBuilder records each new session on its connection for
// connSession. go-mysql-server builds a connection's session on that
// connection's goroutine, as it runs the commands, so ClientData needs no
// lock.
func trackingSessionBuilder(inner server.SessionBuilder) server.SessionBuilder {
	return func(ctx context.Context, c *mysql.Conn, addr string) (sql.Session, error) {
		s, err := inner(ctx, c, addr)
		if bs, ok := s.(*backend.Session); ok && err == nil {
			c.ClientData = bs
		}
		return s, err
	}
}

// start begins measuring text on c.
func (o *observer) start(c *mysql.Conn, text string) *stmtProbe {
	p := &stmtProbe{o: o, c: c, text: text, stmt: sqltext.Classify(text), start: time.Now(), sess: connSession(c)}
	p.cmd = metrics.ClassifyStatement(&p.stmt)
	if p.sess != nil {
		p.read0, p.write0 = p.sess.RowCounts()
	}
	o.m.StatementStarted()
	return p
}

// rows wraps a result callback to count the rows sent.
func (p *stmtProbe) rows(cb mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(r *sqltypes.Result, more bool) error {
		if r != nil {
			p.sent += uint64(len(r.Rows))
		}
		return cb(r, more)
	}
}

// finish records the statement with its outcome. For a multi-statement
// query rest is the part not run yet; the statement is text without it.
func (p *stmtProbe) finish(err error, rest string) {
	d := time.Since(p.start)
	if p.sess == nil {
		p.sess = connSession(p.c) // the statement created the session
	}
	var read, written uint64
	if p.sess != nil {
		r, w := p.sess.RowCounts()
		read, written = r-p.read0, w-p.write0
	}
	code := clientErrorCode(err)
	slow := p.o.slow.Slow(d)
	p.o.m.StatementFinished(metrics.Statement{
		Command: p.cmd, Duration: d, ErrorCode: code,
		RowsRead: read, RowsWritten: written, RowsSent: p.sent, Slow: slow,
	})
	text := strings.TrimSpace(strings.TrimSuffix(p.text, rest))
	var db string
	if p.sess != nil {
		db = p.sess.GetCurrentDatabase()
	}
	p.o.digests.Record(digest.Statement{
		Schema: db, Text: text, Shape: p.shape, Start: p.start, Duration: d, Failed: code != 0,
		RowsExamined: read, RowsAffected: written, RowsSent: p.sent,
	})
	p.o.audit.statement(p, strings.TrimSuffix(p.text, rest), code)
	if !slow {
		return
	}
	e := slowlog.Entry{
		Time: p.start, Query: text, DurationSeconds: d.Seconds(),
		RowsExamined: read, RowsSent: p.sent, ConnID: p.c.ConnectionID, ErrorCode: code, User: p.c.User,
	}
	if p.sess != nil {
		cl := p.sess.Client()
		e.User, e.Host, e.Database = cl.User, cl.Address, db
	}
	if err := p.o.slow.Record(e); err != nil {
		p.o.logger.Warn("slow query log write failed", "err", err)
	}
}

// clientErrorCode is the MySQL error code err reaches the client with: 0 for
// none, 1105 (unknown error) for an error without a code.
func clientErrorCode(err error) uint16 {
	if err == nil {
		return 0
	}
	var se *mysql.SQLError
	if errors.As(err, &se) {
		return uint16(se.Num)
	}
	return mysql.ERUnknownError
}

// ConnectionAborted counts a connection refused during the handshake or
// login (vitess calls it before closing such a connection).
func (h *handler) ConnectionAborted(c *mysql.Conn, reason string) error {
	h.obs.m.ConnectionRefused()
	return h.Handler.ConnectionAborted(c, reason)
}

// countingListener counts the bytes of every accepted connection, as
// they cross the wire (compressed, encrypted), into Bytes_received and
// Bytes_sent.
type countingListener struct {
	net.Listener
	m *metrics.SQL
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, m: l.m}, nil
}

type countingConn struct {
	net.Conn
	m *metrics.SQL
}

// NetConn returns the connection under c (closeRead).
func (c countingConn) NetConn() net.Conn { return c.Conn }

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.m.BytesReceived(n)
	return n, err
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.m.BytesSent(n)
	return n, err
}

// addSlowLogVariables shows the slow query log's settings as MySQL's
// variables. They are read-only: the configuration decides them, and the
// per-statement check must not read go-mysql-server's locked variable
// registry.
func addSlowLogVariables(l *slowlog.Log) {
	// MySQL's default threshold stands in while the log is off.
	on, threshold := int8(0), float64(10)
	if l.Enabled() {
		on, threshold = 1, l.Threshold().Seconds()
	}
	sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{
		&sql.MysqlSystemVariable{
			Name: "long_query_time", Scope: sql.GetMysqlScope(sql.SystemVariableScope_Both),
			Type: types.NewSystemDoubleType("long_query_time", 0, 1e18), Default: threshold,
		},
		&sql.MysqlSystemVariable{
			Name: "slow_query_log", Scope: sql.GetMysqlScope(sql.SystemVariableScope_Global),
			Type: types.NewSystemBoolType("slow_query_log"), Default: on,
		},
		&sql.MysqlSystemVariable{
			Name: "slow_query_log_file", Scope: sql.GetMysqlScope(sql.SystemVariableScope_Global),
			Type: types.NewSystemStringType("slow_query_log_file"), Default: l.Path(),
		},
	})
}
