package backend

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/storage"
)

// Object kinds stored under the cobj/ namespace.
const (
	kindView      = "view"
	kindTrigger   = "trigger"
	kindProcedure = "procedure"
	kindEvent     = "event"
	kindFunction  = "function"
)

// gcPrefix marks key ranges of dropped or rewritten tables that still have
// to be deleted; the record is written in the same commit as the catalog
// change, so a crash never leaks data.
var gcPrefix = []byte("cgc/")

// Catalog is the in-memory image of every persisted definition. Reads take
// the read lock; DDL takes the write lock, persists through
// Store.DirectCommit (DDL commits implicitly, as in MySQL) and then swaps the
// in-memory state.
type Catalog struct {
	store  *storage.Store
	logger *slog.Logger

	mu  sync.RWMutex
	dbs map[string]*dbState
	// gen moves on every change of the image, under mu (Generation).
	gen         atomic.Uint64
	lastTableID uint64
	// building holds table ids of rewrites in progress: their gc records
	// exist (for crash cleanup) but their data must not be collected yet.
	building map[uint64]bool

	gcWake chan struct{}
	gcDone chan struct{}
	stop   chan struct{}

	// bgMu and bg track other background work (row counts); Close waits
	// for it, because reading a closed Badger directory faults.
	bgMu     sync.Mutex
	bg       sync.WaitGroup
	bgClosed bool
}

type dbState struct {
	def    databaseDef
	tables map[string]*tableState
	// objects by kind, then lower-cased name; values are the JSON of the
	// go-mysql-server definition structs.
	objects map[string]map[string][]byte
}

// OpenCatalog loads every definition from store and starts the background
// deletion of dropped tables' data.
func OpenCatalog(ctx context.Context, store *storage.Store, logger *slog.Logger) (*Catalog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{
		store:    store,
		logger:   logger,
		dbs:      make(map[string]*dbState),
		building: make(map[uint64]bool),
		gcWake:   make(chan struct{}, 1),
		gcDone:   make(chan struct{}),
		stop:     make(chan struct{}),
	}
	// The backend's migrations rewrite stored data in the layout this
	// build reads: they must finish before the catalog is loaded.
	if _, err := store.Migrate(ctx, Migrations()); err != nil {
		return nil, err
	}
	if err := c.load(); err != nil {
		return nil, err
	}
	// On a cluster follower, DDL arrives through the log: the image is
	// rebuilt from the store after such entries are applied. AUTO_INCREMENT
	// reservations too, so that a follower that becomes leader continues
	// above them.
	for _, p := range [][]byte{dbPrefix(), []byte("ctbl/"), []byte("cobj/"), keyTableSeq, {nsCounter}} {
		store.Watch(p, c.reload)
	}
	go c.gcLoop()
	c.wakeGC()
	return c, nil
}

// Close stops background work and persists AUTO_INCREMENT counters exactly,
// so a clean restart continues without a gap.
func (c *Catalog) Close() error {
	c.bgMu.Lock()
	c.bgClosed = true
	c.bgMu.Unlock()
	close(c.stop)
	<-c.gcDone
	c.bg.Wait()
	if c.store.Clustered() {
		// A cluster member does not write at close: a follower may not,
		// and a leader whose peers stopped first cannot commit. The
		// reserved high-water marks stand; a restart continues above
		// them, with a gap, as MySQL may leave.
		return nil
	}
	c.mu.RLock()
	var ws storage.WriteSet
	for _, db := range c.dbs {
		for _, t := range db.tables {
			if t.autoIncCol >= 0 {
				ws.Mutations = append(ws.Mutations, storage.Mutation{Key: counterKey(t.def.ID), Value: binary.BigEndian.AppendUint64(nil, t.counters.autoInc.Load())})
			}
		}
	}
	c.mu.RUnlock()
	return c.store.DirectCommit(context.Background(), &ws)
}

