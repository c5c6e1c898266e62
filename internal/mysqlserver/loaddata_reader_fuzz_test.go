package mysqlserver

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzLoadDataReader feeds arbitrary input, under arbitrary FIELDS and
// LINES clauses, to the LOAD DATA reader: it must end (every call to next
// consumes input or reports the end), never panic, and never return more
// bytes of field values than the input holds.
func FuzzLoadDataReader(f *testing.F) {
	f.Add("a\tb\\tc\n\\N\t\n", "\t", "", "\\", "", "\n")
	f.Add("\"x,\"\"y\"\",z\r\n1,NULL,\"\"\r\n", ",", "\"", "\\", "", "\r\n")
	f.Add("skip>a|b||c>d|\\|e||", "|", "", "\\", ">", "||")
	f.Add("no terminator at the end\\", ",", "'", "'", "", "")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, in, fieldsTerm, enclosed, escaped, starting, linesTerm string) {
		if len(enclosed) > 1 || len(escaped) > 1 || fieldsTerm == "" {
			return // the planner refuses these clauses
		}
		r := newLoadDataReader(strings.NewReader(in), loadDataFormat{
			fieldsTerminatedBy: fieldsTerm,
			fieldsEnclosedBy:   enclosed,
			fieldsEscapedBy:    escaped,
			linesStartingBy:    starting,
			linesTerminatedBy:  linesTerm,
		})
		total := 0
		for range len(in) + 2 {
			fields, err := r.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return
			}
			for _, fl := range fields {
				total += len(fl.value)
			}
			if total > len(in) {
				t.Fatalf("fields hold %d bytes of an input of %d", total, len(in))
			}
		}
		t.Fatalf("reader did not end within %d records of a %d-byte input", len(in)+2, len(in))
	})
}
