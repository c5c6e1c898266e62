package mysqlserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// The SQL side of login protection (accountlock.go).
//
// Upstream (go-mysql-server v0.20.0, its vitess grammar):
//   - CREATE USER parses FAILED_LOGIN_ATTEMPTS, PASSWORD_LOCK_TIME and
//     ACCOUNT LOCK|UNLOCK into plan.CreateUser and ignores them.
//   - ALTER USER knows none of them: a syntax error.
//   - SHOW CREATE USER is a syntax error.
//
// guocedb:
//   - accountPolicyBuilder applies CREATE USER's options after
//     go-mysql-server created the accounts, and forgets dropped ones.
//   - rewriteAlterUserLock turns `ALTER USER [IF EXISTS] acct [auth]
//     <options>` into a CREATE USER IF NOT EXISTS that go-mysql-server
//     parses (and checks privileges for: CREATE USER, as MySQL's ALTER
//     USER), marked with an ATTRIBUTE that carries the options given;
//     accountPolicyBuilder runs it as the ALTER USER it was.
//   - rewriteShowCreateUser turns SHOW CREATE USER into a SELECT of
//     guocedb_show_create_user(user, host), which prints MySQL's text.
//
// Delete the rewrites when upstream parses and keeps these options.

// alterUserMarker is the JSON key of the ATTRIBUTE that marks a rewritten
// ALTER USER; a real attribute of that name is refused by the rewrite.
const alterUserMarker = "guocedb:alter_user"

// alterUserOptions is what a rewritten ALTER USER said; nil: not given.
type alterUserOptions struct {
	IfExists            bool   `json:"if_exists,omitempty"`
	FailedLoginAttempts *int64 `json:"failed_login_attempts,omitempty"`
	PasswordLockDays    *int64 `json:"password_lock_time,omitempty"`
	Locked              *bool  `json:"account_locked,omitempty"`
}

// rewriteAlterUserLock rewrites an ALTER USER with login-protection
// options (see above); other text comes back unchanged. Only the first
// statement of q is considered, the rest is kept after it.
func rewriteAlterUserLock(q string) string {
	if !containsFold(q, "alter") || !(containsFold(q, "failed_login_attempts") || containsFold(q, "password_lock_time") ||
		containsFold(q, "account")) {
		return q
	}
	toks := lexSQL(q)
	if len(toks) < 3 || !toks[0].is("ALTER") || !toks[1].is("USER") {
		return q
	}
	end, rest := len(q), ""
	for _, t := range toks {
		if !t.quoted && t.text == ";" {
			end, rest = t.start, q[t.start:]
			break
		}
	}
	var opts alterUserOptions
	i := 2
	if i+1 < len(toks) && toks[i].is("IF") && toks[i+1].is("EXISTS") {
		opts.IfExists = true
		i += 2
	}
	bodyStart := toks[i-1].end
	var cut [][2]int // spans of q removed
	found := false
	for j := i; j < len(toks) && toks[j].start < end; j++ {
		t := toks[j]
		switch {
		case t.is("FAILED_LOGIN_ATTEMPTS") && j+1 < len(toks):
			n, err := strconv.ParseInt(toks[j+1].text, 10, 64)
			if err != nil || toks[j+1].quoted {
				return q // leave the syntax error to the parser
			}
			opts.FailedLoginAttempts = &n
			cut = append(cut, [2]int{t.start, toks[j+1].end})
			j++
		case t.is("PASSWORD_LOCK_TIME") && j+1 < len(toks):
			n := int64(-1)
			if !toks[j+1].is("UNBOUNDED") {
				v, err := strconv.ParseInt(toks[j+1].text, 10, 64)
				if err != nil || toks[j+1].quoted {
					return q
				}
				n = v
			}
			opts.PasswordLockDays = &n
			cut = append(cut, [2]int{t.start, toks[j+1].end})
			j++
		case t.is("ACCOUNT") && j+1 < len(toks) && (toks[j+1].is("LOCK") || toks[j+1].is("UNLOCK")):
			locked := toks[j+1].is("LOCK")
			opts.Locked = &locked
			cut = append(cut, [2]int{t.start, toks[j+1].end})
			j++
		case t.is("ATTRIBUTE") || t.is("COMMENT"):
			return q // the marker needs the attribute slot
		default:
			continue
		}
		found = true
	}
	if !found {
		return q
	}
	var body strings.Builder
	last := bodyStart
	for _, c := range cut {
		body.WriteString(q[last:c[0]])
		last = c[1]
	}
	body.WriteString(q[last:end])
	marker, _ := json.Marshal(map[string]alterUserOptions{alterUserMarker: opts})
	return "CREATE USER IF NOT EXISTS " + strings.TrimSpace(body.String()) + " ATTRIBUTE " + quoteSQLString(string(marker)) + rest
}

