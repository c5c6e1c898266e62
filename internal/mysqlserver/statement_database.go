package mysqlserver

import (
	"context"
	"strings"

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
func noteStatementDatabase(ctx context.Context, stmt ast.Statement) {
	sctx, ok := ctx.(*sql.Context)
	if !ok || stmt == nil {
		return
	}
	s, ok := sctx.Session.(*backend.Session)
	if !ok {
		return
	}
	s.SetStatementDatabase(statementDatabase(stmt))
}

// statementDatabase returns the database of the first qualified object
// name in stmt, when every table name in it is qualified (or an alias,
// a CTE, a qualified table's own name used as a column qualifier, or a
// trigger's NEW/OLD). It returns "" otherwise, so a statement with an
// unqualified table still fails with "no database selected". The target
// of CREATE/DROP TRIGGER, PROCEDURE and EVENT is enough on its own: their
// bodies resolve names in the object's database.
func statementDatabase(stmt ast.Statement) string {
	if d, ok := stmt.(*ast.DDL); ok {
		switch {
		case d.TriggerSpec != nil:
			return d.TriggerSpec.TrigName.Qualifier.String()
		case d.ProcedureSpec != nil:
			return d.ProcedureSpec.ProcName.Qualifier.String()
		case d.EventSpec != nil:
			return d.EventSpec.EventName.Qualifier.String()
		}
	}
	if c, ok := stmt.(*ast.Call); ok {
		return c.ProcName.Qualifier.String()
	}
	db := ""
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
			}
		}
		return true, nil
	}, stmt)
	for _, name := range bare {
		if !known[name] {
			return ""
		}
	}
	return db
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
		s.SetStatementDatabase(statementDatabase(stmt))
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
