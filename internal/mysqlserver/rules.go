package mysqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// Ids of guocedb's analyzer rules, all here so that no two share one
// (two did); go-mysql-server's own ids are far below them.
const (
	ruleSetOpRows         analyzer.RuleId = 10_000 // clearMax1Row
	ruleDropUniqueByName  analyzer.RuleId = 10_001 // dropUniqueConstraint
	ruleReadOnlySession   analyzer.RuleId = 10_002 // refuseWritesInReadOnlySession
	ruleFollowerWrites    analyzer.RuleId = 10_003 // refuseWritesOnFollower
	ruleConvertUsing      analyzer.RuleId = 10_010 // convertUsingWithoutEncoder (convert_using.go)
	ruleStrictWrites      analyzer.RuleId = 10_011 // strict_mode.go
	ruleViewNotDDL        analyzer.RuleId = 10_012 // clearDDLFlagOfViewReads (viewflags.go)
	ruleCreateLikeIndexes analyzer.RuleId = 10_020 // copyLikeIndexKinds (createlike.go)
	ruleDecimalAggregates analyzer.RuleId = 10_030 // decimal_aggregates.go
)

// newAnalyzer is go-mysql-server's default analyzer plus guocedb's rules.
// forward says whether a follower forwards what needs the leader
// (follower-writes = forward) or refuses it.
func newAnalyzer(provider sql.DatabaseProvider, files *filePolicy, writable func() bool, forward bool) *analyzer.Analyzer {
	installStrictWrites()
	a := analyzer.NewBuilder(provider).
		AddPreAnalyzeRule(ruleDropUniqueByName, dropUniqueConstraint).
		AddPreAnalyzeRule(ruleCreateLikeIndexes, copyLikeIndexKinds).
		AddPreAnalyzeRule(ruleDecimalAggregates, decimalSumAndAvg).
		AddPostValidationRule(ruleSetOpRows, clearMax1Row).
		AddPostValidationRule(ruleReadOnlySession, refuseWritesInReadOnlySession).
		AddPostValidationRule(ruleFollowerWrites, refuseWritesOnFollower(writable, forward)).
		AddPostValidationRule(ruleViewNotDDL, clearDDLFlagOfViewReads).
		AddPostValidationRule(ruleConvertUsing, convertUsingWithoutEncoder).
		Build()
	a.ExecBuilder = newExecBuilder(files)
	return a
}

// clearMax1Row undoes the "at most one row" flag that go-mysql-server
// v0.20.0 sets for a single-row branch (COUNT(*), a unique key lookup)
// even when a UNION adds more rows, or when the statement is an EXPLAIN of
// such a query (the plan printer's output has a line per node); the wire
// handler would otherwise fail the query with "result max1Row iterator
// returned more than one row". The analyzer sees only the explained query,
// not the EXPLAIN around it, so the statement's first word tells.
func clearMax1Row(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if qFlags == nil || !qFlags.IsSet(sql.QFlagMax1Row) {
		return n, transform.SameTree, nil
	}
	if isExplain(ctx.Query()) {
		qFlags.Unset(sql.QFlagMax1Row)
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

// isExplain reports whether the statement q starts with EXPLAIN, DESCRIBE
// or DESC, after white space and comments. It reads only up to the first
// word: it runs for every single-row query.
func isExplain(q string) bool { return sqltext.StartsWith(q, "explain", "describe", "desc") }

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

// dropUniqueConstraint turns `ALTER TABLE t DROP CONSTRAINT name`, where
// name is a UNIQUE index and neither a foreign key nor a check, into
// `DROP INDEX name`, as MySQL 8.0.19+ does. go-mysql-server v0.20.0 only
// looks for foreign keys and checks ("Constraint ... does not exist");
// GORM's AutoMigrate drops a `unique` tag's constraint this way.
func dropUniqueConstraint(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		dc, ok := n.(*plan.DropConstraint)
		if !ok {
			return n, transform.SameTree, nil
		}
		rt, ok := dc.Child.(*plan.ResolvedTable)
		if !ok {
			return n, transform.SameTree, nil
		}
		if named, err := hasFKOrCheck(ctx, rt.Table, dc.Name); err != nil || named {
			return n, transform.SameTree, err
		}
		it, ok := rt.Table.(sql.IndexAddressable)
		if !ok {
			return n, transform.SameTree, nil
		}
		idxs, err := it.GetIndexes(ctx)
		if err != nil {
			return n, transform.SameTree, err
		}
		for _, idx := range idxs {
			if idx.IsUnique() && !strings.EqualFold(idx.ID(), "PRIMARY") && strings.EqualFold(idx.ID(), dc.Name) {
				return plan.NewAlterDropIndex(rt.SqlDatabase, rt, idx.ID()), transform.NewTree, nil
			}
		}
		return n, transform.SameTree, nil
	})
}

// hasFKOrCheck reports whether table has a foreign key or check named name.
func hasFKOrCheck(ctx *sql.Context, table sql.Table, name string) (bool, error) {
	if fkt, ok := table.(sql.ForeignKeyTable); ok {
		decl, err := fkt.GetDeclaredForeignKeys(ctx)
		if err != nil {
			return false, err
		}
		for _, fk := range decl {
			if strings.EqualFold(fk.Name, name) {
				return true, nil
			}
		}
	}
	if ct, ok := table.(sql.CheckTable); ok {
		checks, err := ct.GetChecks(ctx)
		if err != nil {
			return false, err
		}
		for _, c := range checks {
			if strings.EqualFold(c.Name, name) {
				return true, nil
			}
		}
	}
	return false, nil
}
