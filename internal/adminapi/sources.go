package adminapi

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrUnimplemented marks a capability this server does not provide (yet).
// A source returns it, wrapped with a reason, and the client sees the RPC
// code Unimplemented (HTTP 501) with that reason.
var ErrUnimplemented = errors.New("not implemented")

// Privilege names as MySQL spells them; dynamic privileges in upper case.
const (
	PrivSuper           = "SUPER"
	PrivProcess         = "PROCESS"
	PrivConnectionAdmin = "CONNECTION_ADMIN"
	PrivBackupAdmin     = "BACKUP_ADMIN"
	PrivCloneAdmin      = "CLONE_ADMIN"
)

// Accounts checks credentials and privileges against guocedb's MySQL
// users and grants. Host is the client's address as the MySQL listener
// would see it (an IP, loopback meaning localhost), so an account created
// for 'name'@'localhost' authenticates only from this machine. Methods are
// called concurrently from request goroutines and must not block long.
type Accounts interface {
	// VerifyPassword reports whether password is the password of the
	// account user@host, and the account exists and is not locked.
	VerifyPassword(user, password, host string) bool
	// HasAnyPrivilege reports whether the account user@host holds at least
	// one of privileges globally (ON *.*), directly or through a role.
	// SUPER satisfies every check, as it does in MySQL.
	HasAnyPrivilege(user, host string, privileges ...string) bool
}

// Status is the server's state as the Status RPC reports it. Field names
// follow the HTTP /status document: version, uptime_seconds,
// data_size_bytes, databases, tables, connections, format_version.
type Status struct {
	Version       string
	Uptime        time.Duration
	DataSizeBytes int64
	Databases     int
	Tables        int
	Connections   int
	FormatVersion uint64
}

// StatusSource reports the server's state. It is called concurrently.
type StatusSource interface {
	Status(ctx context.Context) (Status, error)
}

// Readiness reports whether the server takes SQL traffic: nil when it
// does, otherwise what is missing. It must be cheap and concurrency-safe.
type Readiness interface {
	Ready(ctx context.Context) error
}

// Session is one client connection as SHOW PROCESSLIST shows it.
type Session struct {
	ID      uint32
	User    string
	Host    string
	DB      string
	Command string
	Time    time.Duration
	State   string
	Info    string
	// ProgressDone and ProgressTotal are the rows a table rebuild of the
	// running statement (ALTER TABLE, CREATE INDEX) has handled, of the
	// table's rows (-1 when unknown); both 0 when none runs.
	ProgressDone  int64
	ProgressTotal int64
}

// Sessions is the server's process list. Methods are called concurrently.
type Sessions interface {
	// Sessions returns the open client connections, ordered by id.
	Sessions() []Session
	// KillSession stops the running statement of connection id (queryOnly)
	// or closes the connection. It returns false when no connection has
	// that id. Teardown is asynchronous: the connection may still be
	// listed for a moment.
	KillSession(id uint32, queryOnly bool) bool
}

// Backupper writes an online backup. The stream it writes to w is the
// backup file; since, when not zero, asks for an incremental backup of
// what was committed after that timestamp. It must stop when ctx ends
// (the client went away) and return ctx's error.
type Backupper interface {
	Backup(ctx context.Context, w io.Writer, since uint64) error
}

// CheckProblem is one damaged object a check found.
type CheckProblem struct {
	// Object names what is damaged: a database, table, index or key range.
	Object  string
	Message string
}

// CheckReport is the result of a consistency check: no problems means
// the data is sound.
type CheckReport struct {
	Problems []CheckProblem
	Summary  string
}

// Checker verifies the stored data. It must stop when ctx ends.
type Checker interface {
	Check(ctx context.Context) (CheckReport, error)
}

// SlowEntry is one slow statement.
type SlowEntry struct {
	Time         time.Time
	Duration     time.Duration
	Query        string // literals masked
	RowsExamined uint64
	RowsSent     uint64
	User         string
	Database     string
}

// SlowLog keeps the recent slow statements. It is called concurrently.
type SlowLog interface {
	// Recent returns up to n entries, newest first.
	Recent(n int) []SlowEntry
}
