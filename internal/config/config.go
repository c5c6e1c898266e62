package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/guocedb/guocedb/internal/encryption"
)

// Default values, also shown by --help and in the README.
const (
	DefaultDataDir         = "./data"
	DefaultMySQLAddr       = "127.0.0.1:3306"
	DefaultHTTPAddr        = "127.0.0.1:9307"
	DefaultAdminAddr       = "127.0.0.1:9308"
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
	DefaultShutdownTimeout = 30 * time.Second
	DefaultSlowQueryTime   = time.Second
	// DefaultTLSMinVersion is the oldest TLS version offered: TLS 1.0 and
	// 1.1 are deprecated (RFC 8996) and MySQL 8.0.28 removed them.
	DefaultTLSMinVersion = "TLSv1.2"
	// DefaultSlowLogName is the slow query log's file name in the data
	// directory when slow-log-file is empty.
	DefaultSlowLogName = "slow.log"
	// SlowLogOff is the SlowQueryTime that disables the slow query log
	// (slow-query-time = "off"); every negative value does.
	SlowLogOff time.Duration = -1
)

// LogLevels returns the accepted values of log-level, most verbose first.
func LogLevels() []string { return []string{"debug", "info", "warn", "error"} }

// LogFormats returns the accepted values of log-format.
func LogFormats() []string { return []string{"text", "json"} }

// AuditEvents returns the accepted values of audit-events: the events
// connect and disconnect, and the statement classes.
func AuditEvents() []string {
	return []string{"connect", "disconnect", "ddl", "dcl", "dml", "select", "admin"}
}

// DefaultPlanCacheSize is how many prepared statement plans each
// connection keeps.
const DefaultPlanCacheSize = 256

// DefaultMemTableSize is memtable-size: small enough that the memtables
// being filled and flushed stay a small part of the server's memory, large
// enough that a flush writes a table of a useful size (see storage's
// DESIGN.md, "Memory"). It does not bound a transaction.
const DefaultMemTableSize = 16 << 20

// DefaultBlockCacheSize is block-cache-size: about twice the blocks of
// sysbench's 4 x 10,000 rows with its inserts; the page cache holds the
// compressed tables beyond it.
const DefaultBlockCacheSize = 32 << 20

// MemoryLimitAuto is the MemoryLimit that derives the limit from the
// storage settings (AutoMemoryLimit), unless GOMEMLIMIT is set.
const MemoryLimitAuto int64 = -1

// DefaultQueryMemory is what the automatic memory limit adds to the most
// the storage layer holds, for connections, statements and the garbage
// they leave between two collections. Past the limit the collector runs
// more often (at most half the CPU), never fails an allocation.
const DefaultQueryMemory = 64 << 20

// DefaultAuditLogMaxSize is the size at which the audit log rotates.
const DefaultAuditLogMaxSize = 100 << 20

// TLSMinVersions returns the accepted values of tls-min-version, in
// MySQL's spelling (as @@tls_version shows them), oldest first.
func TLSMinVersions() []string { return []string{"TLSv1.2", "TLSv1.3"} }

