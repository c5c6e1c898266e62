package mysqlserver

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/variables"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/audit"
	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/digest"
	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/slowlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// Config configures the MySQL listener.
type Config struct {
	// Addr is HOST:PORT to listen on; port 0 picks a free port.
	Addr string
	// RootPassword is set for root@localhost when the data directory has no
	// users yet.
	RootPassword string
	// Version is advertised in the handshake (as 8.0.x-guocedb-VERSION).
	Version string
	// ShutdownTimeout bounds how long Shutdown waits for running statements.
	ShutdownTimeout time.Duration
	// TLS, when set, is offered to clients (see LoadTLS).
	TLS *tls.Config
	// TLSMinVersion is the floor TLS was loaded with (see TLSOptions),
	// shown in @@tls_version; empty means TLSv1.2.
	TLSMinVersion string
	// RequireSecureTransport refuses logins without TLS with error 3159;
	// it needs TLS.
	RequireSecureTransport bool
	// LocalInfile allows LOAD DATA LOCAL INFILE.
	LocalInfile bool
	// PlanCacheSize is how many analyzed plans of prepared statements
	// each connection keeps (plancache.go): 0 is DefaultPlanCacheSize, a
	// negative number turns the cache off.
	PlanCacheSize int
	// SecureFilePriv is the resolved directory server-side file import
	// and export are confined to (config.ResolveSecureFilePriv); empty
	// disables them (fileaccess.go).
	SecureFilePriv string
	// Metrics receives the server's counters (and is what SHOW GLOBAL
	// STATUS reads); nil gives the server a set registered nowhere.
	Metrics *metrics.SQL
	// Audit receives logins, logouts and statements; nil disables it.
	// The caller closes it after Shutdown.
	Audit *audit.Log
	// Login tunes login protection (lock days, delays after failures).
	Login LoginProtection
	// SlowLog receives the statements that ran for at least its threshold;
	// nil disables it. The caller closes it after Shutdown.
	SlowLog *slowlog.Log
	// Digests receives every client statement for the statement summary
	// (performance_schema.events_statements_summary_by_digest); nil gives
	// the server its own.
	Digests *digest.Summary
	// GroupMembers fills performance_schema.replication_group_members on
	// a cluster member; nil on a single node (the table is empty).
	GroupMembers GroupMembersFunc
	// Forward, on a cluster member, lets the leader take the sessions of
	// followers that forward them and, unless Forward.Reject, runs this
	// node's sessions on the leader from their first statement that needs
	// it when it follows (forward.go); nil on a single node.
	Forward *Forwarding
	// NetWriteTimeout bounds one write to a client (MySQL's
	// net_write_timeout): a client that stops reading a result loses its
	// connection, and so its session, instead of holding them forever.
	// 0 is MySQL's default, 60 seconds.
	NetWriteTimeout time.Duration
}

// defaultNetWriteTimeout is MySQL's default net_write_timeout.
const defaultNetWriteTimeout = 60 * time.Second

// Server is the SQL engine over a Store plus its MySQL wire listener.
type Server struct {
	engine   *sqle.Engine
	provider *backend.Provider
	srv      *server.Server
	h        *handler
	logger   *slog.Logger
	addr     net.Addr
	metrics  *metrics.SQL
	digests  *digest.Summary
}

// NewEngine builds the go-mysql-server engine over store, loading users and
// grants and creating root@localhost with rootPassword on first start.
// Server-side files (LOAD DATA INFILE, INTO OUTFILE, LOAD_FILE) are
// disabled in it, as with an empty Config.SecureFilePriv.
func NewEngine(ctx context.Context, store *storage.Store, rootPassword, version string, logger *slog.Logger) (*sqle.Engine, *backend.Provider, error) {
	return newEngine(ctx, store, rootPassword, version, logger, &filePolicy{}, false)
}

// go-mysql-server creates its process-wide status variable registry in
// the first sqle.New, unsynchronized. Creating it before main runs keeps
// that write from racing with goroutines that build a sql.Context before
// the engine exists (a cluster member's @@read_only follower does; CI
// caught it). Later sqle.New calls only reset the values.
func init() { variables.InitStatusVariables() }

