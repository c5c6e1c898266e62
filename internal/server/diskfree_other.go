//go:build !unix

package server

// diskSpace is unknown where statfs is not available.
func diskSpace(string) (free, size uint64, ok bool) { return 0, 0, false }
