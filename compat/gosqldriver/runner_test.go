package gosqldriver

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	driverModule = "github.com/go-sql-driver/mysql"
	// buildTimeout bounds copying the module and building its test binary.
	buildTimeout = 5 * time.Minute
	// perTestTimeout bounds one top-level test of the driver's suite: a
	// hang guard, not a speed bar. TestLongData (32 MB statements, three
	// DSN variants) takes about 60 s against the race-built server
	// alone, and passed 90 s in a CI run with other packages beside it.
	perTestTimeout = 4 * time.Minute
)

// excluded are never run, whatever the server.
var excluded = map[string]string{
	// It dials a public address (1.1.1.1:1234) to provoke a timeout: tests
	// talk to 127.0.0.1 only.
	"TestConnectorReturnsTimeout": "dials a public address",
}

// suite is the driver's compiled test binary and its top-level tests.
type suite struct {
	bin   string
	tests []string
}

var (
	buildOnce  sync.Once
	builtSuite suite
	buildErr   error
)

// driverSuite builds the driver's test binary once per process.
func driverSuite(t *testing.T) suite {
	t.Helper()
	buildOnce.Do(func() { builtSuite, buildErr = buildSuite() })
	if buildErr != nil {
		t.Fatalf("build go-sql-driver/mysql tests: %v", buildErr)
	}
	return builtSuite
}

func buildSuite() (suite, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	// The module directory of the version go.mod pins.
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", driverModule).Output()
	if err != nil {
		return suite{}, fmt.Errorf("go list -m %s: %w", driverModule, err)
	}
	src := strings.TrimSpace(string(out))
	if src == "" {
		return suite{}, fmt.Errorf("module %s is not in the module cache (run go mod download)", driverModule)
	}
	// A process-lifetime directory: the binary is shared by the tests of
	// this package run, and removed by the last of them via os.RemoveAll
	// in TestMain.
	dir := filepath.Join(workDir, "mysql")
	if err := copyTree(src, dir); err != nil {
		return suite{}, fmt.Errorf("copy %s: %w", src, err)
	}
	bin := filepath.Join(workDir, "driver.test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, ".")
	cmd.Dir = dir
	// The copy is its own module: resolve its requirements from its go.sum
	// through the module cache or proxy, never from guocedb's workspace.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return suite{}, fmt.Errorf("go test -c: %w\n%s", err, b)
	}
	list, err := exec.CommandContext(ctx, bin, "-test.list", "^Test").Output()
	if err != nil {
		return suite{}, fmt.Errorf("list tests: %w", err)
	}
	var tests []string
	for _, name := range strings.Fields(string(list)) {
		if strings.HasPrefix(name, "Test") {
			tests = append(tests, name)
		}
	}
	sort.Strings(tests)
	return suite{bin: bin, tests: tests}, nil
}

// copyTree copies the module's files into dst, writable (the module cache
// is read-only).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// target is the server a run talks to, as the driver's tests read it.
type target struct {
	addr, user, pass, dbname string
}

func (tg target) env() []string {
	return append(os.Environ(),
		"MYSQL_TEST_ADDR="+tg.addr,
		"MYSQL_TEST_USER="+tg.user,
		"MYSQL_TEST_PASS="+tg.pass,
		"MYSQL_TEST_DBNAME="+tg.dbname,
		"MYSQL_TEST_PROT=tcp",
		// TestConcurrent opens @@max_connections connections at once.
		"MYSQL_TEST_CONCURRENT=1",
	)
}

// outcome of one top-level test.
type outcome string

const (
	passed  outcome = "pass"
	skipped outcome = "skip"
	failed  outcome = "FAIL"
)

type result struct {
	name     string
	outcome  outcome
	duration time.Duration
	// detail is the tail of the output of a failed test.
	detail string
}

// runSuite runs every top-level test but the excluded ones, one process
// each, one after the other (they share the test database).
func runSuite(t *testing.T, s suite, tg target) []result {
	t.Helper()
	var results []result
	for _, name := range s.tests {
		if _, ok := excluded[name]; ok {
			continue
		}
		results = append(results, runOne(s.bin, name, tg))
	}
	return results
}

func runOne(bin, name string, tg target) result {
	ctx, cancel := context.WithTimeout(context.Background(), perTestTimeout+15*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^"+regexp.QuoteMeta(name)+"$", "-test.v",
		"-test.count=1", "-test.timeout="+perTestTimeout.String())
	cmd.Env = tg.env()
	cmd.Dir = workDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{name: name, duration: time.Since(start)}
	text := out.String()
	switch {
	case err == nil && strings.Contains(text, "--- SKIP: "+name+" "):
		r.outcome = skipped
		r.detail = skipReason(text)
	case err == nil:
		r.outcome = passed
	default:
		r.outcome = failed
		r.detail = tail(fmt.Sprintf("%v\n%s", err, text), 1500)
	}
	return r
}

func skipReason(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if s := strings.TrimSpace(line); strings.Contains(s, ".go:") {
			return s
		}
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// count returns the number of results with outcome o.
func count(rs []result, o outcome) int {
	n := 0
	for _, r := range rs {
		if r.outcome == o {
			n++
		}
	}
	return n
}

// logTable writes the pass/fail table of one run to the test log.
func logTable(t *testing.T, server string, rs []result) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "go-sql-driver/mysql suite against %s: %d passed, %d skipped, %d failed of %d (%s excluded)\n",
		server, count(rs, passed), count(rs, skipped), count(rs, failed), len(rs), strings.Join(sortedKeys(excluded), ", "))
	for _, r := range rs {
		fmt.Fprintf(&b, "  %-4s %-48s %6.2fs\n", r.outcome, r.name, r.duration.Seconds())
	}
	t.Log(b.String())
	for _, r := range rs {
		if r.outcome == failed {
			t.Logf("%s failed on %s:\n%s", r.name, server, r.detail)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
