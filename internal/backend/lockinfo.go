package backend

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/guocedb/guocedb/internal/codec"
)

// LockedObject is what a row lock's key names, for
// performance_schema.data_locks and SHOW ENGINE INNODB STATUS.
type LockedObject struct {
	Schema, Table string
	// Index is PRIMARY, GEN_CLUST_INDEX (a table without a primary key,
	// as InnoDB names its hidden one) or a UNIQUE index's name.
	Index string
	// Data is the locked key's values as InnoDB's LOCK_DATA shows them
	// ("1", "'a', 2"), read from the latest committed row; a key no
	// committed row has shows as hex.
	Data string
}

// DescribeLockKey tells what a row lock's key (locking.go) names. ok is
// false for a key of no table the catalog knows (dropped since).
func (p *Provider) DescribeLockKey(key []byte) (o LockedObject, ok bool) {
	if len(key) < rowPrefixLen || key[0] != nsTable {
		return o, false
	}
	id := binary.BigEndian.Uint64(key[1:9])
	st := p.catalog.tableByID(id)
	if st == nil {
		return o, false
	}
	o.Schema, o.Table = st.db, st.def.Name
	var rowKey []byte
	switch key[9] {
	case tagRow:
		o.Index = "PRIMARY"
		if st.keyless() {
			o.Index = "GEN_CLUST_INDEX"
		}
		rowKey = key
	case tagIndex:
		if len(key) < indexPrefixLen {
			return o, false
		}
		ixID := binary.BigEndian.Uint32(key[10:14])
		for _, ix := range st.indexes {
			if ix.def.ID == ixID {
				o.Index = ix.def.Name
			}
		}
		txn := p.store.Begin()
		pk, found, err := txn.Get(key)
		txn.Discard()
		if err == nil && found {
			rowKey = st.rowKey(pk)
		}
	default:
		return o, false
	}
	o.Data = "0x" + hex.EncodeToString(key[rowPrefixLen:])
	if rowKey == nil {
		return o, true
	}
	txn := p.store.Begin()
	defer txn.Discard()
	v, found, err := txn.Get(rowKey)
	if err != nil || !found {
		return o, true
	}
	row, err := codec.DecodeRow(v, st.schema)
	if err != nil {
		return o, true
	}
	ords := st.def.PKOrdinals
	if key[9] == tagIndex {
		for _, ix := range st.indexes {
			if o.Index == ix.def.Name {
				ords = ix.ordinals
			}
		}
	}
	if len(ords) == 0 {
		return o, true
	}
	parts := make([]string, len(ords))
	for i, ord := range ords {
		switch x := row[ord].(type) {
		case string:
			parts[i] = "'" + strings.ReplaceAll(x, "'", "\\'") + "'"
		default:
			parts[i] = fmt.Sprint(sqlValueString(x))
		}
	}
	o.Data = strings.Join(parts, ", ")
	return o, true
}

// tableByID returns the table with table id id, or nil.
func (c *Catalog) tableByID(id uint64) *tableState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, d := range c.dbs {
		for _, t := range d.tables {
			if t.def.ID == id {
				return t
			}
		}
	}
	return nil
}