// newEngine is NewEngine under the server's file policy, whose accounts
// it fills in; forward says whether a follower forwards writes to the
// leader (Config.Forward).
func newEngine(ctx context.Context, store *storage.Store, rootPassword, version string, logger *slog.Logger, files *filePolicy, forward bool) (*sqle.Engine, *backend.Provider, error) {
	provider, err := backend.NewProvider(ctx, store, logger)
	if err != nil {
		return nil, nil, err
	}
	functions := newStoredFunctions(provider)
	engine := sqle.New(newAnalyzer(filePolicyProvider{Provider: provider, loadFile: loadFileFunction(files), functions: functions}, files, store.Writable, forward),
		&sqle.Config{VersionPostfix: "guocedb-" + version})
	files.db = engine.Analyzer.Catalog.MySQLDb
	engine.Analyzer.Catalog.StatsProvider = emptySafeStats{engine.Analyzer.Catalog.StatsProvider}
	engine.Analyzer.Catalog.InfoSchema = isolatedInfoSchema{Database: engine.Analyzer.Catalog.InfoSchema, functions: functions}
	// Procedures run their statements through the analyzer's runner: the
	// recording one keeps a CALL's result sets (callresults.go).
	engine.Analyzer.Runner = recordingRunner{engine}
	// Stored functions run their bodies through the same runner and
	// check EXECUTE against the engine's accounts.
	functions.runner, functions.privileges, functions.catalog = engine.Analyzer.Runner, engine.Analyzer.Catalog.MySQLDb, engine.Analyzer.Catalog
	dedupStatusVariables()
	charsetVariables()
	// Every parse, from the wire and from the analyzer (views, triggers),
	// understands MySQL 8's locking clauses and DO in procedure bodies.
	aliases := &aliasBook{}
	engine.Parser = lockingParser{Parser: procDoParser{engine.Parser}, aliases: aliases}
	engine.Analyzer.Parser = engine.Parser
	// The parser turns MATCH ... IN BOOLEAN MODE into this function.
	engine.Analyzer.Catalog.RegisterFunction(sql.NewEmptyContext(), matchBooleanFunction)
	registerDateFunctions(engine.Analyzer.Catalog)
	padDecimalDefaults()
	// go-mysql-server keeps system variables in a process-wide registry;
	// version_comment tells monitoring tools which server they talk to,
	// sql_mode starts as MySQL 8.0's (strict_mode.go). Persisted values
	// (SET PERSIST) are assigned after these and win.
	if err := sql.SystemVariables.AssignValues(map[string]any{"version_comment": "guocedb " + version, "sql_mode": mysql8SQLMode}); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("set version_comment: %w", err), provider.Close())
	}
	if err := loadUsers(engine, provider, rootPassword); err != nil {
		return nil, nil, errors.Join(err, provider.Close())
	}
	if err := assignPersistedGlobals(provider, logger); err != nil {
		return nil, nil, errors.Join(err, provider.Close())
	}
	return engine, provider, nil
}

// engineFiles is the provider newEngine gave the analyzer: guocedb's
// LOAD_FILE and stored functions over the backend.
func engineFiles(engine *sqle.Engine) filePolicyProvider {
	return engine.Analyzer.Catalog.DbProvider.(filePolicyProvider)
}

// assignPersistedGlobals gives the global variables the values SET PERSIST
// stored, as MySQL reads mysqld-auto.cnf at start-up. Variables guocedb
// derives from its configuration are assigned later (NewServer) and win.
func assignPersistedGlobals(p *backend.Provider, logger *slog.Logger) error {
	values, unknown, err := p.PersistedGlobals()
	if err != nil {
		return fmt.Errorf("read persisted variables: %w", err)
	}
	for _, name := range unknown {
		if logger != nil {
			logger.Warn("persisted variable unknown to this build, ignored", "component", "mysqlserver", "variable", name)
		}
	}
	if err := sql.SystemVariables.AssignValues(values); err != nil {
		return fmt.Errorf("assign persisted variables: %w", err)
	}
	return nil
}

