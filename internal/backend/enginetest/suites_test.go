package enginetest

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	gmstest "github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/queries"
	"github.com/dolthub/go-mysql-server/enginetest/scriptgen/setup"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
)

// This file mirrors go-mysql-server v0.20.0's enginetest/memory_engine_test.go
// one top-level test per test there, under the same name, so that the counts
// can be compared side by side. Where the memory engine runs a suite several
// times with its own knobs (number of partitions, a mergeable in-memory index
// driver), guocedb runs it once: those knobs belong to the memory backend and
// guocedb has neither. Tests that cannot apply to guocedb skip with the reason
// from notApplicable; queries and scripts known to fail are listed in
// knownGaps (gaps.go) and skipped through the harness.

// notApplicable names the memory_engine_test.go tests that guocedb does not
// run, and why.
var notApplicable = map[string]string{
	"TestVersionedQueries":         "AS OF queries need sql.VersionedDatabase; guocedb keeps one version of each table (no VersionedDBHarness)",
	"TestReadOnlyVersionedQueries": "AS OF queries need sql.VersionedDatabase; guocedb keeps one version of each table (no VersionedDBHarness)",
	"TestVersionedViews":           "AS OF queries need sql.VersionedDatabase; guocedb keeps one version of each table (no VersionedDBHarness)",
	"TestSingleQuery":              "debugging helper, skipped in go-mysql-server too",
	"TestSingleQueryPrepared":      "debugging helper, skipped in go-mysql-server too",
	"TestSingleScript":             "debugging helper, skipped in go-mysql-server too",
	"TestSingleQueryPlan":          "debugging helper, skipped in go-mysql-server too",
	"TestSQLLogicTestFiles":        "debugging helper, skipped in go-mysql-server too",
	"TestImdbQueryPlans":           "skipped in go-mysql-server too: \"tests are too slow\"",
	"TestTpcdsQueryPlans":          "skipped in go-mysql-server too: \"missing features\"",
}

// chdirToSuiteData makes the working directory go-mysql-server's enginetest
// source directory, whose testdata/ the LOAD DATA suites read by relative
// path (./testdata/test1.txt), as when they run in their own package.
func chdirToSuiteData(t *testing.T) {
	t.Helper()
	file, _ := runtime.FuncForPC(reflect.ValueOf(gmstest.TestLoadData).Pointer()).FileLine(0)
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "testdata")); err != nil {
		t.Fatalf("go-mysql-server's enginetest testdata not found next to %s: %v", file, err)
	}
	t.Chdir(dir)
}

func skipIfNotApplicable(t *testing.T) {
	t.Helper()
	if reason, ok := notApplicable[t.Name()]; ok {
		t.Skip(reason)
	}
}

func TestQueries(t *testing.T)               { gmstest.TestQueries(t, harnessFor(t)) }
func TestQueriesPreparedSimple(t *testing.T) { gmstest.TestQueriesPrepared(t, harnessFor(t)) }
func TestQueriesSimple(t *testing.T)         { gmstest.TestQueries(t, harnessFor(t)) }
func TestJoinQueries(t *testing.T)           { gmstest.TestJoinQueries(t, harnessFor(t)) }
func TestLateralJoin(t *testing.T)           { gmstest.TestLateralJoinQueries(t, harnessFor(t)) }
func TestJoinPlanning(t *testing.T)          { gmstest.TestJoinPlanning(t, harnessFor(t)) }
func TestJoinOps(t *testing.T)               { gmstest.TestJoinOps(t, harnessFor(t), gmstest.DefaultJoinOpTests) }
func TestJoinStats(t *testing.T)             { gmstest.TestJoinStats(t, harnessFor(t).RetainSessionAfterSetup()) }
func TestJSONTableQueries(t *testing.T)      { gmstest.TestJSONTableQueries(t, harnessFor(t)) }
func TestJSONTableScripts(t *testing.T)      { gmstest.TestJSONTableScripts(t, harnessFor(t)) }
func TestBrokenJSONTableScripts(t *testing.T) {
	gmstest.TestBrokenJSONTableScripts(t, NewSkippingHarness(t))
}
func TestSingleQuery(t *testing.T)         { skipIfNotApplicable(t) }
func TestSingleQueryPrepared(t *testing.T) { skipIfNotApplicable(t) }
func TestSingleScript(t *testing.T)        { skipIfNotApplicable(t) }

