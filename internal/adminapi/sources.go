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

// Errors a source marks as the caller's, with InvalidArgument or
// FailedPrecondition: the client then sees that code (HTTP 400) and the
// source's message, and the server does not log it as its own failure.
var (
	// ErrInvalidArgument: the request is wrong whatever the server's
	// state (a malformed backup id).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrFailedPrecondition: the request does not fit the server's state
	// (an incremental backup since a timestamp its data never reached).
	ErrFailedPrecondition = errors.New("failed precondition")
)

// InvalidArgument marks err as an ErrInvalidArgument; the message stays
// err's.
func InvalidArgument(err error) error { return callerError{err: err, kind: ErrInvalidArgument} }

// FailedPrecondition marks err as an ErrFailedPrecondition; the message
// stays err's.
func FailedPrecondition(err error) error {
	return callerError{err: err, kind: ErrFailedPrecondition}
}

// callerError is err, classified as kind for errors.Is.
type callerError struct{ err, kind error }

func (e callerError) Error() string   { return e.err.Error() }
func (e callerError) Unwrap() []error { return []error{e.err, e.kind} }

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
	// Cluster is set on a member of a raft cluster.
	Cluster *ClusterStatus
}

// ClusterStatus is a cluster member's raft state (see httpapi.Cluster,
// which /status serves with the same fields).
type ClusterStatus struct {
	NodeID, Role, Leader string
	Term                 uint64
	CommitIndex, Applied uint64
	Writable             bool
	LeaderChanges        uint64
	Peers                []ClusterPeer
}

// ClusterPeer is another member; match, lag and activity are known on
// the leader only.
type ClusterPeer struct {
	NodeID, RaftAddr string
	MatchIndex, Lag  uint64
	Active           bool
	Learner          bool
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

// BackupRequest says which backup a Backupper writes: the zero value a
// full one.
type BackupRequest struct {
	// Since, when not zero, asks for an incremental backup of what was
	// committed after that timestamp (the base backup's snapshot).
	Since uint64
	// BaseID is the base backup's id, for the incremental's manifest: with
	// it, a restore checks the chain by id as well as by timestamp. "" when
	// the client did not send it (older clients); never set without Since
	// (the service refuses that as InvalidArgument).
	BaseID string
}

// Backupper writes an online backup. The stream it writes to w is the
// backup file that req asks for. It must stop when ctx ends (the client
// went away) and return ctx's error. A request it cannot serve (a
// malformed BaseID, a base newer than the data) is refused before the
// first write, with an error marked by InvalidArgument or
// FailedPrecondition.
type Backupper interface {
	Backup(ctx context.Context, w io.Writer, req BackupRequest) error
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

// ClusterMember is a member as the cluster state lists it.
type ClusterMember struct {
	NodeID, RaftAddr string
	RaftID           uint64
	Learner          bool
}

// ClusterMembership is the cluster state after a member was added: what
// a joining node remembers.
type ClusterMembership struct {
	RaftID        uint64 // the added member's
	Members       []ClusterMember
	InitialVoters []uint64
	MaxRaftID     uint64
}

// ErrNotFound marks a request naming something that does not exist (an
// unknown member): the client sees NotFound.
var ErrNotFound = errors.New("not found")

// NotFound marks err as an ErrNotFound; the message stays err's.
func NotFound(err error) error { return callerError{err: err, kind: ErrNotFound} }

// ErrUnavailable marks a request the server cannot serve now but may
// later (no cluster leader known): the client sees Unavailable.
var ErrUnavailable = errors.New("unavailable")

// Unavailable marks err as an ErrUnavailable; the message stays err's.
func Unavailable(err error) error { return callerError{err: err, kind: ErrUnavailable} }

// LeaderHeader carries the leader's admin address when a membership
// change reached a follower (FailedPrecondition): clients send the call
// again there.
const LeaderHeader = "Guocedb-Leader-Admin"

// NotLeaderError is a source's answer on a member that does not lead:
// the service answers FailedPrecondition with LeaderHeader set to
// AdminAddr.
type NotLeaderError struct {
	Err       error
	AdminAddr string
}

func (e *NotLeaderError) Error() string { return e.Err.Error() }
func (e *NotLeaderError) Unwrap() error { return e.Err }

// ClusterAdmin changes a raft cluster's membership. Its methods run on
// any member; one that does not lead returns a *NotLeaderError. Bad
// input is marked InvalidArgument, an unknown member NotFound, a change
// the cluster's state forbids FailedPrecondition.
type ClusterAdmin interface {
	AddMember(ctx context.Context, nodeID, raftAddr string) (ClusterMembership, error)
	RemoveMember(ctx context.Context, nodeID string) error
	TransferLeader(ctx context.Context, nodeID string) error
}