func (c *Catalog) load() error {
	txn := c.store.Begin()
	defer txn.Discard()
	it, err := txn.NewIterator(storage.IterOptions{Start: []byte{nsCatalog}, End: []byte{nsCatalog + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	type pendingTable struct {
		db  string
		def tableDef
	}
	var tables []pendingTable
	for ; it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		switch {
		case bytes.HasPrefix(k, dbPrefix()):
			var d databaseDef
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("catalog: database record %q is corrupt: %w", k, err)
			}
			c.dbs[strings.ToLower(d.Name)] = newDBState(d)
		case bytes.HasPrefix(k, []byte("ctbl/")):
			var d tableDef
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("catalog: table record %q is corrupt: %w", k, err)
			}
			db, _, _ := strings.Cut(string(k[len("ctbl/"):]), "\x00")
			tables = append(tables, pendingTable{db: db, def: d})
		case bytes.HasPrefix(k, []byte("cobj/")):
			kind, rest, _ := strings.Cut(string(k[len("cobj/"):]), "/")
			db, name, _ := strings.Cut(rest, "\x00")
			if s, ok := c.dbs[db]; ok {
				s.objects[kind][name] = append([]byte(nil), v...)
			}
		case bytes.Equal(k, keyTableSeq):
			if len(v) == 8 {
				c.lastTableID = binary.BigEndian.Uint64(v)
			}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, pt := range tables {
		db, ok := c.dbs[pt.db]
		if !ok {
			return fmt.Errorf("catalog: table %q belongs to missing database %q", pt.def.Name, pt.db)
		}
		def := pt.def
		st, err := newTableState(db.def.Name, &def, nil)
		if err != nil {
			return err
		}
		if err := st.loadCounters(txn); err != nil {
			return err
		}
		db.tables[strings.ToLower(def.Name)] = st
	}
	return nil
}

// Generation changes whenever a definition may have changed (any DDL,
// view, trigger or routine, and a reload after replicated changes): a
// plan analyzed at one generation is stale at another. Taken before a
// plan is analyzed, it can only be older than the definitions the plan
// saw, never newer.
func (c *Catalog) Generation() uint64 { return c.gen.Load() }

// reload rebuilds the in-memory image from the store and swaps it in:
// on a cluster follower, after entries written by the leader changed
// definitions (storage.Store.Watch). A failed reload keeps the old image
// and is logged; the next change retries.
func (c *Catalog) reload() {
	n := &Catalog{store: c.store, logger: c.logger, dbs: make(map[string]*dbState), building: make(map[uint64]bool)}
	if err := n.load(); err != nil {
		c.logger.Error("catalog: reload after replicated changes failed", "err", err)
		return
	}
	c.mu.Lock()
	c.gen.Add(1)
	c.dbs, c.lastTableID = n.dbs, n.lastTableID
	c.mu.Unlock()
}

func newDBState(d databaseDef) *dbState {
	return &dbState{
		def:    d,
		tables: make(map[string]*tableState),
		objects: map[string]map[string][]byte{
			kindView: {}, kindTrigger: {}, kindProcedure: {}, kindEvent: {}, kindFunction: {},
		},
	}
}

// commitCatalog persists the given writes through the one commit path.
func (c *Catalog) commitCatalog(ctx context.Context, muts ...storage.Mutation) error {
	return c.store.DirectCommit(ctx, &storage.WriteSet{Mutations: muts})
}

func putJSON(key []byte, v any) (storage.Mutation, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return storage.Mutation{}, fmt.Errorf("encode %s: %w", key, err)
	}
	return storage.Mutation{Key: key, Value: b}, nil
}

// allocTableIDLocked returns a fresh table id and the mutation persisting it.
func (c *Catalog) allocTableIDLocked() (uint64, storage.Mutation) {
	c.lastTableID++
	return c.lastTableID, storage.Mutation{Key: keyTableSeq, Value: binary.BigEndian.AppendUint64(nil, c.lastTableID)}
}

// gcMutation schedules deletion of a table id's data.
func gcMutation(tableID uint64) storage.Mutation {
	return storage.Mutation{Key: binary.BigEndian.AppendUint64(append([]byte(nil), gcPrefix...), tableID), Value: []byte{1}}
}

// background runs fn in a goroutine that Close waits for; fn should
// return soon after stop is closed. It reports false after Close.
func (c *Catalog) background(fn func(stop <-chan struct{})) bool {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.bgClosed {
		return false
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		fn(c.stop)
	}()
	return true
}

func (c *Catalog) wakeGC() {
	select {
	case c.gcWake <- struct{}{}:
	default:
	}
}

// gcLoop deletes the data of dropped and rewritten tables in bounded
// batches, then removes the gc record.
func (c *Catalog) gcLoop() {
	defer close(c.gcDone)
	for {
		select {
		case <-c.stop:
			return
		case <-c.gcWake:
		}
		if err := c.runGC(); err != nil {
			c.logger.Error("delete dropped table data", "err", err)
		}
	}
}

func (c *Catalog) runGC() error {
	txn := c.store.Begin()
	var ids []uint64
	it, err := txn.NewIterator(storage.IterOptions{Start: gcPrefix, End: prefixEnd(gcPrefix)})
	if err != nil {
		txn.Discard()
		return err
	}
	for ; it.Valid(); it.Next() {
		if k := it.Key(); len(k) == len(gcPrefix)+8 {
			ids = append(ids, binary.BigEndian.Uint64(k[len(gcPrefix):]))
		}
	}
	it.Close()
	txn.Discard()
	for _, id := range ids {
		key := binary.BigEndian.AppendUint64(append([]byte(nil), gcPrefix...), id)
		// The listing above is a snapshot: a rewrite may have installed
		// its table id since (removing the id's gc record and its building
		// mark together, under c.mu). Check both under the lock, so that a
		// live table's data is never collected.
		c.mu.RLock()
		busy := c.building[id]
		pending := false
		if !busy {
			check := c.store.Begin()
			_, pending, err = check.Get(key)
			check.Discard()
		}
		c.mu.RUnlock()
		if err != nil {
			return err
		}
		if busy || !pending {
			continue
		}
		p := tableDataPrefix(id)
		if err := deleteRange(context.Background(), c.store, p, prefixEnd(p), c.stop); err != nil {
			return err
		}
		if err := c.commitCatalog(context.Background(), storage.Mutation{Key: key, Delete: true}, storage.Mutation{Key: counterKey(id), Delete: true}, storage.Mutation{Key: rowIDCounterKey(id), Delete: true}); err != nil {
			return err
		}
	}
	return nil
}

// deleteBatch bounds the keys deleted per commit, far below Badger's
// transaction size limit.
const deleteBatch = 20000

// deleteRange deletes every key in [start, end) in batches.
func deleteRange(ctx context.Context, store *storage.Store, start, end []byte, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		txn := store.Begin()
		it, err := txn.NewIterator(storage.IterOptions{Start: start, End: end, KeysOnly: true})
		if err != nil {
			txn.Discard()
			return err
		}
		var ws storage.WriteSet
		for ; it.Valid() && len(ws.Mutations) < deleteBatch; it.Next() {
			ws.Mutations = append(ws.Mutations, storage.Mutation{Key: it.Key(), Delete: true})
		}
		err = it.Err()
		it.Close()
		txn.Discard()
		if err != nil {
			return err
		}
		if len(ws.Mutations) == 0 {
			return nil
		}
		if err := store.DirectCommit(ctx, &ws); err != nil {
			return err
		}
	}
}

