package custom

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// ErrNotReadOnly is returned (wrapped) for a request that is not a single
// read-only SELECT.
var ErrNotReadOnly = errors.New("request must be a single read-only SELECT")

// CheckRequest accepts exactly one SELECT (UNION and parenthesised SELECTs
// included) without INTO, FOR UPDATE or LOCK IN SHARE MODE.
func CheckRequest(q string) error {
	pieces, err := sqlparser.SplitStatementToPieces(q)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotReadOnly, err)
	}
	if len(pieces) != 1 {
		return fmt.Errorf("%w: found %d statements", ErrNotReadOnly, len(pieces))
	}
	// The pieces are only counted: SplitStatementToPieces can clip the
	// last character of a piece, so the whole request is parsed.
	stmt, err := sqlparser.Parse(strings.TrimRight(strings.TrimSpace(q), ";"))
	if err != nil {
		return fmt.Errorf("%w: parse: %w", ErrNotReadOnly, err)
	}
	sel, ok := stmt.(sqlparser.SelectStatement)
	if !ok {
		return fmt.Errorf("%w: got %T", ErrNotReadOnly, stmt)
	}
	return checkSelect(sel)
}

func checkSelect(s sqlparser.SelectStatement) error {
	if s.GetInto() != nil {
		return fmt.Errorf("%w: SELECT ... INTO is a write", ErrNotReadOnly)
	}
	var lock string
	switch n := s.(type) {
	case *sqlparser.Select:
		lock = n.Lock
	case *sqlparser.SetOp:
		lock = n.Lock
		if err := checkSelect(n.Left); err != nil {
			return err
		}
		if err := checkSelect(n.Right); err != nil {
			return err
		}
	case *sqlparser.ParenSelect:
		return checkSelect(n.Select)
	default:
		return fmt.Errorf("%w: got %T", ErrNotReadOnly, s)
	}
	if lock != "" {
		return fmt.Errorf("%w: locking read%s", ErrNotReadOnly, lock)
	}
	// Subqueries may carry locks too; walk the tree.
	var bad error
	_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		if sub, ok := node.(*sqlparser.Select); ok && sub != s && (sub.Lock != "" || sub.Into != nil) {
			bad = fmt.Errorf("%w: locking or INTO in a subquery", ErrNotReadOnly)
			return false, nil
		}
		return true, nil
	}, s)
	return bad
}
