package mysqlserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// Stored functions: CREATE FUNCTION, DROP FUNCTION and SHOW CREATE
// FUNCTION, which vitess' grammar in go-mysql-server v0.20.0 lacks (its
// ast has no node for them), are answered here, in the text protocol,
// before go-mysql-server parses the statement. The definition is kept in
// guocedb's catalog (backend.StoredFunction: persisted, replicated and
// dropped with its database like a procedure); calls are compiled and run
// by stored_function_call.go, and information_schema.ROUTINES lists them
// (stored_function_routines.go).
//
// The header is read with lexSQL; the parameters, characteristics and
// body are checked by vitess' own grammar, as the equivalent CREATE
// PROCEDURE (functionDef.procedureText), so a body is accepted exactly
// when the same body would be in a procedure.

// routineStatement is what a statement handled here asks for.
type routineStatement int

const (
	routineNone routineStatement = iota
	routineCreate
	routineDrop
	routineShowCreate
)

// errRoutinePrepared is MySQL's ER_UNSUPPORTED_PS for routine DDL in the
// prepared statement protocol (MySQL refuses CREATE FUNCTION there too).
var errRoutinePrepared = mysql.NewSQLError(1295, mysql.SSUnknownSQLState,
	"This command is not supported in the prepared statement protocol yet")

// classifyRoutine tells which function statement toks start, if any.
func classifyRoutine(toks []sqlToken) routineStatement {
	if len(toks) < 2 {
		return routineNone
	}
	switch {
	case toks[0].is("CREATE"):
		for _, t := range toks[1:] {
			if t.is("FUNCTION") {
				return routineCreate
			}
			if t.is("PROCEDURE") || t.is("TABLE") || t.is("VIEW") || t.is("TRIGGER") || t.is("EVENT") || t.is("(") {
				return routineNone
			}
		}
	case toks[0].is("DROP") && toks[1].is("FUNCTION"):
		return routineDrop
	case len(toks) > 2 && toks[0].is("SHOW") && toks[1].is("CREATE") && toks[2].is("FUNCTION"):
		return routineShowCreate
	}
	return routineNone
}

// unsupportedStatement returns the error to report for query, which failed
// to parse with err: 1295 for function DDL (reached only by the prepared
// protocol and SQL-level PREPARE: the text protocol answers it first),
// err otherwise.
func unsupportedStatement(query string, err error) error {
	if err != nil && classifyRoutine(lexSQL(versionedCode(query))) != routineNone {
		return errRoutinePrepared
	}
	return err
}

