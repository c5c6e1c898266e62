package audit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// BadRecordError names the first record of a file that breaks the chain.
type BadRecordError struct {
	// Seq is the sequence number the record has or, when it cannot be
	// read, the one expected there.
	Seq uint64
	// Line is its line number, from 1.
	Line   int
	Reason string
}

func (e *BadRecordError) Error() string {
	return fmt.Sprintf("first bad record: seq %d (line %d): %s", e.Seq, e.Line, e.Reason)
}

// Verify reads an audit log file and checks every record's HMAC against
// key and the chain: each seq one more than the previous, each HMAC over
// the previous one, the first record carrying the previous HMAC (prev).
// It returns the number of records and the last seq, or a
// *BadRecordError for the first record that is edited, missing,
// reordered or not a record. Removing records from the end of the newest
// file cannot be seen in the file alone: compare the last seq with the
// guocedb_audit_last_seq metric or with the next rotated file.
func Verify(r io.Reader, key []byte) (records int, lastSeq uint64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var prev string
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			return records, lastSeq, &BadRecordError{Seq: lastSeq + 1, Line: line, Reason: "empty line"}
		}
		rec, mac, err := splitLine(raw)
		if err != nil {
			return records, lastSeq, &BadRecordError{Seq: lastSeq + 1, Line: line, Reason: err.Error()}
		}
		switch {
		case records == 0 && rec.Prev == "":
			return records, lastSeq, &BadRecordError{Seq: rec.Seq, Line: line,
				Reason: "the file's first record has no prev (records before it were removed)"}
		case records == 0 && rec.Seq == 1 && rec.Prev != zeroMAC:
			return records, lastSeq, &BadRecordError{Seq: rec.Seq, Line: line, Reason: "record 1 has a previous HMAC"}
		case records == 0:
			prev = rec.Prev
		case rec.Prev != "":
			return records, lastSeq, &BadRecordError{Seq: rec.Seq, Line: line, Reason: "prev inside a file"}
		case rec.Seq != lastSeq+1:
			return records, lastSeq, &BadRecordError{Seq: rec.Seq, Line: line,
				Reason: fmt.Sprintf("seq %d follows seq %d (records removed or reordered)", rec.Seq, lastSeq)}
		}
		body, _, _ := bodyOf(raw)
		if sign(key, prev, body) != mac {
			return records, lastSeq, &BadRecordError{Seq: rec.Seq, Line: line,
				Reason: "HMAC mismatch (the record or the one before it was changed, or the wrong key)"}
		}
		prev, lastSeq = mac, rec.Seq
		records++
	}
	if err := sc.Err(); err != nil {
		return records, lastSeq, err
	}
	return records, lastSeq, nil
}
