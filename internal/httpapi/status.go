package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Status is a summary of one running server: what GET /status returns as
// JSON, and what other front ends (the admin API's Status call) reuse
// through StatusSource.
type Status struct {
	// Version is the server's version (set at build time).
	Version string `json:"version"`
	// GoVersion is the Go release the binary was built with.
	GoVersion string `json:"go_version"`
	// StartTime is when the server started; UptimeSeconds how long ago.
	StartTime     time.Time `json:"start_time"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	// Ready is what /readyz reports (storage open, MySQL listener serving).
	Ready bool `json:"ready"`
	// DataDir is the data directory; FormatVersion its on-disk format.
	DataDir       string `json:"data_dir"`
	FormatVersion int    `json:"format_version"`
	// EncryptionKeyID names the master key the data directory is
	// encrypted with (encryption at rest); empty when it is not.
	EncryptionKeyID string `json:"encryption_key_id"`
	// DataSize is the size of the data directory's store.
	DataSize DataSize `json:"data_size"`
	// Databases and Tables count the stored databases and their tables.
	Databases int `json:"databases"`
	Tables    int `json:"tables"`
	// Connections describes the MySQL client connections.
	Connections Connections `json:"connections"`
	// Statements counts client statements.
	Statements Statements `json:"statements"`
	// Cluster is the raft state of a cluster member; absent on a single
	// node.
	Cluster *Cluster `json:"cluster,omitempty"`
}

// Cluster is a cluster member's raft state.
type Cluster struct {
	// NodeID is this member's node id; Role leader, follower or
	// candidate; Leader the leader's node id ("" when none is known).
	NodeID string `json:"node_id"`
	Role   string `json:"role"`
	Term   uint64 `json:"term"`
	Leader string `json:"leader"`
	// Writable: the member accepts writes now (it leads, and its first
	// entry of the term is applied); @@read_only is its negation.
	Writable bool `json:"writable"`
	// CommitIndex and AppliedIndex are log positions; LastIndex the last
	// entry in the local log.
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	LastIndex    uint64 `json:"last_index"`
	// LeaderChanges counts the leader changes this member has seen.
	LeaderChanges uint64 `json:"leader_changes"`
	// Peers are the other members.
	Peers []ClusterPeer `json:"peers"`
}

// ClusterPeer is another member as this one sees it. Match, Lag and
// Active are known on the leader only.
type ClusterPeer struct {
	NodeID   string `json:"node_id"`
	RaftAddr string `json:"raft_addr"`
	// MatchIndex is the highest index known to be in its log; Lag how many
	// entries that is behind the leader's last one.
	MatchIndex uint64 `json:"match_index"`
	Lag        uint64 `json:"lag"`
	// Active: it answered within the last election timeout.
	Active bool `json:"active"`
	// Learner: it receives the log but does not vote yet (it joined and
	// has not caught up).
	Learner bool `json:"learner"`
}

// DataSize is the data directory's size on disk.
type DataSize struct {
	// LSMBytes and VLogBytes are Badger's LSM tree and value log as Badger
	// last measured them (it refreshes them about once a minute);
	// TotalBytes is the disk space the files of the data directory take
	// now, as du counts it (the slow query log and TLS files included).
	LSMBytes   int64 `json:"lsm_bytes"`
	VLogBytes  int64 `json:"vlog_bytes"`
	TotalBytes int64 `json:"total_bytes"`
}

// Connections are the MySQL client connection counts.
type Connections struct {
	// Open is the number of connections now; Total those accepted since
	// the start; Refused those refused at the login; MaxUsed the most open
	// at once.
	Open    int64  `json:"open"`
	Total   uint64 `json:"total"`
	Refused uint64 `json:"refused"`
	MaxUsed int64  `json:"max_used"`
}

// Statements are the client statement counts.
type Statements struct {
	// Running now; Total since the start (SHOW STATUS Questions); Slow at
	// or over slow-query-time.
	Running int64  `json:"running"`
	Total   uint64 `json:"total"`
	Slow    uint64 `json:"slow"`
}

// StatusSource fills a Status. It is called concurrently from HTTP
// handlers (and other front ends) and must be safe for concurrent use; it
// returns an error when the server cannot say (storage not open yet).
type StatusSource interface {
	Status(ctx context.Context) (Status, error)
}

// StatusFunc adapts a function to StatusSource.
type StatusFunc func(ctx context.Context) (Status, error)

// Status calls f.
func (f StatusFunc) Status(ctx context.Context) (Status, error) { return f(ctx) }

// statusTimeout bounds one status request, like readiness checks.
const statusTimeout = 5 * time.Second

// serveStatus answers GET /status: 200 with the Status as JSON, or 503
// with {"error": "..."} when the source cannot fill it.
func serveStatus(src StatusSource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), statusTimeout)
		defer cancel()
		st, err := src.Status(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, st)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		writeText(w, http.StatusInternalServerError, "encode status: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
