package mysqlserver

import (
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// EXISTS in the WHERE of UPDATE and DELETE. go-mysql-server v0.20.0's plan
// builder marks a statement that contains a subquery, and the analyzer
// runs an UPDATE or DELETE of one table without one through a short rule
// list that does not prepare subqueries. It marks `x IN (SELECT ...)` and
// scalar subqueries but forgets `[NOT] EXISTS (SELECT ...)`, so such a
// statement failed with 1105 "attempted to evaluate uninitialized
// subquery". GORM's many-to-many Replace, Clear and Delete send exactly
// that (`DELETE FROM user_speaks WHERE EXISTS (SELECT 1 FROM users WHERE
// users.id = user_speaks.user_id)`).
//
// The parser hands the plan builder `(SELECT EXISTS (SELECT ...))`
// instead: the same value, as a scalar subquery it does mark.

// withMarkedExists rewrites the EXISTS of an UPDATE's or DELETE's WHERE.
func withMarkedExists(stmt ast.Statement) ast.Statement {
	var where *ast.Where
	switch s := stmt.(type) {
	case *ast.Delete:
		where = s.Where
	case *ast.Update:
		where = s.Where
	}
	if where == nil || where.Expr == nil {
		return stmt
	}
	var exists []*ast.ExistsExpr
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *ast.ExistsExpr:
			exists = append(exists, n)
			return false, nil
		case *ast.Subquery:
			return false, nil // a subquery's own WHERE is a SELECT's
		}
		return true, nil
	}, where.Expr)
	for _, e := range exists {
		scalar := &ast.Subquery{Select: &ast.Select{SelectExprs: ast.SelectExprs{&ast.AliasedExpr{Expr: e}}}}
		where.Expr = ast.ReplaceExpr(where.Expr, e, scalar)
	}
	return stmt
}
