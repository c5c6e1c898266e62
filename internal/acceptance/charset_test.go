package acceptance

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/guocedb/guocedb/internal/testutil"
)

// clientCharset is a client character set with a sample text and the
// encoding that gives the bytes a client of that set sends and expects.
type clientCharset struct {
	name      string
	collation string // for the handshake; "" when go-sql-driver lacks it
	text      string
	enc       encoding.Encoding
}

var clientCharsets = []clientCharset{
	{"gbk", "gbk_chinese_ci", "中文测试，数据库", simplifiedchinese.GBK},
	{"gb18030", "", "中文测试𠀀€", simplifiedchinese.GB18030},
	{"gb2312", "gb2312_chinese_ci", "中文测试", simplifiedchinese.GBK},
	{"big5", "big5_chinese_ci", "中文測試資料庫", traditionalchinese.Big5},
	{"cp1251", "cp1251_general_ci", "Привет, мир", charmap.Windows1251},
	{"latin2", "latin2_general_ci", "Zażółć gęślą jaźń", charmap.ISO8859_2},
	{"cp1250", "cp1250_general_ci", "Příliš žluťoučký kůň", charmap.Windows1250},
}

func encodeIn(t testing.TB, enc encoding.Encoding, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	require.NoError(t, err)
	return b
}

// TestClientCharsets round-trips text through a client of each character
// set: statement text, string literals, prepared parameters and results
// are converted at the wire, and a utf8mb4 client reads the same
// characters.
func TestClientCharsets(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE cs")
	mustExec(t, db, "CREATE TABLE cs.t (cs VARCHAR(20), how VARCHAR(10), v VARCHAR(100), PRIMARY KEY (cs, how))")
	for _, tc := range clientCharsets {
		t.Run(tc.name, func(t *testing.T) {
			wire := encodeIn(t, tc.enc, tc.text)
			c := conn(t, db)
			mustExec(t, c, "SET NAMES "+tc.name)
			require.Equal(t, [][]string{{tc.name, tc.name, tc.name}}, queryRows(t, c,
				"SELECT @@character_set_client, @@character_set_connection, @@character_set_results"))
			// Text protocol: the literal in the statement is in the set.
			mustExec(t, c, "INSERT INTO cs.t VALUES ('"+tc.name+"', 'text', '"+wire+"')")
			// Binary protocol: a string parameter.
			mustExec(t, c, "INSERT INTO cs.t VALUES (?, 'param', ?)", tc.name, wire)
			require.Equal(t, [][]string{{wire}, {wire}}, queryRows(t, c,
				"SELECT v FROM cs.t WHERE cs = ? ORDER BY how", tc.name))
			require.Equal(t, wire, queryValue(t, c, "SELECT '"+wire+"'"))
			// A literal compared in the statement matches the stored text.
			require.Equal(t, "2", queryValue(t, c, "SELECT COUNT(*) FROM cs.t WHERE v = '"+wire+"'"))
			// A utf8mb4 client reads the characters, not the bytes.
			require.Equal(t, [][]string{{tc.text}, {tc.text}}, queryRows(t, db,
				"SELECT v FROM cs.t WHERE cs = ? ORDER BY how", tc.name))
			// Column names and aliases are text too.
			rows, err := c.QueryContext(context.Background(), "SELECT 1 AS `"+wire+"`")
			require.NoError(t, err)
			cols, err := rows.Columns()
			require.NoError(t, err)
			require.NoError(t, rows.Close())
			require.Equal(t, []string{wire}, cols)
		})
	}
	t.Run("multi-statement query", func(t *testing.T) {
		c := conn(t, db)
		wire := encodeIn(t, simplifiedchinese.GBK, "多语句")
		mustExec(t, c, "SET NAMES gbk; INSERT INTO cs.t VALUES ('multi', 'a', '"+wire+"'); INSERT INTO cs.t VALUES ('multi', 'b', '"+wire+"')")
		require.Equal(t, [][]string{{"多语句"}, {"多语句"}}, queryRows(t, db, "SELECT v FROM cs.t WHERE cs = 'multi' ORDER BY how"))
	})
	t.Run("characters the set lacks read as ?", func(t *testing.T) {
		c := conn(t, db)
		mustExec(t, c, "SET NAMES cp1251")
		mustExec(t, db, "INSERT INTO cs.t VALUES ('mixed', 'x', 'Ж中')")
		require.Equal(t, encodeIn(t, charmap.Windows1251, "Ж")+"?", queryValue(t, c, "SELECT v FROM cs.t WHERE cs = 'mixed'"))
	})
	t.Run("handshake", func(t *testing.T) {
		for _, tc := range clientCharsets {
			if tc.collation == "" {
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				dsn := strings.Replace(testutil.DSN("root", "", addr, "cs"), "?", "?collation="+tc.collation+"&", 1)
				dsnDB, err := sql.Open("mysql", dsn)
				require.NoError(t, err)
				t.Cleanup(func() { _ = dsnDB.Close() })
				require.Equal(t, tc.name, queryValue(t, dsnDB, "SELECT @@character_set_client"))
				wire := encodeIn(t, tc.enc, tc.text)
				require.Equal(t, wire, queryValue(t, dsnDB, "SELECT '"+wire+"'"))
			})
		}
	})
}

