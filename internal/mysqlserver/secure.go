package mysqlserver

import (
	"net"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
)

// ER_SECURE_TRANSPORT_REQUIRED.
const erSecureTransportRequired = 3159

// errInsecureTransport is MySQL's refusal of a login without TLS while
// require_secure_transport is on.
var errInsecureTransport = mysql.NewSQLError(erSecureTransportRequired, "HY000",
	"Connections using insecure transport are prohibited while --require_secure_transport=ON.")

// listenerFactory builds the vitess listener with guocedb's TLS settings.
// vitess' own RequireSecureTransport writes a generic error packet and then
// carries on with the login, so it stays off; the refusal happens in the
// auth methods instead, with MySQL's error 3159.
//
// The login guard (accountlock.go) wraps everything, so that it also sees
// the 3159 refusals.
//
// tlsOn is the server having TLS: forwarded logins then need it
// (forward_auth.go).
func listenerFactory(requireSecure, tlsOn bool, guard *loginGuard, fwd *Forwarding) server.ProtocolListenerFunc {
	return func(cfg server.Config, lcfg mysql.ListenerConfig, sel server.ServerEventListener) (server.ProtocolListener, error) {
		if requireSecure {
			lcfg.AuthServer = secureAuthServer{AuthServer: lcfg.AuthServer}
		}
		lcfg.AuthServer = guardAuthServer{AuthServer: lcfg.AuthServer, g: guard}
		if fwd != nil {
			// Outermost: a follower's forwarded session passed the
			// login checks on the follower (forward_auth.go).
			lcfg.AuthServer = forwardAuthServer{AuthServer: lcfg.AuthServer, f: fwd, requireTLS: tlsOn}
		}
		cfg.RequireSecureTransport = false
		return server.MySQLProtocolListenerFactory(cfg, lcfg, sel)
	}
}

// secureAuthServer refuses every login over a connection without TLS.
type secureAuthServer struct{ mysql.AuthServer }

func (s secureAuthServer) AuthMethods() []mysql.AuthMethod {
	inner := s.AuthServer.AuthMethods()
	out := make([]mysql.AuthMethod, len(inner))
	for i, m := range inner {
		out[i] = secureAuthMethod{m}
	}
	return out
}

// secureAuthMethod checks the transport before the inner method reads or
// writes anything, so the client gets 3159 as the answer to its login.
type secureAuthMethod struct{ mysql.AuthMethod }

func (m secureAuthMethod) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remote net.Addr) (mysql.Getter, error) {
	if !c.TLSEnabled() && !c.IsUnixSocket() {
		return nil, errInsecureTransport
	}
	return m.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remote)
}

var (
	_ mysql.AuthServer = secureAuthServer{}
	_ mysql.AuthMethod = secureAuthMethod{}
)

// addSSLVariables defines have_ssl and have_openssl, which go-mysql-server
// lacks and clients and monitoring read to learn whether TLS is possible:
// YES with TLS configured, DISABLED without, as in MySQL.
func addSSLVariables(tlsOn bool) {
	val := "DISABLED"
	if tlsOn {
		val = "YES"
	}
	vars := make([]sql.SystemVariable, 0, 2)
	for _, name := range []string{"have_ssl", "have_openssl"} {
		vars = append(vars, &sql.MysqlSystemVariable{
			Name:    name,
			Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Global),
			Dynamic: false,
			Type:    types.NewSystemStringType(name),
			Default: val,
		})
	}
	sql.SystemVariables.AddSystemVariables(vars)
}

// addTLSVersionVariable replaces go-mysql-server's tls_version, which
// claims TLSv1 and TLSv1.1 and can be SET, with the versions the listener
// really accepts (tls-min-version), read-only: the listener's TLS
// configuration is fixed at start.
func addTLSVersionVariable(versions string) {
	sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{&sql.MysqlSystemVariable{
		Name:    "tls_version",
		Scope:   sql.GetMysqlScope(sql.SystemVariableScope_Global),
		Dynamic: false,
		Type:    types.NewSystemStringType("tls_version"),
		Default: versions,
	}})
}
