package metrics

import (
	"strings"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// Command is the kind of a client statement, named as MySQL names its
// Com_* status counters (Com_select, Com_insert, ...). The zero value is
// CommandOther.
type Command uint8

// The commands counted. Their names (String) are the label values of
// guocedb_statements_total and, with "Com_" in front, the SHOW STATUS
// names; CommandOther has no Com_ counter.
const (
	CommandOther Command = iota
	CommandSelect
	CommandInsert
	CommandUpdate
	CommandDelete
	CommandReplace
	CommandLoad
	CommandCallProcedure
	CommandBegin
	CommandCommit
	CommandRollback
	CommandSavepoint
	CommandReleaseSavepoint
	CommandRollbackToSavepoint
	CommandSetOption
	CommandChangeDB
	CommandCreateDB
	CommandCreateTable
	CommandCreateIndex
	CommandCreateView
	CommandCreateTrigger
	CommandCreateProcedure
	CommandCreateUser
	CommandAlterTable
	CommandAlterUser
	CommandDropDB
	CommandDropTable
	CommandDropIndex
	CommandDropView
	CommandDropTrigger
	CommandDropProcedure
	CommandDropUser
	CommandTruncate
	CommandRenameTable
	CommandGrant
	CommandRevoke
	CommandAnalyze
	CommandOptimize
	CommandKill
	CommandLockTables
	CommandUnlockTables
	CommandFlush
	CommandDo
	CommandPrepareSQL
	CommandExecuteSQL
	CommandDeallocSQL
	CommandShowStatus
	CommandShowVariables
	CommandShowProcesslist
	CommandShowDatabases
	CommandShowTables
	CommandShowCreateTable
	CommandShowFields
	CommandShowKeys
	CommandShowWarnings
	CommandShowErrors
	CommandShowGrants
	CommandShowTableStatus
	CommandShowCreateDB
	CommandShowEngineStatus
	CommandShowCharsets
	CommandShowCollations
	CommandStmtPrepare
	CommandStmtExecute
	CommandStmtClose
	CommandStmtReset
	CommandSetPassword
	CommandRenameUser
	// NumCommands is the number of commands; not a command.
	NumCommands
)

var commandNames = [NumCommands]string{
	CommandOther: "other", CommandSelect: "select", CommandInsert: "insert", CommandUpdate: "update",
	CommandDelete: "delete", CommandReplace: "replace", CommandLoad: "load", CommandCallProcedure: "call_procedure",
	CommandBegin: "begin", CommandCommit: "commit", CommandRollback: "rollback", CommandSavepoint: "savepoint",
	CommandReleaseSavepoint: "release_savepoint", CommandRollbackToSavepoint: "rollback_to_savepoint",
	CommandSetOption: "set_option", CommandChangeDB: "change_db", CommandCreateDB: "create_db",
	CommandCreateTable: "create_table", CommandCreateIndex: "create_index", CommandCreateView: "create_view",
	CommandCreateTrigger: "create_trigger", CommandCreateProcedure: "create_procedure", CommandCreateUser: "create_user",
	CommandAlterTable: "alter_table", CommandAlterUser: "alter_user", CommandDropDB: "drop_db",
	CommandDropTable: "drop_table", CommandDropIndex: "drop_index", CommandDropView: "drop_view",
	CommandDropTrigger: "drop_trigger", CommandDropProcedure: "drop_procedure", CommandDropUser: "drop_user",
	CommandTruncate: "truncate", CommandRenameTable: "rename_table", CommandGrant: "grant", CommandRevoke: "revoke",
	CommandAnalyze: "analyze", CommandOptimize: "optimize", CommandKill: "kill", CommandLockTables: "lock_tables",
	CommandUnlockTables: "unlock_tables", CommandFlush: "flush", CommandDo: "do", CommandPrepareSQL: "prepare_sql",
	CommandExecuteSQL: "execute_sql", CommandDeallocSQL: "dealloc_sql", CommandShowStatus: "show_status",
	CommandShowVariables: "show_variables", CommandShowProcesslist: "show_processlist",
	CommandShowDatabases: "show_databases", CommandShowTables: "show_tables", CommandShowCreateTable: "show_create_table",
	CommandShowFields: "show_fields", CommandShowKeys: "show_keys", CommandShowWarnings: "show_warnings",
	CommandShowErrors: "show_errors", CommandShowGrants: "show_grants", CommandShowTableStatus: "show_table_status",
	CommandShowCreateDB: "show_create_db", CommandShowEngineStatus: "show_engine_status",
	CommandShowCharsets: "show_charsets", CommandShowCollations: "show_collations",
	CommandStmtPrepare: "stmt_prepare", CommandStmtExecute: "stmt_execute", CommandStmtClose: "stmt_close",
	CommandStmtReset: "stmt_reset", CommandSetPassword: "set_password", CommandRenameUser: "rename_user",
}

// String returns the command's name ("select", "create_table", ...).
func (c Command) String() string {
	if c >= NumCommands {
		return commandNames[CommandOther]
	}
	return commandNames[c]
}

// StatusName returns the SHOW STATUS name of the command's counter
// ("Com_select"), or "" for CommandOther.
func (c Command) StatusName() string {
	if c == CommandOther || c >= NumCommands {
		return ""
	}
	return "Com_" + commandNames[c]
}

// firstWord maps a statement's first word to its command when that word
// alone decides it.
var firstWord = map[string]Command{
	"select": CommandSelect, "with": CommandSelect, "table": CommandSelect, "values": CommandSelect,
	"insert": CommandInsert, "update": CommandUpdate, "delete": CommandDelete, "replace": CommandReplace,
	"load": CommandLoad, "call": CommandCallProcedure, "begin": CommandBegin, "commit": CommandCommit,
	"savepoint": CommandSavepoint, "release": CommandReleaseSavepoint, "set": CommandSetOption,
	"use": CommandChangeDB, "truncate": CommandTruncate, "rename": CommandRenameTable, "grant": CommandGrant,
	"revoke": CommandRevoke, "analyze": CommandAnalyze, "optimize": CommandOptimize, "kill": CommandKill,
	"unlock": CommandUnlockTables, "flush": CommandFlush, "do": CommandDo, "prepare": CommandPrepareSQL,
	"execute": CommandExecuteSQL, "deallocate": CommandDeallocSQL,
}

// objectCommands maps CREATE / ALTER / DROP and the object word to the
// command.
var objectCommands = map[string]map[string]Command{
	"create": {"database": CommandCreateDB, "schema": CommandCreateDB, "table": CommandCreateTable,
		"index": CommandCreateIndex, "view": CommandCreateView, "trigger": CommandCreateTrigger,
		"procedure": CommandCreateProcedure, "user": CommandCreateUser},
	"alter": {"table": CommandAlterTable, "user": CommandAlterUser},
	"drop": {"database": CommandDropDB, "schema": CommandDropDB, "table": CommandDropTable,
		"index": CommandDropIndex, "view": CommandDropView, "trigger": CommandDropTrigger,
		"procedure": CommandDropProcedure, "user": CommandDropUser},
}

// showCommands maps SHOW and its next words to the command.
var showCommands = map[string]Command{
	"status": CommandShowStatus, "variables": CommandShowVariables, "processlist": CommandShowProcesslist,
	"databases": CommandShowDatabases, "schemas": CommandShowDatabases, "tables": CommandShowTables,
	"fields": CommandShowFields, "columns": CommandShowFields, "keys": CommandShowKeys,
	"index": CommandShowKeys, "indexes": CommandShowKeys, "warnings": CommandShowWarnings,
	"errors": CommandShowErrors, "grants": CommandShowGrants, "engine": CommandShowEngineStatus,
	"charset": CommandShowCharsets, "collation": CommandShowCollations,
}

// showModifiers are words between SHOW and what it shows that do not
// change the command.
var showModifiers = map[string]bool{"global": true, "session": true, "full": true, "extended": true, "storage": true}

// Classify returns the command of a statement from its first words,
// skipping comments (but entering /*! ... */ version comments, whose
// content runs). It reads a few words only and allocates nothing for the
// common statements: the MySQL handler calls it for every statement.
func Classify(query string) Command {
	st := sqltext.Classify(query)
	return ClassifyStatement(&st)
}

// ClassifyStatement is Classify of a statement already read by
// sqltext.Classify (the MySQL handler reads each statement once).
func ClassifyStatement(st *sqltext.Statement) Command {
	words := st.Words()
	n := len(words)
	if n == 0 {
		return CommandOther
	}
	if c, ok := lookupFold(firstWord, words[0]); ok {
		// SET PASSWORD and RENAME USER change accounts (DCL), unlike
		// other SET and RENAME statements.
		switch {
		case c == CommandSetOption && n > 1 && strings.EqualFold(words[1], "password"):
			return CommandSetPassword
		case c == CommandRenameTable && n > 1 && strings.EqualFold(words[1], "user"):
			return CommandRenameUser
		}
		return c
	}
	first := strings.ToLower(words[0])
	switch first {
	case "start":
		if n > 1 && strings.EqualFold(words[1], "transaction") {
			return CommandBegin
		}
	case "rollback":
		for _, w := range words[1:n] {
			if strings.EqualFold(w, "to") {
				return CommandRollbackToSavepoint
			}
		}
		return CommandRollback
	case "lock":
		return CommandLockTables
	case "create", "alter", "drop":
		// The object word may follow modifiers and a definer's name
		// (CREATE DEFINER=`u`@`h` PROCEDURE).
		objects := objectCommands[first]
		for _, w := range words[1:n] {
			if c, ok := objects[strings.ToLower(w)]; ok {
				return c
			}
		}
	case "show":
		for i, w := range words[1:n] {
			lw := strings.ToLower(w)
			if lw == "create" && i+2 < n {
				switch strings.ToLower(words[i+2]) {
				case "table":
					return CommandShowCreateTable
				case "database", "schema":
					return CommandShowCreateDB
				}
				return CommandOther
			}
			if lw == "table" && i+2 < n && strings.EqualFold(words[i+2], "status") {
				return CommandShowTableStatus
			}
			if c, ok := showCommands[lw]; ok {
				return c
			}
			if !showModifiers[lw] {
				break
			}
		}
	}
	return CommandOther
}

// lookupFold looks w up in m case-insensitively without allocating (m's
// keys are lower case; the map index of a converted byte slice does not
// copy it).
func lookupFold(m map[string]Command, w string) (Command, bool) {
	var buf [16]byte
	if len(w) > len(buf) {
		return CommandOther, false
	}
	b := buf[:len(w)]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	c, ok := m[string(b)]
	return c, ok
}
