package mysqlserver

import (
	"io"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/guocedb/guocedb/internal/digest"
)

// perfSchemaName is MySQL's performance_schema database. go-mysql-server
// v0.20.0 has none; guocedb serves the tables it can fill from its own
// counters, read-only, beside the stored databases.
const perfSchemaName = "performance_schema"

// perfSchemaProvider is the backend's provider plus the performance_schema
// database. Embedding keeps every other capability of *backend.Provider
// and guocedb's functions (the analyzer finds them by interface
// assertion).
type perfSchemaProvider struct {
	filePolicyProvider
	db *perfSchemaDB
}

var (
	_ sql.DatabaseProvider         = perfSchemaProvider{}
	_ sql.MutableDatabaseProvider  = perfSchemaProvider{}
	_ sql.CollatedDatabaseProvider = perfSchemaProvider{}
	_ sql.FunctionProvider         = perfSchemaProvider{}
)

func newPerfSchemaProvider(p filePolicyProvider, digests *digest.Summary, members GroupMembersFunc) perfSchemaProvider {
	v := lockViews{p: p.Provider}
	return perfSchemaProvider{filePolicyProvider: p, db: &perfSchemaDB{digests: newDigestTable(digests),
		dataLocks: newDataLocksTable(v), dataLockWaits: newDataLockWaitsTable(v), members: newGroupMembersTable(members)}}
}

// Database implements sql.DatabaseProvider.
func (p perfSchemaProvider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	if strings.EqualFold(name, perfSchemaName) {
		return p.db, nil
	}
	return p.Provider.Database(ctx, name)
}

// HasDatabase implements sql.DatabaseProvider.
func (p perfSchemaProvider) HasDatabase(ctx *sql.Context, name string) bool {
	return strings.EqualFold(name, perfSchemaName) || p.Provider.HasDatabase(ctx, name)
}

// AllDatabases implements sql.DatabaseProvider: SHOW DATABASES lists
// performance_schema, as MySQL does.
func (p perfSchemaProvider) AllDatabases(ctx *sql.Context) []sql.Database {
	return append(p.Provider.AllDatabases(ctx), p.db)
}

// CreateDatabase implements sql.MutableDatabaseProvider.
func (p perfSchemaProvider) CreateDatabase(ctx *sql.Context, name string) error {
	return p.CreateCollatedDatabase(ctx, name, sql.Collation_Default)
}

// CreateCollatedDatabase implements sql.CollatedDatabaseProvider.
func (p perfSchemaProvider) CreateCollatedDatabase(ctx *sql.Context, name string, collation sql.CollationID) error {
	if strings.EqualFold(name, perfSchemaName) {
		return sql.ErrDatabaseExists.New(name)
	}
	return p.Provider.CreateCollatedDatabase(ctx, name, collation)
}

// DropDatabase implements sql.MutableDatabaseProvider.
func (p perfSchemaProvider) DropDatabase(ctx *sql.Context, name string) error {
	if strings.EqualFold(name, perfSchemaName) {
		return sql.ErrDatabaseAccessDeniedForUser.New(ctx.Client().User, name)
	}
	return p.Provider.DropDatabase(ctx, name)
}

// perfSchemaDB is the performance_schema database: its tables can be
// read and truncated (resetting a summary, as in MySQL), nothing else.
// It is not a sql.ReadOnlyDatabase, which would refuse TRUNCATE too; it
// implements none of the interfaces that create, alter, drop or write
// tables, so go-mysql-server refuses those.
type perfSchemaDB struct {
	digests                  *digestTable
	dataLocks, dataLockWaits *lockTable // locktables.go
	members                  *groupMembersTable
}

var (
	_ sql.Database        = (*perfSchemaDB)(nil)
	_ sql.ViewDatabase    = (*perfSchemaDB)(nil)
	_ sql.TriggerDatabase = (*perfSchemaDB)(nil)
	_ sql.EventDatabase   = (*perfSchemaDB)(nil)

	_ sql.StoredProcedureDatabase = (*perfSchemaDB)(nil)
)

// Name implements sql.Nameable.
func (*perfSchemaDB) Name() string { return perfSchemaName }

// GetTableInsensitive implements sql.Database.
func (d *perfSchemaDB) GetTableInsensitive(_ *sql.Context, name string) (sql.Table, bool, error) {
	switch {
	case strings.EqualFold(name, digestTableName):
		return d.digests, true, nil
	case strings.EqualFold(name, dataLocksName):
		return d.dataLocks, true, nil
	case strings.EqualFold(name, dataLockWaitsName):
		return d.dataLockWaits, true, nil
	}
	if strings.EqualFold(name, groupMembersTableName) {
		return d.members, true, nil
	}
	return nil, false, nil
}

