package mysqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/guocedb/guocedb/internal/backend"
)

// ruleSetOpRows is the id of clearMax1RowForSetOps among the analyzer's
// rules; go-mysql-server's own ids are far below it.
const ruleSetOpRows analyzer.RuleId = 10_000

// ruleReadOnlySession is the id of refuseWritesInReadOnlySession.
const ruleReadOnlySession analyzer.RuleId = 10_001

// newAnalyzer is go-mysql-server's default analyzer plus guocedb's rules.
func newAnalyzer(provider sql.DatabaseProvider) *analyzer.Analyzer {
	a := analyzer.NewBuilder(provider).
		AddPostValidationRule(ruleSetOpRows, clearMax1RowForSetOps).
		AddPostValidationRule(ruleReadOnlySession, refuseWritesInReadOnlySession).
		AddPostValidationRule(ruleViewNotDDL, clearDDLFlagOfViewReads).
		Build()
	a.ExecBuilder = unsignedFromFloatBuilder{a.ExecBuilder}
	return a
}

// clearMax1RowForSetOps undoes the "at most one row" flag that
// go-mysql-server v0.20.0 sets for a single-row branch (COUNT(*), a unique
// key lookup) even when a UNION adds more rows; the wire handler would
// otherwise fail the query with "result max1Row iterator returned more than
// one row".
func clearMax1RowForSetOps(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if qFlags == nil || !qFlags.IsSet(sql.QFlagMax1Row) {
		return n, transform.SameTree, nil
	}
	transform.Inspect(n, func(c sql.Node) bool {
		if _, ok := c.(*plan.SetOp); ok {
			qFlags.Unset(sql.QFlagMax1Row)
			return false
		}
		return true
	})
	return n, transform.SameTree, nil
}

// refuseWritesInReadOnlySession fails a write outside an explicit
// transaction while the session is read-only (SET SESSION TRANSACTION READ
// ONLY) with MySQL's 1792, DDL included: go-mysql-server checks only the
// transaction's own characteristic and lets DDL through, as it would after
// an implicit commit. MySQL refuses DDL there, temporary tables included.
func refuseWritesInReadOnlySession(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if ctx.GetIgnoreAutoCommit() || n.IsReadOnly() || !backend.IsReadOnlySession(ctx) {
		return n, transform.SameTree, nil
	}
	return nil, transform.SameTree, sql.ErrReadOnlyTransaction.New()
}
