package mysqlserver

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Correction of go-mysql-server: the original table of a column read
// through a table alias.
//
// Upstream: go-mysql-server v0.20.0 sends a column's table alias as both
// its table and its org_table (SELECT name FROM items AS it: table "it",
// org_table "it").
//
// MySQL: table is the alias, org_table the table itself ("items"); C
// clients (MYSQL_FIELD.org_table), JDBC's getTableName and ORMs that map
// result columns back to tables read org_table.
//
// The aliases of a statement are collected where its names are already
// walked once (statementNames, statement_database.go): at parse time for
// text statements and COM_STMT_PREPARE (the parser notes them for the
// connection), from go-mysql-server's prepared-statement cache for
// COM_STMT_EXECUTE. fixFields then replaces an org_table that is one of
// the statement's aliases. Statements of a procedure body were parsed at
// CREATE PROCEDURE: their result sets keep the alias. Delete this when
// go-mysql-server sends the aliased table.

// aliasedTable is the table a table alias stands for.
type aliasedTable struct{ db, table string }

// tableAliases maps the lower-cased aliases of a statement to their
// tables; nil when it has none.
type tableAliases map[string]aliasedTable

// aliasBook holds each connection's aliases of its current statement.
// Safe for concurrent use; each connection writes only its own entry.
type aliasBook struct {
	conns sync.Map // connection id (uint32) -> *atomic.Pointer[tableAliases]
}

// note makes aliases the statement aliases of connection id.
func (b *aliasBook) note(id uint32, aliases tableAliases) {
	if b == nil {
		return
	}
	v, ok := b.conns.Load(id)
	if !ok {
		if aliases == nil {
			return
		}
		v, _ = b.conns.LoadOrStore(id, new(atomic.Pointer[tableAliases]))
	}
	slot := v.(*atomic.Pointer[tableAliases])
	if aliases == nil {
		slot.Store(nil)
		return
	}
	slot.Store(&aliases)
}

// noteParsed notes the aliases of a statement parsed for the session of
// ctx.
func (b *aliasBook) noteParsed(ctx context.Context, aliases tableAliases) {
	if sctx, ok := ctx.(*sql.Context); ok && sctx.Session != nil {
		b.note(sctx.Session.ID(), aliases)
	}
}

// of returns the aliases of connection id's current statement.
func (b *aliasBook) of(id uint32) tableAliases {
	if b == nil {
		return nil
	}
	v, ok := b.conns.Load(id)
	if !ok {
		return nil
	}
	if a := v.(*atomic.Pointer[tableAliases]).Load(); a != nil {
		return *a
	}
	return nil
}

// forget drops connection id's entry when it closes.
func (b *aliasBook) forget(id uint32) {
	if b != nil {
		b.conns.Delete(id)
	}
}

// addAlias records n's alias, if it has one and names a table.
func (a *tableAliases) addAlias(n *ast.AliasedTableExpr) {
	if n.As.IsEmpty() {
		return
	}
	tn, ok := n.Expr.(ast.TableName)
	if !ok {
		return
	}
	if *a == nil {
		*a = make(tableAliases)
	}
	(*a)[strings.ToLower(n.As.String())] = aliasedTable{db: tn.DbQualifier.String(), table: tn.Name.String()}
}

// fixOrgTable gives f the table its alias stands for as org_table. Only
// a field whose org_table is its table (as go-mysql-server sends both) is
// changed, so fields passing again stay as they are.
func (a tableAliases) fixOrgTable(f *querypb.Field) {
	if len(a) == 0 || f.OrgTable == "" || !strings.EqualFold(f.OrgTable, f.Table) {
		return
	}
	t, ok := a[strings.ToLower(f.OrgTable)]
	if !ok || (t.db != "" && f.Database != "" && !strings.EqualFold(t.db, f.Database)) {
		return
	}
	f.OrgTable = t.table
}
