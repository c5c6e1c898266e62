package mysqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// ruleViewNotDDL is the id of clearDDLFlagOfViewReads among the analyzer's
// rules (above ruleSetOpRows, clear of the ids other guocedb rules take).
const ruleViewNotDDL analyzer.RuleId = 10_010

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
	switch firstKeyword(ctx.Query()) {
	case "select", "with", "show", "describe", "desc", "explain", "table", "values",
		"insert", "replace", "update", "delete", "do", "set":
		qFlags.Unset(sql.QFlagDDL)
	}
	return n, transform.SameTree, nil
}

// firstKeyword returns the first word of a statement in lower case,
// skipping blanks, opening parentheses and plain comments. It returns ""
// for a statement starting with an executable comment (/*! ... */), whose
// content may be anything.
func firstKeyword(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "/*!"):
			return ""
		case strings.HasPrefix(q, "/*"):
			end := strings.Index(q, "*/")
			if end < 0 {
				return ""
			}
			q = q[end+2:]
		case strings.HasPrefix(q, "#"), strings.HasPrefix(q, "-- "):
			end := strings.IndexByte(q, '\n')
			if end < 0 {
				return ""
			}
			q = q[end+1:]
		default:
			end := strings.IndexFunc(q, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
			})
			if end < 0 {
				end = len(q)
			}
			return strings.ToLower(q[:end])
		}
	}
}
