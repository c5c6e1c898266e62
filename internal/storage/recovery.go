package storage

import (
	"path/filepath"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// AppendUnapplied writes write sets into the commit log of the closed
// data directory dir, the i-th at commit timestamp firstTs+i, as
// committed entries that Badger never received: the state a crash between
// the log's fsync and the apply leaves. The next Open replays them. For
// recovery tests and measurements only; firstTs must be above every
// version in the directory.
func AppendUnapplied(dir string, firstTs uint64, sets []*WriteSet) error {
	props := make([][]byte, len(sets))
	for i, ws := range sets {
		props[i] = encodeEntry(firstTs+uint64(i), ws)
	}
	return raftlog.AppendCommitted(nil, filepath.Join(dir, LogDir), props)
}

// HighestVersion returns the highest commit timestamp in the store.
func (s *Store) HighestVersion() uint64 { return s.db.MaxVersion() }
