package acceptance

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessListMasksPasswords: a running statement's text in SHOW
// PROCESSLIST and information_schema.PROCESSLIST has its passwords
// masked, as in the slow and audit logs.
func TestProcessListMasksPasswords(t *testing.T) {
	_, root := start(t)
	c := conn(t, root)
	done := make(chan error, 1)
	go func() {
		_, err := c.ExecContext(t.Context(), "SELECT SLEEP(2) /* IDENTIFIED BY 'pl-secret' */")
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	var seen string
	for seen == "" && time.Now().Before(deadline) {
		for _, row := range queryRows(t, root, "SELECT info FROM information_schema.PROCESSLIST") {
			if strings.Contains(row[0], "SLEEP(2)") {
				seen = row[0]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NotEmpty(t, seen, "the statement shows in the process list")
	require.NotContains(t, seen, "pl-secret")
	require.Contains(t, seen, "IDENTIFIED BY '***'")
	for _, row := range queryRows(t, root, "SHOW FULL PROCESSLIST") {
		require.NotContains(t, strings.Join(row, " "), "pl-secret")
	}
	require.NoError(t, <-done)
}
