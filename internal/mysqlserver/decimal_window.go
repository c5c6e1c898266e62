package mysqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/shopspring/decimal"
)

// SUM(x) OVER (...) and AVG(x) OVER (...) of exact numbers, as DECIMALs
// summed exactly (decimal_aggregates.go). Like go-mysql-server's window
// SUM and AVG, a partition's prefix sums answer any frame of it.

// NewWindowFunction implements sql.WindowAdaptableExpression.
func (a *decimalAggregate) NewWindowFunction() (sql.WindowFunction, error) {
	child, err := transform.Clone(a.Children()[0])
	if err != nil {
		return nil, err
	}
	w := &decimalWindow{arg: child, avg: a.avg, typ: a.typ}
	if def := a.Window(); def != nil && def.Frame != nil {
		if w.framer, err = def.Frame.NewFramer(def); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// decimalWindow computes one partition at a time.
type decimalWindow struct {
	arg    sql.Expression
	avg    bool
	typ    sql.DecimalType
	framer sql.WindowFramer

	start int
	// sums[i] and counts[i] are the sum and the number of non-NULL values
	// of the partition's rows 0..i.
	sums   []decimal.Decimal
	counts []int64
}

var _ sql.WindowFunction = (*decimalWindow)(nil)

// DefaultFramer implements sql.WindowFunction: go-mysql-server's default
// for its own SUM and AVG.
func (w *decimalWindow) DefaultFramer() sql.WindowFramer {
	if w.framer != nil {
		return w.framer
	}
	return aggregation.NewUnboundedPrecedingToCurrentRowFramer()
}

// StartPartition implements sql.WindowFunction.
func (w *decimalWindow) StartPartition(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) error {
	w.start = interval.Start
	n := interval.End - interval.Start
	w.sums, w.counts = make([]decimal.Decimal, n), make([]int64, n)
	var sum decimal.Decimal
	var count int64
	for i := 0; i < n; i++ {
		v, err := w.arg.Eval(ctx, buf[interval.Start+i])
		if err != nil {
			return err
		}
		if v != nil {
			d, err := exactValue(v, w.typ)
			if err != nil {
				return err
			}
			sum, count = sum.Add(d), count+1
		}
		w.sums[i], w.counts[i] = sum, count
	}
	return nil
}

// Compute implements sql.WindowFunction: NULL for a frame without values.
func (w *decimalWindow) Compute(_ *sql.Context, interval sql.WindowInterval, _ sql.WindowBuffer) any {
	first, last := interval.Start-w.start-1, interval.End-w.start-1
	if last < 0 || last >= len(w.sums) {
		return nil
	}
	sum, count := w.sums[last], w.counts[last]
	if first >= 0 {
		sum, count = sum.Sub(w.sums[first]), count-w.counts[first]
	}
	if count == 0 {
		return nil
	}
	if w.avg {
		return sum.DivRound(decimal.NewFromInt(count), int32(w.typ.Scale()))
	}
	return sum
}

// Dispose implements sql.Disposable.
func (w *decimalWindow) Dispose() { expression.Dispose(w.arg) }
