package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// sqlConnectTimeout bounds the MySQL connection set-up; statements
// themselves run as long as they take (an ALTER of a big table may take
// minutes), like the mysql client's.
const sqlConnectTimeout = 30 * time.Second

// sqlFlags are the flags of guocedb sql. The admin API flags (--server,
// --user, --password-file, --tls-ca) serve the progress bar.
type sqlFlags struct {
	mysqlAddr string
	database  string
	execute   string
	admin     *adminFlags
}

// runSQL runs statements over the MySQL protocol, from -e or stdin, one
// at a time on one connection, and prints each result as the mysql client
// does in table mode. It stops at the first failing statement: exit 1
// with the MySQL error code and message.
func runSQL(e env) int {
	fs := flag.NewFlagSet("guocedb sql", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f := &sqlFlags{admin: &adminFlags{timeout: 5 * time.Second}}
	fs.StringVar(&f.mysqlAddr, "mysql-addr", config.DefaultMySQLAddr, "MySQL protocol `ADDR` (HOST:PORT) to connect to")
	fs.StringVar(&f.database, "database", "", "default `DATABASE` (as USE)")
	fs.StringVar(&f.execute, "e", "", "run `STATEMENTS` (separated by ;) instead of reading them from stdin")
	fs.StringVar(&f.admin.server, "server", config.DefaultAdminAddr,
		"admin API `ADDR` polled for the progress of ALTER TABLE and CREATE INDEX on a terminal")
	fs.StringVar(&f.admin.user, "user", "root", "guocedb `USER` to log in as (MySQL and admin API)")
	fs.StringVar(&f.admin.passwordFile, "password-file", "",
		"read the password from the first line of `FILE` (default: "+passwordEnv+", else a prompt on a terminal, else empty)")
	fs.StringVar(&f.admin.tlsCA, "tls-ca", "", "PEM `FILE` of the CA to trust for an https:// admin API")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: guocedb sql [flags] [-e STATEMENTS]   (statements on stdin without -e)")
		fs.PrintDefaults()
	}
	args, code, ok := parseAdminFlags(fs, e.args)
	if !ok {
		return code
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "guocedb sql: unexpected argument %q (statements go in -e or stdin)\n", args[0])
		return exitUsage
	}
	script := f.execute
	if !flagSet(fs, "e") {
		if e.stdin == nil {
			fmt.Fprintln(e.stderr, "guocedb sql: no statements: give -e STATEMENTS or pipe them to stdin")
			return exitUsage
		}
		raw, err := io.ReadAll(e.stdin)
		if err != nil {
			printError(e.stderr, "sql: read stdin", err)
			return exitError
		}
		script = string(raw)
	}
	stmts := splitStatements(script)
	if len(stmts) == 0 {
		fmt.Fprintln(e.stderr, "guocedb sql: no statements to run")
		return exitUsage
	}
	password, err := f.admin.password(e)
	if err != nil {
		printError(e.stderr, "sql", err)
		return exitError
	}
	s, err := openSQLSession(f, password)
	if err != nil {
		printSQLError(e, err)
		return exitError
	}
	defer s.close()
	for _, q := range stmts {
		if err := s.run(e, q); err != nil {
			printSQLError(e, err)
			return exitError
		}
	}
	return exitOK
}

// flagSet reports whether the flag name was given on the command line
// (-e "" is an empty script, not "read stdin").
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// sqlSession is guocedb sql's one MySQL connection.
type sqlSession struct {
	db       *sql.DB
	conn     *sql.Conn
	flags    *sqlFlags
	password string
}

func openSQLSession(f *sqlFlags, password string) (*sqlSession, error) {
	cfg := mysql.NewConfig()
	cfg.User = f.admin.user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = f.mysqlAddr
	cfg.DBName = f.database
	cfg.Timeout = sqlConnectTimeout
	// As the mysql client's default ssl-mode=PREFERRED: TLS when the
	// server offers it (caching_sha2_password accounts need it).
	cfg.TLSConfig = "preferred"
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	ctx, cancel := context.WithTimeout(context.Background(), sqlConnectTimeout)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &sqlSession{db: db, conn: conn, flags: f, password: password}, nil
}

func (s *sqlSession) close() {
	_ = s.conn.Close()
	_ = s.db.Close()
}

// returnsRows reports whether q is a statement that answers with rows.
func returnsRows(q string) bool {
	return sqltext.StartsWith(q, "select", "show", "with", "table", "values", "describe", "desc", "explain", "help", "check", "analyze", "checksum")
}

// rebuildsTable reports whether q may rebuild a table, the statements
// guocedb reports progress for.
func rebuildsTable(q string) bool {
	return sqltext.StartsWith(q, "alter", "create", "optimize") &&
		(sqltext.StartsWith(q, "alter", "optimize") || isCreateIndex(q))
}

// isCreateIndex reports whether q is CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX.
func isCreateIndex(q string) bool {
	words := strings.Fields(strings.ToLower(q))
	for i := 1; i < len(words) && i < 3; i++ {
		if words[i] == "index" {
			return true
		}
	}
	return false
}

// run executes one statement and prints its result.
func (s *sqlSession) run(e env, q string) error {
	ctx := context.Background()
	if returnsRows(q) {
		return s.query(ctx, e, q)
	}
	stop := func() {}
	if rebuildsTable(q) && isTerminal(e.stderr) {
		stop = s.watchProgress(e, q)
	}
	res, err := s.conn.ExecContext(ctx, q)
	stop()
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Query OK, %d %s affected\n", n, plural(n, "row", "rows"))
	return nil
}

// query runs q and prints its rows as a table, NULL as NULL.
func (s *sqlSession) query(ctx context.Context, e env, q string) error {
	rows, err := s.conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var table [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		line := make([]string, len(cols))
		for i, v := range raw {
			if v == nil {
				line[i] = "NULL"
			} else {
				line[i] = string(v)
			}
		}
		table = append(table, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(cols) > 0 && len(table) > 0 {
		printTable(e.stdout, cols, table)
	}
	if len(table) == 0 {
		fmt.Fprintln(e.stdout, "Empty set")
	} else {
		fmt.Fprintf(e.stdout, "%d %s in set\n", len(table), plural(int64(len(table)), "row", "rows"))
	}
	return nil
}

// printTable draws rows under cols with the mysql client's borders.
func printTable(w io.Writer, cols []string, rows [][]string) {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = utf8.RuneCountInString(c)
	}
	for _, r := range rows {
		for i, v := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(v))
		}
	}
	var b strings.Builder
	border := func() {
		for _, n := range widths {
			b.WriteString("+" + strings.Repeat("-", n+2))
		}
		b.WriteString("+\n")
	}
	line := func(vals []string) {
		for i, v := range vals {
			b.WriteString("| " + v + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v)) + " ")
		}
		b.WriteString("|\n")
	}
	border()
	line(cols)
	border()
	for _, r := range rows {
		line(r)
	}
	border()
	_, _ = io.WriteString(w, b.String())
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printSQLError prints a MySQL error as the mysql client does (ERROR
// code (SQLSTATE): message), anything else (no connection) as guocedb's
// errors.
func printSQLError(e env, err error) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if me.SQLState != [5]byte{} {
			fmt.Fprintf(e.stderr, "ERROR %d (%s): %s\n", me.Number, me.SQLState[:], me.Message)
		} else {
			fmt.Fprintf(e.stderr, "ERROR %d: %s\n", me.Number, me.Message)
		}
		return
	}
	printError(e.stderr, "sql", err)
}