// TestUnbuildableIndex runs go-mysql-server's script without its memory-only
// index comment (which makes the memory backend refuse to build the index):
// what it checks is that a query over a table with several indexes is right.
func TestUnbuildableIndex(t *testing.T) {
	gmstest.TestScript(t, harnessFor(t), queries.ScriptTest{
		Name: "Failing index builder still returning correct results",
		SetUpScript: []string{
			"CREATE TABLE mytable2 (i BIGINT PRIMARY KEY, s VARCHAR(20))",
			"CREATE UNIQUE INDEX mytable2_s ON mytable2 (s)",
			"CREATE INDEX mytable2_i_s ON mytable2 (i, s)",
			"INSERT INTO mytable2 VALUES (1, 'first row'), (2, 'second row'), (3, 'third row')",
		},
		Assertions: []queries.ScriptTestAssertion{{
			Query:    "SELECT i FROM mytable2 WHERE i IN (SELECT i FROM mytable2) ORDER BY i",
			Expected: []sql.Row{{1}, {2}, {3}},
		}},
	})
}

func TestBrokenQueries(t *testing.T) { gmstest.TestBrokenQueries(t, NewSkippingHarness(t)) }

func TestQueryPlanTODOs(t *testing.T) {
	h := NewSkippingHarness(t)
	h.Setup(setup.MydbData, setup.Pk_tablesData, setup.NiltableData)
	e, err := h.NewEngine(t)
	require.NoError(t, err)
	for _, tt := range queries.QueryPlanTODOs {
		t.Run(tt.Query, func(t *testing.T) { gmstest.TestQueryPlan(t, h, e, tt) })
	}
}