// database returns the state of a database, or nil.
func (c *Catalog) database(name string) *dbState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.dbs[strings.ToLower(name)]
}

func (c *Catalog) databaseNames() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	names := make([]string, 0, len(c.dbs))
	for _, d := range c.dbs {
		names = append(names, d.def.Name)
	}
	sort.Strings(names)
	return names
}

func (c *Catalog) createDatabase(ctx context.Context, name string, collation sql.CollationID) error {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	if _, ok := c.dbs[strings.ToLower(name)]; ok {
		return sql.ErrDatabaseExists.New(name)
	}
	def := databaseDef{Name: name, Collation: collation}
	m, err := putJSON(dbKey(name), def)
	if err != nil {
		return err
	}
	if err := c.commitCatalog(ctx, m); err != nil {
		return err
	}
	c.dbs[strings.ToLower(name)] = newDBState(def)
	return nil
}

func (c *Catalog) dropDatabase(ctx context.Context, name string) error {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	db, ok := c.dbs[strings.ToLower(name)]
	if !ok {
		return sql.ErrDatabaseNotFound.New(name)
	}
	muts := []storage.Mutation{{Key: dbKey(name), Delete: true}}
	for _, t := range db.tables {
		muts = append(muts, storage.Mutation{Key: tableKey(name, t.def.Name), Delete: true}, gcMutation(t.def.ID))
	}
	for kind, objs := range db.objects {
		for n := range objs {
			muts = append(muts, storage.Mutation{Key: objKey(kind, name, n), Delete: true})
		}
	}
	if err := c.commitCatalog(ctx, muts...); err != nil {
		return err
	}
	delete(c.dbs, strings.ToLower(name))
	c.wakeGC()
	return nil
}