// Config is the effective configuration of one guocedb process. It is a
// plain value: copy it freely; nothing in it is shared.
type Config struct {
	// DataDir is the Badger data directory (created if missing).
	DataDir string
	// MySQLAddr is HOST:PORT of the MySQL wire listener; port 0 picks one.
	MySQLAddr string
	// HTTPAddr is HOST:PORT of the HTTP listener (/healthz, /readyz).
	HTTPAddr string
	// AdminAddr is HOST:PORT of the admin API listener (gRPC and JSON
	// over HTTP); empty disables it. It is separate from HTTPAddr, which
	// may be opened to scrapers, so the admin API stays on loopback.
	AdminAddr string
	// LogLevel is one of LogLevels().
	LogLevel string
	// LogFormat is one of LogFormats().
	LogFormat string
	// ShutdownTimeout bounds how long a graceful stop waits for running
	// statements before closing connections.
	ShutdownTimeout time.Duration
	// RootPassword is the password of root when the data directory has no
	// users yet. It comes from GUOCEDB_ROOT_PASSWORD only: never a flag
	// (visible in ps) nor the config file (often world-readable).
	RootPassword string
	// TLSCert and TLSKey are PEM files of the server's certificate (chain)
	// and private key; both or neither.
	TLSCert string
	TLSKey  string
	// TLSAutoGenerate creates a self-signed certificate and key under
	// <data-dir>/tls on first start when TLSCert and TLSKey are empty,
	// and reuses them on later starts.
	TLSAutoGenerate bool
	// TLSMinVersion is the oldest TLS version the MySQL and admin
	// listeners accept, one of TLSMinVersions().
	TLSMinVersion string
	// RequireSecureTransport refuses logins over connections without TLS
	// (MySQL error 3159).
	RequireSecureTransport bool
	// LocalInfile allows LOAD DATA LOCAL INFILE (the client sends a file
	// of its own); off, such a statement fails with MySQL error 3948.
	LocalInfile bool
	// SecureFilePriv is the one directory server-side file import and
	// export (LOAD DATA INFILE, SELECT ... INTO OUTFILE/DUMPFILE,
	// LOAD_FILE()) may touch, for accounts with the FILE privilege. Empty
	// disables them all (@@secure_file_priv is NULL), as a standalone
	// MySQL 8 does by default.
	SecureFilePriv string
	// SlowQueryTime is the duration from which a statement goes to the
	// slow query log; 0 logs every statement, a negative value (SlowLogOff)
	// disables the log.
	SlowQueryTime time.Duration
	// AuditLog is the audit log file (JSON Lines); empty disables it.
	AuditLog string
	// AuditEvents lists the events and statement classes the audit log
	// keeps (AuditEvents()); empty keeps all. DDL and DCL are always kept.
	AuditEvents []string
	// AuditUsers lists the users whose events the audit log keeps; empty
	// keeps all. DDL and DCL are kept for every user.
	AuditUsers []string
	// AuditLogMaxSize rotates the audit log at this many bytes; 0 never.
	AuditLogMaxSize int64
	// MemTableSize is the size of one Badger memtable in bytes (Badger
	// keeps up to three in memory, each with a log of twice its size
	// mapped in).
	MemTableSize int64
	// BlockCacheSize is Badger's cache of decompressed table blocks in
	// bytes.
	BlockCacheSize int64
	// MemoryLimit is the Go runtime's soft memory limit in bytes
	// (runtime/debug.SetMemoryLimit): the garbage collector works harder
	// as the heap nears it instead of letting it double. MemoryLimitAuto
	// derives it (AutoMemoryLimit) or takes GOMEMLIMIT when that is set;
	// 0 sets no limit.
	MemoryLimit int64
	// PlanCacheSize is how many analyzed plans of prepared statements
	// each connection keeps; 0 turns the plan cache off.
	PlanCacheSize int
	// SlowLogFile is the file slow statements are appended to as JSON
	// lines; empty means DATA-DIR/slow.log (see SlowLogPath).
	SlowLogFile string
	// EncryptionKeyFile holds the master key (64 hex characters, mode
	// 0600 or stricter) that encrypts the data directory at rest; empty:
	// not encrypted. An encrypted directory opens only with its key.
	EncryptionKeyFile string

	// NodeID names this node in its cluster. It is remembered in the data
	// directory on first start (DATA-DIR/cluster.json), so later starts
	// may omit it; a different one is refused.
	NodeID string
	// RaftAddr is HOST:PORT of this node's raft transport; empty runs a
	// single node, as before clustering existed.
	RaftAddr string
	// RaftListenAddr is HOST:PORT the raft transport listens on when it
	// differs from RaftAddr, the address the other members dial (behind a
	// proxy or NAT); empty listens on RaftAddr. Outgoing raft connections
	// leave from its host.
	RaftListenAddr string
	// ClusterCA is a PEM file of the CA certificates that members'
	// certificates must chain to. A member with TLS on (TLSEnabled)
	// needs it: its raft transport, snapshot streams and member info
	// then run over TLS, each side presenting the server's certificate
	// and verifying the other's against this bundle, and raft addresses
	// may leave loopback.
	ClusterCA string
	// InitialCluster is id1=host:port,id2=host:port,...: the voters of a
	// new cluster (etcd's convention). Ignored once the data directory
	// holds cluster state, so the same command line restarts a node.
	InitialCluster string
	// Join is the admin address of a member to join through, as a
	// learner (not implemented yet: refused by Validate).
	Join string
	// RaftLogRetain is how many applied entries a member's log keeps
	// for peers that fall behind; a peer further behind is sent a
	// snapshot.
	RaftLogRetain uint64
	// FollowerWrites is what a follower does with a write, one of
	// FollowerWritesModes().
	FollowerWrites string
}

// FollowerWritesModes returns the accepted values of follower-writes:
// forward runs a session on the leader from its first statement that
// needs it (mysqlserver's forward.go), reject refuses writes on a
// follower with MySQL error 1290.
func FollowerWritesModes() []string { return []string{"forward", "reject"} }

