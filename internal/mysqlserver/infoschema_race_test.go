package mysqlserver

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConcurrentInformationSchema runs information_schema queries from
// several connections at once: under -race, go-mysql-server's shared
// table instances raced here (isolatedInfoSchema).
func TestConcurrentInformationSchema(t *testing.T) {
	db, stop := startServer(t, t.TempDir())
	defer stop()
	for _, q := range []string{
		"CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v INT, KEY kv (v))",
		"CREATE PROCEDURE d.p() SELECT 1",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	queries := []string{
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'd'",
		"SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = 'd'",
		"SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = 'd'",
		"SELECT COUNT(*) FROM information_schema.parameters WHERE specific_schema = 'd'",
		"SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'd'",
	}
	want := []int{1, 2, 1, 0, 2}
	var wg sync.WaitGroup
	errs := make(chan error, 4*20*len(queries))
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				for j, q := range queries {
					var n int
					if err := db.QueryRow(q).Scan(&n); err != nil {
						errs <- err
						continue
					}
					if n != want[j] {
						errs <- fmt.Errorf("%s: %d, want %d", q, n, want[j])
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
