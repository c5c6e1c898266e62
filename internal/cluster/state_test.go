package cluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
)

func clusterConfig(id, addr string) config.Config {
	c := config.Default()
	c.NodeID, c.RaftAddr = id, addr
	c.InitialCluster = "c=127.0.0.1:7003,a=127.0.0.1:7001,b=127.0.0.1:7002"
	return c
}

func TestPrepareBootstrapsAndRemembers(t *testing.T) {
	dir := t.TempDir()
	st, err := Prepare(dir, clusterConfig("b", "127.0.0.1:7002"), false, nil)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3}, st.Voters())
	require.Equal(t, Member{RaftID: 2, NodeID: "b", RaftAddr: "127.0.0.1:7002"}, st.Self())
	require.Len(t, st.Peers(), 2)

	// The same command line restarts; initial-cluster is ignored now.
	again := clusterConfig("b", "127.0.0.1:7002")
	again.InitialCluster = "b=127.0.0.1:7002"
	st2, err := Prepare(dir, again, true, nil)
	require.NoError(t, err)
	require.Equal(t, st, st2)

	// node-id may be left out once remembered.
	noID := clusterConfig("", "127.0.0.1:7002")
	noID.InitialCluster = ""
	st3, err := Prepare(dir, noID, true, nil)
	require.NoError(t, err)
	require.Equal(t, "b", st3.NodeID)
}

func TestPrepareRefuses(t *testing.T) {
	dir := t.TempDir()
	_, err := Prepare(dir, clusterConfig("a", "127.0.0.1:7001"), false, nil)
	require.NoError(t, err)

	_, err = Prepare(dir, clusterConfig("b", "127.0.0.1:7001"), true, nil)
	require.ErrorContains(t, err, `belongs to node "a"`)
	_, err = Prepare(dir, clusterConfig("a", "127.0.0.1:7009"), true, nil)
	require.ErrorContains(t, err, "127.0.0.1:7001")

	single := t.TempDir()
	_, err = Prepare(single, clusterConfig("a", "127.0.0.1:7001"), true, nil)
	require.ErrorIs(t, err, ErrSingleNodeData)

	fresh := t.TempDir()
	noID := clusterConfig("", "127.0.0.1:7001")
	_, err = Prepare(fresh, noID, false, nil)
	require.ErrorContains(t, err, "node-id: required")
	noCluster := clusterConfig("a", "127.0.0.1:7001")
	noCluster.InitialCluster = ""
	_, err = Prepare(fresh, noCluster, false, nil)
	require.ErrorContains(t, err, "initial-cluster or join: one is required")

	corrupt := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(corrupt, StateFile), []byte("{"), 0o600))
	_, err = Prepare(corrupt, clusterConfig("a", "127.0.0.1:7001"), true, nil)
	require.ErrorContains(t, err, "corrupt")
}
