package mysqlserver

import (
	"regexp"
	"strconv"

	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/metrics"
)

// killStmt matches KILL [QUERY | CONNECTION] id.
var killStmt = regexp.MustCompile(`(?is)^\s*KILL\s+(?:QUERY\s+|CONNECTION\s+)?(\d+)\s*;?\s*$`)

// unknownThread returns MySQL's 1094 for a KILL of a connection id that
// does not exist; go-mysql-server v0.20.0 accepts any id silently. Only a
// statement whose command is KILL is matched (stmtclass.go).
func (h *handler) unknownThread(cmd metrics.Command, query string) error {
	if cmd != metrics.CommandKill {
		return nil
	}
	m := killStmt.FindStringSubmatch(query)
	if m == nil || h.connectionExists == nil {
		return nil
	}
	id, err := strconv.ParseUint(m[1], 10, 32)
	if err == nil && h.connectionExists(uint32(id)) {
		return nil
	}
	return mysql.NewSQLError(mysql.ERNoSuchThread, mysql.SSUnknownSQLState, "Unknown thread id: %s", m[1])
}
