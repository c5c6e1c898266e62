package enginetest

import (
	"testing"

	gmstest "github.com/dolthub/go-mysql-server/enginetest"
)

func TestQueries(t *testing.T)            { gmstest.TestQueries(t, NewHarness(t)) }
func TestInsertInto(t *testing.T)         { gmstest.TestInsertInto(t, NewHarness(t)) }
func TestUpdate(t *testing.T)             { gmstest.TestUpdate(t, NewHarness(t)) }
func TestDelete(t *testing.T)             { gmstest.TestDelete(t, NewHarness(t)) }
func TestReplaceInto(t *testing.T)        { gmstest.TestReplaceInto(t, NewHarness(t)) }
func TestIndexes(t *testing.T)            { gmstest.TestIndexes(t, NewHarness(t)) }
func TestCreateTable(t *testing.T)        { gmstest.TestCreateTable(t, NewHarness(t)) }
func TestAlterTable(t *testing.T)         { gmstest.TestAlterTable(t, NewHarness(t)) }
func TestTransactionScripts(t *testing.T) { gmstest.TestTransactionScripts(t, NewHarness(t)) }
func TestForeignKeys(t *testing.T)        { gmstest.TestForeignKeys(t, NewHarness(t)) }
func TestTriggers(t *testing.T)           { gmstest.TestTriggers(t, NewHarness(t)) }
func TestViews(t *testing.T)              { gmstest.TestViews(t, NewHarness(t)) }
