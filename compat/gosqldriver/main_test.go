package gosqldriver

import (
	"fmt"
	"os"
	"testing"
)

// workDir holds the copied module and the compiled suite for this process.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gosqldriver")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