func (c *Catalog) setDatabaseCollation(ctx context.Context, name string, collation sql.CollationID) error {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	db, ok := c.dbs[strings.ToLower(name)]
	if !ok {
		return sql.ErrDatabaseNotFound.New(name)
	}
	def := db.def
	def.Collation = collation
	m, err := putJSON(dbKey(name), def)
	if err != nil {
		return err
	}
	if err := c.commitCatalog(ctx, m); err != nil {
		return err
	}
	db.def = def
	return nil
}

// table returns the current state of a table, or nil.
func (c *Catalog) table(db, name string) *tableState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return nil
	}
	return d.tables[strings.ToLower(name)]
}

func (c *Catalog) tableNames(db string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return nil
	}
	names := make([]string, 0, len(d.tables))
	hidden := hiddenFulltextTables(d)
	for _, t := range d.tables {
		if !hidden[strings.ToLower(t.def.Name)] {
			names = append(names, t.def.Name)
		}
	}
	sort.Strings(names)
	return names
}

func (c *Catalog) tables(db string) []*tableState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return nil
	}
	out := make([]*tableState, 0, len(d.tables))
	for _, t := range d.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].def.Name < out[j].def.Name })
	return out
}

// createTable persists a new table definition under a fresh id.
func (c *Catalog) createTable(ctx context.Context, db string, def *tableDef) (*tableState, error) {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return nil, sql.ErrDatabaseNotFound.New(db)
	}
	if _, ok := d.tables[strings.ToLower(def.Name)]; ok {
		return nil, sql.ErrTableAlreadyExists.New(def.Name)
	}
	if _, ok := d.objects[kindView][strings.ToLower(def.Name)]; ok {
		return nil, sql.ErrTableAlreadyExists.New(def.Name)
	}
	id, seq := c.allocTableIDLocked()
	def.ID = id
	st, err := newTableState(d.def.Name, def, nil)
	if err != nil {
		return nil, err
	}
	// A new table is empty: its row count is known (0) from the start, so
	// inserts keep it exact without a background scan.
	st.counters.rowsKnown.Store(true)
	m, err := putJSON(tableKey(db, def.Name), def)
	if err != nil {
		return nil, err
	}
	if err := c.commitCatalog(ctx, seq, m, countBaseMutation(id)); err != nil {
		return nil, err
	}
	d.tables[strings.ToLower(def.Name)] = st
	return st, nil
}

// replaceTable persists a changed definition of an existing table. When the
// definition moves to a new table id, the old id's data is scheduled for
// deletion in the same commit.
func (c *Catalog) replaceTable(ctx context.Context, db string, old *tableState, def *tableDef, extra ...storage.Mutation) (*tableState, error) {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return nil, sql.ErrDatabaseNotFound.New(db)
	}
	counters := old.counters
	if def.ID != old.def.ID {
		counters = nil
	}
	st, err := newTableState(d.def.Name, def, counters)
	if err != nil {
		return nil, err
	}
	if counters == nil {
		st.counters.autoInc.Store(old.counters.autoInc.Load())
		st.counters.reserved.Store(0)
	}
	muts := append([]storage.Mutation(nil), extra...)
	if !strings.EqualFold(old.def.Name, def.Name) {
		muts = append(muts, storage.Mutation{Key: tableKey(db, old.def.Name), Delete: true})
	}
	m, err := putJSON(tableKey(db, def.Name), def)
	if err != nil {
		return nil, err
	}
	muts = append(muts, m)
	if def.ID != old.def.ID {
		done := gcMutation(def.ID)
		done.Delete, done.Value = true, nil
		muts = append(muts, gcMutation(old.def.ID), done)
	}
	if err := c.commitCatalog(ctx, muts...); err != nil {
		return nil, err
	}
	delete(d.tables, strings.ToLower(old.def.Name))
	d.tables[strings.ToLower(def.Name)] = st
	if def.ID != old.def.ID {
		delete(c.building, def.ID)
		c.wakeGC()
	}
	return st, nil
}

// newTableID allocates and persists a table id for a rewrite in progress.
// If the rewrite is abandoned, the id is scheduled for deletion.
func (c *Catalog) newTableID(ctx context.Context) (uint64, error) {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	id, seq := c.allocTableIDLocked()
	// The gc record is written up front and removed when the rewrite is
	// installed, so that a crash half way through a rewrite frees its data.
	if err := c.commitCatalog(ctx, seq, gcMutation(id)); err != nil {
		return 0, err
	}
	c.building[id] = true
	return id, nil
}

