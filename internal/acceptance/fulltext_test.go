package acceptance

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ftSetup creates a table with a FULLTEXT index over two columns, and rows
// whose relevance for "database" differs: the word's count per document
// decides the order. The collation is MySQL's default, case-insensitive
// (go-mysql-server's default is utf8mb4_0900_bin).
var ftSetup = []string{
	"CREATE DATABASE ft",
	"USE ft",
	"CREATE TABLE docs (id INT PRIMARY KEY, title VARCHAR(200), body TEXT, FULLTEXT KEY ft_doc (title, body)) " +
		"DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_0900_ai_ci",
	`INSERT INTO docs VALUES
		(1, 'Badger', 'an embedded key value store written in Go'),
		(2, 'Database basics', 'a database keeps data; a database answers queries'),
		(3, 'Cooking', 'how to bake bread at home'),
		(4, 'Database servers', 'MySQL is a database server')`,
}

// matchIDs returns the ids of the rows of query, in order.
func matchIDs(t *testing.T, q querier, query string) []string {
	t.Helper()
	var ids []string
	for _, r := range queryRows(t, q, query) {
		ids = append(ids, r[0])
	}
	return ids
}

// requireRelevanceOrder checks that query returns (id, relevance) rows with
// the ids in want and the relevance strictly decreasing and positive.
func requireRelevanceOrder(t *testing.T, q querier, query string, want []string) {
	t.Helper()
	rows := queryRows(t, q, query)
	var ids []string
	prev := 0.0
	for i, r := range rows {
		ids = append(ids, r[0])
		score, err := strconv.ParseFloat(r[1], 64)
		require.NoError(t, err, r[1])
		require.Greater(t, score, 0.0, "relevance of row %s", r[0])
		if i > 0 {
			require.Less(t, score, prev, "relevance does not decrease at row %s: %v", r[0], rows)
		}
		prev = score
	}
	require.Equal(t, want, ids, "%v", rows)
}

