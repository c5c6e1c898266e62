package mysqlserver

import (
	"errors"
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	goerrors "gopkg.in/src-d/go-errors.v1"

	"github.com/guocedb/guocedb/internal/storage"
)

// errorCode maps a go-mysql-server error, which reaches the wire as
// MySQL's generic 1105, to the code and SQLSTATE a MySQL client expects.
// go-mysql-server has already flattened the error to its message by then,
// so the match is on the message, built from the error kind's format.
type errorCode struct {
	match *regexp.Regexp
	code  int
	state string
}

// kindPattern turns an error kind's format into a pattern for its
// messages; the message may be embedded in a longer one.
func kindPattern(k *goerrors.Kind) *regexp.Regexp {
	p := regexp.QuoteMeta(k.Message)
	for _, verb := range []string{"%s", "%q", "%v", "%d"} {
		p = strings.ReplaceAll(p, verb, ".*?")
	}
	return regexp.MustCompile(p)
}

// errorCodes is the one mapping table; internal/acceptance has a test for
// every code in it.
var errorCodes = []errorCode{
	{regexp.MustCompile(`^syntax error at position`), mysql.ERParseError, mysql.SSClientError},
	{kindPattern(sql.ErrColumnNotFound), mysql.ERBadFieldError, mysql.SSBadFieldError},
	{kindPattern(sql.ErrTableColumnNotFound), mysql.ERBadFieldError, mysql.SSBadFieldError},
	{kindPattern(sql.ErrValueOutOfRange), mysql.ERWarnDataOutOfRange, mysql.SSDataOutOfRange},
	{kindPattern(types.ErrLengthBeyondLimit), mysql.ERDataTooLong, mysql.SSDataTooLong},
	{kindPattern(sql.ErrInsertIntoMismatchValueCount), mysql.ERWrongValueCountOnRow, mysql.SSWrongValueCountOnRow},
	{kindPattern(sql.ErrInsertIntoNonNullableDefaultNullColumn), mysql.ERNoDefaultForField, mysql.SSUnknownSQLState},
	{kindPattern(sql.ErrCheckConstraintViolated), 3819, mysql.SSUnknownSQLState},
	// A column, table or CONVERT in a set go-mysql-server cannot store.
	{kindPattern(sql.ErrCharSetNotYetImplementedTemp), mysql.ERNotSupportedYet, mysql.SSClientError},
	{kindPattern(sql.ErrCollationNotYetImplementedTemp), mysql.ERNotSupportedYet, mysql.SSClientError},
	// SET NAMES and friends with a set guocedb cannot convert (wire_charsets.go).
	{kindPattern(sql.ErrCharSetUnknown), mysql.ERUnknownCharacterSet, mysql.SSClientError},
	// A table named without a database, and no current database.
	{kindPattern(sql.ErrNoDatabaseSelected), mysql.ERNoDb, mysql.SSNoDB},
	{kindPattern(sql.ErrSavepointDoesNotExist), mysql.ERSPDoesNotExist, mysql.SSClientError},
	// A call of a function that is neither built in nor stored.
	{kindPattern(sql.ErrFunctionNotFound), mysql.ERSPDoesNotExist, mysql.SSClientError},
	{kindPattern(sql.ErrPrivilegeCheckFailed), 1142, mysql.SSClientError},
	{kindPattern(sql.ErrTableAccessDeniedForUser), 1142, mysql.SSClientError},
	{kindPattern(sql.ErrDatabaseAccessDeniedForUser), mysql.ERDBAccessDenied, mysql.SSClientError},
	{kindPattern(sql.ErrUserCreationFailure), 1396, mysql.SSUnknownSQLState},
	{kindPattern(sql.ErrUserAlterFailure), 1396, mysql.SSUnknownSQLState},
	{kindPattern(sql.ErrTableAlreadyExists), mysql.ERTableExists, "42S01"},
	{kindPattern(sql.ErrInvalidJson), 3141, "22032"},
	{kindPattern(types.ErrConvertingToTime), mysql.ERTruncatedWrongValue, "22007"},
	{kindPattern(types.ErrDataTruncatedForColumn), mysql.ERWarnDataTruncated, "01000"},
	{kindPattern(sql.ErrUnknownSystemVariable), mysql.ERUnknownSystemVariable, mysql.SSUnknownSQLState},
	{kindPattern(sql.ErrNoFullTextIndexFound), 1191, mysql.SSUnknownSQLState},      // ER_FT_MATCHING_KEY_NOT_FOUND
	{kindPattern(sql.ErrFullTextInvalidColumnType), 1283, mysql.SSUnknownSQLState}, // ER_BAD_FT_COLUMN
	{kindPattern(sql.ErrFullTextMissingColumn), mysql.ERKeyColumnDoesNotExist, mysql.SSClientError},
	{kindPattern(sql.ErrFullTextDuplicateColumn), mysql.ERDupFieldName, mysql.SSDupFieldName},
	// MATCH ... AGAINST modes go-mysql-server v0.20.0 does not implement.
	{regexp.MustCompile(`^"[A-Z ]+" is not supported yet$`), mysql.ERNotSupportedYet, mysql.SSClientError},
	{kindPattern(sql.ErrNullableSpatialIdx), 1252, mysql.SSClientError},
	// PRIMARY KEY on a column prefix (pkprefix.go).
	{kindPattern(sql.ErrUnsupportedIndexPrefix), mysql.ERNotSupportedYet, mysql.SSClientError},
	{kindPattern(sql.ErrBadSpatialIdxCol), 1687, mysql.SSClientError},
	// A statement stopped by KILL QUERY (or a client's cancel, which the
	// driver sends as KILL QUERY) ends with its context canceled.
	{regexp.MustCompile(`^context canceled$`), mysql.ERQueryInterrupted, mysql.SSQueryInterrupted},
	// A write on a cluster member that does not lead (follower_writes.go).
	{regexp.MustCompile(regexp.QuoteMeta(storage.ErrFollower.Error())), mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState},
	{regexp.MustCompile(regexp.QuoteMeta(errRejectedOnFollower.Message)), mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState},
	{regexp.MustCompile(regexp.QuoteMeta(errPersistOnFollower.Message)), mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState},
}

