package acceptance

import (
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/server"
	"github.com/guocedb/guocedb/internal/testutil"
)

// login opens a fresh connection as user and returns Ping's error.
func login(t *testing.T, addr, user, password string) error {
	t.Helper()
	db := openAs(t, user, password, addr, "")
	db.SetMaxIdleConns(0)
	err := db.Ping()
	_ = db.Close()
	return err
}

// TestFailedLoginLock checks MySQL 8's FAILED_LOGIN_ATTEMPTS and
// PASSWORD_LOCK_TIME over the wire, across a restart: the n-th
// consecutive failure locks the account (3955), even for the right
// password, until the lock time ends or ALTER USER ... ACCOUNT UNLOCK.
func TestFailedLoginLock(t *testing.T) {
	dir := t.TempDir()
	// A test-only clock: a PASSWORD_LOCK_TIME day lasts 2 seconds.
	day := testutil.WithServerOption(server.WithLoginProtection(mysqlserver.LoginProtection{Day: 2 * time.Second, DelayAfter: 100}))
	phase(t, dir, "lock after three failures", func(t *testing.T, addr string, root *sql.DB) {
		mustExec(t, root, "CREATE USER 'lk'@'%' IDENTIFIED BY 'pw' FAILED_LOGIN_ATTEMPTS 3 PASSWORD_LOCK_TIME UNBOUNDED")
		mustExec(t, root, "CREATE USER 'brief'@'%' IDENTIFIED BY 'pw' FAILED_LOGIN_ATTEMPTS 2 PASSWORD_LOCK_TIME 1")
		require.Contains(t, queryValue(t, root, "SHOW CREATE USER 'lk'@'%'"), "FAILED_LOGIN_ATTEMPTS 3 PASSWORD_LOCK_TIME UNBOUNDED")
		require.Equal(t, []string{"CREATE USER for brief@%"}, columnsOf(t, root, "SHOW CREATE USER 'brief'@'%'"))

		require.NoError(t, login(t, addr, "lk", "pw"))
		requireErrCode(t, login(t, addr, "lk", "bad"), 1045)
		requireErrCode(t, login(t, addr, "lk", "bad"), 1045)
		require.NoError(t, login(t, addr, "lk", "pw"), "a success resets the count")
		requireErrCode(t, login(t, addr, "lk", "bad"), 1045)
		requireErrCode(t, login(t, addr, "lk", "bad"), 1045)
		err := login(t, addr, "lk", "bad")
		requireErrCode(t, err, 3955, "third consecutive failure")
		require.Contains(t, err.Error(), "due to 3 consecutive failed logins")
		requireErrCode(t, login(t, addr, "lk", "pw"), 3955, "right password while blocked")

		requireErrCode(t, login(t, addr, "brief", "bad"), 1045)
		requireErrCode(t, login(t, addr, "brief", "bad"), 3955)
		requireErrCode(t, login(t, addr, "brief", "pw"), 3955)
		time.Sleep(2500 * time.Millisecond) // one test day
		require.NoError(t, login(t, addr, "brief", "pw"), "the lock ran out")
	}, day)
	phase(t, dir, "still locked after restart", func(t *testing.T, addr string, root *sql.DB) {
		requireErrCode(t, login(t, addr, "lk", "pw"), 3955)
		mustExec(t, root, "ALTER USER 'lk'@'%' ACCOUNT UNLOCK")
		require.NoError(t, login(t, addr, "lk", "pw"), "ACCOUNT UNLOCK ends the block")
		mustExec(t, root, "ALTER USER 'lk'@'%' FAILED_LOGIN_ATTEMPTS 5 PASSWORD_LOCK_TIME 7")
		require.Contains(t, queryValue(t, root, "SHOW CREATE USER 'lk'@'%'"), "ACCOUNT UNLOCK PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT PASSWORD REQUIRE CURRENT DEFAULT FAILED_LOGIN_ATTEMPTS 5 PASSWORD_LOCK_TIME 7")
	}, day)
}

