package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsDML(t *testing.T) {
	for q, want := range map[string]bool{
		"UPDATE t SET a = 1":                    true,
		"  insert into t values (1)":            true,
		"/* c */ DELETE FROM t":                 true,
		"-- c\nREPLACE INTO t VALUES (1)":       true,
		"# c\n(UPDATE t SET a = 1)":             true,
		"SELECT * FROM t":                       false,
		"/*!40101 UPDATE t SET a = 1 */":        false,
		"UPDATEX":                               false,
		"CREATE TABLE t (a INT)":                false,
		"START TRANSACTION":                     false,
		"/* unterminated UPDATE t SET a = 1":    false,
		"":                                      false,
		"with x as (select 1) update t set a=1": false,
	} {
		require.Equal(t, want, classify(q) == kindDML, q)
	}
}

func TestClassify(t *testing.T) {
	for q, want := range map[string]stmtKind{
		"BEGIN":                       kindBegin,
		"begin work;":                 kindBegin,
		"START TRANSACTION":           kindBegin,
		"START TRANSACTION READ ONLY": kindBegin,
		"start transaction with consistent snapshot": kindBegin,
		"START REPLICA":                  kindOther,
		"BEGIN NOT ATOMIC SELECT 1; END": kindOther,
		"COMMIT":                         kindCommit,
		"/* gorm */ COMMIT":              kindCommit,
		"COMMIT AND CHAIN":               kindOther,
		"COMMIT RELEASE":                 kindOther,
		"ROLLBACK":                       kindRollback,
		"ROLLBACK TO SAVEPOINT sp":       kindOther,
		"UPDATE t SET a = 1":             kindDML,
		"SELECT 1":                       kindOther,
		"SAVEPOINT sp":                   kindOther,
	} {
		require.Equal(t, want, classify(q), q)
	}
}

func TestMoreStatements(t *testing.T) {
	require.False(t, moreStatements("COMMIT"))
	require.False(t, moreStatements("COMMIT; "))
	require.True(t, moreStatements("COMMIT; SELECT 1"))
}