// versionedCode returns q with MySQL's executable comments (`/*!50003
// CREATE*/`, as mysqldump writes routines) opened: their text is code.
// Plain comments, strings and quoted names are left alone.
func versionedCode(q string) string {
	if !strings.Contains(q, "/*!") {
		return q
	}
	var b strings.Builder
	open := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case strings.HasPrefix(q[i:], "/*!"):
			i += 3
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
			b.WriteByte(' ')
			open++
		case open > 0 && strings.HasPrefix(q[i:], "*/"):
			i += 2
			b.WriteByte(' ')
			open--
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				end = len(q) - i - 4
			}
			b.WriteString(q[i : i+end+4])
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(q) {
				if q[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
			j = min(j, len(q))
			b.WriteString(q[i:j])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// isRoutineGate reports whether a statement classified st can be one
// routineQuery answers: its first word (version comments entered) is
// CREATE, DROP or SHOW.
func isRoutineGate(st *sqltext.Statement) bool {
	w := st.Word(0)
	return strings.EqualFold(w, "create") || strings.EqualFold(w, "drop") || strings.EqualFold(w, "show")
}

// routineName is a [db.]name of a routine statement.
type routineName struct{ db, name string }

// unquote returns an identifier token's name.
func unquote(t sqlToken) string {
	if t.quoted && len(t.text) >= 2 {
		q := t.text[:1]
		return strings.ReplaceAll(t.text[1:len(t.text)-1], q+q, q)
	}
	return t.text
}

// readRoutineName reads [db.]name at toks[i], returning the index after it.
func readRoutineName(toks []sqlToken, i int) (routineName, int, bool) {
	if i >= len(toks) || !toks[i].name() {
		return routineName{}, i, false
	}
	n := routineName{name: unquote(toks[i])}
	if i+2 < len(toks) && toks[i+1].text == "." && toks[i+1].end == toks[i+2].start && toks[i+2].name() {
		n = routineName{db: n.name, name: unquote(toks[i+2])}
		i += 2
	}
	return n, i + 1, true
}

// functionDef is a parsed CREATE FUNCTION.
type functionDef struct {
	routineName
	ifNotExists bool
	definer     string // `user`@`host`, empty for the current user
	params      string // the text between the parentheses
	returns     string // the text after RETURNS
	traits      string // the characteristics, as written
	body        string
}

// characteristicWords start a characteristic after RETURNS' type.
var characteristicWords = map[string]bool{
	"DETERMINISTIC": true, "NOT": true, "NO": true, "READS": true, "MODIFIES": true,
	"CONTAINS": true, "SQL": true, "COMMENT": true, "LANGUAGE": true,
}

// parseCreateFunction reads CREATE [DEFINER = user] [AGGREGATE] FUNCTION
// [IF NOT EXISTS] [db.]name (params) RETURNS type [characteristics] body.
// Errors are syntax errors (1064) naming where reading stopped.
func parseCreateFunction(q string) (*functionDef, error) {
	toks := lexSQL(q)
	syntax := func(i int) error {
		near := ""
		if i < len(toks) {
			near = q[toks[i].start:min(len(q), toks[i].start+40)]
		}
		return mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError,
			"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s'", near)
	}
	f := &functionDef{}
	i := 1
	if i < len(toks) && toks[i].is("DEFINER") {
		i++
		if i < len(toks) && toks[i].text == "=" {
			i++
		}
		if i >= len(toks) {
			return nil, syntax(i)
		}
		if toks[i].is("CURRENT_USER") {
			i++
			if i+1 < len(toks) && toks[i].text == "(" && toks[i+1].text == ")" {
				i += 2
			}
		} else {
			user := unquote(toks[i])
			i++
			host := "%"
			if i+1 < len(toks) && toks[i].text == "@" {
				host = unquote(toks[i+1])
				i += 2
			}
			f.definer = quoteIdent(user) + "@" + quoteIdent(host)
		}
	}
	if i < len(toks) && toks[i].is("AGGREGATE") {
		return nil, mysql.NewSQLError(mysql.ERNotSupportedYet, mysql.SSClientError, "This version of guocedb doesn't yet support 'AGGREGATE stored functions'")
	}
	if i >= len(toks) || !toks[i].is("FUNCTION") {
		return nil, syntax(i)
	}
	i++
	if i+2 < len(toks) && toks[i].is("IF") && toks[i+1].is("NOT") && toks[i+2].is("EXISTS") {
		f.ifNotExists = true
		i += 3
	}
	name, i, ok := readRoutineName(toks, i)
	if !ok || i >= len(toks) || toks[i].text != "(" {
		return nil, syntax(i)
	}
	f.routineName = name
	open, depth := i, 0
	for ; i < len(toks); i++ {
		if toks[i].text == "(" {
			depth++
		} else if toks[i].text == ")" {
			if depth--; depth == 0 {
				break
			}
		}
	}
	if i >= len(toks) {
		return nil, syntax(open)
	}
	f.params = strings.TrimSpace(q[toks[open].end:toks[i].start])
	// A function's parameters have no direction (vitess reads one as a
	// procedure's would).
	paramStart, pd := true, 0
	for j := open + 1; j < i; j++ {
		switch t := toks[j]; {
		case paramStart && (t.is("IN") || t.is("OUT") || t.is("INOUT")):
			return nil, syntax(j)
		case t.text == "," && pd == 0:
			paramStart = true
		default:
			paramStart = false
			if t.text == "(" {
				pd++
			} else if t.text == ")" {
				pd--
			}
		}
	}
	i++
	if i >= len(toks) || !toks[i].is("RETURNS") {
		return nil, syntax(i)
	}
	i++
	start := i
	for i < len(toks) && !characteristicWords[strings.ToUpper(toks[i].text)] && !toks[i].is("RETURN") && !toks[i].is("BEGIN") && !isLabel(toks, i) {
		i++
	}
	if i == start || i >= len(toks) {
		return nil, syntax(i)
	}
	f.returns = strings.TrimSpace(q[toks[start].start:toks[i-1].end])
	start = i
	for i < len(toks) && !toks[i].is("RETURN") && !toks[i].is("BEGIN") && !isLabel(toks, i) {
		i++
	}
	if i >= len(toks) {
		return nil, syntax(start)
	}
	if i > start {
		f.traits = strings.TrimSpace(q[toks[start].start:toks[i-1].end])
	}
	f.body = strings.TrimRight(strings.TrimSpace(q[toks[i].start:]), ";")
	return f, nil
}

// isLabel reports whether toks[i] is a block label (`name:`).
func isLabel(toks []sqlToken, i int) bool {
	return i+1 < len(toks) && toks[i+1].text == ":" && toks[i].name()
}

// createStatement is the definition as SHOW CREATE FUNCTION shows it, in
// MySQL's layout, with the definer.
func (f *functionDef) createStatement(definer string) string {
	var b strings.Builder
	b.WriteString("CREATE DEFINER=" + definer + " FUNCTION " + quoteIdent(f.name) + "(" + f.params + ") RETURNS " + f.returns)
	if f.traits != "" {
		b.WriteString("\n    " + f.traits)
	}
	b.WriteString("\n" + f.body)
	return b.String()
}

// statementEnd returns where the first statement of a multi-statement
// query ends and the rest starts: for CREATE FUNCTION with a BEGIN ...
// END body, after the END closing it; otherwise at the first ";" outside
// strings and comments.
func statementEnd(q string, toks []sqlToken) (first, rest string) {
	depth, cases := 0, 0
	for i, t := range toks {
		switch {
		case t.is("BEGIN"):
			depth++
		case t.is("CASE"):
			if i == 0 || !toks[i-1].is("END") {
				cases++
			}
		case t.is("END"):
			next := ""
			if i+1 < len(toks) {
				next = strings.ToUpper(toks[i+1].text)
			}
			switch {
			case next == "IF" || next == "LOOP" || next == "WHILE" || next == "REPEAT":
			case cases > 0:
				cases--
			default:
				depth--
			}
		case t.text == ";" && depth <= 0:
			return q[:t.start], strings.TrimSpace(q[t.end:])
		}
	}
	return q, ""
}

// functionDB is a database that keeps stored functions (backend.Database).
type functionDB interface {
	sql.Database
	GetStoredFunction(ctx *sql.Context, name string) (backend.StoredFunction, bool, error)
	GetStoredFunctions(ctx *sql.Context) ([]backend.StoredFunction, error)
	SaveStoredFunction(ctx *sql.Context, f backend.StoredFunction) error
	DropStoredFunction(ctx *sql.Context, name string) (bool, error)
}

// routineQuery answers the CREATE FUNCTION, DROP FUNCTION or SHOW CREATE
// FUNCTION first of query and returns the rest of a multi-statement
// query; ok is false for any other statement.
func (h *handler) routineQuery(ctx context.Context, c *mysql.Conn, query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	if !isRoutineGate(st) || !containsFold(query, "function") {
		return "", false, nil
	}
	code := versionedCode(query)
	toks := lexSQL(code)
	kind := classifyRoutine(toks)
	if kind == routineNone || h.functions == nil {
		return "", false, nil
	}
	first, rest := code, ""
	if multi {
		first, rest = statementEnd(code, toks)
	}
	s := connSession(c)
	if s == nil {
		return "", false, nil
	}
	sctx := sql.NewContext(ctx, sql.WithSession(s))
	var err error
	switch kind {
	case routineCreate:
		err = h.functions.create(sctx, first)
	case routineDrop:
		err = h.functions.drop(sctx, first)
	case routineShowCreate:
		var res *sqltypes.Result
		if res, err = h.functions.showCreate(sctx, first); err == nil {
			return rest, true, callback(res, rest != "")
		}
	}
	if err != nil {
		return rest, true, err
	}
	return rest, true, callback(&sqltypes.Result{}, rest != "")
}

// functionDatabase returns the database a routine statement names (or
// the session's), as a database keeping stored functions.
func (fs *storedFunctions) functionDatabase(ctx *sql.Context, name routineName) (functionDB, error) {
	db := name.db
	if db == "" {
		db = ctx.GetCurrentDatabase()
	}
	if db == "" {
		return nil, mysql.NewSQLError(mysql.ERNoDb, mysql.SSNoDB, "No database selected")
	}
	d, err := fs.provider.Database(ctx, db)
	if err != nil {
		return nil, mysql.NewSQLError(mysql.ERBadDb, mysql.SSClientError, "Unknown database '%s'", db)
	}
	fd, ok := d.(functionDB)
	if !ok {
		return nil, mysql.NewSQLError(mysql.ERNotSupportedYet, mysql.SSClientError, "stored functions in database '%s' are not supported", db)
	}
	return fd, nil
}

// allowed reports whether the session's user holds priv on db (or the
// routine, for EXECUTE and ALTER ROUTINE), as MySQL checks CREATE ROUTINE,
// ALTER ROUTINE and EXECUTE.
func (fs *storedFunctions) allowed(ctx *sql.Context, db, routine string, priv sql.PrivilegeType) bool {
	if fs.privileges == nil || !fs.privileges.Enabled() {
		return true
	}
	subject := sql.PrivilegeCheckSubject{Database: db}
	if routine != "" {
		subject.Routine = routine
	}
	return fs.privileges.UserHasPrivileges(ctx, sql.NewPrivilegedOperation(subject, priv))
}

// denied is MySQL's 1370 (routine) or 1044 (database) for a missing
// privilege.
func denied(ctx *sql.Context, what, db, routine string) error {
	user, host := ctx.Client().User, ctx.Client().Address
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if routine == "" {
		return mysql.NewSQLError(mysql.ERDBAccessDenied, "42000", "Access denied for user '%s'@'%s' to database '%s'", user, host, db)
	}
	return mysql.NewSQLError(1370, "42000", "%s command denied to user '%s'@'%s' for routine '%s.%s'", what, user, host, db, routine)
}

// create runs CREATE FUNCTION.
func (fs *storedFunctions) create(ctx *sql.Context, query string) error {
	f, err := parseCreateFunction(query)
	if err != nil {
		return err
	}
	d, err := fs.functionDatabase(ctx, f.routineName)
	if err != nil {
		return err
	}
	if !fs.allowed(ctx, d.Name(), "", sql.PrivilegeType_CreateRoutine) {
		return denied(ctx, "CREATE ROUTINE", d.Name(), "")
	}
	f.db = d.Name()
	mode := loadSQLMode(ctx)
	if _, err := compileFunction(f, mode.ParserOptions()); err != nil {
		return err
	}
	definer := f.definer
	if definer == "" {
		client := ctx.Client()
		host := client.Address
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		if host == "127.0.0.1" || host == "::1" || host == "" {
			host = "localhost"
		}
		definer = quoteIdent(client.User) + "@" + quoteIdent(host)
	}
	now := time.Now().UTC()
	err = d.SaveStoredFunction(ctx, backend.StoredFunction{
		Name:            f.name,
		CreateStatement: f.createStatement(definer),
		SQLMode:         mode.String(),
		Definer:         definer,
		CreatedAt:       now,
		ModifiedAt:      now,
	})
	if errors.Is(err, backend.ErrFunctionExists) {
		if f.ifNotExists {
			ctx.Session.Warn(&sql.Warning{Level: "Note", Code: 1304, Message: fmt.Sprintf("FUNCTION %s already exists", f.name)})
			return nil
		}
		return mysql.NewSQLError(1304, "42000", "FUNCTION %s already exists", f.name)
	}
	return err
}

// drop runs DROP FUNCTION [IF EXISTS] [db.]name.
func (fs *storedFunctions) drop(ctx *sql.Context, query string) error {
	toks := lexSQL(query)
	i, ifExists := 2, false
	if i+1 < len(toks) && toks[i].is("IF") && toks[i+1].is("EXISTS") {
		ifExists, i = true, i+2
	}
	name, i, ok := readRoutineName(toks, i)
	if !ok || i < len(toks) {
		return mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s'", strings.TrimSpace(query))
	}
	d, err := fs.functionDatabase(ctx, name)
	if err != nil {
		return err
	}
	if !fs.allowed(ctx, d.Name(), name.name, sql.PrivilegeType_AlterRoutine) {
		return denied(ctx, "alter routine", d.Name(), name.name)
	}
	existed, err := d.DropStoredFunction(ctx, name.name)
	if err != nil {
		return err
	}
	if !existed {
		if ifExists {
			ctx.Session.Warn(&sql.Warning{Level: "Note", Code: 1305, Message: fmt.Sprintf("FUNCTION %s.%s does not exist", d.Name(), name.name)})
			return nil
		}
		return errNoFunction(d.Name(), name.name)
	}
	return nil
}

// errNoFunction is MySQL's 1305 for a function that does not exist.
func errNoFunction(db, name string) error {
	return mysql.NewSQLError(mysql.ERSPDoesNotExist, "42000", "FUNCTION %s.%s does not exist", db, name)
}

// showCreate answers SHOW CREATE FUNCTION [db.]name.
func (fs *storedFunctions) showCreate(ctx *sql.Context, query string) (*sqltypes.Result, error) {
	toks := lexSQL(query)
	name, i, ok := readRoutineName(toks, 3)
	if !ok || i < len(toks) {
		return nil, mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s'", strings.TrimSpace(query))
	}
	d, err := fs.functionDatabase(ctx, name)
	if err != nil {
		return nil, err
	}
	f, ok, err := d.GetStoredFunction(ctx, name.name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoFunction(d.Name(), name.name)
	}
	charset, _ := ctx.GetSessionVariable(ctx, "character_set_client")
	collation, _ := ctx.GetSessionVariable(ctx, "collation_connection")
	dbCollation := "utf8mb4_0900_bin"
	if cd, ok := sql.Database(d).(sql.CollatedDatabase); ok {
		dbCollation = cd.GetCollation(ctx).Name()
	}
	text := func(name string, width uint32) *querypb.Field {
		return &querypb.Field{Name: name, Type: querypb.Type_VARCHAR, Charset: uint32(sql.CharacterSet_utf8mb4), ColumnLength: width}
	}
	return &sqltypes.Result{
		Fields: []*querypb.Field{text("Function", 256), text("sql_mode", 4096), text("Create Function", 4096),
			text("character_set_client", 128), text("collation_connection", 128), text("Database Collation", 128)},
		Rows: [][]sqltypes.Value{{sqltypes.NewVarChar(f.Name), sqltypes.NewVarChar(f.SQLMode), sqltypes.NewVarChar(f.CreateStatement),
			sqltypes.NewVarChar(fmt.Sprint(charset)), sqltypes.NewVarChar(fmt.Sprint(collation)), sqltypes.NewVarChar(dbCollation)}},
	}, nil
}
