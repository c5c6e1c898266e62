package mysqlserver

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// loadDataBuilder builds guocedb's own iterator for LOAD DATA. It is an
// override of go-mysql-server's executor (rowexec.NewOverrideBuilder),
// which asks it first for every node of the plan, LOAD DATA sitting under
// its INSERT included; for any other node it returns no iterator and the
// stock builder carries on.
//
// go-mysql-server v0.20.0's own LOAD DATA iterator splits a line on the
// field terminator before looking at escapes and enclosures, and then
// deletes every escape character: a \t in the file became "t", \\ became
// nothing, and a quoted field holding a separator was cut in two. That is
// silent data corruption, so the input is read here by MySQL's rules
// (loadDataReader); what becomes of each field (user variables, SET,
// column defaults) keeps go-mysql-server's contract with the INSERT above
// it: one row per record, values in the order of the column list.
type loadDataBuilder struct{ policy *filePolicy }

var _ sql.NodeExecBuilder = loadDataBuilder{}

// NewExecBuilder is go-mysql-server's executor with guocedb's plan
// rewrites (wrapTimeCasts, wrapUnsignedFromFloat, applied to the whole
// plan first) and its LOAD DATA iterator (asked for every node). The
// server's analyzer uses it; the enginetest harness can too, to run
// go-mysql-server's suites through it.
// Server-side files follow @@secure_file_priv as go-mysql-server's
// harness sets it, for every session (fileaccess.go).
func NewExecBuilder() sql.NodeExecBuilder {
	return newExecBuilder(&filePolicy{fromGlobal: true})
}

// newExecBuilder is NewExecBuilder with the server's file policy and more
// executor overrides, asked after LOAD DATA's and INTO OUTFILE's (the
// server adds SHOW STATUS's, statusvars.go).
func newExecBuilder(policy *filePolicy, overrides ...sql.NodeExecBuilder) sql.NodeExecBuilder {
	first := firstBuilder{loadDataBuilder{policy}, fileExportBuilder{policy}}
	return rewritingBuilder{
		rewrites: []func(sql.Node) (sql.Node, error){refusePrimaryKeyPrefix, wrapTimeCasts, wrapNumericCasts, wrapUnsignedFromFloat},
		next:     rowexec.NewOverrideBuilder(append(first, overrides...)),
	}
}

// rewritingBuilder applies plan rewrites to the final plan before next
// builds it. They cannot be analyzer rules: INSERT with literal values and
// single-table UPDATE run a short fixed rule list that skips added rules,
// and an insert's row projection only appears in the analyzer's last
// batch.
type rewritingBuilder struct {
	rewrites []func(sql.Node) (sql.Node, error)
	next     sql.NodeExecBuilder
}

// Build implements sql.NodeExecBuilder.
func (b rewritingBuilder) Build(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	learnCalls(ctx, n) // before the CALL runs: see callresults.go
	for _, rewrite := range b.rewrites {
		var err error
		if n, err = rewrite(n); err != nil {
			return nil, err
		}
	}
	return b.next.Build(ctx, n, r)
}

// Build implements sql.NodeExecBuilder.
func (b loadDataBuilder) Build(ctx *sql.Context, n sql.Node, _ sql.Row) (sql.RowIter, error) {
	ld, ok := n.(*plan.LoadData)
	if !ok {
		return nil, nil
	}
	in, err := openLoadDataInput(ctx, ld, b.policy)
	if err != nil {
		return nil, err
	}
	return newLoadDataIter(ld, in), nil
}

// openLoadDataInput opens the client's file (LOCAL, only when local_infile
// is on) or the server's file (with FILE, under secure_file_priv only).
func openLoadDataInput(ctx *sql.Context, ld *plan.LoadData, policy *filePolicy) (io.ReadCloser, error) {
	if ld.Local {
		_, on, ok := sql.SystemVariables.GetGlobal("local_infile")
		if !ok {
			return nil, fmt.Errorf("local_infile variable not found")
		}
		if v, _ := on.(int8); v == 0 {
			// errors.go maps this message to MySQL's 3948.
			return nil, fmt.Errorf("local_infile needs to be set to 1 to use LOCAL")
		}
		return ctx.LoadInfile(ld.File)
	}
	path, err := policy.check(ctx, ld.File, false)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, sql.ErrLoadDataCannotOpen.New(err.Error())
	}
	return f, nil
}

// loadDataIter turns records into rows for the INSERT above LOAD DATA.
type loadDataIter struct {
	ld     *plan.LoadData
	in     io.ReadCloser
	reader *loadDataReader
	ignore int64
	// fieldToCol maps a field's position to its column in DestSch, or -1
	// for a field read into a user variable.
	fieldToCol []int
}

var _ sql.RowIter = (*loadDataIter)(nil)

