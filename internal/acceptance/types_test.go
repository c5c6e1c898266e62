package acceptance

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// typeCase is one column type with values that must read back exactly.
type typeCase struct {
	name string
	// column is the column definition after its name.
	column string
	// values are SQL literals inserted one per row; want is the text
	// the server returns for each (expr wraps the column when set).
	values []string
	want   []string
	// expr reads the column through an expression, e.g. HEX(%s).
	expr string
	// gap names a known difference from MySQL (see knownGap).
	gap string
}

const gapTextFormat = "go-mysql-server v0.20.0 formats some values differently from MySQL in the text protocol"

// typeCases are every MySQL column type at its limits.
var typeCases = []typeCase{
	{name: "tinyint", column: "TINYINT", values: []string{"-128", "127", "0"}, want: []string{"-128", "127", "0"}},
	{name: "tinyint_u", column: "TINYINT UNSIGNED", values: []string{"0", "255"}, want: []string{"0", "255"}},
	{name: "smallint", column: "SMALLINT", values: []string{"-32768", "32767"}, want: []string{"-32768", "32767"}},
	{name: "smallint_u", column: "SMALLINT UNSIGNED", values: []string{"0", "65535"}, want: []string{"0", "65535"}},
	{name: "mediumint", column: "MEDIUMINT", values: []string{"-8388608", "8388607"}, want: []string{"-8388608", "8388607"}},
	{name: "mediumint_u", column: "MEDIUMINT UNSIGNED", values: []string{"0", "16777215"}, want: []string{"0", "16777215"}},
	{name: "int", column: "INT", values: []string{"-2147483648", "2147483647"}, want: []string{"-2147483648", "2147483647"}},
	{name: "int_u", column: "INT UNSIGNED", values: []string{"0", "4294967295"}, want: []string{"0", "4294967295"}},
	{name: "bigint", column: "BIGINT", values: []string{"-9223372036854775808", "9223372036854775807"},
		want: []string{"-9223372036854775808", "9223372036854775807"}},
	{name: "bigint_u", column: "BIGINT UNSIGNED", values: []string{"0", "18446744073709551615"},
		want: []string{"0", "18446744073709551615"}},
	{name: "decimal_65_30", column: "DECIMAL(65,30)",
		values: []string{
			"99999999999999999999999999999999999.999999999999999999999999999999",
			"-99999999999999999999999999999999999.999999999999999999999999999999",
			"0.000000000000000000000000000001",
			"0",
		},
		want: []string{
			"99999999999999999999999999999999999.999999999999999999999999999999",
			"-99999999999999999999999999999999999.999999999999999999999999999999",
			"0.000000000000000000000000000001",
			"0.000000000000000000000000000000",
		}},
	{name: "decimal_5_2", column: "DECIMAL(5,2)", values: []string{"-999.99", "1.5"}, want: []string{"-999.99", "1.50"}},
	{name: "float", column: "FLOAT", values: []string{"1.5", "-3.25", "0"}, want: []string{"1.5", "-3.25", "0"}},
	{name: "double", column: "DOUBLE", values: []string{"0.1", "-2.5", "1e300"}, want: []string{"0.1", "-2.5", "1e300"},
		gap: gapTextFormat + ": DOUBLE 1e300 as 1e+300"},
	{name: "char_bin", column: "CHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
		values: []string{"'Ça va 😀'", "'a'", "''"}, want: []string{"Ça va 😀", "a", ""}},
	{name: "varchar_ci", column: "VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci",
		values: []string{"'héllo wörld 😀🎉'", "'日本語テキスト'", "''", "'trailing  '"},
		want:   []string{"héllo wörld 😀🎉", "日本語テキスト", "", "trailing  "}},
	{name: "varchar_general_ci", column: "VARCHAR(20) COLLATE utf8mb4_general_ci",
		values: []string{"'Ünïcödé'"}, want: []string{"Ünïcödé"}},
	{name: "text", column: "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
		values: []string{"'line1\\nline2\\ttab \\\\ quote\\' 😀'"}, want: []string{"line1\nline2\ttab \\ quote' 😀"}},
	{name: "longtext", column: "LONGTEXT", values: []string{"REPEAT('xyz', 30000)"}, want: []string{"5E6E3186"}, expr: "HEX(CRC32(%s))"},
	{name: "binary", column: "BINARY(4)", values: []string{"x'610062'", "x'00000000'"}, want: []string{"61006200", "00000000"}, expr: "HEX(%s)"},
	{name: "varbinary", column: "VARBINARY(10)", values: []string{"x'00FF0000'", "x''"}, want: []string{"00FF0000", ""}, expr: "HEX(%s)"},
	{name: "blob", column: "BLOB", values: []string{"x'000102FEFF00'"}, want: []string{"000102FEFF00"}, expr: "HEX(%s)"},
	{name: "blob_raw", column: "BLOB", values: []string{"x'610062'"}, want: []string{"a\x00b"}},
	{name: "date", column: "DATE", values: []string{"'1000-01-01'", "'9999-12-31'"}, want: []string{"1000-01-01", "9999-12-31"}},
	{name: "time", column: "TIME", values: []string{"'-838:59:59'", "'838:59:59'", "'-00:00:01'", "'12:34:56'"},
		want: []string{"-838:59:59", "838:59:59", "-00:00:01", "12:34:56"}},
	{name: "time6", column: "TIME(6)", values: []string{"'-12:00:00.000001'"}, want: []string{"-12:00:00.000001"}},
	{name: "datetime6", column: "DATETIME(6)", values: []string{"'1000-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'"},
		want: []string{"1000-01-01 00:00:00.000000", "9999-12-31 23:59:59.999999"},
		gap:  gapTextFormat + ": DATETIME(6) drops a zero fraction"},
	{name: "datetime", column: "DATETIME", values: []string{"'2024-02-29 12:00:00'"}, want: []string{"2024-02-29 12:00:00"}},
	{name: "timestamp", column: "TIMESTAMP NULL", values: []string{"'1970-01-01 00:00:01'", "'2038-01-19 03:14:07'"},
		want: []string{"1970-01-01 00:00:01", "2038-01-19 03:14:07"}},
	{name: "year", column: "YEAR", values: []string{"1901", "2155", "0"}, want: []string{"1901", "2155", "0000"},
		gap: gapTextFormat + ": YEAR 0 as 0, not 0000"},
	{name: "enum", column: "ENUM('small','medium','large')", values: []string{"'large'", "'small'"}, want: []string{"large", "small"}},
	{name: "set", column: "SET('a','b','c')", values: []string{"'c,a'", "''", "'a,b,c'"}, want: []string{"a,c", "", "a,b,c"}},
	{name: "bit64", column: "BIT(64)", values: []string{"b'1111111111111111111111111111111111111111111111111111111111111111'", "b'1'", "0x8000000000000001"},
		want: []string{"FFFFFFFFFFFFFFFF", "1", "8000000000000001"}, expr: "HEX(%s)"},
	{name: "bit1", column: "BIT(1)", values: []string{"b'1'", "b'0'"}, want: []string{"1", "0"}, expr: "%s+0"},
	{name: "json", column: "JSON",
		values: []string{`'{"b": null, "a": [1, 2.5, "é😀", true]}'`, `'[]'`, `'"s"'`},
		want:   []string{`{"a": [1, 2.5, "é😀", true], "b": null}`, `[]`, `"s"`}},
	{name: "null_vs_empty", column: "VARCHAR(5)", values: []string{"NULL", "''"}, want: []string{null, ""}},
}

