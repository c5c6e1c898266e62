package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestSQLCommand runs guocedb sql of the real binary against a real
// server process: queries, writes, an ALTER (no bar: stderr is not a
// terminal), statements on stdin, SQL errors (exit 1 with the code) and
// usage errors (exit 2).
func TestSQLCommand(t *testing.T) {
	bin := testutil.BuildBinary(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := testutil.Connect(t, p.MySQLAddr)
	for _, stmt := range []string{
		"CREATE USER 'app'@'localhost' IDENTIFIED BY 'app-pw'",
		"GRANT ALL ON *.* TO 'app'@'localhost'",
		"CREATE DATABASE shop",
	} {
		_, err := root.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	addr := []string{"sql", "--mysql-addr", p.MySQLAddr, "--server", p.AdminAddr}
	run := func(env []string, args ...string) (int, string) {
		return testutil.Run(t, bin, env, append(append([]string(nil), addr...), args...)...)
	}

	t.Run("writes, alter and a query", func(t *testing.T) {
		code, out := run(nil, "--database", "shop", "-e",
			"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'apple'), (2, NULL);"+
				"ALTER TABLE items ADD COLUMN price INT NOT NULL DEFAULT 5; CREATE INDEX by_name ON items (name)")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "Query OK, 0 rows affected\nQuery OK, 2 rows affected\n")
		require.NotContains(t, out, "ALTER", "no progress bar when stderr is not a terminal")

		code, out = run(nil, "-e", "SELECT id, name, price FROM shop.items ORDER BY id")
		require.Equal(t, 0, code, out)
		require.Equal(t, ""+
			"+----+-------+-------+\n"+
			"| id | name  | price |\n"+
			"+----+-------+-------+\n"+
			"| 1  | apple | 5     |\n"+
			"| 2  | NULL  | 5     |\n"+
			"+----+-------+-------+\n"+
			"2 rows in set\n", out)

		code, out = run(nil, "-e", "SELECT id FROM shop.items WHERE id > 10")
		require.Equal(t, 0, code, out)
		require.Equal(t, "Empty set\n", out)
	})

	t.Run("password from the environment and a file", func(t *testing.T) {
		code, out := run([]string{"GUOCEDB_PASSWORD=app-pw"}, "--user", "app", "-e", "SELECT CURRENT_USER()")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "app@localhost")
		pw := filepath.Join(t.TempDir(), "pw")
		require.NoError(t, os.WriteFile(pw, []byte("app-pw\n"), 0o600))
		code, out = run(nil, "--user", "app", "--password-file", pw, "-e", "SELECT 1")
		require.Equal(t, 0, code, out)
	})

	t.Run("statements on stdin", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, bin, append(addr, "--database", "shop")...)
		cmd.Env = testutil.CleanEnv()
		cmd.Stdin = bytes.NewBufferString("UPDATE items SET price = 7 WHERE id = 1;\n-- a comment; still one\nSELECT price FROM items WHERE id = 1;\n")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "Query OK, 1 row affected\n")
		require.Contains(t, string(out), "| 7     |\n")
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name     string
			env      []string
			args     []string
			wantCode int
			want     string
		}{
			{"no such table", nil, []string{"-e", "SELECT * FROM shop.missing"}, 1, "ERROR 1146 (42S02)"},
			{"syntax error stops the script", nil, []string{"-e", "SELEC 1; SELECT 2"}, 1, "ERROR 1064"},
			{"duplicate key", nil, []string{"-e", "INSERT INTO shop.items (id) VALUES (1)"}, 1, "ERROR 1062 (23000)"},
			{"wrong password", []string{"GUOCEDB_PASSWORD=nope"}, []string{"--user", "app", "-e", "SELECT 1"}, 1, "ERROR 1045"},
			{"no server", nil, []string{"--mysql-addr", "127.0.0.1:1", "-e", "SELECT 1"}, 1, "guocedb: sql:"},
			{"unknown flag", nil, []string{"--bogus"}, 2, "flag provided but not defined"},
			{"positional argument", nil, []string{"SELECT 1"}, 2, "unexpected argument"},
			{"empty script", nil, []string{"-e", " ; "}, 2, "no statements"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out := run(tt.env, tt.args...)
				require.Equal(t, tt.wantCode, code, out)
				require.Contains(t, out, tt.want)
			})
		}
	})
}
