package mysqlserver

import (
	"context"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/backend"
)

// Qualified names without a current database (MySQL resolves db.t the
// same with or without USE): go-mysql-server reads the session's current
// database in many places where the statement names its own, so without
// one views, ANALYZE, RENAME, SHOW CREATE VIEW and DELETE without WHERE
// failed. The session answers the statement's database for them
// (backend/statement_database.go); this file finds it in the AST, once
// per statement: at parse time for text statements and PREPARE, from
// go-mysql-server's prepared-statement cache for COM_STMT_EXECUTE.

// noteStatementDatabase gives the session of ctx the database stmt
// qualifies its names with, when the session has none.
// The statement's table aliases go to aliases (table_aliases.go).
func noteStatementDatabase(ctx context.Context, stmt ast.Statement, aliases *aliasBook) {
	sctx, ok := ctx.(*sql.Context)
	if !ok || stmt == nil {
		return
	}
	db, as := statementNames(stmt)
	aliases.noteParsed(ctx, as)
	s, ok := sctx.Session.(*backend.Session)
	if !ok {
		return
	}
	s.SetStatementDatabase(db)
}

// statementDatabase returns the database of the first qualified object
// name in stmt, when every table name in it is qualified (or an alias,
// a CTE, a qualified table's own name used as a column qualifier, or a
// trigger's NEW/OLD). It returns "" otherwise, so a statement with an
// unqualified table still fails with "no database selected". The target
// of CREATE/DROP TRIGGER, PROCEDURE and EVENT is enough on its own: their
// bodies resolve names in the object's database.
func statementDatabase(stmt ast.Statement) string {
	db, _ := statementNames(stmt)
	return db
}

// statementNames returns statementDatabase's answer and the statement's
// table aliases, from one walk of stmt.
func statementNames(stmt ast.Statement) (string, tableAliases) {
	if d, ok := stmt.(*ast.DDL); ok {
		switch {
		case d.TriggerSpec != nil:
			return d.TriggerSpec.TrigName.Qualifier.String(), nil
		case d.ProcedureSpec != nil:
			return d.ProcedureSpec.ProcName.Qualifier.String(), nil
		case d.EventSpec != nil:
			return d.EventSpec.EventName.Qualifier.String(), nil
		}
	}
	if c, ok := stmt.(*ast.Call); ok {
		return c.ProcName.Qualifier.String(), nil
	}
	db := ""
	var aliases tableAliases
	known := map[string]bool{"new": true, "old": true}
	var bare []string
	_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
		switch n := n.(type) {
		case ast.TableName:
			name := strings.ToLower(n.Name.String())
			switch {
			case name == "":
			case n.DbQualifier.String() != "":
				if db == "" {
					db = n.DbQualifier.String()
				}
				known[name] = true
			default:
				bare = append(bare, name)
			}
		case *ast.AliasedTableExpr:
			if !n.As.IsEmpty() {
				known[strings.ToLower(n.As.String())] = true
				aliases.addAlias(n)
			}
		}
		return true, nil
	}, stmt)
	for _, name := range bare {
		if !known[name] {
			return "", aliases
		}
	}
	return db, aliases
}

// preparedNames memoizes statementNames for the syntax trees of prepared
// statements, which go-mysql-server keeps while the statement lives, and
// of cached text statements: a tree is walked at its first execution,
// not at every one.
var preparedNames = namesMemo{m: make(map[ast.Statement]memoNames)}

type namesMemo struct {
	mu sync.Mutex
	m  map[ast.Statement]memoNames
}

type memoNames struct {
	db      string
	aliases tableAliases
}

// maxMemoNames bounds the memo (it keeps the trees it has seen alive);
// when full it starts again.
const maxMemoNames = 4096

func (nm *namesMemo) of(stmt ast.Statement) (string, tableAliases) {
	nm.mu.Lock()
	n, ok := nm.m[stmt]
	nm.mu.Unlock()
	if ok {
		return n.db, n.aliases
	}
	db, aliases := statementNames(stmt)
	nm.mu.Lock()
	if len(nm.m) >= maxMemoNames {
		clear(nm.m)
	}
	nm.m[stmt] = memoNames{db: db, aliases: aliases}
	nm.mu.Unlock()
	return db, aliases
}

// noteExecuteDatabase gives c's session the database of the prepared
// statement it executes: COM_STMT_EXECUTE binds go-mysql-server's cached
// AST and parses nothing.
func (h *handler) noteExecuteDatabase(c *mysql.Conn, prepare *mysql.PrepareData) {
	s := connSession(c)
	if s == nil || h.preparedStmt == nil {
		return
	}
	if stmt, ok := h.preparedStmt(c.ConnectionID, prepare.PrepareStmt); ok {
		db, aliases := preparedNames.of(stmt)
		s.SetStatementDatabase(db)
		h.aliases.note(c.ConnectionID, aliases)
		s.SetStatementLock(lockOf(prepare.PrepareStmt, stmt))
	}
}

// resetStatementDatabase ends the statement's database of c's session
// with the command, even one go-mysql-server refused before beginning it.
func resetStatementDatabase(c *mysql.Conn) {
	if s := connSession(c); s != nil {
		s.ResetStatementDatabase()
	}
}
