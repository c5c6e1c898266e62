package orm

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// allModels in dependency order, as applications list them.
var allModels = []any{&Company{}, &User{}, &Profile{}, &Order{}, &Language{}}

// queryStrings runs a query and returns every row as strings.
func queryStrings(t *testing.T, gdb *gorm.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := gdb.Raw(q, args...).Rows()
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][]string
	for rows.Next() {
		vals := make([]*string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = *v
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestGORMAutoMigrate(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app"))
	require.NoError(t, gdb.AutoMigrate(allModels...))

	require.ElementsMatch(t, [][]string{
		{"companies"}, {"languages"}, {"orders"}, {"profiles"}, {"user_languages"}, {"users"},
	}, queryStrings(t, gdb, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app'"))

	// Real foreign keys, with the actions the tags ask for.
	require.ElementsMatch(t, [][]string{
		{"orders", "fk_users_orders", "users", "CASCADE", "NO ACTION"},
		{"profiles", "fk_users_profile", "users", "CASCADE", "NO ACTION"},
		{"user_languages", "fk_user_languages_language", "languages", "NO ACTION", "NO ACTION"},
		{"user_languages", "fk_user_languages_user", "users", "NO ACTION", "NO ACTION"},
		{"users", "fk_users_company", "companies", "SET NULL", "CASCADE"},
	}, queryStrings(t, gdb, `SELECT table_name, constraint_name, referenced_table_name, delete_rule, update_rule
		FROM information_schema.referential_constraints WHERE constraint_schema = 'app'`))

	// The constraints are enforced.
	err := gdb.Create(&Profile{UserID: 999, Bio: "orphan"}).Error
	requireMySQLErr(t, err, 1452)

	t.Run("second run is a no-op", func(t *testing.T) {
		rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).AutoMigrate(allModels...))
		require.Empty(t, rec.ddl())
		require.NotEmpty(t, rec.stmt, "the migrator inspected the schema")
	})

	t.Run("a model that gains a column and an index", func(t *testing.T) {
		require.NoError(t, gdb.Create(&Company{Name: "acme"}).Error)
		type Company struct {
			ID      uint   `gorm:"primaryKey"`
			Name    string `gorm:"size:100;not null;uniqueIndex"`
			Country string `gorm:"size:2;not null;default:'NL';index:idx_country"`
			Founded int    `gorm:"default:1990"`
		}
		rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).AutoMigrate(&Company{}))
		require.Len(t, rec.ddl(), 3, "two ADD COLUMN and one CREATE INDEX: %v", rec.ddl())

		require.Equal(t, [][]string{
			{"id", "bigint unsigned", "NO", "NULL"},
			{"name", "varchar(100)", "NO", "NULL"},
			{"country", "varchar(2)", "NO", "NL"},
			{"founded", "bigint", "YES", "1990"},
		}, queryStrings(t, gdb, `SELECT column_name, column_type, is_nullable, column_default
			FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'companies'
			ORDER BY ordinal_position`))
		require.True(t, gdb.Migrator().HasIndex(&Company{}, "idx_country"))
		var got Company
		require.NoError(t, gdb.First(&got, "name = ?", "acme").Error)
		require.Equal(t, "NL", got.Country)
		require.Equal(t, 1990, got.Founded)

		// And again: nothing left to do.
		rec = &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).AutoMigrate(&Company{}))
		require.Empty(t, rec.ddl())
	})

	t.Run("a column that changes type", func(t *testing.T) {
		type Profile struct {
			ID     uint   `gorm:"primaryKey"`
			UserID uint   `gorm:"uniqueIndex"`
			Bio    string `gorm:"size:500"`
		}
		require.NoError(t, gdb.AutoMigrate(&Profile{}))
		require.Equal(t, [][]string{{"varchar(500)"}}, queryStrings(t, gdb,
			`SELECT column_type FROM information_schema.columns
			WHERE table_schema = 'app' AND table_name = 'profiles' AND column_name = 'bio'`))
	})

	t.Run("migrator inspection", func(t *testing.T) {
		m := gdb.Migrator()
		require.True(t, m.HasTable(&User{}))
		require.True(t, m.HasColumn(&User{}, "Email"))
		require.True(t, m.HasIndex(&User{}, "idx_users_email"))
		require.True(t, m.HasConstraint(&User{}, "Company"))
		require.True(t, m.HasConstraint(&User{}, "Orders"))
		types, err := m.ColumnTypes(&Order{})
		require.NoError(t, err)
		names := map[string]string{}
		for _, ct := range types {
			// information_schema's data_type, lower case as in MySQL.
			names[ct.Name()] = ct.DatabaseTypeName()
			if ct.Name() == "amount" {
				p, s, ok := ct.DecimalSize()
				require.True(t, ok)
				require.Equal(t, [2]int64{12, 2}, [2]int64{p, s})
			}
			if ct.Name() == "id" {
				pk, ok := ct.PrimaryKey()
				require.True(t, ok && pk)
				ai, ok := ct.AutoIncrement()
				require.True(t, ok && ai)
			}
		}
		require.Equal(t, map[string]string{
			"id": "bigint", "user_id": "bigint", "amount": "decimal", "payload": "blob",
			"meta": "json", "placed_at": "datetime", "shipped": "tinyint",
		}, names)
		idx, err := m.GetIndexes(&User{})
		require.NoError(t, err)
		var idxNames []string
		for _, i := range idx {
			idxNames = append(idxNames, i.Name())
		}
		require.ElementsMatch(t, []string{"PRIMARY", "idx_users_name", "idx_users_email", "idx_users_deleted_at", "fk_users_company"}, idxNames)

		require.NoError(t, m.RenameColumn(&User{}, "age", "years"))
		require.True(t, m.HasColumn(&User{}, "years"))
		require.NoError(t, m.RenameColumn(&User{}, "years", "age"))
		require.NoError(t, m.RenameIndex(&User{}, "idx_users_email", "idx_email"))
		require.True(t, m.HasIndex(&User{}, "idx_email"))
		require.NoError(t, m.DropIndex(&User{}, "idx_email"))
		require.False(t, m.HasIndex(&User{}, "idx_email"))
		require.NoError(t, m.CreateIndex(&User{}, "Email"))
		require.True(t, m.HasIndex(&User{}, "idx_users_email"))
	})
}
