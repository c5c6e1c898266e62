package mysqlserver

import (
	"context"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/guocedb/guocedb/internal/metrics"
)

// execFn runs one statement in go-mysql-server with ctx, results to send.
type execFn func(ctx context.Context, send mysql.ResultSpoolFn) error

// outParamsFn returns the result set of a prepared CALL's OUT parameters.
type outParamsFn func() (*sqltypes.Result, error)

// withCallResultSets runs exec and, when stmt is a CALL, sends every
// result set its procedure made the way MySQL does: each one ending with
// SERVER_MORE_RESULTS_EXISTS, then the CALL's OK (or the error that
// stopped the procedure). go-mysql-server's own result for the CALL (the
// last SELECT's rows again) is dropped then.
//
// The result sets are written through the connection's resultWriter
// (packetConn, over TLS too), since vitess' handler API carries one
// result set per statement; vitess writes the final OK or error after
// them. Without one (a connection that is not a packetConn: none in the
// server) exec's results go through unchanged: the last result set only. go-mysql-server's "more" flag
// (statements of a multi-statement query follow) is kept. (vitess does not
// keep CLIENT_MULTI_RESULTS among a connection's capabilities, so it is
// not checked; MySQL 8 clients always announce it.) binaryRows is set for
// COM_STMT_EXECUTE; cmd is the statement's command (stmtclass.go).
//
// outParams, when set, returns the OUT parameters' result set of a
// prepared CALL (prepared_out_params.go), sent after the procedure's
// result sets with SERVER_PS_OUT_PARAMS.
func (h *handler) withCallResultSets(ctx context.Context, c *mysql.Conn, stmt string, cmd metrics.Command, binaryRows bool, exec execFn, send mysql.ResultSpoolFn, outParams outParamsFn) error {
	pc := resultWriterOf(c.Conn)
	if !mayBeCall(cmd, stmt) || pc == nil {
		return exec(ctx, send)
	}
	col := newCallResults()
	type sent struct {
		res  *sqltypes.Result
		more bool
	}
	var held []sent
	err := exec(withCallResults(ctx, col), func(res *sqltypes.Result, more bool) error {
		held = append(held, sent{res, more})
		return nil
	})
	sets := col.results()
	var out *sqltypes.Result
	if err == nil && outParams != nil {
		var oerr error
		if out, oerr = outParams(); oerr != nil {
			return oerr
		}
	}
	if len(sets) == 0 && out == nil {
		// No result set: go-mysql-server's OK (or error) is the CALL's.
		for _, s := range held {
			if serr := send(s.res, s.more); serr != nil {
				return serr
			}
		}
		return err
	}
	if ferr := c.FlushBuffer(); ferr != nil {
		return ferr
	}
	for _, set := range sets {
		h.fixFields(stmt, set.Fields, nil) // parsed at CREATE PROCEDURE: aliases unknown
		payloads, perr := resultPackets(set, c.Capabilities, c.StatusFlags, binaryRows)
		if perr != nil {
			return perr
		}
		if werr := pc.sendPackets(payloads); werr != nil {
			return werr
		}
	}
	if out != nil {
		payloads, perr := resultPackets(out, c.Capabilities, c.StatusFlags|serverPSOutParams, binaryRows)
		if perr != nil {
			return perr
		}
		if werr := pc.sendPackets(payloads); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	// The CALL's own OK; go-mysql-server's last result says whether more
	// statements of a multi-statement query follow.
	final, more := &sqltypes.Result{}, false
	for _, s := range held {
		more = more || s.more
		if len(s.res.Fields) == 0 && len(s.res.Rows) == 0 {
			final = s.res
		}
	}
	return send(final, more)
}

// isCall reports whether stmt is a CALL statement.
func isCall(stmt string) bool {
	words := leadingWords(stmt, 1)
	return len(words) == 1 && strings.EqualFold(words[0], "CALL")
}
