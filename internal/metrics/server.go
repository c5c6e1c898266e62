package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// ServerState is what the server says about itself at a scrape, for the
// alerts that need it (down is Prometheus' own up).
type ServerState struct {
	// Ready is what /readyz answers.
	Ready bool
	// DiskKnown says whether the Disk fields were read: DataDirBytes is
	// the space the data directory's files take (as du counts it),
	// DiskFreeBytes and DiskSizeBytes the free space (for an unprivileged
	// process) and size of the file system holding it.
	DiskKnown                                  bool
	DataDirBytes, DiskFreeBytes, DiskSizeBytes uint64
	// BackupsCompleted and BackupsFailed count the online backups served
	// since the start; LastBackupSuccess is when the last complete one
	// finished, in Unix seconds (0: none since the start).
	BackupsCompleted, BackupsFailed uint64
	LastBackupSuccess               float64
}

// NewServerCollector returns the collector of guocedb_build_info and of
// state, which it calls at every scrape (it must be cheap and safe for
// concurrent use).
func NewServerCollector(version string, state func() ServerState) prometheus.Collector {
	return serverCollector{version: version, state: state}
}

type serverCollector struct {
	version string
	state   func() ServerState
}

var (
	descBuildInfo  = desc("build_info", "Always 1; the labels are the server's version and the Go release it was built with.", "version", "go_version")
	descReady      = desc("ready", "1 while the server takes SQL traffic (storage open, MySQL listener serving; what /readyz answers), else 0.")
	descDataDir    = desc("data_dir_size_bytes", "Disk space the files of the data directory take.")
	descDiskFree   = desc("disk_free_bytes", "Free space of the file system holding the data directory (for the server's user).")
	descDiskSize   = desc("disk_size_bytes", "Size of the file system holding the data directory.")
	descBackups    = desc("backups_total", "Online backups served since the start, by outcome: completed, failed.", "outcome")
	descLastBackup = desc("last_backup_success_timestamp_seconds", "When the last complete online backup finished (Unix seconds); 0 when none since the start.")
)

// Describe implements prometheus.Collector.
func (c serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuildInfo, descReady, descDataDir, descDiskFree, descDiskSize, descBackups, descLastBackup} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.state()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descBuildInfo, 1, c.version, runtime.Version())
	ready := 0.0
	if s.Ready {
		ready = 1
	}
	gauge(descReady, ready)
	if s.DiskKnown {
		gauge(descDataDir, float64(s.DataDirBytes))
		gauge(descDiskFree, float64(s.DiskFreeBytes))
		gauge(descDiskSize, float64(s.DiskSizeBytes))
	}
	ch <- prometheus.MustNewConstMetric(descBackups, prometheus.CounterValue, float64(s.BackupsCompleted), "completed")
	ch <- prometheus.MustNewConstMetric(descBackups, prometheus.CounterValue, float64(s.BackupsFailed), "failed")
	gauge(descLastBackup, s.LastBackupSuccess)
}
