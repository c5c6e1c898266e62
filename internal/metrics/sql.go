package metrics

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LatencyBuckets are the upper bounds, in seconds, of the statement
// latency histogram: 100µs to about 26s in factors of 4.
var LatencyBuckets = prometheus.ExponentialBuckets(0.0001, 4, 10)

// SQL holds the counters of one MySQL server. Its methods are safe for
// concurrent use; the per-statement ones (StatementStarted,
// StatementFinished, BytesSent, BytesReceived) use atomics and
// client_golang's own histogram only.
type SQL struct {
	start time.Time

	connsOpen    atomic.Int64
	connsTotal   atomic.Uint64
	connsRefused atomic.Uint64
	connsMaxUsed atomic.Int64
	running      atomic.Int64

	commands  [NumCommands]atomic.Uint64
	questions atomic.Uint64
	slow      atomic.Uint64

	bytesSent, bytesReceived        atomic.Uint64
	rowsRead, rowsWritten, rowsSent atomic.Uint64

	latency prometheus.Histogram
	errors  *prometheus.CounterVec

	// planHits, planMisses and planEvictions count the prepared
	// statement plan cache's lookups (mysqlserver/plancache.go).
	planHits, planMisses, planEvictions atomic.Uint64

	// forwardedSessions and forwardedCommands count a cluster follower's
	// sessions moved to the leader and the commands relayed there
	// (mysqlserver/forward.go).
	forwardedSessions, forwardedCommands atomic.Uint64

	// authFailures and auditSeq are the security counters (security.go).
	authFailures atomic.Uint64
	auditSeq     atomic.Uint64
}

// Statement is what the handler reports about one finished client
// statement.
type Statement struct {
	Command  Command
	Duration time.Duration
	// ErrorCode is the MySQL error code it failed with; 0 on success.
	ErrorCode uint16
	// RowsRead and RowsWritten are the table rows it read and wrote;
	// RowsSent the result rows sent to the client.
	RowsRead, RowsWritten, RowsSent uint64
	// Slow marks a statement at or over the slow query threshold.
	Slow bool
}

