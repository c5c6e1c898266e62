//go:build unix

package server

import (
	"io/fs"
	"syscall"
)

// diskUsage is the space a file takes on disk. Badger creates its value
// log and memtable files sparse at their full size (2 GiB and twice
// memtable-size), so the apparent size of a fresh data directory would be
// over 2 GiB; the allocated blocks are what an operator sizes disks by
// (what du shows).
func diskUsage(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}
