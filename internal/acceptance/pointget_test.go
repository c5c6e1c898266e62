package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPointGet covers the lookups the backend reads with one Get instead of
// an iterator (an equality on every column of a primary or unique key) and
// the neighbours that must stay scans: a leading subset of a composite
// key, <=> NULL on a unique index (NULL entries carry the primary key), a
// unique prefix index, IN lists, and the transaction's own writes.
func TestPointGet(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE pg")
	runCases(t, db, []sqlCase{
		{
			name: "primary key hit",
			setup: []string{
				"CREATE TABLE pg.t (id INT PRIMARY KEY, u VARCHAR(10) COLLATE utf8mb4_0900_ai_ci, a INT, b INT, p VARCHAR(20), UNIQUE KEY uu (u), UNIQUE KEY uab (a, b), UNIQUE KEY up (p(3)))",
				"INSERT INTO pg.t VALUES (1,'one',1,1,'abcdef'), (2,NULL,1,2,'xyz1'), (3,NULL,NULL,3,NULL), (4,'FOUR',2,NULL,'qqq')",
			},
			query: "SELECT id, u FROM pg.t WHERE id = 2",
			want:  [][]string{{"2", null}},
		},
		{name: "primary key miss", query: "SELECT id FROM pg.t WHERE id = 9", want: [][]string{}},
		{name: "primary key IN list", query: "SELECT id FROM pg.t WHERE id IN (4, 9, 1) ORDER BY id", want: [][]string{{"1"}, {"4"}}},
		{name: "unique hit", query: "SELECT id FROM pg.t WHERE u = 'one'", want: [][]string{{"1"}}},
		{name: "unique hit case-insensitive", query: "SELECT id, u FROM pg.t WHERE u = 'four'", want: [][]string{{"4", "FOUR"}}},
		{name: "unique miss", query: "SELECT id FROM pg.t WHERE u = 'two'", want: [][]string{}},
		{name: "unique = NULL matches nothing", query: "SELECT id FROM pg.t WHERE u = NULL", want: [][]string{}},
		{name: "unique <=> NULL matches every NULL", query: "SELECT id FROM pg.t WHERE u <=> NULL ORDER BY id", want: [][]string{{"2"}, {"3"}}},
		{name: "composite unique full key", query: "SELECT id FROM pg.t WHERE a = 1 AND b = 2", want: [][]string{{"2"}}},
		{name: "composite unique leading column", query: "SELECT id FROM pg.t WHERE a = 1 ORDER BY id", want: [][]string{{"1"}, {"2"}}},
		{name: "composite unique with NULL part", query: "SELECT id FROM pg.t WHERE a = 2 AND b <=> NULL", want: [][]string{{"4"}}},
		{name: "unique prefix index", query: "SELECT id FROM pg.t WHERE p = 'abcdef'", want: [][]string{{"1"}}},
		{name: "unique prefix index other value same prefix", query: "SELECT id FROM pg.t WHERE p = 'abcxyz'", want: [][]string{}},
		{name: "update by primary key", setup: []string{"UPDATE pg.t SET u = 'uno' WHERE id = 1"}, query: "SELECT u FROM pg.t WHERE id = 1", want: [][]string{{"uno"}}},
		{name: "old unique value gone", query: "SELECT id FROM pg.t WHERE u = 'one'", want: [][]string{}},
		{name: "delete by unique key", setup: []string{"DELETE FROM pg.t WHERE u = 'FOUR'"}, query: "SELECT COUNT(*) FROM pg.t", want: [][]string{{"3"}}},
	})

	t.Run("own writes in a transaction", func(t *testing.T) {
		tx, err := db.Begin()
		require.NoError(t, err)
		defer func() { _ = tx.Rollback() }()
		mustExec(t, tx, "INSERT INTO pg.t VALUES (5,'five',5,5,'fff')")
		mustExec(t, tx, "DELETE FROM pg.t WHERE id = 2")
		require.Equal(t, [][]string{{"5"}}, queryRows(t, tx, "SELECT id FROM pg.t WHERE id = 5"))
		require.Equal(t, [][]string{{"5"}}, queryRows(t, tx, "SELECT id FROM pg.t WHERE u = 'five'"))
		require.Equal(t, [][]string{}, queryRows(t, tx, "SELECT id FROM pg.t WHERE id = 2"))
		// Another connection sees neither change before commit.
		require.Equal(t, [][]string{}, queryRows(t, db, "SELECT id FROM pg.t WHERE id = 5"))
		require.Equal(t, [][]string{{"2"}}, queryRows(t, db, "SELECT id FROM pg.t WHERE id = 2"))
	})

	t.Run("prepared point get", func(t *testing.T) {
		for id, want := range map[int][][]string{1: {{"uno"}}, 3: {{null}}, 9: {}} {
			require.Equal(t, want, queryRows(t, db, "SELECT u FROM pg.t WHERE id = ?", id))
		}
	})
}