// NewSQL returns the counters of one server, registered on reg, with the
// server's start (for Uptime) at now.
func NewSQL(reg prometheus.Registerer) (*SQL, error) {
	m := &SQL{
		start: time.Now(),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "statement_duration_seconds",
			Help:      "Time from receiving a client statement to its last result, in seconds.",
			Buckets:   LatencyBuckets,
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "statement_errors_total",
			Help:      "Client statements that failed, by MySQL error code.",
		}, []string{"code"}),
	}
	for _, c := range []prometheus.Collector{m.latency, m.errors, sqlCollector{m}, securityCollector{m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ConnectionOpened counts a client connection that reached the server.
func (m *SQL) ConnectionOpened() {
	m.connsTotal.Add(1)
	open := m.connsOpen.Add(1)
	for {
		peak := m.connsMaxUsed.Load()
		if open <= peak || m.connsMaxUsed.CompareAndSwap(peak, open) {
			return
		}
	}
}

// ConnectionClosed counts a client connection that ended.
func (m *SQL) ConnectionClosed() { m.connsOpen.Add(-1) }

// ConnectionRefused counts a connection refused before or during the login
// (bad password, TLS required, handshake errors, shutting down).
func (m *SQL) ConnectionRefused() { m.connsRefused.Add(1) }

// StatementStarted counts a statement as running until StatementFinished.
func (m *SQL) StatementStarted() { m.running.Add(1) }

// StatementFinished records a finished statement.
func (m *SQL) StatementFinished(s Statement) {
	m.running.Add(-1)
	m.questions.Add(1)
	c := s.Command
	if c >= NumCommands {
		c = CommandOther
	}
	m.commands[c].Add(1)
	m.latency.Observe(s.Duration.Seconds())
	if s.ErrorCode != 0 {
		m.errors.WithLabelValues(strconv.Itoa(int(s.ErrorCode))).Inc()
	}
	if s.RowsRead != 0 {
		m.rowsRead.Add(s.RowsRead)
	}
	if s.RowsWritten != 0 {
		m.rowsWritten.Add(s.RowsWritten)
	}
	if s.RowsSent != 0 {
		m.rowsSent.Add(s.RowsSent)
	}
	if s.Slow {
		m.slow.Add(1)
	}
}

// CountCommand counts a protocol command that is not a statement
// (COM_STMT_PREPARE, COM_STMT_CLOSE, ...): its Com_ counter only.
func (m *SQL) CountCommand(c Command) {
	if c < NumCommands {
		m.commands[c].Add(1)
	}
}

// BytesReceived counts bytes read from clients.
func (m *SQL) BytesReceived(n int) { m.bytesReceived.Add(uint64(n)) }

// BytesSent counts bytes written to clients.
func (m *SQL) BytesSent(n int) { m.bytesSent.Add(uint64(n)) }

// Snapshot is a consistent-enough copy of the counters (each read
// atomically, not all at one instant), for SHOW STATUS and status pages.
type Snapshot struct {
	Uptime                               time.Duration
	ConnectionsOpen                      int64
	ConnectionsTotal, ConnectionsRefused uint64
	ConnectionsMaxUsed                   int64
	Running                              int64
	Questions, SlowStatements            uint64
	Commands                             [NumCommands]uint64
	BytesSent, BytesReceived             uint64
	RowsRead, RowsWritten, RowsSent      uint64
	PlanCacheHits, PlanCacheMisses       uint64
	PlanCacheEvictions                   uint64
	ForwardedSessions, ForwardedCommands uint64
}

// Snapshot returns the current counters.
func (m *SQL) Snapshot() Snapshot {
	s := Snapshot{
		Uptime:             time.Since(m.start),
		ConnectionsOpen:    m.connsOpen.Load(),
		ConnectionsTotal:   m.connsTotal.Load(),
		ConnectionsRefused: m.connsRefused.Load(),
		ConnectionsMaxUsed: m.connsMaxUsed.Load(),
		Running:            m.running.Load(),
		Questions:          m.questions.Load(),
		SlowStatements:     m.slow.Load(),
		BytesSent:          m.bytesSent.Load(),
		BytesReceived:      m.bytesReceived.Load(),
		RowsRead:           m.rowsRead.Load(),
		RowsWritten:        m.rowsWritten.Load(),
		RowsSent:           m.rowsSent.Load(),
		PlanCacheHits:      m.planHits.Load(),
		PlanCacheMisses:    m.planMisses.Load(),
		PlanCacheEvictions: m.planEvictions.Load(),
		ForwardedSessions:  m.forwardedSessions.Load(),
		ForwardedCommands:  m.forwardedCommands.Load(),
	}
	for i := range s.Commands {
		s.Commands[i] = m.commands[i].Load()
	}
	return s
}

// SessionForwarded counts a follower's session moved to the leader.
func (m *SQL) SessionForwarded() { m.forwardedSessions.Add(1) }

// CommandForwarded counts a command a follower relayed to the leader.
func (m *SQL) CommandForwarded() { m.forwardedCommands.Add(1) }

// PlanCacheHit counts an execution that reused a cached plan.
func (m *SQL) PlanCacheHit() { m.planHits.Add(1) }

// PlanCacheMiss counts an execution of a cacheable statement that had
// to be analyzed.
func (m *SQL) PlanCacheMiss() { m.planMisses.Add(1) }

// PlanCacheEviction counts a plan dropped to keep the cache bounded.
func (m *SQL) PlanCacheEviction() { m.planEvictions.Add(1) }

// Start returns when the counters began (the server's start).
func (m *SQL) Start() time.Time { return m.start }

// sqlCollector exposes SQL's atomics as Prometheus metrics at scrape time.
type sqlCollector struct{ m *SQL }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

var (
	descConnsOpen    = desc("connections_open", "Client connections open now.")
	descConnsTotal   = desc("connections_total", "Client connections accepted since the server started.")
	descConnsRefused = desc("connections_refused_total", "Connections refused before or during the login.")
	descConnsMax     = desc("connections_max_used", "Most client connections open at once since the server started.")
	descRunning      = desc("statements_running", "Client statements running now.")
	descStatements   = desc("statements_total", "Client statements by command (the SHOW STATUS Com_* counters; other: the rest).", "command")
	descSlow         = desc("slow_statements_total", "Client statements that ran for at least slow-query-time.")
	descBytesRecv    = desc("received_bytes_total", "Bytes received from clients (on the wire).")
	descBytesSent    = desc("sent_bytes_total", "Bytes sent to clients (on the wire).")
	descRowsRead     = desc("rows_read_total", "Table rows read by client statements.")
	descRowsWritten  = desc("rows_written_total", "Table rows inserted, updated or deleted by client statements.")
	descRowsSent     = desc("rows_sent_total", "Result rows sent to clients.")
	descPlanHits     = desc("plan_cache_hits_total", "Prepared statement executions that reused a cached plan.")
	descPlanMisses   = desc("plan_cache_misses_total", "Prepared statement executions that were analyzed (no usable cached plan).")
	descPlanEvicted  = desc("plan_cache_evictions_total", "Cached plans dropped to keep each connection's plan cache within plan-cache-size.")
	descFwdSessions  = desc("forwarded_sessions_total", "Client sessions a cluster follower moved to the leader (follower-writes = forward).")
	descFwdCommands  = desc("forwarded_commands_total", "Commands a cluster follower relayed to the leader for its forwarded sessions.")
)

// Describe implements prometheus.Collector.
func (c sqlCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnsOpen, descConnsTotal, descConnsRefused, descConnsMax, descRunning,
		descStatements, descSlow, descBytesRecv, descBytesSent, descRowsRead, descRowsWritten, descRowsSent,
		descPlanHits, descPlanMisses, descPlanEvicted, descFwdSessions, descFwdCommands} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c sqlCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.Snapshot()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descConnsOpen, float64(s.ConnectionsOpen))
	counter(descConnsTotal, s.ConnectionsTotal)
	counter(descConnsRefused, s.ConnectionsRefused)
	gauge(descConnsMax, float64(s.ConnectionsMaxUsed))
	gauge(descRunning, float64(s.Running))
	for i, v := range s.Commands {
		counter(descStatements, v, Command(i).String())
	}
	counter(descSlow, s.SlowStatements)
	counter(descBytesRecv, s.BytesReceived)
	counter(descBytesSent, s.BytesSent)
	counter(descRowsRead, s.RowsRead)
	counter(descRowsWritten, s.RowsWritten)
	counter(descRowsSent, s.RowsSent)
	counter(descPlanHits, s.PlanCacheHits)
	counter(descPlanMisses, s.PlanCacheMisses)
	counter(descPlanEvicted, s.PlanCacheEvictions)
	counter(descFwdSessions, s.ForwardedSessions)
	counter(descFwdCommands, s.ForwardedCommands)
}
