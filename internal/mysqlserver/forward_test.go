package mysqlserver

import (
	"testing"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/stretchr/testify/require"
)

// TestInterpolate checks the text a forwarded prepared statement is
// relayed as: placeholders outside quotes and comments take their
// values as literals.
func TestInterpolate(t *testing.T) {
	binds := map[string]*querypb.BindVariable{
		"v1": sqltypes.Int64BindVariable(7),
		"v2": sqltypes.StringBindVariable("it's ?"),
		"v3": sqltypes.NullBindVariable,
		"v4": sqltypes.BytesBindVariable([]byte{0xff, 0x00}),
	}
	tests := []struct{ in, want string }{
		{"INSERT INTO t VALUES (?, ?)", "INSERT INTO t VALUES (7, 'it\\'s ?')"},
		{"SELECT '?', \"?\", `?` FROM t WHERE a = ?", "SELECT '?', \"?\", `?` FROM t WHERE a = 7"},
		{"SELECT 'a\\'?' , ? -- ?\n", "SELECT 'a\\'?' , 7 -- ?\n"},
		{"SELECT /* ? */ ? # ?", "SELECT /* ? */ 7 # ?"},
		{"SELECT 'it''s ?', ?, ?", "SELECT 'it''s ?', 7, 'it\\'s ?'"},
		{"UPDATE t SET a = ?, b = ?, c = ?, d = ?", "UPDATE t SET a = 7, b = 'it\\'s ?', c = null, d = X'ff00'"},
	}
	for _, tt := range tests {
		got, err := interpolate(tt.in, binds)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
	_, err := interpolate("SELECT ?, ?, ?, ?, ?", binds)
	require.ErrorContains(t, err, "parameter 5")
}

// TestForwardLogin checks that a forwarded login's name carries any
// account unambiguously and that its password depends on the key and
// the whole account.
func TestForwardLogin(t *testing.T) {
	for _, acct := range [][2]string{{"root", "localhost"}, {"a/b@c", "%"}, {"", "10.0.0.1"}, {"ü", "h/x"}} {
		u, h, ok := parseForwardLogin(forwardLoginName(acct[0], acct[1]))
		require.True(t, ok)
		require.Equal(t, acct, [2]string{u, h})
	}
	for _, name := range []string{"root", "guocedb-forward/", "guocedb-forward/zz/00", "guocedb-forward/00"} {
		_, _, ok := parseForwardLogin(name)
		require.False(t, ok, name)
	}
	k1, k2 := []byte("key one"), []byte("key two")
	require.NotEqual(t, forwardPassword(k1, "a", "b"), forwardPassword(k2, "a", "b"))
	require.NotEqual(t, forwardPassword(k1, "a", "b"), forwardPassword(k1, "a", "c"))
	require.NotEqual(t, forwardPassword(k1, "ab", ""), forwardPassword(k1, "a", "b"))
}

// TestUserVarNames checks the names a moving session's user variables
// are looked up by.
func TestUserVarNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"SET @a = 1, @B_2 = 'x'", []string{"a", "b_2"}},
		{"SELECT @@session.sql_mode, @x.y, '@not', \"@no\", `@no`", []string{"x.y"}},
		{"SELECT 1 INTO @out", []string{"out"}},
		{"SELECT 'it''s @no', @yes", []string{"yes"}},
		{"SELECT @", nil},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, userVarNames(tt.in), tt.in)
	}
}

// TestScopeOfSet checks what a SET in a session that runs on the leader
// is taken to assign: global ones run on the member the client is
// connected to.
func TestScopeOfSet(t *testing.T) {
	tests := []struct {
		in   string
		want setScope
	}{
		{"SET GLOBAL max_connections = 10", setGlobal},
		{"SET @@global.max_connections = 10", setGlobal},
		{"SET @@GLOBAL.max_connections = 10, GLOBAL net_write_timeout = 5", setGlobal},
		{"SET SESSION sql_mode = ''", setLocal},
		{"SET sql_mode = ''", setLocal},
		{"SET @@sql_mode = ''", setLocal},
		{"SET @x = 1", setLocal},
		{"SET NAMES utf8mb4", setLocal},
		{"SET PERSIST max_connections = 10", setPersist},
		{"SET @@persist_only.max_connections = 10", setPersist},
		{"SET GLOBAL max_connections = 10, sql_mode = ''", setMixed},
		{"SET GLOBAL", setLocal},
		{"SELECT 1", setLocal},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, scopeOfSet(tt.in), tt.in)
	}
}

// TestRelayedAnswerParsing checks the reading of the leader's packets a
// forwarded statement's answer is made of: an OK packet's counts and
// info text as vitess writes them (padded, after a '#'), and column
// definitions as columnDefinition writes them.
func TestRelayedAnswerParsing(t *testing.T) {
	info := "Rows matched: 1  Changed: 1  Warnings: 2"
	ok := append([]byte{mysql.OKPacket, 0xfc, 0x2c, 0x01, 7}, 0x02, 0x00, 0x02, 0x00, '#')
	ok = append(ok, info+"   "...)
	a, err := parseRelayedOK(ok)
	require.NoError(t, err)
	require.Equal(t, uint64(300), a.res.RowsAffected)
	require.Equal(t, uint64(7), a.res.InsertID)
	require.Equal(t, uint16(mysql.ServerStatusAutocommit), a.status)
	require.Equal(t, uint16(2), a.warnings)
	require.Equal(t, info, a.res.Info)
	a, err = parseRelayedOK([]byte{mysql.OKPacket, 0, 0, 2, 0, 0, 0})
	require.NoError(t, err)
	require.Empty(t, a.res.Info)
	_, err = parseRelayedOK([]byte{mysql.OKPacket, 0xfc, 1})
	require.ErrorIs(t, err, errMalformedAnswer)

	for _, f := range []*querypb.Field{
		{Name: "id", OrgName: "id", Table: "t", OrgTable: "t", Database: "db", Type: sqltypes.Int64, Charset: 63, ColumnLength: 20,
			Flags: uint32(querypb.MySqlFlag_NOT_NULL_FLAG | querypb.MySqlFlag_PRI_KEY_FLAG | querypb.MySqlFlag_NUM_FLAG)},
		{Name: "v", Type: sqltypes.VarChar, Charset: 255, ColumnLength: 256},
		{Name: "d", Type: sqltypes.Decimal, Charset: 63, ColumnLength: 12, Decimals: 2, Flags: uint32(querypb.MySqlFlag_NUM_FLAG)},
	} {
		got, ok := parseColumnDefinition(columnDefinition(f))
		require.True(t, ok, f.Name)
		require.Equal(t, f.String(), got.String(), f.Name)
	}
	_, ok2 := parseColumnDefinition([]byte{3, 'd', 'e'})
	require.False(t, ok2)
}