// TestAccountLock checks ALTER USER ... ACCOUNT LOCK | UNLOCK and CREATE
// USER ... ACCOUNT LOCK (3118 at login), across a restart, and the errors
// of ALTER USER on a missing account and without privilege.
func TestAccountLock(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "lock", func(t *testing.T, addr string, root *sql.DB) {
		mustExec(t, root, "CREATE USER 'al'@'%' IDENTIFIED BY 'pw'")
		mustExec(t, root, "CREATE USER 'born_locked'@'%' IDENTIFIED BY 'pw' ACCOUNT LOCK")
		mustExec(t, root, "CREATE USER 'weak'@'%' IDENTIFIED BY 'pw'")
		require.NoError(t, login(t, addr, "al", "pw"))
		mustExec(t, root, "ALTER USER 'al'@'%' ACCOUNT LOCK")
		err := login(t, addr, "al", "pw")
		requireErrCode(t, err, 3118)
		require.Contains(t, err.Error(), "Account is locked")
		requireErrCode(t, login(t, addr, "al", "bad"), 1045, "wrong password of a locked account")
		requireErrCode(t, login(t, addr, "born_locked", "pw"), 3118)
		require.Contains(t, queryValue(t, root, "SHOW CREATE USER al"), " ACCOUNT LOCK ")
		require.Contains(t, queryValue(t, root, "SHOW CREATE USER 'al'@'%'"), "CREATE USER `al`@`%` IDENTIFIED WITH 'mysql_native_password' AS '*")

		requireErrCode(t, execErr(root, "ALTER USER 'nobody'@'%' ACCOUNT LOCK"), 1396)
		mustExec(t, root, "ALTER USER IF EXISTS 'nobody'@'%' ACCOUNT LOCK")
		weak := openAs(t, "weak", "pw", addr, "")
		require.Error(t, execErr(weak, "ALTER USER 'al'@'%' ACCOUNT UNLOCK"), "ALTER USER needs CREATE USER")
		require.Error(t, execErr(weak, "SHOW CREATE USER 'al'@'%'"), "another account's definition needs privileges")
		require.Contains(t, queryValue(t, weak, "SHOW CREATE USER 'weak'@'%'"), "CREATE USER `weak`@`%`")
	})
	phase(t, dir, "after restart", func(t *testing.T, addr string, root *sql.DB) {
		requireErrCode(t, login(t, addr, "al", "pw"), 3118)
		mustExec(t, root, "ALTER USER 'al'@'%' IDENTIFIED BY 'new' ACCOUNT UNLOCK")
		require.NoError(t, login(t, addr, "al", "new"), "password changed and unlocked in one statement")
		requireErrCode(t, login(t, addr, "al", "pw"), 1045)
		mustExec(t, root, "DROP USER 'al'@'%'")
		mustExec(t, root, "CREATE USER 'al'@'%' IDENTIFIED BY 'pw'")
		require.NoError(t, login(t, addr, "al", "pw"), "a dropped account's lock is gone")
	})
}

// TestLoginDelay checks the delay after repeated failures of one user
// from one host, and the cap on logins waiting at once.
func TestLoginDelay(t *testing.T) {
	addr, root := start(t, testutil.WithServerOption(server.WithLoginProtection(mysqlserver.LoginProtection{
		DelayAfter: 2, DelayStep: 1500 * time.Millisecond, DelayMax: 1500 * time.Millisecond, MaxDelayed: 1})))
	mustExec(t, root, "CREATE USER 'dl'@'%' IDENTIFIED BY 'pw'")
	requireErrCode(t, login(t, addr, "dl", "bad"), 1045)
	requireErrCode(t, login(t, addr, "dl", "bad"), 1045)
	// From now on each attempt waits first; one waits at a time.
	var wg sync.WaitGroup
	var slowErr error
	var slowTook time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		began := time.Now()
		slowErr = login(t, addr, "dl", "pw")
		slowTook = time.Since(began)
	}()
	time.Sleep(500 * time.Millisecond)
	err := login(t, addr, "dl", "pw")
	requireErrCode(t, err, 1045, "a second waiting login is over the cap")
	require.Contains(t, err.Error(), "too many logins waiting")
	wg.Wait()
	require.NoError(t, slowErr, "the delayed login with the right password succeeds")
	require.GreaterOrEqual(t, slowTook, 1500*time.Millisecond, "it waited the delay")
	require.NoError(t, login(t, addr, "dl", "pw"), "no delay after a success")
}

func columnsOf(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	return cols
}