func TestFulltextMatchAndDML(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	for _, s := range ftSetup {
		mustExec(t, c, s)
	}

	t.Run("show create table shows the FULLTEXT KEY", func(t *testing.T) {
		rows := queryRows(t, c, "SHOW CREATE TABLE docs")
		require.Contains(t, rows[0][1], "FULLTEXT KEY `ft_doc` (`title`,`body`)")
	})

	t.Run("pseudo-tables are not listed", func(t *testing.T) {
		require.Equal(t, [][]string{{"docs"}}, queryRows(t, c, "SHOW TABLES"))
		require.Equal(t, [][]string{{"docs"}}, queryRows(t, c,
			"SELECT table_name FROM information_schema.tables WHERE table_schema = 'ft'"))
		require.Equal(t, [][]string{{"ft_doc", "FULLTEXT"}, {"ft_doc", "FULLTEXT"}, {"PRIMARY", "BTREE"}}, queryRows(t, c,
			"SELECT index_name, index_type FROM information_schema.statistics WHERE table_schema = 'ft' ORDER BY index_name"))
	})

	t.Run("natural language mode in relevance order", func(t *testing.T) {
		requireRelevanceOrder(t, c,
			"SELECT id, MATCH(title, body) AGAINST('database') AS score FROM docs "+
				"WHERE MATCH(title, body) AGAINST('database') ORDER BY score DESC",
			[]string{"2", "4"})
		require.Equal(t, []string{"1", "3"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('store bread' IN NATURAL LANGUAGE MODE) ORDER BY id"))
		require.Nil(t, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('nothing')"))
	})

	t.Run("insert update delete keep the index", func(t *testing.T) {
		mustExec(t, c, "INSERT INTO docs VALUES (5, 'Bread', 'sourdough bread and rye bread')")
		require.Equal(t, []string{"3", "5"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('bread') ORDER BY id"))
		mustExec(t, c, "UPDATE docs SET body = 'how to cook rice' WHERE id = 3")
		require.Equal(t, []string{"5"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('bread') ORDER BY id"))
		require.Equal(t, []string{"3"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('rice') ORDER BY id"))
		mustExec(t, c, "DELETE FROM docs WHERE id = 5")
		require.Nil(t, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('bread')"))
		mustExec(t, c, "UPDATE docs SET id = 30 WHERE id = 3")
		require.Equal(t, []string{"30"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('rice')"))
	})

	t.Run("REPLACE, ON DUPLICATE KEY UPDATE and INSERT IGNORE keep the index exact", func(t *testing.T) {
		mustExec(t, c, "INSERT INTO docs VALUES (8, 'Fruit', 'apples')")
		mustExec(t, c, "REPLACE INTO docs VALUES (8, 'Fruit', 'kiwis')")
		mustExec(t, c, "INSERT INTO docs VALUES (8, 'Fruit', 'mangos') ON DUPLICATE KEY UPDATE body = 'papayas'")
		mustExec(t, c, "INSERT IGNORE INTO docs VALUES (8, 'Fruit', 'lemons')")
		requireErrCode(t, execErr(c, "INSERT INTO docs VALUES (8, 'Fruit', 'limes')"), 1062)
		for _, w := range []string{"apples", "kiwis", "mangos", "lemons", "limes"} {
			require.Nil(t, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('"+w+"')"), w)
		}
		require.Equal(t, []string{"8"}, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('papayas')"))
		// One row-count entry per distinct row, one global count per word.
		require.Equal(t, queryRows(t, c, "SELECT COUNT(*) FROM docs"), queryRows(t, c, "SELECT SUM(row_count) FROM docs_ft_doc_fts_row_count"))
		require.Equal(t, [][]string{{"1"}}, queryRows(t, c, "SELECT global_count FROM docs_ft_doc_fts_global_count WHERE word = 'fruit'"))
		mustExec(t, c, "DELETE FROM docs WHERE id = 8")
	})

	t.Run("rollback leaves the index unchanged", func(t *testing.T) {
		before := queryRows(t, c, "SELECT COUNT(*) FROM docs_ft_doc_fts_position")
		mustExec(t, c, "START TRANSACTION")
		mustExec(t, c, "INSERT INTO docs VALUES (6, 'Zebra', 'the zebra database of stripes')")
		require.Equal(t, []string{"6"}, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('zebra')"))
		mustExec(t, c, "ROLLBACK")
		require.Nil(t, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('zebra')"))
		require.Equal(t, before, queryRows(t, c, "SELECT COUNT(*) FROM docs_ft_doc_fts_position"))
		requireRelevanceOrder(t, c,
			"SELECT id, MATCH(title, body) AGAINST('database') AS score FROM docs "+
				"WHERE MATCH(title, body) AGAINST('database') ORDER BY score DESC",
			[]string{"2", "4"})
	})

	t.Run("boolean mode", func(t *testing.T) {
		for _, tc := range []struct {
			against string
			want    []string
		}{
			{"+database -server*", []string{"2"}},
			{"database -servers", []string{"2"}},
			{"+database +mysql", []string{"4"}},
			{"data*", []string{"2", "4"}},
			{"badger store", []string{"1"}},
			{"\"database server\"", []string{"4"}},
			{"\"server database\"", nil},
			{"+embedded +(written stripes)", []string{"1"}},
			{"-database", nil},
			{"nothing", nil},
		} {
			require.Equal(t, tc.want, matchIDs(t, c,
				"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('"+tc.against+"' IN BOOLEAN MODE) ORDER BY id"), tc.against)
		}
		requireRelevanceOrder(t, c,
			"SELECT id, MATCH(title, body) AGAINST('database -cooking' IN BOOLEAN MODE) AS score FROM docs "+
				"WHERE MATCH(title, body) AGAINST('database -cooking' IN BOOLEAN MODE) ORDER BY score DESC",
			[]string{"2", "4"})
		// A prepared statement binds the query.
		rows := queryRows(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST(? IN BOOLEAN MODE) ORDER BY id", "+badger")
		require.Equal(t, [][]string{{"1"}}, rows)
		requireErrCode(t, queryErr(c, "SELECT id FROM docs WHERE MATCH(body) AGAINST('+database' IN BOOLEAN MODE)"), 1191)
	})

	t.Run("modes go-mysql-server lacks are refused with 1235", func(t *testing.T) {
		requireErrCode(t, queryErr(c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('database' WITH QUERY EXPANSION)"), 1235)
	})

	t.Run("FULLTEXT on a temporary table is refused, as by InnoDB", func(t *testing.T) {
		mustExec(t, c, "CREATE TEMPORARY TABLE tmp (id INT PRIMARY KEY, txt TEXT)")
		requireErrCode(t, execErr(c, "ALTER TABLE tmp ADD FULLTEXT INDEX ft (txt)"), 1796)
		require.Equal(t, [][]string{{"docs"}}, queryRows(t, c, "SHOW TABLES"))
		mustExec(t, c, "DROP TEMPORARY TABLE tmp")
	})

	t.Run("ANALYZE, SHOW INDEX and EXPLAIN see the index", func(t *testing.T) {
		rows := queryRows(t, c, "ANALYZE TABLE docs")
		require.Equal(t, "OK", rows[len(rows)-1][3], "%v", rows)
		var types []string
		for _, r := range queryRows(t, c, "SHOW INDEX FROM docs") {
			if r[2] == "ft_doc" {
				types = append(types, r[4]+":"+r[10])
			}
		}
		require.Equal(t, []string{"title:FULLTEXT", "body:FULLTEXT"}, types)
		// After ANALYZE too, MATCH is an index lookup, not a full scan.
		var plan []string
		for _, r := range queryRows(t, c, "EXPLAIN PLAN SELECT id FROM docs WHERE MATCH(title, body) AGAINST('database')") {
			plan = append(plan, r[0])
		}
		require.Contains(t, strings.Join(plan, "\n"), "IndexedTableAccess(docs)", "%s", strings.Join(plan, "\n"))
		require.Equal(t, []string{"2", "4"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('database') ORDER BY id"))
	})

	t.Run("a column outside any FULLTEXT index is refused", func(t *testing.T) {
		requireErrCode(t, queryErr(c, "SELECT id FROM docs WHERE MATCH(body) AGAINST('database')"), 1191)
	})
}

func TestFulltextAlterAddAndDrop(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	mustExec(t, c, "CREATE DATABASE ft")
	mustExec(t, c, "USE ft")
	mustExec(t, c, "CREATE TABLE notes (id INT PRIMARY KEY AUTO_INCREMENT, txt TEXT)")
	for i := 0; i < 50; i++ {
		mustExec(t, c, "INSERT INTO notes (txt) VALUES (?)", sprintf("note number %d about apples", i))
	}
	mustExec(t, c, "INSERT INTO notes (txt) VALUES ('one note about pears')")

	mustExec(t, c, "ALTER TABLE notes ADD FULLTEXT INDEX ft_txt (txt)")
	require.Equal(t, []string{"51"}, matchIDs(t, c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('pears')"))
	require.Len(t, matchIDs(t, c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('apples')"), 50)
	require.Equal(t, [][]string{{"notes"}}, queryRows(t, c, "SHOW TABLES"))

	// A second index shares the config table; dropping one keeps the other.
	mustExec(t, c, "CREATE FULLTEXT INDEX ft_txt2 ON notes (txt)")
	mustExec(t, c, "DROP INDEX ft_txt ON notes")
	requireErrCode(t, queryErr(c, "SELECT COUNT(*) FROM notes_ft_txt_fts_position"), 1146)
	require.Equal(t, []string{"51"}, matchIDs(t, c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('pears')"))

	// A rewrite (new column) rebuilds the index from the rewritten rows.
	mustExec(t, c, "ALTER TABLE notes ADD COLUMN extra INT FIRST")
	mustExec(t, c, "INSERT INTO notes (txt) VALUES ('more pears')")
	require.Equal(t, []string{"51", "52"}, matchIDs(t, c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('pears') ORDER BY id"))

	mustExec(t, c, "ALTER TABLE notes DROP INDEX ft_txt2")
	requireErrCode(t, queryErr(c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('pears')"), 1191)
	requireErrCode(t, queryErr(c, "SELECT COUNT(*) FROM notes_fts_config"), 1146)
	require.Equal(t, [][]string{{"notes"}}, queryRows(t, c, "SHOW TABLES"))

	// TRUNCATE empties the index; DROP TABLE takes the pseudo-tables along.
	mustExec(t, c, "ALTER TABLE notes ADD FULLTEXT INDEX ft_txt (txt)")
	mustExec(t, c, "TRUNCATE TABLE notes")
	require.Nil(t, matchIDs(t, c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('pears')"))
	mustExec(t, c, "INSERT INTO notes (txt) VALUES ('pears again')")
	require.Len(t, matchIDs(t, c, "SELECT id FROM notes WHERE MATCH(txt) AGAINST('pears')"), 1)

	// Renamed, the table keeps its index (and its pseudo-tables' names).
	mustExec(t, c, "RENAME TABLE notes TO memos")
	mustExec(t, c, "INSERT INTO memos (txt) VALUES ('pears once more')")
	require.Len(t, matchIDs(t, c, "SELECT id FROM memos WHERE MATCH(txt) AGAINST('pears')"), 2)

	// Dropping the indexed column drops the index and its pseudo-tables.
	mustExec(t, c, "CREATE TABLE copies (id INT PRIMARY KEY, txt TEXT, FULLTEXT KEY ft (txt))")
	mustExec(t, c, "INSERT INTO copies SELECT id, txt FROM memos")
	require.Len(t, matchIDs(t, c, "SELECT id FROM copies WHERE MATCH(txt) AGAINST('pears')"), 2)
	mustExec(t, c, "ALTER TABLE copies ADD COLUMN keep TEXT, DROP COLUMN txt")
	require.NotContains(t, queryRows(t, c, "SHOW CREATE TABLE copies")[0][1], "FULLTEXT")
	requireErrCode(t, queryErr(c, "SELECT COUNT(*) FROM copies_ft_fts_position"), 1146)
	requireErrCode(t, queryErr(c, "SELECT COUNT(*) FROM copies_fts_config"), 1146)
	require.Equal(t, [][]string{{"copies"}, {"memos"}}, queryRows(t, c, "SHOW TABLES"))

	// A pseudo-table dropped by name breaks the index with a clear error;
	// DROP INDEX still removes it.
	mustExec(t, c, "DROP TABLE notes_ft_txt_fts_global_count")
	err := execErr(c, "INSERT INTO memos (txt) VALUES ('broken')")
	require.ErrorContains(t, err, "notes_ft_txt_fts_global_count")
	mustExec(t, c, "DROP INDEX ft_txt ON memos")
	mustExec(t, c, "INSERT INTO memos (txt) VALUES ('works again')")

	mustExec(t, c, "DROP TABLE memos, copies")
	require.Equal(t, [][]string{}, queryRows(t, c, "SHOW TABLES"))
	mustExec(t, c, "CREATE TABLE notes_ft_txt_fts_position (id INT PRIMARY KEY)")
}

func TestFulltextSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		for _, s := range ftSetup {
			mustExec(t, c, s)
		}
		// DDL commits implicitly: the index filled inside an open
		// transaction stays after its ROLLBACK.
		mustExec(t, c, "CREATE TABLE later (id INT PRIMARY KEY, txt TEXT)")
		mustExec(t, c, "INSERT INTO later VALUES (1, 'quince jam'), (2, 'plum jam')")
		mustExec(t, c, "START TRANSACTION")
		mustExec(t, c, "ALTER TABLE later ADD FULLTEXT KEY ft_txt (txt)")
		mustExec(t, c, "ROLLBACK")
		require.Equal(t, []string{"1"}, matchIDs(t, c, "SELECT id FROM later WHERE MATCH(txt) AGAINST('quince')"))
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		mustExec(t, c, "USE ft")
		requireRelevanceOrder(t, c,
			"SELECT id, MATCH(title, body) AGAINST('database') AS score FROM docs "+
				"WHERE MATCH(title, body) AGAINST('database') ORDER BY score DESC",
			[]string{"2", "4"})
		require.Equal(t, [][]string{{"docs"}, {"later"}}, queryRows(t, c, "SHOW TABLES"))
		require.Equal(t, []string{"1", "2"}, matchIDs(t, c, "SELECT id FROM later WHERE MATCH(txt) AGAINST('jam') ORDER BY id"))
		rows := queryRows(t, c, "SHOW CREATE TABLE docs")
		require.Contains(t, rows[0][1], "FULLTEXT KEY `ft_doc` (`title`,`body`)")
		mustExec(t, c, "INSERT INTO docs VALUES (7, 'Go', 'a database driver for Go')")
		require.Equal(t, []string{"2", "4", "7"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('database') ORDER BY id"))
	})
	phase(t, dir, "after second restart", func(t *testing.T, _ string, db *sql.DB) {
		c := conn(t, db)
		mustExec(t, c, "USE ft")
		// Words shorter than three characters ("Go") are not indexed.
		require.Nil(t, matchIDs(t, c, "SELECT id FROM docs WHERE MATCH(title, body) AGAINST('go')"))
		require.Equal(t, []string{"1", "7"}, matchIDs(t, c,
			"SELECT id FROM docs WHERE MATCH(title, body) AGAINST('embedded driver') ORDER BY id"))
	})
}

// TestFulltextConcurrentWriters runs autocommit inserts from several
// connections that all index one common word: their updates of the
// word's global count conflict, the server re-runs the losers, and no
// row or count is lost.
func TestFulltextConcurrentWriters(t *testing.T) {
	const writers, perWriter = 4, 20
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE ft")
	mustExec(t, db, "CREATE TABLE ft.logs (id INT PRIMARY KEY, msg TEXT, FULLTEXT KEY ft_msg (msg))")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				id := w*perWriter + i
				if _, err := db.ExecContext(ctx, "INSERT INTO ft.logs VALUES (?, ?)", id, sprintf("shared word%d", id)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, matchIDs(t, db, "SELECT id FROM ft.logs WHERE MATCH(msg) AGAINST('shared')"), writers*perWriter)
	require.Equal(t, [][]string{{strconv.Itoa(writers * perWriter)}}, queryRows(t, db,
		"SELECT global_count FROM ft.logs_ft_msg_fts_global_count WHERE word = 'shared'"))
	require.Equal(t, []string{"7"}, matchIDs(t, db, "SELECT id FROM ft.logs WHERE MATCH(msg) AGAINST('word7')"))
}
