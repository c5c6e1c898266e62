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

// LockWait is one blocked row lock request, as the locks page shows it.
type LockWait struct {
	// Waiting and Blocking are connection ids.
	Waiting  uint64 `json:"waiting"`
	Blocking uint64 `json:"blocking"`
	Schema   string `json:"schema"`
	Table    string `json:"table"`
	Index    string `json:"index"`
	// Data is the locked key's values ("1", "'a', 2").
	Data         string  `json:"data"`
	Mode         string  `json:"mode"`
	BlockingMode string  `json:"blocking_mode"`
	WaitSeconds  float64 `json:"wait_seconds"`
}

// LockReport is the row lock table now and its counters since start.
type LockReport struct {
	Waits        []LockWait `json:"waits"`
	Held         int        `json:"held"`
	CurrentWaits int        `json:"current_waits"`
	WaitsTotal   int64      `json:"waits_total"`
	WaitSeconds  float64    `json:"wait_seconds_total"`
	Deadlocks    int64      `json:"deadlocks"`
	Timeouts     int64      `json:"timeouts"`
	// LatestDeadlock is the latest deadlock's report ("" when none).
	LatestDeadlock string `json:"latest_deadlock"`
}

// Locks reports the row lock table. Called concurrently.
type Locks interface {
	LockReport() LockReport
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
	Locks    Locks
	// Samples keeps the graphs' history; nil shows the live values only.
	Samples *Sampler
}