// GetTableNames implements sql.Database.
func (*perfSchemaDB) GetTableNames(*sql.Context) ([]string, error) {
	return []string{dataLockWaitsName, dataLocksName, digestTableName, groupMembersTableName}, nil
}

// The view methods say "no views" (the privilege wrapper around every
// database fails a query on a database without them): the table lookup
// of every query asks for a view of the name first.

// CreateView implements sql.ViewDatabase: performance_schema is read-only.
func (*perfSchemaDB) CreateView(ctx *sql.Context, name, _, _ string) error {
	return sql.ErrDatabaseAccessDeniedForUser.New(ctx.Client().User, perfSchemaName)
}

// DropView implements sql.ViewDatabase.
func (*perfSchemaDB) DropView(_ *sql.Context, name string) error {
	return sql.ErrViewDoesNotExist.New(perfSchemaName, name)
}

// GetViewDefinition implements sql.ViewDatabase.
func (*perfSchemaDB) GetViewDefinition(*sql.Context, string) (sql.ViewDefinition, bool, error) {
	return sql.ViewDefinition{}, false, nil
}

// AllViews implements sql.ViewDatabase.
func (*perfSchemaDB) AllViews(*sql.Context) ([]sql.ViewDefinition, error) { return nil, nil }

// Triggers, stored procedures and events likewise: none, and none can be
// created (information_schema reads them from every database).

// GetTriggers implements sql.TriggerDatabase.
func (*perfSchemaDB) GetTriggers(*sql.Context) ([]sql.TriggerDefinition, error) { return nil, nil }

// CreateTrigger implements sql.TriggerDatabase.
func (*perfSchemaDB) CreateTrigger(ctx *sql.Context, _ sql.TriggerDefinition) error {
	return sql.ErrDatabaseAccessDeniedForUser.New(ctx.Client().User, perfSchemaName)
}

// DropTrigger implements sql.TriggerDatabase.
func (*perfSchemaDB) DropTrigger(_ *sql.Context, name string) error {
	return sql.ErrTriggerDoesNotExist.New(name)
}

// GetStoredProcedure implements sql.StoredProcedureDatabase.
func (*perfSchemaDB) GetStoredProcedure(*sql.Context, string) (sql.StoredProcedureDetails, bool, error) {
	return sql.StoredProcedureDetails{}, false, nil
}

// GetStoredProcedures implements sql.StoredProcedureDatabase.
func (*perfSchemaDB) GetStoredProcedures(*sql.Context) ([]sql.StoredProcedureDetails, error) {
	return nil, nil
}

// SaveStoredProcedure implements sql.StoredProcedureDatabase.
func (*perfSchemaDB) SaveStoredProcedure(ctx *sql.Context, _ sql.StoredProcedureDetails) error {
	return sql.ErrDatabaseAccessDeniedForUser.New(ctx.Client().User, perfSchemaName)
}

// DropStoredProcedure implements sql.StoredProcedureDatabase.
func (*perfSchemaDB) DropStoredProcedure(_ *sql.Context, name string) error {
	return sql.ErrStoredProcedureDoesNotExist.New(name)
}

// GetEvent implements sql.EventDatabase.
func (*perfSchemaDB) GetEvent(*sql.Context, string) (sql.EventDefinition, bool, error) {
	return sql.EventDefinition{}, false, nil
}

// GetEvents implements sql.EventDatabase.
func (*perfSchemaDB) GetEvents(*sql.Context) ([]sql.EventDefinition, interface{}, error) {
	return nil, nil, nil
}

// SaveEvent implements sql.EventDatabase.
func (*perfSchemaDB) SaveEvent(ctx *sql.Context, _ sql.EventDefinition) (bool, error) {
	return false, sql.ErrDatabaseAccessDeniedForUser.New(ctx.Client().User, perfSchemaName)
}

// DropEvent implements sql.EventDatabase.
func (*perfSchemaDB) DropEvent(_ *sql.Context, name string) error {
	return sql.ErrEventDoesNotExist.New(name)
}

// UpdateEvent implements sql.EventDatabase.
func (*perfSchemaDB) UpdateEvent(ctx *sql.Context, _ string, _ sql.EventDefinition) (bool, error) {
	return false, sql.ErrDatabaseAccessDeniedForUser.New(ctx.Client().User, perfSchemaName)
}

