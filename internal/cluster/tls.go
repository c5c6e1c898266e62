package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// handshakeTimeout bounds a TLS handshake between members: a peer that
// connects and says nothing must not hold a goroutine.
const handshakeTimeout = 10 * time.Second

// PeerTLS is how members authenticate each other: every connection
// between them (raft messages, member info, snapshot streams) runs over
// TLS, each side presenting the server's certificate and verifying the
// other's against the cluster CA. A peer without a certificate the CA
// signed, or speaking plaintext, is refused.
type PeerTLS struct {
	listen *tls.Config
	dial   *tls.Config
}

// NewPeerTLS builds PeerTLS from the server's TLS configuration (its
// certificate and minimum version) and the cluster CA bundle, a PEM file.
//
// Why the dialing side's certificate is verified for any key usage: a
// member presents its server certificate when it dials too, and such
// certificates often carry only the server-auth usage; what
// authenticates a member is its chain to the cluster CA. The listening
// side is verified as any TLS server is, for the host it is dialed at.
func NewPeerTLS(server *tls.Config, caFile string) (*PeerTLS, error) {
	if server == nil || len(server.Certificates) == 0 {
		return nil, errors.New("cluster-ca: members talk over TLS only with a certificate of their own (tls-cert and tls-key, or tls-auto-generate)")
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cluster-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster-ca: %s holds no PEM certificate", caFile)
	}
	listen := &tls.Config{
		Certificates: server.Certificates,
		MinVersion:   max(server.MinVersion, tls.VersionTLS12),
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("raft peer presented no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			if err != nil {
				return fmt.Errorf("raft peer's certificate is not signed by the cluster CA: %w", err)
			}
			return nil
		},
	}
	dial := &tls.Config{
		Certificates: server.Certificates,
		MinVersion:   listen.MinVersion,
		RootCAs:      pool,
	}
	return &PeerTLS{listen: listen, dial: dial}, nil
}

// client wraps a connection dialed to addr: the peer must present a
// certificate for addr's host that the cluster CA signed.
func (p *PeerTLS) client(c net.Conn, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg := p.dial.Clone()
	cfg.ServerName = host
	tc := tls.Client(c, cfg)
	_ = tc.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS handshake with raft peer %s: %w", addr, err)
	}
	_ = tc.SetDeadline(time.Time{})
	return tc, nil
}
