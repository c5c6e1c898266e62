package mysqlserver

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// NO_BACKSLASH_ESCAPES: go-mysql-server's parser (vitess) always reads a
// backslash in a string literal as an escape; its parser options have no
// such mode. Under the mode MySQL reads it as a plain character, and
// clients act on it: guocedb reports the mode in the server status
// (statusflags.go), and libmariadb's mysql_real_escape_string and
// go-sql-driver's interpolation then escape a quote by doubling it and
// leave backslashes alone ('C:\dir\' is a complete literal). The parser
// therefore doubles every backslash inside string literals before vitess
// reads a statement of a session with the mode: the same value.
// COM_STMT_PREPARE text is parsed by vitess itself first, so a prepared
// statement with a literal ending in a backslash still fails there.

// noBackslashEscapes reports whether the session of ctx has the mode.
func noBackslashEscapes(ctx context.Context) bool {
	sctx, ok := ctx.(*sql.Context)
	if !ok || sctx.Session == nil {
		return false
	}
	return loadSQLMode(sctx).ModeEnabled("NO_BACKSLASH_ESCAPES")
}

// literalBackslashes doubles the backslashes inside the '...' and "..."
// literals of q; comments and `identifiers` are copied unchanged.
func literalBackslashes(q string) string { return scanLiterals(q, false) }

// unliteralBackslashes undoes literalBackslashes: the rest of a
// multi-statement query goes back to vitess, and so to the next parse, as
// the client wrote it (the rest starts between statements, outside any
// literal).
func unliteralBackslashes(q string) string { return scanLiterals(q, true) }

// scanLiterals copies q, doubling (or, with halve, undoubling) the
// backslashes inside its string literals.
func scanLiterals(q string, halve bool) string {
	if !strings.Contains(q, `\`) {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	for i := 0; i < len(q); {
		c := q[i]
		end := i + 1
		switch {
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- "):
			end = len(q)
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				end = i + j
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end = len(q)
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				end = i + 2 + j + 2
			}
		case c == '`':
			end = len(q)
			if j := strings.IndexByte(q[i+1:], '`'); j >= 0 {
				end = i + 1 + j + 1
			}
		case c == '\'' || c == '"':
			b.WriteByte(c)
			i++
			for i < len(q) {
				if q[i] == '\\' {
					b.WriteByte('\\')
					if !halve {
						b.WriteByte('\\')
					} else if i+1 < len(q) && q[i+1] == '\\' {
						i++
					}
					i++
					continue
				}
				if q[i] == c {
					if i+1 < len(q) && q[i+1] == c { // doubled quote
						b.WriteString(q[i : i+2])
						i += 2
						continue
					}
					break
				}
				b.WriteByte(q[i])
				i++
			}
			if i < len(q) {
				b.WriteByte(c)
				i++
			}
			continue
		}
		b.WriteString(q[i:end])
		i = end
	}
	return b.String()
}