// rewriteShowCreateUser turns `SHOW CREATE USER acct` into the SELECT
// that prints it; other text comes back unchanged.
func rewriteShowCreateUser(q string) string {
	if !containsFold(q, "show") || !containsFold(q, "user") {
		return q
	}
	toks := lexSQL(q)
	if len(toks) < 3 || !toks[0].is("SHOW") || !toks[1].is("CREATE") || !toks[2].is("USER") {
		return q
	}
	i, user, host := 3, "", "%"
	current := i >= len(toks) || toks[i].text == ";"
	if !current && toks[i].is("CURRENT_USER") {
		current = true
		i++
		if i+1 < len(toks) && toks[i].text == "(" && toks[i+1].text == ")" {
			i += 2
		}
	} else if !current {
		user = unquoteToken(toks[i])
		i++
		if i+1 < len(toks) && toks[i].text == "@" {
			host = unquoteToken(toks[i+1])
			i += 2
		}
	}
	rest := ""
	if i < len(toks) {
		if toks[i].text != ";" {
			return q
		}
		rest = q[toks[i].start:]
	}
	if current {
		return "SELECT " + showCreateUserFunc + "(CURRENT_USER(), NULL)" + rest
	}
	label := "CREATE USER for " + user + "@" + host
	return "SELECT " + showCreateUserFunc + "(" + quoteSQLString(user) + ", " + quoteSQLString(host) + ") AS `" +
		strings.ReplaceAll(label, "`", "``") + "`" + rest
}

// unquoteToken returns a name token's value.
func unquoteToken(t sqlToken) string {
	if !t.quoted || len(t.text) < 2 {
		return t.text
	}
	qc := t.text[:1]
	return strings.ReplaceAll(t.text[1:len(t.text)-1], qc+qc, qc)
}

// quoteSQLString quotes s as a single-quoted SQL string.
func quoteSQLString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// accountPolicyBuilder runs CREATE USER (and the ALTER USER rewritten
// into it) and DROP USER with login protection.
type accountPolicyBuilder struct{ g *loginGuard }

// Build implements sql.NodeExecBuilder.
func (b accountPolicyBuilder) Build(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	switch n := n.(type) {
	case *plan.CreateUser:
		if opts, ok := alterUserMarked(n.Attribute); ok {
			return b.alterUser(ctx, n, opts, r)
		}
		return b.createUser(ctx, n, r)
	case *plan.DropUser:
		if err := runOK(ctx, n, r); err != nil {
			return nil, err
		}
		keys := make([]accountKey, 0, len(n.Users))
		for _, u := range n.Users {
			keys = append(keys, keyOf(u))
		}
		if err := b.g.drop(ctx, keys); err != nil {
			return nil, err
		}
		return okIter(0), nil
	}
	return nil, nil
}

