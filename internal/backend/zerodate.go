package backend

import (
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// zeroDate is how go-mysql-server holds '0000-00-00' (Go has no month 0).
var zeroDate = time.Unix(-62167219200, 0).UTC()

// checkZeroDates refuses a zero date in a DATE, DATETIME or TIMESTAMP
// column under strict NO_ZERO_DATE, with MySQL's 1292; go-mysql-server
// v0.20.0 stores it whatever the mode. Without those modes zero dates are
// stored and read back as 0000-00-00.
func checkZeroDates(ctx *sql.Context, sch sql.Schema, row sql.Row) error {
	var mode *sql.SqlMode
	for i, c := range sch {
		if i >= len(row) || !types.IsTime(c.Type) {
			continue
		}
		t, ok := row[i].(time.Time)
		if !ok || !t.Equal(zeroDate) {
			continue
		}
		if mode == nil {
			mode = sql.LoadSqlMode(ctx)
			if !mode.ModeEnabled("NO_ZERO_DATE") ||
				!(mode.ModeEnabled("STRICT_TRANS_TABLES") || mode.ModeEnabled("STRICT_ALL_TABLES") || mode.ModeEnabled("TRADITIONAL")) {
				return nil
			}
		}
		kind, zero := "datetime", types.ZeroTimestampDatetimeStr
		if c.Type.Type() == sqltypes.Date {
			kind, zero = "date", types.ZeroDateStr
		}
		return mysql.NewSQLError(mysql.ERTruncatedWrongValue, "22007",
			"%s", fmt.Sprintf("Incorrect %s value: '%s' for column '%s' at row 1", kind, zero, c.Name))
	}
	return nil
}
