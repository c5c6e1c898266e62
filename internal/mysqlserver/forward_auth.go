package mysqlserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// A follower logs in on the leader for a forwarded session (forward.go)
// as the session's own account, without its password: the login name
// carries the account (user and host, as the follower matched them) and
// the password is an HMAC of it under the cluster's forwarding key, which
// every member has from the log and no one else. The leader checks it
// with the ordinary native password scramble (so vitess' client does the
// follower's side unchanged, and the key never crosses the wire), only
// from a member's address, and gives the connection that account: its
// privileges apply on the leader as on the follower. A leader with TLS
// takes forwarded logins over TLS only (errForwardInsecure): the
// session's statements and rows cross the network, and its followers
// always dial it with TLS (ForwardTLS), so a plaintext one is not a
// member's.

// forwardUserPrefix starts a forwarded login's name.
const forwardUserPrefix = "guocedb-forward/"

// forwardLoginName is the login name of a forwarded session of
// user@host: hex keeps any user or host name unambiguous.
func forwardLoginName(user, host string) string {
	return forwardUserPrefix + hex.EncodeToString([]byte(user)) + "/" + hex.EncodeToString([]byte(host))
}

// parseForwardLogin is forwardLoginName's inverse.
func parseForwardLogin(name string) (user, host string, ok bool) {
	rest, ok := strings.CutPrefix(name, forwardUserPrefix)
	if !ok {
		return "", "", false
	}
	u, h, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	ub, err1 := hex.DecodeString(u)
	hb, err2 := hex.DecodeString(h)
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	return string(ub), string(hb), true
}

// forwardPassword is the password of a forwarded login of user@host.
func forwardPassword(key []byte, user, host string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("guocedb forwarded login\x00" + user + "\x00" + host))
	return hex.EncodeToString(mac.Sum(nil))
}

// errForwardInsecure refuses a forwarded login without TLS on a leader
// with TLS: MySQL's ER_SECURE_TRANSPORT_REQUIRED, with the reason.
var errForwardInsecure = mysql.NewSQLError(erSecureTransportRequired, "HY000",
	"Forwarded sessions must use TLS on a cluster member with TLS on (tls-cert and tls-key, or tls-auto-generate)")

// forwardAuthServer accepts forwarded logins (see above) before the
// inner methods see them; every other login goes to the inner methods
// unchanged. It is outermost: login protection (accountlock.go) and
// require_secure_transport were applied on the follower, where the
// client logged in. requireTLS is the server having TLS: forwarded
// logins then need it.
type forwardAuthServer struct {
	mysql.AuthServer
	f          *Forwarding
	requireTLS bool
}

// AuthMethods implements mysql.AuthServer.
func (s forwardAuthServer) AuthMethods() []mysql.AuthMethod {
	return wrappedAuthMethods(s.AuthServer, func(m mysql.AuthMethod) mysql.AuthMethod {
		return forwardAuthMethod{AuthMethod: m, f: s.f, requireTLS: s.requireTLS}
	})
}

// forwardAuthMethod is one inner method with forwarded logins checked
// first.
type forwardAuthMethod struct {
	mysql.AuthMethod
	f          *Forwarding
	requireTLS bool
}

// HandleUser implements mysql.AuthMethod: a forwarded login is handled
// by the scrambling methods, whichever the client chose.
func (m forwardAuthMethod) HandleUser(c *mysql.Conn, user string) bool {
	if _, _, ok := parseForwardLogin(user); ok {
		markTLS(c)
		return m.Name() == mysql.MysqlNativePassword || m.Name() == mysql.CachingSha2Password
	}
	return m.AuthMethod.HandleUser(c, user)
}

// HandleAuthPluginData implements mysql.AuthMethod.
func (m forwardAuthMethod) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remote net.Addr) (mysql.Getter, error) {
	u, host, ok := parseForwardLogin(user)
	if !ok {
		return m.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remote)
	}
	// The transport first, as secureAuthMethod does: HandleUser marked
	// a TLS connection as such (markTLS).
	if m.requireTLS && !c.TLSEnabled() {
		return nil, errForwardInsecure
	}
	denied := mysql.NewSQLError(erAccessDenied, mysql.SSAccessDeniedError, "Access denied for forwarded session of '%s'@'%s'", u, host)
	if m.f == nil || !m.f.Member(remoteHost(remote)) {
		return nil, denied
	}
	key, ok := m.f.Key()
	if !ok {
		return nil, denied
	}
	pass := []byte(forwardPassword(key, u, host))
	// vitess hands the plugin data over with the NUL that ends it in
	// the handshake; the scramble is over the 20 bytes before.
	salt := bytes.TrimSuffix(serverData, []byte{0})
	var want []byte
	switch m.Name() {
	case mysql.MysqlNativePassword:
		want = mysql.ScrambleMysqlNativePassword(salt, pass)
	case mysql.CachingSha2Password:
		want = mysql.ScrambleCachingSha2Password(salt, pass)
	default:
		return nil, denied
	}
	if !hmac.Equal(want, clientData) {
		return nil, denied
	}
	return sql.MysqlConnectionUser{User: u, Host: host}, nil
}

var (
	_ mysql.AuthServer = forwardAuthServer{}
	_ mysql.AuthMethod = forwardAuthMethod{}
)
