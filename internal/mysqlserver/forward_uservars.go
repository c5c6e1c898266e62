package mysqlserver

import (
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// go-mysql-server cannot list a session's user variables, so a session
// that moves to the leader (forward.go) could not take them along. The
// handler notes the names a session's statements mention while it runs
// here (a cheap scan, only of texts with an '@'); their values come
// from the session itself when it moves, so a name noted in excess (in a
// string the scan took for code, a variable never set) costs a NULL
// assignment at most.

// maxNotedUserVars bounds the names noted per connection.
const maxNotedUserVars = 256

// noteUserVars notes the user variable names in query for c, when c may
// move to the leader one day.
func (h *handler) noteUserVars(c *mysql.Conn, query string) {
	if h.fwd == nil || strings.IndexByte(query, '@') < 0 {
		return
	}
	names := userVarNames(query)
	if len(names) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.userVars[c]
	if set == nil {
		set = make(map[string]bool)
		h.userVars[c] = set
	}
	for _, n := range names {
		if len(set) >= maxNotedUserVars {
			return
		}
		set[n] = true
	}
}

// userVarNames returns the @names in query outside quotes and comments
// (not @@system variables), lower-cased as MySQL compares them.
func userVarNames(query string) []string {
	var out []string
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; {
		case ch == '\'' || ch == '"' || ch == '`':
			i = skipQuoted(query, i)
		case ch == '@':
			if i+1 < len(query) && query[i+1] == '@' {
				i++
				for i+1 < len(query) && isUserVarByte(query[i+1]) {
					i++
				}
				continue
			}
			j := i + 1
			for j < len(query) && isUserVarByte(query[j]) {
				j++
			}
			if j > i+1 {
				out = append(out, strings.ToLower(query[i+1:j]))
			}
			i = j - 1
		}
	}
	return out
}

// skipQuoted returns the index of the quote that closes the one at i.
func skipQuoted(query string, i int) int {
	q := query[i]
	for j := i + 1; j < len(query); j++ {
		switch {
		case query[j] == '\\' && q != '`':
			j++
		case query[j] == q:
			if j+1 < len(query) && query[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return len(query)
}

// isUserVarByte reports whether b may be part of an unquoted user
// variable name (an identifier's bytes, and '.').
func isUserVarByte(b byte) bool { return b == '.' || isIdentByte(b) }

// userVarReplay returns SET statements giving the leader's session c's
// noted user variables, with their values and types as here.
func (h *handler) userVarReplay(c *mysql.Conn) []string {
	s := connSession(c)
	h.mu.Lock()
	names := make([]string, 0, len(h.userVars[c]))
	for n := range h.userVars[c] {
		names = append(names, n)
	}
	h.mu.Unlock()
	if s == nil || len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	ctx := sql.NewEmptyContext()
	var out []string
	for _, n := range names {
		typ, v, err := s.GetUserVariable(ctx, n)
		if err != nil || v == nil || typ == nil {
			continue
		}
		sv, err := typ.SQL(ctx, nil, v)
		if err != nil {
			continue
		}
		var b strings.Builder
		b.WriteString("SET @" + quoteIdent(n) + " = ")
		writeLiteral(&b, sv)
		out = append(out, b.String())
	}
	return out
}
