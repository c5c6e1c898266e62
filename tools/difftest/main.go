// Command difftest runs go-mysql-server's enginetest queries
// (queries.QueryTests over setup.SimpleSetup) against two MySQL-protocol
// servers, guocedb and a reference (MariaDB), and reports every query
// whose answers differ: one fails and the other does not, or the rows
// differ. It is the differential half of the fuzzing work (issue 11): the
// enginetest's own expectations are go-mysql-server's, the reference's
// answers are MySQL's.
//
// Both servers must be on this machine; tools/difftest.sh starts them.
//
//	difftest --guocedb ROOTDSN --reference ROOTDSN [--out FILE] [--limit N]
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/enginetest/queries"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/go-sql-driver/mysql"
)

// answer is what one server said to one query.
type answer struct {
	Err  string     `json:"err,omitempty"`
	Code uint16     `json:"code,omitempty"`
	Rows [][]string `json:"rows,omitempty"`
}

// mismatch is one query on which the servers disagree.
type mismatch struct {
	Query     string `json:"query"`
	Kind      string `json:"kind"` // error-only-guocedb, error-only-reference, rows
	Guocedb   answer `json:"guocedb"`
	Reference answer `json:"reference"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("difftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gdsn := fs.String("guocedb", "", "guocedb DSN (go-sql-driver form, user with every privilege, no database)")
	rdsn := fs.String("reference", "", "reference server DSN (MariaDB or MySQL)")
	out := fs.String("out", "difftest-report.json", "JSON report `FILE`")
	limit := fs.Int("limit", 0, "run at most `N` queries (0: all)")
	timeout := fs.Duration("timeout", 10*time.Second, "per-query time limit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *gdsn == "" || *rdsn == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "difftest: --guocedb and --reference are required")
		return 2
	}
	g, err := open(*gdsn)
	if err != nil {
		fmt.Fprintf(stderr, "difftest: guocedb: %v\n", err)
		return 1
	}
	defer g.Close()
	r, err := open(*rdsn)
	if err != nil {
		fmt.Fprintf(stderr, "difftest: reference: %v\n", err)
		return 1
	}
	defer r.Close()

	for name, db := range map[string]*sql.DB{"guocedb": g, "reference": r} {
		failed := load(db, setup.SimpleSetup)
		fmt.Fprintf(stdout, "setup on %s: %d statements failed\n", name, len(failed))
		for _, f := range failed {
			fmt.Fprintf(stdout, "  %s\n", f)
		}
	}

	tests := queries.QueryTests
	if *limit > 0 && *limit < len(tests) {
		tests = tests[:*limit]
	}
	var (
		report []mismatch
		same   int
	)
	for _, qt := range tests {
		if len(qt.Bindings) > 0 {
			continue // bound parameters are go-mysql-server's own form
		}
		ga := ask(g, qt.Query, *timeout)
		ra := ask(r, qt.Query, *timeout)
		kind := compare(qt.Query, ga, ra)
		if kind == "" {
			same++
			continue
		}
		report = append(report, mismatch{Query: qt.Query, Kind: kind, Guocedb: ga, Reference: ra})
	}
	kinds := map[string]int{}
	for _, m := range report {
		kinds[m.Kind]++
	}
	fmt.Fprintf(stdout, "queries: %d, same answer: %d, different: %d %v\n", same+len(report), same, len(report), kinds)
	b, err := json.MarshalIndent(report, "", "  ")
	if err == nil {
		err = os.WriteFile(*out, b, 0o600)
	}
	if err != nil {
		fmt.Fprintf(stderr, "difftest: write report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "report: %s\n", *out)
	return 0
}

func open(dsn string) (*sql.DB, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one session: USE and variables carry over
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// load runs the setup scripts and returns the statements that failed.
func load(db *sql.DB, scripts [][]setup.SetupScript) []string {
	var failed []string
	for _, group := range scripts {
		for _, script := range group {
			for _, stmt := range script {
				if _, err := db.Exec(stmt); err != nil {
					failed = append(failed, fmt.Sprintf("%.80s: %v", oneLine(stmt), err))
				}
			}
		}
	}
	return failed
}

// ask runs query and renders its answer as text.
func ask(db *sql.DB, query string, timeout time.Duration) answer {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return errAnswer(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return errAnswer(err)
	}
	var a answer
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return errAnswer(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		a.Rows = append(a.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return errAnswer(err)
	}
	return a
}

func errAnswer(err error) answer {
	a := answer{Err: err.Error()}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		a.Code = me.Number
	}
	return a
}

// compare returns "" when the answers agree: both errors, or the same
// rows (in order when the query orders them, else as sets).
func compare(query string, g, r answer) string {
	switch {
	case g.Err != "" && r.Err != "":
		return ""
	case g.Err != "":
		return "error-only-guocedb"
	case r.Err != "":
		return "error-only-reference"
	}
	gr, rr := render(g.Rows), render(r.Rows)
	if !strings.Contains(strings.ToUpper(query), "ORDER BY") {
		sort.Strings(gr)
		sort.Strings(rr)
	}
	if strings.Join(gr, "\n") != strings.Join(rr, "\n") {
		return "rows"
	}
	return ""
}

func render(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\x1f")
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
