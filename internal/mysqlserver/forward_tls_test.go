package mysqlserver

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

// TestForwardTLS checks the connection a follower opens to the leader
// for a forwarded session, against real servers on loopback: with TLS it
// logs in over TLS (the leader's session reports a cipher); a leader with
// TLS refuses a forwarded login without TLS (3159) even with the right
// key; a follower with TLS refuses to log in on a leader that does not
// offer TLS, or whose certificate the cluster CA did not sign, rather
// than send the session in plaintext or to an unverified server.
func TestForwardTLS(t *testing.T) {
	key := []byte("the cluster's forwarding key")
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, filepath.Join(dir, "leader"))
	otherCert, otherKey := writeSelfSigned(t, filepath.Join(dir, "other"))
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)

	tlsLeader := startForwardLeader(t, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, key)
	plainLeader := startForwardLeader(t, nil, key)
	account := sql.MysqlConnectionUser{User: "root", Host: "localhost"}
	follower := func(ft *ForwardTLS) *handler {
		return &handler{fwd: &Forwarding{Key: func() ([]byte, bool) { return key, true }, TLS: ft}}
	}
	ctx := context.Background()

	// TLS on both sides: the forwarded session runs over TLS.
	withTLS := follower(&ForwardTLS{CertFile: certFile, KeyFile: keyFile, CAFile: certFile})
	conn, err := withTLS.dialLeader(ctx, tlsLeader, account, 0)
	require.NoError(t, err)
	res, err := conn.ExecuteFetch("SHOW STATUS LIKE 'Ssl_cipher'", 10, false)
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	require.NotEmpty(t, res.Rows[0][1].ToString(), "the forwarded session's connection has no cipher")
	res, err = conn.ExecuteFetch("SELECT CURRENT_USER()", 10, false)
	require.NoError(t, err)
	require.Equal(t, "root@localhost", res.Rows[0][0].ToString(), "the forwarded session's account")
	conn.Close()

	// The right key over plaintext, to a leader with TLS: refused.
	_, err = follower(nil).dialLeader(ctx, tlsLeader, account, 0)
	var se *mysql.SQLError
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, erSecureTransportRequired, se.Num, "%v", err)
	require.Contains(t, se.Message, "Forwarded sessions must use TLS")

	// A follower with TLS and a leader without: not forwarded in
	// plaintext.
	_, err = withTLS.dialLeader(ctx, plainLeader, account, 0)
	require.ErrorContains(t, err, "login over TLS")
	require.ErrorContains(t, err, "doesn't support SSL")

	// A leader whose certificate the cluster CA did not sign.
	_, err = follower(&ForwardTLS{CertFile: otherCert, KeyFile: otherKey, CAFile: otherCert}).dialLeader(ctx, tlsLeader, account, 0)
	require.ErrorContains(t, err, "login over TLS")
	require.ErrorContains(t, err, "certificate")

	// Without TLS anywhere (members on loopback) it works as before.
	conn, err = follower(nil).dialLeader(ctx, plainLeader, account, 0)
	require.NoError(t, err)
	conn.Close()
}

// writeSelfSigned writes a self-signed certificate for localhost and the
// loopback addresses, its own CA, under dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM, err := selfSigned(time.Now())
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))
	return certFile, keyFile
}

// startForwardLeader runs a server that takes forwarded logins under key
// from any address, with TLS when tlsCfg is set, and returns its address.
func startForwardLeader(t *testing.T, tlsCfg *tls.Config, key []byte) string {
	t.Helper()
	store, err := storage.Open(t.TempDir(), storage.DefaultOptions(), nil)
	require.NoError(t, err)
	logger, checkPanics := panicWatch(t)
	fwd := &Forwarding{
		Leader: func() (string, bool) { return "", false },
		Key:    func() ([]byte, bool) { return key, true },
		Member: func(string) bool { return true },
		Reject: true, // it only takes sessions
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test", TLS: tlsCfg, Forward: fwd}, store, logger)
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, store.Close())
		checkPanics()
	})
	return srv.Addr().String()
}
