package backend

// go-mysql-server resolves many names against the session's current
// database even when the statement qualifies them: the plan builder for
// views (their definitions are bound in the current database), ANALYZE
// TABLE, RENAME TABLE, SHOW CREATE VIEW, the DELETE-to-TRUNCATE rule, LOCK
// TABLES, trigger lookup, and the executors of ANALYZE. Without a current
// database (connection pools, exporters and dump tools connect without
// one) those statements failed with 1046/1105 "no database selected" or
// 1049 "database not found: ", where MySQL runs them.
//
// The class is fixed where go-mysql-server reads the current database:
// the session. For the duration of one command that names all of its
// tables with a database qualifier, a session without a current database
// answers GetCurrentDatabase with that qualifier (the mysqlserver package
// finds it in the statement's AST). A statement with an unqualified table
// name gets no statement database, so it still fails with "no database
// selected" as in MySQL.

// SetStatementDatabase makes db the database go-mysql-server sees as
// current until the command ends (CommandEnd), when the session has no
// current database of its own. An empty db, or one already set for this
// command, changes nothing: the first statement parsed in a command is
// the client's, later parses are of views and triggers it reads.
func (s *Session) SetStatementDatabase(db string) {
	if db == "" || s.BaseSession.GetCurrentDatabase() != "" {
		return
	}
	s.stmtDB.CompareAndSwap(nil, &db)
}

// SetRoutineDatabase makes db (nil: none) the current database while a
// stored function's body runs, as MySQL runs a routine in its own
// database, and returns the previous one to put back. Unlike
// SetCurrentDatabase it leaves the session's logger alone, which
// go-mysql-server's connection poller reads while a statement runs.
func (s *Session) SetRoutineDatabase(db *string) (prev *string) { return s.routineDB.Swap(db) }

// GetCurrentDatabase implements sql.Session: a running routine's
// database (SetRoutineDatabase), else the current database, else the
// statement's database (SetStatementDatabase), else "".
func (s *Session) GetCurrentDatabase() string {
	if p := s.routineDB.Load(); p != nil {
		return *p
	}
	if db := s.BaseSession.GetCurrentDatabase(); db != "" {
		return db
	}
	if p := s.stmtDB.Load(); p != nil {
		return *p
	}
	return ""
}

// ResetStatementDatabase forgets the statement's database; the wire
// handler calls it after every command, as a command that failed before
// go-mysql-server began it never reaches CommandEnd.
func (s *Session) ResetStatementDatabase() { s.stmtDB.Store(nil) }
