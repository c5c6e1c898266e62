package orm

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// migrated starts a server with the models migrated.
func migrated(t *testing.T) *gorm.DB {
	t.Helper()
	gdb := openGORM(t, startDB(t, "app"))
	require.NoError(t, gdb.AutoMigrate(allModels...))
	return gdb
}

func TestGORMCRUD(t *testing.T) {
	gdb := migrated(t)

	acme := Company{Name: "acme"}
	require.NoError(t, gdb.Create(&acme).Error)
	require.NotZero(t, acme.ID)

	placed := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	u := User{
		Name: "ann", Email: "ann@example.com", Age: 31, Company: &acme,
		Profile:   Profile{Bio: "hello"},
		Languages: []Language{{Code: "en"}, {Code: "nl"}},
		Orders: []Order{
			{Amount: decimal.RequireFromString("12.50"), Payload: []byte{0, 1, 2, 255}, PlacedAt: placed,
				Meta: Meta{Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}}},
			{Amount: decimal.RequireFromString("99999999.99"), PlacedAt: placed.Add(time.Hour), Shipped: true},
		},
	}
	require.NoError(t, gdb.Create(&u).Error)
	require.NotZero(t, u.ID)
	require.NotZero(t, u.Profile.ID)
	require.Equal(t, u.ID, u.Profile.UserID)
	require.NotZero(t, u.Orders[0].ID)
	require.NotEqual(t, u.Orders[0].ID, u.Orders[1].ID)
	require.NotZero(t, u.Languages[1].ID)

	t.Run("read with Preload", func(t *testing.T) {
		var got User
		require.NoError(t, gdb.Preload("Company").Preload("Profile").Preload("Languages", func(db *gorm.DB) *gorm.DB {
			return db.Order("code")
		}).Preload("Orders", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
			First(&got, u.ID).Error)
		require.Equal(t, "ann", got.Name)
		require.Equal(t, "acme", got.Company.Name)
		require.Equal(t, "hello", got.Profile.Bio)
		require.Len(t, got.Languages, 2)
		require.Equal(t, "en", got.Languages[0].Code)
		require.Equal(t, "nl", got.Languages[1].Code)
		require.Len(t, got.Orders, 2)
		o := got.Orders[0]
		require.True(t, decimal.RequireFromString("12.50").Equal(o.Amount), o.Amount.String())
		require.Equal(t, []byte{0, 1, 2, 255}, o.Payload)
		require.Equal(t, Meta{Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}}, o.Meta)
		require.True(t, placed.Equal(o.PlacedAt), "%v != %v", placed, o.PlacedAt)
		require.False(t, o.Shipped)
		require.True(t, decimal.RequireFromString("99999999.99").Equal(got.Orders[1].Amount))
		require.True(t, got.Orders[1].Shipped)
		require.Nil(t, got.Orders[1].Payload)
		require.False(t, got.CreatedAt.IsZero())
		require.WithinDuration(t, u.CreatedAt, got.CreatedAt, time.Second)
	})

	t.Run("Joins", func(t *testing.T) {
		var got User
		require.NoError(t, gdb.Joins("Company").Joins("Profile").Where("users.name = ?", "ann").First(&got).Error)
		require.Equal(t, "acme", got.Company.Name)
		require.Equal(t, "hello", got.Profile.Bio)

		var rows []struct {
			Name  string
			Total decimal.Decimal
			N     int
		}
		require.NoError(t, gdb.Model(&User{}).
			Select("users.name, SUM(orders.amount) AS total, COUNT(*) AS n").
			Joins("JOIN orders ON orders.user_id = users.id").
			Group("users.name").Scan(&rows).Error)
		require.Len(t, rows, 1)
		require.Equal(t, "ann", rows[0].Name)
		require.Equal(t, 2, rows[0].N)
		require.True(t, decimal.RequireFromString("100000012.49").Equal(rows[0].Total), rows[0].Total.String())
	})

	t.Run("update", func(t *testing.T) {
		require.NoError(t, gdb.Model(&User{ID: u.ID}).Updates(map[string]any{"age": 32, "email": "a@x.org"}).Error)
		res := gdb.Model(&Order{}).Where("user_id = ? AND shipped = ?", u.ID, false).Update("shipped", true)
		require.NoError(t, res.Error)
		require.EqualValues(t, 1, res.RowsAffected)
		var got User
		require.NoError(t, gdb.First(&got, u.ID).Error)
		require.Equal(t, 32, got.Age)
		require.Equal(t, "a@x.org", got.Email)
		require.True(t, !got.UpdatedAt.Before(got.CreatedAt))
		var shipped int64
		require.NoError(t, gdb.Model(&Order{}).Where("shipped").Count(&shipped).Error)
		require.EqualValues(t, 2, shipped)

		got.Age = 33
		require.NoError(t, gdb.Save(&got).Error)
		var again User
		require.NoError(t, gdb.First(&again, u.ID).Error)
		require.Equal(t, 33, again.Age)

		// Replace a many2many association.
		require.NoError(t, gdb.Model(&got).Association("Languages").Replace([]Language{{Code: "de"}}))
		require.EqualValues(t, 1, gdb.Model(&got).Association("Languages").Count())
		var codes []string
		require.NoError(t, gdb.Model(&Language{}).Order("code").Pluck("code", &codes).Error)
		require.Equal(t, []string{"de", "en", "nl"}, codes)
	})

	t.Run("not found and unique violation", func(t *testing.T) {
		var none User
		require.ErrorIs(t, gdb.First(&none, "name = ?", "nobody").Error, gorm.ErrRecordNotFound)
		requireMySQLErr(t, gdb.Create(&User{Name: "ann"}).Error, 1062)
	})

	t.Run("soft delete", func(t *testing.T) {
		bob := User{Name: "bob"}
		require.NoError(t, gdb.Create(&bob).Error)
		require.NoError(t, gdb.Delete(&bob).Error)
		var n int64
		require.NoError(t, gdb.Model(&User{}).Where("name = ?", "bob").Count(&n).Error)
		require.Zero(t, n)
		var deleted User
		require.NoError(t, gdb.Unscoped().First(&deleted, bob.ID).Error)
		require.True(t, deleted.DeletedAt.Valid)
		require.NoError(t, gdb.Unscoped().Delete(&deleted).Error)
		require.ErrorIs(t, gdb.Unscoped().First(&deleted, bob.ID).Error, gorm.ErrRecordNotFound)
	})

	t.Run("hard delete cascades", func(t *testing.T) {
		require.NoError(t, gdb.Select(clause.Associations).Unscoped().Delete(&User{ID: u.ID}).Error)
		var n int64
		require.NoError(t, gdb.Model(&Order{}).Count(&n).Error)
		require.Zero(t, n)
		require.NoError(t, gdb.Model(&Profile{}).Count(&n).Error)
		require.Zero(t, n)
		require.NoError(t, gdb.Table("user_languages").Count(&n).Error)
		require.Zero(t, n)
	})

	t.Run("ON DELETE SET NULL", func(t *testing.T) {
		c := Company{Name: "gone"}
		require.NoError(t, gdb.Create(&c).Error)
		v := User{Name: "vic", CompanyID: &c.ID}
		require.NoError(t, gdb.Create(&v).Error)
		require.NoError(t, gdb.Delete(&c).Error)
		var got User
		require.NoError(t, gdb.First(&got, v.ID).Error)
		require.Nil(t, got.CompanyID)
	})
}

