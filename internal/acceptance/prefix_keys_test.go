package acceptance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPrefixKeys covers keys on column prefixes as WordPress declares
// them (UNIQUE (option_name(191)), KEY (meta_key(191)) on utf8mb4
// columns): uniqueness is on the prefix, a lookup by a value longer than
// the prefix re-checks the whole value, TEXT and BLOB columns take a
// prefix, and SHOW CREATE TABLE prints the lengths back.
func TestPrefixKeys(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE wp")
	long := strings.Repeat("x", 191)
	runCases(t, db, []sqlCase{
		{
			name: "unique prefix rejects a second value with the same 191 characters",
			setup: []string{
				"CREATE TABLE wp.options (option_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, " +
					"option_name VARCHAR(255) NOT NULL DEFAULT '', option_value LONGTEXT NOT NULL, " +
					"PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name(191))) " +
					"DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci",
				"INSERT INTO wp.options (option_name, option_value) VALUES ('" + long + "-a', 'one'), ('siteurl', 'http://x')",
			},
			query:   "INSERT INTO wp.options (option_name, option_value) VALUES ('" + long + "-b', 'two')",
			wantErr: 1062,
		},
		{
			name:    "unique prefix compares by the column's collation",
			query:   "INSERT INTO wp.options (option_name, option_value) VALUES ('SITEURL', 'dup')",
			wantErr: 1062,
		},
		{
			name:  "lookup by a value longer than the prefix finds only the whole value",
			query: "SELECT option_value FROM wp.options WHERE option_name = '" + long + "-a'",
			want:  [][]string{{"one"}},
		},
		{
			name:  "lookup of a value sharing the prefix finds nothing",
			query: "SELECT option_value FROM wp.options WHERE option_name = '" + long + "-b'",
			want:  [][]string{},
		},
		{
			name: "ON DUPLICATE KEY UPDATE matches on the prefix",
			setup: []string{
				"INSERT INTO wp.options (option_name, option_value) VALUES ('siteurl', 'http://y') " +
					"ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)",
			},
			query: "SELECT option_name, option_value FROM wp.options WHERE option_name = 'siteurl'",
			want:  [][]string{{"siteurl", "http://y"}},
		},
		{
			name: "prefix counts characters, not bytes",
			setup: []string{
				"CREATE TABLE wp.mb (id INT PRIMARY KEY, n VARCHAR(20), UNIQUE KEY (n(3))) DEFAULT CHARSET=utf8mb4",
				"INSERT INTO wp.mb VALUES (1, 'äöü1')",
				"INSERT INTO wp.mb VALUES (2, 'äöx1')",
			},
			query:   "INSERT INTO wp.mb VALUES (3, 'äöü2')",
			wantErr: 1062,
		},
		{
			name:  "update within the same prefix keeps the row",
			setup: []string{"UPDATE wp.mb SET n = 'äöü9' WHERE id = 1"},
			query: "SELECT id, n FROM wp.mb WHERE n = 'äöü9'",
			want:  [][]string{{"1", "äöü9"}},
		},
		{
			name: "non-unique prefix key on a TEXT column",
			setup: []string{
				"CREATE TABLE wp.postmeta (meta_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, post_id BIGINT UNSIGNED NOT NULL DEFAULT 0, " +
					"meta_key VARCHAR(255), meta_value LONGTEXT, PRIMARY KEY (meta_id), KEY post_id (post_id), " +
					"KEY meta_key (meta_key(191)), KEY meta_value (meta_value(32))) DEFAULT CHARSET=utf8mb4",
				"INSERT INTO wp.postmeta (post_id, meta_key, meta_value) VALUES " +
					"(1, '_edit_lock', 'abcdefghijklmnopqrstuvwxyz0123456789-1'), (1, '_edit_last', 'abcdefghijklmnopqrstuvwxyz0123456789-2'), " +
					"(2, '_edit_lock', 'other')",
			},
			query: "SELECT meta_id FROM wp.postmeta WHERE meta_value = 'abcdefghijklmnopqrstuvwxyz0123456789-2'",
			want:  [][]string{{"2"}},
		},
		{
			name:  "range over a TEXT prefix key re-checks the bound",
			query: "SELECT meta_id FROM wp.postmeta WHERE meta_value > 'abcdefghijklmnopqrstuvwxyz0123456789-1' ORDER BY meta_id",
			want:  [][]string{{"2"}, {"3"}},
		},
		{
			name:  "prefix key on a varchar column",
			query: "SELECT meta_id FROM wp.postmeta WHERE meta_key = '_edit_lock' ORDER BY meta_id",
			want:  [][]string{{"1"}, {"3"}},
		},
		{
			name: "unique prefix key on a BLOB column",
			setup: []string{
				"CREATE TABLE wp.b (id INT PRIMARY KEY, data BLOB, UNIQUE KEY d (data(4)))",
				"INSERT INTO wp.b VALUES (1, X'0001020304'), (2, X'0001020404')",
			},
			query:   "INSERT INTO wp.b VALUES (3, X'00010203FF')",
			wantErr: 1062,
		},
		{
			name: "ALTER TABLE adds a unique prefix key over existing duplicates",
			setup: []string{
				"CREATE TABLE wp.terms (term_id INT PRIMARY KEY, name VARCHAR(200))",
				"INSERT INTO wp.terms VALUES (1, 'uncategorised'), (2, 'uncategorized')",
			},
			query:   "ALTER TABLE wp.terms ADD UNIQUE KEY name (name(10))",
			wantErr: 1062,
		},
		{
			name:  "the failed ALTER left no key behind",
			setup: []string{"ALTER TABLE wp.terms ADD KEY name (name(10))"},
			query: "SELECT term_id FROM wp.terms WHERE name = 'uncategorized'",
			want:  [][]string{{"2"}},
		},
		{
			// MySQL accepts it and makes the prefix unique; guocedb
			// refuses it rather than key the table on the whole value
			// (internal/mysqlserver/pkprefix.go).
			name:    "primary key on a prefix is refused",
			query:   "CREATE TABLE wp.pkp (v VARCHAR(100), PRIMARY KEY (v(3)))",
			wantErr: 1235,
		},
		{
			name:    "added primary key on a prefix is refused",
			setup:   []string{"CREATE TABLE wp.pkp2 (v VARCHAR(100) NOT NULL)"},
			query:   "ALTER TABLE wp.pkp2 ADD PRIMARY KEY (v(3))",
			wantErr: 1235,
		},
	})

	t.Run("SHOW CREATE TABLE prints the prefix lengths", func(t *testing.T) {
		rows := queryRows(t, db, "SHOW CREATE TABLE wp.postmeta")
		require.Len(t, rows, 1)
		require.Contains(t, rows[0][1], "KEY `meta_key` (`meta_key`(191))")
		require.Contains(t, rows[0][1], "KEY `meta_value` (`meta_value`(32))")
		rows = queryRows(t, db, "SHOW CREATE TABLE wp.options")
		require.Contains(t, rows[0][1], "UNIQUE KEY `option_name` (`option_name`(191))")
	})

	t.Run("information_schema.statistics has SUB_PART", func(t *testing.T) {
		require.Equal(t, [][]string{{"meta_key", "191"}, {"meta_value", "32"}, {"post_id", null}, {"meta_id", null}},
			queryRows(t, db, "SELECT column_name, sub_part FROM information_schema.statistics "+
				"WHERE table_schema = 'wp' AND table_name = 'postmeta' ORDER BY index_name"))
	})
}
