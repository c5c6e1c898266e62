package mysqlserver

import (
	"strings"
	"testing"
)

// FuzzRoutineStatements: reading a function statement's text never
// panics, and the multi-statement split returns a prefix of the text.
func FuzzRoutineStatements(f *testing.F) {
	for _, s := range []string{
		"CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x * 2; SELECT 1",
		"CREATE DEFINER=`u`@`%` FUNCTION d.f() RETURNS VARCHAR(3) CHARSET utf8mb4 BEGIN IF 1 THEN RETURN 'a'; END IF; RETURN CASE WHEN 1 THEN 'b' END; END; SELECT 2",
		"/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`localhost`*/ /*!50003 FUNCTION `f`() RETURNS int\nRETURN 1 */",
		"DROP FUNCTION IF EXISTS `a`.`b`", "SHOW CREATE FUNCTION f", "CREATE FUNCTION f(", "/*!", "'", "CREATE FUNCTION f() RETURNS INT l: BEGIN END",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		code := versionedCode(q)
		toks := lexSQL(code)
		_ = classifyRoutine(toks)
		first, _ := statementEnd(code, toks)
		if !strings.HasPrefix(code, first) {
			t.Fatalf("first statement %q is not a prefix of %q", first, code)
		}
		if fd, err := parseCreateFunction(code); err == nil {
			_, _ = returnOnlyText(fd.body, []funcParam{{name: "x"}})
			_ = fd.createStatement("`u`@`h`")
		}
	})
}
