package acceptance

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// A FLOAT(M,D) or DOUBLE(M,D) column reports D decimals in its column
// metadata, as MySQL does (drivers report it as the column's scale); one
// without a scale reports 31, MySQL's "not fixed". The scale survives a
// restart and a table rewrite.
func TestFloatColumnScale(t *testing.T) {
	dir := t.TempDir()
	scales := func(t *testing.T, addr string) map[string]int64 {
		t.Helper()
		db := openAs(t, "root", "", addr, "")
		rows, err := db.Query("SELECT * FROM f.t")
		require.NoError(t, err)
		defer rows.Close()
		types, err := rows.ColumnTypes()
		require.NoError(t, err)
		out := map[string]int64{}
		for _, ct := range types {
			if _, scale, ok := ct.DecimalSize(); ok {
				out[ct.Name()] = scale
			}
		}
		return out
	}
	const notFixed = 1<<63 - 1 // go-sql-driver's scale for decimals 31
	phase(t, dir, "create", func(t *testing.T, addr string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE f")
		mustExec(t, db, "CREATE TABLE f.t (id INT PRIMARY KEY, a FLOAT(7,4), b DOUBLE(10,2), c FLOAT, d DOUBLE, e DECIMAL(6,3))")
		mustExec(t, db, "INSERT INTO f.t VALUES (1, 13.37, 1.5, 2.5, 3.5, 4.5)")
		require.Equal(t, map[string]int64{"a": 4, "b": 2, "c": notFixed, "d": notFixed, "e": 3}, scales(t, addr))
		// A prepared statement's metadata is the same.
		stmt, err := db.Prepare("SELECT a, b FROM f.t WHERE id = ?")
		require.NoError(t, err)
		defer stmt.Close()
		rows, err := stmt.Query(1)
		require.NoError(t, err)
		types, err := rows.ColumnTypes()
		require.NoError(t, err)
		_, s, _ := types[0].DecimalSize()
		require.EqualValues(t, 4, s)
		require.NoError(t, rows.Close())
	})
	phase(t, dir, "after restart and rewrite", func(t *testing.T, addr string, db *sql.DB) {
		require.EqualValues(t, 4, scales(t, addr)["a"])
		mustExec(t, db, "ALTER TABLE f.t ADD COLUMN g INT")
		mustExec(t, db, "ALTER TABLE f.t RENAME COLUMN b TO bb")
		got := scales(t, addr)
		require.EqualValues(t, 4, got["a"])
		require.EqualValues(t, 2, got["bb"])
	})
}
