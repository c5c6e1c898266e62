package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/guocedb/guocedb/internal/adminapi"
)

// Privileges, as the admin API names them: PROCESS shows sessions and
// statements, SUPER or CONNECTION_ADMIN kills (MySQL's rules for SHOW
// PROCESSLIST and KILL of another user's thread); SUPER allows all.
const (
	privProcess         = adminapi.PrivProcess
	privConnectionAdmin = adminapi.PrivConnectionAdmin
	privSuper           = adminapi.PrivSuper
)

// Session limits. A console session ends after idleTimeout without a
// request and at most maxAge after the login; maxSessions bounds the
// memory logins can take (the oldest session is dropped first).
const (
	cookieName  = "guocedb_console"
	idleTimeout = 30 * time.Minute
	maxAge      = 12 * time.Hour
	maxSessions = 1024
	maxBody     = 4 << 10
)

// consoleSession is one logged-in browser.
type consoleSession struct {
	user, host string
	csrf       string
	created    time.Time
	lastSeen   time.Time
}

// sessionStore holds the console sessions in memory: a restart logs
// everyone out, which is the safe side.
type sessionStore struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*consoleSession
}

func newSessionStore(now func() time.Time) *sessionStore {
	return &sessionStore{now: now, m: map[string]*consoleSession{}}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessionStore) create(user, host string) (string, *consoleSession) {
	now := s.now()
	id := randomToken()
	cs := &consoleSession{user: user, host: host, csrf: randomToken(), created: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	for len(s.m) >= maxSessions {
		var oldest string
		for k, v := range s.m {
			if oldest == "" || v.created.Before(s.m[oldest].created) {
				oldest = k
			}
		}
		delete(s.m, oldest)
	}
	s.m[id] = cs
	return id, cs
}

// get returns the live session of id and marks it used.
func (s *sessionStore) get(id string) (consoleSession, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.m[id]
	if !ok {
		return consoleSession{}, false
	}
	if now.Sub(cs.lastSeen) > idleTimeout || now.Sub(cs.created) > maxAge {
		delete(s.m, id)
		return consoleSession{}, false
	}
	cs.lastSeen = now
	return *cs, true
}

func (s *sessionStore) remove(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

func (s *sessionStore) expireLocked(now time.Time) {
	for k, v := range s.m {
		if now.Sub(v.lastSeen) > idleTimeout || now.Sub(v.created) > maxAge {
			delete(s.m, k)
		}
	}
}

func setCookie(w http.ResponseWriter, r *http.Request, value string, maxAgeSeconds int) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: "/ui/", MaxAge: maxAgeSeconds,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// login checks user and password against the MySQL accounts (as the admin
// API does, with the client's address) and needs PROCESS or SUPER: the
// console shows nothing else. The body is JSON, so a cross-site form
// cannot post it without a CORS preflight, which nothing answers.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if r.Header.Get("Content-Type") != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send the login as application/json")
		return
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil || req.User == "" {
		writeError(w, http.StatusBadRequest, "send {\"user\": ..., \"password\": ...}")
		return
	}
	host := clientHost(r.RemoteAddr)
	acc := c.opts.Accounts
	if acc == nil || !acc.VerifyPassword(req.User, req.Password, host) {
		c.logger.Warn("console: authentication failed", "user", req.User, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "access denied for user '"+req.User+"': wrong user name or password")
		return
	}
	if !acc.HasAnyPrivilege(req.User, host, privSuper, privProcess) {
		c.logger.Warn("console: missing privilege", "user", req.User, "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, "access denied for user '"+req.User+"': the console needs PROCESS or SUPER")
		return
	}
	id, cs := c.sessions.create(req.User, host)
	setCookie(w, r, id, int(maxAge.Seconds()))
	c.logger.Info("console: login", "user", req.User, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, c.sessionInfo(*cs))
}

// logout ends the session of the cookie, if any; it needs the session's
// CSRF token like every other action.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(cookieName); err == nil {
		if cs, ok := c.sessions.get(ck.Value); ok && validCSRF(r, cs) {
			c.sessions.remove(ck.Value)
		} else if ok {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
	}
	setCookie(w, r, "", -1)
	writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}

func validCSRF(r *http.Request, cs consoleSession) bool {
	got := r.Header.Get("X-CSRF-Token")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(cs.csrf)) == 1
}

type sessionInfo struct {
	User    string `json:"user"`
	CSRF    string `json:"csrf_token"`
	CanKill bool   `json:"can_kill"`
}

func (c *Console) sessionInfo(cs consoleSession) sessionInfo {
	return sessionInfo{User: cs.user, CSRF: cs.csrf,
		CanKill: c.opts.Accounts.HasAnyPrivilege(cs.user, cs.host, privSuper, privConnectionAdmin)}
}

// authedFunc serves a request of a logged-in user.
type authedFunc func(w http.ResponseWriter, r *http.Request, cs consoleSession)

// authed wraps next: it needs a live session, the CSRF token on anything
// but GET, and one of anyOf (or SUPER), checked on every request, so a
// REVOKE or DROP USER takes effect at once.
func (c *Console) authed(anyOf []string, next authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(cookieName)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "log in first")
			return
		}
		cs, ok := c.sessions.get(ck.Value)
		if !ok {
			writeError(w, http.StatusUnauthorized, "session expired: log in again")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !validCSRF(r, cs) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
		if c.opts.Accounts == nil {
			writeError(w, http.StatusServiceUnavailable, "accounts are not available yet")
			return
		}
		privs := append([]string{privSuper, privProcess}, anyOf...)
		if len(anyOf) > 0 {
			privs = append([]string{privSuper}, anyOf...)
		}
		if !c.opts.Accounts.HasAnyPrivilege(cs.user, cs.host, privs...) {
			writeError(w, http.StatusForbidden, "access denied for user '"+cs.user+"': this needs one of "+adminapi.JoinPrivileges(privs))
			return
		}
		next(w, r, cs)
	})
}

func (c *Console) session(w http.ResponseWriter, _ *http.Request, cs consoleSession) {
	writeJSON(w, http.StatusOK, c.sessionInfo(cs))
}
