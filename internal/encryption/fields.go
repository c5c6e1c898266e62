package encryption

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// FieldPrefix starts a sealed string field in a JSON-lines log (the slow
// log's and the audit log's query and db): "enc:v1:" and the base64 of
// Sealer.Seal with the field's name as additional data, so a sealed value
// cannot be moved to another field unnoticed.
const FieldPrefix = "enc:v1:"

// LogFieldUse labels the subkeys of sealed log fields.
const LogFieldUse = "log fields v1"

// SealString returns value sealed for the named field ("" stays "": it
// says nothing).
func (s *Sealer) SealString(field, value string) string {
	if value == "" {
		return ""
	}
	return FieldPrefix + base64.StdEncoding.EncodeToString(s.Seal(nil, []byte(value), []byte(field)))
}

// OpenString returns the value of a field sealed by SealString; a value
// without FieldPrefix is returned as it is.
func (s *Sealer) OpenString(field, value string) (string, error) {
	enc, ok := strings.CutPrefix(value, FieldPrefix)
	if !ok {
		return value, nil
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("%w: field %s is not base64", ErrAuth, field)
	}
	p, err := s.Open(nil, b, []byte(field))
	if err != nil {
		return "", fmt.Errorf("field %s: %w", field, err)
	}
	return string(p), nil
}

// sealedMember matches a JSON member whose string value is sealed. Keys
// of guocedb's logs are plain words; base64 has no quote or backslash.
var sealedMember = regexp.MustCompile(`"(\w+)":"` + regexp.QuoteMeta(FieldPrefix) + `([A-Za-z0-9+/=]*)"`)

// OpenLine returns a JSON line with every sealed member decrypted (the
// rest of the line as it was): what `guocedb decrypt-log` prints.
func (s *Sealer) OpenLine(line []byte) ([]byte, error) {
	var err error
	out := sealedMember.ReplaceAllFunc(line, func(m []byte) []byte {
		sub := sealedMember.FindSubmatch(m)
		v, oerr := s.OpenString(string(sub[1]), FieldPrefix+string(sub[2]))
		if oerr != nil {
			if err == nil {
				err = oerr
			}
			return m
		}
		q, _ := json.Marshal(v) // a string always marshals
		return append([]byte(`"`+string(sub[1])+`":`), q...)
	})
	return out, err
}
