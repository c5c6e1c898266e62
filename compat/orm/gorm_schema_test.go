package orm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// Event covers the schema features beyond associations: gorm.Model, a
// string primary key, unique columns, a composite unique index, a check
// constraint, serializer and auto time fields.
type Event struct {
	gorm.Model
	Key      string            `gorm:"size:36;unique;not null"`
	Tenant   string            `gorm:"size:32;uniqueIndex:idx_tenant_slug,priority:1"`
	Slug     string            `gorm:"size:64;uniqueIndex:idx_tenant_slug,priority:2"`
	Level    int               `gorm:"check:level_range,level BETWEEN 0 AND 9"`
	Labels   map[string]string `gorm:"serializer:json;type:text"`
	Note     *string           `gorm:"type:text"`
	Score    float64           `gorm:"default:0.5"`
	Day      time.Time         `gorm:"type:date"`
	EditedMs int64             `gorm:"autoUpdateTime:milli"`
}

// Tag has a composite primary key.
type Tag struct {
	Tenant string `gorm:"primaryKey;size:32"`
	Name   string `gorm:"primaryKey;size:32"`
	Uses   uint
}

func TestGORMSchemaFeatures(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app"))
	require.NoError(t, gdb.AutoMigrate(&Event{}, &Tag{}))

	t.Run("second run is a no-op", func(t *testing.T) {
		rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).AutoMigrate(&Event{}, &Tag{}))
		require.Empty(t, rec.ddl())
	})

	t.Run("constraints hold", func(t *testing.T) {
		day := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
		note := "n"
		e := Event{Key: "k1", Tenant: "t", Slug: "s", Level: 3, Labels: map[string]string{"x": "y"}, Note: &note, Day: day}
		require.NoError(t, gdb.Create(&e).Error)
		requireMySQLErr(t, gdb.Create(&Event{Key: "k1", Tenant: "t", Slug: "other", Day: day}).Error, 1062)
		requireMySQLErr(t, gdb.Create(&Event{Key: "k2", Tenant: "t", Slug: "s", Day: day}).Error, 1062)
		requireMySQLErr(t, gdb.Create(&Event{Key: "k3", Tenant: "t", Slug: "s3", Level: 10, Day: day}).Error, 3819)

		var got Event
		require.NoError(t, gdb.First(&got, "`key` = ?", "k1").Error)
		require.Equal(t, map[string]string{"x": "y"}, got.Labels)
		require.Equal(t, "n", *got.Note)
		require.Equal(t, 0.5, got.Score)
		require.True(t, day.Equal(got.Day), got.Day)
		require.NotZero(t, got.EditedMs)
		require.Equal(t, e.ID, got.ID)
	})

	t.Run("composite primary key", func(t *testing.T) {
		require.NoError(t, gdb.Create(&[]Tag{{Tenant: "a", Name: "x"}, {Tenant: "b", Name: "x"}}).Error)
		require.NoError(t, gdb.Model(&Tag{Tenant: "a", Name: "x"}).Update("uses", gorm.Expr("uses + 1")).Error)
		var tags []Tag
		require.NoError(t, gdb.Order("tenant, name").Find(&tags).Error)
		require.Equal(t, []Tag{{Tenant: "a", Name: "x", Uses: 1}, {Tenant: "b", Name: "x"}}, tags)
		requireMySQLErr(t, gdb.Create(&Tag{Tenant: "a", Name: "x"}).Error, 1062)
	})

	t.Run("locking reads", func(t *testing.T) {
		require.NoError(t, gdb.Transaction(func(tx *gorm.DB) error {
			var e Event
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&e, "`key` = ?", "k1").Error; err != nil {
				return err
			}
			return tx.Model(&e).Update("level", e.Level+1).Error
		}))
		var e Event
		require.NoError(t, gdb.First(&e, "`key` = ?", "k1").Error)
		require.Equal(t, 4, e.Level)
		var n int64
		require.NoError(t, gdb.Clauses(clause.Locking{Strength: "SHARE"}).Model(&Event{}).Count(&n).Error)
		require.EqualValues(t, 1, n)
	})

	t.Run("migrator changes", func(t *testing.T) {
		m := gdb.Migrator()
		require.True(t, m.HasConstraint(&Event{}, "level_range"))
		require.NoError(t, m.DropConstraint(&Event{}, "level_range"))
		require.False(t, m.HasConstraint(&Event{}, "level_range"))
		require.NoError(t, m.CreateConstraint(&Event{}, "level_range"))
		require.True(t, m.HasConstraint(&Event{}, "level_range"))

		require.NoError(t, m.DropColumn(&Event{}, "Score"))
		require.False(t, m.HasColumn(&Event{}, "score"))
		require.NoError(t, m.AddColumn(&Event{}, "Score"))
		require.True(t, m.HasColumn(&Event{}, "score"))
		var e Event
		require.NoError(t, gdb.First(&e, "`key` = ?", "k1").Error)
		require.Equal(t, 0.5, e.Score, "the re-added column takes its default")

		require.NoError(t, m.AlterColumn(&Event{}, "Slug"))
		require.NoError(t, m.CreateView("event_keys", gorm.ViewOption{Query: gdb.Model(&Event{}).Select("id, `key`")}))
		var keys []string
		require.NoError(t, gdb.Table("event_keys").Pluck("key", &keys).Error)
		require.Equal(t, []string{"k1"}, keys)
		require.NoError(t, m.DropView("event_keys"))

		tables, err := m.GetTables()
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"events", "tags"}, tables)
		require.NoError(t, m.DropTable(&Tag{}))
		require.False(t, m.HasTable(&Tag{}))

		// A migration after all of that is again a no-op.
		rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).AutoMigrate(&Event{}))
		require.Empty(t, rec.ddl())
	})

	t.Run("prepared statement mode", func(t *testing.T) {
		p := gdb.Session(&gorm.Session{PrepareStmt: true})
		for i := 0; i < 3; i++ {
			var e Event
			require.NoError(t, p.First(&e, "`key` = ?", "k1").Error)
			require.Equal(t, "k1", e.Key)
		}
		require.NoError(t, p.Model(&Event{}).Where("`key` = ?", "k1").Update("slug", "s2").Error)
		var e Event
		require.NoError(t, gdb.First(&e, "`key` = ?", "k1").Error)
		require.Equal(t, "s2", e.Slug)
	})
}

