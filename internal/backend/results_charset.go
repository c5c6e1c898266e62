package backend

import "github.com/dolthub/go-mysql-server/sql"

// SetWireEncodesResults makes the session hand results to the wire layer
// in utf8mb4 whatever character_set_results says; the wire layer then
// encodes them into the client's character set itself, with `?` for
// every character the set cannot represent, as MySQL does.
// go-mysql-server encodes with no fallback: one emoji read by a utf8mb3
// (or latin1) client failed the whole statement with "failed to encode".
// Only the MySQL server's sessions do this (mysqlserver); sessions run
// in-process keep go-mysql-server's behaviour.
func (s *Session) SetWireEncodesResults() { s.wireEncodes = true }

// ResultsCharset is the session's character_set_results as the client set
// it (GetCharacterSetResults may report utf8mb4 instead).
func (s *Session) ResultsCharset() sql.CharacterSetID {
	return s.BaseSession.GetCharacterSetResults()
}

// GetCharacterSetResults implements sql.Session: see
// SetWireEncodesResults. It runs for every string value sent.
func (s *Session) GetCharacterSetResults() sql.CharacterSetID {
	cs := s.BaseSession.GetCharacterSetResults()
	if s.wireEncodes && NeedsWireEncoding(cs) {
		return sql.CharacterSet_utf8mb4
	}
	return cs
}

// NeedsWireEncoding reports whether results for a client of character set
// cs must be encoded from utf8mb4 by the wire layer.
func NeedsWireEncoding(cs sql.CharacterSetID) bool {
	switch cs {
	case sql.CharacterSet_Unspecified, sql.CharacterSet_binary, sql.CharacterSet_utf8mb4:
		return false
	}
	return true
}

// ClientCharset is the session's character_set_client: the character set
// of the statement text and string parameters the client sends.
func (s *Session) ClientCharset() sql.CharacterSetID {
	v, err := s.BaseSession.GetSessionVariable(nil, "character_set_client")
	name, _ := v.(string)
	if err != nil || name == "" {
		return sql.CharacterSet_utf8mb4
	}
	cs, err := sql.ParseCharacterSet(name)
	if err != nil {
		return sql.CharacterSet_utf8mb4
	}
	return cs
}

// GetCollation implements sql.Session. For a wire session whose
// collation_connection belongs to a character set go-mysql-server has no
// encoder for (gbk, big5, cp1251, ...), the engine gets utf8mb4's: the
// wire layer has already converted the statement into UTF-8
// (mysqlserver/wire_charsets.go), and go-mysql-server panics when it
// types a string literal in a set it cannot encode.
// @@collation_connection keeps the client's name.
func (s *Session) GetCollation() sql.CollationID {
	c := s.BaseSession.GetCollation()
	if s.wireEncodes && c.CharacterSet().Encoder() == nil {
		return sql.Collation_Default
	}
	return c
}

// GetCharacterSet implements sql.Session: character_set_connection, as
// GetCollation maps it.
func (s *Session) GetCharacterSet() sql.CharacterSetID {
	cs := s.BaseSession.GetCharacterSet()
	if s.wireEncodes && cs.Encoder() == nil {
		return sql.Collation_Default.CharacterSet()
	}
	return cs
}
