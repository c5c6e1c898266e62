package mysqlserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/metrics"
)

// Correction of go-mysql-server: login protection (MySQL 8's
// FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME and ACCOUNT LOCK).
//
// Upstream: CREATE USER parses these options and drops them, ALTER USER
// does not parse them at all (accountlock_sql.go), SHOW CREATE USER is a
// syntax error, and nothing counts failed logins.
//
// guocedb keeps a policy and a state per account (the mysql.user row,
// user and host pattern) in loginGuard, persisted as one JSON blob in the
// catalog after every change, and checks it in the login path
// (guardAuthMethod) around go-mysql-server's own password check.

// MySQL's login errors.
const (
	erAccessDenied        = 1045
	erAccountLocked       = 3118 // ER_ACCOUNT_HAS_BEEN_LOCKED
	erAccountBlocked      = 3955 // ER_USER_ACCESS_DENIED_FOR_USER_ACCOUNT_BLOCKED_BY_PASSWORD_LOCK
	defaultLockDay        = 24 * time.Hour
	defaultDelayThreshold = 3
	defaultDelayStep      = time.Second
	defaultDelayMax       = 30 * time.Second
	defaultMaxDelayed     = 32
)

// LoginProtection tunes the login guard. The zero value is MySQL's
// behaviour with connection_control's defaults.
type LoginProtection struct {
	// Day is the length of a PASSWORD_LOCK_TIME day; 0 means 24h. Tests
	// shorten it (a test-only clock: there is no configuration key).
	Day time.Duration
	// DelayAfter consecutive failures of one user from one client host,
	// each further attempt waits DelayStep times the failures beyond it,
	// at most DelayMax (MySQL's connection_control); 0 means 3, 1s, 30s.
	DelayAfter int
	DelayStep  time.Duration
	DelayMax   time.Duration
	// MaxDelayed bounds the logins waiting at once; beyond it a login
	// that would wait is refused at once with 1045, so that waiting
	// connections cannot use up the server. 0 means 32.
	MaxDelayed int
}

func (p LoginProtection) withDefaults() LoginProtection {
	if p.Day <= 0 {
		p.Day = defaultLockDay
	}
	if p.DelayAfter <= 0 {
		p.DelayAfter = defaultDelayThreshold
	}
	if p.DelayStep <= 0 {
		p.DelayStep = defaultDelayStep
	}
	if p.DelayMax <= 0 {
		p.DelayMax = defaultDelayMax
	}
	if p.MaxDelayed <= 0 {
		p.MaxDelayed = defaultMaxDelayed
	}
	return p
}

// accountKey names a mysql.user row.
type accountKey struct{ User, Host string }

// accountPolicy is what CREATE / ALTER USER set for an account.
type accountPolicy struct {
	// FailedLoginAttempts locks the account after that many consecutive
	// failed logins; 0 disables it.
	FailedLoginAttempts int64 `json:"failed_login_attempts,omitempty"`
	// PasswordLockDays is how long, -1 for UNBOUNDED; 0 disables locking.
	PasswordLockDays int64 `json:"password_lock_days,omitempty"`
	// Locked is ACCOUNT LOCK.
	Locked bool `json:"account_locked,omitempty"`
}

// accountState is an account's policy and its failure record.
type accountState struct {
	User string `json:"user"`
	Host string `json:"host"`
	accountPolicy
	// Failures counts consecutive failed logins since the last success.
	Failures int64 `json:"failures,omitempty"`
	// BlockedAt is when the failures locked the account (zero: not).
	BlockedAt time.Time `json:"blocked_at,omitempty"`
}

// tracksFailures reports whether failed logins can lock the account.
func (p accountPolicy) tracksFailures() bool {
	return p.FailedLoginAttempts > 0 && p.PasswordLockDays != 0
}