func TestGORMTransactions(t *testing.T) {
	gdb := migrated(t)
	names := func() []string {
		var out []string
		require.NoError(t, gdb.Model(&Company{}).Order("name").Pluck("name", &out).Error)
		return out
	}
	errBoom := errors.New("boom")

	t.Run("commit", func(t *testing.T) {
		require.NoError(t, gdb.Transaction(func(tx *gorm.DB) error {
			return tx.Create(&Company{Name: "a"}).Error
		}))
		require.Equal(t, []string{"a"}, names())
	})

	t.Run("rollback on error", func(t *testing.T) {
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&Company{Name: "b"}).Error; err != nil {
				return err
			}
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, []string{"a"}, names())
	})

	t.Run("rollback after a failed statement", func(t *testing.T) {
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&Company{Name: "c"}).Error; err != nil {
				return err
			}
			return tx.Create(&Company{Name: "a"}).Error // duplicate
		})
		requireMySQLErr(t, err, 1062)
		require.Equal(t, []string{"a"}, names())
	})

	t.Run("nested transactions use savepoints", func(t *testing.T) {
		require.NoError(t, gdb.Transaction(func(tx *gorm.DB) error {
			require.NoError(t, tx.Create(&Company{Name: "outer"}).Error)
			err := tx.Transaction(func(tx2 *gorm.DB) error {
				require.NoError(t, tx2.Create(&Company{Name: "inner-rolled-back"}).Error)
				return errBoom
			})
			require.ErrorIs(t, err, errBoom)
			return tx.Transaction(func(tx2 *gorm.DB) error {
				return tx2.Create(&Company{Name: "inner-kept"}).Error
			})
		}))
		require.Equal(t, []string{"a", "inner-kept", "outer"}, names())
	})

	t.Run("manual SavePoint and RollbackTo", func(t *testing.T) {
		tx := gdb.Begin()
		require.NoError(t, tx.Error)
		require.NoError(t, tx.Create(&Company{Name: "sp1"}).Error)
		require.NoError(t, tx.SavePoint("s1").Error)
		require.NoError(t, tx.Create(&Company{Name: "sp2"}).Error)
		require.NoError(t, tx.RollbackTo("s1").Error)
		require.NoError(t, tx.Create(&Company{Name: "sp3"}).Error)
		// Another connection sees nothing before the commit.
		require.Equal(t, []string{"a", "inner-kept", "outer"}, names())
		require.NoError(t, tx.Commit().Error)
		require.Equal(t, []string{"a", "inner-kept", "outer", "sp1", "sp3"}, names())
	})

	t.Run("explicit rollback", func(t *testing.T) {
		tx := gdb.Begin()
		require.NoError(t, tx.Create(&Company{Name: "never"}).Error)
		var n int64
		require.NoError(t, tx.Model(&Company{}).Where("name = ?", "never").Count(&n).Error)
		require.EqualValues(t, 1, n, "a transaction reads its own writes")
		require.NoError(t, tx.Rollback().Error)
		require.Equal(t, []string{"a", "inner-kept", "outer", "sp1", "sp3"}, names())
	})
}

