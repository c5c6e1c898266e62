package mysqlserver

import (
	"bufio"
	"errors"
	"io"
)

// loadDataFormat is the FIELDS and LINES clause of a LOAD DATA statement.
// Terminators may be several bytes long; the enclosure and escape are one
// byte or empty (go-mysql-server's planner refuses longer ones).
type loadDataFormat struct {
	fieldsTerminatedBy string
	fieldsEnclosedBy   string
	fieldsEscapedBy    string
	linesStartingBy    string
	linesTerminatedBy  string
}

// loadDataField is one decoded field of a record.
type loadDataField struct {
	value    []byte
	null     bool
	enclosed bool
}

// loadDataReader splits a LOAD DATA input into records and fields by
// MySQL's rules:
//   - a record ends at LINES TERMINATED BY outside an enclosed field and not
//     preceded by the escape character; a field ends at FIELDS TERMINATED BY
//     likewise;
//   - with LINES STARTING BY, everything up to and including the prefix is
//     skipped, and a line without it is skipped whole;
//   - an enclosed field runs to the enclosure character followed by a field
//     or line terminator (or the end of the input); a doubled enclosure
//     character inside it stands for one;
//   - the escape character (default backslash) decodes \0 \b \n \r \t \Z as
//     NUL, backspace, newline, carriage return, tab and Ctrl-Z; before any
//     other byte it stands for that byte (so \\ is a backslash and an
//     escaped terminator is data); an unenclosed field that is exactly \N is
//     NULL;
//   - with a non-empty ENCLOSED BY, an unenclosed field that is the word
//     NULL is NULL.
//
// It is not safe for concurrent use.
type loadDataReader struct {
	in  *bufio.Reader
	fmt loadDataFormat
	// esc and enc are the escape and enclosure bytes, valid when hasEsc and
	// hasEnc; an escape equal to the enclosure is only an enclosure.
	esc, enc       byte
	hasEsc, hasEnc bool
}

func newLoadDataReader(in io.Reader, f loadDataFormat) *loadDataReader {
	// MySQL: with an empty LINES TERMINATED BY, lines end where fields do.
	if f.linesTerminatedBy == "" {
		f.linesTerminatedBy = f.fieldsTerminatedBy
	}
	r := &loadDataReader{in: bufio.NewReaderSize(in, 64<<10), fmt: f}
	if len(f.fieldsEnclosedBy) == 1 {
		r.enc, r.hasEnc = f.fieldsEnclosedBy[0], true
	}
	if len(f.fieldsEscapedBy) == 1 && !(r.hasEnc && f.fieldsEscapedBy[0] == r.enc) {
		r.esc, r.hasEsc = f.fieldsEscapedBy[0], true
	}
	return r
}

// at reports whether the input continues with s, and consumes s if so.
func (r *loadDataReader) at(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := r.in.Peek(len(s))
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if string(b) != s {
		return false, nil
	}
	_, err = r.in.Discard(len(s))
	return true, err
}

// atNoConsume reports whether the input continues with s, skipping skip
// bytes first, without consuming anything.
func (r *loadDataReader) atNoConsume(skip int, s string) (bool, error) {
	b, err := r.in.Peek(skip + len(s))
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return len(b) == skip+len(s) && string(b[skip:]) == s, nil
}

// skipToPrefix consumes input up to and including LINES STARTING BY. It
// returns false at the end of the input. A line terminator met first ends
// that line, which is skipped.
func (r *loadDataReader) skipToPrefix() (bool, error) {
	for {
		if ok, err := r.at(r.fmt.linesStartingBy); ok || err != nil {
			return ok, err
		}
		if _, err := r.in.ReadByte(); err != nil {
			if errors.Is(err, io.EOF) {
				return false, nil
			}
			return false, err
		}
	}
}

// next returns the next record's fields, or io.EOF after the last one.
// Empty lines are skipped, as go-mysql-server does.
func (r *loadDataReader) next() ([]loadDataField, error) {
	for {
		if _, err := r.in.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, err
		}
		if r.fmt.linesStartingBy != "" {
			ok, err := r.skipToPrefix()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, io.EOF
			}
		} else if ok, err := r.at(r.fmt.linesTerminatedBy); err != nil {
			return nil, err
		} else if ok {
			continue // an empty line
		}
		return r.record()
	}
}

