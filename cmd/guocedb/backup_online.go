package main

import (
	"bytes"
	"context"
	"io"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/backup"
)

// backupOnline streams a backup of the running server behind the admin
// API (af: --server, --user, --password-file, --tls-ca) into w: full for
// the zero base, else incremental on base (the --incremental-since file's
// snapshot timestamp and id). The server takes the snapshot (backup.Write
// on its open store) and keeps serving writes; this side only copies the
// stream, showing the bytes received.
// --timeout does not bound the stream: a backup takes as long as the data
// needs; Ctrl-C (ctx) stops it.
func backupOnline(ctx context.Context, e env, af *adminFlags, w io.Writer, base adminclient.BackupBase, bar *progress) error {
	c, _, cancel, err := af.client(e)
	if err != nil {
		return err
	}
	cancel()
	return c.Backup(ctx, base, &countingProgress{w: w, bar: bar})
}

// countingProgress reports the bytes written through it to the bar (the
// total is unknown: the bar spins).
type countingProgress struct {
	w   io.Writer
	bar *progress
	n   int64
}

func (c *countingProgress) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.bar.update(c.n, -1)
	return n, err
}

// headCapture passes writes through and keeps the first bytes, enough for
// the header: the manifest of a backup streamed to stdout, which cannot
// be read back.
type headCapture struct {
	w    io.Writer
	head bytes.Buffer
}

// headLimit covers the signature, the length and the largest manifest.
const headLimit = 16 + 4 + 1<<20

func (h *headCapture) Write(p []byte) (int, error) {
	if room := headLimit - h.head.Len(); room > 0 {
		h.head.Write(p[:min(room, len(p))])
	}
	return h.w.Write(p)
}

func (h *headCapture) manifest() (backup.Manifest, error) {
	return backup.ReadManifest(bytes.NewReader(h.head.Bytes()))
}
