package acceptance

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSetPersist covers SET PERSIST and SET PERSIST_ONLY: the first sets
// the global value now and after a restart, the second only after it.
func TestSetPersist(t *testing.T) {
	dir := t.TempDir()
	// Global variables are process-wide in go-mysql-server: put back what
	// other tests in this process expect.
	t.Cleanup(func() {
		_, db := start(t)
		mustExec(t, db, "SET GLOBAL interactive_timeout = 28800")
		mustExec(t, db, "SET GLOBAL net_write_timeout = 60")
	})
	phase(t, dir, "persist", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "SET PERSIST interactive_timeout = 1234")
		require.Equal(t, "1234", queryValue(t, db, "SELECT @@GLOBAL.interactive_timeout"))
		mustExec(t, db, "SET PERSIST_ONLY net_write_timeout = 77")
		require.Equal(t, "60", queryValue(t, db, "SELECT @@GLOBAL.net_write_timeout"), "PERSIST_ONLY leaves the running value")
		requireErrCode(t, execErr(db, "SET PERSIST no_such_variable = 1"), 1193)
		// A later SET GLOBAL is not persisted.
		mustExec(t, db, "SET GLOBAL interactive_timeout = 5")
	})
	// The globals of this process still hold 5 and 60: the restarted
	// server must assign the persisted values.
	phase(t, dir, "restart", func(t *testing.T, _ string, db *sql.DB) {
		require.Equal(t, "1234", queryValue(t, db, "SELECT @@GLOBAL.interactive_timeout"))
		require.Equal(t, "77", queryValue(t, db, "SELECT @@GLOBAL.net_write_timeout"))
	})
}
