package acceptance

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	exptestutil "github.com/guocedb/guocedb/internal/exporter/testutil"
	"github.com/guocedb/guocedb/internal/testutil"
)

// LOAD DATA LOCAL decodes its input by MySQL's rules: escapes, \N, enclosed
// fields holding separators, doubled quotes, CRLF lines, LINES STARTING BY,
// IGNORE n LINES, column lists with user variables and SET. The expected
// rows are what MariaDB 10.11 loads from the same files (checked by
// TestLoadDataFormatsMariaDB).
func TestLoadDataFormats(t *testing.T) {
	_, db := start(t, testutil.WithConfig(func(c *config.Config) { c.LocalInfile = true }))
	mustExec(t, db, "CREATE DATABASE d")
	checkLoadDataFormats(t, db)
}

// TestLoadDataFormatsMariaDB holds the expectations above to MariaDB's: the
// same files, loaded by a throw-away MariaDB 10.11, give the same rows.
func TestLoadDataFormatsMariaDB(t *testing.T) {
	m := exptestutil.StartMariaDB(t)
	m.Exec(t,
		"CREATE USER 'load'@'127.0.0.1' IDENTIFIED BY 'load'",
		"GRANT ALL ON *.* TO 'load'@'127.0.0.1'",
		"CREATE DATABASE d",
		"SET GLOBAL local_infile = 1",
	)
	db, err := sql.Open("mysql", "load:load@tcp("+m.Addr+")/")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	checkLoadDataFormats(t, db)
}

// checkLoadDataFormats runs the LOAD DATA cases against db, which has an
// empty database d.
func checkLoadDataFormats(t *testing.T, db *sql.DB) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		file    string
		options string // between the table name and the end of the statement
		want    [][]string
	}{
		{
			name: "default format: every escape",
			file: "1\ttab\\there\t10\n" +
				"2\tnl\\nx\t\\N\n" +
				"3\tbs\\\\x\t3\n" +
				"4\tzero\\0x\t4\n" +
				"5\t\\N\t5\n" +
				"6\tcr\\rz\\Zb\\b\t6\n" +
				"7\tesc\\\ttab\t7\n" +
				"8\tescnl\\\nline\t8\n" +
				"9\tNULL\t9\n" +
				"10\t\\x\\N\\'\\\"\t10\n" +
				"11\t\t11\n",
			want: [][]string{
				{"1", "tab\there", "10"},
				{"2", "nl\nx", null},
				{"3", "bs\\x", "3"},
				{"4", "zero\x00x", "4"},
				{"5", null, "5"},
				{"6", "cr\rz\x1ab\b", "6"},
				{"7", "esc\ttab", "7"},
				{"8", "escnl\nline", "8"},
				{"9", "NULL", "9"},
				{"10", "xN'\"", "10"},
				{"11", "", "11"},
			},
		},
		{
			name: "CSV with quotes and CRLF",
			file: "id,s,n\r\n" +
				"1,\"a,b\",1\r\n" +
				"2,\"say \"\"hi\"\"\",2\r\n" +
				"3,\"multi\r\nline\",3\r\n" +
				"4,NULL,4\r\n" +
				"5,\"NULL\",5\r\n" +
				"6,\"tab\\there\",\\N\r\n" +
				"7,\\N,7",
			options: "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES",
			want: [][]string{
				{"1", "a,b", "1"},
				{"2", "say \"hi\"", "2"},
				{"3", "multi\r\nline", "3"},
				{"4", null, "4"},
				{"5", "NULL", "5"},
				{"6", "tab\there", null},
				{"7", null, "7"},
			},
		},
		{
			name:    "LINES STARTING BY skips lines without the prefix",
			file:    "xx1\ta\t1\nno prefix here\njunkxx2\tb\\tc\t2\n",
			options: "LINES STARTING BY 'xx'",
			want:    [][]string{{"1", "a", "1"}, {"2", "b\tc", "2"}},
		},
		{
			name:    "column list, user variable and SET",
			file:    "1\tone\\tx\n2\t\\N\n",
			options: "(id, @v) SET s = CONCAT('<', @v, '>'), n = 7",
			want:    [][]string{{"1", "<one\tx>", "7"}, {"2", null, "7"}},
		},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "in"+string(rune('a'+i))+".txt")
			require.NoError(t, os.WriteFile(file, []byte(tc.file), 0o600))
			mysql.RegisterLocalFile(file)
			t.Cleanup(func() { mysql.DeregisterLocalFile(file) })
			mustExec(t, db, "DROP TABLE IF EXISTS d.t")
			mustExec(t, db, "CREATE TABLE d.t (id INT PRIMARY KEY, s VARCHAR(100), n INT)")
			res := mustExec(t, db, "LOAD DATA LOCAL INFILE '"+file+"' INTO TABLE d.t "+tc.options)
			n, err := res.RowsAffected()
			require.NoError(t, err)
			require.EqualValues(t, len(tc.want), n)
			require.Equal(t, tc.want, queryRows(t, db, "SELECT id, s, n FROM d.t ORDER BY id"))
		})
	}
}