func TestVersionedQueries(t *testing.T)  { skipIfNotApplicable(t) }
func TestAnsiQuotesSqlMode(t *testing.T) { gmstest.TestAnsiQuotesSqlMode(t, harnessFor(t)) }
func TestAnsiQuotesSqlModePrepared(t *testing.T) {
	gmstest.TestAnsiQuotesSqlModePrepared(t, harnessFor(t))
}
func TestQueryPlans(t *testing.T)            { gmstest.TestQueryPlans(t, harnessFor(t), queries.PlanTests) }
func TestSingleQueryPlan(t *testing.T)       { skipIfNotApplicable(t) }
func TestIntegrationQueryPlans(t *testing.T) { gmstest.TestIntegrationPlans(t, harnessFor(t)) }
func TestImdbQueryPlans(t *testing.T)        { skipIfNotApplicable(t) }
func TestTpccQueryPlans(t *testing.T)        { gmstest.TestTpccPlans(t, harnessFor(t)) }
func TestTpchQueryPlans(t *testing.T) {
	gmstest.TestTpchPlans(t, harnessFor(t).RetainSessionAfterSetup())
}
func TestTpcdsQueryPlans(t *testing.T)          { skipIfNotApplicable(t) }
func TestIndexQueryPlans(t *testing.T)          { gmstest.TestIndexQueryPlans(t, harnessFor(t)) }
func TestQueryErrors(t *testing.T)              { gmstest.TestQueryErrors(t, harnessFor(t)) }
func TestInfoSchema(t *testing.T)               { gmstest.TestInfoSchema(t, harnessFor(t)) }
func TestMySqlDb(t *testing.T)                  { gmstest.TestMySqlDb(t, harnessFor(t)) }
func TestReadOnlyDatabases(t *testing.T)        { gmstest.TestReadOnlyDatabases(t, harnessFor(t)) }
func TestReadOnlyVersionedQueries(t *testing.T) { skipIfNotApplicable(t) }
func TestColumnAliases(t *testing.T)            { gmstest.TestColumnAliases(t, harnessFor(t)) }
func TestDerivedTableOuterScopeVisibility(t *testing.T) {
	gmstest.TestDerivedTableOuterScopeVisibility(t, harnessFor(t))
}
func TestOrderByGroupBy(t *testing.T) { gmstest.TestOrderByGroupBy(t, harnessFor(t)) }
func TestAmbiguousColumnResolution(t *testing.T) {
	gmstest.TestAmbiguousColumnResolution(t, harnessFor(t))
}
func TestInsertInto(t *testing.T)       { gmstest.TestInsertInto(t, harnessFor(t)) }
func TestInsertIgnoreInto(t *testing.T) { gmstest.TestInsertIgnoreInto(t, harnessFor(t)) }
func TestInsertDuplicateKeyKeyless(t *testing.T) {
	gmstest.TestInsertDuplicateKeyKeyless(t, harnessFor(t))
}
func TestIgnoreIntoWithDuplicateUniqueKeyKeyless(t *testing.T) {
	gmstest.TestIgnoreIntoWithDuplicateUniqueKeyKeyless(t, harnessFor(t))
}
func TestInsertIntoErrors(t *testing.T)      { gmstest.TestInsertIntoErrors(t, harnessFor(t)) }
func TestBrokenInsertScripts(t *testing.T)   { gmstest.TestBrokenInsertScripts(t, harnessFor(t)) }
func TestGeneratedColumns(t *testing.T)      { gmstest.TestGeneratedColumns(t, harnessFor(t)) }
func TestGeneratedColumnPlans(t *testing.T)  { gmstest.TestGeneratedColumnPlans(t, harnessFor(t)) }
func TestSysbenchPlans(t *testing.T)         { gmstest.TestSysbenchPlans(t, harnessFor(t)) }
func TestStatistics(t *testing.T)            { gmstest.TestStatistics(t, harnessFor(t)) }
func TestStatisticIndexFilters(t *testing.T) { gmstest.TestStatisticIndexFilters(t, harnessFor(t)) }
func TestSpatialInsertInto(t *testing.T)     { gmstest.TestSpatialInsertInto(t, harnessFor(t)) }
func TestLoadData(t *testing.T) {
	chdirToSuiteData(t)
	gmstest.TestLoadData(t, harnessFor(t))
}

func TestLoadDataErrors(t *testing.T) {
	chdirToSuiteData(t)
	gmstest.TestLoadDataErrors(t, harnessFor(t))
}

func TestLoadDataFailing(t *testing.T) {
	chdirToSuiteData(t)
	gmstest.TestLoadDataFailing(t, harnessFor(t))
}

func TestSelectIntoFile(t *testing.T)      { gmstest.TestSelectIntoFile(t, harnessFor(t)) }
func TestReplaceInto(t *testing.T)         { gmstest.TestReplaceInto(t, harnessFor(t)) }
func TestReplaceIntoErrors(t *testing.T)   { gmstest.TestReplaceIntoErrors(t, harnessFor(t)) }
func TestUpdate(t *testing.T)              { gmstest.TestUpdate(t, harnessFor(t)) }
func TestUpdateIgnore(t *testing.T)        { gmstest.TestUpdateIgnore(t, harnessFor(t)) }
func TestUpdateErrors(t *testing.T)        { gmstest.TestUpdateErrors(t, harnessFor(t)) }
func TestOnUpdateExprScripts(t *testing.T) { gmstest.TestOnUpdateExprScripts(t, harnessFor(t)) }
func TestSpatialUpdate(t *testing.T)       { gmstest.TestSpatialUpdate(t, harnessFor(t)) }
func TestDeleteFromErrors(t *testing.T)    { gmstest.TestDeleteErrors(t, harnessFor(t)) }
func TestSpatialDeleteFrom(t *testing.T)   { gmstest.TestSpatialDelete(t, harnessFor(t)) }
func TestTruncate(t *testing.T)            { gmstest.TestTruncate(t, harnessFor(t)) }
func TestDeleteFrom(t *testing.T)          { gmstest.TestDelete(t, harnessFor(t)) }
func TestConvert(t *testing.T)             { gmstest.TestConvert(t, harnessFor(t)) }
func TestScripts(t *testing.T)             { gmstest.TestScripts(t, harnessFor(t)) }
func TestSpatialScripts(t *testing.T)      { gmstest.TestSpatialScripts(t, harnessFor(t)) }
func TestSpatialIndexScripts(t *testing.T) { gmstest.TestSpatialIndexScripts(t, harnessFor(t)) }
func TestSpatialIndexPlans(t *testing.T)   { gmstest.TestSpatialIndexPlans(t, harnessFor(t)) }
func TestNumericErrorScripts(t *testing.T) { gmstest.TestNumericErrorScripts(t, harnessFor(t)) }
func TestUserPrivileges(t *testing.T)      { gmstest.TestUserPrivileges(t, harnessFor(t)) }

