package acceptance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInsertSelectLargerThanMemtables copies 100,000 rows (about 35 MB
// with their index entries, twice the 16 MiB memtable) in one INSERT ...
// SELECT: one transaction, one commit log entry, applied over several
// Badger batches and memtables. All rows or none are visible.
func TestInsertSelectLargerThanMemtables(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE bulk")
	mustExec(t, db, "CREATE TABLE bulk.src (id INT PRIMARY KEY)")
	var sb strings.Builder
	sb.WriteString("INSERT INTO bulk.src VALUES ")
	for i := range 1000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(%d)", i)
	}
	mustExec(t, db, sb.String())
	mustExec(t, db, "CREATE TABLE bulk.dst (id INT PRIMARY KEY, pad VARCHAR(400) NOT NULL, KEY kp (pad(12)))")
	res := mustExec(t, db, "INSERT INTO bulk.dst SELECT a.id * 100 + b.id, CONCAT(LPAD(a.id * 100 + b.id, 8, '0'), REPEAT('x', 300)) "+
		"FROM bulk.src a JOIN bulk.src b ON b.id < 100")
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(100000), n)
	require.Equal(t, [][]string{{"100000", "0", "99999", fmt.Sprint(100000 * 308)}},
		queryRows(t, db, "SELECT COUNT(*), MIN(id), MAX(id), SUM(LENGTH(pad)) FROM bulk.dst"))
	require.Equal(t, "54321", queryValue(t, db, "SELECT id FROM bulk.dst WHERE pad LIKE '00054321%'"))
}
