package metrics

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestServerCollector(t *testing.T) {
	state := ServerState{Ready: true, DiskKnown: true, DataDirBytes: 4096, DiskFreeBytes: 1 << 30, DiskSizeBytes: 1 << 32,
		BackupsCompleted: 2, BackupsFailed: 1, LastBackupSuccess: 1700000000.5}
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(NewServerCollector("1.2.3", func() ServerState { return state })))
	want := `# HELP guocedb_backups_total Online backups served since the start, by outcome: completed, failed.
# TYPE guocedb_backups_total counter
guocedb_backups_total{outcome="completed"} 2
guocedb_backups_total{outcome="failed"} 1
# HELP guocedb_build_info Always 1; the labels are the server's version and the Go release it was built with.
# TYPE guocedb_build_info gauge
guocedb_build_info{go_version="` + runtime.Version() + `",version="1.2.3"} 1
# HELP guocedb_data_dir_size_bytes Disk space the files of the data directory take.
# TYPE guocedb_data_dir_size_bytes gauge
guocedb_data_dir_size_bytes 4096
# HELP guocedb_disk_free_bytes Free space of the file system holding the data directory (for the server's user).
# TYPE guocedb_disk_free_bytes gauge
guocedb_disk_free_bytes 1.073741824e+09
# HELP guocedb_disk_size_bytes Size of the file system holding the data directory.
# TYPE guocedb_disk_size_bytes gauge
guocedb_disk_size_bytes 4.294967296e+09
# HELP guocedb_last_backup_success_timestamp_seconds When the last complete online backup finished (Unix seconds); 0 when none since the start.
# TYPE guocedb_last_backup_success_timestamp_seconds gauge
guocedb_last_backup_success_timestamp_seconds 1.7000000005e+09
# HELP guocedb_ready 1 while the server takes SQL traffic (storage open, MySQL listener serving; what /readyz answers), else 0.
# TYPE guocedb_ready gauge
guocedb_ready 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))

	// Not ready, disk unknown: no disk gauges rather than zeros.
	state = ServerState{}
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`# HELP guocedb_ready 1 while the server takes SQL traffic (storage open, MySQL listener serving; what /readyz answers), else 0.
# TYPE guocedb_ready gauge
guocedb_ready 0
`), "guocedb_ready", "guocedb_disk_free_bytes"))
}
