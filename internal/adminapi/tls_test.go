package adminapi_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestTLS serves the admin API with the listener certificate: gRPC over
// TLS and the Connect client over https work; cleartext is refused.
func TestTLS(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	f := startFixture(t, testutil.WithConfig(func(c *config.Config) {
		c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
	}))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	clientTLS := &tls.Config{RootCAs: certs.Pool, MinVersion: tls.VersionTLS12}

	conn, err := grpc.NewClient("passthrough:///"+f.adminAddr,
		grpc.WithTransportCredentials(credentials.NewTLS(clientTLS.Clone())))
	require.NoError(t, err)
	defer func() { require.NoError(t, conn.Close()) }()
	authCtx := metadata.AppendToOutgoingContext(ctx, "authorization",
		"Basic "+base64.StdEncoding.EncodeToString([]byte("monitor:mon-pw")))
	var st adminv1.StatusResponse
	require.NoError(t, conn.Invoke(authCtx, "/guocedb.admin.v1.AdminService/Status", &adminv1.StatusRequest{}, &st))
	require.Equal(t, "test", st.GetVersion())

	creds := adminclient.Credentials{User: "monitor", Password: "mon-pw"}
	c, err := adminclient.New("https://"+f.adminAddr, creds, adminclient.WithTLSConfig(clientTLS))
	require.NoError(t, err)
	got, err := c.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, "test", got.GetVersion())

	plain, err := adminclient.New(f.adminAddr, creds)
	require.NoError(t, err)
	_, err = plain.Status(ctx)
	require.Error(t, err, "cleartext to a TLS listener")

	untrusted, err := adminclient.New("https://"+f.adminAddr, creds)
	require.NoError(t, err)
	_, err = untrusted.Status(ctx)
	require.Equal(t, connect.CodeUnavailable, connect.CodeOf(err), "a certificate the client does not trust: %v", err)
	require.Contains(t, err.Error(), "certificate")
}
