package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backup"
)

// TestRestoreRefusesBadInput checks that every kind of bad input is
// refused with its error before anything is written, and leaves neither
// the target nor a temporary directory behind.
func TestRestoreRefusesBadInput(t *testing.T) {
	files := t.TempDir()
	s := openStore(t, t.TempDir())
	commit(t, s, "a=1", "b=2")
	full, fm := backupFile(t, s, files, "full", backup.Options{})
	commit(t, s, "a=3")
	inc1, im1 := backupFile(t, s, files, "inc1", backup.SinceOptions(fm, backup.Options{}))
	commit(t, s, "-b")
	inc2, _ := backupFile(t, s, files, "inc2", backup.SinceOptions(im1, backup.Options{}))
	full2, _ := backupFile(t, s, files, "full2", backup.Options{})

	other := openStore(t, t.TempDir())
	commit(t, other, "x=1")
	otherFull, om := backupFile(t, other, files, "otherfull", backup.Options{})
	commit(t, other, "x=2")
	otherInc, _ := backupFile(t, other, files, "otherinc", backup.SinceOptions(om, backup.Options{}))

	good, err := os.ReadFile(full)
	require.NoError(t, err)
	write := func(name string, b []byte) string {
		p := filepath.Join(files, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x20
	flippedSum := append([]byte(nil), good...)
	flippedSum[len(flippedSum)-1] ^= 0x01

	tests := []struct {
		name  string
		files []string
		err   error
		msg   string
	}{
		{"truncated by half", []string{write("half", good[:len(good)/2])}, backup.ErrTruncated, "truncated"},
		{"truncated by one byte", []string{write("short", good[:len(good)-1])}, backup.ErrTruncated, "truncated"},
		{"header only", []string{write("head", good[:40])}, backup.ErrTruncated, "truncated"},
		{"flipped byte", []string{write("flipped", flipped)}, backup.ErrChecksum, "checksum mismatch"},
		{"flipped checksum", []string{write("flippedsum", flippedSum)}, backup.ErrChecksum, "checksum mismatch"},
		{"trailing garbage", []string{write("longer", append(append([]byte(nil), good...), 'x'))}, backup.ErrTruncated, "truncated"},
		{"foreign file", []string{write("foreign", []byte("-- MySQL dump 10.13\nCREATE TABLE t (a int);\n"))}, backup.ErrForeign, "not a guocedb backup"},
		{"empty file", []string{write("empty", nil)}, backup.ErrForeign, "not a guocedb backup"},
		{"missing file", []string{filepath.Join(files, "nope")}, os.ErrNotExist, "nope"},
		{"incremental first", []string{inc1}, backup.ErrChain, "first file must be a full backup"},
		{"skipped incremental", []string{full, inc2}, backup.ErrChain, "was taken since backup"},
		{"out of order", []string{full, inc2, inc1}, backup.ErrChain, "was taken since backup"},
		{"two full backups", []string{full, full2}, backup.ErrChain, "is a full backup"},
		{"incremental of another server", []string{full, otherInc}, backup.ErrChain, "was taken since backup"},
		{"full of another server, then ours", []string{otherFull, inc1}, backup.ErrChain, "was taken since backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			target := filepath.Join(parent, "restored")
			_, err := backup.Restore(context.Background(), target, tt.files, backup.RestoreOptions{})
			require.ErrorIs(t, err, tt.err)
			require.ErrorContains(t, err, tt.msg)
			ents, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Empty(t, ents, "nothing half-restored, no temporary directory left")
		})
	}

	t.Run("target not empty", func(t *testing.T) {
		target := t.TempDir()
		keep := filepath.Join(target, "keep")
		require.NoError(t, os.WriteFile(keep, []byte("x"), 0o600))
		_, err := backup.Restore(context.Background(), target, []string{full}, backup.RestoreOptions{})
		require.ErrorIs(t, err, backup.ErrTargetNotEmpty)
		ents, _ := os.ReadDir(target)
		require.Len(t, ents, 1)
	})
	t.Run("target is a file", func(t *testing.T) {
		_, err := backup.Restore(context.Background(), full, []string{full}, backup.RestoreOptions{})
		require.ErrorContains(t, err, "is not a directory")
	})
	t.Run("target parent missing", func(t *testing.T) {
		_, err := backup.Restore(context.Background(), filepath.Join(t.TempDir(), "a", "b"), []string{full}, backup.RestoreOptions{})
		require.ErrorContains(t, err, "does not exist")
	})
	t.Run("same timestamps, no base id", func(t *testing.T) {
		// An incremental given only a timestamp (no base id) from other
		// data: its unchanged keys are missing from the base, so the merge
		// refuses it.
		a := openStore(t, t.TempDir())
		commit(t, a, "x=1")
		base, bm := backupFile(t, a, files, "tsbase", backup.Options{})
		b := openStore(t, t.TempDir())
		commit(t, b, "y=1")
		commit(t, b, "z=1")
		inc, _ := backupFile(t, b, files, "tsinc", backup.Options{Since: bm.SnapshotTs})
		parent := t.TempDir()
		_, err := backup.Restore(context.Background(), filepath.Join(parent, "r"), []string{base, inc}, backup.RestoreOptions{})
		require.ErrorIs(t, err, backup.ErrChain)
		require.ErrorContains(t, err, "not taken from the same data")
		ents, _ := os.ReadDir(parent)
		require.Empty(t, ents)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		parent := t.TempDir()
		_, err := backup.Restore(ctx, filepath.Join(parent, "r"), []string{full}, backup.RestoreOptions{})
		require.ErrorIs(t, err, context.Canceled)
		ents, _ := os.ReadDir(parent)
		require.Empty(t, ents)
	})
	t.Run("verify names the problem", func(t *testing.T) {
		_, err := backup.Verify(context.Background(), filepath.Join(files, "flipped"))
		require.ErrorIs(t, err, backup.ErrChecksum)
		_, err = backup.ReadManifestFile(filepath.Join(files, "foreign"))
		require.ErrorIs(t, err, backup.ErrForeign)
	})
}