// NeedsToReloadEvents implements sql.EventDatabase.
func (*perfSchemaDB) NeedsToReloadEvents(*sql.Context, interface{}) (bool, error) { return false, nil }

// UpdateLastExecuted implements sql.EventDatabase.
func (*perfSchemaDB) UpdateLastExecuted(*sql.Context, string, time.Time) error { return nil }

const digestTableName = "events_statements_summary_by_digest"

// digestTable is events_statements_summary_by_digest over a
// digest.Summary, with MySQL 8's column names and types for what guocedb
// measures. Times are picoseconds, as in MySQL; columns of things guocedb
// does not track (lock time, warnings, temporary tables, ...) are left
// out rather than shown as zeros that look measured.
type digestTable struct {
	summary *digest.Summary
	schema  sql.Schema
}

var (
	_ sql.Table             = (*digestTable)(nil)
	_ sql.TruncateableTable = (*digestTable)(nil)
)

func newDigestTable(s *digest.Summary) *digestTable {
	col := func(name string, t sql.Type, nullable bool) *sql.Column {
		return &sql.Column{Name: name, Type: t, Nullable: nullable, Source: digestTableName, DatabaseSource: perfSchemaName}
	}
	varchar64 := types.MustCreateStringWithDefaults(sqltypes.VarChar, 64)
	ps := types.Uint64
	return &digestTable{summary: s, schema: sql.Schema{
		col("SCHEMA_NAME", varchar64, true),
		col("DIGEST", varchar64, true),
		col("DIGEST_TEXT", types.LongText, true),
		col("COUNT_STAR", ps, false),
		col("SUM_TIMER_WAIT", ps, false),
		col("MIN_TIMER_WAIT", ps, false),
		col("AVG_TIMER_WAIT", ps, false),
		col("MAX_TIMER_WAIT", ps, false),
		col("SUM_ERRORS", ps, false),
		col("SUM_ROWS_AFFECTED", ps, false),
		col("SUM_ROWS_SENT", ps, false),
		col("SUM_ROWS_EXAMINED", ps, false),
		col("FIRST_SEEN", types.DatetimeMaxPrecision, false),
		col("LAST_SEEN", types.DatetimeMaxPrecision, false),
		col("QUANTILE_95", ps, false),
		col("QUANTILE_99", ps, false),
		col("QUANTILE_999", ps, false),
	}}
}

// Name implements sql.Nameable.
func (*digestTable) Name() string { return digestTableName }

// String implements fmt.Stringer.
func (*digestTable) String() string { return digestTableName }

// Schema implements sql.Table.
func (t *digestTable) Schema() sql.Schema { return t.schema }

// Collation implements sql.Table.
func (*digestTable) Collation() sql.CollationID { return sql.Collation_Default }

// Partitions implements sql.Table: one partition, the whole summary.
func (*digestTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &onePartition{}, nil
}

// PartitionRows implements sql.Table.
func (t *digestTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	snap := t.summary.Snapshot()
	rows := make([]sql.Row, len(snap))
	ps := func(d time.Duration) uint64 { return uint64(d.Nanoseconds()) * 1000 }
	for i, s := range snap {
		var schema, dig, text any
		if s.Schema != "" {
			schema = s.Schema
		}
		if s.Digest != "" {
			dig, text = s.Digest, s.Text
		}
		rows[i] = sql.Row{schema, dig, text, s.Count, ps(s.Total), ps(s.Min), ps(s.Avg()), ps(s.Max),
			s.Errors, s.RowsAffected, s.RowsSent, s.RowsExamined,
			s.FirstSeen.UTC(), s.LastSeen.UTC(), ps(s.P95), ps(s.P99), ps(s.P999)}
	}
	return sql.RowsToRowIter(rows...), nil
}

// Truncate implements sql.TruncateableTable: TRUNCATE TABLE resets the
// summary, as in MySQL (which needs DROP on the table for it).
func (t *digestTable) Truncate(*sql.Context) (int, error) {
	n := len(t.summary.Snapshot())
	t.summary.Reset()
	return n, nil
}

// onePartition iterates a single partition.
type onePartition struct{ done bool }

func (p *onePartition) Next(*sql.Context) (sql.Partition, error) {
	if p.done {
		return nil, io.EOF
	}
	p.done = true
	return digestPartition{}, nil
}

func (*onePartition) Close(*sql.Context) error { return nil }

type digestPartition struct{}

func (digestPartition) Key() []byte { return []byte(digestTableName) }
