package acceptance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// alterRows is how many rows TestAlterTable rewrites.
const alterRows = 5000

// TestAlterTable alters a table of alterRows rows step by step and checks
// after each step that every row was rewritten and that index lookups
// still find rows.
func TestAlterTable(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE alt")
	mustExec(t, db, "CREATE TABLE alt.t (id INT PRIMARY KEY, v INT, s VARCHAR(20))")
	for lo := 1; lo <= alterRows; lo += 500 {
		var vals []string
		for i := lo; i < lo+500 && i <= alterRows; i++ {
			vals = append(vals, fmt.Sprintf("(%d, %d, 's%d')", i, i*2, i))
		}
		mustExec(t, db, "INSERT INTO alt.t VALUES "+strings.Join(vals, ","))
	}
	n := fmt.Sprint(alterRows)
	sumV := fmt.Sprint(alterRows * (alterRows + 1)) // sum of 2*i

	runCases(t, db, []sqlCase{
		{name: "loaded", query: "SELECT COUNT(*), CAST(SUM(v) AS SIGNED) FROM alt.t", want: [][]string{{n, sumV}}},
		{
			name:  "add column with default fills every row",
			setup: []string{"ALTER TABLE alt.t ADD COLUMN c INT NOT NULL DEFAULT 7"},
			query: "SELECT COUNT(*), SUM(c), CAST(SUM(v) AS SIGNED) FROM alt.t",
			want:  [][]string{{n, fmt.Sprint(7 * alterRows), sumV}},
		},
		{
			name:  "add column first",
			setup: []string{"ALTER TABLE alt.t ADD COLUMN f VARCHAR(3) DEFAULT 'f' FIRST"},
			query: "SELECT * FROM alt.t WHERE id = 4321",
			want:  [][]string{{"f", "4321", "8642", "s4321", "7"}},
		},
		{
			name:  "add index finds rows",
			setup: []string{"ALTER TABLE alt.t ADD INDEX iv (v)"},
			query: "SELECT id, s FROM alt.t WHERE v = 4000",
			want:  [][]string{{"2000", "s2000"}},
		},
		{name: "new index range", query: "SELECT COUNT(*) FROM alt.t WHERE v BETWEEN 100 AND 199", want: [][]string{{"50"}}},
		{
			name:  "modify column type keeps values and index",
			setup: []string{"ALTER TABLE alt.t MODIFY COLUMN v BIGINT NOT NULL"},
			query: "SELECT id FROM alt.t WHERE v = 9998",
			want:  [][]string{{"4999"}},
		},
		{name: "modified column sum", query: "SELECT COUNT(*), CAST(SUM(v) AS SIGNED) FROM alt.t", want: [][]string{{n, sumV}}},
		{name: "modified column type", query: "SELECT column_type, is_nullable FROM information_schema.columns WHERE table_schema = 'alt' AND table_name = 't' AND column_name = 'v'",
			want: [][]string{{"bigint", "NO"}}},
		{
			name:  "modify varchar wider",
			setup: []string{"ALTER TABLE alt.t MODIFY COLUMN s VARCHAR(40)"},
			query: "SELECT s FROM alt.t WHERE id = 5000",
			want:  [][]string{{"s5000"}},
		},
		{name: "narrowing a column that would truncate fails", query: "ALTER TABLE alt.t MODIFY COLUMN s VARCHAR(2)", wantErr: 1406},
		{name: "failed alter left the data", query: "SELECT s FROM alt.t WHERE id = 5000", want: [][]string{{"s5000"}}},
		{name: "failed alter left the type", query: "SELECT column_type FROM information_schema.columns WHERE table_schema = 'alt' AND table_name = 't' AND column_name = 's'",
			want: [][]string{{"varchar(40)"}}},
		{
			name:  "rename column",
			setup: []string{"ALTER TABLE alt.t RENAME COLUMN s TO label"},
			query: "SELECT label FROM alt.t WHERE v = 20",
			want:  [][]string{{"s10"}},
		},
		{name: "old column name is gone", query: "SELECT s FROM alt.t", wantErr: 1054},
		{
			name:  "change column",
			setup: []string{"ALTER TABLE alt.t CHANGE COLUMN label name VARCHAR(40) NOT NULL"},
			query: "SELECT name FROM alt.t WHERE id = 1",
			want:  [][]string{{"s1"}},
		},
		{
			name:  "add index on renamed column",
			setup: []string{"CREATE INDEX iname ON alt.t (name)"},
			query: "SELECT id FROM alt.t WHERE name = 's3333'",
			want:  [][]string{{"3333"}},
		},
		{
			name:  "drop column",
			setup: []string{"ALTER TABLE alt.t DROP COLUMN f", "ALTER TABLE alt.t DROP COLUMN c"},
			query: "SELECT * FROM alt.t WHERE id = 77",
			want:  [][]string{{"77", "154", "s77"}},
		},
		{
			name:  "drop index",
			setup: []string{"ALTER TABLE alt.t DROP INDEX iv"},
			query: "SELECT id FROM alt.t WHERE v = 4000",
			want:  [][]string{{"2000"}},
		},
		{name: "dropped index is gone", query: "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = 'alt' AND index_name = 'iv'", want: [][]string{{"0"}}},
		{name: "add unique index over duplicates fails (plain)", setup: []string{"ALTER TABLE alt.t ADD COLUMN m INT", "UPDATE alt.t SET m = id % 10"},
			query: "ALTER TABLE alt.t ADD UNIQUE INDEX um (m)", wantErr: 1062},
		{name: "failed unique index is not there", query: "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = 'alt' AND index_name = 'um'", want: [][]string{{"0"}}},
		{
			name:  "drop primary key",
			setup: []string{"ALTER TABLE alt.t DROP PRIMARY KEY", "INSERT INTO alt.t (id, v, name) VALUES (1, -1, 'dup')"},
			query: "SELECT v, name FROM alt.t WHERE id = 1 ORDER BY v",
			want:  [][]string{{"-1", "dup"}, {"2", "s1"}},
		},
		{name: "keyless table still has every row", query: "SELECT COUNT(*), CAST(SUM(v) AS SIGNED) FROM alt.t WHERE v > 0", want: [][]string{{n, sumV}}},
		{name: "secondary index on keyless table", query: "SELECT id FROM alt.t WHERE name = 's4444'", want: [][]string{{"4444"}}},
		{name: "add primary key over duplicates fails", query: "ALTER TABLE alt.t ADD PRIMARY KEY (id)", wantErr: 1062},
		{
			name:  "add primary key",
			setup: []string{"DELETE FROM alt.t WHERE v = -1", "ALTER TABLE alt.t ADD PRIMARY KEY (id)"},
			query: "SELECT v, name FROM alt.t WHERE id = 2500",
			want:  [][]string{{"5000", "s2500"}},
		},
		{name: "primary key enforced again", query: "INSERT INTO alt.t (id, v, name) VALUES (2500, 0, 'x')", wantErr: 1062},
		{name: "secondary index after primary key change", query: "SELECT id FROM alt.t WHERE name = 's4444'", want: [][]string{{"4444"}}},
		{name: "final count", query: "SELECT COUNT(*), CAST(SUM(v) AS SIGNED), MIN(id), MAX(id) FROM alt.t", want: [][]string{{n, sumV, "1", n}}},
		{name: "final columns", query: "SELECT column_name, column_key FROM information_schema.columns WHERE table_schema = 'alt' AND table_name = 't' ORDER BY ordinal_position",
			want: [][]string{{"id", "PRI"}, {"v", ""}, {"name", "MUL"}, {"m", ""}}},
	})
}