func TestGORMUpsertAndBatches(t *testing.T) {
	gdb := migrated(t)

	t.Run("OnConflict DoUpdates", func(t *testing.T) {
		require.NoError(t, gdb.Create(&User{Name: "ann", Email: "old@x", Age: 1}).Error)
		require.NoError(t, gdb.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "name"}},
			DoUpdates: clause.AssignmentColumns([]string{"email"}),
		}).Create(&User{Name: "ann", Email: "new@x", Age: 2}).Error)
		var got User
		require.NoError(t, gdb.First(&got, "name = ?", "ann").Error)
		require.Equal(t, "new@x", got.Email)
		require.Equal(t, 1, got.Age)
	})

	t.Run("OnConflict DoNothing", func(t *testing.T) {
		res := gdb.Clauses(clause.OnConflict{DoNothing: true}).Create(&User{Name: "ann", Email: "ignored"})
		require.NoError(t, res.Error)
		var got User
		require.NoError(t, gdb.First(&got, "name = ?", "ann").Error)
		require.Equal(t, "new@x", got.Email)
	})

	t.Run("OnConflict UpdateAll", func(t *testing.T) {
		require.NoError(t, gdb.Clauses(clause.OnConflict{UpdateAll: true}).
			Create(&[]User{{Name: "ann", Email: "all@x", Age: 7}, {Name: "new", Email: "n@x", Age: 8}}).Error)
		var got []User
		require.NoError(t, gdb.Order("name").Find(&got).Error)
		require.Len(t, got, 2)
		require.Equal(t, "ann", got[0].Name)
		require.Equal(t, "all@x", got[0].Email)
		require.Equal(t, 7, got[0].Age)
		require.Equal(t, "new", got[1].Name)
		require.Equal(t, 8, got[1].Age)
	})

	t.Run("OnConflict with expression", func(t *testing.T) {
		require.NoError(t, gdb.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "name"}},
			DoUpdates: clause.Assignments(map[string]any{"age": gorm.Expr("age + ?", 100)}),
		}).Create(&User{Name: "new"}).Error)
		var got User
		require.NoError(t, gdb.First(&got, "name = ?", "new").Error)
		require.Equal(t, 108, got.Age)
	})

	t.Run("CreateInBatches returns the ids", func(t *testing.T) {
		const n = 250
		cs := make([]Company, n)
		for i := range cs {
			cs[i].Name = "c" + strconv.Itoa(i)
		}
		require.NoError(t, gdb.CreateInBatches(&cs, 40).Error)
		ids := map[uint]string{}
		for _, c := range cs {
			require.NotZero(t, c.ID)
			ids[c.ID] = c.Name
		}
		require.Len(t, ids, n)
		var back []Company
		require.NoError(t, gdb.Order("id").Find(&back).Error)
		require.Len(t, back, n)
		for _, c := range back {
			require.Equal(t, ids[c.ID], c.Name, "id %d", c.ID)
		}
	})

	t.Run("FindInBatches", func(t *testing.T) {
		var seen, batches int
		var last uint
		res := gdb.Model(&Company{}).Order("id").FindInBatches(&[]Company{}, 60, func(tx *gorm.DB, batch int) error {
			cs := *(tx.Statement.Dest.(*[]Company))
			for _, c := range cs {
				require.Greater(t, c.ID, last)
				last = c.ID
			}
			seen += len(cs)
			batches = batch
			return nil
		})
		require.NoError(t, res.Error)
		require.Equal(t, 250, seen)
		require.Equal(t, 5, batches)
		require.EqualValues(t, 250, res.RowsAffected)
	})
}
