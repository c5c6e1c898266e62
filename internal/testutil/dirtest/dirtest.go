// Package dirtest has test helpers over files and directories (key files,
// directory snapshots, grep) that any package may import: unlike
// testutil, it imports nothing of guocedb, so storage tests can use it.
package dirtest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WriteKeyFile writes a master key of 64 hex characters (the byte b
// repeated) to a new file with mode 0600 and returns its path.
func WriteKeyFile(t testing.TB, b byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master.key")
	hex := strings.Repeat(string("0123456789abcdef"[b>>4])+string("0123456789abcdef"[b&15]), 32)
	if err := os.WriteFile(path, []byte(hex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// DirState is every file under a directory: path, mode and content.
type DirState map[string]string

// ReadDirState reads every file under dir (recursively): what a test
// compares before and after an operation that must change nothing.
func ReadDirState(t testing.TB, dir string) DirState {
	t.Helper()
	st := DirState{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			st[rel+"/"] = info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		st[rel] = info.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// FilesContaining returns the files under the given paths (files or
// directories, recursively) whose bytes contain needle: `grep -rl` in
// Go, so that it also reads binary files whole.
func FilesContaining(t testing.TB, needle []byte, paths ...string) []string {
	t.Helper()
	var found []string
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(b, needle) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return found
}
