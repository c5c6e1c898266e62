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
	mustExec(t, db, "CREATE TABLE ex.users (id INT PRIMARY KEY)")
	mustExec(t, db, "CREATE TABLE ex.user_speaks (user_id INT, lang VARCHAR(10), PRIMARY KEY (user_id, lang))")
	reset := func() {
		mustExec(t, db, "DELETE FROM ex.users")
		mustExec(t, db, "DELETE FROM ex.user_speaks")
		mustExec(t, db, "INSERT INTO ex.users VALUES (1), (2)")
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
}
