package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guocedb/guocedb/internal/httpapi"
)

// requestTimeout bounds the sources' work for one page.
const requestTimeout = 5 * time.Second

type overviewResponse struct {
	httpapi.Status
	Live            Live    `json:"live"`
	Points          []Point `json:"points"`
	IntervalSeconds float64 `json:"interval_seconds"`
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, _ consoleSession) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	var out overviewResponse
	if c.opts.Status != nil {
		st, err := c.opts.Status.Status(ctx)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		out.Status = st
	}
	if s := c.opts.Samples; s != nil {
		live, points, err := s.Overview()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "metrics: "+err.Error())
			return
		}
		out.Live, out.Points, out.IntervalSeconds = live, points, s.Interval().Seconds()
	}
	writeJSON(w, http.StatusOK, out)
}

type sessionRow struct {
	ID            uint32  `json:"id"`
	User          string  `json:"user"`
	Host          string  `json:"host"`
	DB            string  `json:"db"`
	Command       string  `json:"command"`
	TimeSeconds   float64 `json:"time_seconds"`
	State         string  `json:"state"`
	Info          string  `json:"info"`
	ProgressDone  int64   `json:"progress_done"`
	ProgressTotal int64   `json:"progress_total"`
}

func (c *Console) listSessions(w http.ResponseWriter, _ *http.Request, _ consoleSession) {
	out := []sessionRow{}
	if c.opts.Sessions != nil {
		for _, s := range c.opts.Sessions.Sessions() {
			out = append(out, sessionRow{ID: s.ID, User: s.User, Host: s.Host, DB: s.DB, Command: s.Command,
				TimeSeconds: s.Time.Seconds(), State: s.State, Info: s.Info,
				ProgressDone: s.ProgressDone, ProgressTotal: s.ProgressTotal})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// kill is KILL [QUERY] id.
func (c *Console) kill(w http.ResponseWriter, r *http.Request, cs consoleSession) {
	var req struct {
		ID        uint32 `json:"id"`
		QueryOnly bool   `json:"query_only"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil || req.ID == 0 {
		writeError(w, http.StatusBadRequest, "send {\"id\": N, \"query_only\": false}")
		return
	}
	if c.opts.Sessions == nil || !c.opts.Sessions.KillSession(req.ID, req.QueryOnly) {
		writeError(w, http.StatusNotFound, "unknown thread id: "+strconv.FormatUint(uint64(req.ID), 10))
		return
	}
	c.logger.Info("console: kill", "user", cs.user, "conn_id", req.ID, "query_only", req.QueryOnly)
	writeJSON(w, http.StatusOK, map[string]any{"killed": req.ID, "query_only": req.QueryOnly})
}

type statementRow struct {
	Schema       string  `json:"schema"`
	Digest       string  `json:"digest"`
	Text         string  `json:"digest_text"`
	Count        uint64  `json:"count"`
	Errors       uint64  `json:"errors"`
	TotalSeconds float64 `json:"total_seconds"`
	AvgMillis    float64 `json:"avg_ms"`
	P95Millis    float64 `json:"p95_ms"`
	MaxMillis    float64 `json:"max_ms"`
	RowsExamined uint64  `json:"rows_examined"`
	RowsSent     uint64  `json:"rows_sent"`
	RowsAffected uint64  `json:"rows_affected"`
	FirstSeen    string  `json:"first_seen"`
	LastSeen     string  `json:"last_seen"`
}

// maxStatementRows bounds one answer; the heaviest digests come first.
const maxStatementRows = 500

func (c *Console) statements(w http.ResponseWriter, r *http.Request, _ consoleSession) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	out := []statementRow{}
	if c.opts.Digests != nil {
		for _, s := range c.opts.Digests.Snapshot() {
			if q != "" && !strings.Contains(strings.ToLower(s.Text+" "+s.Schema), q) {
				continue
			}
			text := s.Text
			if s.Digest == "" {
				text = "(other statements: the summary is full)"
			}
			out = append(out, statementRow{Schema: s.Schema, Digest: s.Digest, Text: text, Count: s.Count, Errors: s.Errors,
				TotalSeconds: s.Total.Seconds(), AvgMillis: millis(s.Avg()), P95Millis: millis(s.P95), MaxMillis: millis(s.Max),
				RowsExamined: s.RowsExamined, RowsSent: s.RowsSent, RowsAffected: s.RowsAffected,
				FirstSeen: s.FirstSeen.UTC().Format(time.RFC3339), LastSeen: s.LastSeen.UTC().Format(time.RFC3339)})
			if len(out) == maxStatementRows {
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"statements": out})
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type slowRow struct {
	Time            string  `json:"time"`
	DurationSeconds float64 `json:"duration_seconds"`
	Query           string  `json:"query"`
	RowsExamined    uint64  `json:"rows_examined"`
	RowsSent        uint64  `json:"rows_sent"`
	User            string  `json:"user"`
	Database        string  `json:"db"`
}

// slow answers the slow query log's recent entries (the ring the admin
// API's SlowLog reads), newest first, those matching q (a substring of
// the query, user or database, any case) when given.
func (c *Console) slow(w http.ResponseWriter, r *http.Request, _ consoleSession) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	out := []slowRow{}
	if c.opts.SlowLog != nil {
		for _, e := range c.opts.SlowLog.Recent(1000) {
			if q != "" && !strings.Contains(strings.ToLower(e.Query+" "+e.User+" "+e.Database), q) {
				continue
			}
			out = append(out, slowRow{Time: e.Time.UTC().Format(time.RFC3339Nano), DurationSeconds: e.Duration.Seconds(),
				Query: e.Query, RowsExamined: e.RowsExamined, RowsSent: e.RowsSent, User: e.User, Database: e.Database})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

func (c *Console) tables(w http.ResponseWriter, r *http.Request, _ consoleSession) {
	out := []Table{}
	if c.opts.Tables != nil {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		list, err := c.opts.Tables.Tables(ctx)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		out = append(out, list...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": out})
}

func (c *Console) backups(w http.ResponseWriter, _ *http.Request, _ consoleSession) {
	out := []Backup{}
	if c.opts.Backups != nil {
		out = append(out, c.opts.Backups.RecentBackups()...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"backups": out})
}

func (c *Console) locks(w http.ResponseWriter, _ *http.Request, _ consoleSession) {
	r := LockReport{Waits: []LockWait{}}
	if c.opts.Locks != nil {
		r = c.opts.Locks.LockReport()
		if r.Waits == nil {
			r.Waits = []LockWait{}
		}
	}
	writeJSON(w, http.StatusOK, r)
}

// cluster answers the cluster section of the status: null on a single
// node.
func (c *Console) cluster(w http.ResponseWriter, r *http.Request, _ consoleSession) {
	var cl *httpapi.Cluster
	if c.opts.Status != nil {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		st, err := c.opts.Status.Status(ctx)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		cl = st.Cluster
	}
	writeJSON(w, http.StatusOK, map[string]any{"cluster": cl})
}
