package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExistsInUpdateAndDelete: correlated [NOT] EXISTS subqueries in the
// WHERE of UPDATE and DELETE (GORM's many-to-many Replace, Clear and
// Delete), prepared (a parameter makes go-sql-driver prepare) and in the
// text protocol.
func TestExistsInUpdateAndDelete(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE ex")
	mustExec(t, db, "CREATE TABLE ex.users (id INT PRIMARY KEY, name VARCHAR(10))")
	mustExec(t, db, "CREATE TABLE ex.user_speaks (user_id INT, lang VARCHAR(10), PRIMARY KEY (user_id, lang))")
	reset := func() {
		mustExec(t, db, "DELETE FROM ex.users")
		mustExec(t, db, "DELETE FROM ex.user_speaks")
		mustExec(t, db, "INSERT INTO ex.users (id) VALUES (1), (2)")
		mustExec(t, db, "INSERT INTO ex.user_speaks VALUES (1, 'en'), (2, 'zh'), (3, 'fr')")
	}
	t.Run("prepared", func(t *testing.T) {
		reset()
		mustExec(t, db, "DELETE FROM ex.user_speaks WHERE EXISTS (SELECT 1 FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id) AND user_id > ?", 0)
		require.Equal(t, [][]string{{"3", "fr"}}, queryRows(t, db, "SELECT user_id, lang FROM ex.user_speaks ORDER BY user_id"))
		reset()
		mustExec(t, db, "DELETE FROM ex.user_speaks WHERE NOT EXISTS (SELECT 1 FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id) AND user_id > ?", 0)
		require.Equal(t, [][]string{{"1", "en"}, {"2", "zh"}}, queryRows(t, db, "SELECT user_id, lang FROM ex.user_speaks ORDER BY user_id"))
		reset()
		res := mustExec(t, db, "UPDATE ex.user_speaks SET lang = 'x' WHERE EXISTS (SELECT 1 FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id AND ex.users.id > ?)", 1)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, [][]string{{"1", "en"}, {"2", "x"}, {"3", "fr"}}, queryRows(t, db, "SELECT user_id, lang FROM ex.user_speaks ORDER BY user_id"))
	})
	t.Run("text", func(t *testing.T) {
		reset()
		mustExec(t, db, "DELETE FROM ex.user_speaks WHERE EXISTS (SELECT 1 FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id)")
		require.Equal(t, [][]string{{"3", "fr"}}, queryRows(t, db, "SELECT user_id, lang FROM ex.user_speaks"))
		reset()
		mustExec(t, db, "UPDATE ex.user_speaks SET lang = 'y' WHERE NOT EXISTS (SELECT 1 FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id)")
		require.Equal(t, [][]string{{"3", "y"}}, queryRows(t, db, "SELECT user_id, lang FROM ex.user_speaks WHERE user_id = 3"))
	})
	// IN subqueries, correlated or not, and the multi-table forms, in the
	// text protocol and prepared (an extra "AND ? = 1" makes the driver
	// prepare).
	speaks := "SELECT user_id, lang FROM ex.user_speaks ORDER BY user_id"
	users := "SELECT id, name FROM ex.users ORDER BY id"
	cases := []struct {
		name, stmt    string
		speaks, users [][]string
	}{
		{"correlated IN in DELETE", "DELETE FROM ex.user_speaks WHERE user_id IN (SELECT id FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id)",
			[][]string{{"3", "fr"}}, nil},
		{"NOT IN in DELETE", "DELETE FROM ex.user_speaks WHERE user_id NOT IN (SELECT id FROM ex.users)",
			[][]string{{"1", "en"}, {"2", "zh"}}, nil},
		{"correlated IN in UPDATE", "UPDATE ex.user_speaks SET lang = 'x' WHERE user_id IN (SELECT id FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id)",
			[][]string{{"1", "x"}, {"2", "x"}, {"3", "fr"}}, nil},
		{"EXISTS or IN", "UPDATE ex.user_speaks SET lang = 'w' WHERE EXISTS (SELECT 1 FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id) OR user_id IN (SELECT 3)",
			[][]string{{"1", "w"}, {"2", "w"}, {"3", "w"}}, nil},
		{"correlated scalar subquery", "DELETE FROM ex.user_speaks WHERE (SELECT COUNT(*) FROM ex.users WHERE ex.users.id = ex.user_speaks.user_id) = 0",
			[][]string{{"1", "en"}, {"2", "zh"}}, nil},
		{"multi-table DELETE with JOIN", "DELETE s FROM ex.user_speaks s JOIN ex.users u ON u.id = s.user_id WHERE u.id > 0",
			[][]string{{"3", "fr"}}, nil},
		{"multi-table DELETE of two tables", "DELETE s, u FROM ex.user_speaks s JOIN ex.users u ON u.id = s.user_id WHERE u.id = 1",
			[][]string{{"2", "zh"}, {"3", "fr"}}, [][]string{{"2", "b"}}},
		{"DELETE ... USING", "DELETE FROM s USING ex.user_speaks s JOIN ex.users u ON u.id = s.user_id WHERE u.id > 0",
			[][]string{{"3", "fr"}}, nil},
		{"aliased DELETE with EXISTS", "DELETE s FROM ex.user_speaks s WHERE EXISTS (SELECT 1 FROM ex.users u WHERE u.id = s.user_id)",
			[][]string{{"3", "fr"}}, nil},
		{"multi-table DELETE with NOT EXISTS", "DELETE s FROM ex.user_speaks s JOIN ex.users u ON u.id = s.user_id WHERE NOT EXISTS (SELECT 1 FROM ex.users u2 WHERE u2.id = s.user_id AND u2.id > 1)",
			[][]string{{"2", "zh"}, {"3", "fr"}}, nil},
		{"multi-table UPDATE with JOIN", "UPDATE ex.user_speaks s JOIN ex.users u ON u.id = s.user_id SET s.lang = u.name WHERE u.id > 0",
			[][]string{{"1", "a"}, {"2", "b"}, {"3", "fr"}}, nil},
		{"multi-table UPDATE of two tables", "UPDATE ex.user_speaks s, ex.users u SET s.lang = 'k', u.name = 'z' WHERE u.id = s.user_id",
			[][]string{{"1", "k"}, {"2", "k"}, {"3", "fr"}}, [][]string{{"1", "z"}, {"2", "z"}}},
		{"multi-table UPDATE with EXISTS", "UPDATE ex.user_speaks s JOIN ex.users u ON u.id = s.user_id SET s.lang = 'q' WHERE EXISTS (SELECT 1 FROM ex.users u2 WHERE u2.id = s.user_id AND u2.id > 1)",
			[][]string{{"1", "en"}, {"2", "q"}, {"3", "fr"}}, nil},
	}
	for _, tc := range cases {
		for _, prepared := range []bool{false, true} {
			name := tc.name
			if prepared {
				name += " prepared"
			}
			t.Run(name, func(t *testing.T) {
				reset()
				mustExec(t, db, "UPDATE ex.users SET name = IF(id = 1, 'a', 'b')")
				if prepared {
					mustExec(t, db, tc.stmt+" AND ? = 1", 1)
				} else {
					mustExec(t, db, tc.stmt)
				}
				require.Equal(t, tc.speaks, queryRows(t, db, speaks))
				if tc.users != nil {
					require.Equal(t, tc.users, queryRows(t, db, users))
				}
			})
		}
	}
}