// skipLine consumes one line for IGNORE n LINES, or returns io.EOF. MySQL
// (and MariaDB) count lines there before LINES STARTING BY applies: a
// header line without the prefix is the one line IGNORE 1 LINES skips.
// An enclosed or escaped line terminator does not end the line.
func (r *loadDataReader) skipLine() error {
	if _, err := r.in.Peek(1); err != nil {
		return err
	}
	if ok, err := r.at(r.fmt.linesTerminatedBy); ok || err != nil {
		return err
	}
	_, err := r.record()
	return err
}

// record reads fields up to the end of the record.
func (r *loadDataReader) record() ([]loadDataField, error) {
	var fields []loadDataField
	for {
		f, lineEnd, err := r.field()
		if err != nil {
			return nil, err
		}
		fields = append(fields, f)
		if lineEnd {
			return fields, nil
		}
	}
}

// field reads one field and its terminator; lineEnd is true when the
// record ends after it (line terminator or end of input).
func (r *loadDataReader) field() (f loadDataField, lineEnd bool, err error) {
	// raw keeps the field's first bytes as they appear in the input, to
	// recognise \N and the word NULL.
	var raw []byte
	keepRaw := func(b ...byte) {
		if len(raw) < 5 {
			raw = append(raw, b...)
		}
	}
	if r.hasEnc {
		if b, err := r.in.Peek(1); err == nil && b[0] == r.enc {
			_, _ = r.in.Discard(1)
			f.enclosed = true
		}
	}
	for {
		if f.enclosed {
			// The closing enclosure: doubled, it is data; followed by a
			// terminator or the end, it closes the field; otherwise it is
			// data too (MySQL keeps a stray quote).
			if b, perr := r.in.Peek(1); perr == nil && b[0] == r.enc {
				if twice, err := r.atNoConsume(1, string(r.enc)); err != nil {
					return f, false, err
				} else if twice {
					_, _ = r.in.Discard(2)
					f.value = append(f.value, r.enc)
					continue
				}
				if endLine, err := r.atNoConsume(1, r.fmt.linesTerminatedBy); err != nil {
					return f, false, err
				} else if endLine {
					_, _ = r.in.Discard(1 + len(r.fmt.linesTerminatedBy))
					return f, true, nil
				}
				if endField, err := r.atNoConsume(1, r.fmt.fieldsTerminatedBy); err != nil {
					return f, false, err
				} else if endField {
					_, _ = r.in.Discard(1 + len(r.fmt.fieldsTerminatedBy))
					return f, false, nil
				}
				if last, err := r.in.Peek(2); len(last) == 1 && errors.Is(err, io.EOF) {
					_, _ = r.in.Discard(1)
					return f, true, nil
				}
			}
		} else {
			// The line terminator first: it may begin with the field
			// terminator (or be it, when LINES TERMINATED BY is empty).
			if ok, err := r.at(r.fmt.linesTerminatedBy); err != nil {
				return f, false, err
			} else if ok {
				return r.finish(f, raw), true, nil
			}
			if ok, err := r.at(r.fmt.fieldsTerminatedBy); err != nil {
				return f, false, err
			} else if ok {
				return r.finish(f, raw), false, nil
			}
		}
		c, err := r.in.ReadByte()
		if errors.Is(err, io.EOF) {
			return r.finish(f, raw), true, nil
		}
		if err != nil {
			return f, false, err
		}
		if !r.hasEsc || c != r.esc {
			keepRaw(c)
			f.value = append(f.value, c)
			continue
		}
		d, err := r.in.ReadByte()
		if errors.Is(err, io.EOF) {
			// A trailing escape character stands for itself.
			keepRaw(c)
			f.value = append(f.value, c)
			return r.finish(f, raw), true, nil
		}
		if err != nil {
			return f, false, err
		}
		keepRaw(c, d)
		f.value = append(f.value, unescapeLoadData(d))
	}
}

// finish marks an unenclosed \N, or the word NULL when fields may be
// enclosed, as NULL.
func (r *loadDataReader) finish(f loadDataField, raw []byte) loadDataField {
	if f.enclosed {
		return f
	}
	if r.hasEsc && len(raw) == 2 && raw[0] == r.esc && raw[1] == 'N' && len(f.value) == 1 {
		f.null, f.value = true, nil
	}
	if r.hasEnc && string(f.value) == "NULL" && string(raw) == "NULL" {
		f.null, f.value = true, nil
	}
	return f
}

// unescapeLoadData decodes the byte after an escape character.
func unescapeLoadData(d byte) byte {
	switch d {
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 0x1a
	}
	return d
}
