package acceptance

import (
	"database/sql"
	"testing"
)

// objectsSchema creates a view, a trigger, a procedure, CHECK constraints
// and foreign keys with each ON DELETE action.
var objectsSchema = []string{
	"CREATE DATABASE obj",
	"CREATE TABLE obj.items (id INT PRIMARY KEY, name VARCHAR(20), qty INT, CONSTRAINT qty_positive CHECK (qty > 0))",
	"CREATE VIEW obj.big_items AS SELECT id, name FROM obj.items WHERE qty >= 10",
	"CREATE TABLE obj.audit (id INT PRIMARY KEY AUTO_INCREMENT, item_id INT, note VARCHAR(40))",
	"CREATE TRIGGER obj.items_ai AFTER INSERT ON obj.items FOR EACH ROW INSERT INTO obj.audit (item_id, note) VALUES (NEW.id, CONCAT('added ', NEW.name))",
	"CREATE TRIGGER obj.items_bu BEFORE UPDATE ON obj.items FOR EACH ROW SET NEW.name = UPPER(NEW.name)",
	"CREATE PROCEDURE obj.add_item(IN p_id INT, IN p_name VARCHAR(20), IN p_qty INT) BEGIN INSERT INTO obj.items VALUES (p_id, p_name, p_qty); END",
	"CREATE PROCEDURE obj.count_items(OUT n INT) BEGIN SELECT COUNT(*) INTO n FROM obj.items; END",
	"CREATE TABLE obj.parent (id INT PRIMARY KEY)",
	"CREATE TABLE obj.c_cascade (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES obj.parent (id) ON DELETE CASCADE)",
	"CREATE TABLE obj.c_setnull (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES obj.parent (id) ON DELETE SET NULL)",
	"CREATE TABLE obj.c_restrict (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES obj.parent (id) ON DELETE RESTRICT)",
}

// objectCases exercise the objects of objectsSchema; base offsets the
// ids so that the cases run again after a restart on fresh rows.
func objectCases(base string) []sqlCase {
	id := func(n string) string { return base + n }
	return []sqlCase{
		{name: "view", setup: []string{"INSERT INTO obj.items VALUES (" + id("1") + ", 'bolt', 50), (" + id("2") + ", 'nut', 5)"},
			query: "SELECT name FROM obj.big_items WHERE id = " + id("1") + " OR id = " + id("2"), want: [][]string{{"bolt"}}},
		{name: "after insert trigger", query: "SELECT note FROM obj.audit WHERE item_id IN (" + id("1") + ", " + id("2") + ") ORDER BY item_id",
			want: [][]string{{"added bolt"}, {"added nut"}}},
		{name: "before update trigger", setup: []string{"UPDATE obj.items SET name = 'washer' WHERE id = " + id("2")},
			query: "SELECT name FROM obj.items WHERE id = " + id("2"), want: [][]string{{"WASHER"}}},
		{name: "procedure", setup: []string{"CALL obj.add_item(" + id("3") + ", 'gear', 12)"},
			query: "SELECT name, qty FROM obj.items WHERE id = " + id("3"), want: [][]string{{"gear", "12"}}},
		{name: "procedure out parameter", setup: []string{"CALL obj.count_items(@n)"},
			query: "SELECT @n >= 3", want: [][]string{{"1"}}},
		{name: "check violation", query: "INSERT INTO obj.items VALUES (" + id("4") + ", 'bad', 0)", wantErr: 3819},
		{name: "check violation on update", query: "UPDATE obj.items SET qty = -1 WHERE id = " + id("1"), wantErr: 3819},
		{name: "check violation wrote nothing", query: "SELECT COUNT(*) FROM obj.items WHERE id = " + id("4"), want: [][]string{{"0"}}},
		{name: "fk child without parent", query: "INSERT INTO obj.c_cascade VALUES (" + id("1") + ", " + id("9") + ")", wantErr: 1452},
		{name: "fk setup", setup: []string{
			"INSERT INTO obj.parent VALUES (" + id("1") + "), (" + id("2") + "), (" + id("3") + ")",
			"INSERT INTO obj.c_cascade VALUES (" + id("1") + ", " + id("1") + "), (" + id("2") + ", " + id("2") + ")",
			"INSERT INTO obj.c_setnull VALUES (" + id("1") + ", " + id("1") + ")",
			"INSERT INTO obj.c_restrict VALUES (" + id("1") + ", " + id("3") + ")",
		}, query: "SELECT COUNT(*) FROM obj.c_cascade WHERE id IN (" + id("1") + ", " + id("2") + ")", want: [][]string{{"2"}}},
		{name: "fk on delete cascade", setup: []string{"DELETE FROM obj.parent WHERE id = " + id("1")},
			query: "SELECT id FROM obj.c_cascade WHERE id IN (" + id("1") + ", " + id("2") + ")", want: [][]string{{id("2")}}},
		{name: "fk on delete set null", query: "SELECT pid FROM obj.c_setnull WHERE id = " + id("1"), want: [][]string{{null}}},
		{name: "fk on delete restrict", query: "DELETE FROM obj.parent WHERE id = " + id("3"), wantErr: 1451},
		{name: "fk restrict kept the parent", query: "SELECT COUNT(*) FROM obj.parent WHERE id = " + id("3"), want: [][]string{{"1"}}},
		{name: "fk update child to missing parent", query: "UPDATE obj.c_cascade SET pid = 999999 WHERE id = " + id("2"), wantErr: 1452},
	}
}

// TestSchemaObjects checks views, triggers, procedures, CHECK
// constraints and foreign keys, and that they all survive a restart.
func TestSchemaObjects(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "create", func(t *testing.T, _ string, db *sql.DB) {
		for _, s := range objectsSchema {
			mustExec(t, db, s)
		}
		runCases(t, db, objectCases("1"))
	})
	phase(t, dir, "after restart", func(t *testing.T, _ string, db *sql.DB) {
		runCases(t, db, []sqlCase{
			{name: "objects are listed", query: "SELECT " +
				"(SELECT COUNT(*) FROM information_schema.views WHERE table_schema = 'obj'), " +
				"(SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'obj'), " +
				"(SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = 'obj'), " +
				"(SELECT COUNT(*) FROM information_schema.check_constraints WHERE constraint_schema = 'obj'), " +
				"(SELECT COUNT(*) FROM information_schema.referential_constraints WHERE constraint_schema = 'obj')",
				want: [][]string{{"1", "2", "2", "1", "3"}}},
			{name: "rows written before the restart", query: "SELECT id, pid FROM obj.c_setnull ORDER BY id", want: [][]string{{"11", null}}},
		})
		runCases(t, db, objectCases("2"))
	})
}
