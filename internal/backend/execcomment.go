package backend

import "strings"

// stripExecutableComments removes the markers of MySQL executable comments
// (`/*!50003 ... */`, MariaDB's `/*M!100100 ... */`) from a statement and
// keeps their content, which the server executes anyway. mariadb-dump and
// mysqldump wrap CREATE TRIGGER and CREATE EVENT in them; go-mysql-server
// hands over the statement text as received, and storing it with the
// markers made SHOW CREATE TRIGGER / SHOW CREATE EVENT return them, so a
// reloaded dump dumped again nested them (`/*!50003 /*!50003 CREATE ...`).
// Quoted strings and identifiers and plain comments are left untouched;
// an end marker without a start (outside quotes a syntax error otherwise)
// is dropped.
func stripExecutableComments(q string) string {
	if !strings.Contains(q, "*/") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	var open []bool // per open comment: true for an executable one
	var quote byte  // the quote character of the open literal, or 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && quote != '`' && i+1 < len(q) {
				i++
				b.WriteByte(q[i])
			} else if c == quote {
				quote = 0
			}
		case strings.HasPrefix(q[i:], "/*!") || strings.HasPrefix(q[i:], "/*M!"):
			i += 3
			if q[i-1] == 'M' {
				i++
			}
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
			open = append(open, true)
			i-- // the loop's i++ moves to the first content byte
		case strings.HasPrefix(q[i:], "/*"):
			open = append(open, false)
			b.WriteString("/*")
			i++
		case strings.HasPrefix(q[i:], "*/"):
			// An unmatched end closes an executable comment whose start
			// go-mysql-server cut off (an event body keeps the dump's
			// trailing "*/").
			if len(open) > 0 {
				exec := open[len(open)-1]
				open = open[:len(open)-1]
				if !exec {
					b.WriteString("*/")
				}
			}
			i++
		case (c == '\'' || c == '"' || c == '`') && (len(open) == 0 || open[len(open)-1]):
			quote = c
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
