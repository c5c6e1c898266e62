package mysqlserver

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// VerifyPassword reports whether password is the password of the
// account user@host (host an IP, loopback counting as localhost, matched
// as a MySQL login from host would be), and the account is not locked.
// It checks the stored authentication string the way the MySQL listener
// does for mysql_native_password (SHA1(SHA1(password))) and
// caching_sha2_password (SHA-256 crypt with the stored salt and rounds);
// accounts of other plugins are refused. Safe for concurrent use.
func (s *Server) VerifyPassword(user, password, host string) bool {
	db := s.engine.Analyzer.Catalog.MySQLDb
	rd := db.Reader()
	defer rd.Close()
	u := db.GetUser(rd, user, host, false)
	if u == nil || u.Locked {
		return false
	}
	if u.AuthString == "" {
		// An account without a password takes only the empty password,
		// as the MySQL listener does.
		return password == ""
	}
	var want string
	switch u.Plugin {
	case string(mysql.MysqlNativePassword):
		want = nativePasswordHash(password)
	case string(mysql.CachingSha2Password):
		digest, rounds, salt, _, err := mysql.DeserializeCachingSha2PasswordAuthString([]byte(u.AuthString))
		if err != nil || digest != "SHA256" {
			return false
		}
		got, err := mysql.SerializeCachingSha2PasswordAuthString(password, salt, rounds)
		if err != nil {
			return false
		}
		want = string(got)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(u.AuthString)) == 1
}

// nativePasswordHash is mysql_native_password's stored form:
// "*" and the upper-case hex of SHA1(SHA1(password)).
func nativePasswordHash(password string) string {
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	return "*" + strings.ToUpper(hex.EncodeToString(h2[:]))
}

// HasAnyPrivilege reports whether the account user@host holds at least
// one of privileges globally (ON *.*), directly or through its roles.
// Names are MySQL's: static ones such as PROCESS or SUPER, dynamic ones
// such as CONNECTION_ADMIN; SUPER satisfies every check, as in
// go-mysql-server's own checks. Safe for concurrent use.
func (s *Server) HasAnyPrivilege(user, host string, privileges ...string) bool {
	db := s.engine.Analyzer.Catalog.MySQLDb
	sess := sql.NewBaseSessionWithClientServer("", sql.Client{User: user, Address: host}, 0)
	ctx := sql.NewContext(context.Background(), sql.WithSession(sess))
	set := db.UserActivePrivilegeSet(ctx)
	if set.Has(sql.PrivilegeType_Super) {
		return true
	}
	for _, p := range privileges {
		name := strings.ToUpper(strings.TrimSpace(p))
		if static, ok := sql.PrivilegeTypeFromString(name); ok {
			if set.Has(static) {
				return true
			}
			continue
		}
		if set.HasDynamic(name) {
			return true
		}
	}
	return false
}