func (b accountPolicyBuilder) createUser(ctx *sql.Context, n *plan.CreateUser, r sql.Row) (sql.RowIter, error) {
	// Accounts that exist already are left alone by IF NOT EXISTS.
	existed := make(map[accountKey]bool)
	for _, u := range n.Users {
		k := keyOf(u.UserName)
		existed[k] = b.exists(k)
	}
	if err := runOK(ctx, n, r); err != nil {
		return nil, err
	}
	ch := accountChange{Locked: &n.Locked}
	if po := n.PasswordOptions; po != nil {
		ch.FailedLoginAttempts = po.FailedAttempts
		days := int64(-1) // nil: UNBOUNDED
		if po.LockTime != nil {
			days = *po.LockTime
		}
		ch.PasswordLockDays = &days
	}
	for _, u := range n.Users {
		k := keyOf(u.UserName)
		if existed[k] {
			continue
		}
		if err := b.g.apply(ctx, k, ch, true); err != nil {
			return nil, err
		}
	}
	return okIter(0), nil
}

func (b accountPolicyBuilder) alterUser(ctx *sql.Context, n *plan.CreateUser, opts alterUserOptions, r sql.Row) (sql.RowIter, error) {
	if len(n.Users) != 1 {
		return nil, fmt.Errorf("ALTER USER with login options takes one account")
	}
	u := n.Users[0]
	k := keyOf(u.UserName)
	if !b.exists(k) {
		if opts.IfExists {
			return okIter(0), nil
		}
		return nil, sql.ErrUserAlterFailure.New(u.UserName.String("'"))
	}
	if u.Auth1 != nil {
		alter := &plan.AlterUser{User: u, MySQLDb: n.MySQLDb}
		if err := runOK(ctx, alter, r); err != nil {
			return nil, err
		}
	}
	ch := accountChange{FailedLoginAttempts: opts.FailedLoginAttempts, PasswordLockDays: opts.PasswordLockDays, Locked: opts.Locked}
	if err := b.g.apply(ctx, k, ch, false); err != nil {
		return nil, err
	}
	return okIter(0), nil
}

func (b accountPolicyBuilder) exists(k accountKey) bool {
	rd := b.g.db.Reader()
	defer rd.Close()
	_, ok := rd.GetUser(mysql_db.UserPrimaryKey{User: k.User, Host: k.Host})
	return ok
}

// alterUserMarked returns the options of a rewritten ALTER USER.
func alterUserMarked(attr string) (alterUserOptions, bool) {
	if !strings.Contains(attr, alterUserMarker) {
		return alterUserOptions{}, false
	}
	var m map[string]alterUserOptions
	if err := json.Unmarshal([]byte(attr), &m); err != nil {
		return alterUserOptions{}, false
	}
	opts, ok := m[alterUserMarker]
	return opts, ok
}

// keyOf is the mysql.user row of a user name, as go-mysql-server stores
// it (an empty host is '%').
func keyOf(u plan.UserName) accountKey {
	host := u.Host
	if u.AnyHost || host == "" {
		host = "%"
	}
	return accountKey{User: u.Name, Host: host}
}

// runOK runs a statement node that answers OK through go-mysql-server's
// own builder and drains it.
func runOK(ctx *sql.Context, n sql.Node, r sql.Row) error {
	iter, err := rowexec.DefaultBuilder.Build(ctx, n, r)
	if err != nil {
		return err
	}
	for {
		if _, err := iter.Next(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				return iter.Close(ctx)
			}
			_ = iter.Close(ctx)
			return err
		}
	}
}

func okIter(affected uint64) sql.RowIter {
	return sql.RowsToRowIter(sql.NewRow(types.NewOkResult(int(affected))))
}

// showCreateUserFunc prints an account as SHOW CREATE USER does.
const showCreateUserFunc = "guocedb_show_create_user"

// showCreateUserFunction returns the function behind SHOW CREATE USER
// for the accounts of g.
func showCreateUserFunction(g *loginGuard) sql.Function {
	return sql.Function2{Name: showCreateUserFunc, Fn: func(user, host sql.Expression) sql.Expression {
		return &showCreateUser{user: user, host: host, g: g}
	}}
}

