package mysqlserver

import "github.com/guocedb/guocedb/internal/metrics"

// A client statement's text is classified once, by metrics.Classify when
// the statement's probe starts (observer.start); the handler's features
// consult that command instead of scanning the text again. Where a
// feature needs more than the command (the replay tells BEGIN from BEGIN
// WORK AND CHAIN, KILL needs its id), it reads the text only for the
// commands that can concern it. The gates are exact: the metrics lexer
// skips at least what the features' own scans skip (blanks, "(",
// comments) and also enters /*! */ version comments, so every statement a
// feature would accept has the command its gate admits.

// replayKind is the statement's kind for the transaction replay
// (runStatement).
func replayKind(cmd metrics.Command, text string) stmtKind {
	switch cmd {
	case metrics.CommandInsert, metrics.CommandUpdate, metrics.CommandDelete, metrics.CommandReplace,
		metrics.CommandBegin, metrics.CommandCommit, metrics.CommandRollback, metrics.CommandRollbackToSavepoint:
		return classify(text)
	}
	return kindOther
}

// mayBeCall reports whether a statement of command cmd can be a CALL
// whose result sets withCallResultSets collects.
func mayBeCall(cmd metrics.Command, text string) bool {
	return cmd == metrics.CommandCallProcedure && isCall(text)
}
