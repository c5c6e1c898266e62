//go:build !linux

package raftlog

// Sync is fsync where fdatasync is not available.
func (f osFile) Sync() error { return f.File.Sync() }