// TestUnknownClientCharset: a character set guocedb cannot serve is
// refused at the SET, and the connection goes on.
func TestUnknownClientCharset(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	for _, tc := range []struct {
		query string
		code  uint16
	}{
		{"SET NAMES nosuch", 1115},
		{"SET NAMES armscii8", 1115},
		{"SET CHARACTER SET keybcs2", 1115},
		{"SET character_set_results = 'hp8'", 1115},
		{"SET NAMES utf16", 1231},
		{"SET character_set_client = 'ucs2'", 1231},
	} {
		requireErrCode(t, execErr(c, tc.query), tc.code, tc.query)
		require.Equal(t, "utf8mb4", queryValue(t, c, "SELECT @@character_set_client"), tc.query)
		require.Equal(t, "abc", queryValue(t, c, "SELECT 'abc'"))
	}
}

// TestCharsetsInSQL: CONVERT ... USING and column character sets.
func TestCharsetsInSQL(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE csq")
	// CONVERT USING a set go-mysql-server has no encoder for used to drop
	// the connection (nil pointer); MySQL's result reaches a utf8mb4 client
	// with ? for what the set lacks.
	require.Equal(t, "中文?", queryValue(t, db, "SELECT CONVERT('中文😀' USING gbk)"))
	require.Equal(t, "Привет?", queryValue(t, db, "SELECT CONVERT('Привет中' USING cp1251)"))
	requireErrCode(t, queryErr(db, "SELECT CONVERT('x' USING armscii8)"), 1115)
	// go-mysql-server v0.20.0 cannot store gbk, big5, cp1251, ... columns:
	// a clear 1235, not a panic.
	for _, cs := range []string{"gbk", "gb18030", "big5", "cp1251", "latin2", "cp1250", "gb2312"} {
		requireErrCode(t, execErr(db, "CREATE TABLE csq.t_"+cs+" (v VARCHAR(10) CHARACTER SET "+cs+")"), 1235, cs)
		requireErrCode(t, execErr(db, "CREATE TABLE csq.d_"+cs+" (v VARCHAR(10)) DEFAULT CHARSET="+cs), 1235, cs)
	}
	// Column sets it stores round-trip through clients of other sets.
	mustExec(t, db, "CREATE TABLE csq.l1 (id INT PRIMARY KEY, v VARCHAR(20) CHARACTER SET latin1, w VARCHAR(20) CHARACTER SET cp1257)")
	c := conn(t, db)
	mustExec(t, c, "SET NAMES latin2")
	mustExec(t, c, "INSERT INTO csq.l1 VALUES (1, ?, ?)", encodeIn(t, charmap.ISO8859_2, "Größe"), encodeIn(t, charmap.ISO8859_2, "Łódź"))
	require.Equal(t, [][]string{{"Größe", "Łódź"}}, queryRows(t, db, "SELECT v, w FROM csq.l1"))
	require.Equal(t, [][]string{{encodeIn(t, charmap.ISO8859_2, "Größe"), encodeIn(t, charmap.ISO8859_2, "Łódź")}}, queryRows(t, c, "SELECT v, w FROM csq.l1"))
	mustExec(t, c, "SET NAMES latin1")
	require.Equal(t, encodeIn(t, charmap.Windows1252, "Größe"), queryValue(t, c, "SELECT v FROM csq.l1"))
}
