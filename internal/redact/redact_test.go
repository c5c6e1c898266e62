package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"CREATE USER 'u'@'%' IDENTIFIED BY 'pw1'", "CREATE USER 'u'@'%' IDENTIFIED BY '***'"},
		{`create user u identified by "p'w"`, `create user u identified by '***'`},
		{"ALTER USER u IDENTIFIED BY 'new' REPLACE 'old'", "ALTER USER u IDENTIFIED BY '***' REPLACE '***'"},
		{"CREATE USER u IDENTIFIED WITH mysql_native_password BY 'x'", "CREATE USER u IDENTIFIED WITH mysql_native_password BY '***'"},
		{"CREATE USER u IDENTIFIED WITH 'caching_sha2_password' AS '$A$005$hash'", "CREATE USER u IDENTIFIED WITH 'caching_sha2_password' AS '***'"},
		{"SET PASSWORD FOR 'u'@'%' = 'secret'", "SET PASSWORD FOR 'u'@'%' = '***'"},
		{"SET PASSWORD = PASSWORD('secret')", "SET PASSWORD = PASSWORD('***')"},
		{"GRANT ALL ON *.* TO u IDENTIFIED BY 'it''s \\' x'", "GRANT ALL ON *.* TO u IDENTIFIED BY '***'"},
		{"CREATE USER a IDENTIFIED BY 'one', b IDENTIFIED BY 'two'", "CREATE USER a IDENTIFIED BY '***', b IDENTIFIED BY '***'"},
		{"CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD = 'r'", "CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD = '***'"},
		{"CREATE USER u IDENTIFIED BY 'unterminated", "CREATE USER u IDENTIFIED BY '***'"},
		{"REPLACE INTO t VALUES ('password')", "REPLACE INTO t VALUES ('password')"},
		{"REPLACE INTO t VALUES ('x', 'password')", "REPLACE INTO t VALUES ('x', 'password')"},
		{"CREATE USER u IDENTIFIED BY\n 'pw'", "CREATE USER u IDENTIFIED BY\n '***'"},
		{"ALTER USER u IDENTIFIED BY 'a' REPLACE\t'b'", "ALTER USER u IDENTIFIED BY '***' REPLACE\t'***'"},
		{"SELECT REPLACE('a', 'b', 'c')", "SELECT REPLACE('a', 'b', 'c')"},
		{"SELECT 'identified by' AS x", "SELECT 'identified by' AS x"},
		{"START REPLICA USER='r' PASSWORD='secret'", "START REPLICA USER='r' PASSWORD='***'"},
		{"CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD 'secret')", "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD '***')"},
		{"ALTER USER u IDENTIFIED BY 'pw' FAILED_LOGIN_ATTEMPTS 3", "ALTER USER u IDENTIFIED BY '***' FAILED_LOGIN_ATTEMPTS 3"},
		{"CREATE USER u IDENTIFIED BY 'pw' garbage (( 'unparsable", "CREATE USER u IDENTIFIED BY '***' garbage (( 'unparsable"},
		{"SELECT password FROM t WHERE password_hash = 'abc'", "SELECT password FROM t WHERE password_hash = 'abc'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, Query(tt.in))
		})
	}
}

// BenchmarkQueryBulkInsert: a 1 MB multi-row REPLACE, as a bulk load
// sends it, passes through unchanged without running the patterns.
func BenchmarkQueryBulkInsert(b *testing.B) {
	q := "REPLACE INTO t VALUES " + strings.Repeat("(1, 'some text value'), ", 1<<20/24) + "(2, 'x')"
	b.SetBytes(int64(len(q)))
	b.ReportAllocs()
	for b.Loop() {
		if Query(q) != q {
			b.Fatal("changed")
		}
	}
}
