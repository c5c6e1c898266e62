package mysqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// copyLikeIndexKinds completes the indexes of `CREATE TABLE new LIKE old`:
// go-mysql-server v0.20.0 copies every index of old as an ordinary one,
// without prefix lengths and without FULLTEXT, so a table with `KEY (c(20))`
// on a TEXT column or a FULLTEXT index could not be copied at all ("blob/
// text column used in key specification without a key length"), and one
// with a prefix on a VARCHAR got a key on the whole value. The plan does
// not name old, so the statement is parsed again: only for a CREATE TABLE
// whose text mentions LIKE.
func copyLikeIndexKinds(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	ct, ok := n.(*plan.CreateTable)
	if !ok || len(ct.Indexes()) == 0 || !containsFold(ctx.Query(), "like") {
		return n, transform.SameTree, nil
	}
	stmt, err := ast.ParseWithOptions(ctx, ctx.Query(), loadSQLMode(ctx).ParserOptions())
	ddl, ok := stmt.(*ast.DDL)
	if err != nil || !ok || ddl.OptLike == nil || len(ddl.OptLike.LikeTables) != 1 {
		return n, transform.SameTree, nil
	}
	from := ddl.OptLike.LikeTables[0]
	db := from.DbQualifier.String()
	if db == "" {
		db = ctx.GetCurrentDatabase()
	}
	old, _, err := a.Catalog.Table(ctx, db, from.Name.String())
	if err != nil {
		return n, transform.SameTree, nil // go-mysql-server reported it already
	}
	it, ok := old.(sql.IndexAddressable)
	if !ok {
		return n, transform.SameTree, nil
	}
	idxs, err := it.GetIndexes(ctx)
	if err != nil {
		return nil, transform.SameTree, err
	}
	defs := make(sql.IndexDefs, len(ct.Indexes()))
	changed := false
	for i, d := range ct.Indexes() {
		defs[i] = d
		for _, idx := range idxs {
			if !strings.EqualFold(idx.ID(), d.Name) {
				continue
			}
			if c, ok := withIndexKind(d, idx); ok {
				defs[i], changed = c, true
			}
		}
	}
	if !changed {
		return n, transform.SameTree, nil
	}
	out, err := ct.WithIndexDefs(defs)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return out, transform.NewTree, nil
}

// withIndexKind is d with the prefix lengths and FULLTEXT kind of idx, the
// index it was copied from; ok is false when d lacks nothing.
func withIndexKind(d *sql.IndexDef, idx sql.Index) (*sql.IndexDef, bool) {
	prefixes := idx.PrefixLengths()
	hasPrefix := false
	for _, p := range prefixes {
		hasPrefix = hasPrefix || p > 0
	}
	if !hasPrefix && !idx.IsFullText() {
		return d, false
	}
	c := *d
	c.Columns = append([]sql.IndexColumn(nil), d.Columns...)
	for i := range c.Columns {
		if i < len(prefixes) {
			c.Columns[i].Length = int64(prefixes[i])
		}
	}
	if idx.IsFullText() {
		c.Constraint = sql.IndexConstraint_Fulltext
	}
	return &c, true
}
