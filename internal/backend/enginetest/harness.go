package enginetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	gmstest "github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
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
	// skipIf skips every query a rule matches (SkipMatching).
	skipIf []skipRule
	// dropSetup removes setup statements guocedb cannot run (DropSetup).
	dropSetup []skipRule
	server    bool
	// skipAll mirrors go-mysql-server's SkippingMemoryHarness: suites of
	// tests that are broken in the engine itself run with every test skipped.
	skipAll bool
	// retainSession keeps the setup session for the test (join statistics
	// live in the session).
	retainSession bool
	// fresh marks a store opened for a context asked before the engine
	// (TestUserAuthentication): the next NewEngine uses it, so that the
	// context's session and the engine share one store.
	fresh bool
	// guocedbExecutor builds plans with guocedb's executor
	// (mysqlserver.NewExecBuilder) instead of go-mysql-server's.
	guocedbExecutor bool
}

var (
	_ gmstest.Harness                 = (*Harness)(nil)
	_ gmstest.SkippingHarness         = (*Harness)(nil)
	_ gmstest.IndexHarness            = (*Harness)(nil)
	_ gmstest.ForeignKeyHarness       = (*Harness)(nil)
	_ gmstest.KeylessTableHarness     = (*Harness)(nil)
	_ gmstest.TransactionHarness      = (*Harness)(nil)
	_ gmstest.ClientHarness           = (*Harness)(nil)
	_ gmstest.ServerHarness           = (*Harness)(nil)
	_ gmstest.ReadOnlyDatabaseHarness = (*Harness)(nil)
)

// NewHarness returns a harness whose stores are cleaned up with t.
func NewHarness(t *testing.T) *Harness {
	return &Harness{t: t, skipped: map[string]string{}}
}

// UseGuocedbExecutor makes the engines build plans with the guocedb
// server's executor (its own LOAD DATA iterator, its plan rewrites)
// rather than go-mysql-server's.
func (h *Harness) UseGuocedbExecutor() { h.guocedbExecutor = true }

// NewSkippingHarness returns a harness that skips every query and script,
// for the suites go-mysql-server itself lists as broken (Broken*, TODO plans).
func NewSkippingHarness(t *testing.T) *Harness {
	h := NewHarness(t)
	h.skipAll = true
	return h
}

// RetainSessionAfterSetup keeps the session used by the setup scripts for
// the test queries, as go-mysql-server's memory harness does for suites
// whose state lives in the session.
func (h *Harness) RetainSessionAfterSetup() *Harness {
	h.retainSession = true
	return h
}

// skipRule is a predicate over lower-cased queries, with its reason.
type skipRule struct {
	reason string
	match  func(query string) bool
}

// SkipMatching skips every query or script name (lower-cased) for which
// match is true, with the reason.
func (h *Harness) SkipMatching(reason string, match func(query string) bool) {
	h.skipIf = append(h.skipIf, skipRule{reason, match})
}

// DropSetup leaves out of the suites' setup scripts every statement
// (lower-cased) for which match is true, with the reason: for setups
// that create one object guocedb does not support among many it does.
func (h *Harness) DropSetup(reason string, match func(stmt string) bool) {
	h.dropSetup = append(h.dropSetup, skipRule{reason, match})
}

// SkipReason returns why a query or script is skipped, or "".
func (h *Harness) SkipReason(query string) string {
	q := strings.ToLower(query)
	if r, ok := h.skipped[q]; ok {
		return r
	}
	for _, r := range h.skipIf {
		if r.match(q) {
			return r.reason
		}
	}
	return ""
}

// Skip records a query (or script name) that is skipped, with the reason.
func (h *Harness) Skip(reason string, queries ...string) {
	for _, q := range queries {
		h.skipped[strings.ToLower(q)] = reason
	}
}

// SkipQueryTest implements enginetest.SkippingHarness.
func (h *Harness) SkipQueryTest(query string) bool {
	if h.skipAll {
		return true
	}
	return h.SkipReason(query) != ""
}

