package mysqlserver

import (
	"strconv"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Client character sets go-mysql-server cannot convert (MySQL converts
// every statement from character_set_client and every result into
// character_set_results). go-mysql-server v0.20.0 implements only a few
// character sets (latin1, ascii, utf8mb3, cp1256, cp1257, ...); for gbk,
// gb18030, big5, cp1251 and most others it has the name but no encoder, and
// panicked at the first string literal of a session that named one
// ("character set has not yet been implemented"), dropping the connection.
//
// guocedb converts at the wire instead: statement text and string
// parameters are decoded from the client's character set into UTF-8 before
// go-mysql-server sees them, results are encoded from UTF-8 into
// character_set_results (with `?` for what the set lacks, as MySQL does),
// and the session reports utf8mb4 as its connection collation to the engine
// (backend.Session.GetCollation) while @@character_set_client and friends
// keep the client's names. A character set neither go-mysql-server nor
// golang.org/x/text can convert is refused when it is set, with 1115.

// textEncodings are the client character sets converted with
// golang.org/x/text. gb2312 is decoded as GBK, its superset.
var textEncodings = map[sql.CharacterSetID]encoding.Encoding{
	sql.CharacterSet_gbk:      simplifiedchinese.GBK,
	sql.CharacterSet_gb2312:   simplifiedchinese.GBK,
	sql.CharacterSet_gb18030:  simplifiedchinese.GB18030,
	sql.CharacterSet_big5:     traditionalchinese.Big5,
	sql.CharacterSet_cp1250:   charmap.Windows1250,
	sql.CharacterSet_cp1251:   charmap.Windows1251,
	sql.CharacterSet_latin2:   charmap.ISO8859_2,
	sql.CharacterSet_koi8r:    charmap.KOI8R,
	sql.CharacterSet_koi8u:    charmap.KOI8U,
	sql.CharacterSet_cp850:    charmap.CodePage850,
	sql.CharacterSet_cp852:    charmap.CodePage852,
	sql.CharacterSet_cp866:    charmap.CodePage866,
	sql.CharacterSet_greek:    charmap.ISO8859_7,
	sql.CharacterSet_hebrew:   charmap.ISO8859_8,
	sql.CharacterSet_latin5:   charmap.ISO8859_9,
	sql.CharacterSet_macroman: charmap.Macintosh,
	sql.CharacterSet_euckr:    korean.EUCKR,
	sql.CharacterSet_sjis:     japanese.ShiftJIS,
	sql.CharacterSet_cp932:    japanese.ShiftJIS,
	sql.CharacterSet_ujis:     japanese.EUCJP,
	sql.CharacterSet_eucjpms:  japanese.EUCJP,
}

// wireCharset converts between UTF-8 and one client character set.
type wireCharset struct {
	gms  interface{ Decode([]byte) ([]byte, bool) }
	gmsE interface{ EncodeReplaceUnknown([]byte) []byte }
	text encoding.Encoding
}

// wireCharsetOf returns the converter of cs. ok is false for a set
// nothing here converts. utf8mb4, utf8mb3, binary and ascii need none:
// callers check needsConversion first.
func wireCharsetOf(cs sql.CharacterSetID) (w wireCharset, ok bool) {
	if e := cs.Encoder(); e != nil {
		return wireCharset{gms: e, gmsE: e}, true
	}
	if t, ok := textEncodings[cs]; ok {
		return wireCharset{text: t}, true
	}
	return wireCharset{}, false
}

// needsConversion reports whether text in cs differs from UTF-8 text.
func needsConversion(cs sql.CharacterSetID) bool {
	switch cs {
	case sql.CharacterSet_Unspecified, sql.CharacterSet_utf8mb4, sql.CharacterSet_utf8mb3,
		sql.CharacterSet_binary, sql.CharacterSet_ascii:
		return false
	}
	return true
}

// clientCharsetUsable reports whether guocedb can serve a client whose
// character_set_client or character_set_results is cs. MySQL refuses the
// UCS-2/UTF-16/UTF-32 sets as client sets; so does guocedb.
func clientCharsetUsable(cs sql.CharacterSetID) bool {
	switch cs {
	case sql.CharacterSet_ucs2, sql.CharacterSet_utf16, sql.CharacterSet_utf16le, sql.CharacterSet_utf32:
		return false
	}
	if !needsConversion(cs) {
		return true
	}
	_, ok := wireCharsetOf(cs)
	return ok
}

// decode converts b from the character set into UTF-8. Bytes that are no
// character of the set become U+FFFD.
func (w wireCharset) decode(b []byte) []byte {
	if w.gms != nil {
		if out, ok := w.gms.Decode(b); ok {
			return out
		}
		return []byte(string(b)) // invalid UTF-8 becomes U+FFFD on use
	}
	out, err := w.text.NewDecoder().Bytes(b)
	if err != nil {
		return b
	}
	return out
}

// encode converts UTF-8 text b into the character set, `?` for every
// character the set lacks.
func (w wireCharset) encode(b []byte) []byte {
	if w.gmsE != nil {
		return w.gmsE.EncodeReplaceUnknown(b)
	}
	if out, err := w.text.NewEncoder().Bytes(b); err == nil {
		return out
	}
	// Slow path: character by character, `?` for the ones that fail.
	enc := w.text.NewEncoder()
	out := make([]byte, 0, len(b))
	var buf [utf8.UTFMax]byte
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		one, err := enc.Bytes(buf[:utf8.EncodeRune(buf[:], r)])
		if err != nil || r == utf8.RuneError {
			out = append(out, '?')
			continue
		}
		out = append(out, one...)
	}
	return out
}

// decodeClientText returns the statement text q of c in UTF-8, and the
// converter it used (the zero wireCharset when q needed none).
func decodeClientText(c *mysql.Conn, q string) (string, wireCharset) {
	w, ok := clientConversion(c)
	if !ok {
		return q, wireCharset{}
	}
	return string(w.decode([]byte(q))), w
}

// encodeRest turns the rest of a multi-statement query, which go-mysql-server
// returns as a suffix of the decoded text, back into the client's bytes.
func (w wireCharset) encodeRest(rest string) string {
	if rest == "" || (w.gms == nil && w.text == nil) {
		return rest
	}
	return string(w.encode([]byte(rest)))
}

// decodeClientParams returns prepare with its statement text and its
// character-string parameters in UTF-8: a copy when anything changes, as
// vitess keeps prepare for the next execution. Parameters the client sent
// as BLOB (or TEXT) stay bytes: MySQL does not convert them either, and
// vitess reports both types the same way.
func decodeClientParams(c *mysql.Conn, prepare *mysql.PrepareData) *mysql.PrepareData {
	w, ok := clientConversion(c)
	if !ok {
		return prepare
	}
	cp := *prepare
	cp.PrepareStmt = string(w.decode([]byte(prepare.PrepareStmt)))
	cp.BindVars = make(map[string]*querypb.BindVariable, len(prepare.BindVars))
	for k, bv := range prepare.BindVars {
		cp.BindVars[k] = bv
	}
	for i, t := range prepare.ParamsType {
		key := "v" + strconv.Itoa(i+1)
		bv := cp.BindVars[key]
		if bv == nil || bv.Type != querypb.Type_VARBINARY {
			continue
		}
		if querypb.Type(t) != querypb.Type_CHAR && querypb.Type(t) != querypb.Type_VARCHAR {
			continue
		}
		cp.BindVars[key] = &querypb.BindVariable{Type: bv.Type, Value: w.decode(bv.Value)}
	}
	return &cp
}

// clientConversion returns the converter of c's character_set_client when
// its text is not UTF-8.
func clientConversion(c *mysql.Conn) (wireCharset, bool) {
	s := connSession(c)
	if s == nil {
		return wireCharset{}, false
	}
	cs := s.ClientCharset()
	if !needsConversion(cs) {
		return wireCharset{}, false
	}
	return wireCharsetOf(cs)
}

// charsetVariables makes setting a client character set guocedb cannot
// convert fail at the SET (SET NAMES, SET CHARACTER SET, SET
// character_set_client = ...), with 1115 as MySQL gives for an unknown set,
// or 1231 for the UCS-2/UTF-16/UTF-32 sets MySQL refuses as client sets;
// the session would otherwise fail at its next statement.
// go-mysql-server keeps system variables in a process-wide registry.
func charsetVariables() {
	var vars []sql.SystemVariable
	for _, name := range []string{"character_set_client", "character_set_connection", "character_set_results", "collation_connection"} {
		v, _, ok := sql.SystemVariables.GetGlobal(name)
		mv, isMySQL := v.(*sql.MysqlSystemVariable)
		if !ok || !isMySQL {
			continue
		}
		cp := *mv
		inner := mv.NotifyChanged
		cp.NotifyChanged = func(ctx *sql.Context, scope sql.SystemVariableScope, value sql.SystemVarValue) error {
			if inner != nil {
				if err := inner(ctx, scope, value); err != nil {
					return err
				}
			}
			s, ok := value.Val.(string)
			if !ok || s == "" {
				return nil
			}
			var cs sql.CharacterSetID
			if name == "collation_connection" {
				coll, err := sql.ParseCollation("", s, false)
				if err != nil {
					return err
				}
				cs = coll.CharacterSet()
			} else {
				var err error
				if cs, err = sql.ParseCharacterSet(s); err != nil {
					return err
				}
			}
			switch {
			case clientCharsetUsable(cs):
				return nil
			case cs == sql.CharacterSet_ucs2 || cs == sql.CharacterSet_utf16 || cs == sql.CharacterSet_utf16le || cs == sql.CharacterSet_utf32:
				return mysql.NewSQLError(mysql.ERWrongValueForVar, "42000", "Variable '%s' can't be set to the value of '%s'", name, s)
			default:
				return sql.ErrCharSetUnknown.New(s)
			}
		}
		vars = append(vars, &cp)
	}
	sql.SystemVariables.AddSystemVariables(vars)
}
