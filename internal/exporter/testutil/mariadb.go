package testutil

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// MariaDB is a throw-away MariaDB server on 127.0.0.1.
type MariaDB struct {
	// Addr is host:port on 127.0.0.1.
	Addr   string
	socket string
	root   *sql.DB
}

// SourceSpec is what a test needs to put one server into an exporter
// configuration as a [[datasource]].
type SourceSpec struct {
	Name, Host, User, Password, DBName string
}

// SourceFromDSN turns a go-sql-driver/mysql DSN (user:pw@tcp(host:port)/db)
// into a SourceSpec named name. It is the hook for adding any
// MySQL-protocol server, guocedb included, to the multi-source tests.
func SourceFromDSN(name, dsn string) (SourceSpec, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return SourceSpec{}, fmt.Errorf("parse DSN for %q: %w", name, err)
	}
	return SourceSpec{Name: name, Host: c.Addr, User: c.User, Password: c.Passwd, DBName: c.DBName}, nil
}

// StartMariaDB initialises a datadir in a temporary directory and starts
// mariadbd on a free loopback port. The server is stopped and the directory
// removed when the test ends. extraArgs are added to mariadbd's command
// line (for example --ssl-cert=FILE).
func StartMariaDB(t testing.TB, extraArgs ...string) *MariaDB {
	t.Helper()
	install := RequireTool(t, "mariadb-install-db", "mysql_install_db")
	server := RequireTool(t, "mariadbd", "mysqld")

	// A short base path keeps the socket path under the 108-byte limit.
	dir, err := os.MkdirTemp("", "gexmdb")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	// Each server gets its own tmpdir: MariaDB names its temporary files
	// by pid and thread, and servers of parallel test packages sharing
	// /tmp have removed each other's files during bootstrap.
	tmp := filepath.Join(dir, "tmp")
	require.NoError(t, os.Mkdir(tmp, 0o700))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, install, "--no-defaults", "--datadir="+data, "--tmpdir="+tmp, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "mariadb-install-db: %s", out.String())

	port := FreePort(t)
	m := &MariaDB{Addr: "127.0.0.1:" + strconv.Itoa(port), socket: filepath.Join(dir, "mysqld.sock")}
	args := []string{"--no-defaults", "--datadir=" + data, "--tmpdir=" + tmp, "--socket=" + m.socket,
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--user=root",
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--log-error=" + filepath.Join(dir, "error.log"),
		"--skip-log-bin", "--innodb-buffer-pool-size=32M", "--max-connections=300",
		"--performance-schema=OFF", "--skip-name-resolve"}
	srv := exec.Command(server, append(args, extraArgs...)...)
	startProcess(t, srv, 20*time.Second)

	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", m.socket
	cfg.Timeout = 2 * time.Second
	root, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	root.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = root.Close() })
	WaitFor(t, 60*time.Second, 200*time.Millisecond, "mariadbd to accept connections", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return root.PingContext(ctx) == nil
	})
	m.root = root
	return m
}

// Exec runs statements as root.
func (m *MariaDB) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := m.root.ExecContext(ctx, s)
		cancel()
		require.NoError(t, err, "exec %q", s)
	}
}

// CreateUser creates a monitoring user (reachable from 127.0.0.1 over TCP)
// with the privileges the exporter needs, and a database named db with one
// small table t(id, v) readable by that user. It returns the SourceSpec.
func (m *MariaDB) CreateUser(t testing.TB, name, user, password, db string) SourceSpec {
	t.Helper()
	m.Exec(t,
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", user, password),
		fmt.Sprintf("GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO '%s'@'127.0.0.1'", user),
		fmt.Sprintf("CREATE DATABASE `%s`", db),
		fmt.Sprintf("CREATE TABLE `%s`.t (id INT PRIMARY KEY, v VARCHAR(20))", db),
		fmt.Sprintf("INSERT INTO `%s`.t VALUES (1, 'a'), (2, 'b'), (3, 'b')", db),
		fmt.Sprintf("GRANT SELECT ON `%s`.* TO '%s'@'127.0.0.1'", db, user),
	)
	return SourceSpec{Name: name, Host: m.Addr, User: user, Password: password, DBName: db}
}

// QueryInt runs a single-value query as root.
func (m *MariaDB) QueryInt(t testing.TB, q string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int64
	require.NoError(t, m.root.QueryRowContext(ctx, q).Scan(&n), "query %q", q)
	return n
}

// RootDB returns the root connection pool (over the unix socket).
func (m *MariaDB) RootDB() *sql.DB { return m.root }
