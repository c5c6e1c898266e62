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