// abandonTableID hands the data of a failed rewrite to the collector.
func (c *Catalog) abandonTableID(id uint64) {
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.building, id)
	c.mu.Unlock()
	c.wakeGC()
}

func (c *Catalog) dropTable(ctx context.Context, db, name string) error {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return sql.ErrDatabaseNotFound.New(db)
	}
	t, ok := d.tables[strings.ToLower(name)]
	if !ok {
		return sql.ErrTableNotFound.New(name)
	}
	if err := c.commitCatalog(ctx, storage.Mutation{Key: tableKey(db, name), Delete: true}, gcMutation(t.def.ID)); err != nil {
		return err
	}
	delete(d.tables, strings.ToLower(name))
	c.wakeGC()
	return nil
}

// putObject stores a view, trigger, procedure or event definition.
func (c *Catalog) putObject(ctx context.Context, kind, db, name string, v any, mustBeNew bool) error {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return sql.ErrDatabaseNotFound.New(db)
	}
	if _, ok := d.objects[kind][strings.ToLower(name)]; ok && mustBeNew {
		return errObjectExists
	}
	m, err := putJSON(objKey(kind, db, name), v)
	if err != nil {
		return err
	}
	if err := c.commitCatalog(ctx, m); err != nil {
		return err
	}
	d.objects[kind][strings.ToLower(name)] = m.Value
	return nil
}

var errObjectExists = fmt.Errorf("object already exists")

func (c *Catalog) dropObject(ctx context.Context, kind, db, name string) (bool, error) {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return false, sql.ErrDatabaseNotFound.New(db)
	}
	if _, ok := d.objects[kind][strings.ToLower(name)]; !ok {
		return false, nil
	}
	if err := c.commitCatalog(ctx, storage.Mutation{Key: objKey(kind, db, name), Delete: true}); err != nil {
		return false, err
	}
	delete(d.objects[kind], strings.ToLower(name))
	return true, nil
}

// getObject decodes the view, trigger, procedure or event of kind named
// name, reporting whether it exists.
func getObject[T any](c *Catalog, kind, db, name string) (T, bool, error) {
	var v T
	c.mu.RLock()
	var raw []byte
	ok := false
	if d := c.dbs[strings.ToLower(db)]; d != nil {
		raw, ok = d.objects[kind][strings.ToLower(name)]
	}
	c.mu.RUnlock()
	if !ok {
		return v, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, true, fmt.Errorf("catalog: %s record %q is corrupt: %w", kind, name, err)
	}
	return v, true, nil
}

// listObjects decodes every object of kind in a database, ordered by
// less.
func listObjects[T any](c *Catalog, kind, db string, less func(a, b T) bool) ([]T, error) {
	c.mu.RLock()
	var raws [][]byte
	if d := c.dbs[strings.ToLower(db)]; d != nil {
		for _, v := range d.objects[kind] {
			raws = append(raws, v)
		}
	}
	c.mu.RUnlock()
	out := make([]T, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, fmt.Errorf("catalog: %s record is corrupt: %w", kind, err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, nil
}

// LoadMySQLDb returns the persisted users and grants blob, if any.
func (c *Catalog) LoadMySQLDb() ([]byte, error) {
	txn := c.store.Begin()
	defer txn.Discard()
	v, _, err := txn.Get(keyMySQLDb)
	return v, err
}

// LoadLoginState returns the login protection blob (nil when none).
func (c *Catalog) LoadLoginState() ([]byte, error) {
	txn := c.store.Begin()
	defer txn.Discard()
	v, _, err := txn.Get(keyLoginState)
	return v, err
}

// PersistLoginState stores the login protection blob: account policies,
// consecutive failures and locks, which must survive a restart.
func (c *Catalog) PersistLoginState(ctx context.Context, data []byte) error {
	return c.commitCatalog(ctx, storage.Mutation{Key: keyLoginState, Value: append([]byte(nil), data...)})
}

// PersistMySQLDb stores the users and grants blob (mysql_db persister).
func (c *Catalog) PersistMySQLDb(ctx context.Context, data []byte) error {
	return c.commitCatalog(ctx, storage.Mutation{Key: keyMySQLDb, Value: append([]byte(nil), data...)})
}
