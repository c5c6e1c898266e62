package metrics

import "github.com/prometheus/client_golang/prometheus"

// Security counters: failed logins (login protection) and the audit log's
// last record, exposed by securityCollector at scrape time.

var (
	descAuthFailures = desc("auth_failures_total", "Failed MySQL logins: wrong password, unknown user, locked account.")
	descAuditLastSeq = desc("audit_last_seq", "Sequence number of the last record written to the audit log (0: none yet).")
)

// AuthFailed counts one failed MySQL login.
func (m *SQL) AuthFailed() { m.authFailures.Add(1) }

// AuthFailures returns the failed logins counted since start.
func (m *SQL) AuthFailures() uint64 { return m.authFailures.Load() }

// SetAuditSeq records the sequence number of the audit log's last record.
func (m *SQL) SetAuditSeq(seq uint64) { m.auditSeq.Store(seq) }

// securityCollector exposes the security counters of SQL.
type securityCollector struct{ m *SQL }

// Describe implements prometheus.Collector.
func (c securityCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descAuthFailures
	ch <- descAuditLastSeq
}

// Collect implements prometheus.Collector.
func (c securityCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descAuthFailures, prometheus.CounterValue, float64(c.m.authFailures.Load()))
	ch <- prometheus.MustNewConstMetric(descAuditLastSeq, prometheus.GaugeValue, float64(c.m.auditSeq.Load()))
}
