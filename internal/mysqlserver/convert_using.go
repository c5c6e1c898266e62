package mysqlserver

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// The ruleConvertUsing rule replaces CONVERT(x USING cs) for the character sets
// go-mysql-server has no encoder for (gbk, big5, cp1251, ...): its
// ConvertUsing dereferences the missing encoder and the connection
// dropped with a nil-pointer panic.

// convertUsingWire is CONVERT(x USING cs) for such a set. guocedb keeps
// every string in UTF-8 and converts at the wire (wire_charsets.go), so
// the value is x with `?` for every character cs lacks, as MySQL gives
// once its result reaches a client.
type convertUsingWire struct {
	expression.UnaryExpression
	target sql.CharacterSetID
	w      wireCharset
}

var _ sql.Expression = (*convertUsingWire)(nil)

func (c *convertUsingWire) String() string {
	return fmt.Sprintf("CONVERT(%s USING %s)", c.Child.String(), c.target.Name())
}

func (c *convertUsingWire) Type() sql.Type { return types.LongText }

func (c *convertUsingWire) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	val, err := c.Child.Eval(ctx, row)
	if err != nil || val == nil {
		return nil, err
	}
	var b []byte
	switch v := val.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		s, _, err := types.LongText.Convert(ctx, v)
		if err != nil {
			return nil, err
		}
		b = []byte(s.(string))
	}
	return string(c.w.decode(c.w.encode(b))), nil
}

func (c *convertUsingWire) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), 1)
	}
	return &convertUsingWire{UnaryExpression: expression.UnaryExpression{Child: children[0]}, target: c.target, w: c.w}, nil
}

// convertUsingWithoutEncoder is the analyzer rule of ruleConvertUsing. A
// target set nothing converts is refused with 1115.
func convertUsingWithoutEncoder(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			cu, ok := e.(*expression.ConvertUsing)
			if !ok || cu.TargetCharSet.Encoder() != nil {
				return e, transform.SameTree, nil
			}
			w, ok := wireCharsetOf(cu.TargetCharSet)
			if !ok {
				return nil, transform.SameTree, sql.ErrCharSetUnknown.New(cu.TargetCharSet.Name())
			}
			return &convertUsingWire{UnaryExpression: expression.UnaryExpression{Child: cu.Child}, target: cu.TargetCharSet, w: w}, transform.NewTree, nil
		})
	})
}
