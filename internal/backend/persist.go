package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/storage"
)

// SET PERSIST and SET PERSIST_ONLY. MySQL keeps persisted global
// variables in mysqld-auto.cnf in its data directory; guocedb keeps them
// in the store, one key per variable,
//
//	c var/<lower-cased name> -> the value as JSON
//
// written through the one commit path (so backups and, later, replicas
// carry them), and assigns them to the global variables at start-up
// (Provider.PersistedGlobals).

var _ sql.PersistableSession = (*Session)(nil)

var persistedVarPrefix = []byte("cvar/")

func persistedVarKey(name string) []byte {
	return append(append([]byte(nil), persistedVarPrefix...), strings.ToLower(name)...)
}

// PersistGlobal implements sql.PersistableSession.
func (s *Session) PersistGlobal(ctx *sql.Context, name string, value any) error {
	sv, _, ok := sql.SystemVariables.GetGlobal(name)
	if !ok {
		return sql.ErrUnknownSystemVariable.New(name)
	}
	v, _, err := sv.GetType().Convert(ctx, value)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("persist %s: %w", name, err)
	}
	return s.store.DirectCommit(commitCtx(ctx), &storage.WriteSet{Mutations: []storage.Mutation{{Key: persistedVarKey(name), Value: b}}})
}

// RemovePersistedGlobal implements sql.PersistableSession.
func (s *Session) RemovePersistedGlobal(name string) error {
	return s.store.DirectCommit(context.Background(), &storage.WriteSet{Mutations: []storage.Mutation{{Key: persistedVarKey(name), Delete: true}}})
}

// RemoveAllPersistedGlobals implements sql.PersistableSession.
func (s *Session) RemoveAllPersistedGlobals() error {
	raw, err := readPersisted(s.store)
	if err != nil {
		return err
	}
	var ws storage.WriteSet
	for name := range raw {
		ws.Mutations = append(ws.Mutations, storage.Mutation{Key: persistedVarKey(name), Delete: true})
	}
	return s.store.DirectCommit(context.Background(), &ws)
}

// GetPersistedValue implements sql.PersistableSession: the value in the
// variable's type, or nil when it is not persisted.
func (s *Session) GetPersistedValue(name string) (any, error) {
	txn := s.store.Begin()
	defer txn.Discard()
	b, ok, err := txn.Get(persistedVarKey(name))
	if err != nil || !ok {
		return nil, err
	}
	return decodePersisted(name, b)
}

// PersistedGlobals returns the persisted global variables, each in its
// variable's type, for the server to assign at start-up. A variable this
// build does not know is returned in unknown, not assigned.
func (p *Provider) PersistedGlobals() (values map[string]any, unknown []string, err error) {
	raw, err := readPersisted(p.store)
	if err != nil {
		return nil, nil, err
	}
	values = make(map[string]any, len(raw))
	for name, b := range raw {
		if _, _, ok := sql.SystemVariables.GetGlobal(name); !ok {
			unknown = append(unknown, name)
			continue
		}
		v, err := decodePersisted(name, b)
		if err != nil {
			return nil, nil, err
		}
		values[name] = v
	}
	return values, unknown, nil
}

func readPersisted(store *storage.Store) (map[string][]byte, error) {
	txn := store.Begin()
	defer txn.Discard()
	it, err := txn.NewIterator(storage.IterOptions{Start: persistedVarPrefix, End: prefixEnd(persistedVarPrefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := map[string][]byte{}
	for ; it.Valid(); it.Next() {
		out[string(it.Key()[len(persistedVarPrefix):])] = append([]byte(nil), it.Value()...)
	}
	return out, it.Err()
}

// decodePersisted converts a stored value back to the variable's type;
// numbers are read as text, so that 64-bit integers keep every digit.
func decodePersisted(name string, b []byte) (any, error) {
	sv, _, ok := sql.SystemVariables.GetGlobal(name)
	if !ok {
		return nil, sql.ErrUnknownSystemVariable.New(name)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("persisted variable %s is corrupt: %w", name, err)
	}
	if n, ok := raw.(json.Number); ok {
		raw = n.String()
	}
	v, _, err := sv.GetType().Convert(context.Background(), raw)
	if err != nil {
		return nil, fmt.Errorf("persisted variable %s: %w", name, err)
	}
	return v, nil
}