// NewSessionBuilder returns the builder of guocedb sessions for the
// go-mysql-server wire server.
func NewSessionBuilder(p *backend.Provider) server.SessionBuilder {
	return func(_ context.Context, c *mysql.Conn, addr string) (sql.Session, error) {
		client := sql.Client{Capabilities: c.Capabilities}
		if u, ok := c.UserData.(sql.MysqlConnectionUser); ok {
			client.Address, client.User = u.Host, u.User
		}
		base := sql.NewBaseSessionWithClientServer(addr, client, c.ConnectionID)
		if tc, ok := tlsConnOf(c.Conn); ok {
			// SHOW STATUS LIKE 'Ssl_%' is how clients check their channel.
			st := tc.ConnectionState()
			for name, v := range map[string]string{
				"Ssl_cipher":  tls.CipherSuiteName(st.CipherSuite),
				"Ssl_version": tlsVersionName(st.Version),
			} {
				if err := base.SetStatusVariable(nil, name, v); err != nil {
					return nil, err
				}
			}
		}
		useHandshakeCollation(base, c.CharacterSet)
		return backend.NewSession(base, p), nil
	}
}

// useHandshakeCollation makes the collation a client names in its
// handshake the connection's character set and collation, as MySQL does
// (go-mysql-server keeps its defaults). One the engine does not know is
// left at the default rather than failing the login, as is one whose
// character set guocedb cannot convert (wire_charsets.go).
func useHandshakeCollation(s *sql.BaseSession, id uint8) {
	if id == 0 {
		return
	}
	coll := sql.CollationID(id)
	name := coll.Name()
	if name == "" || !clientCharsetUsable(coll.CharacterSet()) {
		return
	}
	ctx := sql.NewEmptyContext()
	cs := coll.CharacterSet().Name()
	if err := s.SetSessionVariable(ctx, "collation_connection", name); err != nil {
		return
	}
	for _, v := range []string{"character_set_client", "character_set_connection", "character_set_results"} {
		_ = s.SetSessionVariable(ctx, v, cs)
	}
	_ = s.SetSessionVariable(ctx, "collation_connection", name)
}

// persister stores the users and grants blob through the catalog.
type persister struct{ c *backend.Catalog }

func (p persister) Persist(ctx *sql.Context, data []byte) error {
	return p.c.PersistMySQLDb(ctx, data)
}

func loadUsers(engine *sqle.Engine, provider *backend.Provider, rootPassword string) error {
	db := engine.Analyzer.Catalog.MySQLDb
	ctx := sql.NewEmptyContext()
	blob, err := provider.Catalog().LoadMySQLDb()
	if err != nil {
		return fmt.Errorf("load users and grants: %w", err)
	}
	if len(blob) > 0 {
		if err := db.LoadData(ctx, blob); err != nil {
			return fmt.Errorf("load users and grants: %w", err)
		}
	}
	db.SetPersister(persister{provider.Catalog()})
	db.SetEnabled(true)
	// A cluster follower takes the leader's account changes live.
	provider.Catalog().FollowMySQLDb(db)
	if len(blob) == 0 {
		ed := db.Editor()
		defer ed.Close()
		db.AddSuperUser(ed, "root", "localhost", rootPassword)
		if err := db.Persist(ctx, ed); err != nil {
			return fmt.Errorf("persist root account: %w", err)
		}
	}
	return nil
}

var _ mysql_db.MySQLDbPersistence = persister{}

