package mysqlserver

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// statementCorpus is every statement-like string literal of the compat
// suites (their SQL files and client scripts) and of the acceptance
// tests, plus the edge cases of TestStatementGatesAreExact and more: the
// corpus on which the one classification must give each feature the
// answer its own text scan gave.
func statementCorpus(t *testing.T) []string {
	t.Helper()
	corpus := []string{
		"SELECT 1", "  (SELECT 1)", "/* c */ SELECT 1", "# c\nDELETE FROM t", "-- c\nUPDATE t SET a=1",
		"/*!INSERT INTO t VALUES (1)*/", "/*!40101 UPDATE t SET a = 1 */", "(INSERT", "INSERTé INTO t",
		"DO 1", "do(1)", "  DO 1, 2", "/* c */ DO 1", "DOX 1", "DO", "\fDO 1", "\fSHOW ERRORS", "'show' errors",
		"`show` errors", "SHOW ERRORS", "show count(*) warnings", "/* c */ SHOW WARNINGS", "(SHOW ERRORS)",
		"GET DIAGNOSTICS @n = NUMBER", "get current diagnostics condition 1 @e = MYSQL_ERRNO", "GETX",
		"CHECKSUM TABLE t", "checksum table a, b extended", "/*!CHECKSUM TABLE t*/",
		"SHOW ENGINE INNODB STATUS", "show engine innodb status;", "SHOW ENGINES",
		"CREATE FUNCTION f() RETURNS INT RETURN 1", "/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`localhost`*/ /*!50003 FUNCTION `f`() RETURNS int RETURN 1 */",
		"CREATE DEFINER = 'u'@'%' FUNCTION f() RETURNS INT RETURN 1", "DROP FUNCTION IF EXISTS f", "drop function db.f",
		"SHOW CREATE FUNCTION f", "(CREATE FUNCTION f() RETURNS INT RETURN 1)", "SELECT 'CREATE FUNCTION'",
		"CREATE PROCEDURE p() SELECT 1", "", "   ", "/* only a comment */", "/* unterminated", "-- no newline",
		"=SHOW ERRORS", "@x", "9 SHOW", "_x", "$x", "SET @a = 1", "KILL 5", "CALL p()",
	}
	literal := regexp.MustCompile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"|`([^`]*)`")
	var files []string
	for _, glob := range []string{"../../compat/testdata/*.sql", "../../compat/scripts/*", "../acceptance/*_test.go", "../../compat/capi/*.c"} {
		m, err := filepath.Glob(glob)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		text := string(b)
		if strings.HasSuffix(f, ".sql") {
			corpus = append(corpus, strings.Split(text, ";")...)
			continue
		}
		for _, m := range literal.FindAllStringSubmatch(text, -1) {
			s := m[1] + m[2]
			if w := sqltext.FirstWord(s); len(w) > 1 && strings.ToUpper(w) == w {
				corpus = append(corpus, s)
			}
		}
	}
	return corpus
}

// TestClassificationAgreesWithOldScans: the one classification per
// statement (sqltext.Classify, read by the handler's features) gives, on
// the corpus, the answers of the scans it replaced: FirstWord /
// StartsWith for SHOW ERRORS, GET DIAGNOSTICS, SHOW ENGINE ... STATUS and
// CHECKSUM TABLE; metrics' own leading-words lexer for the command; and
// every statement the DO and stored function checks accept passes their
// gate.
func TestClassificationAgreesWithOldScans(t *testing.T) {
	corpus := statementCorpus(t)
	require.Greater(t, len(corpus), 500, "corpus too small to mean anything")
	t.Logf("corpus: %d statements", len(corpus))
	for _, q := range corpus {
		st := sqltext.Classify(q)
		require.Equal(t, sqltext.FirstWord(q), st.First(), "first word of %q", q)
		for _, w := range []string{"show", "get", "checksum"} {
			require.Equal(t, sqltext.StartsWith(q, w), st.Is(w), "%s gate of %q", w, q)
		}
		var old [sqltext.MaxWords]string
		n := oldLeadingWords(q, old[:])
		require.Equal(t, old[:n], st.Words(), "leading words of %q", q)
		require.Equal(t, metrics.Classify(q), metrics.ClassifyStatement(&st), "command of %q", q)
		if _, ok := asDoSelect(q); ok {
			require.True(t, strings.EqualFold(st.Word(0), "do"), "DO gate of %q", q)
		}
		if classifyRoutine(lexSQL(versionedCode(q))) != routineNone {
			require.True(t, isRoutineGate(&st), "routine gate of %q", q)
		}
	}
}

// oldLeadingWords is metrics' leading-words lexer as it was before the
// classification moved to sqltext (the reference the test compares to).
func oldLeadingWords(q string, words []string) int {
	n := 0
	for i := 0; i < len(q) && n < len(words); {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '(':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- "):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*!"):
			i += 3
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return n
			}
			i += end + 4
		case oldIsWordByte(c):
			j := i
			for j < len(q) && oldIsWordByte(q[j]) {
				j++
			}
			words[n] = q[i:j]
			n++
			i = j
		case c == '=' || c == '@' || c == '`' || c == '\'' || c == '"' || c == '.' || c == '%':
			i++
		default:
			return n
		}
	}
	return n
}

func oldIsWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}
