package adminapi

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/guocedb/guocedb/internal/adminapi/gen/adminv1/adminv1connect"
)

// access is what a procedure needs from its caller.
type access struct {
	// public procedures need no credentials.
	public bool
	// anyOf lists the privileges of which the caller needs one.
	anyOf []string
}

// procedureAccess returns what procedure needs; ok is false for a path
// that is not a procedure of the service, which is refused (fail closed)
// rather than passed on unauthenticated.
//
// Why these privileges: Status, ListSessions and SlowLog show other
// users' statements and the server's state, which MySQL gates with
// PROCESS. KillSession is MySQL's KILL of another user's thread
// (CONNECTION_ADMIN or SUPER). Backup copies every row, as MySQL's
// BACKUP_ADMIN allows; go-mysql-server v0.20.0 cannot GRANT BACKUP_ADMIN
// or CONNECTION_ADMIN (only CLONE_ADMIN and REPLICATION_SLAVE_ADMIN among
// dynamic privileges), so CLONE_ADMIN, the grantable privilege for copying
// a whole server, is accepted too. Membership changes need SUPER. Check reads the whole store, so it is
// as expensive as a backup and needs the same. Health says no more than
// /readyz on the HTTP listener, which is unauthenticated.
func procedureAccess(procedure string) (access, bool) {
	if strings.HasPrefix(procedure, PprofPath) {
		// Profiles show the server's code paths and, in goroutine
		// dumps, statements' arguments: PROCESS, as SHOW PROCESSLIST.
		return access{anyOf: []string{PrivProcess}}, true
	}
	switch procedure {
	case adminv1connect.AdminServiceHealthProcedure:
		return access{public: true}, true
	case adminv1connect.AdminServiceStatusProcedure,
		adminv1connect.AdminServiceListSessionsProcedure,
		adminv1connect.AdminServiceSlowLogProcedure:
		return access{anyOf: []string{PrivProcess}}, true
	case adminv1connect.AdminServiceKillSessionProcedure:
		return access{anyOf: []string{PrivConnectionAdmin}}, true
	case adminv1connect.AdminServiceAddMemberProcedure,
		adminv1connect.AdminServiceRemoveMemberProcedure,
		adminv1connect.AdminServiceTransferLeaderProcedure:
		// Changing who holds the data and who leads: SUPER only (MySQL
		// gates group replication's membership with GROUP_REPLICATION_ADMIN,
		// which go-mysql-server v0.20.0 cannot grant).
		return access{}, true
	case adminv1connect.AdminServiceBackupProcedure,
		adminv1connect.AdminServiceCheckProcedure:
		return access{anyOf: []string{PrivBackupAdmin, PrivCloneAdmin}}, true
	default:
		return access{}, false
	}
}

// authenticator checks every request before connect decodes its body, so
// an unauthenticated caller learns nothing, not even whether its request
// parses. Errors are written in the caller's protocol (gRPC status,
// Connect JSON) by connect's ErrorWriter.
type authenticator struct {
	accounts Accounts
	errors   *connect.ErrorWriter
	logger   *slog.Logger
	next     http.Handler
	throttle *throttle
	// audit, when set, records every authenticated call (audit log).
	audit func(Call)
	// plain answers refusals as plain HTTP (for /debug/pprof/, whose
	// clients are browsers and go tool pprof, not connect clients).
	plain bool
}

func (a *authenticator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	acc, ok := procedureAccess(r.URL.Path)
	if !ok {
		a.fail(w, r, connect.NewError(connect.CodeNotFound, errors.New("no such procedure: "+r.URL.Path)))
		return
	}
	if acc.public {
		a.next.ServeHTTP(w, r)
		return
	}
	user, password, hasAuth := r.BasicAuth()
	host := clientHost(r.RemoteAddr)
	record := func(code int) {
		if a.audit != nil {
			a.audit(Call{User: user, Host: host, Procedure: r.URL.Path, Code: code})
		}
	}
	if !hasAuth {
		a.unauthenticated(w, r, "credentials required: send HTTP Basic authentication of a guocedb user")
		return
	}
	if wait := a.throttle.wait(user, host); wait > 0 {
		a.logger.Warn("admin API: login throttled after repeated failures", "user", user, "remote", r.RemoteAddr)
		record(http.StatusTooManyRequests)
		tooManyRequests(w, wait)
		return
	}
	if a.accounts == nil || !a.accounts.VerifyPassword(user, password, host) {
		// The password is never logged, nor whether the user exists.
		a.logger.Warn("admin API: authentication failed", "user", user, "remote", r.RemoteAddr, "procedure", r.URL.Path)
		a.throttle.failed(user, host)
		record(http.StatusUnauthorized)
		a.unauthenticated(w, r, "access denied for user '"+user+"': wrong user name or password")
		return
	}
	a.throttle.succeeded(user, host)
	all := append([]string{PrivSuper}, acc.anyOf...)
	if !a.accounts.HasAnyPrivilege(user, host, all...) {
		a.logger.Warn("admin API: missing privilege", "user", user, "remote", r.RemoteAddr, "procedure", r.URL.Path)
		record(http.StatusForbidden)
		a.fail(w, r, connect.NewError(connect.CodePermissionDenied,
			errors.New("access denied for user '"+user+"': "+r.URL.Path+" needs one of "+JoinPrivileges(all))))
		return
	}
	record(0)
	a.next.ServeHTTP(w, r)
}

// Call is one admin API call as the audit log records it.
type Call struct {
	// User and Host are the caller's account name and IP.
	User, Host string
	// Procedure is the RPC's path.
	Procedure string
	// Code is 0 when the call was let through, else the HTTP status it
	// was refused with (401, 403, 429).
	Code int
}

func (a *authenticator) unauthenticated(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="guocedb admin", charset="UTF-8"`)
	a.fail(w, r, connect.NewError(connect.CodeUnauthenticated, errors.New(msg)))
}

func (a *authenticator) fail(w http.ResponseWriter, r *http.Request, err error) {
	if a.plain {
		var ce *connect.Error
		code := http.StatusInternalServerError
		if errors.As(err, &ce) {
			switch ce.Code() {
			case connect.CodeUnauthenticated:
				code = http.StatusUnauthorized
			case connect.CodePermissionDenied:
				code = http.StatusForbidden
			case connect.CodeNotFound:
				code = http.StatusNotFound
			}
			err = errors.New(ce.Message())
		}
		http.Error(w, err.Error(), code)
		return
	}
	if werr := a.errors.Write(w, r, err); werr != nil {
		a.logger.Debug("admin API: write error response", "err", werr)
	}
}

// clientHost is the IP of a request's remote address; the MySQL users
// table matches it (loopback as localhost).
func clientHost(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// JoinPrivileges lists privilege names for a refusal message: "A", "A or
// B", "A, B or C". The web console words its refusals the same way.
func JoinPrivileges(privs []string) string {
	s := ""
	for i, p := range privs {
		switch {
		case i == 0:
		case i == len(privs)-1:
			s += " or "
		default:
			s += ", "
		}
		s += p
	}
	return s
}
