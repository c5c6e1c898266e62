package mysqlserver

import (
	"context"
	"strings"
	"unicode"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/lockmgr"
)

// statementLock is the row locking of a parsed statement (backend's
// locking.go): a SELECT's locking clause, or the target tables of UPDATE
// and DELETE. wait is the policy the text's clause names (NOWAIT, SKIP
// LOCKED), which the rewrite to go-mysql-server's grammar drops. Locking
// clauses lock every table the statement reads, subqueries included (MySQL
// locks the tables of the clause's query block only; `OF t` is ignored).
func statementLock(stmt ast.Statement, wait backend.LockWait) *backend.StatementLock {
	switch s := stmt.(type) {
	case *ast.Select:
		return clauseLock(s.Lock, wait)
	case *ast.SetOp:
		return clauseLock(s.Lock, wait)
	case *ast.Update:
		return &backend.StatementLock{Mode: lockmgr.Exclusive, Tables: tableNames(nil, s.TableExprs)}
	case *ast.Delete:
		var names []string
		aliases := deleteTargetAliases(map[string]string{}, s.TableExprs)
		for _, t := range s.Targets {
			n := t.Name.String()
			if real, ok := aliases[strings.ToLower(n)]; ok {
				n = real
			}
			names = append(names, n)
		}
		if len(names) == 0 {
			names = tableNames(nil, s.TableExprs)
		}
		return &backend.StatementLock{Mode: lockmgr.Exclusive, Tables: names}
	}
	return nil
}

func clauseLock(lock string, wait backend.LockWait) *backend.StatementLock {
	switch lock {
	case ast.ForUpdateStr:
		return &backend.StatementLock{Mode: lockmgr.Exclusive, Wait: wait}
	case ast.ForUpdateSkipLockedStr:
		return &backend.StatementLock{Mode: lockmgr.Exclusive, Wait: backend.WaitSkipLocked}
	case ast.ShareModeStr:
		return &backend.StatementLock{Mode: lockmgr.Shared, Wait: wait}
	}
	return nil
}

// tableNames appends the names of the tables in exprs. Aliases are not
// names: an UPDATE targets the table behind them.
func tableNames(out []string, exprs ast.TableExprs) []string {
	for _, e := range exprs {
		switch t := e.(type) {
		case *ast.AliasedTableExpr:
			if n, ok := t.Expr.(ast.TableName); ok {
				out = append(out, n.Name.String())
			}
		case *ast.JoinTableExpr:
			out = tableNames(out, ast.TableExprs{t.LeftExpr, t.RightExpr})
		case *ast.ParenTableExpr:
			out = tableNames(out, t.Exprs)
		}
	}
	if len(out) == 0 {
		// Nothing named (a derived table): lock nothing rather than all.
		out = []string{"\x00"}
	}
	return out
}

// deleteTargetAliases maps the lower-case aliases in exprs to their tables'
// names (DELETE x FROM t AS x targets t).
func deleteTargetAliases(out map[string]string, exprs ast.TableExprs) map[string]string {
	for _, e := range exprs {
		switch t := e.(type) {
		case *ast.AliasedTableExpr:
			if n, ok := t.Expr.(ast.TableName); ok && !t.As.IsEmpty() {
				out[strings.ToLower(t.As.String())] = n.Name.String()
			}
		case *ast.JoinTableExpr:
			deleteTargetAliases(out, ast.TableExprs{t.LeftExpr, t.RightExpr})
		case *ast.ParenTableExpr:
			deleteTargetAliases(out, t.Exprs)
		}
	}
	return out
}

// lockingWait returns the wait policy of the text's first locking clause:
// NOWAIT or SKIP LOCKED after FOR UPDATE / FOR SHARE [OF ...].
func lockingWait(q string) backend.LockWait {
	if !containsFold(q, "nowait") && !containsFold(q, "skip") {
		return backend.WaitBlock
	}
	switch t := strings.TrimLeftFunc(q, unicode.IsSpace); {
	case strings.HasPrefix(t, nowaitMarker):
		return backend.WaitNoWait
	case strings.HasPrefix(t, skipLockedMarker):
		return backend.WaitSkipLocked
	}
	toks := lexSQL(q)
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].is("FOR") || !(toks[i+1].is("SHARE") || toks[i+1].is("UPDATE")) {
			continue
		}
		j := i + 2
		if j+1 < len(toks) && toks[j].is("OF") && toks[j+1].name() {
			j = skipTableList(toks, j+1)
		}
		switch {
		case j < len(toks) && toks[j].is("NOWAIT"):
			return backend.WaitNoWait
		case j+1 < len(toks) && toks[j].is("SKIP") && toks[j+1].is("LOCKED"):
			return backend.WaitSkipLocked
		}
	}
	return backend.WaitBlock
}

// noteStatementLock gives the session of ctx the row locking of stmt,
// parsed from query.
func noteStatementLock(ctx context.Context, query string, stmt ast.Statement) {
	sctx, ok := ctx.(*sql.Context)
	if !ok {
		return
	}
	if s, ok := sctx.Session.(*backend.Session); ok {
		s.SetStatementLock(lockOf(query, stmt))
	}
}

func lockOf(query string, stmt ast.Statement) *backend.StatementLock {
	if stmt == nil {
		return nil
	}
	wait := backend.WaitBlock
	if s, ok := stmt.(*ast.Select); ok && s.Lock != "" {
		wait = lockingWait(query)
	} else if s, ok := stmt.(*ast.SetOp); ok && s.Lock != "" {
		wait = lockingWait(query)
	}
	return statementLock(stmt, wait)
}

// The wait policy of a prepared statement whose locking clause
// preparedLockingText rewrote, as a leading comment (the parser keeps
// comments out of the statement).
const (
	nowaitMarker     = "/*guocedb:nowait*/ "
	skipLockedMarker = "/*guocedb:skip-locked*/ "
)

// preparedLockingText rewrites the text of a COM_STMT_PREPARE whose
// locking clause vitess' parser does not know (FOR SHARE, NOWAIT, OF
// tables), which vitess parses itself before any handler sees the
// statement: into the clause it knows (rewriteLockingClauses), with the
// wait policy the rewrite loses kept in front as a marker that
// lockingWait reads. Other text comes back unchanged.
func preparedLockingText(q string) string {
	r := rewriteLockingClauses(q)
	if r == q {
		return q
	}
	switch lockingWait(q) {
	case backend.WaitNoWait:
		return nowaitMarker + r
	case backend.WaitSkipLocked:
		return skipLockedMarker + r
	}
	return r
}