// TestUserAuthentication runs go-mysql-server's server authentication
// scripts one per harness: each script asks for its session before its
// engine, and a guocedb session is bound to the store it was made on.
// The scripts load TLS keys from the suite's testdata/.
func TestUserAuthentication(t *testing.T) {
	chdirToSuiteData(t)
	all := queries.ServerAuthTests
	t.Cleanup(func() { queries.ServerAuthTests = all })
	for _, script := range all {
		queries.ServerAuthTests = []queries.ServerAuthenticationTest{script}
		gmstest.TestUserAuthentication(t, harnessFor(t))
	}
}

func TestPrivilegePersistence(t *testing.T) { gmstest.TestPrivilegePersistence(t, harnessFor(t)) }
func TestComplexIndexQueries(t *testing.T)  { gmstest.TestComplexIndexQueries(t, harnessFor(t)) }
func TestTriggers(t *testing.T)             { gmstest.TestTriggers(t, harnessFor(t)) }
func TestShowTriggers(t *testing.T)         { gmstest.TestShowTriggers(t, harnessFor(t)) }

func TestBrokenTriggers(t *testing.T) {
	h := NewSkippingHarness(t)
	for _, script := range queries.BrokenTriggerQueries {
		gmstest.TestScript(t, h, script)
	}
}

func TestStoredProcedures(t *testing.T) {
	h := harnessFor(t)
	// go-mysql-server drops this script from its own memory run (the
	// RowIter of a SELECT should not see later changes: an engine TODO).
	h.Skip("go-mysql-server removes it from its own run: an open cursor sees later changes (engine TODO)",
		"FETCH captures state at OPEN")
	gmstest.TestStoredProcedures(t, h)
}

func TestEvents(t *testing.T)                  { gmstest.TestEvents(t, harnessFor(t)) }
func TestTriggersErrors(t *testing.T)          { gmstest.TestTriggerErrors(t, harnessFor(t)) }
func TestCreateTable(t *testing.T)             { gmstest.TestCreateTable(t, harnessFor(t)) }
func TestRowLimit(t *testing.T)                { gmstest.TestRowLimit(t, harnessFor(t)) }
func TestDropTable(t *testing.T)               { gmstest.TestDropTable(t, harnessFor(t)) }
func TestRenameTable(t *testing.T)             { gmstest.TestRenameTable(t, harnessFor(t)) }
func TestRenameColumn(t *testing.T)            { gmstest.TestRenameColumn(t, harnessFor(t)) }
func TestAddColumn(t *testing.T)               { gmstest.TestAddColumn(t, harnessFor(t)) }
func TestModifyColumn(t *testing.T)            { gmstest.TestModifyColumn(t, harnessFor(t)) }
func TestDropColumn(t *testing.T)              { gmstest.TestDropColumn(t, harnessFor(t)) }
func TestDropColumnKeylessTables(t *testing.T) { gmstest.TestDropColumnKeylessTables(t, harnessFor(t)) }
func TestCreateDatabase(t *testing.T)          { gmstest.TestCreateDatabase(t, harnessFor(t)) }
func TestPkOrdinalsDDL(t *testing.T)           { gmstest.TestPkOrdinalsDDL(t, harnessFor(t)) }
func TestPkOrdinalsDML(t *testing.T)           { gmstest.TestPkOrdinalsDML(t, harnessFor(t)) }
func TestDropDatabase(t *testing.T)            { gmstest.TestDropDatabase(t, harnessFor(t)) }
func TestCreateForeignKeys(t *testing.T)       { gmstest.TestCreateForeignKeys(t, harnessFor(t)) }
func TestDropForeignKeys(t *testing.T)         { gmstest.TestDropForeignKeys(t, harnessFor(t)) }
func TestForeignKeys(t *testing.T)             { gmstest.TestForeignKeys(t, harnessFor(t)) }