// DefaultRaftLogRetain is raft-log-retain: about a minute of heavy
// writes, so that a member restarted within that catches up from the
// log rather than a snapshot.
const DefaultRaftLogRetain = 100000

// DefaultFollowerWrites is the follower-writes mode.
const DefaultFollowerWrites = "forward"

// Clustered reports whether the node runs as a member of a raft cluster.
func (c Config) Clustered() bool { return c.RaftAddr != "" }

// AuditKeyPath is the audit log's HMAC key file: DATA-DIR/audit.key.
func (c Config) AuditKeyPath() string { return filepath.Join(c.DataDir, "audit.key") }

// SlowLogPath returns the file the slow query log writes to.
func (c Config) SlowLogPath() string {
	if c.SlowLogFile != "" {
		return c.SlowLogFile
	}
	return filepath.Join(c.DataDir, DefaultSlowLogName)
}

// TLSEnabled reports whether the MySQL listener offers TLS (and the
// admin listener requires it).
func (c Config) TLSEnabled() bool {
	return (c.TLSCert != "" && c.TLSKey != "") || c.TLSAutoGenerate
}

// PeersSecure reports whether members talk to each other over verified
// TLS: a cluster member with TLS on and a cluster CA.
func (c Config) PeersSecure() bool { return c.TLSEnabled() && c.ClusterCA != "" }

// Default returns the configuration used when nothing else is given.
func Default() Config {
	return Config{
		DataDir:         DefaultDataDir,
		MySQLAddr:       DefaultMySQLAddr,
		HTTPAddr:        DefaultHTTPAddr,
		AdminAddr:       DefaultAdminAddr,
		LogLevel:        DefaultLogLevel,
		LogFormat:       DefaultLogFormat,
		ShutdownTimeout: DefaultShutdownTimeout,
		SlowQueryTime:   DefaultSlowQueryTime,
		TLSMinVersion:   DefaultTLSMinVersion,
		AuditLogMaxSize: DefaultAuditLogMaxSize,
		PlanCacheSize:   DefaultPlanCacheSize,
		MemTableSize:    DefaultMemTableSize,
		BlockCacheSize:  DefaultBlockCacheSize,
		MemoryLimit:     MemoryLimitAuto,
		FollowerWrites:  DefaultFollowerWrites,
		RaftLogRetain:   DefaultRaftLogRetain,
	}
}

// Validate reports every invalid setting, each naming its key and what is
// allowed. It returns nil for a usable configuration.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data-dir: must not be empty"))
	}
	mysqlOK := true
	if err := checkAddr(c.MySQLAddr); err != nil {
		errs = append(errs, fmt.Errorf("mysql-addr: %w", err))
		mysqlOK = false
	}
	if err := checkAddr(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("http-addr: %w", err))
	}
	errs = append(errs, c.validateAdmin()...)
	if !contains(LogLevels(), c.LogLevel) {
		errs = append(errs, fmt.Errorf("log-level: %q is not one of %s", c.LogLevel, strings.Join(LogLevels(), ", ")))
	}
	if !contains(LogFormats(), c.LogFormat) {
		errs = append(errs, fmt.Errorf("log-format: %q is not one of %s", c.LogFormat, strings.Join(LogFormats(), ", ")))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown-timeout: %s must be a positive duration such as 30s", c.ShutdownTimeout))
	}
	errs = append(errs, c.validateTLS()...)
	if err := c.validateSecureFilePriv(); err != nil {
		errs = append(errs, fmt.Errorf("secure-file-priv: %w", err))
	}
	if c.EncryptionKeyFile != "" {
		if _, err := encryption.LoadKeyFile(c.EncryptionKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("encryption-key-file: %w", err))
		}
	}
	for _, e := range c.AuditEvents {
		if !contains(AuditEvents(), e) {
			errs = append(errs, fmt.Errorf("audit-events: %q is not one of %s", e, strings.Join(AuditEvents(), ", ")))
		}
	}
	if c.AuditLogMaxSize < 0 {
		errs = append(errs, errors.New("audit-log-max-size: must not be negative"))
	}
	errs = append(errs, c.validateMemory()...)
	errs = append(errs, c.validateCluster()...)
	// Only the MySQL listener grants data access; an open root account on a
	// reachable address is refused. The HTTP listener exposes health,
	// metrics and status (counts and sizes), never data.
	if mysqlOK && c.RootPassword == "" && !isLoopback(c.MySQLAddr) {
		errs = append(errs, fmt.Errorf("mysql-addr: %q listens beyond loopback while the root password is empty; "+
			"set GUOCEDB_ROOT_PASSWORD or listen on 127.0.0.1", c.MySQLAddr))
	}
	return errors.Join(errs...)
}

