package orm

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"
)

// Counter is updated from many goroutines at once.
type Counter struct {
	ID uint `gorm:"primaryKey"`
	N  int
}

// TestGORMConcurrentUpdates updates one row from several goroutines, in
// autocommit (SkipDefaultTransaction) and in GORM's default transaction
// around every write, and creates rows with associations concurrently:
// every write succeeds, as in MySQL (guocedb re-runs a write that lost a
// race, see internal/mysqlserver/replay.go).
func TestGORMConcurrentUpdates(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app"))
	require.NoError(t, gdb.AutoMigrate(&Counter{}, &Company{}, &User{}, &Profile{}, &Order{}, &Language{}))
	require.NoError(t, gdb.Create(&[]Counter{{ID: 1}, {ID: 2}}).Error)
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 3*workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			auto := gdb.Session(&gorm.Session{SkipDefaultTransaction: true})
			for i := 0; i < each; i++ {
				errs <- auto.Model(&Counter{ID: 1}).Update("n", gorm.Expr("n + 1")).Error
				errs <- gdb.Model(&Counter{ID: 2}).Update("n", gorm.Expr("n + ?", 2)).Error
				errs <- gdb.Create(&User{Name: fmt.Sprintf("u%d-%d", w, i), Profile: Profile{Bio: "b"}}).Error
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var cs []Counter
	require.NoError(t, gdb.Order("id").Find(&cs).Error)
	require.Equal(t, []Counter{{ID: 1, N: workers * each}, {ID: 2, N: 2 * workers * each}}, cs)
	var users, profiles int64
	require.NoError(t, gdb.Model(&User{}).Count(&users).Error)
	require.NoError(t, gdb.Model(&Profile{}).Count(&profiles).Error)
	require.EqualValues(t, workers*each, users)
	require.EqualValues(t, workers*each, profiles)
}
