package mysqlserver

import (
	"context"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/guocedb/guocedb/internal/backend"
)

// encodingSessionBuilder makes the server's sessions leave the encoding of
// results into the client's character set to the handler (encodeResults):
// go-mysql-server fails a statement with "failed to encode" when a value
// has a character the client's set lacks (an emoji for a utf8mb3 client),
// where MySQL sends `?` for it.
func encodingSessionBuilder(inner server.SessionBuilder) server.SessionBuilder {
	return func(ctx context.Context, c *mysql.Conn, addr string) (sql.Session, error) {
		s, err := inner(ctx, c, addr)
		if bs, ok := s.(*backend.Session); ok && err == nil {
			bs.SetWireEncodesResults()
		}
		return s, err
	}
}

// encodeResults wraps a result callback of connection c: when the client's
// character_set_results is not utf8mb4 (nor binary), the text values,
// which go-mysql-server produced in utf8mb4, are encoded into it, `?` for
// what it cannot represent, and the columns name that character set
// (wire_charsets.go converts the sets go-mysql-server has no encoder for). A
// utf8mb4 client's results pass untouched (one session read per
// statement), and so do those of a client whose character set
// go-mysql-server cannot encode into.
func encodeResults(c *mysql.Conn, cb mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	sess := connSession(c)
	if sess == nil {
		return cb
	}
	cs := sess.ResultsCharset()
	if !backend.NeedsWireEncoding(cs) {
		return cb
	}
	enc, ok := wireCharsetOf(cs)
	if !ok {
		// Refused when set (charsetVariables); nothing to convert with.
		return cb
	}
	var text []bool // per column: a text value to encode
	return func(res *sqltypes.Result, more bool) error {
		if res != nil && len(res.Fields) > 0 {
			text = make([]bool, len(res.Fields))
			for _, f := range res.Fields {
				// Names are text in character_set_results too.
				for _, name := range []*string{&f.Name, &f.OrgName, &f.Table, &f.OrgTable, &f.Database} {
					if !isASCII(*name) {
						*name = string(enc.encode([]byte(*name)))
					}
				}
			}
			for i, f := range res.Fields {
				if f.Charset == uint32(sql.CharacterSet_utf8mb4) {
					f.Charset = uint32(cs) // as go-mysql-server numbers it
					text[i] = isTextType(f.Type)
				}
			}
		}
		if res != nil {
			for _, row := range res.Rows {
				for i, v := range row {
					if i < len(text) && text[i] && !v.IsNull() {
						row[i] = sqltypes.MakeTrusted(v.Type(), enc.encode(v.Raw()))
					}
				}
			}
		}
		return cb(res, more)
	}
}

// isTextType reports whether values of t are character strings.
func isTextType(t querypb.Type) bool {
	switch t {
	case querypb.Type_VARCHAR, querypb.Type_CHAR, querypb.Type_TEXT, querypb.Type_ENUM, querypb.Type_SET:
		return true
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