// validateAdmin checks admin-addr. The admin API carries passwords (HTTP
// Basic) and can kill sessions and copy every row, so beyond loopback it
// is served only with TLS, as mysql-addr is refused beyond loopback
// without a root password.
func (c Config) validateAdmin() []error {
	if c.AdminAddr == "" {
		return nil // disabled
	}
	if err := checkAddr(c.AdminAddr); err != nil {
		return []error{fmt.Errorf("admin-addr: %w; or empty to disable the admin API", err)}
	}
	if !isLoopback(c.AdminAddr) && !c.TLSEnabled() {
		return []error{fmt.Errorf("admin-addr: %q listens beyond loopback without TLS; "+
			"set tls-cert and tls-key (or tls-auto-generate), or listen on 127.0.0.1", c.AdminAddr)}
	}
	return nil
}

// validateTLS checks that the certificate and key are given together, can
// be read and belong together, so that a bad file fails at start (and in
// check-config) with the key's name instead of at the first TLS client.
func (c Config) validateTLS() []error {
	var errs []error
	switch {
	case c.TLSCert != "" && c.TLSKey == "":
		errs = append(errs, errors.New("tls-key: missing; tls-cert is set and needs its private key"))
	case c.TLSCert == "" && c.TLSKey != "":
		errs = append(errs, errors.New("tls-cert: missing; tls-key is set and needs its certificate"))
	case c.TLSCert != "":
		certOK, keyOK := true, true
		if err := checkReadable(c.TLSCert); err != nil {
			errs = append(errs, fmt.Errorf("tls-cert: %w", err))
			certOK = false
		}
		if err := checkReadable(c.TLSKey); err != nil {
			errs = append(errs, fmt.Errorf("tls-key: %w", err))
			keyOK = false
		}
		if certOK && keyOK {
			if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
				errs = append(errs, fmt.Errorf("tls-cert, tls-key: %s and %s are not a usable PEM certificate and matching private key: %w",
					c.TLSCert, c.TLSKey, err))
			}
		}
	}
	if !contains(TLSMinVersions(), c.TLSMinVersion) {
		errs = append(errs, fmt.Errorf("tls-min-version: %q is not one of %s", c.TLSMinVersion, strings.Join(TLSMinVersions(), ", ")))
	}
	if c.RequireSecureTransport && !c.TLSEnabled() {
		errs = append(errs, errors.New("require-secure-transport: needs TLS; set tls-cert and tls-key, or tls-auto-generate"))
	}
	return errs
}

// validateSecureFilePriv refuses a directory that would open more than
// it confines: one anybody can write to (another local user could plant
// a file for LOAD DATA, or read what INTO OUTFILE wrote), and one that
// overlaps the data directory (LOAD_FILE would read any database's files,
// bypassing grants; INTO OUTFILE could drop files among Badger's).
func (c Config) validateSecureFilePriv() error {
	if c.SecureFilePriv == "" {
		return nil
	}
	dir, err := ResolveSecureFilePriv(c.SecureFilePriv)
	if err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", c.SecureFilePriv)
	}
	if st.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("%s is writable by every user (mode %04o); use a directory only guocedb's account and trusted users can write (chmod o-w)",
			c.SecureFilePriv, st.Mode().Perm())
	}
	data := resolveExisting(c.DataDir)
	switch {
	case within(dir, data):
		return fmt.Errorf("%s is inside the data directory %s; use a directory outside it", c.SecureFilePriv, c.DataDir)
	case within(data, dir):
		return fmt.Errorf("%s contains the data directory %s; use a directory outside it", c.SecureFilePriv, c.DataDir)
	}
	return nil
}

// ResolveSecureFilePriv turns the secure-file-priv setting into the
// absolute, symlink-free directory the server confines files to.
func ResolveSecureFilePriv(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// resolveExisting is path made absolute with the symlinks of its longest
// existing prefix resolved (the data directory may not exist yet).
func resolveExisting(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	rest := ""
	for cur := abs; ; cur = filepath.Dir(cur) {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		if cur == filepath.Dir(cur) {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// within reports whether path is dir or lies below it; both are clean
// absolute paths, and /dir-evil is not within /dir.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// checkAddr accepts HOST:PORT with a numeric port in 0..65535; an empty
// host means every interface.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT (for example 127.0.0.1:3306)", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q has port %q; want a number from 0 to 65535", addr, port)
	}
	return nil
}

// isLoopback reports whether addr can only be reached from this machine.
// Host names other than localhost are treated as reachable from outside,
// since what they resolve to can change.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}
