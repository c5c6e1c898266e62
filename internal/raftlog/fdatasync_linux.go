package raftlog

import (
	"os"

	"golang.org/x/sys/unix"
)

// Sync makes the file's data durable with fdatasync(2): unlike fsync it
// skips metadata a reader does not need (times), so over a preallocated
// segment, whose size does not change, a sync is one data write and one
// device flush instead of a journal commit as well.
func (f osFile) Sync() error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