// New builds the engine over store and binds the listener (not yet serving).
func New(cfg Config, store *storage.Store, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	files := &filePolicy{dir: cfg.SecureFilePriv}
	engine, provider, err := newEngine(context.Background(), store, cfg.RootPassword, cfg.Version, logger, files, cfg.Forward.forwards())
	if err != nil {
		return nil, err
	}
	if cfg.RequireSecureTransport && cfg.TLS == nil {
		return nil, errors.Join(errors.New("require-secure-transport needs TLS"), provider.Close())
	}
	// The variable shows the listener's setting. It is process-wide in
	// go-mysql-server, so the enforcement itself reads cfg, not it.
	// local_infile is what go-mysql-server checks for LOAD DATA LOCAL.
	tlsVersions, _, err := TLSVersionList(cfg.TLSMinVersion)
	if err != nil {
		return nil, errors.Join(err, provider.Close())
	}
	addTLSVersionVariable(tlsVersions)
	if err := sql.SystemVariables.AssignValues(map[string]any{
		"require_secure_transport": boolInt(cfg.RequireSecureTransport),
		"local_infile":             boolInt(cfg.LocalInfile),
	}); err != nil {
		return nil, errors.Join(fmt.Errorf("set system variables: %w", err), provider.Close())
	}
	addSSLVariables(cfg.TLS != nil)
	// go-mysql-server's INTO OUTFILE also checks this (more loosely)
	// after fileExportBuilder.
	addSecureFilePrivVariable(cfg.SecureFilePriv)
	addSlowLogVariables(cfg.SlowLog)
	m := cfg.Metrics
	if m == nil {
		if m, err = metrics.NewSQL(prometheus.NewRegistry()); err != nil {
			return nil, errors.Join(err, provider.Close())
		}
	}
	digests := cfg.Digests
	if digests == nil {
		digests = digest.NewSummary(0)
	}
	// The analyzer reaches databases through the catalog's provider, so
	// performance_schema is added there (perfschema.go), over the one
	// that hands out guocedb's LOAD_FILE (fileaccess.go).
	fileProvider := engineFiles(engine)
	engine.Analyzer.Catalog.DbProvider = newPerfSchemaProvider(fileProvider, digests, cfg.GroupMembers)
	installInnodbTrx(sql.NewEmptyContext(), engine.Analyzer.Catalog.InfoSchema, lockViews{p: provider})
	obs := &observer{m: m, slow: cfg.SlowLog, digests: digests, logger: logger, audit: newAuditor(cfg.Audit)}
	blob, err := provider.Catalog().LoadLoginState()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("load login protection state: %w", err), provider.Close())
	}
	guard, err := newLoginGuard(engine.Analyzer.Catalog.MySQLDb, blob, provider.Catalog().PersistLoginState, cfg.Login, m)
	if err != nil {
		return nil, errors.Join(err, provider.Close())
	}
	guard.onLogin = obs.audit.login
	engine.Analyzer.Catalog.RegisterFunction(sql.NewEmptyContext(), showCreateUserFunction(guard))
	engine.Analyzer.ExecBuilder = newExecBuilder(files, statusOverride{m: m, store: store}, explainBuilder{stats: engine.Analyzer.Catalog},
		accountPolicyBuilder{g: guard})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("listen on %s: %w", cfg.Addr, err), provider.Close())
	}
	scfg := server.Config{
		Protocol: "tcp",
		Address:  cfg.Addr,
		// Compression is offered on listeners without TLS only: with TLS it
		// would have to run inside the TLS layer, which packetConn puts
		// above compression. packetConn above compression and TLS: it sees
		// plain packets. vitess gets no TLS configuration: packetConn does
		// TLS (packetconn_tls.go).
		Listener: packetListener{
			Listener:     compressListener{Listener: countingListener{Listener: ln, m: m}, advertise: cfg.TLS == nil},
			writeTimeout: cmp.Or(cfg.NetWriteTimeout, defaultNetWriteTimeout),
			tls:          cfg.TLS,
		},
		Version:                 "8.0.33-guocedb-" + cfg.Version,
		ProtocolListenerFactory: listenerFactory(cfg.RequireSecureTransport, cfg.TLS != nil, guard, cfg.Forward),
	}
	// Before the wire server takes the list over: it adds and readies
	// every connection through it.
	engine.ProcessList = newRemoteHostList(engine.ProcessList)
	var h *handler
	wrap := func(inner mysql.Handler) (mysql.Handler, error) {
		h = newHandler(inner)
		h.obs = obs
		if cfg.Forward.forwards() {
			h.fwd, h.writable = cfg.Forward, store.Writable
		}
		h.rejectWrites = cfg.Forward != nil && cfg.Forward.Reject
		// The session starts at login, so that a connection that has
		// sent nothing yet (a pool's idle one) is in the process list
		// under its user, sleeping, as in MySQL. vitess sets the same
		// User and UserData on the same goroutine right after.
		guard.onAuthenticated = func(c *mysql.Conn, user string, data mysql.Getter) {
			c.User, c.UserData = user, data
			h.ready(c)
		}
		h.connectionExists = func(id uint32) bool {
			for _, p := range engine.ProcessList.Processes() {
				if p.Connection == id {
					return true
				}
			}
			return false
		}
		h.floatScale = provider.FloatScale
		h.functions = fileProvider.functions
		if lp, ok := engine.Parser.(lockingParser); ok {
			h.aliases = lp.aliases // the parser notes them, fixFields reads them
		}
		h.preparedStmt = engine.PreparedDataCache.GetCachedStmt
		h.parser = engine.Parser
		h.engine = engine
		h.cacheStmt = engine.PreparedDataCache.CacheStmt
		h.procParams = catalogProcedureParams(engine.Analyzer.Catalog)
		h.locks = lockViews{p: provider}
		h.users = engine.Analyzer.Catalog.MySQLDb
		h.plans = newPlanCache(cmp.Or(cfg.PlanCacheSize, DefaultPlanCacheSize), m, provider.Catalog().Generation, grantsGeneration(engine.Analyzer.Catalog.MySQLDb), store.Writable)
		return h, nil
	}
	srv, err := server.NewServerWithHandler(scfg, engine, sql.NewContext, trackingSessionBuilder(encodingSessionBuilder(NewSessionBuilder(provider))), nil, wrap)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("listen on %s: %w", cfg.Addr, err), ln.Close(), provider.Close())
	}
	return &Server{engine: engine, provider: provider, srv: srv, h: h, logger: logger, addr: srv.Listener.Addr(), metrics: m, digests: digests}, nil
}

