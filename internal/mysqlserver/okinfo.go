package mysqlserver

import (
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// okInfoLen is the length vitess announces for the info text of an OK
// packet. vitess writes that text as the byte '#' (35) followed by the
// text up to the end of the packet, and the MySQL and MariaDB client
// libraries read it as a length-encoded string: '#' reads as a length of
// 35. A longer text still parses (the clients read to the end of the
// packet), a shorter one runs past the packet and libmariadb / mysqlnd
// drop the result with "malformed packet" (PREPARE's "Statement prepared"
// did). padOKInfo pads short texts to exactly 35 bytes, which makes the
// announced length true.
const okInfoLen = '#'

// padOKInfo wraps a result callback so that the info text of an OK result
// is never shorter than okInfoLen.
func padOKInfo(cb mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(res *sqltypes.Result, more bool) error {
		if res != nil && len(res.Fields) == 0 && res.Info != "" && len(res.Info) < okInfoLen {
			res.Info += strings.Repeat(" ", okInfoLen-len(res.Info))
		}
		return cb(res, more)
	}
}
