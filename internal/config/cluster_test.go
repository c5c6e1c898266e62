package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateCluster(t *testing.T) {
	three := "a=127.0.0.1:7001,b=127.0.0.1:7002,c=127.0.0.1:7003"
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // substrings; empty means valid
	}{
		{"single node", func(*Config) {}, nil},
		{"bootstrap", func(c *Config) { c.NodeID, c.RaftAddr, c.InitialCluster = "a", "127.0.0.1:7001", three }, nil},
		{"restart without node id", func(c *Config) { c.RaftAddr = "127.0.0.1:7001" }, nil},
		{"node id without raft addr", func(c *Config) { c.NodeID = "a" }, []string{"node-id", "needs raft-addr"}},
		{"initial cluster without raft addr", func(c *Config) { c.InitialCluster = three }, []string{"initial-cluster", "needs raft-addr"}},
		{"bad node id", func(c *Config) { c.NodeID, c.RaftAddr = "a b", "127.0.0.1:7001" }, []string{"node-id", "letters"}},
		{"raft addr port 0", func(c *Config) { c.RaftAddr = "127.0.0.1:0" }, []string{"raft-addr", "port 0"}},
		{"raft addr beyond loopback", func(c *Config) { c.RaftAddr = "0.0.0.0:7001" }, []string{"raft-addr", "loopback", "TLS"}},
		{"raft addr not host port", func(c *Config) { c.RaftAddr = "7001" }, []string{"raft-addr", "HOST:PORT"}},
		{"listen behind a proxy", func(c *Config) {
			c.NodeID, c.RaftAddr, c.RaftListenAddr, c.InitialCluster = "a", "127.0.0.1:7001", "127.0.0.11:7101", three
		}, nil},
		{"listen addr without raft addr", func(c *Config) { c.RaftListenAddr = "127.0.0.1:7101" }, []string{"raft-listen-addr", "needs raft-addr"}},
		{"listen addr beyond loopback", func(c *Config) {
			c.RaftAddr, c.RaftListenAddr = "127.0.0.1:7001", "0.0.0.0:7101"
		}, []string{"raft-listen-addr", "loopback"}},
		// Any readable file passes Validate's check of cluster-ca; the
		// server reads the certificates at start.
		{"tls between members", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster = "a", "10.0.0.1:7001", "a=10.0.0.1:7001,b=10.0.0.2:7001,c=10.0.0.3:7001"
			c.TLSAutoGenerate, c.ClusterCA = true, "cluster_test.go"
		}, nil},
		{"tls without cluster ca", func(c *Config) {
			c.RaftAddr, c.TLSAutoGenerate = "127.0.0.1:7001", true
		}, []string{"cluster-ca", "required", "TLS"}},
		{"cluster ca without tls", func(c *Config) {
			c.RaftAddr, c.ClusterCA = "127.0.0.1:7001", "cluster_test.go"
		}, []string{"cluster-ca", "needs TLS"}},
		{"cluster ca unreadable", func(c *Config) {
			c.RaftAddr, c.TLSAutoGenerate, c.ClusterCA = "127.0.0.1:7001", true, "/nonexistent/ca.pem"
		}, []string{"cluster-ca", "no such file"}},
		{"cluster ca without raft addr", func(c *Config) { c.ClusterCA = "cluster_test.go" }, []string{"cluster-ca", "needs raft-addr"}},
		{"join", func(c *Config) { c.NodeID, c.RaftAddr, c.Join = "d", "127.0.0.1:7004", "127.0.0.1:9308" }, nil},
		{"join over https", func(c *Config) { c.RaftAddr, c.Join = "127.0.0.1:7004", "https://127.0.0.1:9308" }, nil},
		{"join not an address", func(c *Config) { c.RaftAddr, c.Join = "127.0.0.1:7004", "n1" }, []string{"join", "admin address"}},
		{"join and initial cluster", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster, c.Join = "a", "127.0.0.1:7001", three, "127.0.0.1:9308"
		}, []string{"join", "excludes initial-cluster"}},
		{"cluster without this node", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster = "d", "127.0.0.1:7004", three
		}, []string{"initial-cluster", "does not name this node"}},
		{"cluster with another address", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster = "a", "127.0.0.1:7009", three
		}, []string{"initial-cluster", "127.0.0.1:7001", "raft-addr is 127.0.0.1:7009"}},
		{"duplicate id", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster = "a", "127.0.0.1:7001", "a=127.0.0.1:7001,a=127.0.0.1:7002"
		}, []string{"initial-cluster", "appears twice"}},
		{"duplicate address", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster = "a", "127.0.0.1:7001", "a=127.0.0.1:7001,b=127.0.0.1:7001"
		}, []string{"initial-cluster", "appears twice"}},
		{"member without address", func(c *Config) {
			c.NodeID, c.RaftAddr, c.InitialCluster = "a", "127.0.0.1:7001", "a=127.0.0.1:7001,b"
		}, []string{"initial-cluster", "ID=HOST:PORT"}},
		{"empty list", func(c *Config) { c.RaftAddr, c.InitialCluster = "127.0.0.1:7001", " , " }, []string{"initial-cluster", "no member"}},
		{"follower writes forward", func(c *Config) { c.FollowerWrites = "forward" }, nil},
		{"follower writes unknown", func(c *Config) { c.FollowerWrites = "proxy" }, []string{"follower-writes", "forward, reject"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wantErr {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseInitialClusterSorts(t *testing.T) {
	m, err := ParseInitialCluster(" c=127.0.0.1:7003, a=localhost:7001 ,b=[::1]:7002", false)
	require.NoError(t, err)
	var ids []string
	for _, x := range m {
		ids = append(ids, x.ID+"="+x.RaftAddr)
	}
	require.Equal(t, "a=localhost:7001 b=[::1]:7002 c=127.0.0.1:7003", strings.Join(ids, " "))
}

func TestClusterKeysFromEnv(t *testing.T) {
	env := map[string]string{
		"GUOCEDB_NODE_ID":         "b",
		"GUOCEDB_RAFT_ADDR":       "127.0.0.1:7002",
		"GUOCEDB_INITIAL_CLUSTER": "a=127.0.0.1:7001,b=127.0.0.1:7002",
		"GUOCEDB_FOLLOWER_WRITES": "reject",
	}
	f := &Flags{values: map[string]*flagValue{}}
	cfg, err := f.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	require.Equal(t, "b", cfg.NodeID)
	require.Equal(t, "127.0.0.1:7002", cfg.RaftAddr)
	require.True(t, cfg.Clustered())
	require.NoError(t, cfg.Validate())
}