// Metrics returns the server's counters.
func (s *Server) Metrics() *metrics.SQL { return s.metrics }

// Digests returns the statement summary.
func (s *Server) Digests() *digest.Summary { return s.digests }

// Engine returns the SQL engine.
func (s *Server) Engine() *sqle.Engine { return s.engine }

// Addr returns the bound listener address.
func (s *Server) Addr() net.Addr { return s.addr }

// Serve accepts connections until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve() error { return s.srv.Start() }

// killGrace bounds the wait for statements to end after they were killed
// at the shutdown deadline.
const killGrace = 10 * time.Second

// endGrace bounds the wait for idle connections to end at shutdown
// (handler.endConns) before they are closed.
const endGrace = 2 * time.Second

// Shutdown stops accepting connections and commands, waits for running
// statements up to ctx's deadline (then kills them), closes every client
// connection (rolling back open transactions) and persists the catalog's
// counters. Once it returns no command reaches storage, which its owner
// closes next.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Close()
	idle := s.h.close()
	select {
	case <-idle:
	case <-ctx.Done():
		n := running(s.engine)
		s.logger.Warn("shutdown timeout: killing running statements and closing connections", "running", n)
		for _, p := range s.engine.ProcessList.Processes() {
			s.engine.ProcessList.Kill(p.Connection)
		}
		// A command can also be blocked writing to a client that stopped
		// reading (suspended, or gone while another process holds its
		// socket): no kill reaches that, closing the connection does.
		s.h.closeConns()
		select {
		case <-idle:
		case <-time.After(killGrace):
			return errors.Join(err, fmt.Errorf("shutdown: commands still running %s after their connections were closed (%d statements)", killGrace, running(s.engine)))
		}
	}
	s.h.endConns(endGrace)
	s.h.closeConns()
	return errors.Join(err, s.provider.Close())
}

func boolInt(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

func running(e *sqle.Engine) int {
	n := 0
	for _, p := range e.ProcessList.Processes() {
		if p.Command == sql.ProcessCommandQuery {
			n++
		}
	}
	return n
}
