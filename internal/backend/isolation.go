package backend

import (
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// Transaction characteristics from the session variables, read when a
// transaction starts (MySQL fixes them there too).

// readCommitted reports whether the session's isolation level reads the
// latest commits at every statement (READ COMMITTED, READ UNCOMMITTED);
// REPEATABLE READ and SERIALIZABLE read one snapshot.
func (s *Session) readCommitted(ctx *sql.Context) bool {
	if ctx == nil {
		return false
	}
	v, err := s.GetSessionVariable(ctx, "transaction_isolation")
	if err != nil {
		return false
	}
	level, _ := v.(string)
	level = strings.ToUpper(strings.ReplaceAll(level, " ", "-"))
	return level == "READ-COMMITTED" || level == "READ-UNCOMMITTED"
}

// sessionReadOnly reports SET SESSION TRANSACTION READ ONLY
// (@@transaction_read_only).
func (s *Session) sessionReadOnly(ctx *sql.Context) bool {
	if ctx == nil {
		return false
	}
	v, err := s.GetSessionVariable(ctx, "transaction_read_only")
	if err != nil {
		return false
	}
	return isTrue(v)
}

// IsReadOnlySession reports whether ctx's session is read-only by default
// (@@transaction_read_only), for the rule that refuses writes outside
// explicit transactions.
func IsReadOnlySession(ctx *sql.Context) bool {
	s := sessionOf(ctx)
	return s != nil && s.sessionReadOnly(ctx)
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case int8:
		return x != 0
	case int64:
		return x != 0
	case int:
		return x != 0
	case bool:
		return x
	case string:
		return x == "1" || strings.EqualFold(x, "ON")
	}
	return false
}

var readWriteClause = regexp.MustCompile(`(?is)^\s*START\s+TRANSACTION\b.*\bREAD\s+WRITE\b`)

// explicitReadWrite reports START TRANSACTION READ WRITE, which overrides a
// read-only session; go-mysql-server passes the same characteristic for it
// as for a plain START TRANSACTION.
func explicitReadWrite(ctx *sql.Context) bool {
	return ctx != nil && readWriteClause.MatchString(ctx.Query())
}

// sessionAliases are the pairs of session variables MySQL keeps as one:
// the old tx_ names and the transaction_ ones.
var sessionAliases = map[string]string{
	"transaction_isolation": "tx_isolation",
	"tx_isolation":          "transaction_isolation",
	"transaction_read_only": "tx_read_only",
	"tx_read_only":          "transaction_read_only",
}

// InitSessionVariable implements sql.Session, counting the change
// (VarsGeneration).
func (s *Session) InitSessionVariable(ctx *sql.Context, name string, value any) error {
	defer s.varsGen.Add(1)
	return s.BaseSession.InitSessionVariable(ctx, name, value)
}

// VarsGeneration moves whenever one of the session's system variables
// may have changed: what is derived from them (the plan cache's key,
// the parsed sql_mode) is kept until it moves. go-mysql-server writes
// them only through SetSessionVariable and InitSessionVariable.
func (s *Session) VarsGeneration() uint64 { return s.varsGen.Load() }

// SetSessionVariable implements sql.Session; it keeps the tx_ aliases in
// step with their transaction_ variables (go-mysql-server has both but
// sets only the one named).
func (s *Session) SetSessionVariable(ctx *sql.Context, name string, value any) error {
	// Counted even when it fails: the value may have changed before.
	defer s.varsGen.Add(1)
	if err := s.BaseSession.SetSessionVariable(ctx, name, value); err != nil {
		return err
	}
	if alias, ok := sessionAliases[strings.ToLower(name)]; ok {
		// The alias may be missing or typed differently; the variable
		// named is the one that counts.
		_ = s.BaseSession.SetSessionVariable(ctx, alias, value)
	}
	return nil
}
