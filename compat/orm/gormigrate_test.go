package orm

import (
	"errors"
	"testing"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

// migrations builds a three-step schema history the way gormigrate users
// write it: each step declares the model as it was at that point.
func migrations() []*gormigrate.Migration {
	type Person struct {
		ID   uint   `gorm:"primaryKey"`
		Name string `gorm:"size:64"`
	}
	return []*gormigrate.Migration{
		{
			ID: "202401010000_people",
			Migrate: func(tx *gorm.DB) error {
				if err := tx.AutoMigrate(&Person{}); err != nil {
					return err
				}
				return tx.Create(&[]Person{{Name: "ann"}, {Name: "bob"}}).Error
			},
			Rollback: func(tx *gorm.DB) error { return tx.Migrator().DropTable("people") },
		},
		{
			ID: "202401020000_people_email",
			Migrate: func(tx *gorm.DB) error {
				type Person struct {
					ID    uint   `gorm:"primaryKey"`
					Name  string `gorm:"size:64"`
					Email string `gorm:"size:128;index"`
				}
				if err := tx.AutoMigrate(&Person{}); err != nil {
					return err
				}
				return tx.Exec("UPDATE people SET email = CONCAT(name, '@example.com')").Error
			},
			Rollback: func(tx *gorm.DB) error {
				type Person struct {
					Email string
				}
				return tx.Migrator().DropColumn(&Person{}, "email")
			},
		},
		{
			ID: "202401030000_pets",
			Migrate: func(tx *gorm.DB) error {
				type Pet struct {
					ID       uint `gorm:"primaryKey"`
					PersonID uint
					Person   Person `gorm:"constraint:OnDelete:CASCADE"`
					Name     string `gorm:"size:64"`
				}
				return tx.AutoMigrate(&Pet{})
			},
			Rollback: func(tx *gorm.DB) error { return tx.Migrator().DropTable("pets") },
		},
	}
}

func TestGormigrate(t *testing.T) {
	for _, useTx := range []bool{false, true} {
		name := "without transaction"
		if useTx {
			name = "in a transaction"
		}
		t.Run(name, func(t *testing.T) {
			gdb := openGORM(t, startDB(t, "app"))
			opts := *gormigrate.DefaultOptions
			opts.UseTransaction = useTx
			m := gormigrate.New(gdb, &opts, migrations())

			ran := func() []string {
				var ids []string
				require.NoError(t, gdb.Table("migrations").Order("id").Pluck("id", &ids).Error)
				return ids
			}
			tables := func() []string {
				ts, err := gdb.Migrator().GetTables()
				require.NoError(t, err)
				return ts
			}

			require.NoError(t, m.MigrateTo("202401020000_people_email"))
			require.Equal(t, []string{"202401010000_people", "202401020000_people_email"}, ran())
			require.ElementsMatch(t, []string{"migrations", "people"}, tables())
			require.Equal(t, [][]string{{"ann", "ann@example.com"}, {"bob", "bob@example.com"}},
				queryStrings(t, gdb, "SELECT name, email FROM people ORDER BY id"))

			require.NoError(t, m.Migrate())
			require.Equal(t, []string{"202401010000_people", "202401020000_people_email", "202401030000_pets"}, ran())
			require.ElementsMatch(t, []string{"migrations", "people", "pets"}, tables())
			require.True(t, gdb.Migrator().HasConstraint("pets", "fk_pets_person"))

			// Migrate again: nothing to do.
			require.NoError(t, m.Migrate())
			require.Len(t, ran(), 3)

			require.NoError(t, m.RollbackLast())
			require.Equal(t, []string{"202401010000_people", "202401020000_people_email"}, ran())
			require.ElementsMatch(t, []string{"migrations", "people"}, tables())

			require.NoError(t, m.RollbackTo("202401010000_people"))
			require.Equal(t, []string{"202401010000_people"}, ran())
			require.False(t, gdb.Migrator().HasColumn("people", "email"))
			require.Equal(t, [][]string{{"1", "ann"}, {"2", "bob"}},
				queryStrings(t, gdb, "SELECT id, name FROM people ORDER BY id"))

			// A failing migration leaves the history where it was.
			bad := append(migrations(), &gormigrate.Migration{
				ID:      "202401040000_bad",
				Migrate: func(tx *gorm.DB) error { return tx.Exec("ALTER TABLE nosuch ADD COLUMN x INT").Error },
			})
			err := gormigrate.New(gdb, &opts, bad).Migrate()
			requireMySQLErr(t, err, 1146)
			ids := ran()
			require.NotContains(t, ids, "202401040000_bad")
			if useTx {
				// The whole run rolled back (the DDL before it committed
				// implicitly in MySQL, but the history rows did not).
				require.Equal(t, []string{"202401010000_people"}, ids[:1])
			}

			// Rolling back a step without Rollback is refused.
			noRollback := []*gormigrate.Migration{{ID: "x", Migrate: func(*gorm.DB) error { return nil }}}
			m2 := gormigrate.New(gdb.Session(&gorm.Session{}), &gormigrate.Options{TableName: "migrations2", IDColumnName: "id", IDColumnSize: 255}, noRollback)
			require.NoError(t, m2.Migrate())
			require.True(t, errors.Is(m2.RollbackLast(), gormigrate.ErrRollbackImpossible))
			var n int64
			require.NoError(t, gdb.Table("migrations2").Count(&n).Error)
			require.EqualValues(t, 1, n)
		})
	}
}
