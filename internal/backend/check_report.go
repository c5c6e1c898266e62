package backend

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ProblemKind names a kind of inconsistency found by Check.
type ProblemKind string

// The inconsistencies Check reports.
const (
	// ProblemCatalog: a catalog record that does not decode, or points to
	// nothing (a table of a missing database, an index on a missing
	// column, a table id never handed out or scheduled for deletion).
	ProblemCatalog ProblemKind = "catalog"
	// ProblemOrphanData: rows or index entries under a table or index id
	// that no definition names and no deletion is pending for.
	ProblemOrphanData ProblemKind = "orphan-data"
	// ProblemUndecodableRow: a row value that does not decode with its
	// table's schema.
	ProblemUndecodableRow ProblemKind = "undecodable-row"
	// ProblemRowKey: a row stored under a key that its primary key values
	// do not encode to.
	ProblemRowKey ProblemKind = "row-key-mismatch"
	// ProblemMissingEntry: a row without its entry in a secondary index.
	ProblemMissingEntry ProblemKind = "missing-index-entry"
	// ProblemWrongEntry: a row's index entry exists but names another
	// row (two rows share a UNIQUE value, or the entry is stale).
	ProblemWrongEntry ProblemKind = "index-entry-mismatch"
	// ProblemDanglingEntry: an index entry whose row does not exist.
	ProblemDanglingEntry ProblemKind = "dangling-index-entry"
	// ProblemStaleEntry: an index entry whose row exists but no longer
	// has the indexed values the entry's key holds.
	ProblemStaleEntry ProblemKind = "stale-index-entry"
	// ProblemRowCount: the exact row count kept for COUNT(*) (a base and
	// deltas) differs from the rows stored, or a delta does not decode.
	ProblemRowCount ProblemKind = "row-count-mismatch"
)

// Problem is one inconsistency.
type Problem struct {
	Kind     ProblemKind
	Database string // empty when unknown
	Table    string
	Index    string // secondary index name, when it concerns one
	Key      []byte // the key in question, when there is one
	Detail   string
}

// String renders the problem on one line for a report.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(string(p.Kind))
	if p.Table != "" {
		fmt.Fprintf(&b, " in %s.%s", p.Database, p.Table)
	}
	if p.Index != "" {
		fmt.Fprintf(&b, " index %s", p.Index)
	}
	b.WriteString(": ")
	b.WriteString(p.Detail)
	if p.Key != nil {
		fmt.Fprintf(&b, " (key %s)", hex.EncodeToString(p.Key))
	}
	return b.String()
}

// maxProblems bounds the problems a report keeps; the rest are counted.
const maxProblems = 1000

// CheckReport is what Check found.
type CheckReport struct {
	Databases, Tables, Indexes int
	// Rows and IndexEntries are the keys read.
	Rows, IndexEntries int64
	// Problems lists the first inconsistencies (at most 1000); ProblemCount
	// counts all of them.
	Problems     []Problem
	ProblemCount int64
	// Notes are what the check skipped and why (index kinds it does not
	// understand, indexes still being built); they are not problems.
	Notes []string
}

// OK reports whether nothing is wrong.
func (r *CheckReport) OK() bool { return r.ProblemCount == 0 }

func (r *CheckReport) add(p Problem) {
	r.ProblemCount++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, p)
	}
}

func (r *CheckReport) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}
