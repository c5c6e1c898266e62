package gosqldriver

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	exptestutil "github.com/guocedb/guocedb/internal/exporter/testutil"
	"github.com/guocedb/guocedb/internal/testutil"
)

// knownFailures are the driver's tests guocedb does not pass yet, each
// with the reason. Every other test must pass (or skip); a listed test
// that starts passing is reported so that it can leave the list.
var knownFailures = map[string]string{
	"TestPreparedManyCols": "65535 placeholders: vitess sizes the NULL bitmap in 16 bits (wraps from 65529 on), " +
		"so guocedb refuses more than 65528 at PREPARE with error 1390",
}

func TestDriverSuiteGuocedb(t *testing.T) {
	t.Parallel() // its own server; the MariaDB run overlaps
	s := driverSuite(t)
	// TLS on, as a MySQL 8 server has it: the driver's TLS tests need it.
	// A TLS listener does not offer compression (see README), so the
	// suite's "compress" subtests run uncompressed here; compression has
	// its own tests in internal/acceptance.
	addr, db := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) { c.TLSAutoGenerate, c.LocalInfile = true, true }))
	_, err := db.Exec("CREATE DATABASE gotest")
	require.NoError(t, err)

	results := runSuite(t, s, target{addr: addr, user: "root", dbname: "gotest"})
	logTable(t, "guocedb", results)
	for _, r := range results {
		reason, known := knownFailures[r.name]
		switch {
		case r.outcome == failed && !known:
			t.Errorf("%s fails (not a known failure):\n%s", r.name, r.detail)
		case r.outcome != failed && known:
			t.Logf("%s passes now; remove it from knownFailures (%s)", r.name, reason)
		}
	}
}

// TestDriverSuiteMariaDB measures the same suite against a throw-away
// MariaDB, the reference figure for guocedb's count. It asserts nothing
// about MariaDB's failures: they are MariaDB's.
func TestDriverSuiteMariaDB(t *testing.T) {
	t.Parallel()
	s := driverSuite(t)
	// TLS on, like the guocedb run (the driver's TLS tests need it).
	certs := testutil.NewTestCerts(t)
	m := exptestutil.StartMariaDB(t, "--ssl-cert="+certs.CertFile, "--ssl-key="+certs.KeyFile, "--ssl-ca="+certs.CAFile)
	m.Exec(t,
		"CREATE USER 'gotest'@'127.0.0.1' IDENTIFIED BY 'gotest'",
		"GRANT ALL ON *.* TO 'gotest'@'127.0.0.1' WITH GRANT OPTION",
		"CREATE DATABASE gotest",
	)
	results := runSuite(t, s, target{addr: m.Addr, user: "gotest", pass: "gotest", dbname: "gotest"})
	logTable(t, "MariaDB", results)
	require.NotZero(t, count(results, passed), "nothing passed against MariaDB: the runner is broken")
}
