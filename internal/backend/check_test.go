package backend_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/storage"
)

// checkSchema builds a data directory through the engine: a table with a
// UNIQUE and a plain index (and a NULL in the unique column), a keyless
// table with an index, and a view.
func checkSchema(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	engine, provider, err := mysqlserver.NewEngine(context.Background(), store, "", "test", nil)
	require.NoError(t, err)
	base := sql.NewBaseSessionWithClientServer("test", sql.Client{Address: "localhost", User: "root"}, 1)
	ctx := sql.NewContext(context.Background(), sql.WithSession(backend.NewSession(base, provider)))
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id BIGINT PRIMARY KEY, k INT NOT NULL, u VARCHAR(20), UNIQUE KEY by_u (u), KEY by_k (k))",
		"INSERT INTO shop.items VALUES (1,10,'a'),(2,20,'b'),(3,30,'c'),(4,40,NULL),(5,50,'e')",
		"CREATE TABLE shop.logs (msg VARCHAR(50), KEY by_msg (msg))",
		"INSERT INTO shop.logs VALUES ('x'),('y'),('x')",
		"CREATE VIEW shop.v AS SELECT id FROM shop.items",
	} {
		_, it, _, err := engine.Query(ctx, q)
		require.NoError(t, err, q)
		_, err = sql.RowIterToRows(ctx, it)
		require.NoError(t, err, q)
	}
	require.NoError(t, provider.Close())
	require.NoError(t, store.Close())
	return dir
}

func runCheck(t *testing.T, dir string) *backend.CheckReport {
	t.Helper()
	store, err := storage.OpenReadOnly(dir, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, store.Close()) }()
	var last, total int64
	r, err := backend.Check(context.Background(), store, backend.CheckOptions{Progress: func(d, tot int64) { last, total = d, tot }})
	require.NoError(t, err)
	require.Equal(t, total, last, "progress ends at its total")
	return r
}

// tableRecord reads what the tests need of a table record: its id and index
// ids by name (docs/storage.md: ctbl/<db>\x00<table>).
func tableRecord(t *testing.T, s *storage.Store, db, table string) (raw []byte, id uint64, indexes map[string]uint32) {
	t.Helper()
	txn := s.Begin()
	defer txn.Discard()
	raw, ok, err := txn.Get([]byte("ctbl/" + db + "\x00" + table))
	require.NoError(t, err)
	require.True(t, ok)
	var def struct {
		ID      uint64 `json:"id"`
		Indexes []struct {
			ID   uint32 `json:"id"`
			Name string `json:"name"`
		} `json:"indexes"`
	}
	require.NoError(t, json.Unmarshal(raw, &def))
	indexes = map[string]uint32{}
	for _, ix := range def.Indexes {
		indexes[ix.Name] = ix.ID
	}
	return raw, def.ID, indexes
}

// keysUnder lists the keys (and values) under prefix.
func keysUnder(t *testing.T, s *storage.Store, prefix []byte) (keys, values [][]byte) {
	t.Helper()
	txn := s.Begin()
	defer txn.Discard()
	end := append(append([]byte(nil), prefix...), 0xff)
	it, err := txn.NewIterator(storage.IterOptions{Start: prefix, End: end})
	require.NoError(t, err)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
		values = append(values, append([]byte(nil), it.Value()...))
	}
	return keys, values
}

func rowPrefix(id uint64) []byte { return append(binary.BigEndian.AppendUint64([]byte{'t'}, id), 'r') }

func indexPrefix(id uint64, ix uint32) []byte {
	return binary.BigEndian.AppendUint32(append(binary.BigEndian.AppendUint64([]byte{'t'}, id), 'i'), ix)
}

func TestCheckHealthyDirectory(t *testing.T) {
	r := runCheck(t, checkSchema(t))
	require.True(t, r.OK(), "problems: %v", r.Problems)
	require.Equal(t, 1, r.Databases)
	require.Equal(t, 2, r.Tables)
	require.Equal(t, 3, r.Indexes)
	require.Equal(t, int64(5+3), r.Rows)
	require.Equal(t, int64(5+5+3+3), r.IndexEntries, "by_u, by_k, by_msg and the keyless table's hidden lookup index")
	require.Empty(t, r.Notes)
}

