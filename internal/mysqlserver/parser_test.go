package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRewriteLockingClauses(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT * FROM t", "SELECT * FROM t"},
		{"SELECT * FROM t FOR UPDATE", "SELECT * FROM t FOR UPDATE"},
		{"SELECT * FROM t FOR UPDATE SKIP LOCKED", "SELECT * FROM t FOR UPDATE SKIP LOCKED"},
		{"SELECT * FROM t FOR SHARE", "SELECT * FROM t LOCK IN SHARE MODE"},
		{"select * from t for share;", "select * from t LOCK IN SHARE MODE;"},
		{"SELECT * FROM t WHERE a = 1 FOR SHARE NOWAIT", "SELECT * FROM t WHERE a = 1 LOCK IN SHARE MODE"},
		{"SELECT * FROM t FOR SHARE SKIP LOCKED", "SELECT * FROM t LOCK IN SHARE MODE"},
		{"SELECT * FROM t FOR SHARE OF t, `db`.`u` NOWAIT", "SELECT * FROM t LOCK IN SHARE MODE"},
		{"SELECT * FROM t FOR UPDATE NOWAIT", "SELECT * FROM t FOR UPDATE"},
		{"SELECT * FROM t FOR UPDATE OF t", "SELECT * FROM t FOR UPDATE"},
		{"SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", "SELECT * FROM t FOR UPDATE SKIP LOCKED"},
		{"SELECT * FROM t /* c */ FOR /* c */ SHARE", "SELECT * FROM t /* c */ LOCK IN SHARE MODE"},
		{"(SELECT a FROM t FOR SHARE) UNION (SELECT 1)", "(SELECT a FROM t LOCK IN SHARE MODE) UNION (SELECT 1)"},
		{"SELECT 1 FOR SHARE; SELECT 2 FOR UPDATE NOWAIT", "SELECT 1 LOCK IN SHARE MODE; SELECT 2 FOR UPDATE"},
		// Not locking clauses: left alone.
		{"SELECT 'x FOR SHARE' FROM t", "SELECT 'x FOR SHARE' FROM t"},
		{"SELECT `for share` FROM t", "SELECT `for share` FROM t"},
		{"SELECT 'it''s' FROM t -- FOR SHARE", "SELECT 'it''s' FROM t -- FOR SHARE"},
		{"SELECT 'a\\' FOR SHARE' FROM t", "SELECT 'a\\' FOR SHARE' FROM t"},
		{"SHOW GRANTS FOR share@localhost", "SHOW GRANTS FOR share@localhost"},
		{"UPDATE t SET a = 1 WHERE b = 'of'", "UPDATE t SET a = 1 WHERE b = 'of'"},
		{"SELECT * FROM t FOR", "SELECT * FROM t FOR"},
		{"SELECT * FROM t FOR SHARE OF", "SELECT * FROM t LOCK IN SHARE MODE OF"},
		{"SELECT 'unterminated FOR SHARE", "SELECT 'unterminated FOR SHARE"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, rewriteLockingClauses(tc.in), tc.in)
	}
}

func BenchmarkRewriteLockingClausesNone(b *testing.B) {
	q := "SELECT c FROM sbtest1 WHERE id = ?"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = rewriteLockingClauses(q)
	}
}

func TestParseGuarded(t *testing.T) {
	// A panic the glued-SELECT retry does not cure is a syntax error.
	err := parseGuarded("SELECT 1 FROM t", func(string) error { panic("boom") })
	require.ErrorContains(t, err, "syntax error at position 15 near 't'")
	// The retry parses the statement with the space MySQL reads in.
	var seen []string
	err = parseGuarded("select'a'", func(q string) error {
		seen = append(seen, q)
		if q == "select'a'" {
			panic("glued")
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"select'a'", "select 'a'"}, seen)
}

func TestGuardPreparedText(t *testing.T) {
	require.Equal(t, "SELECT 1", guardPreparedText("SELECT 1"))
	require.Equal(t, "SELECT'a'", guardPreparedText("SELECT'a'"), "vitess parses it: unchanged")
	require.Equal(t, "SELECT ''", guardPreparedText("SELECT''"))
}

func TestContainsFold(t *testing.T) {
	for _, c := range []struct {
		s, sub string
		want   bool
	}{
		{"SELECT 1 FOR SHARE", "share", true},
		{"select 1 for Share", "share", true},
		{"select 'sha", "share", false},
		{"SHARE", "share", true},
		{"", "share", false},
		{"x", "", true},
		{"INSERT INTO t VALUES (1)", "update", false},
		{"release_lock('a')", "release_", true},
	} {
		require.Equal(t, c.want, containsFold(c.s, c.sub), "%q in %q", c.sub, c.s)
	}
}

func TestPreparedLockingText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1 FROM t WHERE id = ?", "SELECT 1 FROM t WHERE id = ?"},
		{"SELECT 1 FROM t FOR UPDATE", "SELECT 1 FROM t FOR UPDATE"},
		{"SELECT 1 FROM t FOR UPDATE SKIP LOCKED", "SELECT 1 FROM t FOR UPDATE SKIP LOCKED"},
		{"SELECT 1 FROM t FOR SHARE", "SELECT 1 FROM t LOCK IN SHARE MODE"},
		{"SELECT 1 FROM t FOR UPDATE NOWAIT", nowaitMarker + "SELECT 1 FROM t FOR UPDATE"},
		{"SELECT 1 FROM t FOR SHARE SKIP LOCKED", skipLockedMarker + "SELECT 1 FROM t LOCK IN SHARE MODE"},
		{"SELECT 'FOR SHARE' FROM t", "SELECT 'FOR SHARE' FROM t"},
	} {
		got := preparedLockingText(c.in)
		require.Equal(t, c.want, got, c.in)
		if got != c.in {
			require.Equal(t, lockingWait(c.in), lockingWait(got), "the wait policy survives: %s", c.in)
		}
	}
}