// loginGuard holds the login protection of every account and the delays
// of repeated failures. Safe for concurrent use.
type loginGuard struct {
	db      *mysql_db.MySQLDb
	persist func(ctx context.Context, blob []byte) error
	now     func() time.Time
	opts    LoginProtection
	m       *metrics.SQL
	// onLogin, when set, learns every login's outcome (0 or the MySQL
	// error code) for the audit log.
	onLogin func(c *mysql.Conn, user, host string, code int)
	// onAuthenticated, when set, is called after a successful login,
	// before vitess answers it, on the connection's goroutine.
	onAuthenticated func(c *mysql.Conn, user string, data mysql.Getter)

	mu       sync.Mutex
	accounts map[accountKey]*accountState
	// failures counts consecutive failures per user and client host for
	// the delays; delayed is the number of logins waiting now.
	failures map[accountKey]int
	delayed  int
}

func newLoginGuard(db *mysql_db.MySQLDb, blob []byte, persist func(context.Context, []byte) error, opts LoginProtection, m *metrics.SQL) (*loginGuard, error) {
	g := &loginGuard{db: db, persist: persist, now: time.Now, opts: opts.withDefaults(), m: m,
		accounts: make(map[accountKey]*accountState), failures: make(map[accountKey]int)}
	if len(blob) > 0 {
		var list []*accountState
		if err := json.Unmarshal(blob, &list); err != nil {
			return nil, fmt.Errorf("load login protection state: %w", err)
		}
		for _, a := range list {
			g.accounts[accountKey{a.User, a.Host}] = a
		}
	}
	return g, nil
}

// saveLocked persists every account's state; the caller holds mu. The
// blob is small (one entry per account with a policy or a record).
func (g *loginGuard) saveLocked(ctx context.Context) error {
	list := make([]*accountState, 0, len(g.accounts))
	for _, a := range g.accounts {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].User != list[j].User {
			return list[i].User < list[j].User
		}
		return list[i].Host < list[j].Host
	})
	blob, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return g.persist(ctx, blob)
}

// account returns the mysql.user row a login of user from host (an IP)
// matches, as go-mysql-server's authentication matches it.
func (g *loginGuard) account(user, host string) (accountKey, bool) {
	rd := g.db.Reader()
	defer rd.Close()
	u := g.db.GetUser(rd, user, host, false)
	if u == nil {
		return accountKey{}, false
	}
	return accountKey{u.User, u.Host}, true
}

// userNameExists reports whether an account (or the anonymous account)
// could match a login as user.
func (g *loginGuard) userNameExists(user string) bool {
	rd := g.db.Reader()
	defer rd.Close()
	return len(rd.GetUsersByUsername(user)) > 0 || len(rd.GetUsersByUsername("")) > 0
}

// blockedError returns 3955 when failed logins lock the account now,
// clearing a lock that has run out (which also forgets the failures, as
// MySQL does).
func (g *loginGuard) blockedErrorLocked(key accountKey) error {
	a := g.accounts[key]
	if a == nil || a.BlockedAt.IsZero() {
		return nil
	}
	if a.PasswordLockDays > 0 {
		end := a.BlockedAt.Add(time.Duration(a.PasswordLockDays) * g.opts.Day)
		if !g.now().Before(end) {
			a.BlockedAt, a.Failures = time.Time{}, 0
			_ = g.saveLocked(context.Background())
			return nil
		}
	}
	return g.blockedErr(key, a)
}

func (g *loginGuard) blockedErr(key accountKey, a *accountState) error {
	days, remaining := "unlimited", "unlimited"
	if a.PasswordLockDays > 0 {
		days = fmt.Sprint(a.PasswordLockDays)
		left := a.BlockedAt.Add(time.Duration(a.PasswordLockDays) * g.opts.Day).Sub(g.now())
		remaining = fmt.Sprint(int64((left + g.opts.Day - 1) / g.opts.Day))
	}
	return mysql.NewSQLError(erAccountBlocked, "HY000",
		"Access denied for user '%s'@'%s'. Account is blocked for %s day(s) (%s day(s) remaining) due to %d consecutive failed logins.",
		key.User, key.Host, days, remaining, a.FailedLoginAttempts)
}