// TestCheckFindsCorruption damages a real directory one way per case,
// writing keys directly through storage, and checks what is reported.
func TestCheckFindsCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, s *storage.Store) []storage.Mutation
		want    []string // substrings of the problems, in order
		notes   []string
	}{
		{"missing index entry", func(t *testing.T, s *storage.Store) []storage.Mutation {
			_, id, ix := tableRecord(t, s, "shop", "items")
			keys, _ := keysUnder(t, s, indexPrefix(id, ix["by_k"]))
			return []storage.Mutation{{Key: keys[1], Delete: true}}
		}, []string{"missing-index-entry in shop.items index by_k: row has no entry in the index"}, nil},
		{"row deleted under its index entries", func(t *testing.T, s *storage.Store) []storage.Mutation {
			_, id, _ := tableRecord(t, s, "shop", "items")
			keys, _ := keysUnder(t, s, rowPrefix(id))
			return []storage.Mutation{{Key: keys[0], Delete: true}}
		}, []string{
			"row-count-mismatch in shop.items: the exact row count says 5 rows, the table holds 4",
			"dangling-index-entry in shop.items index by_u: index entry points to a row that does not exist",
			"dangling-index-entry in shop.items index by_k: index entry points to a row that does not exist",
		}, nil},
		{"undecodable row", func(t *testing.T, s *storage.Store) []storage.Mutation {
			_, id, _ := tableRecord(t, s, "shop", "logs")
			keys, _ := keysUnder(t, s, rowPrefix(id))
			return []storage.Mutation{{Key: keys[2], Value: []byte{0xde, 0xad}}}
		}, []string{
			"undecodable-row in shop.logs: row does not decode",
			"stale-index-entry in shop.logs index (row lookup): lookup entry's hash does not match the row it points to",
		}, nil},
		{"keyless row without its lookup entry", func(t *testing.T, s *storage.Store) []storage.Mutation {
			_, id, _ := tableRecord(t, s, "shop", "logs")
			keys, _ := keysUnder(t, s, indexPrefix(id, 0xffffffff))
			return []storage.Mutation{{Key: keys[0], Delete: true}}
		}, []string{"missing-index-entry in shop.logs index (row lookup): row has no entry in the hidden lookup index"}, nil},
		{"index entry of another row", func(t *testing.T, s *storage.Store) []storage.Mutation {
			// Entries sort NULL first: [NULL (row 4), 'a' (row 1), 'b'
			// (row 2), ...]. The 'a' entry now names row 2: row 1 lacks
			// its entry, and the entry is stale for row 2.
			_, id, ix := tableRecord(t, s, "shop", "items")
			keys, values := keysUnder(t, s, indexPrefix(id, ix["by_u"]))
			return []storage.Mutation{{Key: keys[1], Value: values[2]}}
		}, []string{
			"index-entry-mismatch in shop.items index by_u: the row's index entry names another row",
			"stale-index-entry in shop.items index by_u: index entry does not match the values of the row",
		}, nil},
		{"table of a missing database, orphan data", func(t *testing.T, s *storage.Store) []storage.Mutation {
			raw, _, _ := tableRecord(t, s, "shop", "items")
			return []storage.Mutation{
				{Key: []byte("ctbl/ghost\x00items"), Value: raw},
				{Key: append(rowPrefix(999), 0x18, 1), Value: []byte{1}},
			}
		}, []string{
			"catalog in ghost.items: table of a database that does not exist",
			"orphan-data: data under table id 999, which no table definition names",
		}, nil},
		{"index of a kind check does not know", func(t *testing.T, s *storage.Store) []storage.Mutation {
			raw, id, ix := tableRecord(t, s, "shop", "items")
			var def map[string]any
			require.NoError(t, json.Unmarshal(raw, &def))
			idx := def["indexes"].([]any)
			for _, x := range idx {
				m := x.(map[string]any)
				if m["name"] == "by_k" {
					m["kind"] = "fulltext"
				}
			}
			b, err := json.Marshal(def)
			require.NoError(t, err)
			// Its entries are of another shape: removing one must not be
			// reported, the index is skipped.
			keys, _ := keysUnder(t, s, indexPrefix(id, ix["by_k"]))
			return []storage.Mutation{{Key: []byte("ctbl/shop\x00items"), Value: b}, {Key: keys[0], Delete: true}}
		}, nil, []string{"shop.items index by_k: skipped, a kind this check does not know (fields kind)"}},
		{"leftover of a dropped index", func(t *testing.T, s *storage.Store) []storage.Mutation {
			_, id, _ := tableRecord(t, s, "shop", "items")
			return []storage.Mutation{{Key: append(indexPrefix(id, 77), 0x18, 5), Value: []byte{1}}}
		}, []string{"orphan-data in shop.items: entries under index id 77, which the table does not define"}, nil},
		{"row count off by five", func(t *testing.T, s *storage.Store) []storage.Mutation {
			_, id, _ := tableRecord(t, s, "shop", "items")
			key := append(append(binary.BigEndian.AppendUint64([]byte{'t'}, id), 'n'), 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 7)
			return []storage.Mutation{{Key: key, Value: binary.BigEndian.AppendUint64(nil, 5)}}
		}, []string{"row-count-mismatch in shop.items: the exact row count says 10 rows, the table holds 5"}, nil},
		{"corrupt catalog record", func(t *testing.T, s *storage.Store) []storage.Mutation {
			return []storage.Mutation{{Key: []byte("ctbl/shop\x00logs"), Value: []byte("{not json")}}
		}, []string{"catalog in shop.logs: table record does not decode", "orphan-data: data under table id"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := checkSchema(t)
			s, err := storage.Open(dir, storage.DefaultOptions(), nil)
			require.NoError(t, err)
			muts := tt.corrupt(t, s)
			require.NoError(t, s.DirectCommit(context.Background(), &storage.WriteSet{Mutations: muts}))
			require.NoError(t, s.Close())

			r := runCheck(t, dir)
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.String())
			}
			require.Equal(t, int64(len(tt.want)), r.ProblemCount, "problems:\n%s", strings.Join(got, "\n"))
			for i, w := range tt.want {
				require.Contains(t, got[i], w)
			}
			require.Equal(t, len(tt.notes), len(r.Notes), "notes: %v", r.Notes)
			for i, n := range tt.notes {
				require.Contains(t, r.Notes[i], n)
			}
		})
	}
}

