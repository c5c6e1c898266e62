package mysqlserver

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/information_schema"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/lockmgr"
	"github.com/guocedb/guocedb/internal/sqltext"
)

// Row lock observability (issue 10): performance_schema.data_locks and
// data_lock_waits with MySQL 8's columns, information_schema.INNODB_TRX
// for the transactions the lock table knows (those that locked or wait
// for a row; InnoDB lists every open transaction), and SHOW ENGINE INNODB
// STATUS with its LATEST DETECTED DEADLOCK section. Each reads a snapshot
// of the lock table (lockmgr.Snapshot) when queried.

const (
	dataLocksName     = "data_locks"
	dataLockWaitsName = "data_lock_waits"
)

// lockTable is a read-only table whose rows are computed when read.
type lockTable struct {
	name   string
	schema sql.Schema
	rows   func() []sql.Row
}

var _ sql.Table = (*lockTable)(nil)

func (t *lockTable) Name() string               { return t.name }
func (t *lockTable) String() string             { return t.name }
func (t *lockTable) Schema() sql.Schema         { return t.schema }
func (t *lockTable) Collation() sql.CollationID { return sql.Collation_Default }

// Partitions implements sql.Table: one partition.
func (t *lockTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &onePartition{}, nil
}

// PartitionRows implements sql.Table.
func (t *lockTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	return sql.RowsToRowIter(t.rows()...), nil
}

// lockViews renders the lock table for the observability tables.
type lockViews struct{ p *backend.Provider }

func (v lockViews) locks() *lockmgr.Manager { return v.p.Store().Locks() }

func connID(info any) any {
	if o, ok := info.(backend.LockOwner); ok {
		return uint64(o.ConnID)
	}
	return nil
}

// lockID is ENGINE_LOCK_ID: transaction and key, as unique as InnoDB's.
func lockID(txn lockmgr.TxnID, key []byte) string { return fmt.Sprintf("%d:%x", txn, key) }

func modeName(m lockmgr.Mode) string {
	if m == lockmgr.Exclusive {
		return "X,REC_NOT_GAP"
	}
	return "S,REC_NOT_GAP"
}

func newDataLocksTable(v lockViews) *lockTable {
	col := func(name string, t sql.Type, nullable bool) *sql.Column {
		return &sql.Column{Name: name, Type: t, Nullable: nullable, Source: dataLocksName, DatabaseSource: perfSchemaName}
	}
	vc := func(n int64) sql.Type { return types.MustCreateStringWithDefaults(sqltypes.VarChar, n) }
	return &lockTable{name: dataLocksName, schema: sql.Schema{
		col("ENGINE", vc(32), false),
		col("ENGINE_LOCK_ID", vc(128), false),
		col("ENGINE_TRANSACTION_ID", types.Uint64, true),
		col("THREAD_ID", types.Uint64, true),
		col("EVENT_ID", types.Uint64, true),
		col("OBJECT_SCHEMA", vc(64), true),
		col("OBJECT_NAME", vc(64), true),
		col("PARTITION_NAME", vc(64), true),
		col("SUBPARTITION_NAME", vc(64), true),
		col("INDEX_NAME", vc(64), true),
		col("OBJECT_INSTANCE_BEGIN", types.Uint64, false),
		col("LOCK_TYPE", vc(32), false),
		col("LOCK_MODE", vc(32), false),
		col("LOCK_STATUS", vc(32), false),
		col("LOCK_DATA", vc(8192), true),
	}, rows: func() []sql.Row {
		snap := v.locks().Snapshot()
		rows := make([]sql.Row, 0, len(snap.Locks))
		for _, l := range snap.Locks {
			o, _ := v.p.DescribeLockKey(l.Key)
			status := "WAITING"
			if l.Granted {
				status = "GRANTED"
			}
			rows = append(rows, sql.Row{"INNODB", lockID(l.Txn, l.Key), uint64(l.Txn), connID(l.Info), nil,
				orNull(o.Schema), orNull(o.Table), nil, nil, orNull(o.Index), uint64(0),
				"RECORD", modeName(l.Mode), status, orNull(o.Data)})
		}
		return rows
	}}
}

