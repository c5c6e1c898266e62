package mysqlserver

import (
	"context"
	"sync"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
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
	conns   map[*mysql.Conn]struct{}
}

func newHandler(h mysql.Handler) *handler {
	return &handler{Handler: h, conns: make(map[*mysql.Conn]struct{})}
}

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

// closeConns closes every client connection; their sessions end and roll
// back their open transactions.
func (h *handler) closeConns() {
	h.mu.Lock()
	conns := make([]*mysql.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (h *handler) NewConnection(c *mysql.Conn) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.Handler.NewConnection(c)
}

func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.Handler.ConnectionClosed(c)
}

func (h *handler) ComInitDB(c *mysql.Conn, schemaName string) error {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	return mapError(h.Handler.ComInitDB(c, schemaName), "")
}

func (h *handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	return mapError(h.Handler.ComQuery(ctx, c, query, padOKInfo(callback)), query)
}

func (h *handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	if !h.enter() {
		return "", errShuttingDown
	}
	defer h.running.Done()
	rest, err := h.Handler.ComMultiQuery(ctx, c, query, padOKInfo(callback))
	return rest, mapError(err, query)
}

func (h *handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	if !h.enter() {
		return nil, errShuttingDown
	}
	defer h.running.Done()
	fields, err := h.Handler.ComPrepare(ctx, c, query, prepare)
	return fields, mapError(err, query)
}

func (h *handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	return mapError(h.Handler.ComStmtExecute(ctx, c, prepare, callback), prepare.PrepareStmt)
}

func (h *handler) ComResetConnection(c *mysql.Conn) error {
	if !h.enter() {
		return errShuttingDown
	}
	defer h.running.Done()
	return h.Handler.ComResetConnection(c)
}
