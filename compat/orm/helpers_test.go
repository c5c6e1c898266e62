package orm

import (
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/guocedb/guocedb/internal/testutil"
)

// startDB starts a server, creates database name on it and returns the DSN
// of that database (go-sql-driver/mysql syntax, as an application writes
// it: parseTime and a UTC location).
func startDB(t *testing.T, name string) string {
	t.Helper()
	addr, db := testutil.StartServer(t)
	_, err := db.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	return fmt.Sprintf("root:@tcp(%s)/%s?charset=utf8mb4&parseTime=true&loc=UTC", addr, name)
}

// openGORM opens GORM over dsn with errors logged to the test log and
// closes its pool in t.Cleanup.
func openGORM(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := gorm.Open(gormmysql.Open(dsn), &gorm.Config{
		Logger: logger.New(testLogger{t}, logger.Config{LogLevel: logger.Warn}),
	})
	require.NoError(t, err)
	sqlDB, err := gdb.DB()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqlDB.Close() })
	return gdb
}

// testLogger writes GORM's log to the test log.
type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf(format, args...) }

// requireMySQLErr checks err is a MySQL error with the given number.
func requireMySQLErr(t *testing.T, err error, code uint16) {
	t.Helper()
	var me *mysql.MySQLError
	require.ErrorAs(t, err, &me)
	require.Equal(t, code, me.Number, me.Message)
}
