package mysqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// SET GLOBAL on a cluster member changes that member, never the leader,
// also in a session that runs on the leader (forward.go): global
// variables are a process's settings (timeouts, the slow log, limits),
// as in MySQL, whose group replication members keep their own too. A
// client that connects to a member to tune it expects that member to
// change; forwarding would change another process, and only for sessions
// that happen to have moved. A setting for every member belongs in each
// member's configuration. SET PERSIST is different: it writes the
// store, so it reaches every member (applied at their next start)
// through the leader, and a follower refuses it with
// errPersistOnFollower instead of failing at its commit.

// errPersistOnFollower refuses SET PERSIST and SET PERSIST_ONLY on a
// follower.
var errPersistOnFollower = mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState,
	"SET PERSIST stores the setting for every member of the cluster and only its leader writes: run it on the leader (SET GLOBAL changes this member only)")

// errMixedSetForwarded refuses, in a session that runs on the leader, a
// SET of global and session variables at once: the global ones act on
// this member, the session ones on the leader's session.
var errMixedSetForwarded = mysql.NewSQLError(mysql.ERNotSupportedYet, mysql.SSUnknownSQLState,
	"this session runs on the cluster's leader: SET global variables (on this member) and session variables (on the leader) in separate statements")

// setPersists reports whether n persists a global variable.
func setPersists(n *plan.Set) bool {
	for _, e := range n.Exprs {
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		sv, ok := sf.LeftChild.(*expression.SystemVar)
		if !ok {
			continue
		}
		if ms, ok := sv.Scope.(*sql.MysqlScope); ok &&
			(ms.Type == sql.SystemVariableScope_Persist || ms.Type == sql.SystemVariableScope_PersistOnly) {
			return true
		}
	}
	return false
}

// setScope is what a SET statement assigns.
type setScope int

const (
	// setLocal is a SET of session or user variables only (or not a
	// SET at all).
	setLocal setScope = iota
	// setGlobal assigns global variables only.
	setGlobal
	// setPersist persists one at least (PERSIST, PERSIST_ONLY).
	setPersist
	// setMixed assigns global and session variables.
	setMixed
)

// scopeOfSet parses query, a SET statement, and tells what it assigns.
// Only SETs of a session that runs on the leader are parsed here (the
// classification named SET; the scopes need the parse).
func scopeOfSet(query string) setScope {
	stmt, err := ast.Parse(query)
	if err != nil {
		return setLocal // the leader answers the syntax error
	}
	set, ok := stmt.(*ast.Set)
	if !ok {
		return setLocal
	}
	var global, local, persist bool
	for _, e := range set.Exprs {
		switch e.Scope {
		case ast.SetScope_Global:
			global = true
		case ast.SetScope_Persist, ast.SetScope_PersistOnly:
			persist = true
		default:
			local = true
		}
	}
	switch {
	case persist:
		return setPersist
	case global && local:
		return setMixed
	case global:
		return setGlobal
	}
	return setLocal
}
