package mysqlserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Names of the generated certificate and key under <data-dir>/tls.
const (
	tlsDirName       = "tls"
	generatedCert    = "server-cert.pem"
	generatedKey     = "server-key.pem"
	generatedTLSLife = 10 * 365 * 24 * time.Hour
)

// TLSOptions says where the listener's certificate comes from.
type TLSOptions struct {
	// CertFile and KeyFile are PEM files; both or neither.
	CertFile, KeyFile string
	// AutoGenerate, when CertFile and KeyFile are empty, uses (and on first
	// start creates) a self-signed certificate under DataDir/tls.
	AutoGenerate bool
	// DataDir is the data directory, for AutoGenerate.
	DataDir string
	// MinVersion is the oldest TLS version accepted, in MySQL's spelling
	// ("TLSv1.2", "TLSv1.3"); empty means TLSv1.2.
	MinVersion string
}

// tlsVersions are the TLS versions guocedb can accept, oldest first, as
// MySQL names them. TLS 1.0 and 1.1 are absent: deprecated by RFC 8996
// and removed in MySQL 8.0.28.
var tlsVersions = []struct {
	name string
	v    uint16
}{{"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13}}

// TLSVersionList returns @@tls_version for a floor: the versions from
// minVersion up, comma-separated ("TLSv1.2,TLSv1.3"), and the floor as a
// crypto/tls constant. An unknown name is an error naming tls-min-version.
func TLSVersionList(minVersion string) (string, uint16, error) {
	if minVersion == "" {
		minVersion = tlsVersions[0].name
	}
	for i, tv := range tlsVersions {
		if tv.name != minVersion {
			continue
		}
		names := make([]string, 0, len(tlsVersions)-i)
		for _, later := range tlsVersions[i:] {
			names = append(names, later.name)
		}
		return strings.Join(names, ","), tv.v, nil
	}
	return "", 0, fmt.Errorf("tls-min-version: %q is not TLSv1.2 or TLSv1.3", minVersion)
}

// Files returns the certificate and key files o names: CertFile and
// KeyFile, or with AutoGenerate the generated pair under DataDir (which
// LoadTLS creates); empty without TLS. A forwarded session's connection
// to the leader presents them (ForwardTLS).
func (o TLSOptions) Files() (certFile, keyFile string) {
	switch {
	case o.CertFile != "" || o.KeyFile != "":
		return o.CertFile, o.KeyFile
	case o.AutoGenerate:
		dir := filepath.Join(o.DataDir, tlsDirName)
		return filepath.Join(dir, generatedCert), filepath.Join(dir, generatedKey)
	}
	return "", ""
}

// LoadTLS returns the server TLS configuration for o, or nil when o asks
// for no TLS. Errors name the configuration key at fault.
func LoadTLS(o TLSOptions) (*tls.Config, error) {
	certFile, keyFile := o.CertFile, o.KeyFile
	switch {
	case certFile != "" || keyFile != "":
		if certFile == "" || keyFile == "" {
			return nil, errors.New("tls-cert and tls-key must be set together")
		}
	case o.AutoGenerate:
		var err error
		if certFile, keyFile, err = ensureSelfSigned(filepath.Join(o.DataDir, tlsDirName)); err != nil {
			return nil, fmt.Errorf("tls-auto-generate: %w", err)
		}
	default:
		return nil, nil
	}
	_, minVersion, err := TLSVersionList(o.MinVersion)
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls-cert, tls-key: load %s and %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   minVersion,
	}, nil
}

// ensureSelfSigned returns the certificate and key files in dir, creating
// a self-signed pair when neither exists. One without the other is an
// error rather than silently replaced: clients may pin the old certificate.
func ensureSelfSigned(dir string) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, generatedCert), filepath.Join(dir, generatedKey)
	certExists, err := exists(certFile)
	if err != nil {
		return "", "", err
	}
	keyExists, err := exists(keyFile)
	if err != nil {
		return "", "", err
	}
	switch {
	case certExists && keyExists:
		return certFile, keyFile, nil
	case certExists || keyExists:
		return "", "", fmt.Errorf("only one of %s and %s exists; remove it to generate a new pair", certFile, keyFile)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	certPEM, keyPEM, err := selfSigned(time.Now())
	if err != nil {
		return "", "", err
	}
	// The key first, with owner-only permissions from the start; the
	// certificate last, so a crash in between leaves "key only", which the
	// next start reports instead of using half a pair.
	if err := writeNew(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// writeNew creates path with perm and data, synced; it fails if path exists.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// selfSigned returns a PEM ECDSA P-256 certificate and key valid from now
// for generatedTLSLife, for localhost and the loopback addresses.
func selfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	names := []string{"localhost"}
	if host != "" && host != "localhost" {
		names = append(names, host)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "guocedb self-signed", Organization: []string{"guocedb"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(generatedTLSLife),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// tlsVersionName is MySQL's name of a TLS version (Ssl_version).
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return ""
}