func newLoadDataIter(ld *plan.LoadData, in io.ReadCloser) *loadDataIter {
	sch := ld.DestSch
	names := ld.ColNames
	if len(names) == 0 {
		for _, c := range sch {
			names = append(names, c.Name)
		}
	}
	fieldToCol := make([]int, len(ld.UserVars))
	col := 0
	for i := range ld.UserVars {
		switch {
		case ld.UserVars[i] != nil:
			fieldToCol[i] = -1
		case col < len(names):
			fieldToCol[i] = sch.IndexOf(names[col], sch[0].Source)
			col++
		default:
			fieldToCol[i] = -1
		}
	}
	return &loadDataIter{
		ld: ld,
		in: in,
		reader: newLoadDataReader(in, loadDataFormat{
			fieldsTerminatedBy: ld.FieldsTerminatedBy,
			fieldsEnclosedBy:   ld.FieldsEnclosedBy,
			fieldsEscapedBy:    ld.FieldsEscapedBy,
			linesStartingBy:    ld.LinesStartingBy,
			linesTerminatedBy:  ld.LinesTerminatedBy,
		}),
		ignore:     ld.IgnoreNum,
		fieldToCol: fieldToCol,
	}
}

// Next implements sql.RowIter.
func (it *loadDataIter) Next(ctx *sql.Context) (sql.Row, error) {
	for ; it.ignore > 0; it.ignore-- {
		if err := it.reader.skipLine(); err != nil {
			return nil, err
		}
	}
	fields, err := it.reader.next()
	if err != nil {
		return nil, err
	}
	exprs, err := it.exprs(ctx, fields)
	if err != nil {
		return nil, err
	}
	row := make(sql.Row, len(exprs))
	// Defaults that are expressions may read other columns of the row:
	// evaluate them after the values from the file.
	var later []int
	for i, e := range exprs {
		if e == nil {
			continue
		}
		if d, ok := e.(*sql.ColumnDefaultValue); ok && !d.IsLiteral() {
			later = append(later, i)
			continue
		}
		if row[i], err = e.Eval(ctx, row); err != nil {
			return nil, err
		}
	}
	for _, i := range later {
		if row[i], err = exprs[i].Eval(ctx, row); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// exprs gives one expression per value of the row: values in the order of
// the column list, then nothing (the INSERT fills the rest).
func (it *loadDataIter) exprs(ctx *sql.Context, fields []loadDataField) ([]sql.Expression, error) {
	sch := it.ld.DestSch
	// fieldRow is what user variables and SET expressions read: the
	// fields by position, as text.
	fieldRow := make(sql.Row, len(fields))
	for i, f := range fields {
		if !f.null {
			fieldRow[i] = string(f.value)
		}
	}
	exprs := make([]sql.Expression, len(sch))
	next := 0
	for i := 0; i < len(fields) && i < len(it.ld.UserVars); i++ {
		if uv := it.ld.UserVars[i]; uv != nil {
			set, ok := uv.(*expression.SetField)
			if !ok {
				return nil, fmt.Errorf("LOAD DATA: unexpected user variable expression %T", uv)
			}
			v, ok := set.LeftChild.(*expression.UserVar)
			if !ok {
				return nil, fmt.Errorf("LOAD DATA: unexpected user variable %T", set.LeftChild)
			}
			val, err := set.RightChild.Eval(ctx, fieldRow)
			if err != nil {
				return nil, err
			}
			if err := ctx.SetUserVariable(ctx, v.Name, val, types.ApproximateTypeFromValue(val)); err != nil {
				return nil, err
			}
			continue
		}
		if next >= len(exprs) {
			continue
		}
		f := fields[i]
		switch {
		case f.null:
			exprs[next] = expression.NewLiteral(nil, types.Null)
		case len(f.value) == 0 && it.fieldToCol[i] >= 0:
			// go-mysql-server's rule for an empty field: the empty string
			// for a string column, else the column default or NULL.
			col := sch[it.fieldToCol[i]]
			if _, isString := col.Type.(sql.StringType); isString {
				exprs[next] = expression.NewLiteral("", types.LongText)
			} else if col.Default != nil {
				exprs[next] = col.Default
			} else {
				exprs[next] = expression.NewLiteral(nil, types.Null)
			}
		default:
			exprs[next] = expression.NewLiteral(string(f.value), types.LongText)
		}
		next++
	}
	// SET col = expr replaces the value of col.
	if len(it.ld.SetExprs) > 0 {
		pos := 0
		for i := 0; i < len(it.fieldToCol) && pos < len(exprs); i++ {
			col := it.fieldToCol[i]
			if col < 0 {
				continue
			}
			if col < len(it.ld.SetExprs) && it.ld.SetExprs[col] != nil {
				e := it.ld.SetExprs[col]
				v, err := e.Eval(ctx, fieldRow)
				if err != nil {
					return nil, err
				}
				exprs[pos] = expression.NewLiteral(v, e.Type())
			}
			pos++
		}
	}
	// Without a column list the INSERT inserts the row as is: fill the
	// columns the record did not reach with their defaults here.
	if len(it.ld.ColNames) == 0 {
		for i, e := range exprs {
			if e != nil {
				continue
			}
			col := sch[i]
			if !col.Nullable && col.Default == nil && !col.AutoIncrement {
				return nil, sql.ErrInsertIntoNonNullableDefaultNullColumn.New(col.Name)
			}
			if col.Default != nil {
				exprs[i] = col.Default
			}
		}
	}
	return exprs, nil
}

// Close implements sql.RowIter.
func (it *loadDataIter) Close(*sql.Context) error {
	err := it.in.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