// errLocalInfileDisabled is MySQL's ER_CLIENT_LOCAL_FILES_DISABLED, with
// guocedb's switch named.
var errLocalInfileDisabled = mysql.NewSQLError(3948, "42000",
	"Loading local data is disabled; this must be enabled on both the client and server sides (guocedb: local-infile = true)")

var (
	dropDatabase = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*)*DROP\s+(DATABASE|SCHEMA)\b`)
	dropTable    = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*)*DROP\s+(TEMPORARY\s+)?TABLE\b`)
)

// mapError gives err the MySQL code of errorCodes, and the codes MySQL
// uses for DROP of a missing database (1008) or table (1051).
func mapError(err error, query string) error {
	var se *mysql.SQLError
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Num == mysql.ERBadDb && dropDatabase.MatchString(query):
		return mysql.NewSQLError(mysql.ERDbDropExists, mysql.SSUnknownSQLState, "%s", se.Message)
	case se.Num == mysql.ERNoSuchTable && dropTable.MatchString(query):
		return mysql.NewSQLError(mysql.ERBadTable, mysql.SSUnknownTable, "%s", se.Message)
	case se.Num != mysql.ERUnknownError:
		return withSQLState(se, err)
	case strings.Contains(se.Message, "local_infile needs to be set to 1"):
		return errLocalInfileDisabled
	}
	for _, c := range errorCodes {
		if c.match.MatchString(se.Message) {
			msg := se.Message
			if c.code == mysql.ERQueryInterrupted {
				msg = "Query execution was interrupted" // MySQL's text, not "context canceled"
			}
			if i := strings.Index(msg, ", please create an issue"); i >= 0 {
				// go-mysql-server's own request for a bug report.
				msg = msg[:i] + " for stored values in guocedb: use utf8mb4 columns (clients of any supported character set are converted at the wire)"
			}
			return mysql.NewSQLError(c.code, c.state, "%s", msg)
		}
	}
	return err
}

// sqlStates are MySQL's SQLSTATEs for codes that go-mysql-server sends
// with the generic HY000. Applications and ORMs classify errors by them
// (23000: integrity constraint violation, 42S02: no such table).
var sqlStates = map[uint16]string{
	mysql.ERDupEntry:             mysql.SSDupKey,
	mysql.ERBadNullError:         mysql.SSConstraintViolation,
	mysql.ERRowIsReferenced2:     mysql.SSConstraintViolation,
	mysql.ErNoReferencedRow2:     mysql.SSConstraintViolation,
	mysql.ERNoSuchTable:          mysql.SSUnknownTable,
	mysql.ERBadDb:                mysql.SSClientError,
	mysql.ERNoDb:                 mysql.SSNoDB,
	mysql.ERDupFieldName:         mysql.SSDupFieldName,
	mysql.ERDupKeyName:           mysql.SSClientError,
	mysql.ERCantDropFieldOrKey:   mysql.SSClientError,
	mysql.ERLockDeadlock:         mysql.SSLockDeadlock,
	mysql.ERAccessDeniedError:    mysql.SSAccessDeniedError,
	mysql.ERDBAccessDenied:       mysql.SSClientError,
	mysql.ERTableExists:          "42S01",
	mysql.ERBadFieldError:        mysql.SSBadFieldError,
	mysql.ERParseError:           mysql.SSClientError,
	mysql.ERSyntaxError:          mysql.SSClientError,
	mysql.ERWrongValueCountOnRow: mysql.SSWrongValueCountOnRow,
	mysql.ERDataTooLong:          mysql.SSDataTooLong,
	mysql.ERWarnDataOutOfRange:   mysql.SSDataOutOfRange,
	mysql.ERNonUniq:              "23000",
	mysql.ERDupUnique:            mysql.SSDupKey,
}

// withSQLState returns err with MySQL's SQLSTATE for its code when
// go-mysql-server sent the generic HY000.
func withSQLState(se *mysql.SQLError, err error) error {
	state, ok := sqlStates[uint16(se.Num)]
	if !ok || se.State != mysql.SSUnknownSQLState {
		return err
	}
	return mysql.NewSQLError(se.Num, state, "%s", se.Message)
}
