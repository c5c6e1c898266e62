package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of an external program a test needs
// (sysbench, mariadbd, prometheus, ...). When it is missing the test is
// skipped on a developer machine but fails under CI=true, where .ci/run
// has installed it and a skip would hide a broken setup.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true but not found: %v", name, err)
	}
	t.Skipf("%s not installed: %v", name, err)
	return ""
}
