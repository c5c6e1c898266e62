package mysqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// clearDDLFlagOfViewReads undoes the "DDL" flag go-mysql-server v0.20.0
// sets on a statement that merely reads a view: it resolves the view by
// parsing its stored CREATE VIEW, and that parse marks the whole query as
// DDL, so the engine committed the open transaction after it (ROLLBACK
// then kept the transaction's writes, and mariadb-dump --single-transaction
// lost its savepoint at the first view). Statements whose text starts
// with a reading or DML keyword are never DDL; the flag goes.
func clearDDLFlagOfViewReads(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if qFlags == nil || !qFlags.IsSet(sql.QFlagDDL) {
		return n, transform.SameTree, nil
	}
	switch strings.ToLower(sqltext.FirstWord(ctx.Query())) {
	case "select", "with", "show", "describe", "desc", "explain", "table", "values",
		"insert", "replace", "update", "delete", "do", "set":
		qFlags.Unset(sql.QFlagDDL)
	}
	return n, transform.SameTree, nil
}
