package compat

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// dumpTimeout bounds one mariadb-dump or one reload.
const dumpTimeout = 2 * time.Minute

// dumpCompletedLine is the only line of a dump that differs between two
// dumps of the same data: the time the dump finished.
var dumpCompletedLine = regexp.MustCompile(`(?m)^-- Dump completed on .*\n`)

// TestMariaDBDumpRoundTrip dumps a database holding every column type,
// composite, prefix, unique and FULLTEXT indexes (whose hidden
// pseudo-tables must not be dumped), foreign keys, AUTO_INCREMENT, a
// view, a trigger, a procedure and an event with mariadb-dump, reloads the
// dump into an empty fresh server with the mariadb client, dumps that
// again, and requires the two dumps to be identical, for each variant of
// the dump flags.
func TestMariaDBDumpRoundTrip(t *testing.T) {
	dump := testutil.RequireTool(t, "mariadb-dump")
	cli := testutil.RequireTool(t, "mariadb")

	src := startServer(t, false)
	schema := readTestdata(t, "types.sql") + "\n" + readTestdata(t, "dump_schema.sql")
	_, err := src.root.Exec("CREATE DATABASE shop")
	require.NoError(t, err)
	runSQL(t, cli, src, "shop", schema)
	want := tableText(t, src.root, "shop", "types")

	variants := []struct {
		name  string
		flags []string
		// has are lines the first dump must contain.
		has []string
	}{
		{"plain", nil, nil},
		{"single-transaction", []string{"--single-transaction"}, nil},
		{"routines-triggers-events", []string{"--routines", "--triggers", "--events"},
			[]string{"CREATE PROCEDURE add_order", "FUNCTION `order_count`", "FUNCTION `discounted`", "EVENT `nightly`"}},
		{"single-transaction-routines-triggers-events", []string{"--single-transaction", "--routines", "--triggers", "--events"},
			[]string{"CREATE PROCEDURE add_order", "FUNCTION `order_count`", "FUNCTION `discounted`", "EVENT `nightly`"}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			first := runDump(t, dump, src, v.flags)
			for _, line := range append([]string{
				"CREATE TABLE `types`",
				"KEY `by_name_created` (`name`,`created`)",
				"KEY `by_note` (`note`(20))",
				"UNIQUE KEY `by_email` (`email`)",
				"CONSTRAINT `orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE",
				"AUTO_INCREMENT=",
				"CREATE VIEW `customer_totals`",
				"CREATE TRIGGER orders_audit",
				"FULLTEXT KEY `ft_article` (`title`,`body`)",
			}, v.has...) {
				require.Contains(t, first, line)
			}
			require.NotContains(t, first, "_fts_", "a FULLTEXT pseudo-table was dumped")

			dst := startServer(t, false)
			runSQL(t, cli, dst, "", first)
			second := runDump(t, dump, dst, v.flags)
			require.Equal(t, dumpCompletedLine.ReplaceAllString(first, ""), dumpCompletedLine.ReplaceAllString(second, ""),
				"the dump of the reloaded server differs")

			// The reloaded objects work, not only print the same.
			require.Equal(t, want, tableText(t, dst.root, "shop", "types"))
			// One connection with shop as its database: go-mysql-server
			// resolves a trigger's table in the current database (see
			// docs/compatibility.md).
			ctx, cancel := context.WithTimeout(context.Background(), dumpTimeout)
			defer cancel()
			conn, err := dst.root.Conn(ctx)
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			_, err = conn.ExecContext(ctx, "USE shop")
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, "CALL add_order(1, 2.50)")
			if len(v.has) == 0 {
				require.Error(t, err, "a dump without --routines has no procedures")
				_, err = conn.ExecContext(ctx, "INSERT INTO orders (customer_id, total) VALUES (1, 2.50)")
			}
			require.NoError(t, err)
			var discounted string
			err = conn.QueryRowContext(ctx, "SELECT discounted(20)").Scan(&discounted)
			if len(v.has) == 0 {
				require.Error(t, err, "a dump without --routines has no functions")
			} else {
				require.NoError(t, err)
				require.Equal(t, "18.00", discounted, "the function runs after the reload")
			}
			var audits, total string
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit").Scan(&audits))
			require.Equal(t, "2", audits, "the trigger fires after the reload")
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT total = 16 FROM customer_totals WHERE id = 1").Scan(&total))
			require.Equal(t, "1", total, "the view sums the orders")
			var article string
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT id FROM articles WHERE MATCH(title, body) AGAINST('database')").Scan(&article))
			require.Equal(t, "2", article, "the FULLTEXT index answers after the reload")
		})
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// clientArgs are the connection flags of the mariadb tools for s, as root
// (empty password) with TLS and a verified certificate.
func clientArgs(s *server) []string {
	return []string{"--no-defaults", "-h" + s.host, "-P" + s.port, "-uroot", "--default-character-set=utf8mb4",
		"--ssl", "--ssl-ca=" + s.caFile, "--ssl-verify-server-cert"}
}

// runSQL feeds script to the mariadb client connected to db.
func runSQL(t *testing.T, cli string, s *server, db, script string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dumpTimeout)
	defer cancel()
	args := clientArgs(s)
	if db != "" {
		args = append(args, db)
	}
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "mariadb: %s", out)
}

// runDump returns `mariadb-dump --databases shop` with flags.
func runDump(t *testing.T, dump string, s *server, flags []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dumpTimeout)
	defer cancel()
	args := append(clientArgs(s), flags...)
	args = append(args, "--databases", "shop")
	cmd := exec.CommandContext(ctx, dump, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "mariadb-dump %v: %s", flags, stderr.String())
	return string(out)
}