// TestCheckSkipsFulltextIndexes: a FULLTEXT index keeps its entries in
// pseudo-tables (checked as tables), not in an index key range; the check
// notes it rather than reporting every row as missing its entry.
func TestCheckSkipsFulltextIndexes(t *testing.T) {
	dir := t.TempDir()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	engine, provider, err := mysqlserver.NewEngine(context.Background(), store, "", "test", nil)
	require.NoError(t, err)
	base := sql.NewBaseSessionWithClientServer("test", sql.Client{Address: "localhost", User: "root"}, 1)
	ctx := sql.NewContext(context.Background(), sql.WithSession(backend.NewSession(base, provider)))
	for _, q := range []string{
		"CREATE DATABASE docs",
		"CREATE TABLE docs.d (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY ft (body), title VARCHAR(20), KEY by_title (title))",
		"INSERT INTO docs.d VALUES (1, 'the quick brown fox', 'a'), (2, 'jumps over the lazy dog', 'b')",
	} {
		_, it, _, err := engine.Query(ctx, q)
		require.NoError(t, err, q)
		_, err = sql.RowIterToRows(ctx, it)
		require.NoError(t, err, q)
	}
	require.NoError(t, provider.Close())
	require.NoError(t, store.Close())

	r := runCheck(t, dir)
	require.True(t, r.OK(), "problems: %v", r.Problems)
	require.Len(t, r.Notes, 1)
	require.Contains(t, r.Notes[0], "docs.d index ft: FULLTEXT, its entries are in pseudo-tables")
	require.Greater(t, r.Tables, 1, "the FULLTEXT pseudo-tables are checked as tables")
	require.GreaterOrEqual(t, r.IndexEntries, int64(2), "the index after the FULLTEXT one is checked")
}

// TestCheckSkipsIndexesWithoutEntries: SPATIAL and VECTOR indexes keep no
// entries, and the row count keys live beside the rows; none of them is
// reported.
func TestCheckSkipsIndexesWithoutEntries(t *testing.T) {
	dir := t.TempDir()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	engine, provider, err := mysqlserver.NewEngine(context.Background(), store, "", "test", nil)
	require.NoError(t, err)
	base := sql.NewBaseSessionWithClientServer("test", sql.Client{Address: "localhost", User: "root"}, 1)
	ctx := sql.NewContext(context.Background(), sql.WithSession(backend.NewSession(base, provider)))
	for _, q := range []string{
		"CREATE DATABASE geo",
		"CREATE TABLE geo.p (id INT PRIMARY KEY, pt POINT NOT NULL SRID 0, name VARCHAR(10), SPATIAL KEY sp (pt), KEY by_name (name))",
		"INSERT INTO geo.p VALUES (1, POINT(1,2), 'a'), (2, POINT(3,4), 'b')",
		"DELETE FROM geo.p WHERE id = 2",
	} {
		_, it, _, err := engine.Query(ctx, q)
		require.NoError(t, err, q)
		_, err = sql.RowIterToRows(ctx, it)
		require.NoError(t, err, q)
	}
	require.NoError(t, provider.Close())
	require.NoError(t, store.Close())

	r := runCheck(t, dir)
	require.True(t, r.OK(), "problems: %v", r.Problems)
	require.Len(t, r.Notes, 1, "notes: %v", r.Notes)
	require.Contains(t, r.Notes[0], "geo.p index sp: SPATIAL or VECTOR, it keeps no entries")
	require.Equal(t, int64(1), r.Rows)
	require.Equal(t, int64(1), r.IndexEntries, "by_name is checked")
}