// TestGORMUniqueTagMoves moves a `unique` tag from one column to another:
// GORM adds a UNIQUE constraint and drops the old one with DROP CONSTRAINT.
func TestGORMUniqueTagMoves(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app"))
	type Item struct {
		ID   uint
		Code string `gorm:"size:20"`
		Tag  string `gorm:"size:20;unique"`
	}
	require.NoError(t, gdb.AutoMigrate(&Item{}))
	require.NoError(t, gdb.Create(&[]Item{{Code: "a", Tag: "x"}, {Code: "b", Tag: "y"}}).Error)
	requireMySQLErr(t, gdb.Create(&Item{Code: "c", Tag: "x"}).Error, 1062)

	type Item2 struct {
		ID   uint
		Code string `gorm:"size:20;unique"`
		Tag  string `gorm:"size:20"`
	}
	items := gdb.Table("items")
	require.NoError(t, items.AutoMigrate(&Item2{}))
	require.Equal(t, [][]string{{"code", "UNI"}, {"id", "PRI"}, {"tag", ""}},
		queryStrings(t, gdb, `SELECT column_name, column_key FROM information_schema.columns
			WHERE table_schema = 'app' AND table_name = 'items' ORDER BY column_name`))
	require.NoError(t, gdb.Table("items").Create(&Item2{Code: "c", Tag: "x"}).Error, "tag is no longer unique")
	requireMySQLErr(t, gdb.Table("items").Create(&Item2{Code: "a", Tag: "z"}).Error, 1062)

	rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
	require.NoError(t, gdb.Session(&gorm.Session{Logger: rec}).Table("items").AutoMigrate(&Item2{}))
	require.Empty(t, rec.ddl())
}
