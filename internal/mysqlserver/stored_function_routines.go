package mysqlserver

import (
	"io"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// functionRoutines is information_schema.ROUTINES with a row per stored
// function after go-mysql-server's rows of procedures (its table has no
// functions: "TODO: need to add FUNCTIONS routine_type"). SHOW FUNCTION
// STATUS is a query of this table, so it lists them too, and
// mysqldump/mariadb-dump --routines finds them there.
type functionRoutines struct {
	sql.Table
	fs *storedFunctions
}

var _ sql.CatalogTable = functionRoutines{}

// AssignCatalog implements sql.CatalogTable.
func (r functionRoutines) AssignCatalog(cat sql.Catalog) sql.Table {
	if ct, ok := r.Table.(sql.CatalogTable); ok {
		return functionRoutines{Table: ct.AssignCatalog(cat), fs: r.fs}
	}
	return r
}

// AssignProcedures implements analyzer.RoutineTable.
func (r functionRoutines) AssignProcedures(p map[string][]*plan.Procedure) sql.Table {
	if rt, ok := r.Table.(interface {
		AssignProcedures(map[string][]*plan.Procedure) sql.Table
	}); ok {
		return functionRoutines{Table: rt.AssignProcedures(p), fs: r.fs}
	}
	return r
}

// PartitionRows implements sql.Table: the procedures' rows, then the
// functions' of every database the user holds a routine privilege on.
func (r functionRoutines) PartitionRows(ctx *sql.Context, part sql.Partition) (sql.RowIter, error) {
	iter, err := r.Table.PartitionRows(ctx, part)
	if err != nil {
		return nil, err
	}
	var rows []sql.Row
	for {
		row, err := iter.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = iter.Close(ctx)
			return nil, err
		}
		rows = append(rows, row)
	}
	if err := iter.Close(ctx); err != nil {
		return nil, err
	}
	fnRows, err := r.fs.routineRows(ctx)
	if err != nil {
		return nil, err
	}
	return sql.RowsToRowIter(append(rows, fnRows...)...), nil
}

// routineRows are the ROUTINES rows of the stored functions.
func (fs *storedFunctions) routineRows(ctx *sql.Context) ([]sql.Row, error) {
	if fs == nil {
		return nil, nil
	}
	charset, _ := ctx.GetSessionVariable(ctx, "character_set_client")
	collation, _ := ctx.GetSessionVariable(ctx, "collation_connection")
	var rows []sql.Row
	for _, d := range fs.provider.AllDatabases(ctx) {
		fd, ok := d.(functionDB)
		if !ok || !fs.routinesVisible(ctx, d.Name()) {
			continue
		}
		defs, err := fd.GetStoredFunctions(ctx)
		if err != nil {
			return nil, err
		}
		dbCollation := sql.Collation_Default.Name()
		if cd, ok := d.(sql.CollatedDatabase); ok {
			dbCollation = cd.GetCollation(ctx).Name()
		}
		for _, def := range defs {
			f, err := parseCreateFunction(def.CreateStatement)
			if err != nil {
				continue
			}
			f.db = d.Name()
			cf, err := compileFunction(f, sql.NewSqlModeFromString(def.SQLMode).ParserOptions())
			if err != nil {
				continue
			}
			deterministic, access, security, comment := "NO", "CONTAINS SQL", "DEFINER", ""
			for _, ch := range cf.traits {
				switch ch.Type {
				case ast.CharacteristicValue_Deterministic:
					deterministic = "YES"
				case ast.CharacteristicValue_NotDeterministic:
					deterministic = "NO"
				case ast.CharacteristicValue_ContainsSql, ast.CharacteristicValue_NoSql,
					ast.CharacteristicValue_ReadsSqlData, ast.CharacteristicValue_ModifiesSqlData:
					access = strings.ToUpper(string(ch.Type))
				case ast.CharacteristicValue_SqlSecurityInvoker:
					security = "INVOKER"
				case ast.CharacteristicValue_Comment:
					comment = ch.Comment
				}
			}
			dtd := strings.ToLower(cf.ret.String())
			dataType, _, _ := strings.Cut(dtd, "(")
			rows = append(rows, sql.Row{
				def.Name, "def", d.Name(), def.Name, "FUNCTION",
				dataType, nil, nil, nil, nil, nil, nil, nil, dtd,
				"SQL", f.body, nil, "SQL", "SQL", deterministic, access, nil, security,
				def.CreatedAt.UTC(), def.ModifiedAt.UTC(), def.SQLMode, comment,
				strings.ReplaceAll(def.Definer, "`", ""),
				charset, collation, dbCollation,
			})
		}
	}
	return rows, nil
}

// routinesVisible reports whether the user may see db's routines: with
// any routine privilege on it, as go-mysql-server decides for procedures.
func (fs *storedFunctions) routinesVisible(ctx *sql.Context, db string) bool {
	if fs.privileges == nil || !fs.privileges.Enabled() {
		return true
	}
	ps := fs.privileges.UserActivePrivilegeSet(ctx)
	for _, p := range []sql.PrivilegeType{sql.PrivilegeType_CreateRoutine, sql.PrivilegeType_AlterRoutine, sql.PrivilegeType_Execute} {
		if ps.Has(p) || ps.Database(db).Has(p) {
			return true
		}
	}
	return false
}