func TestFulltextIndexes(t *testing.T) { gmstest.TestFulltextIndexes(t, harnessFor(t)) }

func TestCreateCheckConstraints(t *testing.T) { gmstest.TestCreateCheckConstraints(t, harnessFor(t)) }
func TestChecksOnInsert(t *testing.T)         { gmstest.TestChecksOnInsert(t, harnessFor(t)) }
func TestChecksOnUpdate(t *testing.T)         { gmstest.TestChecksOnUpdate(t, harnessFor(t)) }
func TestDisallowedCheckConstraints(t *testing.T) {
	gmstest.TestDisallowedCheckConstraints(t, harnessFor(t))
}
func TestDropCheckConstraints(t *testing.T) { gmstest.TestDropCheckConstraints(t, harnessFor(t)) }

// TestReadOnly runs with the stored procedure checks: the harness serves
// the memory engine's external procedures (fixtureProvider).
func TestReadOnly(t *testing.T) { gmstest.TestReadOnly(t, harnessFor(t), true) }

func TestViews(t *testing.T)               { gmstest.TestViews(t, harnessFor(t)) }
func TestVersionedViews(t *testing.T)      { skipIfNotApplicable(t) }
func TestNaturalJoin(t *testing.T)         { gmstest.TestNaturalJoin(t, harnessFor(t)) }
func TestWindowFunctions(t *testing.T)     { gmstest.TestWindowFunctions(t, harnessFor(t)) }
func TestWindowRangeFrames(t *testing.T)   { gmstest.TestWindowRangeFrames(t, harnessFor(t)) }
func TestNamedWindows(t *testing.T)        { gmstest.TestNamedWindows(t, harnessFor(t)) }
func TestNaturalJoinEqual(t *testing.T)    { gmstest.TestNaturalJoinEqual(t, harnessFor(t)) }
func TestNaturalJoinDisjoint(t *testing.T) { gmstest.TestNaturalJoinDisjoint(t, harnessFor(t)) }
func TestInnerNestedInNaturalJoins(t *testing.T) {
	gmstest.TestInnerNestedInNaturalJoins(t, harnessFor(t))
}
func TestColumnDefaults(t *testing.T)  { gmstest.TestColumnDefaults(t, harnessFor(t)) }
func TestAlterTable(t *testing.T)      { gmstest.TestAlterTable(t, harnessFor(t)) }
func TestDateParse(t *testing.T)       { gmstest.TestDateParse(t, harnessFor(t)) }
func TestJsonScripts(t *testing.T)     { gmstest.TestJsonScripts(t, harnessFor(t), nil) }
func TestShowTableStatus(t *testing.T) { gmstest.TestShowTableStatus(t, harnessFor(t)) }
func TestAddDropPks(t *testing.T)      { gmstest.TestAddDropPks(t, harnessFor(t)) }

func TestAddAutoIncrementColumn(t *testing.T) {
	for _, script := range queries.AlterTableAddAutoIncrementScripts {
		gmstest.TestScript(t, harnessFor(t), script)
	}
}

