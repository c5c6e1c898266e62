package backend

import (
	"errors"
	"io"
	"sort"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/vector"
	"github.com/dolthub/go-mysql-server/sql/iters"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/guocedb/guocedb/internal/storage"
)

// VECTOR indexes.
//
// go-mysql-server turns ORDER BY VEC_DISTANCE(<constant>, col) LIMIT n on
// a column with a VECTOR index into a lookup that carries the ordering
// and the limit (sql.IndexLookup.VectorOrderAndLimit), and drops the sort
// and the limit above it. guocedb keeps no entries for such an index: a
// lookup scans the table, orders the rows by the distance and keeps the
// first n, as go-mysql-server's memory engine does. An exact nearest
// neighbour search, then, not an approximate one (no HNSW or IVF graph),
// and no faster than the sort it replaces.

// vectorOrderBy reports whether e is an ordering a VECTOR index serves:
// the squared Euclidean distance (VEC_DISTANCE, VEC_DISTANCE_L2_SQUARED).
func vectorOrderBy(e sql.Expression) bool {
	d, ok := e.(*vector.Distance)
	return ok && vector.DistanceL2Squared{}.CanEval(d.DistanceType)
}

// vectorIter returns the table's rows ordered by ol.OrderBy, ascending,
// ties in key order, at most ol.Limit of them.
func (t *Table) vectorIter(ctx *sql.Context, txn *storage.Txn, view *storage.Savepoint, ol sql.OrderAndLimit) (sql.RowIter, error) {
	// The ordering's column references are resolved against the table's
	// full schema: the rows are decoded whole and projected at the end.
	orderBy, _, err := transform.Expr(ol.OrderBy, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		if gf, ok := e.(*expression.GetField); ok {
			if o := t.st.schema.IndexOfColName(gf.Name()); o >= 0 {
				return gf.WithIndex(o), transform.NewTree, nil
			}
		}
		return e, transform.SameTree, nil
	})
	if err != nil {
		return nil, err
	}
	limit := int64(-1)
	if ol.Limit != nil {
		if limit, err = iters.GetInt64Value(ctx, ol.Limit); err != nil {
			return nil, err
		}
	}
	p := rowPrefix(t.st.def.ID)
	it, err := newScanIter(txn, view, t.st, []keySpan{{start: p, end: prefixEnd(p)}}, false, false)
	if err != nil {
		return nil, err
	}
	defer it.Close(ctx)
	type scored struct {
		row  sql.Row
		dist any
	}
	var all []scored
	for {
		row, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		d, err := orderBy.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		all = append(all, scored{row: row, dist: d})
	}
	var sortErr error
	sort.SliceStable(all, func(i, j int) bool {
		c, err := orderBy.Type().Compare(ctx, all[i].dist, all[j].dist)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	if limit >= 0 && int64(len(all)) > limit {
		all = all[:limit]
	}
	rows := make([]sql.Row, len(all))
	for i, s := range all {
		rows[i] = s.row
		if t.proj != nil {
			rows[i] = t.proj.apply(s.row)
		}
	}
	return sql.RowsToRowIter(rows...), nil
}
