package main

import (
	"context"
	"errors"
	"io"

	"github.com/guocedb/guocedb/internal/backup"
)

// errNoAdminAPI is returned until the admin API's streamed Backup RPC is
// wired here.
var errNoAdminAPI = errors.New("online backup needs the admin API, which this build does not include yet: stop the server and use --data-dir DIR instead")

// backupOnline streams a backup of the running server at addr (its admin
// API) into w. The server takes the snapshot (backup.Write on its open
// store); this side writes the stream and returns the manifest.
func backupOnline(_ context.Context, _ string, _ io.Writer, _ backup.Options) (backup.Manifest, error) {
	return backup.Manifest{}, errNoAdminAPI
}
