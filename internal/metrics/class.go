package metrics

// Class is the audit log's kind of statement, derived from its Command:
// the one classification of statements (Classify), grouped.
type Class string

// The classes of statements.
const (
	// ClassDDL changes schema objects: CREATE / ALTER / DROP of
	// databases, tables, indexes, views, triggers and procedures,
	// TRUNCATE, RENAME TABLE.
	ClassDDL Class = "ddl"
	// ClassDCL changes accounts and privileges: CREATE / ALTER / DROP /
	// RENAME USER, GRANT, REVOKE, SET PASSWORD.
	ClassDCL Class = "dcl"
	// ClassDML changes rows: INSERT, UPDATE, DELETE, REPLACE, LOAD DATA,
	// CALL.
	ClassDML Class = "dml"
	// ClassSelect reads: SELECT (WITH, TABLE, VALUES) and SHOW.
	ClassSelect Class = "select"
	// ClassAdmin is everything else: transactions, SET, USE, KILL,
	// FLUSH, ANALYZE, prepared statements, and admin API calls.
	ClassAdmin Class = "admin"
)

// Classes returns every class, in the order the configuration lists them.
func Classes() []Class { return []Class{ClassDDL, ClassDCL, ClassDML, ClassSelect, ClassAdmin} }

// Class returns the command's class.
func (c Command) Class() Class {
	switch c {
	case CommandCreateDB, CommandCreateTable, CommandCreateIndex, CommandCreateView, CommandCreateTrigger,
		CommandCreateProcedure, CommandAlterTable, CommandDropDB, CommandDropTable, CommandDropIndex,
		CommandDropView, CommandDropTrigger, CommandDropProcedure, CommandTruncate, CommandRenameTable:
		return ClassDDL
	case CommandCreateUser, CommandAlterUser, CommandDropUser, CommandRenameUser, CommandGrant, CommandRevoke,
		CommandSetPassword:
		return ClassDCL
	case CommandInsert, CommandUpdate, CommandDelete, CommandReplace, CommandLoad, CommandCallProcedure:
		return ClassDML
	case CommandSelect, CommandShowStatus, CommandShowVariables, CommandShowProcesslist, CommandShowDatabases,
		CommandShowTables, CommandShowCreateTable, CommandShowFields, CommandShowKeys, CommandShowWarnings,
		CommandShowErrors, CommandShowGrants, CommandShowTableStatus, CommandShowCreateDB,
		CommandShowEngineStatus, CommandShowCharsets, CommandShowCollations:
		return ClassSelect
	}
	return ClassAdmin
}