// loginFailed records a failed login of the account and returns 3955 when
// this failure locks it.
func (g *loginGuard) loginFailed(key accountKey) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.accounts[key]
	if a == nil || !a.tracksFailures() {
		return nil
	}
	a.Failures++
	if a.Failures < a.FailedLoginAttempts {
		_ = g.saveLocked(context.Background())
		return nil
	}
	a.BlockedAt = g.now()
	_ = g.saveLocked(context.Background())
	return g.blockedErr(key, a)
}

// loginSucceeded forgets the account's failures.
func (g *loginGuard) loginSucceeded(key accountKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a := g.accounts[key]; a != nil && a.Failures > 0 {
		a.Failures = 0
		_ = g.saveLocked(context.Background())
	}
}

// locked reports ACCOUNT LOCK.
func (g *loginGuard) locked(key accountKey) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.accounts[key]
	return a != nil && a.Locked
}

// accountChange is what one CREATE or ALTER USER says about login
// protection; nil fields were not given.
type accountChange struct {
	FailedLoginAttempts *int64
	PasswordLockDays    *int64 // -1: UNBOUNDED
	Locked              *bool
}

// apply sets the account's policy. Any change of the failure policy or
// of the lock resets the failure record, as in MySQL (ALTER USER ...
// ACCOUNT UNLOCK also unblocks an account locked by failures).
func (g *loginGuard) apply(ctx context.Context, key accountKey, ch accountChange, fresh bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.accounts[key]
	if a == nil || fresh {
		a = &accountState{User: key.User, Host: key.Host}
	}
	if ch.FailedLoginAttempts != nil {
		a.FailedLoginAttempts = *ch.FailedLoginAttempts
	}
	if ch.PasswordLockDays != nil {
		a.PasswordLockDays = *ch.PasswordLockDays
	}
	if ch.Locked != nil {
		a.Locked = *ch.Locked
	}
	if ch.FailedLoginAttempts != nil || ch.PasswordLockDays != nil || ch.Locked != nil {
		a.Failures, a.BlockedAt = 0, time.Time{}
	}
	if a.accountPolicy == (accountPolicy{}) {
		delete(g.accounts, key)
	} else {
		g.accounts[key] = a
	}
	return g.saveLocked(ctx)
}

// drop forgets the accounts (DROP USER).
func (g *loginGuard) drop(ctx context.Context, keys []accountKey) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	changed := false
	for _, k := range keys {
		if _, ok := g.accounts[k]; ok {
			delete(g.accounts, k)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return g.saveLocked(ctx)
}

// policy returns the account's policy (the zero policy when none).
func (g *loginGuard) policy(key accountKey) accountPolicy {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a := g.accounts[key]; a != nil {
		return a.accountPolicy
	}
	return accountPolicy{}
}

// wait delays a login of user from host after repeated failures, as
// MySQL's connection_control does, and returns the function to call when
// the login is over. When MaxDelayed logins already wait it returns 1045
// at once instead.
func (g *loginGuard) wait(user, host string) (func(), error) {
	key := accountKey{user, host}
	g.mu.Lock()
	n := g.failures[key]
	if n < g.opts.DelayAfter {
		g.mu.Unlock()
		return func() {}, nil
	}
	if g.delayed >= g.opts.MaxDelayed {
		g.mu.Unlock()
		return nil, mysql.NewSQLError(erAccessDenied, mysql.SSAccessDeniedError,
			"Access denied for user '%s'@'%s' (too many logins waiting after failures)", user, host)
	}
	g.delayed++
	g.mu.Unlock()
	d := min(time.Duration(n-g.opts.DelayAfter+1)*g.opts.DelayStep, g.opts.DelayMax)
	time.Sleep(d)
	return func() {
		g.mu.Lock()
		g.delayed--
		g.mu.Unlock()
	}, nil
}

// noteResult updates the delay counts of user from host after a login.
func (g *loginGuard) noteResult(user, host string, ok bool) {
	key := accountKey{user, host}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		delete(g.failures, key)
		return
	}
	// Bounded memory: an attacker cycling user names cannot grow the map
	// without bound; forgetting the counts only shortens delays.
	if len(g.failures) >= 100_000 {
		clear(g.failures)
	}
	g.failures[key]++
}