// Setup implements enginetest.Harness.
func (h *Harness) Setup(scripts ...[]setup.SetupScript) {
	h.setupData = nil
	for _, s := range scripts {
		for _, script := range s {
			h.setupData = append(h.setupData, h.keptSetup(script))
		}
	}
}

func (h *Harness) keptSetup(script setup.SetupScript) setup.SetupScript {
	if len(h.dropSetup) == 0 {
		return script
	}
	var out setup.SetupScript
	for _, stmt := range script {
		drop := false
		for _, r := range h.dropSetup {
			drop = drop || r.match(strings.ToLower(stmt))
		}
		if !drop {
			out = append(out, stmt)
		}
	}
	return out
}

func (h *Harness) open(t *testing.T) {
	t.Helper()
	opts := storage.DefaultOptions()
	opts.SyncWrites = false
	// Small Badger buffers: a test opens a store per engine, thousands in
	// all, and under -race their memory (multiplied by the detector's
	// shadow memory) ran CI out of memory. The data of a test is small;
	// applying a large write set goes through Badger's WriteBatch, which
	// splits it, so a small memtable bounds no transaction.
	opts.MemTableSize, opts.BlockCacheSize, opts.IndexCacheSize = 8<<20, 4<<20, 2<<20
	store, err := storage.Open(t.TempDir(), opts, nil)
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
	if !h.fresh {
		h.open(t)
	}
	h.fresh = false
	engine, err := gmstest.NewEngine(t, h, newFixtureProvider(h.provider), h.setupData, memory.NewStatsProv())
	if err != nil {
		return nil, err
	}
	if h.guocedbExecutor {
		engine.Analyzer.ExecBuilder = mysqlserver.NewExecBuilder()
	}
	if h.server {
		return gmstest.NewServerQueryEngine(t, engine, h.SessionBuilder())
	}
	if !h.retainSession {
		h.session = nil
	}
	return engine, nil
}

// NewReadOnlyEngine implements enginetest.ReadOnlyDatabaseHarness: the same
// store and databases, every database reporting itself read-only.
func (h *Harness) NewReadOnlyEngine(provider sql.DatabaseProvider) (gmstest.QueryEngine, error) {
	p, ok := provider.(*backend.Provider)
	if tp, isTP := provider.(fixtureProvider); isTP {
		p, ok = tp.Provider, true
	}
	if !ok {
		return nil, fmt.Errorf("enginetest: provider %T is not a guocedb provider", provider)
	}
	return gmstest.NewEngineWithProvider(nil, h, readOnlyProvider{p}), nil
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
	if h.provider == nil {
		h.open(h.t)
		h.fresh = true
	}
	return sql.NewContext(context.Background(), sql.WithSession(h.newSession(client)))
}

// NewSession implements enginetest.TransactionHarness.
func (h *Harness) NewSession() *sql.Context {
	h.session = h.newSession(sql.Client{Address: "localhost", User: "root"})
	return h.NewContext()
}

// SessionBuilder implements enginetest.ServerHarness.
//
// The wire suites ask for it before their engine exists: the provider is
// looked up when a connection opens.
func (h *Harness) SessionBuilder() server.SessionBuilder {
	return func(ctx context.Context, c *mysql.Conn, addr string) (sql.Session, error) {
		return mysqlserver.NewSessionBuilder(h.provider)(ctx, c, addr)
	}
}

// SupportsNativeIndexCreation implements enginetest.IndexHarness.
func (h *Harness) SupportsNativeIndexCreation() bool { return true }

// SupportsForeignKeys implements enginetest.ForeignKeyHarness.
func (h *Harness) SupportsForeignKeys() bool { return true }

// SupportsKeylessTables implements enginetest.KeylessTableHarness.
func (h *Harness) SupportsKeylessTables() bool { return true }
