package mysqlserver

import (
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/stretchr/testify/require"
)

func TestBooleanQueryOperators(t *testing.T) {
	ctx := sql.NewEmptyContext()
	const ci = sql.Collation_utf8mb4_0900_ai_ci
	doc := "MySQL is a relational database server; Badger is a key-value store"
	for _, tc := range []struct {
		query          string
		match, lowered bool
	}{
		{"database", true, false},
		{"DATABASE", true, false},
		{"nothing", false, false},
		{"nothing database", true, false},
		{"+database +badger", true, false},
		{"+database +nothing", false, false},
		{"+database -badger", false, false},
		{"-nothing", false, false}, // exclusions alone match nothing
		{"data*", true, false},
		{"dat*", true, false},
		{"datum*", false, false},
		{`"database server"`, true, false},
		{`"server database"`, false, false},
		{`"relational database`, true, false}, // unclosed phrase ends with the query
		{"+(nothing badger) +mysql", true, false},
		{"+(nothing other) +mysql", false, false},
		{"database ~badger", true, true},
		{"~badger", false, true},
		{">database <nothing", true, false},
		{"((((database", true, false},
		{"database)))", true, false},
		{"+database +go", true, false}, // words below three characters are not searched
		{"+is +go", false, false},
		{"", false, false},
		{"+ - ~ ( ) \"", false, false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			terms, err := parseBoolQuery(ctx, ci, tc.query)
			require.NoError(t, err)
			d, err := newBoolDoc(ctx, ci, []any{doc})
			require.NoError(t, err)
			match, lowered := evalBoolTerms(terms, d)
			require.Equal(t, tc.match, match)
			if tc.match {
				require.Equal(t, tc.lowered, lowered)
			}
		})
	}
}

func TestBooleanQueryNestingIsBounded(t *testing.T) {
	_, err := parseBoolQuery(sql.NewEmptyContext(), sql.Collation_Default, strings.Repeat("(", maxBooleanDepth+2)+"word")
	require.Error(t, err)
}

func TestRewriteBooleanMatch(t *testing.T) {
	stmt, err := ast.Parse("SELECT MATCH(a, b) AGAINST('x' IN BOOLEAN MODE) FROM t " +
		"WHERE MATCH(a, b) AGAINST('+y' IN BOOLEAN MODE) AND MATCH(a) AGAINST('z') " +
		"ORDER BY MATCH(a, b) AGAINST('x' IN BOOLEAN MODE)")
	require.NoError(t, err)
	rewriteBooleanMatch(stmt)
	got := ast.String(stmt)
	require.NotContains(t, got, "boolean mode")
	require.Equal(t, 3, strings.Count(got, matchBooleanFunc+"(match(a, b) against ("))
	require.Contains(t, got, "where "+matchBooleanFunc+"(match(a, b) against ('+y'), a, b, '+y') and match(a) against ('z')")
}
