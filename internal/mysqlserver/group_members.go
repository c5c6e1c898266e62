package mysqlserver

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	sqltypes "github.com/dolthub/vitess/go/sqltypes"
)

// groupMembersTableName is MySQL Group Replication's member table, which
// proxies (ProxySQL, MySQL Router) read to find the primary.
const groupMembersTableName = "replication_group_members"

// GroupMember is one row of performance_schema.replication_group_members.
type GroupMember struct {
	// ID is the node id (MySQL: the server UUID).
	ID string
	// Host and Port are the member's MySQL listener; Port 0 shows NULL
	// (not known yet).
	Host string
	Port int
	// State is ONLINE, RECOVERING or UNREACHABLE; Role PRIMARY (the
	// leader, which takes writes) or SECONDARY.
	State, Role string
	// Version is the member's guocedb version.
	Version string
}

// GroupMembersFunc lists the cluster's members as this node sees them;
// nil, or no rows, on a single node (as MySQL without group replication).
type GroupMembersFunc func() []GroupMember

// groupMembersTable is replication_group_members with MySQL 8.0's
// columns, filled from a GroupMembersFunc at every read.
type groupMembersTable struct {
	members GroupMembersFunc
	schema  sql.Schema
}

var _ sql.Table = (*groupMembersTable)(nil)

func newGroupMembersTable(f GroupMembersFunc) *groupMembersTable {
	col := func(name string, n int64, nullable bool) *sql.Column {
		return &sql.Column{Name: name, Type: types.MustCreateString(sqltypes.Char, n, sql.Collation_utf8mb4_bin),
			Nullable: nullable, Source: groupMembersTableName, DatabaseSource: perfSchemaName}
	}
	return &groupMembersTable{members: f, schema: sql.Schema{
		col("CHANNEL_NAME", 64, false),
		col("MEMBER_ID", 36, false),
		col("MEMBER_HOST", 255, false),
		{Name: "MEMBER_PORT", Type: types.Int32, Nullable: true, Source: groupMembersTableName, DatabaseSource: perfSchemaName},
		col("MEMBER_STATE", 64, false),
		col("MEMBER_ROLE", 64, false),
		col("MEMBER_VERSION", 64, false),
		col("MEMBER_COMMUNICATION_STACK", 64, false),
	}}
}

// Name implements sql.Nameable.
func (*groupMembersTable) Name() string { return groupMembersTableName }

// String implements fmt.Stringer.
func (*groupMembersTable) String() string { return groupMembersTableName }

// Schema implements sql.Table.
func (t *groupMembersTable) Schema() sql.Schema { return t.schema }

// Collation implements sql.Table.
func (*groupMembersTable) Collation() sql.CollationID { return sql.Collation_Default }

// Partitions implements sql.Table: one partition, every member.
func (*groupMembersTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &onePartition{}, nil
}

// PartitionRows implements sql.Table.
func (t *groupMembersTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	if t.members == nil {
		return sql.RowsToRowIter(), nil
	}
	var rows []sql.Row
	for _, m := range t.members() {
		var port any
		if m.Port > 0 {
			port = int32(m.Port)
		}
		rows = append(rows, sql.Row{"group_replication_applier", m.ID, m.Host, port, m.State, m.Role, m.Version, "raft"})
	}
	return sql.RowsToRowIter(rows...), nil
}
