package mysqlserver

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readAll reads every record; a NULL field shows as <NULL>.
func readAll(t *testing.T, in string, f loadDataFormat) [][]string {
	t.Helper()
	r := newLoadDataReader(strings.NewReader(in), f)
	var out [][]string
	for range 1000 { // bounded: the inputs here have a few records
		fields, err := r.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		var rec []string
		for _, fl := range fields {
			if fl.null {
				rec = append(rec, "<NULL>")
				continue
			}
			rec = append(rec, string(fl.value))
		}
		out = append(out, rec)
	}
	t.Fatal("reader did not reach the end of its input")
	return nil
}

func TestLoadDataReader(t *testing.T) {
	tsv := loadDataFormat{fieldsTerminatedBy: "\t", fieldsEscapedBy: "\\", linesTerminatedBy: "\n"}
	csv := loadDataFormat{fieldsTerminatedBy: ",", fieldsEnclosedBy: "\"", fieldsEscapedBy: "\\", linesTerminatedBy: "\r\n"}
	cases := []struct {
		name string
		in   string
		f    loadDataFormat
		want [][]string
	}{
		{"empty input", "", tsv, nil},
		{"empty lines are skipped", "\n\na\tb\n\n", tsv, [][]string{{"a", "b"}}},
		{"last line without terminator", "a\tb\nc\td", tsv, [][]string{{"a", "b"}, {"c", "d"}}},
		{"empty fields", "\t\n", tsv, [][]string{{"", ""}}},
		{"escapes", `\0\b\n\r\t\Z\\\q` + "\n", tsv, [][]string{{"\x00\b\n\r\t\x1a\\q"}}},
		{"\\N alone is NULL, inside a field it is N", `\N` + "\t" + `a\N` + "\t" + `\NN` + "\n", tsv, [][]string{{"<NULL>", "aN", "NN"}}},
		{"trailing escape stands for itself", `ab\`, tsv, [][]string{{`ab\`}}},
		{"escaped terminators are data", "a\\\tb\\\nc\n", tsv, [][]string{{"a\tb\nc"}}},
		{"no escape character", `a\tb` + "\t\\N\n", loadDataFormat{fieldsTerminatedBy: "\t", linesTerminatedBy: "\n"}, [][]string{{`a\tb`, `\N`}}},
		{"multi-byte terminators", "a||b;;\nc||d;;\n", loadDataFormat{fieldsTerminatedBy: "||", fieldsEscapedBy: "\\", linesTerminatedBy: ";;\n"}, [][]string{{"a", "b"}, {"c", "d"}}},
		{"empty LINES TERMINATED BY uses the field terminator", "a,b,", loadDataFormat{fieldsTerminatedBy: ","}, [][]string{{"a"}, {"b"}}},
		{"enclosed: separators, CRLF, doubled quotes", "\"a,b\",\"x\r\ny\",\"q\"\"q\"\r\n", csv, [][]string{{"a,b", "x\r\ny", "q\"q"}}},
		{"enclosed NULL is a string, bare NULL is NULL", "\"NULL\",NULL,NULLx\r\n", csv, [][]string{{"NULL", "<NULL>", "NULLx"}}},
		{"enclosed field at the end of the input", "1,\"a\"", csv, [][]string{{"1", "a"}}},
		{"stray quote inside an enclosed field", "\"a\"b\",c\r\n", csv, [][]string{{"a\"b", "c"}}},
		{"unterminated enclosure runs to the end", "\"abc", csv, [][]string{{"abc"}}},
		{"LINES STARTING BY", "xxa\tb\nnone\nzzxxc\n", loadDataFormat{fieldsTerminatedBy: "\t", fieldsEscapedBy: "\\", linesStartingBy: "xx", linesTerminatedBy: "\n"}, [][]string{{"a", "b"}, {"c"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readAll(t, tc.in, tc.f))
		})
	}
}

// IGNORE n LINES counts lines before LINES STARTING BY applies, as MariaDB
// does: the header without the prefix is the line skipped.
func TestLoadDataReaderSkipLine(t *testing.T) {
	f := loadDataFormat{fieldsTerminatedBy: ",", fieldsEscapedBy: "\\", linesStartingBy: "xxx", linesTerminatedBy: "\n"}
	r := newLoadDataReader(strings.NewReader("pk,c1\nxxxa,1\n\nb,2\n"), f)
	require.NoError(t, r.skipLine())
	fields, err := r.next()
	require.NoError(t, err)
	require.Equal(t, "a", string(fields[0].value))
	require.NoError(t, r.skipLine()) // the empty line
	require.NoError(t, r.skipLine())
	require.ErrorIs(t, r.skipLine(), io.EOF)
}