func TestNullRanges(t *testing.T)      { gmstest.TestNullRanges(t, harnessFor(t)) }
func TestBlobs(t *testing.T)           { gmstest.TestBlobs(t, harnessFor(t)) }
func TestIndexes(t *testing.T)         { gmstest.TestIndexes(t, harnessFor(t)) }
func TestVectorIndexes(t *testing.T)   { gmstest.TestVectorIndexes(t, harnessFor(t)) }
func TestVectorFunctions(t *testing.T) { gmstest.TestVectorFunctions(t, harnessFor(t)) }

// TestIndexPrefix runs with guocedb's executor, which refuses a PRIMARY
// KEY on a column prefix (internal/mysqlserver/pkprefix.go) as the suite
// expects.
func TestIndexPrefix(t *testing.T) {
	h := harnessFor(t)
	h.UseGuocedbExecutor()
	gmstest.TestIndexPrefix(t, h)
}

// TestPersist runs SET PERSIST and PERSIST_ONLY with guocedb sessions,
// which keep persisted variables in the store.
func TestPersist(t *testing.T) {
	h := harnessFor(t)
	gmstest.TestPersist(t, h, func(ctx *sql.Context) sql.PersistableSession { return h.sessionLike(ctx) })
}

// TestValidateSession checks that the engine validates a guocedb session
// once per statement, through a session that counts the calls.
func TestValidateSession(t *testing.T) {
	h := harnessFor(t)
	calls := 0
	gmstest.TestValidateSession(t, h, func(ctx *sql.Context) sql.PersistableSession {
		return countingSession{Session: h.sessionLike(ctx), calls: &calls}
	}, &calls)
}

// sessionLike is a new guocedb session with the current database of ctx,
// whose session the suites replace by it.
func (h *Harness) sessionLike(ctx *sql.Context) *backend.Session {
	s := h.NewSession().Session.(*backend.Session)
	s.SetCurrentDatabase(ctx.GetCurrentDatabase())
	return s
}

// countingSession counts ValidateSession calls (TestValidateSession).
type countingSession struct {
	*backend.Session
	calls *int
}

// ValidateSession implements sql.Session.
func (s countingSession) ValidateSession(ctx *sql.Context) error {
	*s.calls++
	return s.Session.ValidateSession(ctx)
}

func TestPrepared(t *testing.T)           { gmstest.TestPrepared(t, harnessFor(t)) }
func TestPreparedInsert(t *testing.T)     { gmstest.TestPreparedInsert(t, harnessFor(t)) }
func TestPreparedStatements(t *testing.T) { gmstest.TestPreparedStatements(t, harnessFor(t)) }
func TestCharsetCollationEngine(t *testing.T) {
	gmstest.TestCharsetCollationEngine(t, harnessFor(t))
}

// The three wire tests are gated behind CI_TEST in go-mysql-server; guocedb
// always runs them: they start a real listener on 127.0.0.1.
func TestCharsetCollationWire(t *testing.T) {
	h := harnessFor(t)
	gmstest.TestCharsetCollationWire(t, h, h.SessionBuilder())
}

func TestDatabaseCollationWire(t *testing.T) {
	h := harnessFor(t)
	gmstest.TestDatabaseCollationWire(t, h, h.SessionBuilder())
}

func TestTypesOverWire(t *testing.T) {
	h := harnessFor(t)
	gmstest.TestTypesOverWire(t, h, h.SessionBuilder())
}

// TestTransactions runs every transaction script. go-mysql-server's memory
// run skips them all (NewSkippingMemoryHarness); guocedb has real
// transactions and runs them.
func TestTransactions(t *testing.T)      { gmstest.TestTransactionScripts(t, harnessFor(t)) }
func TestSQLLogicTests(t *testing.T)     { gmstest.TestSQLLogicTests(t, harnessFor(t)) }
func TestSQLLogicTestFiles(t *testing.T) { skipIfNotApplicable(t) }