// guardAuthServer puts the login guard around every auth method.
type guardAuthServer struct {
	mysql.AuthServer
	g *loginGuard
}

func (s guardAuthServer) AuthMethods() []mysql.AuthMethod {
	return wrappedAuthMethods(s.AuthServer, func(m mysql.AuthMethod) mysql.AuthMethod {
		return guardAuthMethod{AuthMethod: m, g: s.g}
	})
}

// wrappedAuthMethods returns the methods of inner, each wrapped by wrap
// (the login guard here, forwarded logins in forward_auth.go).
func wrappedAuthMethods(inner mysql.AuthServer, wrap func(mysql.AuthMethod) mysql.AuthMethod) []mysql.AuthMethod {
	methods := inner.AuthMethods()
	out := make([]mysql.AuthMethod, len(methods))
	for i, m := range methods {
		out[i] = wrap(m)
	}
	return out
}

// guardAuthMethod checks the account's locks around the inner method's
// password check: an account locked by failures gets 3955 whatever the
// password, a correct password of an ACCOUNT LOCKed account 3118, and a
// wrong password counts toward FAILED_LOGIN_ATTEMPTS and the delays.
type guardAuthMethod struct {
	mysql.AuthMethod
	g *loginGuard
}

// HandleUser also takes a user name no account has: go-mysql-server's
// methods refuse it, and vitess then ends the login with client error 2012
// ("no authentication methods"), before any password check, where MySQL
// answers 1045; taken here, the inner method fails it with 1045 and the
// login is counted and audited like any failure.
//
// It also marks a connection packetConn put TLS on as TLS (markTLS):
// vitess asks every login's methods about the user before it looks at
// the transport or the password.
func (m guardAuthMethod) HandleUser(c *mysql.Conn, user string) bool {
	markTLS(c)
	return m.AuthMethod.HandleUser(c, user) || !m.g.userNameExists(user)
}

func (m guardAuthMethod) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remote net.Addr) (mysql.Getter, error) {
	g := m.g
	host := remoteHost(remote)
	getter, err := m.authenticate(c, user, serverData, clientData, remote, host)
	code := 0
	if err != nil {
		code = erAccessDenied
		if se, ok := err.(*mysql.SQLError); ok {
			code = se.Number()
		}
		if g.m != nil {
			g.m.AuthFailed()
		}
	}
	if g.onLogin != nil {
		g.onLogin(c, user, host, code)
	}
	if err == nil && g.onAuthenticated != nil {
		g.onAuthenticated(c, user, getter)
	}
	return getter, err
}

func (m guardAuthMethod) authenticate(c *mysql.Conn, user string, serverData, clientData []byte, remote net.Addr, host string) (mysql.Getter, error) {
	g := m.g
	release, err := g.wait(user, host)
	if err != nil {
		g.noteResult(user, host, false)
		return nil, err
	}
	defer release()
	key, known := g.account(user, host)
	if known {
		g.mu.Lock()
		err := g.blockedErrorLocked(key)
		g.mu.Unlock()
		if err != nil {
			g.noteResult(user, host, false)
			return nil, err
		}
	}
	getter, err := m.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remote)
	if err != nil {
		g.noteResult(user, host, false)
		if se, ok := err.(*mysql.SQLError); known && (!ok || se.Number() == erAccessDenied) {
			if berr := g.loginFailed(key); berr != nil {
				return nil, berr
			}
		}
		return nil, err
	}
	if known && g.locked(key) {
		g.noteResult(user, host, false)
		return nil, mysql.NewSQLError(erAccountLocked, "HY000",
			"Access denied for user '%s'@'%s'. Account is locked.", key.User, key.Host)
	}
	g.noteResult(user, host, true)
	if known {
		g.loginSucceeded(key)
	}
	return getter, nil
}

// remoteHost is the client's IP as go-mysql-server matches accounts.
func remoteHost(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

var (
	_ mysql.AuthServer = guardAuthServer{}
	_ mysql.AuthMethod = guardAuthMethod{}
)
