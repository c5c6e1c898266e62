package mysqlserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// Correction of go-mysql-server: GET DIAGNOSTICS outside stored programs.
//
// Upstream: vitess' grammar has no GET DIAGNOSTICS: a syntax error (1064)
// wherever it is written.
//
// MySQL: GET [CURRENT] DIAGNOSTICS reads the diagnostics area of the
// previous statement into variables without clearing it: NUMBER and
// ROW_COUNT, or the items of CONDITION n (MYSQL_ERRNO, RETURNED_SQLSTATE,
// MESSAGE_TEXT, CLASS_ORIGIN, ...). C programs and admin scripts read a
// failed statement's error code this way.
//
// The handler answers it in the text protocol at top level, where its
// targets are user variables, from the diagnostics area guocedb keeps
// (diagnostics.go: the failed statement's error, or the warnings). GET
// STACKED DIAGNOSTICS has no handler to belong to there: 1887, as in
// MySQL. Inside procedure bodies and prepared it stays a syntax error.
// Delete this when the grammar has it.

// erGetStackedDaWithoutActiveHandler is MySQL's error for GET STACKED
// DIAGNOSTICS outside a handler.
const erGetStackedDaWithoutActiveHandler = 1887

// getDiagnostics is one parsed GET DIAGNOSTICS statement.
type getDiagnostics struct {
	stacked   bool
	condition int // 0: statement information
	// items map each target user variable (lower-cased, without @) to the
	// item it receives, in order.
	targets, items []string
}

// parseGetDiagnostics parses stmt (one statement, no trailing
// semicolon); ok is false when it is not a GET DIAGNOSTICS, err set when
// it is one with a syntax error.
func parseGetDiagnostics(stmt string) (g getDiagnostics, ok bool, err error) {
	toks := diagnosticsTokens(stmt)
	if len(toks) < 2 || !strings.EqualFold(toks[0], "get") {
		return g, false, nil
	}
	toks = toks[1:]
	switch strings.ToLower(toks[0]) {
	case "current":
		toks = toks[1:]
	case "stacked":
		g.stacked, toks = true, toks[1:]
	}
	if len(toks) == 0 || !strings.EqualFold(toks[0], "diagnostics") {
		return g, false, nil
	}
	toks = toks[1:]
	syntax := mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "You have an error in your SQL syntax near GET DIAGNOSTICS")
	if len(toks) > 1 && strings.EqualFold(toks[0], "condition") {
		n, err := strconv.Atoi(toks[1])
		if err != nil {
			return g, true, syntax
		}
		g.condition, toks = n, toks[2:]
	}
	for {
		if len(toks) < 3 || !strings.HasPrefix(toks[0], "@") || toks[1] != "=" {
			return g, true, syntax
		}
		item := strings.ToUpper(toks[2])
		if !validDiagnosticsItem(item, g.condition > 0) {
			return g, true, syntax
		}
		g.targets = append(g.targets, strings.ToLower(strings.Trim(toks[0][1:], "`")))
		g.items = append(g.items, item)
		toks = toks[3:]
		if len(toks) == 0 {
			return g, true, nil
		}
		if toks[0] != "," {
			return g, true, syntax
		}
		toks = toks[1:]
	}
}

// validDiagnosticsItem reports whether item is a statement information
// item (condition false) or a condition information item.
func validDiagnosticsItem(item string, condition bool) bool {
	if !condition {
		return item == "NUMBER" || item == "ROW_COUNT"
	}
	switch item {
	case "CLASS_ORIGIN", "SUBCLASS_ORIGIN", "RETURNED_SQLSTATE", "MESSAGE_TEXT", "MYSQL_ERRNO",
		"CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "CATALOG_NAME", "SCHEMA_NAME",
		"TABLE_NAME", "COLUMN_NAME", "CURSOR_NAME":
		return true
	}
	return false
}

