package console

import (
	"context"
	"time"

	"github.com/guocedb/guocedb/internal/adminapi"
	"github.com/guocedb/guocedb/internal/digest"
	"github.com/guocedb/guocedb/internal/httpapi"
)

// Table is one stored table as the tables page shows it.
type Table struct {
	Database string `json:"database"`
	Name     string `json:"table"`
	Rows     uint64 `json:"rows"`
	// RowsExact says whether Rows is exact or an estimate.
	RowsExact bool `json:"rows_exact"`
	// DataBytes is the estimated data size (information_schema DATA_LENGTH).
	DataBytes uint64 `json:"data_bytes"`
}

// Tables lists the stored tables. Called concurrently.
type Tables interface {
	Tables(ctx context.Context) ([]Table, error)
}

// Digests is the statement summary. Called concurrently.
type Digests interface {
	Snapshot() []digest.Stats
}

// Backup is one online backup the server served.
type Backup struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Kind is "full" or "incremental".
	Kind  string `json:"kind"`
	Bytes int64  `json:"bytes"`
	// Error is why it failed; "" when it completed.
	Error string `json:"error,omitempty"`
}

// Backups lists the backups served since the start. Called concurrently.
type Backups interface {
	// RecentBackups returns the latest backups, newest first.
	RecentBackups() []Backup
}

// Options are the console's data sources. A nil source shows its page as
// empty with a note; a nil Accounts refuses every login.
type Options struct {
	// Accounts checks logins and privileges (guocedb's MySQL accounts).
	Accounts adminapi.Accounts
	Status   httpapi.StatusSource
	Sessions adminapi.Sessions
	SlowLog  adminapi.SlowLog
	Digests  Digests
	Tables   Tables
	Backups  Backups
	// Samples keeps the graphs' history; nil shows the live values only.
	Samples *Sampler
}
