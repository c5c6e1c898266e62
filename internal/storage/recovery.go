package storage

import (
	"path/filepath"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// AppendUnapplied writes write sets into the commit log of the closed
// data directory dir, the i-th at commit timestamp firstTs+i, as
// committed entries that Badger never received: the state a crash between
// the log's fsync and the apply leaves. The next Open replays them. For
// recovery tests and measurements only; firstTs must be above every
// version in the directory. key is the directory's encryption key (nil:
// not encrypted).
func AppendUnapplied(dir string, key *encryption.Key, firstTs uint64, sets []*WriteSet) error {
	props := make([][]byte, len(sets))
	for i, ws := range sets {
		props[i] = encodeEntry(firstTs+uint64(i), ws)
	}
	var sealer raftlog.Sealer
	if key != nil {
		s, err := encryption.NewSealer(key, logKeyUse)
		if err != nil {
			return err
		}
		sealer = s
	}
	return raftlog.AppendCommitted(nil, filepath.Join(dir, LogDir), sealer, props)
}

// HighestVersion returns the highest commit timestamp in the store.
func (s *Store) HighestVersion() uint64 { return s.db.MaxVersion() }