// TestTypesRoundTrip writes every type at its limits, restarts, and reads
// the same text back.
func TestTypesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	check := func(t *testing.T, db *sql.DB) {
		for _, tc := range typeCases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.gap != "" {
					knownGap(t, tc.gap)
				}
				expr := "v"
				if tc.expr != "" {
					expr = sprintf(tc.expr, "v")
				}
				got := queryRows(t, db, "SELECT "+expr+" FROM types.t_"+tc.name+" ORDER BY id")
				want := make([][]string, len(tc.want))
				for i, w := range tc.want {
					want[i] = []string{w}
				}
				require.Equal(t, want, got)
			})
		}
	}
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE types")
		for _, tc := range typeCases {
			mustExec(t, db, "CREATE TABLE types.t_"+tc.name+" (id INT PRIMARY KEY, v "+tc.column+")")
			for i, v := range tc.values {
				mustExec(t, db, sprintf("INSERT INTO types.t_%s VALUES (%d, %s)", tc.name, i, v))
			}
		}
		check(t, db)
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		check(t, db)
	})
}

// TestCollations checks _bin and _ci comparisons, before and after a
// restart (the collation is part of the persisted schema).
func TestCollations(t *testing.T) {
	dir := t.TempDir()
	cases := []sqlCase{
		{name: "ci equal ignores case and accents", query: "SELECT id FROM coll.t WHERE ci = 'HELLO WORLD' ORDER BY id", want: [][]string{{"1"}, {"2"}}},
		{name: "bin equal is exact", query: "SELECT id FROM coll.t WHERE bin = 'hello world' ORDER BY id", want: [][]string{{"2"}}},
		{name: "bin emoji", query: "SELECT id FROM coll.t WHERE bin = '😀'", want: [][]string{{"3"}}},
		{name: "ci index lookup", query: "SELECT id FROM coll.t WHERE ci = 'héllo wörld' ORDER BY id", want: [][]string{{"1"}, {"2"}}},
		{name: "bin order by", query: "SELECT bin FROM coll.t ORDER BY bin", want: [][]string{{"Héllo Wörld"}, {"hello world"}, {"😀"}}},
		{name: "general_ci unique", query: "INSERT INTO coll.u VALUES (2, 'ABC')", wantErr: 1062},
	}
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE coll")
		mustExec(t, db, "CREATE TABLE coll.t (id INT PRIMARY KEY, "+
			"ci VARCHAR(20) COLLATE utf8mb4_0900_ai_ci, bin VARCHAR(20) COLLATE utf8mb4_bin, KEY (ci), KEY (bin))")
		mustExec(t, db, "INSERT INTO coll.t VALUES (1, 'Héllo Wörld', 'Héllo Wörld'), (2, 'hello world', 'hello world'), (3, '😀', '😀')")
		mustExec(t, db, "CREATE TABLE coll.u (id INT PRIMARY KEY, v VARCHAR(10) COLLATE utf8mb4_general_ci, UNIQUE KEY (v))")
		mustExec(t, db, "INSERT INTO coll.u VALUES (1, 'abc')")
		runCases(t, db, cases)
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		runCases(t, db, cases)
	})
}

