package enginetest

import (
	"context"
	"strings"
	"testing"

	gmstest "github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/storage"
)

// Harness is a go-mysql-server enginetest harness over guocedb. Every
// NewEngine opens a fresh Badger directory in t.TempDir().
type Harness struct {
	t         *testing.T
	setupData []setup.SetupScript
	store     *storage.Store
	provider  *backend.Provider
	session   *backend.Session
	skipped   map[string]string // lower-cased query or test name -> reason
	server    bool
}

var (
	_ gmstest.Harness             = (*Harness)(nil)
	_ gmstest.SkippingHarness     = (*Harness)(nil)
	_ gmstest.IndexHarness        = (*Harness)(nil)
	_ gmstest.ForeignKeyHarness   = (*Harness)(nil)
	_ gmstest.KeylessTableHarness = (*Harness)(nil)
	_ gmstest.TransactionHarness  = (*Harness)(nil)
	_ gmstest.ClientHarness       = (*Harness)(nil)
	_ gmstest.ServerHarness       = (*Harness)(nil)
)

// NewHarness returns a harness whose stores are cleaned up with t.
func NewHarness(t *testing.T) *Harness {
	return &Harness{t: t, skipped: map[string]string{}}
}

// Skip records a query (or script name) that is skipped, with the reason.
func (h *Harness) Skip(reason string, queries ...string) {
	for _, q := range queries {
		h.skipped[strings.ToLower(q)] = reason
	}
}

// SkipQueryTest implements enginetest.SkippingHarness.
func (h *Harness) SkipQueryTest(query string) bool {
	_, ok := h.skipped[strings.ToLower(query)]
	return ok
}

// Setup implements enginetest.Harness.
func (h *Harness) Setup(scripts ...[]setup.SetupScript) {
	h.setupData = nil
	for _, s := range scripts {
		h.setupData = append(h.setupData, s...)
	}
}

func (h *Harness) open(t *testing.T) {
	t.Helper()
	store, err := storage.Open(t.TempDir(), storage.DefaultOptions(), nil)
	require.NoError(t, err)
	p, err := backend.NewProvider(context.Background(), store, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = p.Close()
		_ = store.Close()
	})
	h.store, h.provider, h.session = store, p, nil
}

// NewEngine implements enginetest.Harness.
func (h *Harness) NewEngine(t *testing.T) (gmstest.QueryEngine, error) {
	h.open(t)
	engine, err := gmstest.NewEngine(t, h, h.provider, h.setupData, memory.NewStatsProv())
	if err != nil {
		return nil, err
	}
	if h.server {
		return gmstest.NewServerQueryEngine(t, engine, h.SessionBuilder())
	}
	h.session = nil
	return engine, nil
}

func (h *Harness) newSession(client sql.Client) *backend.Session {
	return backend.NewSession(sql.NewBaseSessionWithClientServer("address", client, 1), h.provider)
}

// NewContext implements enginetest.Harness.
func (h *Harness) NewContext() *sql.Context {
	if h.session == nil {
		h.session = h.newSession(sql.Client{Address: "localhost", User: "root"})
	}
	return sql.NewContext(context.Background(), sql.WithSession(h.session))
}

// NewContextWithClient implements enginetest.ClientHarness.
func (h *Harness) NewContextWithClient(client sql.Client) *sql.Context {
	return sql.NewContext(context.Background(), sql.WithSession(h.newSession(client)))
}

// NewSession implements enginetest.TransactionHarness.
func (h *Harness) NewSession() *sql.Context {
	h.session = h.newSession(sql.Client{Address: "localhost", User: "root"})
	return h.NewContext()
}

// SessionBuilder implements enginetest.ServerHarness.
func (h *Harness) SessionBuilder() server.SessionBuilder {
	return mysqlserver.NewSessionBuilder(h.provider)
}

// SupportsNativeIndexCreation implements enginetest.IndexHarness.
func (h *Harness) SupportsNativeIndexCreation() bool { return true }

// SupportsForeignKeys implements enginetest.ForeignKeyHarness.
func (h *Harness) SupportsForeignKeys() bool { return true }

// SupportsKeylessTables implements enginetest.KeylessTableHarness.
func (h *Harness) SupportsKeylessTables() bool { return true }
