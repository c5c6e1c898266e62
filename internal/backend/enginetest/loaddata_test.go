package enginetest

import (
	"testing"

	gmstest "github.com/dolthub/go-mysql-server/enginetest"
)

// TestLoadDataGuocedbExecutor runs go-mysql-server's LOAD DATA suites
// through the guocedb server's executor, which reads LOAD DATA input with
// its own iterator (internal/mysqlserver/loaddata.go): every case the stock
// iterator passes must pass there too. The other suites here run with
// go-mysql-server's executor, as its memory engine does.
func TestLoadDataGuocedbExecutor(t *testing.T) {
	chdirToSuiteData(t)
	for name, suite := range map[string]func(*testing.T, gmstest.Harness){
		"TestLoadData":        gmstest.TestLoadData,
		"TestLoadDataErrors":  gmstest.TestLoadDataErrors,
		"TestLoadDataFailing": gmstest.TestLoadDataFailing,
	} {
		t.Run(name, func(t *testing.T) {
			h := NewHarness(t)
			h.UseGuocedbExecutor()
			suite(t, h)
		})
	}
}