// showCreateUser is SHOW CREATE USER's one value. With a NULL host its
// user argument is CURRENT_USER() ("name@host").
type showCreateUser struct {
	user, host sql.Expression
	g          *loginGuard
}

func (s *showCreateUser) Resolved() bool { return s.user.Resolved() && s.host.Resolved() }
func (s *showCreateUser) String() string {
	return fmt.Sprintf("%s(%s, %s)", showCreateUserFunc, s.user, s.host)
}
func (s *showCreateUser) Type() sql.Type             { return types.LongText }
func (s *showCreateUser) IsNullable() bool           { return false }
func (s *showCreateUser) Children() []sql.Expression { return []sql.Expression{s.user, s.host} }
func (s *showCreateUser) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

func (s *showCreateUser) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(s, len(children), 2)
	}
	return &showCreateUser{user: children[0], host: children[1], g: s.g}, nil
}

func (s *showCreateUser) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	uv, err := s.user.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	hv, err := s.host.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	user, _ := uv.(string)
	host, ok := hv.(string)
	if !ok { // CURRENT_USER(): user@host
		at := strings.LastIndexByte(user, '@')
		if at < 0 {
			return nil, fmt.Errorf("SHOW CREATE USER: unexpected current user %q", user)
		}
		user, host = user[:at], user[at+1:]
	}
	key := accountKey{user, host}
	db := s.g.db
	client := ctx.Session.Client()
	own := client.User == user
	if !own {
		ps := db.UserActivePrivilegeSet(ctx)
		if !ps.Has(sql.PrivilegeType_CreateUser) && !ps.Database("mysql").Has(sql.PrivilegeType_Select) {
			return nil, sql.ErrDatabaseAccessDeniedForUser.New(client.User, client.Address, "mysql")
		}
	}
	rd := db.Reader()
	u, found := rd.GetUser(mysql_db.UserPrimaryKey{User: user, Host: host})
	rd.Close()
	if !found {
		return nil, sql.ErrUserAlterFailure.New("'" + user + "'@'" + host + "'")
	}
	return showCreateUserText(u, s.g.policy(key)), nil
}

// showCreateUserText is MySQL 8's SHOW CREATE USER text for u.
func showCreateUserText(u *mysql_db.User, p accountPolicy) string {
	var b strings.Builder
	name := plan.UserName{Name: u.User, Host: u.Host}
	b.WriteString("CREATE USER " + name.String("`"))
	if u.Plugin != "" {
		b.WriteString(" IDENTIFIED WITH " + quoteSQLString(u.Plugin))
		if u.AuthString != "" {
			b.WriteString(" AS " + quoteSQLString(u.AuthString))
		}
	}
	b.WriteString(" REQUIRE NONE PASSWORD EXPIRE DEFAULT")
	if p.Locked {
		b.WriteString(" ACCOUNT LOCK")
	} else {
		b.WriteString(" ACCOUNT UNLOCK")
	}
	b.WriteString(" PASSWORD HISTORY DEFAULT PASSWORD REUSE INTERVAL DEFAULT PASSWORD REQUIRE CURRENT DEFAULT")
	if p.FailedLoginAttempts != 0 || p.PasswordLockDays != 0 {
		lock := strconv.FormatInt(p.PasswordLockDays, 10)
		if p.PasswordLockDays < 0 {
			lock = "UNBOUNDED"
		}
		fmt.Fprintf(&b, " FAILED_LOGIN_ATTEMPTS %d PASSWORD_LOCK_TIME %s", p.FailedLoginAttempts, lock)
	}
	return b.String()
}

var (
	_ sql.NodeExecBuilder = accountPolicyBuilder{}
	_ sql.Expression      = (*showCreateUser)(nil)
)
