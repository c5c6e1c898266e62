package testutil

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds one `go build` of the binary on a busy 2-core box.
const buildTimeout = 10 * time.Minute

// built is the one guocedb binary of this test binary. It is the package's
// only shared state: building once per test binary is the point.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// BuildBinary builds ./cmd/guocedb once per test binary (with -race when
// the tests run with -race, so the compiled packages are reused) and
// returns the path of the executable. Call RunMain from TestMain to
// remove it when the tests end.
func BuildBinary(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		built.path, built.dir, built.err = buildBinary()
	})
	if built.err != nil {
		t.Fatalf("build guocedb: %v", built.err)
	}
	return built.path
}

// RunMain runs the tests and removes what BuildBinary built. Use it as
// `func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }`.
func RunMain(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	return code
}

func buildBinary() (path, dir string, err error) {
	root, err := moduleRoot()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "guocedb-bin-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "guocedb")
	args := []string{"build", "-o", path,
		"-ldflags", "-X main.version=test -X main.commit=test"}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/guocedb")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return path, dir, nil
}

// moduleRoot finds the directory of go.mod from the test's working
// directory (the package directory under go test).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the guocedb module")
	}
	return filepath.Dir(gomod), nil
}

// RaceEnabled reports whether the tests, and so the binary BuildBinary
// builds, run under the race detector (several times slower: timing
// figures taken then are not the product's).
func RaceEnabled() bool { return raceEnabled }
