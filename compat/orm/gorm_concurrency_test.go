package orm

import (
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

// TestGORMConcurrentUpdates updates one row from several goroutines in
// autocommit (GORM's SkipDefaultTransaction): every update succeeds, as in
// MySQL.
func TestGORMConcurrentUpdates(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app")).Session(&gorm.Session{SkipDefaultTransaction: true})
	require.NoError(t, gdb.AutoMigrate(&Counter{}))
	require.NoError(t, gdb.Create(&Counter{ID: 1}).Error)
	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := gdb.Model(&Counter{ID: 1}).Update("n", gorm.Expr("n + 1")).Error; err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	var failed []error
	for err := range errs {
		failed = append(failed, err)
	}
	require.Empty(t, failed)
	var c Counter
	require.NoError(t, gdb.First(&c, 1).Error)
	require.Equal(t, workers*each, c.N)
}
