package backend

import (
	"encoding/binary"
	"strings"
)

// Key layout. Every key starts with a one-byte namespace:
//
//	'c' catalog:   c db/<db>                      -> databaseDef (JSON)
//	               c tbl/<db>\x00<table>          -> tableDef (JSON)
//	               c obj/<kind>/<db>\x00<name>    -> view, trigger, procedure, event (JSON)
//	               c seq/table                    -> last table id (uint64)
//	               c mysqldb                      -> users and grants blob
//	               c loginstate                   -> login protection per account (JSON, mysqlserver/accountlock.go)
//	'a' counters:  a <table id>                   -> AUTO_INCREMENT high-water mark
//	               a <table id> 'r'               -> hidden row id reservation (keyless.go)
//	't' table data: t <table id> 'r' <pk key>      -> encoded row
//	               t <table id> 'i' <index id> <index key> [<pk key>] -> pk key
//	               t <table id> 'i' ff ff ff ff <row hash> <row id> -> empty (keyless.go)
//	               t <table id> 'n' <16 bytes>    -> row count base or delta (rowcount.go)
//
// A table without a primary key uses its 8-byte hidden row id as <pk key>.
//
// Database and table names are lower-cased in keys (names are
// case-insensitive) and kept as written inside the definitions.
const (
	nsCatalog = 'c'
	nsCounter = 'a'
	nsTable   = 't'

	tagRow   = 'r'
	tagIndex = 'i'
)

var (
	keyTableSeq = []byte("c" + "seq/table")
	keyMySQLDb  = []byte("c" + "mysqldb")
	// keyLoginState holds failed-login policies and lock states beside
	// the users (go-mysql-server's user records have no place for them).
	keyLoginState = []byte("c" + "loginstate")
)

func dbKey(db string) []byte { return []byte("cdb/" + strings.ToLower(db)) }

func dbPrefix() []byte { return []byte("cdb/") }

func tableKey(db, table string) []byte {
	return []byte("ctbl/" + strings.ToLower(db) + "\x00" + strings.ToLower(table))
}

func objKey(kind, db, name string) []byte {
	return []byte("cobj/" + kind + "/" + strings.ToLower(db) + "\x00" + strings.ToLower(name))
}

func counterKey(tableID uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{nsCounter}, tableID)
}

// tableDataPrefix covers every row and index entry of a table.
func tableDataPrefix(tableID uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{nsTable}, tableID)
}

// Lengths of the fixed prefixes: namespace, table id, tag (and index id).
const (
	rowPrefixLen   = 1 + 8 + 1
	indexPrefixLen = 1 + 8 + 1 + 4
)

func rowPrefix(tableID uint64) []byte { return append(tableDataPrefix(tableID), tagRow) }

func indexPrefix(tableID uint64, indexID uint32) []byte {
	return binary.BigEndian.AppendUint32(append(tableDataPrefix(tableID), tagIndex), indexID)
}

// prefixEnd returns the smallest key greater than every key starting with
// p, or nil when there is none.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
