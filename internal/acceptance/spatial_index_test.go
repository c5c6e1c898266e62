package acceptance

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpatialIndex covers SPATIAL indexes as a store-locator schema uses
// them: declared inline and added to a filled table, used by the planner
// for ST_Intersects and ST_Within, right results (ORDER BY on
// the column too), SHOW CREATE TABLE and information_schema, kept across a
// restart, and MySQL's refusals.
func TestSpatialIndex(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE geo")
		mustExec(t, db, "CREATE TABLE geo.shops (id INT PRIMARY KEY, name VARCHAR(20), loc POINT NOT NULL SRID 0, SPATIAL KEY loc (loc))")
		mustExec(t, db, "INSERT INTO geo.shops VALUES (1, 'centre', POINT(0, 0)), (2, 'north', POINT(0, 5)), "+
			"(3, 'east', POINT(5, 0)), (4, 'far', POINT(50, 50)), (5, 'corner', POINT(1, 1))")
		mustExec(t, db, "CREATE TABLE geo.zones (id INT PRIMARY KEY, area GEOMETRY NOT NULL SRID 0)")
		mustExec(t, db, "INSERT INTO geo.zones VALUES (1, ST_GeomFromText('POLYGON((0 0,0 2,2 2,2 0,0 0))')), "+
			"(2, ST_GeomFromText('LINESTRING(-1 -1,1 1)')), (3, POINT(9, 9))")
		mustExec(t, db, "ALTER TABLE geo.zones ADD SPATIAL INDEX area (area)")

		runCases(t, db, []sqlCase{
			{
				name:  "points inside a box",
				query: "SELECT id FROM geo.shops WHERE ST_Within(loc, ST_GeomFromText('POLYGON((-1 -1,-1 2,2 2,2 -1,-1 -1))')) ORDER BY id",
				want:  [][]string{{"1"}, {"5"}},
			},
			{
				name:  "ST_Intersects on a GEOMETRY column",
				query: "SELECT id FROM geo.zones WHERE ST_Intersects(area, POINT(1, 1)) ORDER BY id",
				want:  [][]string{{"1"}, {"2"}},
			},
			{
				name:  "ORDER BY the indexed column follows MySQL's geometry order",
				query: "SELECT ST_AsText(area) FROM geo.zones WHERE ST_Intersects(area, ST_GeomFromText('POLYGON((-5 -5,-5 10,10 10,10 -5,-5 -5))')) ORDER BY area",
				want:  [][]string{{"POINT(9 9)"}, {"LINESTRING(-1 -1,1 1)"}, {"POLYGON((0 0,0 2,2 2,2 0,0 0))"}},
			},
			{
				name:  "rows written after the index are found",
				setup: []string{"INSERT INTO geo.shops VALUES (6, 'new', POINT(0.5, 0.5))", "DELETE FROM geo.shops WHERE id = 5"},
				query: "SELECT id FROM geo.shops WHERE ST_Within(loc, ST_GeomFromText('POLYGON((-1 -1,-1 2,2 2,2 -1,-1 -1))')) ORDER BY id",
				want:  [][]string{{"1"}, {"6"}},
			},
			{
				name:    "a nullable column cannot take a spatial index",
				setup:   []string{"CREATE TABLE geo.n (id INT PRIMARY KEY, p POINT SRID 0)"},
				query:   "ALTER TABLE geo.n ADD SPATIAL INDEX (p)",
				wantErr: 1252,
			},
			{
				name:    "a non-geometry column cannot take a spatial index",
				query:   "ALTER TABLE geo.n ADD SPATIAL INDEX (id)",
				wantErr: 1687,
			},
		})

		t.Run("the planner uses the index", func(t *testing.T) {
			plan := strings.Join(flatten(queryRows(t, db, "EXPLAIN PLAN SELECT id FROM geo.shops WHERE ST_Intersects(loc, POINT(0, 0))")), "\n")
			require.Contains(t, plan, "IndexedTableAccess(shops)")
			require.Contains(t, plan, "index: [shops.loc]")
		})
	})

	phase(t, dir, "restart", func(t *testing.T, _ string, db *sql.DB) {
		rows := queryRows(t, db, "SHOW CREATE TABLE geo.shops")
		require.Contains(t, rows[0][1], "SPATIAL KEY `loc` (`loc`)")
		require.Equal(t, [][]string{{"area", "SPATIAL"}},
			queryRows(t, db, "SELECT index_name, index_type FROM information_schema.statistics WHERE table_schema = 'geo' AND table_name = 'zones' AND index_name <> 'PRIMARY'"))
		require.Equal(t, [][]string{{"1"}, {"6"}},
			queryRows(t, db, "SELECT id FROM geo.shops WHERE ST_Within(loc, ST_GeomFromText('POLYGON((-1 -1,-1 2,2 2,2 -1,-1 -1))')) ORDER BY id"))
		mustExec(t, db, "ALTER TABLE geo.shops DROP INDEX loc")
		rows = queryRows(t, db, "SHOW CREATE TABLE geo.shops")
		require.NotContains(t, rows[0][1], "SPATIAL")
	})
}
