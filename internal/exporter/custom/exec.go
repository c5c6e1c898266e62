package custom

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Flavors understood by WithServerTimeout; they match config.Flavor*.
const (
	flavorMySQL   = "mysql"
	flavorMariaDB = "mariadb"
)

// Result is what a request returned, capped at the row limit.
type Result struct {
	Columns []string
	// Rows holds the values as text; a NULL is nil.
	Rows [][]*string
	// Truncated is true when the server had more rows than the cap; the
	// excess was not read.
	Truncated bool
}

// WithServerTimeout rewrites q so that the server itself stops it after
// timeout, where the flavor supports that: MariaDB's SET STATEMENT
// max_statement_time (seconds) and MySQL's MAX_EXECUTION_TIME optimizer hint
// (milliseconds, SELECT only). Other flavors get q unchanged and rely on
// the client-side deadline.
func WithServerTimeout(flavor, q string, timeout time.Duration) string {
	trimmed := strings.TrimSpace(q)
	switch flavor {
	case flavorMariaDB:
		return fmt.Sprintf("SET STATEMENT max_statement_time=%.3f FOR %s", timeout.Seconds(), trimmed)
	case flavorMySQL:
		if len(trimmed) >= 6 && strings.EqualFold(trimmed[:6], "select") {
			ms := max(timeout.Milliseconds(), 1)
			return fmt.Sprintf("SELECT /*+ MAX_EXECUTION_TIME(%d) */%s", ms, trimmed[6:])
		}
	}
	return trimmed
}

// Run executes request on db inside a read-only transaction, bounded by
// timeout on the client and, per WithServerTimeout, on the server. At most
// maxRows rows are read.
func Run(ctx context.Context, db *sql.DB, flavor, request string, timeout time.Duration, maxRows int) (*Result, error) {
	if err := CheckRequest(request); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// go-sql-driver/mysql turns ReadOnly into START TRANSACTION READ ONLY.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	// Nothing is written, so rollback is the cheap and safe way out.
	defer func() { _ = tx.Rollback() }()

	// The server gets 90% of the budget so that, where it can, it stops the
	// statement itself: a clean error, and the connection stays usable. The
	// client deadline (the full timeout) is the backstop.
	rows, err := tx.QueryContext(ctx, WithServerTimeout(flavor, request, timeout*9/10))
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	res := &Result{Columns: cols}
	raw := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if len(res.Rows) >= maxRows {
			res.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		row := make([]*string, len(cols))
		for i, v := range raw {
			if v.Valid {
				s := v.String
				row[i] = &s
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if !res.Truncated {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("rows: %w", err)
		}
	}
	return res, nil
}