// TestDefaultsAndNotNull checks literal and expression defaults (also
// after a restart) and NOT NULL errors.
func TestDefaultsAndNotNull(t *testing.T) {
	dir := t.TempDir()
	check := func(t *testing.T, db *sql.DB, id string) {
		mustExec(t, db, "INSERT INTO defs.t (id) VALUES ("+id+")")
		require.Equal(t, [][]string{{"x", "3", "1", "1", "[]"}},
			queryRows(t, db, "SELECT s, n, TIMESTAMPDIFF(SECOND, c, NOW()) BETWEEN 0 AND 60, d IS NULL, j FROM defs.t WHERE id = "+id))
		runCases(t, db, []sqlCase{
			{name: "insert NULL into NOT NULL", query: "INSERT INTO defs.t (id, s) VALUES (100, NULL)", wantErr: 1048},
			{name: "update to NULL", query: "UPDATE defs.t SET s = NULL WHERE id = " + id, wantErr: 1048},
			{name: "missing NOT NULL without default", query: "INSERT INTO defs.nd (id) VALUES (1)", wantErr: 1364},
			{name: "explicit DEFAULT keyword", setup: []string{"INSERT INTO defs.t (id, s) VALUES (" + id + "0, DEFAULT)"},
				query: "SELECT s FROM defs.t WHERE id = " + id + "0", want: [][]string{{"x"}}},
			{name: "nothing was written by the failed inserts", query: "SELECT COUNT(*) FROM defs.t WHERE id = 100 UNION ALL SELECT COUNT(*) FROM defs.nd",
				want: [][]string{{"0"}, {"0"}}},
		})
	}
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE defs")
		mustExec(t, db, "CREATE TABLE defs.t (id INT PRIMARY KEY, s VARCHAR(5) NOT NULL DEFAULT 'x', "+
			"n INT DEFAULT (1 + 2), c DATETIME DEFAULT (NOW()), d DATE DEFAULT NULL, j JSON DEFAULT (JSON_ARRAY()))")
		mustExec(t, db, "CREATE TABLE defs.nd (id INT PRIMARY KEY, v INT NOT NULL)")
		check(t, db, "1")
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		check(t, db, "2")
	})
}
