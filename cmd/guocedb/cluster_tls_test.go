package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestClusterTLS: members with TLS on (tls-cert, tls-key) and a cluster
// CA talk to each other over TLS only: the cluster elects a leader and
// replicates; a peer speaking plaintext on a raft address, and one
// presenting a certificate another CA signed, are refused, and the
// cluster goes on; a new member joins and catches up from a snapshot
// streamed over TLS. A follower's session forwarded to the leader runs
// over TLS too, and the leader refuses a forwarded login in plaintext.
func TestClusterTLS(t *testing.T) {
	bin := testutil.BuildBinary(t)
	certs := testutil.NewTestCerts(t)
	// Members keep 50 entries of log: a joiner needs a snapshot stream.
	flags := []string{"--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile, "--cluster-ca", certs.CAFile, "--raft-log-retain", "50"}
	nodes := testutil.StartClusterArgs(t, bin, 3, flags...)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE tl; CREATE TABLE tl.t (id INT PRIMARY KEY); INSERT INTO tl.t VALUES (1)")
	require.NoError(t, err)
	waitCount := func(n int) {
		t.Helper()
		for _, nd := range nodes {
			db := testutil.Connect(t, nd.P.MySQLAddr)
			require.Eventually(t, func() bool {
				var c int
				return db.QueryRow("SELECT COUNT(*) FROM tl.t").Scan(&c) == nil && c == n
			}, 30*time.Second, 50*time.Millisecond, "member %s holds %d rows", nd.ID, n)
		}
	}
	waitCount(1)
	for _, nd := range nodes {
		require.Contains(t, nd.P.Output(), "tls=true", "member %s does not say its raft transport uses TLS", nd.ID)
	}

	// A follower's session moves to the leader over TLS: its write
	// lands, and the leader's side of the session reports a cipher
	// while the client's own connection to the follower is plaintext.
	ctx := context.Background()
	fc, err := testutil.Connect(t, nodes[(li+1)%len(nodes)].P.MySQLAddr).Conn(ctx)
	require.NoError(t, err)
	sslCipher := func() string {
		t.Helper()
		var name, cipher string
		require.NoError(t, fc.QueryRowContext(ctx, "SHOW STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher))
		return cipher
	}
	require.Empty(t, sslCipher(), "the client's connection to the follower")
	_, err = fc.ExecContext(ctx, "INSERT INTO tl.t VALUES (1000)")
	require.NoError(t, err, "a write through a follower with TLS on")
	var ro int
	require.NoError(t, fc.QueryRowContext(ctx, "SELECT @@read_only").Scan(&ro))
	require.Equal(t, 0, ro, "the session runs on the leader")
	cipher := sslCipher()
	require.NotEmpty(t, cipher, "the forwarded session's connection to the leader is not TLS")
	require.NoError(t, fc.Close())
	t.Logf("a follower's session runs on the leader over TLS (%s)", cipher)
	waitCount(2)

	// A forwarded login in plaintext is refused by a leader with TLS
	// (3159), before its key is checked; over TLS, without the key, it
	// is refused as any wrong password (1045).
	forged := "guocedb-forward/" + hex.EncodeToString([]byte("root")) + "/" + hex.EncodeToString([]byte("localhost"))
	plain, err := sql.Open("mysql", testutil.DSN(forged, "x", nodes[li].P.MySQLAddr, ""))
	require.NoError(t, err)
	requireMySQLErr(t, plain.Ping(), 3159)
	require.NoError(t, plain.Close())
	tlsName := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	overTLS, err := sql.Open("mysql", testutil.DSN(forged, "x", nodes[li].P.MySQLAddr, "")+"&tls="+tlsName)
	require.NoError(t, err)
	requireMySQLErr(t, overTLS.Ping(), 1045)
	require.NoError(t, overTLS.Close())

	// Plaintext: a frame as a member would send it without TLS.
	target := nodes[(li+1)%len(nodes)]
	c, err := net.DialTimeout("tcp", target.RaftAddr, 2*time.Second)
	require.NoError(t, err)
	frame := append([]byte{0, 0, 0, 0, 1}, `{"node_id":"n9","raft_id":9}`...)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	_, err = c.Write(frame)
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = c.Read(make([]byte, 64))
	require.Error(t, err, "a plaintext peer got an answer")
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "a plaintext peer's connection was held open: %v", err)
	_ = c.Close()
	require.Eventually(t, func() bool {
		return strings.Contains(target.P.Output(), "raft peer refused: TLS handshake failed")
	}, 10*time.Second, 50*time.Millisecond, "no log of the refused plaintext peer")

	// A certificate from another CA, over TLS.
	other := testutil.NewTestCerts(t)
	pair, err := tls.LoadX509KeyPair(other.CertFile, other.KeyFile)
	require.NoError(t, err)
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", target.RaftAddr,
		&tls.Config{RootCAs: certs.Pool, Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err == nil {
		// TLS 1.3: the server checks the client's certificate after the
		// client's side of the handshake completed; its refusal arrives
		// as an alert on the first read.
		_, _ = tc.Write(frame)
		_ = tc.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = tc.Read(make([]byte, 64))
		_ = tc.Close()
	}
	require.Error(t, err, "a peer with another CA's certificate got an answer")
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "a peer with another CA's certificate was held open: %v", err)
	require.Eventually(t, func() bool {
		return strings.Contains(target.P.Output(), "not signed by the cluster CA")
	}, 10*time.Second, 50*time.Millisecond, "no log of the refused certificate")
	t.Logf("refused: a plaintext peer, and a peer with another CA's certificate (%v)", err)

	// The members still replicate.
	for i := 2; i <= 200; i++ {
		_, err = leader.Exec("INSERT INTO tl.t VALUES (?)", i)
		require.NoError(t, err)
	}
	waitCount(201)

	// A fourth member joins through the admin API (https) once the
	// leader's log no longer starts at its first entry: it catches up
	// from a snapshot streamed over TLS.
	require.Eventually(t, func() bool { return metricValue(nodes[li].P.HTTPAddr, "guocedb_commitlog_checkpoint_index") > 0 },
		30*time.Second, 200*time.Millisecond, "no checkpoint on the leader")
	n4 := testutil.JoinCluster(t, bin, "n4", "", "https://"+nodes[li].P.AdminAddr, flags...)
	nodes = append(nodes, n4)
	waitCount(201)
	sent := metricValue(nodes[li].P.HTTPAddr, "guocedb_raft_snapshot_sent_bytes_total")
	require.Positive(t, sent, "the leader sent no snapshot")
	t.Logf("n4 joined over TLS from a %0.f-byte snapshot", sent)
	requireSameChecksums(t, nodes, "tl.t")
}
