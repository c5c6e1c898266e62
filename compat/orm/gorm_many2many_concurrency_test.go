package orm

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGORMConcurrentMany2ManyAppend is GORM's own concurrency test
// (TestConcurrentMany2ManyAppendShouldntCreateDuplicates): three goroutines
// append the same language to the same user. GORM wraps each append in a
// transaction that upserts the language, inserts the join row and updates
// users.updated_at; with row locks they queue on the user's row, as in
// InnoDB, instead of failing with 1213 at COMMIT (issue 10).
func TestGORMConcurrentMany2ManyAppend(t *testing.T) {
	gdb := openGORM(t, startDB(t, "app"))
	require.NoError(t, gdb.AutoMigrate(&Company{}, &User{}, &Profile{}, &Order{}, &Language{}))
	user := User{Name: "appender"}
	require.NoError(t, gdb.Create(&user).Error)
	lang := Language{Code: "en"}
	require.NoError(t, gdb.Create(&lang).Error)

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			// Copies: GORM writes into the models it is given.
			u, l := User{ID: user.ID}, lang
			errs <- gdb.Model(&u).Association("Languages").Append(&l)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var got User
	require.NoError(t, gdb.Preload("Languages").First(&got, user.ID).Error)
	require.Len(t, got.Languages, 1)
	require.Equal(t, "en", got.Languages[0].Code)
}
