package mysqlserver

import (
	"context"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// FuzzParse feeds arbitrary statements through the parser guocedb puts in
// front of go-mysql-server's (locking clauses, DO in procedure bodies,
// BOOLEAN MODE, LOAD DATA's grants, EXPLAIN formats): a statement parses
// or fails with an error, never a panic. parseGuarded turns vitess's
// panics into errors, so the target also fails on any panic of vitess's
// own parser that the glued-SELECT retry does not cure: each is a new
// finding, to be cured or listed in parseGuarded's comment. (Offsets
// refer to the rewritten text, see lockingParser, so they are not
// compared with the input's.)
func FuzzParse(f *testing.F) {
	for _, q := range []string{
		"SELECT * FROM t WHERE id = 1 FOR SHARE OF t NOWAIT",
		"SELECT a FROM t LOCK IN SHARE MODE",
		"CREATE PROCEDURE p() BEGIN DO 1; DO SLEEP(0); END",
		"SELECT * FROM t WHERE MATCH(a) AGAINST ('+x -y' IN BOOLEAN MODE)",
		"LOAD DATA LOCAL INFILE '/x' REPLACE INTO TABLE d.t FIELDS TERMINATED BY ','",
		"EXPLAIN FORMAT=TRADITIONAL SELECT 1",
		"SELECT 'x' INTO OUTFILE '/tmp/x'",
		"SELECT /*!80000 1, */ 2; SELECT 3",
		"",
	} {
		f.Add(q)
	}
	p := lockingParser{Parser: procDoParser{sql.NewMysqlParser()}}
	vitessParse := func(q string) error {
		_, err := ast.ParseWithOptions(context.Background(), q, ast.ParserOptions{})
		return err
	}
	f.Fuzz(func(t *testing.T, q string) {
		if panicked, _ := tryParse(q, vitessParse); panicked {
			if again, _ := tryParse(unglueSelect(q), vitessParse); again {
				t.Fatalf("vitess's parser panics on %q, also with SELECT unglued", q)
			}
		}
		_, _ = p.ParseSimple(q)
		_, _, _ = p.ParseOneWithOptions(context.Background(), q, ast.ParserOptions{})
		_, _, _, _ = p.ParseWithOptions(context.Background(), q, ';', true, ast.ParserOptions{})
	})
}