// TestSumOfIntegers checks the type of SUM over an integer column: MySQL
// returns an exact DECIMAL, so the text has no exponent.
func TestSumOfIntegers(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE agg")
	mustExec(t, db, "CREATE TABLE agg.t (id INT PRIMARY KEY, v INT)")
	mustExec(t, db, "INSERT INTO agg.t VALUES (1, 12500000), (2, 12505000)")
	require.Equal(t, [][]string{{"25005000", "12502500.0000"}}, queryRows(t, db, "SELECT SUM(v), AVG(v) FROM agg.t"))
}

// TestAlterLargeTableInBatches rewrites a table whose data (15 MiB) is
// about a whole 16 MiB memtable and far more than one Badger batch (15% of
// it), so ALTER must commit the rewrite in batches; then updates every
// row in one statement, a write set past the same limit that the apply
// spreads over batches and memtables, and deletes them all.
func TestAlterLargeTableInBatches(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE big")
	mustExec(t, db, "CREATE TABLE big.t (id INT PRIMARY KEY, pad VARCHAR(600) NOT NULL, KEY kp (pad(8)))")
	const rows, batch = 30000, 1000
	pad := strings.Repeat("p", 500)
	for lo := 0; lo < rows; lo += batch {
		var sb strings.Builder
		sb.WriteString("INSERT INTO big.t VALUES ")
		for i := lo; i < lo+batch; i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,'%08d%s')", i, i, pad)
		}
		mustExec(t, db, sb.String())
	}
	mustExec(t, db, "ALTER TABLE big.t ADD COLUMN n INT NOT NULL DEFAULT 7 FIRST")
	require.Equal(t, [][]string{{"30000", "210000"}}, queryRows(t, db, "SELECT COUNT(*), SUM(n) FROM big.t"))
	require.Equal(t, [][]string{{"7", "12345"}}, queryRows(t, db, "SELECT n, id FROM big.t WHERE id = 12345"))
	require.Equal(t, [][]string{{"29999"}}, queryRows(t, db, "SELECT id FROM big.t WHERE pad LIKE '00029999%'"))

	res := mustExec(t, db, "UPDATE big.t SET pad = CONCAT(pad, 'u'), n = n + 1")
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(rows), n)
	require.Equal(t, [][]string{{"30000", "240000", "30000"}},
		queryRows(t, db, "SELECT COUNT(*), SUM(n), SUM(pad LIKE '%u') FROM big.t"))
	mustExec(t, db, "DELETE FROM big.t WHERE id >= 0")
	require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM big.t"))
}