func newDataLockWaitsTable(v lockViews) *lockTable {
	col := func(name string, t sql.Type, nullable bool) *sql.Column {
		return &sql.Column{Name: name, Type: t, Nullable: nullable, Source: dataLockWaitsName, DatabaseSource: perfSchemaName}
	}
	vc := func(n int64) sql.Type { return types.MustCreateStringWithDefaults(sqltypes.VarChar, n) }
	return &lockTable{name: dataLockWaitsName, schema: sql.Schema{
		col("ENGINE", vc(32), false),
		col("REQUESTING_ENGINE_LOCK_ID", vc(128), false),
		col("REQUESTING_ENGINE_TRANSACTION_ID", types.Uint64, true),
		col("REQUESTING_THREAD_ID", types.Uint64, true),
		col("REQUESTING_EVENT_ID", types.Uint64, true),
		col("REQUESTING_OBJECT_INSTANCE_BEGIN", types.Uint64, false),
		col("BLOCKING_ENGINE_LOCK_ID", vc(128), false),
		col("BLOCKING_ENGINE_TRANSACTION_ID", types.Uint64, true),
		col("BLOCKING_THREAD_ID", types.Uint64, true),
		col("BLOCKING_EVENT_ID", types.Uint64, true),
		col("BLOCKING_OBJECT_INSTANCE_BEGIN", types.Uint64, false),
	}, rows: func() []sql.Row {
		snap := v.locks().Snapshot()
		rows := make([]sql.Row, 0, len(snap.Waits))
		for _, w := range snap.Waits {
			rows = append(rows, sql.Row{"INNODB", lockID(w.Waiter, w.Key), uint64(w.Waiter), connID(w.WaiterInfo), nil, uint64(0),
				lockID(w.Blocker, w.Key), uint64(w.Blocker), connID(w.BlockerInfo), nil, uint64(0)})
		}
		return rows
	}}
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// innodbTrxReader fills information_schema.INNODB_TRX (go-mysql-server
// keeps it empty) by column name, so that its schema stays
// go-mysql-server's.
func innodbTrxReader(v lockViews, schema sql.Schema) func(*sql.Context, sql.Catalog) (sql.RowIter, error) {
	return func(ctx *sql.Context, _ sql.Catalog) (sql.RowIter, error) {
		snap := v.locks().Snapshot()
		rows := make([]sql.Row, 0, len(snap.Txns))
		for _, t := range snap.Txns {
			row := make(sql.Row, len(schema))
			for i, c := range schema {
				switch strings.ToLower(c.Name) {
				case "trx_id":
					row[i] = uint64(t.Txn)
				case "trx_state":
					row[i] = "RUNNING"
					if t.WaitingFor != nil {
						row[i] = "LOCK WAIT"
					}
				case "trx_started":
					row[i] = t.Started.UTC()
				case "trx_requested_lock_id":
					if t.WaitingFor != nil {
						row[i] = lockID(t.Txn, t.WaitingFor)
					}
				case "trx_wait_started":
					if t.WaitingFor != nil {
						row[i] = t.WaitStarted.UTC()
					}
				case "trx_weight", "trx_rows_locked", "trx_lock_structs":
					row[i] = uint64(t.LocksHeld)
				case "trx_mysql_thread_id":
					row[i] = connID(t.Info)
				case "trx_isolation_level":
					row[i] = "REPEATABLE READ"
				default:
					if !c.Nullable {
						row[i] = zeroOf(c.Type)
					}
				}
			}
			rows = append(rows, row)
		}
		return sql.RowsToRowIter(rows...), nil
	}
}

func zeroOf(t sql.Type) any {
	switch {
	case types.IsText(t):
		return ""
	case types.IsTime(t):
		return time.Time{}
	default:
		return uint64(0)
	}
}

// describeKey names a locked key as InnoDB's deadlock report does.
func (v lockViews) describeKey(k []byte) string {
	o, ok := v.p.DescribeLockKey(k)
	if !ok {
		return fmt.Sprintf("key 0x%x", k)
	}
	return fmt.Sprintf("index %s of table `%s`.`%s` lock_data %s", o.Index, o.Schema, o.Table, o.Data)
}

// innodbStatus is the text of SHOW ENGINE INNODB STATUS: the sections
// guocedb has numbers for (monitoring tools parse them by their headers).
func (v lockViews) innodbStatus() string {
	var b strings.Builder
	now := time.Now().UTC().Format("2006-01-02 15:04:05")
	fmt.Fprintf(&b, "\n=====================================\n%s INNODB MONITOR OUTPUT\n=====================================\n", now)
	if d := v.locks().LatestDeadlock(); d != nil {
		b.WriteString("------------------------\nLATEST DETECTED DEADLOCK\n------------------------\n")
		b.WriteString(d.String(v.describeKey))
	}
	st := v.locks().Stats()
	snap := v.locks().Snapshot()
	b.WriteString("------------\nTRANSACTIONS\n------------\n")
	fmt.Fprintf(&b, "Row lock waits %d, total wait %d ms, deadlocks %d, lock wait timeouts %d\n",
		st.Waits, st.WaitTime.Milliseconds(), st.Deadlocks, st.Timeouts)
	b.WriteString("LIST OF TRANSACTIONS FOR EACH SESSION:\n")
	for _, t := range snap.Txns {
		state := "ACTIVE"
		if t.WaitingFor != nil {
			state = "ACTIVE, LOCK WAIT"
		}
		fmt.Fprintf(&b, "---TRANSACTION %d, %s %d sec\n%d lock(s)", t.Txn, state, int(time.Since(t.Started).Seconds()), t.LocksHeld)
		if t.Info != nil {
			fmt.Fprintf(&b, ", %v", t.Info)
		}
		b.WriteString("\n")
	}
	b.WriteString("----------------------------\nEND OF INNODB MONITOR OUTPUT\n============================\n")
	return b.String()
}

// installInnodbTrx makes information_schema.INNODB_TRX of catalog's
// information_schema read the lock table.
func installInnodbTrx(ctx *sql.Context, infoSchema sql.Database, v lockViews) {
	// The shared instance, not a statement's copy (isolatedInfoSchema).
	if iso, ok := infoSchema.(isolatedInfoSchema); ok {
		infoSchema = iso.Database
	}
	tbl, ok, err := infoSchema.GetTableInsensitive(ctx, information_schema.InnoDBTrxName)
	if err != nil || !ok {
		return
	}
	if t, ok := tbl.(*information_schema.InformationSchemaTable); ok {
		t.Reader = innodbTrxReader(v, t.Schema())
	}
}

// engineStatusQuery answers SHOW ENGINE INNODB STATUS, which
// go-mysql-server's grammar lacks, with MySQL's three columns (Type, Name,
// Status). It reports whether query was that statement.
func (h *handler) engineStatusQuery(query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	if h.locks.p == nil || !st.Is("show") {
		return "", false, nil
	}
	first, rest := query, ""
	if multi {
		if i := strings.IndexByte(query, ';'); i >= 0 {
			first, rest = query[:i], strings.TrimSpace(query[i+1:])
		}
	}
	if !engineStatus.MatchString(first) {
		return "", false, nil
	}
	text := func(name string, n uint32) *querypb.Field {
		return &querypb.Field{Name: name, Type: querypb.Type_VARCHAR, Charset: uint32(sql.CharacterSet_utf8mb4), ColumnLength: n}
	}
	res := &sqltypes.Result{
		Fields: []*querypb.Field{text("Type", 40), text("Name", 40), text("Status", 1<<24)},
		Rows:   [][]sqltypes.Value{{sqltypes.NewVarChar("InnoDB"), sqltypes.NewVarChar(""), sqltypes.NewVarChar(h.locks.innodbStatus())}},
	}
	return rest, true, callback(res, rest != "")
}

var engineStatus = regexp.MustCompile(`(?is)^\s*show\s+engine\s+innodb\s+status\s*;?\s*$`)