// diagnosticsTokens splits a GET DIAGNOSTICS statement into words,
// numbers, @variables (back-quoted names kept whole), "=" and ",".
func diagnosticsTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '=' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '@' && i+1 < len(s) && s[i+1] == '`':
			end := strings.IndexByte(s[i+2:], '`')
			if end < 0 {
				return append(toks, s[i:])
			}
			toks = append(toks, s[i:i+3+end])
			i += 3 + end
		default:
			j := i + 1
			for j < len(s) && (isIdentByte(s[j]) || s[j] == '$') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

// getDiagnosticsQuery answers the GET DIAGNOSTICS statement first of
// query and returns the rest of a multi-statement query; ok is false
// when query does not start with one.
func (h *handler) getDiagnosticsQuery(ctx context.Context, c *mysql.Conn, query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	if !st.Is("get") {
		return "", false, nil
	}
	first, rest := query, ""
	if multi {
		var err error
		if first, rest, err = ast.SplitStatement(query); err != nil {
			return "", false, nil
		}
		rest = strings.TrimSpace(rest)
	}
	g, ok, err := parseGetDiagnostics(strings.TrimRight(strings.TrimSpace(first), ";"))
	if !ok {
		return "", false, nil
	}
	s := connSession(c)
	if s == nil {
		return "", false, nil
	}
	if err == nil {
		err = g.run(sql.NewContext(ctx, sql.WithSession(s)), s)
	}
	if err != nil {
		return rest, true, err
	}
	return rest, true, callback(&sqltypes.Result{}, rest != "")
}

// run sets g's targets from the diagnostics area of s.
func (g getDiagnostics) run(ctx *sql.Context, s sql.Session) error {
	if g.stacked {
		return mysql.NewSQLError(erGetStackedDaWithoutActiveHandler, "0Z002", "GET STACKED DIAGNOSTICS when handler not active")
	}
	conds := s.Warnings()
	var w *sql.Warning
	if g.condition != 0 {
		if g.condition < 1 || g.condition > len(conds) {
			// As MariaDB, and MySQL (which adds a warning): the targets
			// keep their values.
			return nil
		}
		w = conds[g.condition-1]
	}
	for i, item := range g.items {
		var v any
		var typ sql.Type = types.LongText
		switch item {
		case "NUMBER":
			v, typ = int64(len(conds)), types.Int64
		case "ROW_COUNT":
			v, typ = s.GetLastQueryInfoInt(sql.RowCount), types.Int64
		case "MYSQL_ERRNO":
			v, typ = int64(w.Code), types.Int64
		case "MESSAGE_TEXT":
			v = w.Message
		case "RETURNED_SQLSTATE":
			v = conditionState(w)
		case "CLASS_ORIGIN", "SUBCLASS_ORIGIN":
			v = "MySQL"
			if item == "CLASS_ORIGIN" && standardClass(conditionState(w)) {
				v = "ISO 9075"
			}
		default:
			v = ""
		}
		if err := s.SetUserVariable(ctx, g.targets[i], v, typ); err != nil {
			return fmt.Errorf("GET DIAGNOSTICS into @%s: %w", g.targets[i], err)
		}
	}
	return nil
}

// conditionState is the SQLSTATE of a condition of the diagnostics area.
func conditionState(w *sql.Warning) string {
	if st, ok := sqlStates[uint16(w.Code)]; ok {
		return st
	}
	if st, ok := warningStates[w.Code]; ok {
		return st
	}
	if w.Level == "Error" {
		return mysql.SSUnknownSQLState
	}
	return "01000"
}

// warningStates are the SQLSTATEs of warnings go-mysql-server raises
// (data exceptions: class 22).
var warningStates = map[int]string{
	1264: "22003", // out of range
	1292: "22007", // incorrect datetime value
	1365: "22012", // division by 0
}

// standardClass reports whether an SQLSTATE's class is one the SQL
// standard defines (CLASS_ORIGIN 'ISO 9075'): classes starting with 0-4
// or A-H.
func standardClass(state string) bool {
	return state != "" && (state[0] >= '0' && state[0] <= '4' || state[0] >= 'A' && state[0] <= 'H')
}
